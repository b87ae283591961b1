//! NFS version 3 (RFC 1813) on the wire: file handles, attributes, the
//! procedures' arguments and results, and a client that makes the calls.
//! The vnode operations are built over this; what is here knows nothing
//! of vnodes or caches.

use crate::rpc::{Credentials, Procedure, RpcError};
use crate::xdr::{Decoder, Encoder, XdrError, XdrResult};
use rump::Errno;

/// The NFS program number.
pub const NFS_PROG: u32 = 100_003;
/// Version 3.
pub const NFS_V3: u32 = 3;
/// `NFS3_FHSIZE`.
pub const FHSIZE: usize = 64;
/// The longest name a reply may carry (ours: NetBSD's `NFS_MAXNAMLEN`).
pub const MAXNAMLEN: usize = netbsd_abi::MAXNAMLEN as usize;
/// The longest path (symbolic link target) a reply may carry
/// (`NFS_MAXPATHLEN`).
pub const MAXPATHLEN: usize = netbsd_abi::MAXPATHLEN as usize;
/// The most data one READ reply may carry (ours: the largest rsize a mount
/// asks for, 1 MiB; see `args`).
pub const MAXDATA: usize = 1 << 20;
/// `NFS3_COOKIEVERFSIZE`, `NFS3_CREATEVERFSIZE`, `NFS3_WRITEVERFSIZE`.
pub const VERFSIZE: usize = 8;

/// The procedures (RFC 1813 section 3).
pub mod proc3 {
    /// `NFSPROC3_GETATTR`.
    pub const GETATTR: u32 = 1;
    /// `NFSPROC3_SETATTR`.
    pub const SETATTR: u32 = 2;
    /// `NFSPROC3_LOOKUP`.
    pub const LOOKUP: u32 = 3;
    /// `NFSPROC3_ACCESS`.
    pub const ACCESS: u32 = 4;
    /// `NFSPROC3_READLINK`.
    pub const READLINK: u32 = 5;
    /// `NFSPROC3_READ`.
    pub const READ: u32 = 6;
    /// `NFSPROC3_WRITE`.
    pub const WRITE: u32 = 7;
    /// `NFSPROC3_CREATE`.
    pub const CREATE: u32 = 8;
    /// `NFSPROC3_MKDIR`.
    pub const MKDIR: u32 = 9;
    /// `NFSPROC3_SYMLINK`.
    pub const SYMLINK: u32 = 10;
    /// `NFSPROC3_MKNOD`.
    pub const MKNOD: u32 = 11;
    /// `NFSPROC3_REMOVE`.
    pub const REMOVE: u32 = 12;
    /// `NFSPROC3_RMDIR`.
    pub const RMDIR: u32 = 13;
    /// `NFSPROC3_RENAME`.
    pub const RENAME: u32 = 14;
    /// `NFSPROC3_LINK`.
    pub const LINK: u32 = 15;
    /// `NFSPROC3_READDIRPLUS`.
    pub const READDIRPLUS: u32 = 17;
    /// `NFSPROC3_FSSTAT`.
    pub const FSSTAT: u32 = 18;
    /// `NFSPROC3_FSINFO`.
    pub const FSINFO: u32 = 19;
    /// `NFSPROC3_PATHCONF`.
    pub const PATHCONF: u32 = 20;
    /// `NFSPROC3_COMMIT`.
    pub const COMMIT: u32 = 21;
}

/// `nfsstat3` as an errno. The values below 10000 are errno numbers the
/// RFC fixes and NetBSD shares; the NFSv3-only ones map as NetBSD's
/// client reports them to callers (a stale or bad handle: ESTALE; a
/// server fault or the server's own codes: EIO).
pub fn status_errno(stat: u32) -> Errno {
    const NFS3ERR_BADHANDLE: u32 = 10001;
    const NFS3ERR_NOTSUPP: u32 = 10004;
    const NFS3ERR_TOOSMALL: u32 = 10005;
    const NFS3ERR_JUKEBOX: u32 = 10008;
    match stat {
        1 => Errno::EPERM,
        2 => Errno::ENOENT,
        5 => Errno::EIO,
        6 => Errno::ENXIO,
        13 => Errno::EACCES,
        17 => Errno::EEXIST,
        18 => Errno::EXDEV,
        19 => Errno::ENODEV,
        20 => Errno::ENOTDIR,
        21 => Errno::EISDIR,
        22 => Errno::EINVAL,
        27 => Errno::EFBIG,
        28 => Errno::ENOSPC,
        30 => Errno::EROFS,
        31 => Errno::EMLINK,
        63 => Errno::ENAMETOOLONG,
        66 => Errno::ENOTEMPTY,
        69 => Errno::EDQUOT,
        70 => Errno::ESTALE,
        71 => Errno::EREMOTE,
        NFS3ERR_BADHANDLE => Errno::ESTALE,
        NFS3ERR_NOTSUPP => Errno::EOPNOTSUPP,
        NFS3ERR_TOOSMALL => Errno::EINVAL,
        NFS3ERR_JUKEBOX => Errno::EAGAIN,
        _ => Errno::EIO,
    }
}

/// `ftype3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `NF3REG`.
    Regular,
    /// `NF3DIR`.
    Directory,
    /// `NF3BLK`.
    Block,
    /// `NF3CHR`.
    Char,
    /// `NF3LNK`.
    Symlink,
    /// `NF3SOCK`.
    Socket,
    /// `NF3FIFO`.
    Fifo,
}

impl FileType {
    /// The `ftype3` number.
    pub fn number(self) -> u32 {
        match self {
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::Block => 3,
            FileType::Char => 4,
            FileType::Symlink => 5,
            FileType::Socket => 6,
            FileType::Fifo => 7,
        }
    }

    fn decode(d: &mut Decoder<'_>) -> XdrResult<FileType> {
        Ok(match d.u32()? {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::Block,
            4 => FileType::Char,
            5 => FileType::Symlink,
            6 => FileType::Socket,
            7 => FileType::Fifo,
            _ => return Err(XdrError::BadValue),
        })
    }
}

/// `nfstime3`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    /// Seconds.
    pub seconds: u32,
    /// Nanoseconds.
    pub nseconds: u32,
}

impl Time {
    fn decode(d: &mut Decoder<'_>) -> XdrResult<Time> {
        Ok(Time {
            seconds: d.u32()?,
            nseconds: d.u32()?,
        })
    }
}

/// `fattr3`: a file's attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fattr {
    /// The file's type.
    pub ftype: FileType,
    /// Permission bits (no type bits).
    pub mode: u32,
    /// Link count.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Bytes of storage used.
    pub used: u64,
    /// Device numbers (major, minor) of a device file.
    pub rdev: (u32, u32),
    /// The file system's id.
    pub fsid: u64,
    /// The file's number.
    pub fileid: u64,
    /// Last access.
    pub atime: Time,
    /// Last modification.
    pub mtime: Time,
    /// Last status change.
    pub ctime: Time,
}

impl Fattr {
    /// Decode one `fattr3`.
    pub fn decode(d: &mut Decoder<'_>) -> XdrResult<Fattr> {
        Ok(Fattr {
            ftype: FileType::decode(d)?,
            mode: d.u32()?,
            nlink: d.u32()?,
            uid: d.u32()?,
            gid: d.u32()?,
            size: d.u64()?,
            used: d.u64()?,
            rdev: (d.u32()?, d.u32()?),
            fsid: d.u64()?,
            fileid: d.u64()?,
            atime: Time::decode(d)?,
            mtime: Time::decode(d)?,
            ctime: Time::decode(d)?,
        })
    }
}

/// `post_op_attr`.
fn post_op_attr(d: &mut Decoder<'_>) -> XdrResult<Option<Fattr>> {
    if d.optional()? {
        Ok(Some(Fattr::decode(d)?))
    } else {
        Ok(None)
    }
}

/// `wcc_data`: the attributes before (skipped: we keep no weak cache
/// consistency yet) and after.
fn wcc_data(d: &mut Decoder<'_>) -> XdrResult<Option<Fattr>> {
    if d.optional()? {
        let _size = d.u64()?;
        let _mtime = Time::decode(d)?;
        let _ctime = Time::decode(d)?;
    }
    post_op_attr(d)
}

/// `post_op_fh3`.
fn post_op_fh(d: &mut Decoder<'_>) -> XdrResult<Option<Vec<u8>>> {
    if d.optional()? {
        Ok(Some(d.opaque(FHSIZE)?.to_vec()))
    } else {
        Ok(None)
    }
}

/// `sattr3`: the attributes to set; `None` leaves one alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sattr {
    /// Permission bits.
    pub mode: Option<u32>,
    /// Owner.
    pub uid: Option<u32>,
    /// Group.
    pub gid: Option<u32>,
    /// Size (truncate or extend).
    pub size: Option<u64>,
    /// Access time (client's clock).
    pub atime: Option<Time>,
    /// Modification time (client's clock).
    pub mtime: Option<Time>,
}

impl Sattr {
    fn encode(&self, e: &mut Encoder) {
        for v in [self.mode, self.uid, self.gid] {
            e.bool(v.is_some());
            if let Some(v) = v {
                e.u32(v);
            }
        }
        e.bool(self.size.is_some());
        if let Some(s) = self.size {
            e.u64(s);
        }
        // time_how: DONT_CHANGE (0) or SET_TO_CLIENT_TIME (2).
        for t in [self.atime, self.mtime] {
            match t {
                None => e.u32(0),
                Some(t) => e.u32(2).u32(t.seconds).u32(t.nseconds),
            };
        }
    }
}

/// `stable_how`: how far a WRITE must reach before the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stable {
    /// `UNSTABLE`: the server may cache it until COMMIT.
    Unstable = 0,
    /// `DATA_SYNC`.
    DataSync = 1,
    /// `FILE_SYNC`.
    FileSync = 2,
}

/// A READ's result: its bytes owned, or (as the decoder gives them) a
/// slice of the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadResult<D = Vec<u8>> {
    /// The bytes.
    pub data: D,
    /// The end of the file was reached.
    pub eof: bool,
    /// The file's attributes after the read.
    pub attr: Option<Fattr>,
}

/// A WRITE's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteResult {
    /// Bytes written.
    pub count: u32,
    /// How stably they were written.
    pub committed: Stable,
    /// The server's write verifier: a change means it restarted and
    /// unstable writes since the last COMMIT must be sent again.
    pub verf: [u8; VERFSIZE],
    /// The file's attributes after the write.
    pub attr: Option<Fattr>,
}

/// One entry of READDIRPLUS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The file's number.
    pub fileid: u64,
    /// Its name.
    pub name: Vec<u8>,
    /// Where the next READDIRPLUS continues after this entry.
    pub cookie: u64,
    /// Its attributes, if the server sent them.
    pub attr: Option<Fattr>,
    /// Its handle, if the server sent it.
    pub fh: Option<Vec<u8>>,
}

/// A page of READDIRPLUS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirPage {
    /// The directory's cookie verifier, to pass with the next cookie.
    pub verf: [u8; VERFSIZE],
    /// The entries.
    pub entries: Vec<DirEntry>,
    /// No entries after these.
    pub eof: bool,
}

/// What FSINFO tells of the server's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsInfo {
    /// Largest READ.
    pub rtmax: u32,
    /// Preferred READ size.
    pub rtpref: u32,
    /// Largest WRITE.
    pub wtmax: u32,
    /// Preferred WRITE size.
    pub wtpref: u32,
    /// Preferred READDIR size.
    pub dtpref: u32,
    /// Largest file size.
    pub maxfilesize: u64,
    /// `FSF3_*` properties.
    pub properties: u32,
}

/// What FSSTAT tells of the space and the file slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsStat {
    /// Bytes in all.
    pub tbytes: u64,
    /// Bytes free.
    pub fbytes: u64,
    /// Bytes free to the caller.
    pub abytes: u64,
    /// File slots in all.
    pub tfiles: u64,
    /// File slots free.
    pub ffiles: u64,
    /// File slots free to the caller.
    pub afiles: u64,
}

/// What PATHCONF tells of names and links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathConf {
    /// Most links to one file.
    pub linkmax: u32,
    /// Longest name.
    pub name_max: u32,
    /// Longer names are refused (rather than cut).
    pub no_trunc: bool,
    /// Only root may change a file's owner.
    pub chown_restricted: bool,
    /// Names are compared without case.
    pub case_insensitive: bool,
    /// Names keep their case.
    pub case_preserving: bool,
}

/// Why a procedure failed: the RPC, or the server's `nfsstat3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NfsError {
    /// The RPC failed.
    Rpc(RpcError),
    /// The server answered with this errno.
    Status(Errno),
}

impl NfsError {
    /// The errno a system call answers.
    pub fn errno(&self) -> Errno {
        match self {
            NfsError::Rpc(e) => e.errno(),
            NfsError::Status(e) => *e,
        }
    }
}

impl From<RpcError> for NfsError {
    fn from(e: RpcError) -> NfsError {
        NfsError::Rpc(e)
    }
}

impl From<XdrError> for NfsError {
    fn from(e: XdrError) -> NfsError {
        NfsError::Rpc(e.into())
    }
}

/// The result of one procedure.
pub type NfsResult<T> = Result<T, NfsError>;

/// Decoders of the procedures' results. Each takes the results of an
/// accepted call and checks them to the last byte.
pub mod decode;

mod rpccall;
pub use rpccall::{AheadResults, EncodeArgs, RpcCall, TakeResults};

/// An NFSv3 client over one stream connection, calling with `cred`.
pub struct Nfs3Client<C> {
    rpc: C,
    cred: Credentials,
}

impl<C: RpcCall> Nfs3Client<C> {
    /// A client over `rpc` that calls as `cred`.
    pub fn new(rpc: C, cred: Credentials) -> Nfs3Client<C> {
        Nfs3Client { rpc, cred }
    }

    fn call(&mut self, proc: u32, args: Encoder) -> NfsResult<Vec<u8>> {
        self.rpc
            .rpc_call(NFS_PROG, NFS_V3, proc, &self.cred, &args.into_bytes())
            .map_err(NfsError::Rpc)
    }

    fn fh_args(fh: &[u8]) -> Encoder {
        let mut e = Encoder::new();
        e.opaque(fh);
        e
    }

    fn dirop(dir: &[u8], name: &[u8]) -> NfsResult<Encoder> {
        if name.len() > MAXNAMLEN {
            return Err(NfsError::Status(Errno::ENAMETOOLONG));
        }
        let mut e = Encoder::new();
        e.opaque(dir).string(name);
        Ok(e)
    }

    /// GETATTR.
    pub fn getattr(&mut self, fh: &[u8]) -> NfsResult<Fattr> {
        let r = self.call(proc3::GETATTR, Self::fh_args(fh))?;
        decode::getattr(&r)
    }

    /// SETATTR (unguarded).
    pub fn setattr(&mut self, fh: &[u8], s: &Sattr) -> NfsResult<Option<Fattr>> {
        let mut e = Self::fh_args(fh);
        s.encode(&mut e);
        e.bool(false);
        let r = self.call(proc3::SETATTR, e)?;
        decode::wcc_only(&r)
    }

    /// LOOKUP of `name` in directory `dir`.
    pub fn lookup(&mut self, dir: &[u8], name: &[u8]) -> NfsResult<(Vec<u8>, Option<Fattr>)> {
        let r = self.call(proc3::LOOKUP, Self::dirop(dir, name)?)?;
        decode::lookup(&r)
    }

    /// ACCESS: which of `want` (`ACCESS3_*`) the caller has.
    pub fn access(&mut self, fh: &[u8], want: u32) -> NfsResult<u32> {
        let mut e = Self::fh_args(fh);
        e.u32(want);
        let r = self.call(proc3::ACCESS, e)?;
        decode::access(&r)
    }

    /// READLINK.
    pub fn readlink(&mut self, fh: &[u8]) -> NfsResult<Vec<u8>> {
        let r = self.call(proc3::READLINK, Self::fh_args(fh))?;
        decode::readlink(&r)
    }

    /// READ up to `count` (at most [`MAXDATA`]) bytes at `offset`.
    pub fn read(&mut self, fh: &[u8], offset: u64, count: u32) -> NfsResult<ReadResult> {
        let count = count.min(MAXDATA as u32);
        let mut e = Self::fh_args(fh);
        e.u64(offset).u32(count);
        let r = self.call(proc3::READ, e)?;
        let got = decode::read(&r, count as usize)?;
        Ok(ReadResult {
            data: got.data.to_vec(),
            eof: got.eof,
            attr: got.attr,
        })
    }

    /// READ each of `pieces` (offset, count of at most [`MAXDATA`]), up to
    /// `window` READs on the wire at once; `got(i, ..)` takes piece `i`'s
    /// result, its bytes still in the receive buffer, in the order the
    /// replies come.
    pub fn read_each(
        &mut self,
        fh: &[u8],
        pieces: &[(u64, u32)],
        window: usize,
        mut got: impl FnMut(usize, ReadResult<&[u8]>) -> NfsResult<()>,
    ) -> NfsResult<()> {
        let count = |i: usize| pieces[i].1.min(MAXDATA as u32);
        let to = Procedure {
            prog: NFS_PROG,
            vers: NFS_V3,
            proc: proc3::READ,
        };
        self.rpc.rpc_call_each(
            to,
            &self.cred,
            pieces.len(),
            window,
            &mut |i, e| {
                e.opaque(fh).u64(pieces[i].0).u32(count(i));
            },
            &mut |i, r| got(i, decode::read(r, count(i) as usize)?),
        )
    }

    /// Send a READ of `count` bytes (at most [`MAXDATA`]) at `offset` and
    /// leave its reply on the wire, for [`Nfs3Client::take_read`]; its
    /// xid, or `None` where the transport cannot (datagrams).
    pub fn send_read(&mut self, fh: &[u8], offset: u64, count: u32) -> NfsResult<Option<u32>> {
        let count = count.min(MAXDATA as u32);
        let to = Procedure {
            prog: NFS_PROG,
            vers: NFS_V3,
            proc: proc3::READ,
        };
        self.rpc.rpc_send_ahead(to, &self.cred, &mut |e| {
            e.opaque(fh).u64(offset).u32(count);
        })
    }

    /// The result of READ `xid` of `count` bytes sent by
    /// [`Nfs3Client::send_read`], to `got`, its bytes still in the receive
    /// buffer; `Ok(false)` when the reply no longer waits.
    pub fn take_read(
        &mut self,
        xid: u32,
        count: u32,
        mut got: impl FnMut(ReadResult<&[u8]>) -> NfsResult<()>,
    ) -> NfsResult<bool> {
        let max = count.min(MAXDATA as u32) as usize;
        self.rpc
            .rpc_take_ahead(xid, &mut |r| got(decode::read(r, max)?))
    }

    /// WRITE each of `pieces` (offset, bytes) as `stable`, up to `window`
    /// WRITEs on the wire at once; the results in order.
    pub fn write_each(
        &mut self,
        fh: &[u8],
        pieces: &[(u64, &[u8])],
        stable: Stable,
        window: usize,
    ) -> NfsResult<Vec<WriteResult>> {
        if pieces.iter().any(|p| u32::try_from(p.1.len()).is_err()) {
            return Err(NfsError::Status(Errno::EFBIG));
        }
        let to = Procedure {
            prog: NFS_PROG,
            vers: NFS_V3,
            proc: proc3::WRITE,
        };
        let mut res = vec![None; pieces.len()];
        self.rpc.rpc_call_each(
            to,
            &self.cred,
            pieces.len(),
            window,
            &mut |i, e| {
                let (offset, data) = pieces[i];
                e.opaque(fh).u64(offset).u32(data.len() as u32);
                e.u32(stable as u32).opaque(data);
            },
            &mut |i, r| {
                res[i] = Some(decode::write(r)?);
                Ok(())
            },
        )?;
        // Every call was answered once the batch succeeded.
        Ok(res.into_iter().flatten().collect())
    }

    /// WRITE `data` at `offset`.
    pub fn write(
        &mut self,
        fh: &[u8],
        offset: u64,
        data: &[u8],
        stable: Stable,
    ) -> NfsResult<WriteResult> {
        let mut e = Self::fh_args(fh);
        let n = u32::try_from(data.len()).map_err(|_| NfsError::Status(Errno::EFBIG))?;
        e.u64(offset).u32(n).u32(stable as u32).opaque(data);
        let r = self.call(proc3::WRITE, e)?;
        decode::write(&r)
    }

    /// COMMIT `count` bytes at `offset` (0, 0: the whole file).
    pub fn commit(&mut self, fh: &[u8], offset: u64, count: u32) -> NfsResult<[u8; VERFSIZE]> {
        let mut e = Self::fh_args(fh);
        e.u64(offset).u32(count);
        let r = self.call(proc3::COMMIT, e)?;
        decode::commit(&r)
    }

    /// CREATE `name` in `dir`: `exclusive` fails if it exists (GUARDED),
    /// otherwise an existing file is reused (UNCHECKED).
    pub fn create(
        &mut self,
        dir: &[u8],
        name: &[u8],
        attr: &Sattr,
        exclusive: bool,
    ) -> NfsResult<(Option<Vec<u8>>, Option<Fattr>)> {
        let mut e = Self::dirop(dir, name)?;
        e.u32(u32::from(exclusive));
        attr.encode(&mut e);
        let r = self.call(proc3::CREATE, e)?;
        decode::create(&r)
    }

    /// MKDIR.
    pub fn mkdir(
        &mut self,
        dir: &[u8],
        name: &[u8],
        attr: &Sattr,
    ) -> NfsResult<(Option<Vec<u8>>, Option<Fattr>)> {
        let mut e = Self::dirop(dir, name)?;
        attr.encode(&mut e);
        let r = self.call(proc3::MKDIR, e)?;
        decode::create(&r)
    }

    /// SYMLINK `name` in `dir` pointing at `target`.
    pub fn symlink(
        &mut self,
        dir: &[u8],
        name: &[u8],
        target: &[u8],
        attr: &Sattr,
    ) -> NfsResult<(Option<Vec<u8>>, Option<Fattr>)> {
        if target.len() > MAXPATHLEN {
            return Err(NfsError::Status(Errno::ENAMETOOLONG));
        }
        let mut e = Self::dirop(dir, name)?;
        attr.encode(&mut e);
        e.string(target);
        let r = self.call(proc3::SYMLINK, e)?;
        decode::create(&r)
    }

    /// REMOVE.
    pub fn remove(&mut self, dir: &[u8], name: &[u8]) -> NfsResult<()> {
        let r = self.call(proc3::REMOVE, Self::dirop(dir, name)?)?;
        decode::wcc_only(&r).map(drop)
    }

    /// RMDIR.
    pub fn rmdir(&mut self, dir: &[u8], name: &[u8]) -> NfsResult<()> {
        let r = self.call(proc3::RMDIR, Self::dirop(dir, name)?)?;
        decode::wcc_only(&r).map(drop)
    }

    /// RENAME.
    pub fn rename(&mut self, from: &[u8], fname: &[u8], to: &[u8], tname: &[u8]) -> NfsResult<()> {
        let mut e = Self::dirop(from, fname)?;
        e.raw(&Self::dirop(to, tname)?.into_bytes());
        let r = self.call(proc3::RENAME, e)?;
        decode::rename(&r)
    }

    /// LINK `fh` as `name` in `dir`.
    pub fn link(&mut self, fh: &[u8], dir: &[u8], name: &[u8]) -> NfsResult<Option<Fattr>> {
        let mut e = Self::fh_args(fh);
        e.raw(&Self::dirop(dir, name)?.into_bytes());
        let r = self.call(proc3::LINK, e)?;
        decode::link(&r)
    }

    /// One page of READDIRPLUS after `cookie` (0: from the start).
    pub fn readdirplus(
        &mut self,
        dir: &[u8],
        cookie: u64,
        verf: [u8; VERFSIZE],
        dircount: u32,
        maxcount: u32,
    ) -> NfsResult<DirPage> {
        let mut e = Self::fh_args(dir);
        e.u64(cookie)
            .opaque_fixed(&verf)
            .u32(dircount)
            .u32(maxcount);
        let r = self.call(proc3::READDIRPLUS, e)?;
        decode::readdirplus(&r)
    }

    /// MKNOD of a device (`rdev` as major, minor), FIFO or socket.
    pub fn mknod(
        &mut self,
        dir: &[u8],
        name: &[u8],
        ftype: FileType,
        attr: &Sattr,
        rdev: (u32, u32),
    ) -> NfsResult<(Option<Vec<u8>>, Option<Fattr>)> {
        let mut e = Self::dirop(dir, name)?;
        e.u32(ftype.number());
        match ftype {
            FileType::Block | FileType::Char => {
                attr.encode(&mut e);
                e.u32(rdev.0).u32(rdev.1);
            }
            FileType::Socket | FileType::Fifo => attr.encode(&mut e),
            // RFC 1813: MKNOD makes only these; the others have their own
            // procedures.
            _ => return Err(NfsError::Status(Errno::EINVAL)),
        }
        let r = self.call(proc3::MKNOD, e)?;
        decode::create(&r)
    }

    /// FSSTAT.
    pub fn fsstat(&mut self, fh: &[u8]) -> NfsResult<FsStat> {
        let r = self.call(proc3::FSSTAT, Self::fh_args(fh))?;
        decode::fsstat(&r)
    }

    /// PATHCONF.
    pub fn pathconf(&mut self, fh: &[u8]) -> NfsResult<PathConf> {
        let r = self.call(proc3::PATHCONF, Self::fh_args(fh))?;
        decode::pathconf(&r)
    }

    /// FSINFO.
    pub fn fsinfo(&mut self, root: &[u8]) -> NfsResult<FsInfo> {
        let r = self.call(proc3::FSINFO, Self::fh_args(root))?;
        decode::fsinfo(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GETATTR reply for a 6-byte regular file, mode 0644, as ganesha
    /// sends it (fields from RFC 1813's fattr3 order).
    fn getattr_reply() -> Vec<u8> {
        let mut e = Encoder::new();
        e.u32(0).u32(1).u32(0o644).u32(1).u32(0).u32(0);
        e.u64(6).u64(4096).u32(0).u32(0).u64(0x42).u64(1234);
        for _ in 0..3 {
            e.u32(1_700_000_000).u32(5);
        }
        e.into_bytes()
    }

    #[test]
    fn attributes_decode_field_by_field() {
        let a = decode::getattr(&getattr_reply()).unwrap();
        assert_eq!(a.ftype, FileType::Regular);
        assert_eq!((a.mode, a.nlink, a.size, a.fileid), (0o644, 1, 6, 1234));
        assert_eq!(a.mtime.seconds, 1_700_000_000);
        let r = getattr_reply();
        for n in 0..r.len() {
            assert!(decode::getattr(&r[..n]).is_err(), "{n} bytes");
        }
        let mut bad = r.clone();
        bad[7] = 9;
        assert!(decode::getattr(&bad).is_err());
    }

    #[test]
    fn a_failure_status_is_an_errno() {
        // NFS3ERR_NOENT with an absent post_op_attr.
        let r = [0, 0, 0, 2, 0, 0, 0, 0];
        assert_eq!(decode::lookup(&r), Err(NfsError::Status(Errno::ENOENT)));
        assert_eq!(status_errno(10001), Errno::ESTALE);
    }

    #[test]
    fn a_read_reply_must_agree_with_its_count() {
        let mut e = Encoder::new();
        e.u32(0).u32(0).u32(3).bool(true).opaque(b"abcd");
        assert!(decode::read(&e.into_bytes(), 64).is_err());
        let mut e = Encoder::new();
        e.u32(0).u32(0).u32(4).bool(true).opaque(b"abcd");
        let reply = e.into_bytes();
        let r = decode::read(&reply, 64).unwrap();
        assert_eq!((r.data, r.eof), (&b"abcd"[..], true));
        let mut e = Encoder::new();
        e.u32(0).u32(0).u32(4).bool(true).opaque(b"abcd");
        assert!(decode::read(&e.into_bytes(), 3).is_err());
    }
}
