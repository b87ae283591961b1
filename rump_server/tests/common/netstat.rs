//! `rump.netstat`'s socket lists as the tests check them against NetBSD's
//! usr.bin/netstat formats: `protoprhdr`/`ip6protoprhdr`'s heading,
//! `protopr0`/`ip6protopr0`'s rows, and the tool's lines with its rows in
//! an order that does not depend on the kernel's.

use super::*;

/// `protopr0`'s (and `ip6protopr0`'s) row with empty queues: TCP's ends in
/// its state.
pub fn netstat_row(proto: &str, local: &str, foreign: &str, state: Option<&str>) -> String {
    let line = format!("{proto:<5} {:>6} {:>6}  {local:<22} {foreign:<22}", 0, 0);
    match state {
        Some(s) => format!("{line} {s}"),
        None => line,
    }
}

/// The two heading lines of the IPv4 list (`State`) or, with `inet6`, of
/// the IPv6 one (`(state)`); `servers` when `-a` lists them too.
pub fn netstat_head(inet6: bool, servers: bool) -> Vec<String> {
    let (six, state) = if inet6 {
        ("6", "(state)")
    } else {
        ("", "State")
    };
    vec![
        format!(
            "Active Internet{six} connections{}",
            if servers { " (including servers)" } else { "" }
        ),
        format!("Proto Recv-Q Send-Q  Local Address          Foreign Address        {state}"),
    ]
}

/// What `rump.netstat args` prints against the server at `url`, run in
/// `dir`, which must succeed: its lines, those after the heading sorted.
pub fn netstat_lines(dir: &Path, url: &str, args: &[&str]) -> Vec<String> {
    let o = tool(dir, url, "rump.netstat", args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines.len() >= 2, "{text}");
    lines[2..].sort();
    lines
}

/// What [`netstat_lines`] must give for `rows`: the heading (see
/// [`netstat_head`]), then the rows sorted.
pub fn netstat_want(inet6: bool, servers: bool, rows: &[String]) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort();
    [netstat_head(inet6, servers), rows].concat()
}
