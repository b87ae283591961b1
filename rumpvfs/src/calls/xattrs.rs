//! The Linux-style `*xattr` operations once their arguments are in the
//! kernel (vfs_xattr.c): the checks of the sizes, then the file system.
//! The system calls (`syscall/xattr.rs`) copy the name in and look the
//! file up first; the typed [`super::VfsCalls`] methods do the same in the
//! same order with [`check_attr_name`] and a lookup.

use crate::vfs::Vnode;
use rump::{Errno, KResult};

/// `EXTATTR_MAXNAMELEN` and `XATTR_NAME_MAX` (`KERNEL_NAME_MAX`): the
/// name's buffer, its NUL included.
pub const ATTR_NAME_BUF: usize = 255;
/// `INT_MAX`: the largest transfer an attribute call takes.
pub const ATTR_MAX_TRANSFER: u64 = i32::MAX as u64;

/// A `*xattr` operation, with what its caller gave once copied in.
#[derive(Clone, Copy, Debug)]
pub enum XattrOp {
    /// `setxattr(file, name, value, size, flags)`.
    Set {
        /// The value's size.
        size: u64,
    },
    /// `getxattr(file, name, value, size)`; `size` is `None` for a NULL
    /// `value`, which asks for the attribute's size only.
    Get {
        /// The room for the value.
        size: Option<u64>,
    },
    /// `listxattr(file, list, size)`, `size` as for `Get`.
    List {
        /// The room for the names.
        size: Option<u64>,
    },
    /// `removexattr(file, name)`.
    Remove,
}

/// What copying the name in checks (`copyinstr` of `ATTR_NAME_BUF`
/// bytes), for a name given in the kernel already.
pub fn check_attr_name(name: &[u8]) -> KResult<()> {
    if name.len() >= ATTR_NAME_BUF {
        Err(Errno::ENAMETOOLONG)
    } else {
        Ok(())
    }
}

/// What an attribute operation on `vn` answers once its arguments pass:
/// `VOP_{GET,SET,DELETE,LIST}EXTATTR` of a file system without extended
/// attributes, which none here keeps.
pub fn extattr_store(vn: &Vnode) -> KResult<u64> {
    let _ = vn;
    Err(Errno::EOPNOTSUPP)
}

/// Operation `op` on `vn`: the count of bytes a get or list gives.
/// `XATTR_CREATE` and `XATTR_REPLACE` look the attribute up first, which
/// fails the same way as the store.
pub fn xattr(vn: &Vnode, op: XattrOp) -> KResult<u64> {
    let too_large = |size: Option<u64>| size.is_some_and(|n| n > ATTR_MAX_TRANSFER);
    xattr_errno((|| match op {
        XattrOp::Set { size } => {
            if too_large(Some(size)) {
                return Err(Errno::EINVAL);
            }
            extattr_store(vn).map(|_| 0)
        }
        XattrOp::Get { size } | XattrOp::List { size } if too_large(size) => Err(Errno::EINVAL),
        XattrOp::Get { .. } | XattrOp::List { .. } | XattrOp::Remove => extattr_store(vn),
    })())
}

/// The `*xattr` calls give EOPNOTSUPP as ENOTSUP (`XATTR_ERRNO`).
pub fn xattr_errno<T>(r: KResult<T>) -> KResult<T> {
    r.map_err(|e| {
        if e == Errno::EOPNOTSUPP {
            Errno::ENOTSUP
        } else {
            e
        }
    })
}
