//! Interface ioctls on any socket (NetBSD's `ifioctl`): flags, MTU,
//! metric, counters, cloning, link strings and the interface list. Address
//! commands go to the socket's protocol family.

use crate::ifnet::{IFNAMSIZ, Ifnet, ifname};
use crate::net::Net;
use crate::socket::Socket;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `SIOCSIFFLAGS`.
pub const SIOCSIFFLAGS: u64 = netbsd_abi::SIOCSIFFLAGS;
/// `SIOCGIFFLAGS`.
pub const SIOCGIFFLAGS: u64 = netbsd_abi::SIOCGIFFLAGS;
/// `SIOCGIFMETRIC`.
pub const SIOCGIFMETRIC: u64 = netbsd_abi::SIOCGIFMETRIC;
/// `SIOCSIFMETRIC`.
pub const SIOCSIFMETRIC: u64 = netbsd_abi::SIOCSIFMETRIC;
/// `SIOCGIFMTU`.
pub const SIOCGIFMTU: u64 = netbsd_abi::SIOCGIFMTU;
/// `SIOCSIFMTU`.
pub const SIOCSIFMTU: u64 = netbsd_abi::SIOCSIFMTU;
/// `SIOCGIFCONF`.
pub const SIOCGIFCONF: u64 = netbsd_abi::SIOCGIFCONF;
/// `SIOCIFCREATE`.
pub const SIOCIFCREATE: u64 = netbsd_abi::SIOCIFCREATE;
/// `SIOCIFDESTROY`.
pub const SIOCIFDESTROY: u64 = netbsd_abi::SIOCIFDESTROY;
/// `SIOCIFGCLONERS`.
pub const SIOCIFGCLONERS: u64 = netbsd_abi::SIOCIFGCLONERS;
/// `SIOCGIFDATA`.
pub const SIOCGIFDATA: u64 = netbsd_abi::SIOCGIFDATA;
/// `SIOCZIFDATA`.
pub const SIOCZIFDATA: u64 = netbsd_abi::SIOCZIFDATA;
/// `SIOCGIFINDEX`.
pub const SIOCGIFINDEX: u64 = netbsd_abi::SIOCGIFINDEX;
/// `SIOCGLINKSTR`.
pub const SIOCGLINKSTR: u64 = netbsd_abi::SIOCGLINKSTR;
/// `SIOCSLINKSTR`.
pub const SIOCSLINKSTR: u64 = netbsd_abi::SIOCSLINKSTR;
/// `SIOCGIFDLT`.
pub const SIOCGIFDLT: u64 = netbsd_abi::SIOCGIFDLT;

/// `IFLINKSTR_QUERYLEN` and `IFLINKSTR_UNSET` (`ifd_cmd` bits).
pub const IFLINKSTR_QUERYLEN: u64 = 0x01;
/// Clear the link string.
pub const IFLINKSTR_UNSET: u64 = 0x02;

/// `sizeof(struct ifreq)`: every `SIOCGIFCONF` entry has this size.
pub const IFREQ_SIZE: usize = netbsd_abi::layout::ifreq::SIZE;
/// `AF_LINK`.
pub const AF_LINK: u8 = netbsd_abi::AF_LINK as u8;
/// Longest link string.
const LINKSTR_MAX: usize = 1024;
/// `DLT_EN10MB`, `DLT_NULL`.
const DLT_EN10MB: i32 = 1;
const DLT_NULL: i32 = 0;

fn put32(data: &mut [u8], off: usize, v: u32) -> KResult<()> {
    data.get_mut(off..off + 4)
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(&v.to_le_bytes());
    Ok(())
}

fn get32(data: &[u8], off: usize) -> KResult<u32> {
    Ok(u32::from_le_bytes(
        data.get(off..off + 4)
            .ok_or(Errno::EINVAL)?
            .try_into()
            .unwrap_or_default(),
    ))
}

fn get64(data: &[u8], off: usize) -> KResult<u64> {
    Ok(u64::from_le_bytes(
        data.get(off..off + 8)
            .ok_or(Errno::EINVAL)?
            .try_into()
            .unwrap_or_default(),
    ))
}

fn require_root(ctx: &Ctx) -> KResult<()> {
    if ctx.cred().euid == 0 {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The interface's `sockaddr_dl` (`if_sadl`): index, type, name and address.
pub fn sockaddr_dl(ifp: &Ifnet) -> Vec<u8> {
    let name = ifp.name.as_bytes();
    let addr: &[u8] = if ifp.if_type() == crate::ifnet::IFT_ETHER {
        &ifp.hwaddr.0
    } else {
        &[]
    };
    // As if_alloc_sadl sizes it: the name and address, rounded up to a
    // long, and no larger (lo0's is 16 bytes).
    let len = (8 + name.len() + addr.len()).div_ceil(8) * 8;
    let mut sa = vec![0u8; len];
    sa[0] = len as u8;
    sa[1] = AF_LINK;
    sa[2..4].copy_from_slice(&ifp.index.to_le_bytes());
    sa[4] = ifp.if_type();
    sa[5] = name.len() as u8;
    sa[6] = addr.len() as u8;
    sa[8..8 + name.len()].copy_from_slice(name);
    sa[8 + name.len()..8 + name.len() + addr.len()].copy_from_slice(addr);
    sa
}

/// `struct if_data` of `ifp` (136 bytes, `netbsd-abi` offsets).
pub fn if_data(ifp: &Ifnet) -> [u8; 136] {
    use std::sync::atomic::Ordering::Relaxed;
    let mut d = [0u8; 136];
    d[0] = ifp.if_type();
    d[1] = if ifp.if_type() == crate::ifnet::IFT_ETHER {
        6
    } else {
        0
    };
    d[2] = if ifp.if_type() == crate::ifnet::IFT_ETHER {
        14
    } else {
        0
    };
    d[4..8].copy_from_slice(&i32::from(ifp.link_state()).to_le_bytes());
    let s = &ifp.stats;
    let vals = [
        (8, u64::from(ifp.mtu())),
        (16, ifp.metric() as u64),
        (24, 10_000_000),
        (32, s.ipackets.load(Relaxed)),
        (40, s.ierrors.load(Relaxed)),
        (48, s.opackets.load(Relaxed)),
        (56, s.oerrors.load(Relaxed)),
        (64, 0),
        (72, s.ibytes.load(Relaxed)),
        (80, s.obytes.load(Relaxed)),
        (88, s.imcasts.load(Relaxed)),
        (96, s.omcasts.load(Relaxed)),
        (104, s.iqdrops.load(Relaxed)),
        (112, s.noproto.load(Relaxed)),
    ];
    for (off, v) in vals {
        d[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    let t = ifp.lastchange();
    d[120..128].copy_from_slice(&(t.as_secs() as i64).to_le_bytes());
    d[128..136].copy_from_slice(&i64::from(t.subsec_nanos()).to_le_bytes());
    d
}

/// `SIOCGIFCONF`: one `ifreq` per address of every interface (its link
/// address first), or the space needed when the buffer is NULL.
fn ifconf(net: &Net, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
    let space = get32(data, 0)? as i32;
    let buf = get64(data, 8)?;
    let mut out = Vec::new();
    for ifp in net.interfaces() {
        let mut addrs = vec![sockaddr_dl(&ifp)];
        for d in net.domains() {
            addrs.extend(d.ifaddrs(&ifp));
        }
        for sa in addrs {
            let mut r = [0u8; IFREQ_SIZE];
            r[..ifp.name.len()].copy_from_slice(ifp.name.as_bytes());
            let n = sa.len().min(IFREQ_SIZE - IFNAMSIZ);
            r[IFNAMSIZ..IFNAMSIZ + n].copy_from_slice(&sa[..n]);
            out.extend_from_slice(&r);
        }
    }
    let len = if buf == 0 {
        out.len()
    } else {
        let fit = (usize::try_from(space).unwrap_or(0) / IFREQ_SIZE * IFREQ_SIZE).min(out.len());
        user.copyout(buf, &out[..fit])?;
        fit
    };
    put32(data, 0, len as u32)
}

/// `SIOCIFGCLONERS`: the cloner names, `IFNAMSIZ` bytes each.
fn clonenames(net: &Net, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
    let names = net.cloner_names();
    put32(data, 0, names.len() as u32)?;
    let count = get32(data, 4)? as usize;
    let buf = get64(data, 8)?;
    if buf != 0 {
        let mut out = Vec::new();
        for n in names.iter().take(count) {
            let mut b = [0u8; IFNAMSIZ];
            b[..n.len().min(IFNAMSIZ - 1)].copy_from_slice(&n.as_bytes()[..n.len().min(15)]);
            out.extend_from_slice(&b);
        }
        user.copyout(buf, &out)?;
    }
    Ok(())
}

/// `SIOCSLINKSTR`/`SIOCGLINKSTR` with a `struct ifdrv`.
fn linkstr(
    ctx: &Ctx,
    cmd: u64,
    ifp: &Arc<Ifnet>,
    data: &mut [u8],
    user: &dyn UserSpace,
) -> KResult<()> {
    let (dcmd, len, ptr) = (
        get64(data, 16)?,
        get64(data, 24)? as usize,
        get64(data, 32)?,
    );
    if cmd == SIOCSLINKSTR {
        require_root(ctx)?;
        if dcmd & IFLINKSTR_UNSET != 0 {
            return ifp.driver().set_linkstr(None);
        }
        if len == 0 || len > LINKSTR_MAX {
            return Err(Errno::EINVAL);
        }
        let raw = rump::usermem::copyin_vec(user, ptr, len)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        let s = std::str::from_utf8(&raw[..end]).map_err(|_| Errno::EINVAL)?;
        if s.is_empty() {
            return Err(Errno::EINVAL);
        }
        return ifp.driver().set_linkstr(Some(s));
    }
    let s = ifp.driver().linkstr()?.ok_or(Errno::ENOENT)?;
    let need = s.len() + 1;
    if dcmd & IFLINKSTR_QUERYLEN != 0 || len == 0 {
        data[24..32].copy_from_slice(&(need as u64).to_le_bytes());
        return Ok(());
    }
    if len < need {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut b = s.into_bytes();
    b.push(0);
    user.copyout(ptr, &b)?;
    data[24..32].copy_from_slice(&(need as u64).to_le_bytes());
    Ok(())
}

/// Interface ioctls on socket `s`; the rest go to the socket's family.
pub fn ifioctl(
    ctx: &Ctx,
    s: &Socket,
    cmd: u64,
    data: &mut [u8],
    user: &dyn UserSpace,
) -> KResult<()> {
    let net = Net::of(ctx.kernel());
    match cmd {
        SIOCGIFCONF => return ifconf(&net, data, user),
        SIOCIFGCLONERS => return clonenames(&net, data, user),
        SIOCIFCREATE => {
            require_root(ctx)?;
            return net.clone_create(ctx.kernel(), ifname(data)?).map(|_| ());
        }
        SIOCIFDESTROY => {
            require_root(ctx)?;
            return net.clone_destroy(ifname(data)?);
        }
        _ => {}
    }
    // Every other command starts with an interface name (ifreq, ifdrv,
    // in_aliasreq, ifdatareq): commands of other kinds were never ours.
    if data.len() < IFNAMSIZ {
        return Err(Errno::ENOTTY);
    }
    let ifp = net.ifunit(ifname(data)?).ok_or(Errno::ENXIO)?;
    match cmd {
        SIOCGIFFLAGS => {
            let f = (ifp.flags() & 0xffff) as u16;
            data[16..18].copy_from_slice(&f.to_le_bytes());
            Ok(())
        }
        SIOCSIFFLAGS => {
            require_root(ctx)?;
            let f = u16::from_le_bytes([data[16], data[17]]);
            net.set_flags(&ifp, u32::from(f))
        }
        SIOCGIFMTU => put32(data, 16, ifp.mtu()),
        SIOCSIFMTU => {
            require_root(ctx)?;
            let mtu = get32(data, 16)?;
            let max = if ifp.if_type() == crate::ifnet::IFT_ETHER {
                1500
            } else {
                65535
            };
            if !(68..=max).contains(&mtu) {
                return Err(Errno::EINVAL);
            }
            ifp.set_mtu(mtu);
            Ok(())
        }
        SIOCGIFMETRIC => put32(data, 16, ifp.metric() as u32),
        SIOCSIFMETRIC => {
            require_root(ctx)?;
            ifp.set_metric(get32(data, 16)? as i32);
            Ok(())
        }
        SIOCGIFINDEX => put32(data, 16, u32::from(ifp.index)),
        SIOCGIFDLT => put32(
            data,
            16,
            if ifp.if_type() == crate::ifnet::IFT_ETHER {
                DLT_EN10MB
            } else {
                DLT_NULL
            } as u32,
        ),
        SIOCGIFDATA => {
            data.get_mut(16..152)
                .ok_or(Errno::EINVAL)?
                .copy_from_slice(&if_data(&ifp));
            Ok(())
        }
        SIOCZIFDATA => {
            require_root(ctx)?;
            data.get_mut(16..152)
                .ok_or(Errno::EINVAL)?
                .copy_from_slice(&if_data(&ifp));
            ifp.zero_stats();
            Ok(())
        }
        SIOCGLINKSTR | SIOCSLINKSTR => linkstr(ctx, cmd, &ifp, data, user),
        netbsd_abi::SIOCGIFCAP => {
            use netbsd_abi::layout::ifcapreq;
            // No driver of ours offloads anything (checksums, TSO): none
            // offered, none enabled, as NetBSD's lo0 and shmif answer.
            let ok =
                ifcapreq::ifcr_capabilities.put(data, 0) && ifcapreq::ifcr_capenable.put(data, 0);
            if ok { Ok(()) } else { Err(Errno::EINVAL) }
        }
        netbsd_abi::SIOCSIFCAP => {
            require_root(ctx)?;
            // ifioctl_common: enabling what the interface does not offer
            // is EINVAL; enabling nothing is what it has already.
            let want = netbsd_abi::layout::ifcapreq::ifcr_capenable
                .get(data)
                .ok_or(Errno::EINVAL)?;
            if want != 0 {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        }
        _ => {
            let af = s.proto().kind().0;
            let d = u8::try_from(af)
                .ok()
                .and_then(|af| net.domain(af))
                .ok_or(Errno::EOPNOTSUPP)?;
            d.ifioctl(ctx, cmd, data, &ifp, user)
        }
    }
}
