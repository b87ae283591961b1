//! A private network namespace with a tap device, for the tests that
//! meet Linux's own stack.

use std::process::Command;

/// A private network namespace with a tap device `virt0` at 10.77.0.1/24,
/// removed (device and all) when dropped.
pub struct TapNs {
    name: String,
}

impl TapNs {
    /// Make it (the test needs root and /dev/net/tun).
    pub fn new() -> TapNs {
        let name = format!("rumptap{}", std::process::id());
        let ns = TapNs { name };
        for args in [
            &["netns", "add", &ns.name][..],
            &["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"],
            &[
                "netns", "exec", &ns.name, "ip", "tuntap", "add", "dev", "virt0", "mode", "tap",
            ],
            &[
                "netns",
                "exec",
                &ns.name,
                "ip",
                "addr",
                "add",
                "10.77.0.1/24",
                "dev",
                "virt0",
            ],
            &[
                "netns", "exec", &ns.name, "ip", "link", "set", "virt0", "up",
            ],
        ] {
            let st = Command::new("ip").args(args).status().unwrap();
            assert!(
                st.success(),
                "ip {args:?} (the tap test needs root and /dev/net/tun)"
            );
        }
        ns
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, prog: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, prog]);
        c
    }
}

impl Drop for TapNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}
