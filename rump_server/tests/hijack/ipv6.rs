//! IPv6 under the hijack: an unmodified python3 opens a raw ICMPv6 socket
//! in the kernel, sets IPv6 options with Linux's numbers and reads the
//! control messages of `recvmsg` in Linux's layout.

use super::*;

/// A kernel with the IPv4 and IPv6 stacks (lo0 has ::1 at boot).
struct Inet6Server {
    child: Child,
    url: String,
}

impl Inet6Server {
    fn start(tag: &str) -> Inet6Server {
        let dir = tempdir(tag);
        let url = format!("unix://{}", dir.join("s").display());
        let child = Command::new(bin("rump_server"))
            .args([
                "-s",
                "-lrumpnet",
                "-lrumpnet_netinet",
                "-lrumpnet_netinet6",
                &url,
            ])
            .spawn()
            .unwrap();
        eventually("the server to answer", || Client::connect(&url).is_ok());
        Inet6Server { child, url }
    }

    fn python(&self, prog: &str) -> Output {
        Command::new("/usr/bin/python3")
            .args(["-c", prog])
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &self.url)
            .env("RUMPHIJACK", "socket=all")
            .output()
            .unwrap()
    }
}

impl Drop for Inet6Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Echo to ::1 on a raw ICMPv6 socket, whose `IPV6_V6ONLY` starts as
/// `net.inet6.ip6.v6only` (1) and may be cleared before a bind, as
/// NetBSD's answers; the reply's packet information
/// (destination ::1 on lo0, index 1) and hop limit (64) arrive as Linux's
/// `IPV6_PKTINFO` and `IPV6_HOPLIMIT` messages, and a short control
/// buffer says MSG_CTRUNC.
const PING6_CMSG: &str = r#"
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 9)
print("hops", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS))
print("recvpktinfo", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO))
print("v6only", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
print("v6only", s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
def reply(room):
    s.sendto(bytes([128, 0, 0, 0, 0, 9, 0, 1]), ("::1", 0))
    while True:
        data, anc, flags, addr = s.recvmsg(64, room)
        if data[0] == 129:
            return anc, flags, addr
anc, flags, addr = reply(socket.CMSG_SPACE(20) + socket.CMSG_SPACE(4))
print("from", addr[0], "ctrunc", bool(flags & socket.MSG_CTRUNC))
for level, ty, data in anc:
    if (level, ty) == (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO):
        print("pktinfo", socket.inet_ntop(socket.AF_INET6, data[:16]), struct.unpack("I", data[16:20])[0])
    elif (level, ty) == (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT):
        print("hoplimit", struct.unpack("i", data[:4])[0])
    else:
        print("other", level, ty)
anc, flags, addr = reply(socket.CMSG_SPACE(20) - 8)
print("short ctrunc", bool(flags & socket.MSG_CTRUNC), len(anc))
"#;

#[test]
fn python3_reads_ipv6_control_messages_in_linux_layout() {
    let k = Inet6Server::start("hj-ipv6-cmsg");
    let o = k.python(PING6_CMSG);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "hops 9\nrecvpktinfo 1\nv6only 1\nv6only 0\nfrom ::1 ctrunc False\n\
         pktinfo ::1 1\nhoplimit 64\nshort ctrunc True 0\n"
    );
}

/// A control message the kernel cannot take (descriptors) is refused with
/// EOPNOTSUPP before anything is sent, and a malformed one with EINVAL.
#[test]
fn python3_sendmsg_with_untranslatable_control_is_refused() {
    let k = Inet6Server::start("hj-ipv6-sendctl");
    let prog = r#"
import socket, array, errno
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
fds = array.array("i", [0])
try:
    s.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)], 0, ("::1", 9))
except OSError as e:
    print("refused", e.errno == errno.EOPNOTSUPP)
"#;
    let o = k.python(prog);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "refused True\n");
}

/// ICMPv6 types a raw socket reads after an echo to ::1 (its own request
/// comes back on lo0 beside the reply), with Linux's `ICMP6_FILTER`
/// (option 1; a set bit blocks a type) set before: none, only echo
/// replies passed, only echo requests passed; the filter read back as it
/// was set, and a 4-byte one that changes the first 32 types only.
const ICMP6_FILTER_PROG: &str = r#"
import socket, select
ICMP6_FILTER = 1
def linux_filter(passed):
    bits = [0xffffffff] * 8
    for t in passed:
        bits[t >> 5] &= ~(1 << (t & 31))
    return b"".join(b.to_bytes(4, "little") for b in bits)
def types(f):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    if f is not None:
        s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, f)
        print("same", s.getsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, 32) == f)
    s.sendto(bytes([128, 0, 0, 0, 0, 7, 0, 1]), ("::1", 0))
    seen = []
    while select.select([s], [], [], 0.5)[0]:
        seen.append(s.recv(64)[0])
    s.close()
    return seen
print("none", types(None))
print("replies", types(linux_filter([129])))
print("requests", types(linux_filter([128])))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, linux_filter([129]))
s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, bytes(4))
got = s.getsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, 32)
print("short", got[:4].hex(), got[16:].hex())
print("cut", len(s.getsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, 8)))
"#;

#[test]
fn python3_icmp6_filter_in_linux_meaning() {
    let k = Inet6Server::start("hj-icmp6-filter");
    let o = k.python(ICMP6_FILTER_PROG);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "none [128, 129]\nsame True\nreplies [129]\nsame True\nrequests [128]\n\
         short 00000000 fdffffffffffffffffffffffffffffff\ncut 8\n"
    );
}
