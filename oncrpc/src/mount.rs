//! The MOUNT protocol, version 3 (RFC 1813 appendix I): the file handle of
//! an export's root (`MNT`), and telling the server we are done (`UMNT`).

use crate::rpc::{Credentials, RpcError, StreamClient};
use crate::xdr::{Decoder, Encoder, XdrError};
use netbsd_abi::Errno;

/// The MOUNT program number.
pub const MOUNT_PROG: u32 = 100_005;
/// Its version 3 (for NFSv3).
pub const MOUNT_V3: u32 = 3;
/// `MOUNTPROC3_MNT`.
pub const MOUNTPROC3_MNT: u32 = 1;
/// `MOUNTPROC3_UMNT`.
pub const MOUNTPROC3_UMNT: u32 = 3;
/// `MNTPATHLEN`: the longest export path.
pub const MNTPATHLEN: usize = 1024;
/// `FHSIZE3`: the largest NFSv3 file handle.
pub const FHSIZE3: usize = 64;
/// The most authentication flavors a reply may list (ours: a sanity
/// bound, the RFC gives none).
const MAX_FLAVORS: usize = 64;

/// `mountstat3` values (RFC 1813 appendix I): errno numbers, plus
/// `MNT3ERR_NOTSUPP` and `MNT3ERR_SERVERFAULT`.
const MNT3_OK: u32 = 0;
const MNT3ERR_PERM: u32 = 1;
const MNT3ERR_NOENT: u32 = 2;
const MNT3ERR_IO: u32 = 5;
const MNT3ERR_ACCES: u32 = 13;
const MNT3ERR_NOTDIR: u32 = 20;
const MNT3ERR_INVAL: u32 = 22;
const MNT3ERR_NAMETOOLONG: u32 = 63;
const MNT3ERR_NOTSUPP: u32 = 10004;
const MNT3ERR_SERVERFAULT: u32 = 10006;

/// What `MNT` gives: the root's file handle and the flavors the server
/// accepts for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mounted {
    /// The export's root file handle.
    pub fh: Vec<u8>,
    /// `auth_flavors`.
    pub flavors: Vec<u32>,
}

/// Why a mount was refused, as the errno mount(2) answers.
pub fn mountstat_errno(stat: u32) -> Errno {
    match stat {
        MNT3ERR_PERM => Errno::EPERM,
        MNT3ERR_NOENT => Errno::ENOENT,
        MNT3ERR_IO => Errno::EIO,
        MNT3ERR_ACCES => Errno::EACCES,
        MNT3ERR_NOTDIR => Errno::ENOTDIR,
        MNT3ERR_INVAL => Errno::EINVAL,
        MNT3ERR_NAMETOOLONG => Errno::ENAMETOOLONG,
        MNT3ERR_NOTSUPP => Errno::EOPNOTSUPP,
        MNT3ERR_SERVERFAULT => Errno::EIO,
        _ => Errno::EBADRPC,
    }
}

/// The arguments of `MNT` and `UMNT`: the export's path.
pub fn dirpath_args(path: &[u8]) -> Result<Vec<u8>, Errno> {
    if path.len() > MNTPATHLEN {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut e = Encoder::new();
    e.string(path);
    Ok(e.into_bytes())
}

/// Decode an `MNT` reply: the handle, or the errno of the refusal.
pub fn mnt_result(res: &[u8]) -> Result<Result<Mounted, Errno>, XdrError> {
    let mut d = Decoder::new(res);
    let stat = d.u32()?;
    if stat != MNT3_OK {
        return Ok(Err(mountstat_errno(stat)));
    }
    let fh = d.opaque(FHSIZE3)?.to_vec();
    let n = d.count(MAX_FLAVORS, 4)?;
    let flavors = (0..n).map(|_| d.u32()).collect::<Result<Vec<_>, _>>()?;
    d.finish()?;
    Ok(Ok(Mounted { fh, flavors }))
}

/// Errors of a MOUNT call: the RPC failed, or the server refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountError {
    /// The call failed.
    Rpc(RpcError),
    /// The server refused with this errno.
    Refused(Errno),
}

impl std::fmt::Display for MountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MountError::Rpc(e) => e.fmt(f),
            MountError::Refused(e) => e.fmt(f),
        }
    }
}

impl MountError {
    /// The errno mount(2) answers.
    pub fn errno(&self) -> Errno {
        match self {
            MountError::Rpc(e) => e.errno(),
            MountError::Refused(e) => *e,
        }
    }
}

/// `MNT` of `path` on the mount daemon behind `client`.
pub fn mnt<S: std::io::Read + std::io::Write>(
    client: &mut StreamClient<S>,
    cred: &Credentials,
    path: &[u8],
) -> Result<Mounted, MountError> {
    let args = dirpath_args(path).map_err(MountError::Refused)?;
    let res = client
        .call(MOUNT_PROG, MOUNT_V3, MOUNTPROC3_MNT, cred, &args)
        .map_err(MountError::Rpc)?;
    mnt_result(&res)
        .map_err(|e| MountError::Rpc(e.into()))?
        .map_err(MountError::Refused)
}

/// `UMNT` of `path`: the server forgets our mount (its reply is empty).
pub fn umnt<S: std::io::Read + std::io::Write>(
    client: &mut StreamClient<S>,
    cred: &Credentials,
    path: &[u8],
) -> Result<(), MountError> {
    let args = dirpath_args(path).map_err(MountError::Refused)?;
    let res = client
        .call(MOUNT_PROG, MOUNT_V3, MOUNTPROC3_UMNT, cred, &args)
        .map_err(MountError::Rpc)?;
    Decoder::new(&res)
        .finish()
        .map_err(|e| MountError::Rpc(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnt_replies_give_the_handle_or_the_errno() {
        let mut e = Encoder::new();
        e.u32(MNT3_OK).opaque(&[1, 2, 3, 4, 5]).u32(1).u32(1);
        let ok = e.into_bytes();
        let m = mnt_result(&ok).unwrap().unwrap();
        assert_eq!((m.fh, m.flavors), (vec![1, 2, 3, 4, 5], vec![1]));
        assert_eq!(mnt_result(&[0, 0, 0, 13]), Ok(Err(Errno::EACCES)));
        for n in 4..ok.len() {
            assert!(mnt_result(&ok[..n]).is_err(), "{n} bytes");
        }
        // A 65-byte handle is longer than FHSIZE3.
        let mut e = Encoder::new();
        e.u32(MNT3_OK).opaque(&[0; 65]).u32(0);
        assert_eq!(mnt_result(&e.into_bytes()), Err(XdrError::TooLong));
    }
}
