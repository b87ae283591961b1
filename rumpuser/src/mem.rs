//! Host memory: aligned allocations and anonymous mappings.

use std::ptr::NonNull;

/// A zero-filled block of host memory with a chosen alignment, freed on drop.
pub struct HostMem {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: HostMem owns its allocation exclusively; moving it between threads
// moves that ownership, and shared access only hands out `&[u8]`.
unsafe impl Send for HostMem {}
// SAFETY: see above; `&HostMem` gives read-only access to plain bytes.
unsafe impl Sync for HostMem {}

impl HostMem {
    /// Allocate `len` zeroed bytes aligned to `align` (a power of two).
    /// Zero-length requests get a one-byte block so that the pointer is real.
    pub fn alloc(len: usize, align: usize) -> std::io::Result<HostMem> {
        if !align.is_power_of_two() {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let align = align.max(std::mem::size_of::<usize>());
        let size = len.max(1);
        let mut raw: *mut libc::c_void = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; `align` is a power of two and a
        // multiple of the pointer size, as posix_memalign requires.
        let rc = unsafe { libc::posix_memalign(&mut raw, align, size) };
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        // SAFETY: posix_memalign succeeded, so `raw` points at `size` writable bytes.
        unsafe { std::ptr::write_bytes(raw.cast::<u8>(), 0, size) };
        let ptr = NonNull::new(raw.cast::<u8>())
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        Ok(HostMem { ptr, len })
    }

    /// The number of usable bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block holds no usable bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of the block, for alignment checks and diagnostics.
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }
}

impl std::ops::Deref for HostMem {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` points at `len` initialised (zeroed) bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for HostMem {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for HostMem {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from posix_memalign and is freed exactly once here.
        unsafe { libc::free(self.ptr.as_ptr().cast()) };
    }
}

/// An anonymous, private, zero-filled host mapping, unmapped on drop.
pub struct AnonMapping {
    map: memmap2::MmapMut,
}

impl AnonMapping {
    /// Map `len` bytes of anonymous memory.
    pub fn new(len: usize) -> std::io::Result<AnonMapping> {
        Ok(AnonMapping {
            map: memmap2::MmapMut::map_anon(len.max(1))?,
        })
    }
}

impl std::ops::Deref for AnonMapping {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl std::ops::DerefMut for AnonMapping {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_zeroed() {
        for align in [1, 8, 64, 4096] {
            let m = HostMem::alloc(1000, align).unwrap();
            assert_eq!(m.addr() % align, 0);
            assert!(m.iter().all(|&b| b == 0));
        }
        assert!(HostMem::alloc(10, 3).is_err());
    }

    #[test]
    fn anon_mapping_is_writable() {
        let mut m = AnonMapping::new(8192).unwrap();
        m[8191] = 7;
        assert_eq!(m[8191], 7);
    }
}
