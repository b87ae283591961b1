//! What is wrong with an image, in words. A check of the on-disk format
//! fails with a [`Flaw`]: the errno the system call answers (NetBSD's for
//! the same failure, so callers see exactly what they saw before) and a
//! reason for the person who has to repair the image. The kernel prints
//! the reason on its console, `fsck_ffs` after "BAD SUPER BLOCK:" and
//! `newfs_ffs` as its complaint; the errno alone goes back to the caller.

use rump::Errno;
use std::borrow::Cow;
use std::fmt;

/// A failed check: the errno to return and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flaw {
    errno: Errno,
    reason: Cow<'static, str>,
}

impl Flaw {
    /// A flaw with a fixed reason.
    pub const fn new(errno: Errno, reason: &'static str) -> Flaw {
        Flaw {
            errno,
            reason: Cow::Borrowed(reason),
        }
    }

    /// A flaw whose reason names the values found.
    pub fn detailed(errno: Errno, reason: String) -> Flaw {
        Flaw {
            errno,
            reason: Cow::Owned(reason),
        }
    }

    /// An unusable superblock or file-system geometry (EINVAL, as
    /// NetBSD's `ffs_mountfs` answers for every one).
    pub fn invalid(reason: impl Into<Cow<'static, str>>) -> Flaw {
        Flaw {
            errno: Errno::EINVAL,
            reason: reason.into(),
        }
    }

    /// Damage met in a mounted file system: a group block, inode or
    /// directory that cannot be right (EIO).
    pub fn damaged(reason: impl Into<Cow<'static, str>>) -> Flaw {
        Flaw {
            errno: Errno::EIO,
            reason: reason.into(),
        }
    }

    /// The errno a system call answers.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// Why, in lower case words (as the kernel prints it).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The same flaw with `context` (where it was met) before the reason.
    pub fn within(self, context: &str) -> Flaw {
        Flaw::detailed(self.errno, format!("{context}: {}", self.reason))
    }

    /// The reason as NetBSD's `fsck_ffs` prints its findings: words in
    /// capitals, numbers (`0x1954`, `8192`) as they are.
    pub fn shouted(&self) -> String {
        self.reason
            .split(' ')
            .map(|w| {
                let bare = w.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
                if bare.starts_with(|c: char| c.is_ascii_digit()) {
                    w.to_string()
                } else {
                    w.to_uppercase()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Flaw {}

/// The errno alone, for callers that only return one.
impl From<Flaw> for Errno {
    fn from(f: Flaw) -> Errno {
        f.errno
    }
}

/// A failure that is not a flaw of the image (the device could not be
/// read or written): its reason is the errno's own text.
impl From<Errno> for Flaw {
    fn from(e: Errno) -> Flaw {
        Flaw::new(e, e.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_errno_and_says_why() {
        let f = Flaw::detailed(Errno::EINVAL, format!("bad magic number {:#x}", 0x1234));
        assert_eq!(Errno::from(f.clone()), Errno::EINVAL);
        assert_eq!(f.to_string(), "bad magic number 0x1234");
        assert_eq!(f.shouted(), "BAD MAGIC NUMBER 0x1234");
        let g = Flaw::damaged("mangled entry").within("bad dir ino 2 at offset 512");
        assert_eq!(g.errno(), Errno::EIO);
        assert_eq!(g.reason(), "bad dir ino 2 at offset 512: mangled entry");
        let io = Flaw::from(Errno::EIO);
        assert_eq!(
            (io.errno(), io.reason()),
            (Errno::EIO, "Input/output error")
        );
    }
}
