//! errno values: NetBSD's numbers and Linux's, by name.

use netbsd_abi::errno::raw;

/// NetBSD errno numbers with their Linux counterparts, by name.
/// Names Linux lacks take the nearest Linux meaning, said beside them.
pub const ERRNOS: &[(i32, i32)] = &[
    (raw::EPERM, libc::EPERM),
    (raw::ENOENT, libc::ENOENT),
    (raw::ESRCH, libc::ESRCH),
    (raw::EINTR, libc::EINTR),
    (raw::EIO, libc::EIO),
    (raw::ENXIO, libc::ENXIO),
    (raw::E2BIG, libc::E2BIG),
    (raw::ENOEXEC, libc::ENOEXEC),
    (raw::EBADF, libc::EBADF),
    (raw::ECHILD, libc::ECHILD),
    (raw::EDEADLK, libc::EDEADLK),
    (raw::ENOMEM, libc::ENOMEM),
    (raw::EACCES, libc::EACCES),
    (raw::EFAULT, libc::EFAULT),
    (raw::ENOTBLK, libc::ENOTBLK),
    (raw::EBUSY, libc::EBUSY),
    (raw::EEXIST, libc::EEXIST),
    (raw::EXDEV, libc::EXDEV),
    (raw::ENODEV, libc::ENODEV),
    (raw::ENOTDIR, libc::ENOTDIR),
    (raw::EISDIR, libc::EISDIR),
    (raw::EINVAL, libc::EINVAL),
    (raw::ENFILE, libc::ENFILE),
    (raw::EMFILE, libc::EMFILE),
    (raw::ENOTTY, libc::ENOTTY),
    (raw::ETXTBSY, libc::ETXTBSY),
    (raw::EFBIG, libc::EFBIG),
    (raw::ENOSPC, libc::ENOSPC),
    (raw::ESPIPE, libc::ESPIPE),
    (raw::EROFS, libc::EROFS),
    (raw::EMLINK, libc::EMLINK),
    (raw::EPIPE, libc::EPIPE),
    (raw::EDOM, libc::EDOM),
    (raw::ERANGE, libc::ERANGE),
    (raw::EAGAIN, libc::EAGAIN),
    (raw::EINPROGRESS, libc::EINPROGRESS),
    (raw::EALREADY, libc::EALREADY),
    (raw::ENOTSOCK, libc::ENOTSOCK),
    (raw::EDESTADDRREQ, libc::EDESTADDRREQ),
    (raw::EMSGSIZE, libc::EMSGSIZE),
    (raw::EPROTOTYPE, libc::EPROTOTYPE),
    (raw::ENOPROTOOPT, libc::ENOPROTOOPT),
    (raw::EPROTONOSUPPORT, libc::EPROTONOSUPPORT),
    (raw::ESOCKTNOSUPPORT, libc::ESOCKTNOSUPPORT),
    (raw::EOPNOTSUPP, libc::EOPNOTSUPP),
    (raw::EPFNOSUPPORT, libc::EPFNOSUPPORT),
    (raw::EAFNOSUPPORT, libc::EAFNOSUPPORT),
    (raw::EADDRINUSE, libc::EADDRINUSE),
    (raw::EADDRNOTAVAIL, libc::EADDRNOTAVAIL),
    (raw::ENETDOWN, libc::ENETDOWN),
    (raw::ENETUNREACH, libc::ENETUNREACH),
    (raw::ENETRESET, libc::ENETRESET),
    (raw::ECONNABORTED, libc::ECONNABORTED),
    (raw::ECONNRESET, libc::ECONNRESET),
    (raw::ENOBUFS, libc::ENOBUFS),
    (raw::EISCONN, libc::EISCONN),
    (raw::ENOTCONN, libc::ENOTCONN),
    (raw::ESHUTDOWN, libc::ESHUTDOWN),
    (raw::ETOOMANYREFS, libc::ETOOMANYREFS),
    (raw::ETIMEDOUT, libc::ETIMEDOUT),
    (raw::ECONNREFUSED, libc::ECONNREFUSED),
    (raw::ELOOP, libc::ELOOP),
    (raw::ENAMETOOLONG, libc::ENAMETOOLONG),
    (raw::EHOSTDOWN, libc::EHOSTDOWN),
    (raw::EHOSTUNREACH, libc::EHOSTUNREACH),
    (raw::ENOTEMPTY, libc::ENOTEMPTY),
    // EPROCLIM: too many processes, which Linux says with EAGAIN.
    (raw::EPROCLIM, libc::EAGAIN),
    (raw::EUSERS, libc::EUSERS),
    (raw::EDQUOT, libc::EDQUOT),
    (raw::ESTALE, libc::ESTALE),
    (raw::EREMOTE, libc::EREMOTE),
    // EBADRPC, ERPCMISMATCH, EPROGUNAVAIL, EPROGMISMATCH, EPROCUNAVAIL:
    // Sun RPC failures, which Linux's RPC code reports as EIO, EPROTONOSUPPORT
    // (program unavailable or version mismatch) and EOPNOTSUPP (procedure).
    (raw::EBADRPC, libc::EIO),
    (raw::ERPCMISMATCH, libc::EPROTONOSUPPORT),
    (raw::EPROGUNAVAIL, libc::EPROTONOSUPPORT),
    (raw::EPROGMISMATCH, libc::EPROTONOSUPPORT),
    (raw::EPROCUNAVAIL, libc::EOPNOTSUPP),
    (raw::ENOLCK, libc::ENOLCK),
    (raw::ENOSYS, libc::ENOSYS),
    // EFTYPE: inappropriate file type or format.
    (raw::EFTYPE, libc::EINVAL),
    // EAUTH, ENEEDAUTH: authentication errors, a permission matter.
    (raw::EAUTH, libc::EACCES),
    (raw::ENEEDAUTH, libc::EACCES),
    (raw::EIDRM, libc::EIDRM),
    (raw::ENOMSG, libc::ENOMSG),
    (raw::EOVERFLOW, libc::EOVERFLOW),
    (raw::EILSEQ, libc::EILSEQ),
    (raw::ENOTSUP, libc::ENOTSUP),
    (raw::ECANCELED, libc::ECANCELED),
    (raw::EBADMSG, libc::EBADMSG),
    (raw::ENODATA, libc::ENODATA),
    (raw::ENOSR, libc::ENOSR),
    (raw::ENOSTR, libc::ENOSTR),
    (raw::ETIME, libc::ETIME),
    // ENOATTR: Linux says a missing extended attribute with ENODATA.
    (raw::ENOATTR, libc::ENODATA),
    (raw::EMULTIHOP, libc::EMULTIHOP),
    (raw::ENOLINK, libc::ENOLINK),
    (raw::EPROTO, libc::EPROTO),
];

/// The Linux errno for NetBSD's `e`; EIO for numbers NetBSD does not have.
pub fn errno_to_linux(e: i32) -> i32 {
    ERRNOS
        .iter()
        .find(|&&(n, _)| n == e)
        .map_or(libc::EIO, |&(_, l)| l)
}

/// The NetBSD errno for Linux's `e` (the first NetBSD name that maps to
/// it); EIO when NetBSD has none.
pub fn errno_to_netbsd(e: i32) -> i32 {
    ERRNOS
        .iter()
        .find(|&&(_, l)| l == e)
        .map_or(raw::EIO, |&(n, _)| n)
}
