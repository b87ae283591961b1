//! The extended-attribute requests (`getxattr`, `listxattr`, `setxattr`,
//! `removexattr`): one [`XattrOp`] each, served by one helper that runs it
//! on the node's kernel path and answers the reply its request came with.

use crate::fs::P2k;
use crate::watchdog::Answer;
use fuser::{INodeNo, ReplyEmpty, ReplyXattr, Request};
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

/// What an extended-attribute request asks of node `ino`.
pub(crate) enum XattrOp<'a> {
    /// The value of attribute `name`, in at most `size` bytes (0: its size).
    Get {
        ino: INodeNo,
        name: &'a OsStr,
        size: u32,
    },
    /// The names of the attributes, in at most `size` bytes (0: their size).
    List { ino: INodeNo, size: u32 },
    /// Set attribute `name` to `value`; `flags` are `XATTR_CREATE` and
    /// `XATTR_REPLACE`, 1 and 2 on both systems (NetBSD's `sys/xattr.h`).
    Set {
        ino: INodeNo,
        name: &'a OsStr,
        value: &'a [u8],
        flags: i32,
        position: u32,
    },
    /// Remove attribute `name`.
    Remove { ino: INodeNo, name: &'a OsStr },
}

impl XattrOp<'_> {
    /// The request's name, as the watchdog and the debug lines give it.
    fn request(&self) -> &'static str {
        match self {
            XattrOp::Get { .. } => "getxattr",
            XattrOp::List { .. } => "listxattr",
            XattrOp::Set { .. } => "setxattr",
            XattrOp::Remove { .. } => "removexattr",
        }
    }

    /// The node the request is about.
    fn ino(&self) -> INodeNo {
        match *self {
            XattrOp::Get { ino, .. }
            | XattrOp::List { ino, .. }
            | XattrOp::Set { ino, .. }
            | XattrOp::Remove { ino, .. } => ino,
        }
    }

    /// The reply's buffer size (0 for the requests that answer nothing).
    fn size(&self) -> u32 {
        match *self {
            XattrOp::Get { size, .. } | XattrOp::List { size, .. } => size,
            XattrOp::Set { .. } | XattrOp::Remove { .. } => 0,
        }
    }

    /// Run the request in kernel `k` on the node's kernel path, which
    /// `path` looks up: the length the kernel gave and the bytes it wrote
    /// (none for set and remove).
    fn run(
        &self,
        k: &Kernel,
        path: impl FnOnce() -> Result<String, Errno>,
    ) -> Result<(usize, Vec<u8>), Errno> {
        // A position is macOS's resource forks only; refused before the
        // node is looked up.
        if let XattrOp::Set { position, .. } = *self
            && position != 0
        {
            return Err(Errno::EINVAL);
        }
        let path = path()?;
        let mut buf = vec![0; self.size() as usize];
        let n = match *self {
            XattrOp::Get { name, .. } => k.sys_lgetxattr(&path, name.as_bytes(), &mut buf)?,
            XattrOp::List { .. } => k.sys_llistxattr(&path, &mut buf)?,
            XattrOp::Set {
                name, value, flags, ..
            } => k
                .sys_lsetxattr(&path, name.as_bytes(), value, flags)
                .map(|()| 0)?,
            XattrOp::Remove { name, .. } => {
                k.sys_lremovexattr(&path, name.as_bytes()).map(|()| 0)?
            }
        };
        buf.truncate(n);
        Ok((n, buf))
    }
}

/// The request's details, as its debug line gives them.
impl fmt::Display for XattrOp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            XattrOp::Get { ino, name, size } => write!(f, "{} {name:?} size {size}", ino.0),
            XattrOp::List { ino, size } => write!(f, "{} size {size}", ino.0),
            XattrOp::Set {
                ino,
                name,
                value,
                flags,
                ..
            } => write!(
                f,
                "{} {name:?} size {} flags {flags:#x}",
                ino.0,
                value.len()
            ),
            XattrOp::Remove { ino, name } => write!(f, "{} {name:?}", ino.0),
        }
    }
}

/// The reply an extended-attribute request answers once the kernel has.
pub(crate) trait XattrAnswer: Answer {
    /// Answer a request of `size` bytes whose kernel call gave `n` and
    /// wrote `bytes`.
    fn answer(self, size: u32, n: usize, bytes: &[u8]);
}

/// `getxattr` and `listxattr`: the size alone when asked for it, ERANGE
/// when it does not fit.
impl XattrAnswer for ReplyXattr {
    fn answer(self, size: u32, n: usize, bytes: &[u8]) {
        if size == 0 {
            self.size(u32::try_from(n).unwrap_or(u32::MAX));
        } else if n > size as usize {
            self.error(fuser::Errno::ERANGE);
        } else {
            self.data(bytes);
        }
    }
}

/// `setxattr` and `removexattr`: done.
impl XattrAnswer for ReplyEmpty {
    fn answer(self, _size: u32, _n: usize, _bytes: &[u8]) {
        self.ok();
    }
}

impl P2k {
    /// Serve extended-attribute request `op`, answering `reply`.
    pub(crate) fn serve_xattr<R: XattrAnswer>(&self, req: &Request, op: XattrOp<'_>, reply: R) {
        let size = op.size();
        self.serve(
            req,
            op.request(),
            format_args!("{op}"),
            reply,
            || op.run(&self.k, || self.path(op.ino())),
            |r, (n, bytes)| r.answer(size, n, &bytes),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rump::{BootConfig, KernelBuilder};

    fn name() -> &'static OsStr {
        OsStr::new("user.a")
    }

    /// Each request's debug line is the one it had when each request built
    /// its own.
    #[test]
    fn each_request_names_itself_and_its_details() {
        let ino = INodeNo(7);
        let cases = [
            (XattrOp::List { ino, size: 64 }, "listxattr", "7 size 64"),
            (
                XattrOp::Get {
                    ino,
                    name: name(),
                    size: 0,
                },
                "getxattr",
                "7 \"user.a\" size 0",
            ),
            (
                XattrOp::Set {
                    ino,
                    name: name(),
                    value: b"abc",
                    flags: 2,
                    position: 0,
                },
                "setxattr",
                "7 \"user.a\" size 3 flags 0x2",
            ),
            (
                XattrOp::Remove { ino, name: name() },
                "removexattr",
                "7 \"user.a\"",
            ),
        ];
        for (op, request, details) in cases {
            assert_eq!((op.request(), op.to_string().as_str()), (request, details));
            assert_eq!(op.ino(), ino);
        }
    }

    /// Each request answers what the kernel's own call answers, a lookup's
    /// error passes through, and a resource-fork position is refused before
    /// the node is looked up.
    #[test]
    fn requests_answer_as_the_kernel_calls_do() {
        let k = KernelBuilder::new()
            .config(BootConfig::default())
            .component(&rumpvfs::COMPONENT)
            .boot()
            .unwrap();
        let fd = k
            .sys_open("/f", netbsd_abi::O_CREAT | netbsd_abi::O_RDWR, 0o644)
            .unwrap();
        k.sys_close(fd).unwrap();
        let ino = INodeNo(2);
        let file = || Ok("/f".to_owned());
        let a = name().as_bytes();
        let mut buf = [0u8; 16];
        let get = XattrOp::Get {
            ino,
            name: name(),
            size: 16,
        };
        assert_eq!(
            get.run(&k, file).map(|(n, _)| n),
            k.sys_lgetxattr("/f", a, &mut buf)
        );
        let list = XattrOp::List { ino, size: 16 };
        assert_eq!(
            list.run(&k, file).map(|(n, b)| (n, b.len())),
            k.sys_llistxattr("/f", &mut buf).map(|n| (n, n))
        );
        let set = |position| XattrOp::Set {
            ino,
            name: name(),
            value: b"v",
            flags: 0,
            position,
        };
        assert_eq!(
            set(0).run(&k, file).map(|_| ()),
            k.sys_lsetxattr("/f", a, b"v", 0)
        );
        let remove = XattrOp::Remove { ino, name: name() };
        assert_eq!(
            remove.run(&k, file).map(|_| ()),
            k.sys_lremovexattr("/f", a)
        );
        let gone = || Err(Errno::ENOENT);
        assert_eq!(remove.run(&k, gone).err(), Some(Errno::ENOENT));
        assert_eq!(set(1).run(&k, gone).err(), Some(Errno::EINVAL));
    }
}
