//! What a program image hands on to the next across `execve`, as NetBSD's
//! `rumpclient_exec` does: the connection's descriptor, left open, and the
//! server's URL, in the new program's environment. The C library
//! (`rumpclient_exec`) and the hijack (`execve`) both build that
//! environment here; the hijack adds variables of its own.

use std::ffi::{CStr, CString, c_char};
use std::os::fd::RawFd;

/// The variable naming the connection kept open across exec (NetBSD's
/// name; the value is the descriptor, then NetBSD's second field, the
/// "holy" descriptor, which we always hand on as -1).
pub const EXECFD_ENV: &str = "RUMPCLIENT__EXECFD";
/// The server's URL as the image before exec had it (NetBSD's name).
pub const PARSEDSERVER_ENV: &str = "RUMP__PARSEDSERVER";

/// The connection descriptor named by an [`EXECFD_ENV`] value
/// (`fd,holyfd`); `None` if the value is malformed or negative.
pub fn parse_exec_fd(value: &str) -> Option<RawFd> {
    let fd: RawFd = value.split(',').next()?.trim().parse().ok()?;
    (fd >= 0).then_some(fd)
}

/// The environment a program re-execs with: the program's own, less what
/// an earlier image handed on, plus what this image hands on.
#[derive(Debug)]
pub struct ExecEnv {
    /// Names whose entries in the program's environment do not go on.
    replaced: Vec<&'static str>,
    /// The `name=value` entries handed on.
    added: Vec<CString>,
}

impl ExecEnv {
    /// Hand on the connection `conn` to the server at `url`.
    pub fn new(conn: RawFd, url: &impl std::fmt::Display) -> ExecEnv {
        let mut env = ExecEnv {
            replaced: Vec::new(),
            added: Vec::new(),
        };
        env.hand_on(EXECFD_ENV, Some(&format!("{conn},-1")));
        env.hand_on(PARSEDSERVER_ENV, Some(&url.to_string()));
        env
    }

    /// Hand on `name=value` too, in place of any `name` the program has;
    /// with no value, only drop the program's `name` (what an earlier
    /// image handed on and this one does not).
    pub fn hand_on(&mut self, name: &'static str, value: Option<&str>) {
        self.replaced.push(name);
        // A value with a NUL cannot be in an environment; like the shell,
        // leave it out rather than cut it short.
        if let Some(entry) = value.and_then(|v| CString::new(format!("{name}={v}")).ok()) {
            self.added.push(entry);
        }
    }

    /// Whether the program's environment entry `entry` goes on unchanged.
    fn keeps(&self, entry: &[u8]) -> bool {
        !self
            .replaced
            .iter()
            .any(|n| entry.starts_with(n.as_bytes()) && entry.get(n.len()) == Some(&b'='))
    }

    /// The NULL-terminated array for `execve`, built on the program's
    /// environment `program`. Its pointers are into `program`'s strings and
    /// into `self`, which must both outlive the call it is passed to.
    pub fn pointers<'a>(
        &'a self,
        program: impl IntoIterator<Item = &'a CStr>,
    ) -> Vec<*const c_char> {
        let mut out: Vec<*const c_char> = program
            .into_iter()
            .filter(|s| self.keeps(s.to_bytes()))
            .map(CStr::as_ptr)
            .collect();
        out.extend(self.added.iter().map(|s| s.as_ptr()));
        out.push(std::ptr::null());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(env: &ExecEnv, program: &[&CStr]) -> Vec<String> {
        let ptrs = env.pointers(program.iter().copied());
        assert!(ptrs.last().unwrap().is_null());
        let added: Vec<&CStr> = env.added.iter().map(CString::as_c_str).collect();
        ptrs[..ptrs.len() - 1]
            .iter()
            .map(|&p| {
                let s = program
                    .iter()
                    .chain(added.iter())
                    .find(|s| s.as_ptr() == p)
                    .expect("a pointer into the program's or the added strings");
                s.to_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn hands_on_connection_and_url_in_place_of_the_earlier_images() {
        let env = ExecEnv::new(7, &"unix:///tmp/s");
        let program = [
            c"PATH=/bin",
            c"RUMPCLIENT__EXECFD=3,-1",
            c"RUMPCLIENT__EXECFDX=kept",
            c"RUMP__PARSEDSERVER=unix:///old",
            c"RUMP__PARSEDSERVER",
        ];
        assert_eq!(
            entries(&env, &program),
            [
                "PATH=/bin",
                "RUMPCLIENT__EXECFDX=kept",
                "RUMP__PARSEDSERVER",
                "RUMPCLIENT__EXECFD=7,-1",
                "RUMP__PARSEDSERVER=unix:///tmp/s",
            ]
        );
    }

    #[test]
    fn hand_on_without_value_only_withdraws() {
        let mut env = ExecEnv::new(5, &"tcp://10.0.0.1:1");
        env.hand_on("RUMPHIJACK__PWDINRUMP", None);
        env.hand_on("RUMPHIJACK__DUP2INFO", Some("0,1"));
        let program = [c"RUMPHIJACK__PWDINRUMP=true", c"HOME=/root"];
        assert_eq!(
            entries(&env, &program),
            [
                "HOME=/root",
                "RUMPCLIENT__EXECFD=5,-1",
                "RUMP__PARSEDSERVER=tcp://10.0.0.1:1",
                "RUMPHIJACK__DUP2INFO=0,1",
            ]
        );
    }

    #[test]
    fn a_url_with_a_nul_is_left_out() {
        let env = ExecEnv::new(5, &"unix://a\0b");
        assert_eq!(entries(&env, &[]), ["RUMPCLIENT__EXECFD=5,-1"]);
    }

    #[test]
    fn exec_fd_values() {
        assert_eq!(parse_exec_fd("7,-1"), Some(7));
        assert_eq!(parse_exec_fd(" 12 ,3"), Some(12));
        assert_eq!(parse_exec_fd("9"), Some(9));
        assert_eq!(parse_exec_fd("-1,-1"), None);
        assert_eq!(parse_exec_fd("x,1"), None);
        assert_eq!(parse_exec_fd(""), None);
    }
}
