//! Directory entries: NetBSD's `struct dirent` records read, Linux's
//! `linux_dirent64` records written.

use netbsd_abi::layout::dirent;

/// A NetBSD directory entry. DT_* type values are the same on both systems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetbsdDirent {
    /// The file number.
    pub ino: u64,
    /// The DT_* type.
    pub dtype: u8,
    /// The name.
    pub name: Vec<u8>,
}

/// Where `d_name` starts in NetBSD's `struct dirent`.
pub(super) const NETBSD_DIRENT_NAME: usize = dirent::d_name.offset;

/// NetBSD `struct dirent` records as `getdents` returns them; stops at the
/// first malformed record.
pub fn parse_netbsd_dirents(b: &[u8]) -> Vec<NetbsdDirent> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(rec) = b.get(at..) {
        let (Some(ino), Some(reclen), Some(namlen), Some(dtype)) = (
            dirent::d_fileno.get(rec),
            dirent::d_reclen.get(rec).map(|x| x as usize),
            dirent::d_namlen.get(rec).map(|x| x as usize),
            dirent::d_type.get(rec).map(|x| x as u8),
        ) else {
            break;
        };
        let name_end = NETBSD_DIRENT_NAME + namlen;
        if reclen < name_end + 1 || reclen > rec.len() {
            break;
        }
        out.push(NetbsdDirent {
            ino,
            dtype,
            name: rec[NETBSD_DIRENT_NAME..name_end].to_vec(),
        });
        at += reclen;
    }
    out
}

/// Where `d_name` starts in Linux's `struct linux_dirent64`.
const LINUX_DIRENT_NAME: usize = 19;

/// The length of a Linux `dirent64` record for a name of `name_len` bytes.
pub fn linux_dirent64_len(name_len: usize) -> usize {
    (LINUX_DIRENT_NAME + name_len + 1 + 7) & !7
}

/// Append a Linux `dirent64` record.
pub fn emit_linux_dirent64(ino: u64, off: i64, dtype: u8, name: &[u8], out: &mut Vec<u8>) {
    let len = linux_dirent64_len(name.len());
    let start = out.len();
    out.extend_from_slice(&ino.to_ne_bytes());
    out.extend_from_slice(&off.to_ne_bytes());
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.push(dtype);
    out.extend_from_slice(name);
    out.resize(start + len, 0);
}
