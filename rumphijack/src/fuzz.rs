//! One entry point for fuzzing what the hijack parses: `RUMPHIJACK` and
//! the descriptor map handed across exec (from the environment), and the
//! structures the server sends back (directory entries, `struct stat`,
//! `struct statvfs`, socket addresses, control messages). None may panic
//! on any input.
//! The cargo-fuzz target `hijack` calls it; a unit test runs it over
//! pseudo-random inputs.

use crate::config::Config;
use crate::route::{LowFds, route_path};
use crate::xlate;

/// Feed `data` to the parser its first byte picks.
pub fn parsers(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 7 {
        0 => {
            let s = String::from_utf8_lossy(rest);
            if let Ok(c) = Config::parse(&s) {
                // Route some paths with what was parsed.
                for p in [&b"/rump/x"[..], b"/", b"rel", rest] {
                    let _ = route_path(&c, pick & 0x80 != 0, p);
                }
            }
        }
        1 => {
            if let Some(m) = LowFds::decode(&String::from_utf8_lossy(rest), 512) {
                assert_eq!(LowFds::decode(&m.encode(), 512), Some(m));
            }
        }
        2 => {
            for d in xlate::parse_netbsd_dirents(rest) {
                let mut out = Vec::new();
                xlate::emit_linux_dirent64(d.ino, 0, d.dtype, &d.name, &mut out);
                assert_eq!(out.len(), xlate::linux_dirent64_len(d.name.len()));
            }
        }
        3 => {
            let _ = xlate::stat_from_netbsd(rest);
            let _ = xlate::statx_from_netbsd(rest, u32::MAX);
            let _ = xlate::statvfs_from_netbsd(rest);
            let _ = xlate::statfs_from_netbsd(rest);
            let _ = xlate::flock_from_netbsd(rest);
        }
        5 => {
            // Control messages both ways: what a program sends, and what
            // the kernel gives back in a buffer of any room.
            if let Ok(n) = xlate::control_to_netbsd(rest) {
                let (l, cut) = xlate::control_to_linux(&n, n.len());
                assert!(!cut);
                assert_eq!(xlate::control_to_netbsd(&l), Ok(n));
            }
            let (l, _) = xlate::control_to_linux(rest, usize::from(pick));
            assert!(l.len() <= usize::from(pick));
        }
        4 => {
            if let Some(l) = xlate::sockaddr_from_netbsd(rest) {
                let _ = xlate::sockaddr_to_netbsd(&l);
            }
        }
        _ => {
            if let Ok(n) = xlate::sockaddr_to_netbsd(rest) {
                let _ = xlate::sockaddr_from_netbsd(&n);
            }
            let word = i32::from_ne_bytes([
                rest.first().copied().unwrap_or(0),
                rest.get(1).copied().unwrap_or(0),
                rest.get(2).copied().unwrap_or(0),
                rest.get(3).copied().unwrap_or(0),
            ]);
            let _ = xlate::open_flags_to_netbsd(word);
            let _ = xlate::open_flags_to_linux(word);
            let _ = xlate::at_flags_to_netbsd(word);
            let _ = xlate::msg_flags_to_netbsd(word);
            let _ = xlate::socket_type_to_netbsd(word);
            let _ = xlate::errno_to_linux(word);
            let _ = xlate::poll_events_to_linux(word as i16);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_inputs_do_not_panic() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 300) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            super::parsers(&data);
        }
        // Readable specifiers, too.
        for s in [
            "\0path=/a,socket=all:noinet",
            "\0fdoff=7,blanket=/x:/y",
            "\x01 1:2,3:4",
        ] {
            super::parsers(s.as_bytes());
        }
    }
}
