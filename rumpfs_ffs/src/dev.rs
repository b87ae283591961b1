//! The block device a file system lives on: a small trait, so the same
//! code runs on a kernel's device vnode, on an image file for the host
//! tools, and on memory in tests and fuzzing.

use rump::{Errno, KResult};
use rumpvfs::node::Node;
use std::sync::{Arc, Mutex};

/// Byte-addressed storage of a fixed size.
pub trait BlockDev: Send + Sync {
    /// Bytes on the device.
    fn size(&self) -> u64;
    /// Fill `buf` from byte `off`; EIO past the end.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()>;
    /// Write `data` at byte `off`; EIO past the end.
    fn write_at(&self, off: u64, data: &[u8]) -> KResult<()>;
    /// Make everything written so far stable.
    fn flush(&self) -> KResult<()>;
}

fn in_range(off: u64, len: usize, size: u64) -> KResult<()> {
    match off.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// A device in memory.
pub struct MemDev {
    data: Mutex<Vec<u8>>,
}

impl MemDev {
    /// A zeroed device of `size` bytes.
    pub fn new(size: usize) -> MemDev {
        MemDev::from_bytes(vec![0; size])
    }

    /// A device holding `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> MemDev {
        MemDev {
            data: Mutex::new(bytes),
        }
    }

    /// A copy of the contents.
    pub fn bytes(&self) -> Vec<u8> {
        rump::sync::lock(&self.data).clone()
    }
}

impl BlockDev for MemDev {
    fn size(&self) -> u64 {
        rump::sync::lock(&self.data).len() as u64
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        let d = rump::sync::lock(&self.data);
        in_range(off, buf.len(), d.len() as u64)?;
        buf.copy_from_slice(&d[off as usize..off as usize + buf.len()]);
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> KResult<()> {
        let mut d = rump::sync::lock(&self.data);
        in_range(off, data.len(), d.len() as u64)?;
        d[off as usize..off as usize + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn flush(&self) -> KResult<()> {
        Ok(())
    }
}

/// A host file (an image), for the host tools.
pub struct HostDev {
    file: rumpuser::HostFile,
    size: u64,
}

impl HostDev {
    /// Open the image at `path`, for writing too when `write`.
    pub fn open(path: &str, write: bool) -> std::io::Result<HostDev> {
        let file = rumpuser::HostFile::open(
            path,
            rumpuser::OpenFlags {
                write,
                ..rumpuser::OpenFlags::default()
            },
        )?;
        let info = file.info()?;
        // A directory opens read-only on the host, but holds no file system.
        if info.kind == rumpuser::FileKind::Directory {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "Is a directory",
            ));
        }
        Ok(HostDev {
            file,
            size: info.size,
        })
    }

    /// Create (or truncate) the image at `path` with `size` bytes.
    pub fn create(path: &str, size: u64) -> std::io::Result<HostDev> {
        let file = rumpuser::HostFile::open(
            path,
            rumpuser::OpenFlags {
                write: true,
                create: true,
                ..rumpuser::OpenFlags::default()
            },
        )?;
        file.set_len(size)?;
        Ok(HostDev { file, size })
    }
}

impl BlockDev for HostDev {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        in_range(off, buf.len(), self.size)?;
        let n = self
            .file
            .pread(buf, off)
            .map_err(|e| Errno::from_host(&e))?;
        if n != buf.len() {
            return Err(Errno::EIO);
        }
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> KResult<()> {
        in_range(off, data.len(), self.size)?;
        self.file
            .pwrite(data, off)
            .map_err(|e| Errno::from_host(&e))
    }

    fn flush(&self) -> KResult<()> {
        self.file.sync(false).map_err(|e| Errno::from_host(&e))
    }
}

/// A kernel's block device vnode (an etfs BLK key, a `rump_server -d`
/// drive): I/O goes through the device's buffer cache.
pub struct NodeDev {
    node: Arc<dyn Node>,
    size: u64,
}

impl NodeDev {
    /// The device behind `node`.
    pub fn new(node: Arc<dyn Node>) -> NodeDev {
        let size = node.getattr().size;
        NodeDev { node, size }
    }
}

impl BlockDev for NodeDev {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        in_range(off, buf.len(), self.size)?;
        let mut done = 0;
        while done < buf.len() {
            match self.node.read(off + done as u64, &mut buf[done..])? {
                0 => return Err(Errno::EIO),
                n => done += n,
            }
        }
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> KResult<()> {
        in_range(off, data.len(), self.size)?;
        let mut done = 0;
        while done < data.len() {
            match self.node.write(off + done as u64, &data[done..])? {
                0 => return Err(Errno::EIO),
                n => done += n,
            }
        }
        Ok(())
    }

    fn flush(&self) -> KResult<()> {
        self.node.fsync()
    }
}

/// A raw disk device open in a kernel (a descriptor of `/dev/rvnd0a`,
/// say), for newfs and fsck run against the kernel: they move pieces of
/// sectors, which go as whole sectors, as NetBSD's tools send them to a
/// raw disk.
pub struct RawDiskDev {
    k: Arc<rump::Kernel>,
    fd: i32,
    size: u64,
}

impl RawDiskDev {
    /// The raw device open as `fd` in `k`, `size` bytes long.
    pub fn new(k: Arc<rump::Kernel>, fd: i32, size: u64) -> RawDiskDev {
        RawDiskDev { k, fd, size }
    }

    /// The whole sectors around `len` bytes at `off`.
    fn span(off: u64, len: usize) -> (u64, usize) {
        let sector = rump::devsw::DEV_BSIZE;
        let start = off / sector * sector;
        let end = (off + len as u64).div_ceil(sector) * sector;
        (start, (end - start) as usize)
    }

    fn pread_full(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        use rumpvfs::VfsCalls;
        match self.k.sys_pread(self.fd, buf, off as i64)? {
            n if n == buf.len() => Ok(()),
            _ => Err(Errno::EIO),
        }
    }
}

impl BlockDev for RawDiskDev {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<()> {
        let (start, len) = Self::span(off, buf.len());
        let mut whole = vec![0u8; len];
        self.pread_full(start, &mut whole)?;
        let at = (off - start) as usize;
        buf.copy_from_slice(&whole[at..at + buf.len()]);
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> KResult<()> {
        use rumpvfs::VfsCalls;
        let (start, len) = Self::span(off, data.len());
        let mut whole = vec![0u8; len];
        if start != off || len != data.len() {
            self.pread_full(start, &mut whole)?;
        }
        let at = (off - start) as usize;
        whole[at..at + data.len()].copy_from_slice(data);
        match self.k.sys_pwrite(self.fd, &whole, start as i64)? {
            n if n == len => Ok(()),
            _ => Err(Errno::EIO),
        }
    }

    fn flush(&self) -> KResult<()> {
        use rumpvfs::VfsCalls;
        self.k.sys_fsync(self.fd)
    }
}
