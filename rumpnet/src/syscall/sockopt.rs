//! Socket options: `setsockopt` and `getsockopt`, the `SOL_SOCKET` level
//! kept here and the others passed to the protocol.

use super::{Calls, with_sock};
use crate::socket::*;
use netbsd_abi::layout::timeval;
use netbsd_abi::{SYS_getsockopt, SYS_setsockopt};
use rump::syscall::args::{arg_int, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult};
use std::time::Duration;

pub(super) const CALLS: Calls = &[
    (SYS_setsockopt, "setsockopt", sys_setsockopt),
    (SYS_getsockopt, "getsockopt", sys_getsockopt),
];

/// Longest option value.
const MAX_OPT: usize = 1024;

/// `SB_MAX` (`sys/socketvar.h`): the default of `kern.sbmax`, the most a
/// socket buffer may hold, mbufs included.
const SB_MAX: usize = 256 * 1024;
/// `MCLBYTES` and `MSIZE` (amd64's `machine/param.h`): a cluster and the
/// mbuf that carries it.
const MCLBYTES: usize = 2048;
const MSIZE: usize = 512;
/// `sb_max_adj` (`uipc_socket2.c` `sb_max_set`): the largest buffer
/// `sbreserve` grants, `SB_MAX` less the mbufs' share; 209715 bytes.
const SB_MAX_ADJ: usize = SB_MAX * MCLBYTES / (MSIZE + MCLBYTES);

/// `SO_OSNDTIMEO` and `SO_ORCVTIMEO` (`compat/sys/socket.h`): the numbers
/// `SO_SNDTIMEO` and `SO_RCVTIMEO` had before NetBSD 5.0's 64-bit
/// `time_t`; NetBSD's kernel still takes them (`COMPAT_50`), with a
/// `struct timeval50`.
const SO_OSNDTIMEO: i32 = 0x1005;
const SO_ORCVTIMEO: i32 = 0x1006;

/// `struct timeval50` (`compat/sys/time_types.h`): two `long`s, 16 bytes
/// on amd64, whose microseconds `timeval50_to_timeval` narrows to
/// `suseconds_t` (an `int`).
mod timeval50 {
    /// `tv_sec`, a `long`.
    pub const TV_SEC: std::ops::Range<usize> = 0..8;
    /// `tv_usec`, a `long`.
    pub const TV_USEC: std::ops::Range<usize> = 8..16;
    /// `sizeof(struct timeval50)`.
    pub const SIZE: usize = 16;
}

/// The `struct timeval` a `struct timeval50` stands for
/// (`timeval50_to_timeval`); `sockopt_get` wants its exact size (EINVAL).
fn timeval50_in(v: &[u8]) -> KResult<Vec<u8>> {
    if v.len() != timeval50::SIZE {
        return Err(Errno::EINVAL);
    }
    let long = |r: std::ops::Range<usize>| i64::from_le_bytes(v[r].try_into().unwrap_or_default());
    let mut tv = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut tv, long(timeval50::TV_SEC) as u64);
    timeval::tv_usec.put(&mut tv, u64::from(long(timeval50::TV_USEC) as i32 as u32));
    Ok(tv)
}

/// `hz` of NetBSD's rump kernel (`kern.clockrate`): the timeouts are kept
/// in ticks of this clock.
const HZ: i32 = 100;
/// `tick`: microseconds a clock tick lasts.
const TICK_US: i32 = 1_000_000 / HZ;

/// A timeout read back as `struct timeval50` (`timeval_to_timeval50` of
/// what `sogetopt1` makes of the ticks).
fn timeval50_out(ticks: i32) -> Vec<u8> {
    let (sec, usec) = ticks_to_timeval(ticks);
    let mut v = vec![0u8; timeval50::SIZE];
    v[timeval50::TV_SEC].copy_from_slice(&sec.to_le_bytes());
    v[timeval50::TV_USEC].copy_from_slice(&i64::from(usec).to_le_bytes());
    v
}

/// A `struct timeval` timeout as clock ticks, as `sosetopt1` computes it
/// in C's `int`: EDOM only past `INT_MAX` ticks; negative seconds and
/// microseconds outside 0..1000000 are taken as they are, the tick count
/// wrapping to 32 bits; a nonzero timeout shorter than a tick is one tick.
fn timeval_in(v: &[u8]) -> KResult<i32> {
    if v.len() != timeval::SIZE {
        return Err(Errno::EINVAL);
    }
    let sec = timeval::tv_sec.get(v).unwrap_or_default() as i64;
    // tv_usec is a suseconds_t, an int.
    let usec = timeval::tv_usec.get(v).unwrap_or_default() as u32 as i32;
    let part = usec / TICK_US;
    if sec > i64::from(i32::MAX.wrapping_sub(part) / HZ) {
        return Err(Errno::EDOM);
    }
    let ticks = sec
        .wrapping_mul(i64::from(HZ))
        .wrapping_add(i64::from(part)) as i32;
    Ok(if ticks == 0 && usec != 0 { 1 } else { ticks })
}

/// Seconds and microseconds of `ticks`, as `sogetopt1` divides them.
fn ticks_to_timeval(ticks: i32) -> (i64, i32) {
    (i64::from(ticks / HZ), (ticks % HZ) * TICK_US)
}

/// The wait `ticks` give a blocked call: none for 0 (for ever); a
/// negative count is a deadline already past, as NetBSD's rump kernel's
/// `cv_timedwait` makes of it.
fn ticks_wait(ticks: i32) -> Option<Duration> {
    match ticks {
        0 => None,
        t if t < 0 => Some(Duration::ZERO),
        t => Some(Duration::from_micros(t as u64 * TICK_US as u64)),
    }
}

fn timeval_out(ticks: i32) -> Vec<u8> {
    let (sec, usec) = ticks_to_timeval(ticks);
    let mut v = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut v, sec as u64);
    timeval::tv_usec.put(&mut v, u64::from(usec as u32));
    v
}

fn int_in(v: &[u8]) -> KResult<i32> {
    Ok(i32::from_le_bytes(
        v.get(..4)
            .ok_or(Errno::EINVAL)?
            .try_into()
            .unwrap_or_default(),
    ))
}

/// `setsockopt(2)`.
pub fn setsockopt(s: &Socket, level: i32, name: i32, v: &[u8]) -> KResult<()> {
    if level != SOL_SOCKET {
        return s.proto().setopt(level, name, v);
    }
    // The old numbers are the new options with the old structure.
    let compat;
    let (name, v) = match name {
        SO_OSNDTIMEO | SO_ORCVTIMEO => {
            compat = timeval50_in(v)?;
            let name = if name == SO_OSNDTIMEO {
                SO_SNDTIMEO
            } else {
                SO_RCVTIMEO
            };
            (name, compat.as_slice())
        }
        _ => (name, v),
    };
    {
        let mut o = rump::sync::lock(&s.proto().shared().opts);
        let flag = |v: &[u8]| int_in(v).map(|i| i != 0);
        match name {
            SO_REUSEADDR => o.reuseaddr = flag(v)?,
            SO_REUSEPORT => o.reuseport = flag(v)?,
            SO_KEEPALIVE => o.keepalive = flag(v)?,
            SO_BROADCAST => o.broadcast = flag(v)?,
            SO_DONTROUTE => o.dontroute = flag(v)?,
            SO_OOBINLINE => o.oobinline = flag(v)?,
            SO_DEBUG => o.debug = flag(v)?,
            SO_TIMESTAMP => o.timestamp = flag(v)?,
            SO_NOSIGPIPE => o.nosigpipe = flag(v)?,
            SO_USELOOPBACK => {
                flag(v)?;
            }
            SO_LINGER => {
                let on = int_in(v)?;
                let secs = int_in(v.get(4..).ok_or(Errno::EINVAL)?)?;
                o.linger = (on != 0).then_some(secs.max(0));
            }
            SO_SNDBUF | SO_RCVBUF | SO_SNDLOWAT | SO_RCVLOWAT => {
                let n = usize::try_from(int_in(v)?)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(Errno::EINVAL)?;
                // sbreserve refuses more than sb_max_adj with ENOBUFS.
                if matches!(name, SO_SNDBUF | SO_RCVBUF) && n > SB_MAX_ADJ {
                    return Err(Errno::ENOBUFS);
                }
                // sbreserve keeps the low water mark within the buffer.
                match name {
                    SO_SNDBUF => {
                        (o.sndbuf, o.snd_autosize) = (n, false);
                        o.sndlowat = o.sndlowat.min(n);
                    }
                    SO_RCVBUF => {
                        (o.rcvbuf, o.rcv_autosize) = (n, false);
                        o.rcvlowat = o.rcvlowat.min(n);
                    }
                    SO_SNDLOWAT => o.sndlowat = n.min(o.sndbuf),
                    _ => o.rcvlowat = n.min(o.rcvbuf),
                }
            }
            SO_SNDTIMEO => {
                o.sndtimeo_ticks = timeval_in(v)?;
                o.sndtimeo = ticks_wait(o.sndtimeo_ticks);
            }
            SO_RCVTIMEO => {
                o.rcvtimeo_ticks = timeval_in(v)?;
                o.rcvtimeo = ticks_wait(o.rcvtimeo_ticks);
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
    }
    // Tell the protocol; most do not care.
    match s.proto().setopt(level, name, v) {
        Err(Errno::ENOPROTOOPT) => Ok(()),
        r => r,
    }
}

/// `getsockopt(2)`.
pub fn getsockopt(s: &Socket, level: i32, name: i32) -> KResult<Vec<u8>> {
    if level != SOL_SOCKET {
        return s.proto().getopt(level, name);
    }
    let o = s.proto().shared().opts();
    let i = |v: i32| v.to_le_bytes().to_vec();
    let b = |v: bool| i(if v { name } else { 0 });
    Ok(match name {
        SO_REUSEADDR => b(o.reuseaddr),
        SO_REUSEPORT => b(o.reuseport),
        SO_KEEPALIVE => b(o.keepalive),
        SO_BROADCAST => b(o.broadcast),
        SO_DONTROUTE => b(o.dontroute),
        SO_OOBINLINE => b(o.oobinline),
        SO_DEBUG => b(o.debug),
        SO_TIMESTAMP => b(o.timestamp),
        SO_NOSIGPIPE => b(o.nosigpipe),
        SO_USELOOPBACK => b(false),
        SO_ACCEPTCONN => b(s.proto().is_listening()),
        SO_LINGER => {
            let mut v = i(i32::from(o.linger.is_some()));
            v.extend_from_slice(&o.linger.unwrap_or(0).to_le_bytes());
            v
        }
        SO_SNDBUF => i(o.sndbuf as i32),
        SO_RCVBUF => i(o.rcvbuf as i32),
        SO_SNDLOWAT => i(o.sndlowat as i32),
        SO_RCVLOWAT => i(o.rcvlowat as i32),
        SO_SNDTIMEO => timeval_out(o.sndtimeo_ticks),
        SO_RCVTIMEO => timeval_out(o.rcvtimeo_ticks),
        SO_OSNDTIMEO => timeval50_out(o.sndtimeo_ticks),
        SO_ORCVTIMEO => timeval50_out(o.rcvtimeo_ticks),
        SO_TYPE => i(s.proto().kind().1),
        SO_ERROR => i(s.proto().take_error()),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

fn sys_setsockopt(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = a[4] as usize;
    if len > MAX_OPT {
        return Err(Errno::EINVAL);
    }
    let v = if a[3] != 0 {
        copyin_vec(us, a[3], len)?
    } else {
        Vec::new()
    };
    with_sock(ctx, arg_int(a, 0), |s| {
        setsockopt(s, arg_int(a, 1), arg_int(a, 2), &v)
    })?;
    ret(0)
}

fn sys_getsockopt(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let v = with_sock(ctx, arg_int(a, 0), |s| {
        getsockopt(s, arg_int(a, 1), arg_int(a, 2))
    })?;
    if a[3] != 0 && a[4] != 0 {
        let have = u32::from_le_bytes(copyin_array::<4>(us, a[4])?) as usize;
        let n = have.min(v.len());
        us.copyout(a[3], &v[..n])?;
        us.copyout(a[4], &(n as u32).to_le_bytes())?;
    }
    ret(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    /// A `struct timeval50` as an old binary lays it out.
    fn tv50(sec: i64, usec: i64) -> Vec<u8> {
        [sec, usec].iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn the_compat_timeout_numbers_set_and_read_the_timeouts_as_timeval50() {
        let (k, _) = boot();
        let ctx = k.enter().unwrap();
        let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
        setsockopt(&a, SOL_SOCKET, SO_OSNDTIMEO, &tv50(3, 500_000)).unwrap();
        assert_eq!(
            getsockopt(&a, SOL_SOCKET, SO_SNDTIMEO),
            Ok(timeval_out(350))
        );
        assert_eq!(
            getsockopt(&a, SOL_SOCKET, SO_OSNDTIMEO),
            Ok(tv50(3, 500_000))
        );
        // The receive side is apart; timeval50_to_timeval keeps the low
        // 32 bits of the microseconds, 7 of them, which make a tick.
        assert_eq!(getsockopt(&a, SOL_SOCKET, SO_ORCVTIMEO), Ok(tv50(0, 0)));
        setsockopt(&a, SOL_SOCKET, SO_ORCVTIMEO, &tv50(0, (1 << 32) + 7)).unwrap();
        assert_eq!(
            getsockopt(&a, SOL_SOCKET, SO_ORCVTIMEO),
            Ok(tv50(0, 10_000))
        );
        // A new-style setting reads back through the old number too.
        set_timeout(&a, SO_RCVTIMEO, Duration::from_secs(9));
        assert_eq!(getsockopt(&a, SOL_SOCKET, SO_ORCVTIMEO), Ok(tv50(9, 0)));
        // sockopt_get wants the structure's size exactly.
        for bad in [&tv50(1, 0)[..8], &[0u8; 24][..]] {
            assert_eq!(
                setsockopt(&a, SOL_SOCKET, SO_ORCVTIMEO, bad),
                Err(Errno::EINVAL)
            );
        }
    }

    /// A `struct timeval` as a NetBSD binary lays it out.
    fn tv(sec: i64, usec: i32) -> Vec<u8> {
        let mut v = vec![0u8; timeval::SIZE];
        timeval::tv_sec.put(&mut v, sec as u64);
        timeval::tv_usec.put(&mut v, u64::from(usec as u32));
        v
    }

    /// Seconds and microseconds of a `struct timeval`.
    type Tv = (i64, i32);

    /// What NetBSD's rump kernel (7.99.34) answered a C client of its
    /// librumpclient for each `(sec, usec)` set: EDOM, or what reads back.
    const NETBSD_ANSWERS: &[(Tv, Result<Tv, Errno>)] = &[
        ((7, 123_456), Ok((7, 120_000))),
        ((0, 1), Ok((0, 10_000))),
        ((0, 15_000), Ok((0, 10_000))),
        ((0, 999_999), Ok((0, 990_000))),
        ((-1, 0), Ok((-1, 0))),
        ((0, -1), Ok((0, 10_000))),
        ((0, -20_000), Err(Errno::EDOM)),
        ((-5, -500_000), Err(Errno::EDOM)),
        ((1, 1_000_000), Ok((2, 0))),
        ((1, 2_500_000), Ok((3, 500_000))),
        ((0, i32::MAX), Ok((2147, 480_000))),
        ((0, i32::MIN), Err(Errno::EDOM)),
        ((21_474_836, 470_000), Ok((21_474_836, 470_000))),
        ((21_474_836, 480_000), Err(Errno::EDOM)),
        ((21_474_837, 0), Err(Errno::EDOM)),
        ((42_949_673, 5), Err(Errno::EDOM)),
        ((-21_474_837, 0), Ok((21_474_835, 960_000))),
        ((-21_474_836, -480_000), Ok((-21_474_836, -480_000))),
        ((-21_474_836, -490_000), Ok((21_474_836, 470_000))),
        ((-(1 << 32), 0), Ok((0, 0))),
        ((i64::MIN, 0), Ok((0, 0))),
    ];

    #[test]
    fn timeouts_are_kept_in_ticks_as_netbsd_keeps_them_under_all_four_numbers() {
        let (k, _) = boot();
        let ctx = k.enter().unwrap();
        let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
        for set in [SO_SNDTIMEO, SO_RCVTIMEO, SO_OSNDTIMEO, SO_ORCVTIMEO] {
            let (new, old) = match set {
                SO_SNDTIMEO | SO_OSNDTIMEO => (SO_SNDTIMEO, SO_OSNDTIMEO),
                _ => (SO_RCVTIMEO, SO_ORCVTIMEO),
            };
            for &((sec, usec), want) in NETBSD_ANSWERS {
                let v = if set == new {
                    tv(sec, usec)
                } else {
                    tv50(sec, i64::from(usec))
                };
                let got = setsockopt(&a, SOL_SOCKET, set, &v).map(|()| {
                    let back = getsockopt(&a, SOL_SOCKET, new).unwrap();
                    assert_eq!(
                        getsockopt(&a, SOL_SOCKET, old),
                        Ok(tv50(
                            timeval::tv_sec.get(&back).unwrap() as i64,
                            i64::from(timeval::tv_usec.get(&back).unwrap() as u32 as i32)
                        ))
                    );
                    (
                        timeval::tv_sec.get(&back).unwrap() as i64,
                        timeval::tv_usec.get(&back).unwrap() as u32 as i32,
                    )
                });
                assert_eq!(got, want, "option {set:#x} set to {sec} s {usec} us");
                setsockopt(&a, SOL_SOCKET, new, &tv(0, 0)).unwrap();
            }
        }
    }

    #[test]
    fn the_wait_follows_the_ticks() {
        assert_eq!(ticks_wait(0), None);
        assert_eq!(ticks_wait(712), Some(Duration::from_millis(7120)));
        // A negative count times out at once, as cv_timedwait's past
        // deadline does.
        assert_eq!(ticks_wait(-100), Some(Duration::ZERO));
        let (k, _) = boot();
        let ctx = k.enter().unwrap();
        let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
        setsockopt(&a, SOL_SOCKET, SO_RCVTIMEO, &tv(-1, 0)).unwrap();
        let o = rump::sync::lock(&a.proto().shared().opts);
        assert_eq!((o.rcvtimeo_ticks, o.rcvtimeo), (-HZ, Some(Duration::ZERO)));
    }

    #[test]
    fn a_timeval_of_the_wrong_size_is_einval() {
        let (k, _) = boot();
        let ctx = k.enter().unwrap();
        let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
        for bad in [&tv(1, 0)[..8], &[0u8; 24][..]] {
            assert_eq!(
                setsockopt(&a, SOL_SOCKET, SO_SNDTIMEO, bad),
                Err(Errno::EINVAL)
            );
        }
    }
}
