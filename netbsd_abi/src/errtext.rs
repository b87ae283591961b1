//! What an [`Errno`] means in words (`strerror`), how it prints, and the
//! errno a host I/O error stands for.

use crate::errno::Errno;

impl std::fmt::Debug for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for Errno {}

impl Errno {
    /// A short human-readable description, as `strerror` would give.
    pub fn description(self) -> &'static str {
        match self {
            Errno::EPERM => "Operation not permitted",
            Errno::ENOENT => "No such file or directory",
            Errno::ESRCH => "No such process",
            Errno::EINTR => "Interrupted system call",
            Errno::EIO => "Input/output error",
            Errno::EBADF => "Bad file descriptor",
            Errno::ENOMEM => "Cannot allocate memory",
            Errno::EACCES => "Permission denied",
            Errno::EFAULT => "Bad address",
            Errno::EBUSY => "Device busy",
            Errno::EEXIST => "File exists",
            Errno::ENOTDIR => "Not a directory",
            Errno::EISDIR => "Is a directory",
            Errno::EINVAL => "Invalid argument",
            Errno::ENOSPC => "No space left on device",
            Errno::ERANGE => "Result too large",
            Errno::EAGAIN => "Resource temporarily unavailable",
            Errno::ENOTSUP => "Not supported",
            Errno::ENOSYS => "Function not implemented",
            Errno::EFTYPE => "Inappropriate file type or format",
            Errno::ENAMETOOLONG => "File name too long",
            Errno::ENOTEMPTY => "Directory not empty",
            Errno::EOPNOTSUPP => "Operation not supported",
            Errno::ENXIO => "Device not configured",
            Errno::E2BIG => "Argument list too long",
            Errno::ECHILD => "No child processes",
            Errno::EDEADLK => "Resource deadlock avoided",
            Errno::EXDEV => "Cross-device link",
            Errno::ENODEV => "Operation not supported by device",
            Errno::ENFILE => "Too many open files in system",
            Errno::EMFILE => "Too many open files",
            Errno::EFBIG => "File too large",
            Errno::ESPIPE => "Illegal seek",
            Errno::EROFS => "Read-only file system",
            Errno::EMLINK => "Too many links",
            Errno::EPIPE => "Broken pipe",
            Errno::ELOOP => "Too many levels of symbolic links",
            Errno::ENOTCONN => "Socket is not connected",
            Errno::ECONNREFUSED => "Connection refused",
            Errno::ECONNRESET => "Connection reset by peer",
            Errno::EADDRINUSE => "Address already in use",
            Errno::ETIMEDOUT => "Operation timed out",
            Errno::ENOTSOCK => "Socket operation on non-socket",
            Errno::ENOPROTOOPT => "Protocol not available",
            Errno::EPROTONOSUPPORT => "Protocol not supported",
            Errno::ENOTBLK => "Block device required",
            Errno::ETXTBSY => "Text file busy",
            Errno::ENOTTY => "Inappropriate ioctl for device",
            Errno::EDOM => "Numerical argument out of domain",
            Errno::ENOEXEC => "Exec format error",
            Errno::EINPROGRESS => "Operation now in progress",
            Errno::EALREADY => "Operation already in progress",
            Errno::EMSGSIZE => "Message too long",
            Errno::EADDRNOTAVAIL => "Can't assign requested address",
            Errno::ENETDOWN => "Network is down",
            Errno::ENETUNREACH => "Network is unreachable",
            Errno::EHOSTDOWN => "Host is down",
            Errno::EHOSTUNREACH => "No route to host",
            Errno::ENOBUFS => "No buffer space available",
            Errno::EISCONN => "Socket is already connected",
            Errno::ESHUTDOWN => "Can't send after socket shutdown",
            Errno::ECONNABORTED => "Software caused connection abort",
            Errno::EAFNOSUPPORT => "Address family not supported by protocol family",
            Errno::EDESTADDRREQ => "Destination address required",
            Errno::EPROTOTYPE => "Protocol wrong type for socket",
            Errno::ENOLCK => "No locks available",
            Errno::EOVERFLOW => "Value too large to be stored in data type",
            Errno::EILSEQ => "Illegal byte sequence",
            Errno::ENOATTR => "Attribute not found",
            _ => self.name(),
        }
    }

    /// Translate a host I/O error into the NetBSD errno that means the same.
    pub fn from_host(e: &std::io::Error) -> Errno {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::ENOENT,
            K::PermissionDenied => Errno::EACCES,
            K::AlreadyExists => Errno::EEXIST,
            K::InvalidInput => Errno::EINVAL,
            K::OutOfMemory => Errno::ENOMEM,
            K::Interrupted => Errno::EINTR,
            K::WouldBlock => Errno::EAGAIN,
            K::Unsupported => Errno::EOPNOTSUPP,
            K::StorageFull => Errno::ENOSPC,
            K::IsADirectory => Errno::EISDIR,
            K::NotADirectory => Errno::ENOTDIR,
            K::ReadOnlyFilesystem => Errno::EROFS,
            _ => Errno::EIO,
        }
    }
}
