//! System calls made by number, with arguments in register slots and
//! pointers into a simulated address space, as the remote protocol makes them.

mod common;

use netbsd_abi::layout::modstat;
use rump::Errno;
use rump::usermem::BufferSpace;

const BASE: u64 = 0x10000;

// The ABI's values as the argument slots carry them.
const NOFILE: u64 = netbsd_abi::RLIMIT_NOFILE as u64;
const REALTIME: u64 = netbsd_abi::CLOCK_REALTIME as u64;
const MONOTONIC: u64 = netbsd_abi::CLOCK_MONOTONIC as u64;
const ABSTIME: u64 = netbsd_abi::TIMER_ABSTIME as u64;
const MODCTL_STAT: u64 = netbsd_abi::MODCTL_STAT as u64;
const MODCTL_UNLOAD: u64 = netbsd_abi::MODCTL_UNLOAD as u64;
const CTL_MAXNAME: u64 = netbsd_abi::CTL_MAXNAME as u64;

/// A sysctl name as the caller's `int` array.
fn mib(name: &[i32]) -> Vec<u8> {
    name.iter().flat_map(|n| n.to_le_bytes()).collect()
}

fn space() -> BufferSpace {
    BufferSpace::new(BASE, 64 << 10)
}

#[test]
fn getpid_and_credentials_by_number() {
    let k = common::boot();
    let us = space();
    assert_eq!(k.syscall(netbsd_abi::SYS_getpid, &[], &us).unwrap()[0], 1);
    assert_eq!(
        k.syscall(netbsd_abi::SYS_setuid, &[77], &us).unwrap(),
        [0, 0]
    ); // setuid(77) in rumplocal
    assert_eq!(
        k.syscall(netbsd_abi::SYS_getuid, &[], &us).unwrap(),
        [77, 77]
    ); // getuid: real, effective
    assert_eq!(
        k.syscall(netbsd_abi::SYS_setuid, &[0], &us).unwrap_err(),
        Errno::EPERM
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_setgroups, &[1, BASE], &us)
            .unwrap_err(),
        Errno::EPERM
    );
    // abi-literal: a number past the end of NetBSD's table.
    assert_eq!(k.syscall(999, &[], &us).unwrap_err(), Errno::ENOSYS);
    assert_eq!(
        k.syscall(netbsd_abi::SYS_open, &[], &us).unwrap_err(),
        Errno::ENOSYS,
        "open belongs to the VFS faction"
    );
}

#[test]
fn groups_by_number() {
    let k = common::boot();
    let us = space();
    us.poke(BASE, &[5, 0, 0, 0, 6, 0, 0, 0]);
    k.syscall(netbsd_abi::SYS_setgroups, &[2, BASE], &us)
        .unwrap();
    assert_eq!(
        k.syscall(netbsd_abi::SYS_getgroups, &[0, 0], &us).unwrap()[0],
        2
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_getgroups, &[1, BASE + 64], &us)
            .unwrap_err(),
        Errno::EINVAL
    );
    k.syscall(netbsd_abi::SYS_getgroups, &[2, BASE + 64], &us)
        .unwrap();
    assert_eq!(us.peek(BASE + 64, 8), [5, 0, 0, 0, 6, 0, 0, 0]);
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_setgroups,
            &[netbsd_abi::NGROUPS_MAX as u64 + 1, BASE],
            &us
        )
        .unwrap_err(),
        Errno::EINVAL
    );
}

#[test]
fn sysctl_by_number_reads_and_writes_hostname() {
    let k = common::boot();
    let us = space();
    us.poke(BASE, &mib(&[netbsd_abi::CTL_KERN, netbsd_abi::KERN_OSTYPE]));
    us.poke(BASE + 16, &64u64.to_le_bytes());
    k.syscall(
        netbsd_abi::SYS___sysctl,
        &[BASE, 2, BASE + 32, BASE + 16, 0, 0],
        &us,
    )
    .unwrap();
    assert_eq!(us.peek(BASE + 32, 7), b"NetBSD\0");
    assert_eq!(
        u64::from_le_bytes(us.peek(BASE + 16, 8).try_into().unwrap()),
        7
    );
    // Size query with a NULL oldp.
    us.poke(BASE + 16, &0u64.to_le_bytes());
    k.syscall(
        netbsd_abi::SYS___sysctl,
        &[BASE, 2, 0, BASE + 16, 0, 0],
        &us,
    )
    .unwrap();
    assert_eq!(
        u64::from_le_bytes(us.peek(BASE + 16, 8).try_into().unwrap()),
        7
    );
    // Write kern.hostname.
    us.poke(
        BASE,
        &mib(&[netbsd_abi::CTL_KERN, netbsd_abi::KERN_HOSTNAME]),
    );
    us.poke(BASE + 128, b"bynumber\0");
    k.syscall(
        netbsd_abi::SYS___sysctl,
        &[BASE, 2, 0, 0, BASE + 128, 9],
        &us,
    )
    .unwrap();
    assert_eq!(common::sysctl_string(&k, "kern.hostname"), "bynumber");
    // Bad pointers fault; overlong names are refused.
    assert_eq!(
        k.syscall(netbsd_abi::SYS___sysctl, &[8, 2, 0, 0, 0, 0], &us)
            .unwrap_err(),
        Errno::EFAULT
    );
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___sysctl,
            &[BASE, CTL_MAXNAME + 1, 0, 0, 0, 0],
            &us
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    // Only root writes.
    k.sys_setuid(5).unwrap();
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___sysctl,
            &[BASE, 2, 0, 0, BASE + 128, 9],
            &us
        )
        .unwrap_err(),
        Errno::EPERM
    );
}

#[test]
fn rlimits_by_number() {
    let k = common::boot();
    let us = space();
    k.syscall(netbsd_abi::SYS_getrlimit, &[NOFILE, BASE], &us)
        .unwrap();
    let cur = u64::from_le_bytes(us.peek(BASE, 8).try_into().unwrap());
    let max = u64::from_le_bytes(us.peek(BASE + 8, 8).try_into().unwrap());
    assert!(cur <= max && cur > 0);
    us.poke(BASE, &(max + 1).to_le_bytes());
    assert_eq!(
        k.syscall(netbsd_abi::SYS_setrlimit, &[NOFILE, BASE], &us)
            .unwrap_err(),
        Errno::EINVAL,
        "soft above hard"
    );
    us.poke(BASE, &16u64.to_le_bytes());
    k.syscall(netbsd_abi::SYS_setrlimit, &[NOFILE, BASE], &us)
        .unwrap();
    assert_eq!(k.sys_getrlimit(netbsd_abi::RLIMIT_NOFILE).unwrap().cur, 16);
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_getrlimit,
            &[netbsd_abi::RLIM_NLIMITS as u64, BASE],
            &us
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    // A non-root process may lower but not raise its hard limit.
    k.sys_setuid(9).unwrap();
    let l = k.sys_getrlimit(netbsd_abi::RLIMIT_NOFILE).unwrap();
    k.sys_setrlimit(
        netbsd_abi::RLIMIT_NOFILE,
        rump::resource::Rlimit {
            cur: 8,
            max: l.max - 1,
        },
    )
    .unwrap();
    assert_eq!(
        k.sys_setrlimit(
            netbsd_abi::RLIMIT_NOFILE,
            rump::resource::Rlimit { cur: 8, max: l.max }
        )
        .unwrap_err(),
        Errno::EPERM
    );
}

#[test]
fn clocks_and_sleep_by_number() {
    let k = common::boot();
    let us = space();
    k.syscall(netbsd_abi::SYS___clock_gettime50, &[MONOTONIC, BASE], &us)
        .unwrap();
    let t0 = i64::from_le_bytes(us.peek(BASE, 8).try_into().unwrap());
    k.syscall(netbsd_abi::SYS___clock_gettime50, &[REALTIME, BASE], &us)
        .unwrap();
    let wall = i64::from_le_bytes(us.peek(BASE, 8).try_into().unwrap());
    assert!(wall > 1_600_000_000);
    assert_eq!(
        k.syscall(netbsd_abi::SYS___clock_gettime50, &[77, BASE], &us)
            .unwrap_err(),
        Errno::EINVAL
    );
    let mut ts = Vec::new();
    ts.extend_from_slice(&0i64.to_le_bytes());
    ts.extend_from_slice(&20_000_000i64.to_le_bytes());
    us.poke(BASE + 64, &ts);
    let start = std::time::Instant::now();
    k.syscall(netbsd_abi::SYS___nanosleep50, &[BASE + 64, BASE + 96], &us)
        .unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    ts[8..].copy_from_slice(&1_000_000_000i64.to_le_bytes());
    us.poke(BASE + 64, &ts);
    assert_eq!(
        k.syscall(netbsd_abi::SYS___nanosleep50, &[BASE + 64, 0], &us)
            .unwrap_err(),
        Errno::EINVAL
    );
    let (s1, _) = k.sys_clock_gettime(netbsd_abi::CLOCK_MONOTONIC).unwrap();
    assert!(s1 >= t0);
}

#[test]
fn modctl_stat_by_number() {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let us = space();
    // iovec {base, len = 0}: learn the size needed.
    us.poke(BASE, &[0u8; 16]);
    us.poke(BASE, &(BASE + 256).to_le_bytes());
    k.syscall(netbsd_abi::SYS_modctl, &[MODCTL_STAT, BASE], &us)
        .unwrap();
    let need = u64::from_le_bytes(us.peek(BASE + 8, 8).try_into().unwrap()) as usize;
    assert_eq!(need, modstat::SIZE);
    us.poke(BASE + 8, &(need as u64).to_le_bytes());
    k.syscall(netbsd_abi::SYS_modctl, &[MODCTL_STAT, BASE], &us)
        .unwrap();
    let row = us.peek(BASE + 256, modstat::SIZE);
    assert_eq!(&row[..4], b"vfs\0");
    assert_eq!(
        modstat::ms_class.get(&row),
        Some(netbsd_abi::MODULE_CLASS_MISC as u64),
        "MODULE_CLASS_MISC"
    );
    // Unloading the faction: it has no fini, so EBUSY, as for NetBSD's builtins that refuse.
    us.poke(BASE + 1024, b"vfs\0");
    assert_eq!(
        k.syscall(netbsd_abi::SYS_modctl, &[MODCTL_UNLOAD, BASE + 1024], &us)
            .unwrap_err(),
        Errno::EBUSY
    );
    us.poke(BASE + 1024, b"nonesuch\0");
    assert_eq!(
        k.syscall(netbsd_abi::SYS_modctl, &[MODCTL_UNLOAD, BASE + 1024], &us)
            .unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_modctl, &[9, 0], &us).unwrap_err(),
        Errno::EINVAL
    );
}

#[test]
fn time_calls_by_number() {
    let k = common::boot();
    let us = space();
    let word = |at: u64| i64::from_le_bytes(us.peek(at, 8).try_into().unwrap());
    // __gettimeofday50(tv, tz): seconds and microseconds, a zero time zone.
    us.poke(BASE + 16, &[0xff; 8]);
    assert_eq!(
        k.syscall(netbsd_abi::SYS___gettimeofday50, &[BASE, BASE + 16], &us),
        Ok([0, 0])
    );
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((word(BASE) - host).abs() <= 2, "tv_sec {}", word(BASE));
    let usec = i32::from_le_bytes(us.peek(BASE + 8, 4).try_into().unwrap());
    assert!((0..1_000_000).contains(&usec));
    assert_eq!(us.peek(BASE + 16, 8), [0; 8]);
    assert_eq!(
        k.syscall(netbsd_abi::SYS___gettimeofday50, &[0, 0], &us),
        Ok([0, 0])
    );
    // __clock_getres50: one nanosecond for both clocks, EINVAL for others.
    for clock in [REALTIME, MONOTONIC] {
        assert_eq!(
            k.syscall(netbsd_abi::SYS___clock_getres50, &[clock, BASE + 32], &us),
            Ok([0, 0])
        );
        assert_eq!((word(BASE + 32), word(BASE + 40)), (0, 1));
    }
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___clock_getres50,
            &[netbsd_abi::CLOCK_VIRTUAL as u64, BASE + 32],
            &us
        ),
        Err(Errno::EINVAL)
    );
    // clock_nanosleep answers with its error as the value (NOERR).
    let ts = |s: i64, ns: i64| {
        let mut b = s.to_le_bytes().to_vec();
        b.extend_from_slice(&ns.to_le_bytes());
        b
    };
    us.poke(BASE + 64, &ts(0, 20_000_000));
    let t = std::time::Instant::now();
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_clock_nanosleep,
            &[MONOTONIC, 0, BASE + 64, BASE + 80],
            &us
        ),
        Ok([0, 0])
    );
    assert!(t.elapsed() >= std::time::Duration::from_millis(20));
    // TIMER_ABSTIME: until 30 ms from now on the monotonic clock; a time
    // gone by returns at once.
    k.syscall(
        netbsd_abi::SYS___clock_gettime50,
        &[MONOTONIC, BASE + 96],
        &us,
    )
    .unwrap();
    let (s, ns) = (word(BASE + 96), word(BASE + 104) + 30_000_000);
    us.poke(BASE + 64, &ts(s + ns / 1_000_000_000, ns % 1_000_000_000));
    let t = std::time::Instant::now();
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_clock_nanosleep,
            &[MONOTONIC, ABSTIME, BASE + 64, 0],
            &us
        ),
        Ok([0, 0])
    );
    assert!(t.elapsed() >= std::time::Duration::from_millis(25));
    us.poke(BASE + 64, &ts(1, 0));
    let t = std::time::Instant::now();
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_clock_nanosleep,
            &[MONOTONIC, ABSTIME, BASE + 64, 0],
            &us
        ),
        Ok([0, 0])
    );
    assert!(t.elapsed() < std::time::Duration::from_millis(100));
    us.poke(BASE + 64, &ts(0, 1_000_000_000));
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_clock_nanosleep,
            &[MONOTONIC, 0, BASE + 64, 0],
            &us
        ),
        Ok([Errno::EINVAL.0 as u64, 0])
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_clock_nanosleep, &[7, 0, BASE + 64, 0], &us),
        Ok([Errno::EINVAL.0 as u64, 0])
    );
}

#[test]
fn kern_arandom_gives_as_many_random_bytes_as_asked() {
    let k = common::boot();
    let mib = k.sysctl().name_to_mib("kern.arandom").unwrap();
    assert_eq!(mib, [netbsd_abi::CTL_KERN, netbsd_abi::KERN_ARND]);
    let a = k.sys_sysctl(&mib, Some(64), None).unwrap();
    assert_eq!(a.old.len(), 64);
    let b = k.sys_sysctl(&mib, Some(64), None).unwrap();
    assert_ne!(a.old, b.old, "two reads, the same 64 bytes");
    assert_eq!(k.sys_sysctl(&mib, Some(4), None).unwrap().old.len(), 4);
    let result = |name: &[i32], cap| k.sys_sysctl(name, Some(cap), None).unwrap().result;
    assert_eq!(result(&mib, 257), Err(Errno::E2BIG));
    assert_eq!(
        result(&[netbsd_abi::CTL_KERN, netbsd_abi::KERN_ARND, 5], 4),
        Err(Errno::ENOTDIR)
    );
}
