use crate::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The calls no rumpctrl tool makes, as a tiny client of NetBSD's own
/// librumpclient: IPv6 multicast options on a UDP socket with good and
/// bad values (ip6_setmoptions), and sendmsg with good and malformed
/// IPv6 control messages (ip6_setpktopts), one line per call with its
/// result and errno. lo0 (interface 1) is the only interface on both.
/// The option numbers come from `netbsd_abi`, put in as `#define`s.
const MCAST_CLIENT: &str = r#"
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int s;
static void report(const char *what, long r) {
    printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
}
static void setint(const char *what, int name, int v, int size) {
    report(what, rump_sys_setsockopt(s, P_IPV6, name, &v, size));
}
static void getint(const char *what, int name) {
    int v = -99; socklen_t l = sizeof v;
    long r = rump_sys_getsockopt(s, P_IPV6, name, &v, &l);
    printf("%s %ld %d %d\n", what, r, r < 0 ? errno : 0, v);
}
static void mreq(const char *what, int name, const char *g, unsigned idx, int size) {
    unsigned char m[20];
    inet_pton(AF_INET6, g, m);
    memcpy(m + 16, &idx, 4);
    report(what, rump_sys_setsockopt(s, P_IPV6, name, m, size));
}
/* sendmsg to [::1]:9 with one control message of type `type`, data
   `data` of `len` bytes, cmsg_len `clen` (0: the right one). */
static void sendc(const char *what, int type, const void *data, unsigned len, unsigned clen) {
    unsigned char sa[28], c[64];
    memset(sa, 0, 28); sa[0] = 28; sa[1] = RUMP_AF_INET6; sa[3] = 9;
    inet_pton(AF_INET6, "::1", sa + 8);
    memset(c, 0, sizeof c);
    unsigned l = clen ? clen : 16 + len, lvl = P_IPV6;
    memcpy(c, &l, 4); memcpy(c + 4, &lvl, 4); memcpy(c + 8, &type, 4);
    memcpy(c + 16, data, len);
    struct iovec iov = { "x", 1 };
    struct msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_name = sa; h.msg_namelen = 28; h.msg_iov = &iov; h.msg_iovlen = 1;
    h.msg_control = c; h.msg_controllen = ((16 + len + 7) / 8) * 8;
    if (clen == 1) h.msg_controllen = 8;
    report(what, rump_sys_sendmsg(s, (void *)&h, 0));
}

int main(void) {
    if (rumpclient_init() != 0) { perror("init"); return 2; }
    s = rump_sys_socket(RUMP_AF_INET6, RUMP_SOCK_DGRAM, 0);
    if (s < 0) { perror("socket"); return 1; }
    getint("hops-default", P_MCAST_HOPS);
    getint("loop-default", P_MCAST_LOOP);
    getint("if-default", P_MCAST_IF);
    setint("hops-256", P_MCAST_HOPS, 256, 4);
    setint("hops-minus-2", P_MCAST_HOPS, -2, 4);
    setint("hops-short", P_MCAST_HOPS, 5, 2);
    setint("hops-5", P_MCAST_HOPS, 5, 4);
    getint("hops", P_MCAST_HOPS);
    setint("hops-minus-1", P_MCAST_HOPS, -1, 4);
    getint("hops-again", P_MCAST_HOPS);
    setint("loop-2", P_MCAST_LOOP, 2, 4);
    setint("loop-0", P_MCAST_LOOP, 0, 4);
    getint("loop", P_MCAST_LOOP);
    setint("if-99", P_MCAST_IF, 99, 4);
    setint("if-1", P_MCAST_IF, 1, 4);
    getint("if", P_MCAST_IF);
    mreq("join-unicast", P_JOIN, "2001:db8::1", 1, 20);
    mreq("join-short", P_JOIN, "ff02::1234", 1, 19);
    mreq("join-if-99", P_JOIN, "ff02::1234", 99, 20);
    mreq("join", P_JOIN, "ff02::1234", 1, 20);
    mreq("join-twice", P_JOIN, "ff02::1234", 1, 20);
    mreq("leave-other", P_LEAVE, "ff02::5678", 0, 20);
    mreq("leave-if-99", P_LEAVE, "ff02::1234", 99, 20);
    mreq("leave", P_LEAVE, "ff02::1234", 0, 20);
    mreq("leave-again", P_LEAVE, "ff02::1234", 1, 20);
    mreq("join-site", P_JOIN, "ff05::1234", 1, 20);
    mreq("leave-site-if-0", P_LEAVE, "ff05::1234", 0, 20);
    int v = 5;
    sendc("hoplimit-5", P_HOPLIMIT, &v, 4, 0);
    v = 256;
    sendc("hoplimit-256", P_HOPLIMIT, &v, 4, 0);
    v = -2;
    sendc("tclass-minus-2", P_TCLASS, &v, 4, 0);
    v = 0x2e;
    sendc("tclass-2e", P_TCLASS, &v, 4, 0);
    sendc("hoplimit-short", P_HOPLIMIT, &v, 2, 0);
    sendc("hoplimit-past-end", P_HOPLIMIT, &v, 4, 60);
    sendc("control-8-bytes", P_HOPLIMIT, &v, 4, 1);
    unsigned char pi[20];
    memset(pi, 0, 20);
    inet_pton(AF_INET6, "::1", pi);
    sendc("pktinfo-lo", P_PKTINFO, pi, 20, 0);
    sendc("pktinfo-short", P_PKTINFO, pi, 16, 0);
    unsigned idx = 99;
    memcpy(pi + 16, &idx, 4);
    sendc("pktinfo-if-99", P_PKTINFO, pi, 20, 0);
    memset(pi + 16, 0, 4);
    inet_pton(AF_INET6, "2001:db8::77", pi);
    sendc("pktinfo-not-ours", P_PKTINFO, pi, 20, 0);
    return 0;
}
"#;

/// Build [`MCAST_CLIENT`] against the peer's librumpclient into `dir`.
fn build_client(peer: &Path, dir: &Path) -> PathBuf {
    let defines = [
        ("P_IPV6", netbsd_abi::IPPROTO_IPV6),
        ("P_MCAST_HOPS", netbsd_abi::IPV6_MULTICAST_HOPS),
        ("P_MCAST_LOOP", netbsd_abi::IPV6_MULTICAST_LOOP),
        ("P_MCAST_IF", netbsd_abi::IPV6_MULTICAST_IF),
        ("P_JOIN", netbsd_abi::IPV6_JOIN_GROUP),
        ("P_LEAVE", netbsd_abi::IPV6_LEAVE_GROUP),
        ("P_HOPLIMIT", netbsd_abi::IPV6_HOPLIMIT),
        ("P_TCLASS", netbsd_abi::IPV6_TCLASS),
        ("P_PKTINFO", netbsd_abi::IPV6_PKTINFO),
    ];
    let mut flags = cc::netbsd_client_flags(peer);
    flags.extend(defines.iter().map(|(name, v)| format!("-D{name}={v}")));
    cc::compile_text("mcast6", MCAST_CLIENT, dir, &flags)
}

/// NetBSD's kernel and ours answer the IPv6 multicast options and
/// sendmsg's IPv6 control messages alike, errno for errno.
#[test]
fn netbsd_and_ours_answer_ipv6_multicast_options_and_control_alike() {
    let Some(peer) = peer_or_skip("inet6_mcast") else {
        return;
    };
    let (theirs, ours) = start_pair(&peer, &[]);
    let exe = build_client(&peer, &theirs.dir);
    let run = |side: &Side| {
        let o = Command::new(&exe)
            .env("RUMP_SERVER", &side.url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {o:?}", side.name);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (want, got) = (run(&theirs), run(&ours));
    assert!(want.lines().count() > 30, "{want}");
    assert_eq!(got, want, "ours (left) and NetBSD's (right)");
}
