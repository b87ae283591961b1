//! NetBSD's `struct nfs_args` (`nfs/nfsmount.h`), what `mount_nfs` passes
//! to mount(2): checked as `nfs_mount` checks it and turned into the
//! mount's parameters as `nfs_decode_args` does (sizes rounded and
//! clamped, timeouts bounded). The pointers in it (server address, file
//! handle, host name) are the caller's; the system call copies them in.

use netbsd_abi::layout::nfs_args as f;
use rump::{Errno, KResult};
use std::time::Duration;

/// `NFS_ARGSVERSION`.
const NFS_ARGSVERSION: u64 = netbsd_abi::NFS_ARGSVERSION as u64;
const NFSMNT_SOFT: i32 = netbsd_abi::NFSMNT_SOFT;
const NFSMNT_WSIZE: i32 = netbsd_abi::NFSMNT_WSIZE;
const NFSMNT_RSIZE: i32 = netbsd_abi::NFSMNT_RSIZE;
const NFSMNT_TIMEO: i32 = netbsd_abi::NFSMNT_TIMEO;
const NFSMNT_RETRANS: i32 = netbsd_abi::NFSMNT_RETRANS;
const NFSMNT_MAXGRPS: i32 = netbsd_abi::NFSMNT_MAXGRPS;
const NFSMNT_INT: i32 = netbsd_abi::NFSMNT_INT;
const NFSMNT_NOCONN: i32 = netbsd_abi::NFSMNT_NOCONN;
const NFSMNT_NQNFS: i32 = netbsd_abi::NFSMNT_NQNFS;
const NFSMNT_NFSV3: i32 = netbsd_abi::NFSMNT_NFSV3;
const NFSMNT_KERB: i32 = netbsd_abi::NFSMNT_KERB;
const NFSMNT_READAHEAD: i32 = netbsd_abi::NFSMNT_READAHEAD;
const NFSMNT_DEADTHRESH: i32 = netbsd_abi::NFSMNT_DEADTHRESH;
const NFSMNT_RDIRPLUS: i32 = netbsd_abi::NFSMNT_RDIRPLUS;
const NFSMNT_READDIRSIZE: i32 = netbsd_abi::NFSMNT_READDIRSIZE;
const NFSMNT_XLATECOOKIE: i32 = netbsd_abi::NFSMNT_XLATECOOKIE;
const NFSMNT_RESVPORT: i32 = netbsd_abi::NFSMNT_RESVPORT;
const SOCK_STREAM: i32 = netbsd_abi::SOCK_STREAM;
const SOCK_DGRAM: i32 = netbsd_abi::SOCK_DGRAM;

// The defaults and limits of `nfs/nfs.h`, `nfs/nfsproto.h` and amd64's
// `machine/param.h` (which sets NFS_RSIZE/NFS_WSIZE and MAXPHYS).
/// `NFS_RSIZE`, `NFS_WSIZE` on amd64.
const DEFAULT_IOSIZE: u32 = 32768;
/// `NFS_READDIRSIZE`.
const DEFAULT_READDIRSIZE: u32 = 8192;
/// The most one READ or WRITE carries over TCP. NetBSD stops at
/// `NFS_MAXDATA` and `MAXBSIZE` (64 KiB on amd64), the block of the buffer
/// cache its client reads through; this client has no such cache and
/// takes what the mount asks up to 1 MiB (Linux's client's limit and
/// ganesha's), the server's FSINFO `rtmax`/`wtmax` permitting, because a
/// server's work goes by the request: nfs-ganesha spends two and a half times the
/// CPU on 64 KiB READs that it spends on 1 MiB ones for the same bytes.
const MAX_STREAM_IO: u32 = 1 << 20;
/// `NFS_MAXDGRAMDATA`.
const MAXDGRAMDATA: u32 = 60 * 1024;
/// `NFS_V2MAXDATA`.
const V2MAXDATA: u32 = 8192;
/// `NFS_FABLKSIZE`: sizes are rounded down to a multiple of it.
const FABLKSIZE: u32 = 512;
/// `NFS_DIRFRAGSIZ` and `NFS_DIRBLKSIZ`: READDIR size bounds.
const DIRFRAGSIZ: u32 = 512;
const DIRBLKSIZ: u32 = 8192;
/// `NFS_TIMEO`, `NFS_MINTIMEO`, `NFS_MAXTIMEO`.
const DEFAULT_TIMEO: Duration = Duration::from_secs(3);
const MIN_TIMEO: Duration = Duration::from_secs(1);
const MAX_TIMEO: Duration = Duration::from_secs(60);
/// `NFS_RETRANS`, `NFS_MAXREXMIT`.
const DEFAULT_RETRANS: u32 = 10;
const MAXREXMIT: u32 = 100;
/// `NFS_MAXGRPS`.
const MAXGRPS: u32 = 16;
/// `NFS_DEFRAHEAD`, `NFS_MAXRAHEAD`.
const DEFAULT_READAHEAD: u32 = 2;
const MAXRAHEAD: u32 = 32;
/// `NFS_NEVERDEAD` (also the default `nm_deadthresh`).
const NEVERDEAD: u32 = 9;
/// `NFSX_V3FHMAX`.
const V3FHMAX: u64 = 64;

/// The fields of `struct nfs_args`, as the caller gave them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawArgs {
    /// `addr`: the caller's pointer to the server's sockaddr.
    pub addr: u64,
    /// `addrlen`.
    pub addrlen: u32,
    /// `sotype`: `SOCK_STREAM` or `SOCK_DGRAM`.
    pub sotype: i32,
    /// `proto`.
    pub proto: i32,
    /// `fh`: the caller's pointer to the root file handle.
    pub fh: u64,
    /// `fhsize`.
    pub fhsize: usize,
    /// `NFSMNT_*` flags.
    pub flags: i32,
    /// The size and count fields, as given.
    pub wsize: i32,
    /// `rsize`.
    pub rsize: i32,
    /// `readdirsize`.
    pub readdirsize: i32,
    /// `timeo`, tenths of a second.
    pub timeo: i32,
    /// `retrans`.
    pub retrans: i32,
    /// `maxgrouplist`.
    pub maxgrouplist: i32,
    /// `readahead`.
    pub readahead: i32,
    /// `deadthresh`.
    pub deadthresh: i32,
    /// `hostname`: the caller's pointer to "host:/path".
    pub hostname: u64,
}

fn int(raw: &[u8], field: netbsd_abi::Field) -> i32 {
    field.get(raw).unwrap_or_default() as u32 as i32
}

impl RawArgs {
    /// Read `struct nfs_args` from the caller's bytes, with `nfs_mount`'s
    /// checks: the whole structure (EINVAL), `NFS_ARGSVERSION`
    /// (EPROGMISMATCH), no NQNFS or Kerberos (EPROGUNAVAIL), a handle of
    /// at most `NFSX_V3FHMAX` bytes (EINVAL).
    pub fn parse(raw: &[u8]) -> KResult<RawArgs> {
        if raw.len() < f::SIZE {
            return Err(Errno::EINVAL);
        }
        let get = |field: netbsd_abi::Field| field.get(raw).unwrap_or_default();
        if get(f::version) != NFS_ARGSVERSION {
            return Err(Errno::EPROGMISMATCH);
        }
        let flags = int(raw, f::flags);
        if flags & (NFSMNT_NQNFS | NFSMNT_KERB) != 0 {
            return Err(Errno::EPROGUNAVAIL);
        }
        let fhsize = int(raw, f::fhsize);
        if fhsize < 0 || fhsize as u64 > V3FHMAX {
            return Err(Errno::EINVAL);
        }
        Ok(RawArgs {
            addr: get(f::addr),
            addrlen: get(f::addrlen) as u32,
            sotype: int(raw, f::sotype),
            proto: int(raw, f::proto),
            fh: get(f::fh),
            fhsize: fhsize as usize,
            flags,
            wsize: int(raw, f::wsize),
            rsize: int(raw, f::rsize),
            readdirsize: int(raw, f::readdirsize),
            timeo: int(raw, f::timeo),
            retrans: int(raw, f::retrans),
            maxgrouplist: int(raw, f::maxgrouplist),
            readahead: int(raw, f::readahead),
            deadthresh: int(raw, f::deadthresh),
            hostname: get(f::hostname),
        })
    }
}

/// The transport of a mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP with record marking.
    Tcp,
    /// UDP with retransmission.
    Udp,
}

/// A mount's parameters (NetBSD's `struct nfsmount` fields
/// `nfs_decode_args` sets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountParams {
    /// NFSv3 (else v2).
    pub v3: bool,
    /// TCP or UDP.
    pub transport: Transport,
    /// A soft mount gives up after `retrans` tries.
    pub soft: bool,
    /// Operations may be interrupted by signals.
    pub intr: bool,
    /// A UDP mount does not connect its socket.
    pub noconn: bool,
    /// READDIRPLUS is used.
    pub rdirplus: bool,
    /// Connect from a reserved port.
    pub resvport: bool,
    /// Cookies are translated (v3 only).
    pub xlatecookie: bool,
    /// Bytes per WRITE.
    pub wsize: u32,
    /// Bytes per READ.
    pub rsize: u32,
    /// Bytes per READDIR.
    pub readdirsize: u32,
    /// The first retransmission timeout.
    pub timeo: Duration,
    /// Tries before a soft mount fails.
    pub retrans: u32,
    /// Groups sent with AUTH_SYS.
    pub numgrps: u32,
    /// Blocks read ahead.
    pub readahead: u32,
    /// Timeouts before the server is reported not responding.
    pub deadthresh: u32,
}

/// A size the caller asked for (when its flag is set and it is
/// positive), rounded down to `unit` but at least `unit`.
fn asked(flag: bool, v: i32, unit: u32) -> Option<u32> {
    let v = u32::try_from(v).ok().filter(|&v| flag && v > 0)?;
    Some((v & !(unit - 1)).max(unit))
}

impl MountParams {
    /// What `nfs_decode_args` makes of `a` for a new mount: defaults,
    /// then the caller's values where its flags say so, within limits.
    /// An unknown socket type is EINVAL (NetBSD fails later, at
    /// `socreate`, with EPROTONOSUPPORT; we say it at once).
    pub fn decode(a: &RawArgs) -> KResult<MountParams> {
        let transport = match a.sotype {
            SOCK_STREAM => Transport::Tcp,
            SOCK_DGRAM => Transport::Udp,
            _ => return Err(Errno::EPROTONOSUPPORT),
        };
        let mut flags = a.flags;
        if transport == Transport::Tcp {
            flags &= !NFSMNT_NOCONN;
        }
        if flags & (NFSMNT_XLATECOOKIE | NFSMNT_NFSV3) == NFSMNT_XLATECOOKIE {
            flags &= !NFSMNT_XLATECOOKIE;
        }
        let has = |f: i32| flags & f != 0;
        let v3 = has(NFSMNT_NFSV3);
        let maxio = match (v3, transport) {
            (true, Transport::Udp) => MAXDGRAMDATA,
            (true, Transport::Tcp) => MAX_STREAM_IO,
            (false, _) => V2MAXDATA,
        };
        let timeo = match u64::try_from(a.timeo) {
            Ok(t) if has(NFSMNT_TIMEO) && t > 0 => {
                Duration::from_millis(t * 100).clamp(MIN_TIMEO, MAX_TIMEO)
            }
            _ => DEFAULT_TIMEO,
        };
        let retrans = match u32::try_from(a.retrans) {
            Ok(r) if has(NFSMNT_RETRANS) && r > 1 => r.min(MAXREXMIT),
            _ => DEFAULT_RETRANS,
        };
        let wsize = asked(has(NFSMNT_WSIZE), a.wsize, FABLKSIZE)
            .unwrap_or(DEFAULT_IOSIZE)
            .min(maxio);
        let rsize = asked(has(NFSMNT_RSIZE), a.rsize, FABLKSIZE)
            .unwrap_or(DEFAULT_IOSIZE)
            .min(maxio);
        let readdirsize = match asked(has(NFSMNT_READDIRSIZE), a.readdirsize, DIRFRAGSIZ) {
            Some(n) => n.min(DIRBLKSIZ),
            None if has(NFSMNT_RSIZE) => rsize,
            None => DEFAULT_READDIRSIZE,
        }
        .min(maxio);
        let within = |flag: i32, v: i32, lo: i32, hi: u32, default: u32| match u32::try_from(v) {
            Ok(x) if has(flag) && v >= lo && x <= hi => x,
            _ => default,
        };
        Ok(MountParams {
            v3,
            transport,
            soft: has(NFSMNT_SOFT),
            intr: has(NFSMNT_INT),
            noconn: has(NFSMNT_NOCONN),
            rdirplus: has(NFSMNT_RDIRPLUS),
            resvport: has(NFSMNT_RESVPORT),
            xlatecookie: has(NFSMNT_XLATECOOKIE),
            wsize,
            rsize,
            readdirsize,
            timeo,
            retrans,
            numgrps: within(NFSMNT_MAXGRPS, a.maxgrouplist, 0, MAXGRPS, MAXGRPS),
            readahead: within(
                NFSMNT_READAHEAD,
                a.readahead,
                0,
                MAXRAHEAD,
                DEFAULT_READAHEAD,
            ),
            deadthresh: within(NFSMNT_DEADTHRESH, a.deadthresh, 1, NEVERDEAD, NEVERDEAD),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct nfs_args` as NetBSD's `mount_nfs -T -3 -r 5000 -w 100000
    /// -t 7 -x 500` fills it (pointers made up).
    fn mount_nfs_args() -> Vec<u8> {
        let mut b = vec![0u8; f::SIZE];
        let put = |b: &mut Vec<u8>, field: netbsd_abi::Field, v: u64| {
            assert!(field.put(b, v));
        };
        put(&mut b, f::version, 3);
        put(&mut b, f::addr, 0x1000);
        put(&mut b, f::addrlen, 16);
        put(&mut b, f::sotype, SOCK_STREAM as u64);
        put(&mut b, f::fh, 0x2000);
        put(&mut b, f::fhsize, 28);
        let flags = NFSMNT_NFSV3 | NFSMNT_RSIZE | NFSMNT_WSIZE | NFSMNT_TIMEO | NFSMNT_RETRANS;
        put(&mut b, f::flags, (flags | NFSMNT_NOCONN) as u64);
        put(&mut b, f::rsize, 5000);
        put(&mut b, f::wsize, 100_000);
        put(&mut b, f::timeo, 7);
        put(&mut b, f::retrans, 500);
        put(&mut b, f::hostname, 0x3000);
        b
    }

    #[test]
    fn mount_nfs_arguments_decode_as_nfs_decode_args_does() {
        let raw = RawArgs::parse(&mount_nfs_args()).unwrap();
        assert_eq!(
            (raw.addr, raw.addrlen, raw.fh, raw.fhsize),
            (0x1000, 16, 0x2000, 28)
        );
        let p = MountParams::decode(&raw).unwrap();
        assert!(p.v3 && p.transport == Transport::Tcp);
        // NOCONN means nothing over TCP.
        assert!(!p.noconn);
        // 5000 rounds down to 4608; 100000 is taken (over NetBSD's
        // 64 KiB) rounded down to 99840.
        assert_eq!((p.rsize, p.wsize), (4608, 99840));
        // READDIR follows the read size when not given.
        assert_eq!(p.readdirsize, 4608);
        // 0.7 s is below NFS_MINTIMEO; 500 tries above NFS_MAXREXMIT.
        assert_eq!((p.timeo, p.retrans), (MIN_TIMEO, MAXREXMIT));
        assert_eq!((p.numgrps, p.readahead, p.deadthresh), (16, 2, 9));
    }

    #[test]
    fn defaults_and_udp_limits() {
        let mut b = mount_nfs_args();
        f::flags.put(&mut b, (NFSMNT_NFSV3 | NFSMNT_RSIZE) as u64);
        f::rsize.put(&mut b, 1 << 20);
        f::sotype.put(&mut b, SOCK_DGRAM as u64);
        let p = MountParams::decode(&RawArgs::parse(&b).unwrap()).unwrap();
        assert_eq!((p.rsize, p.wsize), (MAXDGRAMDATA, DEFAULT_IOSIZE));
        assert_eq!((p.timeo, p.retrans), (DEFAULT_TIMEO, DEFAULT_RETRANS));
        // Over TCP up to 1 MiB is taken (NetBSD stops at 64 KiB).
        f::sotype.put(&mut b, SOCK_STREAM as u64);
        f::rsize.put(&mut b, 1 << 21);
        let p = MountParams::decode(&RawArgs::parse(&b).unwrap()).unwrap();
        assert_eq!(p.rsize, MAX_STREAM_IO);
        f::flags.put(&mut b, 0);
        let v2 = MountParams::decode(&RawArgs::parse(&b).unwrap()).unwrap();
        assert_eq!((v2.v3, v2.rsize, v2.wsize), (false, V2MAXDATA, V2MAXDATA));
    }

    #[test]
    fn bad_arguments_get_nfs_mounts_errors() {
        let good = mount_nfs_args();
        assert_eq!(RawArgs::parse(&good[..f::SIZE - 1]), Err(Errno::EINVAL));
        let mut b = good.clone();
        f::version.put(&mut b, 2);
        assert_eq!(RawArgs::parse(&b), Err(Errno::EPROGMISMATCH));
        let mut b = good.clone();
        f::flags.put(&mut b, NFSMNT_KERB as u64);
        assert_eq!(RawArgs::parse(&b), Err(Errno::EPROGUNAVAIL));
        let mut b = good.clone();
        f::fhsize.put(&mut b, 65);
        assert_eq!(RawArgs::parse(&b), Err(Errno::EINVAL));
        let mut b = good;
        f::sotype.put(&mut b, 3);
        let raw = RawArgs::parse(&b).unwrap();
        assert_eq!(MountParams::decode(&raw), Err(Errno::EPROTONOSUPPORT));
    }
}
