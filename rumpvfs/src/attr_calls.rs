//! File flags (`chflags`, `fchflags`, `lchflags`) and extended attributes
//! (`extattrctl`, `extattr_{get,set,delete,list}_{file,fd,link}`), which no
//! file system here keeps yet: each call finds its file as NetBSD's does
//! (`sys/kern/vfs_syscalls.c`, `vfs_xattr.c`: the attribute name first,
//! then the path or the descriptor, with their errors) and then answers
//! EOPNOTSUPP, NetBSD's answer of a file system without the operation
//! (`genfs_eopnotsupp`). Tools treat that as "nothing to keep": NetBSD's
//! `cp -p` copies a file whose flags are 0 without complaint.

use crate::calls;
use rump::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};

/// Longest attribute name with its NUL (`EXTATTR_MAXNAMELEN` is
/// `KERNEL_NAME_MAX`, 255, `sys/param.h`).
const EXTATTR_NAME_BUF: usize = 255;
/// Longest path with its NUL (`PATH_MAX`).
const PATH_BUF: usize = crate::flags::PATH_MAX;

/// How a call names its file.
#[derive(Clone, Copy)]
enum Target {
    /// A path, its last symlink followed.
    Path,
    /// A path, its last symlink itself.
    Link,
    /// A descriptor, which must be a vnode's (EINVAL otherwise).
    Fd,
}

/// Find the file argument 0 names, as `how` says.
fn find(ctx: &Ctx, us: &dyn UserSpace, a: &SysArgs, how: Target) -> KResult<()> {
    match how {
        Target::Path | Target::Link => {
            let path = us.copyinstr(a[0], PATH_BUF)?;
            calls::lookup(ctx, None, &path, matches!(how, Target::Path)).map(drop)
        }
        Target::Fd => calls::vnode_file_ops(ctx, a[0] as i32, Errno::EINVAL).map(drop),
    }
}

/// The attribute name at argument 2, copied first as NetBSD does.
fn attrname(us: &dyn UserSpace, a: &SysArgs) -> KResult<()> {
    us.copyinstr(a[2], EXTATTR_NAME_BUF).map(drop)
}

fn unsupported(
    ctx: &Ctx,
    us: &dyn UserSpace,
    a: &SysArgs,
    how: Target,
    named: bool,
) -> KResult<SysRet> {
    if named {
        attrname(us, a)?;
    }
    find(ctx, us, a, how)?;
    Err(Errno::EOPNOTSUPP)
}

fn sys_chflags(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Path, false)
}

fn sys_fchflags(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Fd, false)
}

fn sys_lchflags(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Link, false)
}

/// `extattrctl(path, cmd, filename, attrnamespace, attrname)`: the name
/// (when given) and the path, then the file system's EOPNOTSUPP.
fn sys_extattrctl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    if a[4] != 0 {
        us.copyinstr(a[4], EXTATTR_NAME_BUF)?;
    }
    find(ctx, us, a, Target::Path)?;
    Err(Errno::EOPNOTSUPP)
}

fn sys_extattr_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Path, true)
}

fn sys_extattr_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Fd, true)
}

fn sys_extattr_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Link, true)
}

fn sys_extattr_list_file(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Path, false)
}

fn sys_extattr_list_fd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Fd, false)
}

fn sys_extattr_list_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    unsupported(ctx, us, a, Target::Link, false)
}

/// Register the flag and extended attribute calls.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    use netbsd_abi as abi;
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (abi::SYS_chflags, "chflags", sys_chflags),
        (abi::SYS_fchflags, "fchflags", sys_fchflags),
        (abi::SYS_lchflags, "lchflags", sys_lchflags),
        (abi::SYS_extattrctl, "extattrctl", sys_extattrctl),
        (
            abi::SYS_extattr_set_file,
            "extattr_set_file",
            sys_extattr_file,
        ),
        (
            abi::SYS_extattr_get_file,
            "extattr_get_file",
            sys_extattr_file,
        ),
        (
            abi::SYS_extattr_delete_file,
            "extattr_delete_file",
            sys_extattr_file,
        ),
        (abi::SYS_extattr_set_fd, "extattr_set_fd", sys_extattr_fd),
        (abi::SYS_extattr_get_fd, "extattr_get_fd", sys_extattr_fd),
        (
            abi::SYS_extattr_delete_fd,
            "extattr_delete_fd",
            sys_extattr_fd,
        ),
        (
            abi::SYS_extattr_set_link,
            "extattr_set_link",
            sys_extattr_link,
        ),
        (
            abi::SYS_extattr_get_link,
            "extattr_get_link",
            sys_extattr_link,
        ),
        (
            abi::SYS_extattr_delete_link,
            "extattr_delete_link",
            sys_extattr_link,
        ),
        (
            abi::SYS_extattr_list_fd,
            "extattr_list_fd",
            sys_extattr_list_fd,
        ),
        (
            abi::SYS_extattr_list_file,
            "extattr_list_file",
            sys_extattr_list_file,
        ),
        (
            abi::SYS_extattr_list_link,
            "extattr_list_link",
            sys_extattr_list_link,
        ),
    ];
    for &(n, name, f) in calls {
        k.register_syscall(n, name, f)?;
    }
    Ok(())
}
