//! The tree's nodes behind [`SysctlTree`]'s lock: paths to nodes, finding
//! them by name or number, placing and removing them with NetBSD's
//! numbering and versions, and the subtrees made when first used.

use super::*;

/// Where a node is: the index among its parent's children of each node
/// on the way down from the root. No MIB is longer than `CTL_MAXNAME`, so
/// no node is deeper, and a path needs no allocation.
#[derive(Clone, Copy)]
pub(super) struct Path {
    pub(super) len: usize,
    pub(super) at: [usize; CTL_MAXNAME],
}

impl Path {
    /// The root's.
    pub(super) const ROOT: Path = Path {
        len: 0,
        at: [0; CTL_MAXNAME],
    };

    /// One step up: the index of the node left, None at the root.
    pub(super) fn pop(&mut self) -> Option<usize> {
        self.len = self.len.checked_sub(1)?;
        Some(self.at[self.len])
    }

    /// One step down, to child `i`; EINVAL below the deepest a MIB reaches.
    pub(super) fn push(&mut self, i: usize) -> KResult<()> {
        *self.at.get_mut(self.len).ok_or(Errno::EINVAL)? = i;
        self.len += 1;
        Ok(())
    }
}

impl std::ops::Deref for Path {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.at[..self.len]
    }
}

/// Makes the nodes of a deferred subtree (see
/// [`SysctlTree::create_deferred`]).
pub(crate) type DeferredBuild = Box<dyn FnOnce(&mut SubtreeBuilder<'_>) -> KResult<()> + Send>;

/// Nodes made when the tree is first used rather than at boot.
pub(super) struct Deferred {
    /// The node they go below, empty until then.
    pub(super) parent: Mib,
    /// The root's version before the first of them would have been made.
    pub(super) ver_before: u32,
    /// How many nodes `build` makes.
    pub(super) count: u32,
    pub(super) build: DeferredBuild,
}

/// Adds the nodes of a deferred subtree, as [`SysctlTree::create_in`]
/// does, with the numbers fixed (an allocated number would depend on when
/// the nodes are made).
pub(crate) struct SubtreeBuilder<'a> {
    pub(super) inner: &'a mut TreeState,
    /// The deferred subtree's parent: nodes go below it only.
    pub(super) top: Mib,
    pub(super) made: u32,
}

impl SubtreeBuilder<'_> {
    /// Add `spec`, whose `num` must be set, below `parent`, which must be
    /// in the subtree (EINVAL).
    pub(crate) fn create_in(&mut self, parent: &[i32], spec: NodeSpec) -> KResult<Mib> {
        let (node, num) = prepare(spec)?;
        if num.is_none() || !parent.starts_with(&self.top) {
            return Err(Errno::EINVAL);
        }
        let mut path = self.inner.find(parent)?;
        path.push(self.inner.place(&path, node, num)?)?;
        self.made += 1;
        Ok(self.inner.mib(&path))
    }
}

/// How far a name leads in the tree ([`TreeState::locate`]).
pub(super) struct Located {
    /// The last node reached.
    pub(super) path: Path,
    /// How many numbers of the name led there.
    pub(super) used: usize,
    /// Why the walk stopped before the name's end, if it did.
    pub(super) stopped: Option<Errno>,
}

/// The nodes and the subtrees still to be made: what [`SysctlTree`]'s
/// lock guards.
pub(super) struct TreeState {
    pub(super) root: Node,
    /// NetBSD keeps this counter in the root's `sysctl_num`.
    pub(super) next_num: i32,
    /// Subtrees not made yet.
    pub(super) deferred: Vec<Deferred>,
}

impl TreeState {
    /// Whether the node at `path` waits for deferred children.
    pub(super) fn is_deferred(&self, path: &[usize]) -> bool {
        !self.deferred.is_empty() && {
            let mib = self.mib(path);
            self.deferred.iter().any(|d| d.parent == mib)
        }
    }

    /// Make the deferred subtrees, giving every node the version it would
    /// have had if made when it was deferred.
    pub(super) fn settle(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            let Ok(path) = self.find(&d.parent) else {
                continue;
            };
            // The nodes above the parent keep the versions they have now
            // (what later changes gave them); the parent and the new nodes
            // get those of the inserts as they would have been.
            let mut above = [0u32; CTL_MAXNAME];
            let mut n = &self.root;
            let root_ver = n.ver;
            for (v, &i) in above.iter_mut().zip(path.iter()) {
                *v = n.ver;
                n = &n.children[i];
            }
            self.root.ver = d.ver_before;
            let mut b = SubtreeBuilder {
                inner: self,
                top: d.parent,
                made: 0,
            };
            // A failure leaves the nodes made before it, as at boot.
            let built = (d.build)(&mut b);
            let made = b.made;
            debug_assert!(
                built.is_err() || made == d.count,
                "a deferred subtree made {made} nodes, not {}",
                d.count
            );
            let mut n = &mut self.root;
            n.ver = root_ver;
            for (k, &i) in path.iter().enumerate().take(path.len().saturating_sub(1)) {
                n = &mut n.children[i];
                n.ver = above[k + 1];
            }
        }
    }

    pub(super) fn node(&self, path: &[usize]) -> &Node {
        path.iter().fold(&self.root, |n, &i| &n.children[i])
    }

    pub(super) fn node_mut(&mut self, path: &[usize]) -> &mut Node {
        path.iter().fold(&mut self.root, |n, &i| &mut n.children[i])
    }

    pub(super) fn mib(&self, path: &[usize]) -> Mib {
        let mut out = Mib {
            len: path.len(),
            nums: [0; CTL_MAXNAME],
        };
        let mut n = &self.root;
        for (num, &i) in out.nums.iter_mut().zip(path) {
            n = &n.children[i];
            *num = n.num;
        }
        out
    }

    /// Walk a dotted path of names (or numbers) for kernel callers.
    pub(super) fn resolve(&self, path: &str) -> KResult<Path> {
        let mut out = Path::ROOT;
        let mut n = &self.root;
        for comp in path.split('.').filter(|c| !c.is_empty()) {
            if n.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            let by_name = n
                .children
                .iter()
                .position(|c| c.name.as_bytes() == comp.as_bytes());
            let i = by_name.or_else(|| {
                let num = comp.parse::<i32>().ok()?;
                n.children.iter().position(|c| c.num == num)
            });
            let i = i.ok_or(Errno::ENOENT)?;
            out.push(i)?;
            n = &n.children[i];
        }
        Ok(out)
    }

    /// Walk a MIB for kernel callers: ENOENT where a number is missing,
    /// ENOTDIR below a leaf.
    pub(super) fn find(&self, mib: &[i32]) -> KResult<Path> {
        let mut out = Path::ROOT;
        let mut n = &self.root;
        for &num in mib {
            if n.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            // Children are kept sorted by number.
            let i = n.children.binary_search_by_key(&num, |c| c.num);
            let i = i.map_err(|_| Errno::ENOENT)?;
            out.push(i)?;
            n = &n.children[i];
        }
        Ok(out)
    }

    /// `sysctl_locate`: how far `name` leads, and why it stopped.
    pub(super) fn locate(&self, cred: &Cred, name: &[i32]) -> Located {
        let mut path = Path::ROOT;
        let stop = |path, used, why| Located {
            path,
            used,
            stopped: Some(why),
        };
        for (ni, &tn) in name.iter().enumerate() {
            let n = self.node(&path);
            if n.children.is_empty() {
                let leaf = n.ty != CTLTYPE_NODE;
                return stop(path, ni, if leaf { Errno::ENOTDIR } else { Errno::ENOENT });
            }
            if n.flags & CTLFLAG_PRIVATE != 0 && !cred.is_root() {
                return stop(Path::ROOT, 0, Errno::EPERM);
            }
            match n.children.iter().position(|c| c.num == tn) {
                // A name is at most CTL_MAXNAME long, and so is the path.
                Some(i) if path.push(i).is_ok() => {}
                _ => return stop(path, ni, Errno::ENOENT),
            }
        }
        Located {
            path,
            used: name.len(),
            stopped: None,
        }
    }

    /// A change below `path`: every node from the root down gets the next
    /// version, so clients can tell their cached copy is stale.
    pub(super) fn bump(&mut self, path: &[usize]) {
        let v = self.root.ver.wrapping_add(1);
        let mut n = &mut self.root;
        n.ver = v;
        for &i in path {
            n = &mut n.children[i];
            n.ver = v;
        }
    }

    pub(super) fn clash(&self, parent: &[usize], num: Option<i32>, name: &[u8]) -> Option<&Node> {
        let p = self.node(parent);
        p.children
            .iter()
            .find(|c| Some(c.num) == num || c.name.as_bytes() == name)
    }

    /// Add a kernel's node below `parent`, after the checks that need the
    /// tree; returns its index.
    // Inlined for the same reason as `prepare`.
    #[inline(always)]
    pub(super) fn place(
        &mut self,
        parent: &[usize],
        node: Node,
        num: Option<i32>,
    ) -> KResult<usize> {
        if self.node(parent).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        if parent.len() == CTL_MAXNAME {
            // No MIB could name the node.
            return Err(Errno::EINVAL);
        }
        if self.clash(parent, num, node.name.as_bytes()).is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(self.insert(parent, node, num))
    }

    /// Add a child (its number checked free, or allocated here).
    pub(super) fn insert(&mut self, parent: &[usize], mut node: Node, num: Option<i32>) -> usize {
        let next = |n: i32| n.checked_add(1).unwrap_or(CREATE_BASE + 1);
        node.num = num.unwrap_or_else(|| {
            self.next_num = next(self.next_num);
            let mut nm = self.next_num;
            while self.node(parent).children.iter().any(|c| c.num == nm) {
                nm = next(nm);
            }
            nm
        });
        // The change bumps the version of every node from the root down,
        // the new one's included (`bump`), on one walk.
        let v = self.root.ver.wrapping_add(1);
        node.ver = v;
        let mut p = &mut self.root;
        p.ver = v;
        for &i in parent {
            p = &mut p.children[i];
            p.ver = v;
        }
        p.csize = match p.children.len() {
            0 => SYSCTL_DEFSIZE,
            n if n >= p.csize as usize => p.csize.saturating_mul(2),
            _ => p.csize,
        };
        let at = p.children.partition_point(|c| c.num < node.num);
        p.children.insert(at, node);
        at
    }

    pub(super) fn remove(&mut self, parent: &[usize], i: usize) -> Node {
        let p = self.node_mut(parent);
        let gone = p.children.remove(i);
        if p.children.is_empty() {
            p.csize = 0;
        }
        self.bump(parent);
        gone
    }
}
