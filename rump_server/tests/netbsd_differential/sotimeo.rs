//! Socket timeouts as NetBSD keeps them: a C client linked with NetBSD's
//! own librumpclient sets `SO_SNDTIMEO`, `SO_RCVTIMEO` and their old
//! `COMPAT_50` numbers to timeouts that do not fall on a clock tick, that
//! are negative, whose microseconds are a million or more, or that pass
//! `INT_MAX` ticks, and prints the errno and what reads back under both
//! numbers; NetBSD's kernel and ours must print the same.

use super::*;
use netbsd_abi::SO_SNDTIMEO;
use netbsd_abi::layout::timeval;

/// `SO_OSNDTIMEO`, `SO_ORCVTIMEO` (`compat/sys/socket.h`), which
/// `rumpdefs.h` does not carry.
const SO_OSNDTIMEO: i32 = 0x1005;
const SO_ORCVTIMEO: i32 = 0x1006;

/// Sets each option to each timeout and prints the answer. NetBSD's
/// `struct timeval` (64-bit seconds, `int` microseconds) is laid out by
/// the offsets the test passes, as the host's differs; `struct timeval50`
/// is two `long`s.
const CLIENT: &str = r#"
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

struct tv50 { long s; long us; };

static int old_of(int opt) {
    return opt == RUMP_SO_SNDTIMEO || opt == NB_SO_OSNDTIMEO ? NB_SO_OSNDTIMEO : NB_SO_ORCVTIMEO;
}
static int new_of(int opt) {
    return opt == RUMP_SO_SNDTIMEO || opt == NB_SO_OSNDTIMEO ? RUMP_SO_SNDTIMEO : RUMP_SO_RCVTIMEO;
}

static void one(int fd, int opt, long s, long us) {
    unsigned char tv[NB_TIMEVAL_SIZE];
    struct tv50 t50 = { s, us };
    int32_t us32 = (int32_t)us;
    int64_t s64 = s;
    int r;
    memset(tv, 0, sizeof tv);
    memcpy(tv + NB_TV_SEC_OFF, &s64, sizeof s64);
    memcpy(tv + NB_TV_USEC_OFF, &us32, sizeof us32);
    if (opt == new_of(opt))
        r = rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, opt, tv, sizeof tv);
    else
        r = rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, opt, &t50, sizeof t50);
    printf("%#x %ld %ld: %d errno %d;", opt, s, us, r, r < 0 ? errno : 0);
    socklen_t l = sizeof tv;
    memset(tv, 0, sizeof tv);
    r = rump_sys_getsockopt(fd, RUMP_SOL_SOCKET, new_of(opt), tv, &l);
    memcpy(&s64, tv + NB_TV_SEC_OFF, sizeof s64);
    memcpy(&us32, tv + NB_TV_USEC_OFF, sizeof us32);
    printf(" get %d len %u: %lld %d;", r, (unsigned)l, (long long)s64, us32);
    l = sizeof t50;
    memset(&t50, 0, sizeof t50);
    r = rump_sys_getsockopt(fd, RUMP_SOL_SOCKET, old_of(opt), &t50, &l);
    printf(" old %d len %u: %ld %ld\n", r, (unsigned)l, t50.s, t50.us);
    memset(tv, 0, sizeof tv);
    rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, new_of(opt), tv, sizeof tv);
}

int main(void) {
    static const long cases[][2] = {
        {7, 123456}, {0, 1}, {0, 15000}, {0, 999999}, {-1, 0}, {0, -1},
        {0, -20000}, {-5, -500000}, {1, 1000000}, {1, 2500000},
        {0, 2147483647L}, {0, -2147483647L - 1}, {21474836, 470000},
        {21474836, 480000}, {21474837, 0}, {-21474837, 0},
        {-21474836, -480000}, {-21474836, -490000}, {-4294967296L, 0},
        {0, 4294967296L + 7},
    };
    static const int opts[] = { RUMP_SO_SNDTIMEO, RUMP_SO_RCVTIMEO, NB_SO_OSNDTIMEO, NB_SO_ORCVTIMEO };
    if (rumpclient_init() != 0) { perror("rumpclient_init"); return 1; }
    int fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    for (unsigned o = 0; o < sizeof opts / sizeof opts[0]; o++)
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
            one(fd, opts[o], cases[i][0], cases[i][1]);
    /* The wrong size is EINVAL under every number. */
    char big[24] = { 0 };
    for (unsigned o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        int r = rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, opts[o], big, sizeof big);
        printf("%#x 24 bytes: %d errno %d\n", opts[o], r, r < 0 ? errno : 0);
    }
    return 0;
}
"#;

/// The `-D` flags that give [`CLIENT`] the numbers `rumpdefs.h` lacks.
fn defines() -> Vec<String> {
    [
        ("NB_SO_OSNDTIMEO", SO_OSNDTIMEO as usize),
        ("NB_SO_ORCVTIMEO", SO_ORCVTIMEO as usize),
        ("NB_TIMEVAL_SIZE", timeval::SIZE),
        ("NB_TV_SEC_OFF", timeval::tv_sec.offset),
        ("NB_TV_USEC_OFF", timeval::tv_usec.offset),
    ]
    .iter()
    .map(|(k, v)| format!("-D{k}={v}"))
    .collect()
}

/// NetBSD's kernel and ours answer every timeout under all four numbers
/// alike: ticks of 10 ms, EDOM only past `INT_MAX` ticks.
#[test]
fn socket_timeouts_answer_as_netbsds_kernel() {
    let Some(peer) = peer_or_skip("sotimeo") else {
        return;
    };
    let (theirs, ours) = start_pair(&peer, &[]);
    let mut flags = cc::netbsd_client_flags(&peer);
    flags.extend(defines());
    let exe = cc::compile_text("sotimeo", CLIENT, &theirs.dir, &flags);
    let run = |side: &Side| {
        let o = Command::new(&exe)
            .env("RUMP_SERVER", &side.url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {o:?}", side.name);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (want, got) = (run(&theirs), run(&ours));
    // The client must have asked something: one line per case and number.
    assert!(want.lines().count() > 80, "{want}");
    assert_eq!(got, want);
    // Both numbers are the same timeout: SO_SNDTIMEO is set and read back.
    assert!(
        want.contains(&format!("{SO_SNDTIMEO:#x} 7 123456: 0 errno 0;")),
        "{want}"
    );
}
