//! The `net.inet6.ip6` sysctl nodes whose meaning the stack has
//! (`sysctl_net_inet6_ip6_setup` in NetBSD's `ip6_input.c`).

use crate::inet6::Inet6;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;
/// `PF_INET6`, and `IPPROTO_IPV6` as the `ip6` node's number.
const PF_INET6: i32 = netbsd_abi::PF_INET6;
const IPPROTO_IPV6: i32 = netbsd_abi::IPPROTO_IPV6;
use netbsd_abi::{
    IPV6CTL_ACCEPT_RTADV, IPV6CTL_DAD_COUNT, IPV6CTL_DEFHLIM, IPV6CTL_FORWARDING, IPV6CTL_V6ONLY,
};
use std::sync::atomic::AtomicBool;

type Read = Box<dyn Fn(&Inet6) -> i32 + Send + Sync>;
type Write = Box<dyn Fn(&Inet6, &Kernel, i32) -> KResult<()> + Send + Sync>;

fn int_node(
    k: &Kernel,
    inet: &Arc<Inet6>,
    num: i32,
    name: &str,
    desc: &str,
    read: Read,
    write: Write,
) -> KResult<()> {
    int_node_in(k, "net.inet6.ip6", inet, (num, name, desc), read, write)
}

/// `ICMPV6CTL_REDIRACCEPT` and `ICMPV6CTL_REDIRTIMEOUT`
/// (`netinet/icmp6.h`, not in the ABI tables).
const ICMPV6CTL_REDIRACCEPT: i32 = 2;
const ICMPV6CTL_REDIRTIMEOUT: i32 = 3;

/// An integer node under `parent`, named by (number, name,
/// description).
fn int_node_in(
    k: &Kernel,
    parent: &str,
    inet: &Arc<Inet6>,
    (num, name, desc): (i32, &str, &str),
    read: Read,
    write: Write,
) -> KResult<()> {
    let (ri, wi) = (Arc::downgrade(inet), Arc::downgrade(inet));
    let wk = k.weak();
    k.sysctl().create(
        parent,
        NodeSpec {
            num: Some(num),
            flags: CTLFLAG_READWRITE,
            data: NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(ri.upgrade().map_or(0, |i| read(&i)))),
                write: Some(Arc::new(move |v| match (v, wi.upgrade(), wk.upgrade()) {
                    (SysctlValue::Int(n), Some(i), Some(k)) => write(&i, &k, n),
                    _ => Err(Errno::EINVAL),
                })),
            },
            ..NodeSpec::value(name, SysctlValue::Int(0), desc)
        },
    )?;
    Ok(())
}

/// `net.inet6.icmp6` (numbered by its protocol) with the redirect
/// switches (`sysctl_net_inet6_icmp6_setup`).
fn register_icmp6(k: &Kernel, inet: &Arc<Inet6>) -> KResult<()> {
    k.sysctl().create(
        "net.inet6",
        NodeSpec {
            num: Some(netbsd_abi::IPPROTO_ICMPV6),
            ..NodeSpec::node("icmp6", "ICMPv6 related settings")
        },
    )?;
    int_node_in(
        k,
        "net.inet6.icmp6",
        inet,
        (
            ICMPV6CTL_REDIRACCEPT,
            "rediraccept",
            "Accept and process redirect messages",
        ),
        Box::new(|i| i32::from(i.rediraccept.load(Relaxed))),
        Box::new(|i, _, v| {
            i.rediraccept.store(v != 0, Relaxed);
            Ok(())
        }),
    )?;
    int_node_in(
        k,
        "net.inet6.icmp6",
        inet,
        (
            ICMPV6CTL_REDIRTIMEOUT,
            "redirtimeout",
            "Redirect generated route lifetime",
        ),
        Box::new(|i| i.redirtimeout.load(Relaxed)),
        Box::new(|i, _, v| {
            // icmp6_redirtimeout must not be negative.
            if v < 0 {
                return Err(Errno::EINVAL);
            }
            i.redirtimeout.store(v, Relaxed);
            Ok(())
        }),
    )?;
    crate::ndlists::register(k, inet)
}

/// `net.inet6.udp6.sendspace` and `recvspace`: a UDP socket of the IPv6
/// family's buffers (`udp6_sendspace`, `udp6_recvspace`).
pub(crate) const UDP6_SENDSPACE: usize = 9216;
pub(crate) const UDP6_RECVSPACE: usize = 42080;

/// Make `net.inet6.tcp6` and `net.inet6.udp6` (numbered by their
/// protocols, as NetBSD's `tcp6` and `udp6` setups do) with the
/// `pcblist` of the IPv6 family's sockets in each.
pub(crate) fn register_pcblists(
    k: &Kernel,
    inet4: &Arc<rumpnet_netinet::inet::Inet>,
) -> KResult<()> {
    let t = k.sysctl();
    let tcp = netbsd_abi::IPPROTO_TCP;
    let udp = netbsd_abi::IPPROTO_UDP;
    for (num, name, desc) in [
        (tcp, "tcp6", "TCPv6 related settings"),
        (udp, "udp6", "UDPv6 related settings"),
    ] {
        t.create(
            "net.inet6",
            NodeSpec {
                num: Some(num),
                ..NodeSpec::node(name, desc)
            },
        )?;
    }
    rumpnet_netinet::pcblist::register_lists(
        k,
        inet4,
        &[("net.inet6.tcp6", tcp as u8), ("net.inet6.udp6", udp as u8)],
        true,
    )
}

/// Make `net.inet6`, `net.inet6.ip6` and its nodes; `v6only` is what
/// `net.inet6.ip6.v6only` reads and sets.
pub(crate) fn register(k: &Kernel, inet: &Arc<Inet6>, v6only: &Arc<AtomicBool>) -> KResult<()> {
    let t = k.sysctl();
    t.create(
        "net",
        NodeSpec {
            num: Some(PF_INET6),
            ..NodeSpec::node("inet6", "PF_INET6 related settings")
        },
    )?;
    t.create(
        "net.inet6",
        NodeSpec {
            num: Some(IPPROTO_IPV6),
            ..NodeSpec::node("ip6", "IPv6 related settings")
        },
    )?;
    int_node(
        k,
        inet,
        IPV6CTL_FORWARDING,
        "forwarding",
        "Enable forwarding of INET6 datagrams",
        Box::new(|i| i32::from(i.forwarding.load(Relaxed))),
        Box::new(|i, _, v| {
            i.forwarding.store(v != 0, Relaxed);
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        IPV6CTL_DEFHLIM,
        "hlim",
        "Hop limit for an INET6 datagram",
        Box::new(|i| i32::from(i.hlim.load(Relaxed))),
        Box::new(|i, _, v| {
            // ip6_defhlim is an int NetBSD takes as it is; a hop limit is
            // a byte, so we refuse what does not fit one.
            let h = u8::try_from(v).map_err(|_| Errno::EINVAL)?;
            i.hlim.store(h, Relaxed);
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        IPV6CTL_ACCEPT_RTADV,
        "accept_rtadv",
        "Accept router advertisements",
        Box::new(|i| i32::from(i.accept_rtadv.load(Relaxed))),
        Box::new(|i, _, v| {
            let was = i.accept_rtadv.swap(v != 0, Relaxed);
            if v != 0 && !was {
                i.rtadv_enabled();
            }
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        IPV6CTL_DAD_COUNT,
        "dad_count",
        "Number of Duplicate Address Detection probes to send",
        Box::new(|i| i.dad_count.load(Relaxed)),
        Box::new(|i, _, v| {
            i.dad_count.store(v, Relaxed);
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        netbsd_abi::IPV6CTL_MAXFRAGPACKETS,
        "maxfragpackets",
        "Maximum number of fragments to buffer for reassembly",
        Box::new(|i| i.max_fragpackets.load(Relaxed)),
        Box::new(|i, _, v| {
            i.max_fragpackets.store(v, Relaxed);
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        netbsd_abi::IPV6CTL_MAXFRAGS,
        "maxfrags",
        "Maximum fragments in reassembly queue",
        Box::new(|i| i.max_frags.load(Relaxed)),
        Box::new(|i, _, v| {
            i.max_frags.store(v, Relaxed);
            Ok(())
        }),
    )?;
    int_node(
        k,
        inet,
        netbsd_abi::IPV6CTL_SENDREDIRECTS,
        "redirect",
        "Enable sending of ICMPv6 redirect messages",
        Box::new(|i| i32::from(i.sendredirects.load(Relaxed))),
        Box::new(|i, _, v| {
            i.sendredirects.store(v != 0, Relaxed);
            Ok(())
        }),
    )?;
    register_icmp6(k, inet)?;
    let (r, w) = (Arc::clone(v6only), Arc::clone(v6only));
    int_node(
        k,
        inet,
        IPV6CTL_V6ONLY,
        "v6only",
        "Disallow PF_INET6 sockets from connecting to PF_INET sockets",
        Box::new(move |_| i32::from(r.load(Relaxed))),
        Box::new(move |_, _, v| {
            w.store(v != 0, Relaxed);
            Ok(())
        }),
    )?;
    Ok(())
}
