//! The routing socket and the table dumps: messages a process writes to a
//! `PF_ROUTE` socket (route(8)'s and arp(8)'s requests), and the names a
//! process asks `sysctl` for below `net.route.rtable`, the `pcblist` nodes,
//! `kern.proc2` and `kern.file2`. Nothing may panic or hang.
//!
//! Input: byte 0 chooses (0: a routing message, the rest of the input;
//! 1: a sysctl name of little-endian ints, the rest), and the kernel is
//! booted afresh every few hundred inputs so that routes added do not pile
//! up.

use rump::Kernel;
use rumpnet::Net;
use std::sync::{Arc, Mutex};

/// Inputs one kernel takes before a fresh one boots.
const PER_KERNEL: u32 = 500;

fn kernel() -> Arc<Kernel> {
    static K: Mutex<Option<(Arc<Kernel>, u32)>> = Mutex::new(None);
    let mut g = K.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, n)) = g.as_mut()
        && *n < PER_KERNEL
    {
        *n += 1;
        return Arc::clone(k);
    }
    let k = crate::netinput::net_kernel();
    *g = Some((Arc::clone(&k), 0));
    k
}

/// One input.
pub fn route_socket(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let k = kernel();
    if mode & 1 == 0 {
        let Some(d) = Net::of(&k).domain(rumpnet::route::PF_ROUTE) else {
            return;
        };
        let _ = k.with_ctx(|ctx| {
            let s = d.socket(ctx, rumpnet::socket::SOCK_RAW, 0)?;
            let _ = s.send(ctx, rest, None, 0);
            let mut buf = [0u8; 2048];
            while s.recv(&mut buf, 0).is_ok_and(|r| r.len > 0) {}
            s.close();
            Ok(())
        });
    } else {
        // A name under one of the handler nodes, then what the input says.
        let prefixes = [
            "net.route.rtable",
            "kern.proc2",
            "kern.file2",
            "net.inet.tcp.pcblist",
            "net.inet.udp.pcblist",
            "net.inet.raw.pcblist",
            "net.local.stream.pcblist",
        ];
        let which = prefixes[usize::from(mode >> 1) % prefixes.len()];
        let Ok(mut name) = k.sysctl().name_to_mib(which) else {
            return;
        };
        name.extend(
            rest.chunks_exact(4)
                .take(8)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        name.truncate(netbsd_abi::CTL_MAXNAME as usize);
        let cap = rest.len() % 3 != 0;
        let _ = k.sys_sysctl(&name, cap.then_some(4096), None);
    }
}
