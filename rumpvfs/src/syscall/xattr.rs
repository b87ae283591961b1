//! Extended attributes: `extattrctl`, the BSD `extattr_{set,get,delete,
//! list}_{file,fd,link}` calls and the Linux-style `*xattr` calls NetBSD
//! maps onto them (vfs_xattr.c), with its argument checks in its order:
//! the attribute name first (ENAMETOOLONG past `EXTATTR_MAXNAMELEN`), then
//! the file, then sizes, then the file system. No file system here keeps
//! extended attributes, as none of NetBSD 7.99's memory file systems and FFS
//! does before UFS1's `extattrctl start`: each answers EOPNOTSUPP, which
//! the `*xattr` calls give as ENOTSUP.

use super::Calls;
use crate::calls::{self, ATTR_MAX_TRANSFER, ATTR_NAME_BUF, XattrOp, extattr_store, xattr_errno};
use crate::node::ExtattrCtl;
use crate::vfs::Vnode;
use netbsd_abi::*;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS_extattrctl, "extattrctl", sys_extattrctl),
    (
        SYS_extattr_set_file,
        "extattr_set_file",
        sys_extattr_set_file,
    ),
    (
        SYS_extattr_get_file,
        "extattr_get_file",
        sys_extattr_get_file,
    ),
    (
        SYS_extattr_delete_file,
        "extattr_delete_file",
        sys_extattr_delete_file,
    ),
    (SYS_extattr_set_fd, "extattr_set_fd", sys_extattr_set_fd),
    (SYS_extattr_get_fd, "extattr_get_fd", sys_extattr_get_fd),
    (
        SYS_extattr_delete_fd,
        "extattr_delete_fd",
        sys_extattr_delete_fd,
    ),
    (
        SYS_extattr_set_link,
        "extattr_set_link",
        sys_extattr_set_link,
    ),
    (
        SYS_extattr_get_link,
        "extattr_get_link",
        sys_extattr_get_link,
    ),
    (
        SYS_extattr_delete_link,
        "extattr_delete_link",
        sys_extattr_delete_link,
    ),
    (SYS_extattr_list_fd, "extattr_list_fd", sys_extattr_list_fd),
    (
        SYS_extattr_list_file,
        "extattr_list_file",
        sys_extattr_list_file,
    ),
    (
        SYS_extattr_list_link,
        "extattr_list_link",
        sys_extattr_list_link,
    ),
    (SYS_setxattr, "setxattr", sys_setxattr),
    (SYS_lsetxattr, "lsetxattr", sys_lsetxattr),
    (SYS_fsetxattr, "fsetxattr", sys_fsetxattr),
    (SYS_getxattr, "getxattr", sys_getxattr),
    (SYS_lgetxattr, "lgetxattr", sys_lgetxattr),
    (SYS_fgetxattr, "fgetxattr", sys_fgetxattr),
    (SYS_listxattr, "listxattr", sys_listxattr),
    (SYS_llistxattr, "llistxattr", sys_llistxattr),
    (SYS_flistxattr, "flistxattr", sys_flistxattr),
    (SYS_removexattr, "removexattr", sys_removexattr),
    (SYS_lremovexattr, "lremovexattr", sys_lremovexattr),
    (SYS_fremovexattr, "fremovexattr", sys_fremovexattr),
];

/// An attribute name argument.
fn attr_name(us: &dyn UserSpace, addr: u64) -> KResult<Vec<u8>> {
    us.copyinstr(addr, ATTR_NAME_BUF)
}

/// The three ways a call names its file: a path followed, a path not
/// followed (`_link`, `l*`), a descriptor.
#[derive(Clone, Copy)]
enum Target {
    Follow,
    NoFollow,
    Fd,
}

fn target_vnode(ctx: &Ctx, us: &dyn UserSpace, how: Target, slot: u64) -> KResult<Vnode> {
    match how {
        Target::Follow => calls::lookup_vnode(ctx, &arg_path(us, slot)?, true),
        Target::NoFollow => calls::lookup_vnode(ctx, &arg_path(us, slot)?, false),
        Target::Fd => calls::fd_vnode(ctx, slot as u32 as i32),
    }
}

/// `extattr_set_*(file, namespace, name, data, nbytes)`.
fn set(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    let _name = attr_name(us, a[2])?;
    let vn = target_vnode(ctx, us, how, a[0])?;
    if a[4] > ATTR_MAX_TRANSFER {
        return Err(Errno::EINVAL);
    }
    ret(extattr_store(&vn)?)
}

/// `extattr_get_*(file, namespace, name, data, nbytes)`: a NULL `data`
/// asks for the size only.
fn get(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    let _name = attr_name(us, a[2])?;
    let vn = target_vnode(ctx, us, how, a[0])?;
    if a[3] != 0 && a[4] > ATTR_MAX_TRANSFER {
        return Err(Errno::EINVAL);
    }
    ret(extattr_store(&vn)?)
}

/// `extattr_delete_*(file, namespace, name)`.
fn delete(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    let _name = attr_name(us, a[2])?;
    let vn = target_vnode(ctx, us, how, a[0])?;
    ret(extattr_store(&vn)?)
}

/// `extattr_list_*(file, namespace, data, nbytes)`.
fn list(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    let vn = target_vnode(ctx, us, how, a[0])?;
    if a[2] != 0 && a[3] > ATTR_MAX_TRANSFER {
        return Err(Errno::EINVAL);
    }
    ret(extattr_store(&vn)?)
}

fn sys_extattr_set_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    set(ctx, a, us, Target::Follow)
}
fn sys_extattr_set_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    set(ctx, a, us, Target::NoFollow)
}
fn sys_extattr_set_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    set(ctx, a, us, Target::Fd)
}
fn sys_extattr_get_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    get(ctx, a, us, Target::Follow)
}
fn sys_extattr_get_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    get(ctx, a, us, Target::NoFollow)
}
fn sys_extattr_get_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    get(ctx, a, us, Target::Fd)
}
fn sys_extattr_delete_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    delete(ctx, a, us, Target::Follow)
}
fn sys_extattr_delete_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    delete(ctx, a, us, Target::NoFollow)
}
fn sys_extattr_delete_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    delete(ctx, a, us, Target::Fd)
}
fn sys_extattr_list_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    list(ctx, a, us, Target::Follow)
}
fn sys_extattr_list_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    list(ctx, a, us, Target::NoFollow)
}
fn sys_extattr_list_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    list(ctx, a, us, Target::Fd)
}

/// `extattrctl(path, cmd, filename, attrnamespace, attrname)`: the file
/// system of `path` decides (`VFS_EXTATTRCTL`).
fn sys_extattrctl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let name = if a[4] != 0 {
        Some(attr_name(us, a[4])?)
    } else {
        None
    };
    let vn = calls::lookup_vnode(ctx, &arg_path(us, a[0])?, true)?;
    let file = if a[2] != 0 {
        Some(calls::lookup_vnode(ctx, &arg_path(us, a[2])?, true)?.vtype())
    } else {
        None
    };
    let req = ExtattrCtl {
        cmd: arg_int(a, 1),
        file,
        namespace: arg_int(a, 3),
        name: name.as_deref(),
        root: ctx.cred().is_root(),
    };
    vn.mnt.fs.extattrctl(&req)?;
    ret(0)
}

/// The `value`/`list` argument's room: `None` for NULL.
fn room(addr: u64, size: u64) -> Option<u64> {
    (addr != 0).then_some(size)
}

/// `setxattr(file, name, value, size, flags)`.
fn setx(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    xattr_errno((|| {
        let _name = attr_name(us, a[1])?;
        let vn = target_vnode(ctx, us, how, a[0])?;
        ret(calls::xattr(&vn, XattrOp::Set { size: a[3] })?)
    })())
}

/// `getxattr(file, name, value, size)`.
fn getx(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    xattr_errno((|| {
        let _name = attr_name(us, a[1])?;
        let vn = target_vnode(ctx, us, how, a[0])?;
        let size = room(a[2], a[3]);
        ret(calls::xattr(&vn, XattrOp::Get { size })?)
    })())
}

/// `listxattr(file, list, size)`: the user namespace's names, then the
/// system namespace's.
fn listx(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    let vn = target_vnode(ctx, us, how, a[0])?;
    let size = room(a[1], a[2]);
    ret(calls::xattr(&vn, XattrOp::List { size })?)
}

/// `removexattr(file, name)`.
fn removex(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, how: Target) -> KResult<SysRet> {
    xattr_errno((|| {
        let _name = attr_name(us, a[1])?;
        let vn = target_vnode(ctx, us, how, a[0])?;
        ret(calls::xattr(&vn, XattrOp::Remove)?)
    })())
}

fn sys_setxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    setx(ctx, a, us, Target::Follow)
}
fn sys_lsetxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    setx(ctx, a, us, Target::NoFollow)
}
fn sys_fsetxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    setx(ctx, a, us, Target::Fd)
}
fn sys_getxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    getx(ctx, a, us, Target::Follow)
}
fn sys_lgetxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    getx(ctx, a, us, Target::NoFollow)
}
fn sys_fgetxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    getx(ctx, a, us, Target::Fd)
}
fn sys_listxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    listx(ctx, a, us, Target::Follow)
}
fn sys_llistxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    listx(ctx, a, us, Target::NoFollow)
}
fn sys_flistxattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    listx(ctx, a, us, Target::Fd)
}
fn sys_removexattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    removex(ctx, a, us, Target::Follow)
}
fn sys_lremovexattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    removex(ctx, a, us, Target::NoFollow)
}
fn sys_fremovexattr(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    removex(ctx, a, us, Target::Fd)
}
