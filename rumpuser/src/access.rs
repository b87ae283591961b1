//! What the server learns from the host about who connects: a unix-domain
//! client's host credentials (`SO_PEERCRED`) and groups, a TCP client's
//! address, the server's own user, and shared key files.

use crate::sock::HostStream;
use std::ffi::CStr;
use std::os::fd::AsRawFd;

/// The host identity of the process at the other end of a unix-domain
/// connection, as the host's kernel recorded it at `connect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    /// Host process id.
    pub pid: i32,
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
}

/// Longest key file read: a key is a secret, not a document.
pub const MAX_KEY_FILE: u64 = 4096;

impl HostStream {
    /// The connecting process's credentials (unix-domain connections only).
    pub fn peer_cred(&self) -> std::io::Result<PeerCred> {
        let HostStream::Unix(s) = self else {
            return Err(std::io::Error::from_raw_os_error(libc::ENOTSUP));
        };
        let mut c = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: `c` and `len` are valid for writes of the sizes given, and
        // the descriptor is the stream's, open for the call's duration.
        let r = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut c as *mut libc::ucred).cast(),
                &mut len,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(PeerCred {
            pid: c.pid,
            uid: c.uid,
            gid: c.gid,
        })
    }

    /// Who is at the other end, for the console: a TCP client's address,
    /// or a unix-domain client's host pid and uid.
    pub fn peer_description(&self) -> String {
        match self {
            HostStream::Tcp(s) => match s.peer_addr() {
                Ok(a) => a.to_string(),
                Err(_) => "an unknown TCP peer".into(),
            },
            HostStream::Unix(_) => match self.peer_cred() {
                Ok(c) => format!("host pid {} uid {}", c.pid, c.uid),
                Err(_) => "an unknown local peer".into(),
            },
        }
    }
}

/// The host's effective user id of the server.
pub fn host_euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The host groups of user `uid` whose primary group is `gid`, as the
/// host's group database lists them (`getgrouplist`), `gid` first. A user
/// the database does not know has `gid` alone.
pub fn host_groups(uid: u32, gid: u32) -> std::io::Result<Vec<u32>> {
    let Some(name) = user_name(uid)? else {
        return Ok(vec![gid]);
    };
    let mut n: libc::c_int = 32;
    loop {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let want = n;
        // SAFETY: `name` is a NUL-terminated string and `groups` holds `n`
        // entries, the count getgrouplist is told it may write.
        let r = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
        if r >= 0 {
            groups.truncate(n.max(0) as usize);
            return Ok(groups);
        }
        // Too small: `n` now says how many there are.
        if n <= want {
            n = want.saturating_mul(2);
        }
        if n > 65536 {
            return Err(std::io::Error::from_raw_os_error(libc::E2BIG));
        }
    }
}

/// The login name of host user `uid`, if the user database has one.
fn user_name(uid: u32) -> std::io::Result<Option<std::ffi::CString>> {
    let mut buf = vec![0 as libc::c_char; 1024];
    loop {
        // SAFETY: passwd is plain data; an all-zero value is valid.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call: `pw` and `found` on
        // the stack, `buf` for `buf.len()` bytes.
        let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut found) };
        if r == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if r != 0 {
            return Err(std::io::Error::from_raw_os_error(r));
        }
        if found.is_null() || pw.pw_name.is_null() {
            return Ok(None);
        }
        // SAFETY: on success pw_name points to a NUL-terminated string in
        // `buf`, which outlives this borrow.
        return Ok(Some(unsafe { CStr::from_ptr(pw.pw_name) }.to_owned()));
    }
}

/// Read the shared key in the file at `path`. The file must be a regular
/// file that only its owner may read or write (as ssh asks of a private
/// key): a key others can read proves nothing. One trailing newline is
/// not part of the key, so that `echo secret > file` makes a key file.
pub fn read_key_file(path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let mut f = std::fs::File::open(path)
        .map_err(|e| format!("key file {path}: {}", crate::strerror(&e)))?;
    let meta = f
        .metadata()
        .map_err(|e| format!("key file {path}: {}", crate::strerror(&e)))?;
    if !meta.is_file() {
        return Err(format!("key file {path}: not a regular file"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "key file {path}: mode {mode:04o} lets others read or change it: chmod 600 it"
        ));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(format!(
            "key file {path}: {} bytes, more than a key's {MAX_KEY_FILE}",
            meta.len()
        ));
    }
    let mut key = Vec::new();
    f.by_ref()
        .take(MAX_KEY_FILE + 1)
        .read_to_end(&mut key)
        .map_err(|e| format!("key file {path}: {}", crate::strerror(&e)))?;
    if key.last() == Some(&b'\n') {
        key.pop();
    }
    if key.is_empty() {
        return Err(format!("key file {path}: empty"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_files_must_be_private() {
        let dir = std::env::temp_dir().join(format!("rumpuser-key-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("key");
        let ps = p.to_str().unwrap();
        std::fs::write(&p, "secret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_key_file(ps).unwrap_err().contains("mode 0644"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_key_file(ps).unwrap(), b"secret");
        std::fs::write(&p, "\n").unwrap();
        assert!(read_key_file(ps).unwrap_err().contains("empty"));
        assert!(read_key_file(dir.to_str().unwrap()).is_err());
        assert!(
            read_key_file(dir.join("none").to_str().unwrap())
                .unwrap_err()
                .contains("No such file")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn groups_of_root_include_its_group() {
        let g = host_groups(0, 0).unwrap();
        assert!(g.contains(&0), "{g:?}");
        // A uid the database does not know keeps its one group.
        assert_eq!(host_groups(4_000_000_123, 77).unwrap(), [77]);
    }
}
