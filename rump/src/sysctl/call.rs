//! One `__sysctl(2)` call: the caller's request and answer, reads and
//! writes of a leaf (`sysctl_lookup`), the meta-operations (CTL_QUERY,
//! CTL_CREATE, CTL_DESTROY, CTL_DESCRIBE, CTL_MMAP) and the dispatch that
//! picks one.

use super::*;

/// One `__sysctl(2)` call: who asks, what they sent, what they get back.
pub(super) struct Call<'a> {
    pub(super) cred: &'a Cred,
    pub(super) new: Option<&'a [u8]>,
    pub(super) us: &'a dyn UserSpace,
    pub(super) cap: Option<usize>,
    pub(super) old: Vec<u8>,
    pub(super) oldlen: usize,
}

impl Call<'_> {
    pub(super) fn room(&self) -> usize {
        self.cap.map_or(0, |c| c.saturating_sub(self.old.len()))
    }

    /// Node and description records are copied whole or not at all.
    pub(super) fn record(&mut self, r: &[u8]) {
        if self.cap.is_some() && self.room() >= r.len() {
            self.old.extend_from_slice(r);
        }
    }

    /// The node passed in newp (`sysctl_cvt_in`).
    pub(super) fn node_in(&self) -> KResult<NodeRepr> {
        NodeRepr::from_request(self.new)
    }
}

/// A caller with no memory to copy from: pointers inside nodes fault.
pub(super) struct NoUserSpace;

impl UserSpace for NoUserSpace {
    fn copyin(&self, _addr: u64, _buf: &mut [u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }
    fn copyout(&self, _addr: u64, _data: &[u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }
}

/// `sysctl_lookup` on a leaf shaped `leaf` reading as `cur`:
/// check permissions, copy out, and validate new bytes for the caller to
/// store.
pub(super) fn lookup<'a>(
    c: &mut Call<'a>,
    leaf: LeafShape,
    cur: &[u8],
) -> KResult<Option<&'a [u8]>> {
    let LeafShape {
        ty,
        flags,
        size: sz,
    } = leaf;
    let new = c.new.filter(|b| !b.is_empty()); // newlen 0 is no write
    let root = c.cred.is_root();
    let may_write = (root || flags & CTLFLAG_ANYWRITE != 0) && flags & CTLFLAG_READWRITE != 0;
    if (flags & CTLFLAG_PRIVATE != 0 && !root) || (new.is_some() && !may_write) {
        return Err(Errno::EPERM);
    }
    // NetBSD copies MIN(size, *oldlenp): partial reads are allowed.
    let n = cur.len().min(c.room());
    c.old.extend_from_slice(&cur[..n]);
    c.oldlen = cur.len();
    let Some(b) = new else { return Ok(None) };
    let ok = match ty {
        CTLTYPE_BOOL => b.len() == sz && b[0] <= 1,
        CTLTYPE_INT | CTLTYPE_QUAD => b.len() == sz,
        CTLTYPE_STRUCT => sz == 0 || b.len() == sz,
        // Shorter strings are fine; one filling the node must carry its NUL.
        _ => sz == 0 || b.len() < sz || (b.len() == sz && b[sz - 1] == 0),
    };
    if ok {
        Ok(Some(stored(ty, b)))
    } else {
        Err(Errno::EINVAL)
    }
}

impl TreeState {
    /// `sysctl_query`: every child of the node, as records.
    fn query(&self, c: &mut Call, path: &[usize]) -> KResult<()> {
        let p = self.node(path);
        let q = c.node_in()?;
        if q.ver != 0 && q.ver != p.ver && q.ver != self.root.ver {
            return Err(Errno::EINVAL);
        }
        for n in &p.children {
            c.record(&n.repr().emit());
        }
        c.oldlen = p.children.len() * NODE_LEN;
        Ok(())
    }

    /// `sysctl_create` for a client, in NetBSD's order of checks.
    fn create(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        let p = self.node(parent);
        if !c.cred.is_root() || p.flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        let n = c.node_in()?;
        let name = n.name_bytes();
        let bad_num = n.num < 0 && n.num != CTL_CREATE;
        if n.parent != 0 || bad_num || name.len() == wire::NAMELEN {
            return Err(Errno::EINVAL);
        }
        check_name(name)?;
        let num = (n.num != CTL_CREATE).then_some(n.num);
        if let Some(old) = self.clash(parent, num, name) {
            c.record(&old.repr().emit());
            c.oldlen = NODE_LEN;
            return Err(Errno::EEXIST);
        }
        if n.ver != 0 && n.ver != self.root.ver && n.ver != p.ver {
            return Err(Errno::EINVAL);
        }
        let (ty, flags) = (n.flags & SYSCTL_TYPEMASK, n.flags & SYSCTL_FLAGMASK);
        if n.func != 0 || flags & !SYSCTL_USERFLAGS != 0 {
            return Err(Errno::EPERM);
        }
        let immediate = flags & CTLFLAG_IMMEDIATE != 0;
        let owndata = flags & CTLFLAG_OWNDATA != 0;
        let fixed = match ty {
            CTLTYPE_INT => 4,
            CTLTYPE_QUAD => 8,
            CTLTYPE_BOOL => 1,
            _ => 0,
        };
        if immediate && (owndata || fixed == 0) {
            return Err(Errno::EINVAL);
        }
        let data = n.qdata();
        let size = match ty {
            CTLTYPE_NODE if n.size == 0 && n.un == [0; wire::UN_LEN] && !owndata => NODE_LEN as u64,
            _ if fixed != 0 && (n.size == 0 || n.size == fixed) => fixed,
            CTLTYPE_STRING if n.size == 0 && data == 0 && owndata => return Err(Errno::EINVAL),
            CTLTYPE_STRING if n.size == 0 => match c.us.copyinstr(data, 33 * 4096) {
                Ok(s) => s.len() as u64 + 1,
                Err(Errno::ENAMETOOLONG) => return Err(Errno::ERANGE),
                Err(e) => return Err(e),
            },
            CTLTYPE_STRING | CTLTYPE_STRUCT if n.size != 0 => n.size,
            _ => return Err(Errno::EINVAL),
        };
        let kind = if ty == CTLTYPE_NODE {
            Kind::Node
        } else if owndata {
            if size > MAX_OWNDATA {
                return Err(Errno::ENOMEM);
            }
            let mut buf = vec![0u8; size as usize];
            if data != 0 {
                c.us.copyin(data, &mut buf)?;
            }
            Kind::Value(stored(ty, &buf).into())
        } else if immediate {
            Kind::Value(n.un[..size as usize].into())
        } else if data != 0 {
            // NetBSD would trust this as a kernel address; there is no
            // kernel memory here to point at.
            return Err(Errno::EFAULT);
        } else {
            return Err(Errno::EINVAL);
        };
        let node = Node::new(SysctlName::new(name), ty, flags, size as usize, kind);
        let i = self.insert(parent, node, num);
        c.record(&self.node(parent).children[i].repr().emit());
        c.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_destroy` for a client: answers the removed node.
    fn destroy(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        if !c.cred.is_root() || self.node(parent).flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        let d = c.node_in()?;
        let (name, ver) = (d.name_bytes(), d.ver);
        let matches = |n: &Node| {
            n.num == d.num
                && (name.is_empty() || name == n.name.as_bytes())
                && (ver == 0 || ver == n.ver)
        };
        let p = self.node(parent);
        let i = p.children.iter().position(matches).ok_or(Errno::ENOENT)?;
        if p.children[i].flags & CTLFLAG_PERMANENT != 0 {
            return Err(Errno::EPERM);
        }
        if !p.children[i].children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        c.record(&self.remove(parent, i).repr().emit());
        c.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_describe`: descriptions of all children, or of the one named
    /// in newp, first setting it if newp carries a description pointer.
    fn describe(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        let mut want = None;
        if c.new.is_some() {
            let d = c.node_in()?;
            want = Some(d.num);
            if d.desc != 0 {
                if !c.cred.is_root() {
                    return Err(Errno::EPERM);
                }
                let p = self.node_mut(parent);
                let n = p.children.iter_mut().find(|n| n.num == d.num);
                let n = n.ok_or(Errno::ENOENT)?;
                if d.ver != 0 && d.ver != n.ver {
                    return Err(Errno::EINVAL);
                }
                // Kernel nodes keep theirs; a client may describe a node once.
                if n.flags & CTLFLAG_PERMANENT != 0 || n.desc.is_some() {
                    return Err(Errno::EPERM);
                }
                n.desc = Some(c.us.copyinstr(d.desc, wire::MAXDESCLEN)?.into());
                n.flags |= CTLFLAG_OWNDESC;
            }
        }
        let mut total = 0;
        for n in &self.node(parent).children {
            // NetBSD 7 tests kauth's answer inverted here (0 means allowed),
            // so private nodes are described to everyone except root.
            let hidden = n.flags & CTLFLAG_PRIVATE != 0 && c.cred.is_root();
            if hidden || want.is_some_and(|num| num != n.num) {
                continue;
            }
            let r = wire::desc_record(n.num, n.ver, n.desc.as_deref());
            c.record(&r);
            total += r.len();
            if want.is_some() {
                break;
            }
        }
        if want.is_some() && total == 0 {
            return Err(Errno::ENOENT);
        }
        c.oldlen = total;
        Ok(())
    }

    /// `sysctl_mmap`: finds the node, but none of ours can be mapped.
    fn mmap(&self, c: &Call, parent: &[usize]) -> KResult<()> {
        let n = NodeRepr::parse(c.new.ok_or(Errno::EINVAL)?)?;
        match self.locate(c.cred, &[&self.mib(parent)[..], &[n.num]].concat()) {
            Located {
                stopped: Some(e), ..
            } => Err(e),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }
}

impl SysctlTree {
    /// The `__sysctl(2)` system call. `old_capacity`: None if oldp is NULL,
    /// else `Some(*oldlenp)`. `new`: None if newp is NULL, else the newlen
    /// bytes at newp. Pointers inside a node passed in newp (CTL_CREATE
    /// data, CTL_DESCRIBE text) fault: [`SysctlTree::sysctl_user`] follows them.
    pub fn sysctl(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
    ) -> SysctlOutcome {
        self.sysctl_user(cred, name, old_capacity, new, &NoUserSpace)
    }

    /// [`SysctlTree::sysctl`], following pointers in `new` into `us`, the
    /// caller's memory. If oldp is NULL and the call fails before setting a
    /// length, `oldlen` is 0 (NetBSD leaves `*oldlenp` as it was).
    pub fn sysctl_user(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> SysctlOutcome {
        let oldlen = old_capacity.unwrap_or(0);
        let (cap, old) = (old_capacity, Vec::new());
        let mut c = Call {
            cred,
            new,
            us,
            cap,
            old,
            oldlen,
        };
        let mut result = match name.len() {
            1..=CTL_MAXNAME => self.dispatch(&mut c, name),
            _ => Err(Errno::EINVAL),
        };
        // A short buffer is an error only if nothing else went wrong.
        if result.is_ok() && cap.is_some_and(|cap| cap < c.oldlen) {
            result = Err(Errno::ENOMEM);
        }
        SysctlOutcome {
            result,
            old: c.old,
            oldlen: c.oldlen,
        }
    }

    /// `sysctl_dispatch`: find the node and pick the operation.
    fn dispatch(&self, c: &mut Call, name: &[i32]) -> KResult<()> {
        let mut g = self.lock();
        let Located {
            path,
            used: ni,
            stopped: err,
        } = g.locate(c.cred, name);
        let node = g.node(&path);
        let leaf = LeafShape {
            ty: node.ty,
            flags: node.flags,
            size: node.size,
        };
        match (&node.kind, err) {
            // A node with a helper gets the call whatever locate said; ours
            // act like NetBSD helpers wrapping sysctl_lookup, which refuses
            // any name left over.
            (Kind::Dynamic(d), _) => {
                let (read, write) = (d.read.clone(), d.write.clone());
                drop(g);
                if ni != name.len() {
                    return Err(Errno::EINVAL);
                }
                let (ty, cur) = to_raw(read());
                match (lookup(c, leaf, &encode(ty, &cur))?, write) {
                    (None, _) => Ok(()),
                    (Some(b), Some(write)) => write(from_raw(leaf.ty, b)),
                    (Some(_), None) => Err(Errno::EPERM),
                }
            }
            // A handler answers whatever is asked below it, except for a
            // query of its (empty) list of children.
            (Kind::Handler(h), _) => {
                let rest = &name[ni..];
                // A leaf has nothing below it.
                if leaf.ty != CTLTYPE_NODE && !rest.is_empty() {
                    return Err(Errno::ENOTDIR);
                }
                if rest == [CTL_QUERY] {
                    return g.query(c, &path);
                }
                let h = h.clone();
                drop(g);
                // A caller may claim any buffer size: a handler is told at
                // most this much, so that it never makes more.
                let cap = c.cap.map(|n| n.min(MAX_HANDLER_ANSWER));
                let out = h(rest, c.cred, cap, c.new)?;
                let n = out.data.len().min(c.room());
                c.old.extend_from_slice(&out.data[..n]);
                c.oldlen = out.len.max(out.data.len());
                Ok(())
            }
            (Kind::Value(cur), None) => {
                if let Some(b) = lookup(c, leaf, &encode(leaf.ty, cur))? {
                    g.node_mut(&path).kind = Kind::Value(b.into());
                }
                Ok(())
            }
            (Kind::Node, None) => Err(Errno::EINVAL), // nodes are queried, not read
            (_, Some(Errno::ENOENT)) if ni + 1 == name.len() && name[ni] < 0 => match name[ni] {
                CTL_QUERY => g.query(c, &path),
                CTL_CREATE | CTL_DESTROY if c.new.is_none() => Err(Errno::EINVAL),
                CTL_CREATE => g.create(c, &path),
                CTL_DESTROY => g.destroy(c, &path),
                CTL_MMAP => g.mmap(c, &path),
                CTL_DESCRIBE => g.describe(c, &path),
                _ => Err(Errno::EOPNOTSUPP),
            },
            (_, Some(e)) => Err(e),
        }
    }
}
