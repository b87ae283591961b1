//! The model on NFS: the operations whose NFS semantics differ from a
//! local file system's are not generated there, each with the reason (as
//! the conformance suite lists its nfs cases in `common/nfs.rs`).

use super::*;

/// A rename whose target directory contains the source fails with the
/// server's errno, which NetBSD's client passes on as it is: Linux (under
/// ganesha) finds the target an ancestor before anything else and answers
/// ENOTEMPTY, where a local file system says EISDIR or EINVAL.
pub(crate) const TARGET_CONTAINS_SOURCE: Errno = Errno::ENOTEMPTY;

/// Why an operation is not generated on NFS, or `None` when it is.
pub(crate) fn differs(h: &Harness, op: &Op) -> Option<&'static str> {
    const ORPHAN: &str = "the last name of an open file removed on the server makes the \
                          file stale (ESTALE): no silly rename yet";
    let open_last_name = |path: &str| match h.model.lookup(&comps(path)) {
        Ok(id) if !h.model.is_dir(id) => {
            let n = &h.model.nodes[&id];
            n.links == 1 && n.opens > 0
        }
        _ => false,
    };
    match op {
        Op::Unlink { path } if open_last_name(path) => Some(ORPHAN),
        Op::Rename { from, to }
            if open_last_name(to) && h.model.lookup(&comps(from)) != h.model.lookup(&comps(to)) =>
        {
            Some(ORPHAN)
        }
        _ => None,
    }
}
