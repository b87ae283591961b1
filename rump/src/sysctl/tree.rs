//! [`SysctlTree`] as kernel code uses it: the lock, adding nodes (at
//! once or deferred), and reading and writing values by dotted name.

use super::*;

/// The sysctl tree of one kernel.
pub struct SysctlTree {
    inner: Mutex<TreeState>,
}

impl Default for SysctlTree {
    fn default() -> Self {
        SysctlTree::new()
    }
}

impl SysctlTree {
    /// A tree with NetBSD's top-level nodes (kern=1 ... security=13).
    pub fn new() -> SysctlTree {
        let root_flags = CTLFLAG_ROOT | CTLFLAG_READWRITE;
        let name = SysctlName::new(b"(root)");
        let root = Node::new(name, CTLTYPE_NODE, root_flags, NODE_LEN, Kind::Node);
        let t = SysctlTree {
            inner: Mutex::new(TreeState {
                root,
                next_num: CREATE_BASE,
                deferred: Vec::new(),
            }),
        };
        // NetBSD's rump kernels are built without descriptions
        // (SYSCTL_INCLUDE_DESCR unset): its top nodes' are kept in TOP
        // for the reader, and not given. Their names and numbers are
        // known good, so they go in without create's checks.
        {
            let mut g = t.lock();
            // The room NetBSD gives them (twice SYSCTL_DEFSIZE), at once.
            g.root.children.reserve_exact(TOP.len().next_power_of_two());
            for (num, name, _desc, flags) in TOP {
                let flags = flags | CTLFLAG_PERMANENT;
                let name = SysctlName::new(name.as_bytes());
                let node = Node::new(name, CTLTYPE_NODE, flags, NODE_LEN, Kind::Node);
                g.insert(&[], node, Some(num));
            }
        }
        t
    }

    /// The tree, with every deferred subtree made.
    pub(super) fn lock(&self) -> MutexGuard<'_, TreeState> {
        let mut g = self.lock_raw();
        if !g.deferred.is_empty() {
            g.settle();
        }
        g
    }

    /// The tree as it is, deferred subtrees not made.
    pub(super) fn lock_raw(&self) -> MutexGuard<'_, TreeState> {
        crate::sync::lock(&self.inner)
    }

    /// The tree for adding below the node `parent` finds: deferred
    /// subtrees are made first if the parent is, or is below, one.
    fn lock_for_add(
        &self,
        parent: impl Fn(&TreeState) -> KResult<Path>,
    ) -> KResult<(MutexGuard<'_, TreeState>, Path)> {
        let mut g = self.lock_raw();
        match parent(&g) {
            Ok(p) if !g.is_deferred(&p) => Ok((g, p)),
            // A deferred node has no children yet, so a path below one
            // fails until they are made.
            _ => {
                g.settle();
                let p = parent(&g)?;
                Ok((g, p))
            }
        }
    }

    /// Have `build` make `count` nodes below the empty node `parent` when
    /// the tree is next used for anything but adding elsewhere, instead of
    /// now: the kernel's per-process nodes (`proc.curproc`) cost most of a
    /// boot to make and few kernels are ever asked about them. Every answer
    /// is as if they had been made now, versions included, since the
    /// builder's numbers are fixed. EINVAL if `parent` is no empty node.
    pub(crate) fn create_deferred(
        &self,
        parent: &[i32],
        count: u32,
        build: DeferredBuild,
    ) -> KResult<()> {
        let mut g = self.lock();
        let path = g.find(parent)?;
        let p = g.node(&path);
        if p.ty != CTLTYPE_NODE || !p.children.is_empty() || !matches!(p.kind, Kind::Node) {
            return Err(Errno::EINVAL);
        }
        // The root and every node down to the parent get the version the
        // last of the inserts would give them.
        let ver_before = g.root.ver;
        let v = ver_before.wrapping_add(count);
        g.root.ver = v;
        let mut n = &mut g.root;
        for &i in path.iter() {
            n = &mut n.children[i];
            n.ver = v;
        }
        let parent = g.mib(&path);
        g.deferred.push(Deferred {
            parent,
            ver_before,
            count,
            build,
        });
        Ok(())
    }

    /// Add a node below `parent` ("" for the root); returns its MIB.
    /// ENOENT/ENOTDIR for a bad parent, EEXIST if the name or number is
    /// taken, ENAMETOOLONG/EINVAL for a bad name, EINVAL for bad flags or
    /// a value that does not fit `max_len`.
    pub fn create(&self, parent: &str, spec: NodeSpec) -> KResult<Mib> {
        self.add(spec, |g| g.resolve(parent))
    }

    /// [`SysctlTree::create`] below the node whose MIB is `parent` (as
    /// [`SysctlTree::create`] returns it), which spares finding it by name.
    pub fn create_in(&self, parent: &[i32], spec: NodeSpec) -> KResult<Mib> {
        self.add(spec, |g| g.find(parent))
    }

    /// Several nodes below one parent, in order, each as
    /// [`SysctlTree::create`] would add it (the same checks, numbers and
    /// versions), finding the parent and taking the tree's lock once. The
    /// first failure stops it, with the nodes before it added.
    pub fn create_all(
        &self,
        parent: &str,
        specs: impl IntoIterator<Item = NodeSpec>,
    ) -> KResult<()> {
        self.add_all(specs, |g| g.resolve(parent))
    }

    /// Add the node `spec` below the one `parent` finds.
    fn add(&self, spec: NodeSpec, parent: impl Fn(&TreeState) -> KResult<Path>) -> KResult<Mib> {
        let (node, num) = prepare(spec)?;
        let (mut g, mut path) = self.lock_for_add(parent)?;
        path.push(g.place(&path, node, num)?)?;
        Ok(g.mib(&path))
    }

    /// Add the nodes `specs` below the one `parent` finds. The nodes are
    /// made before the lock is taken, as [`SysctlTree::add`] does, since
    /// making a dynamic node reads it.
    fn add_all(
        &self,
        specs: impl IntoIterator<Item = NodeSpec>,
        parent: impl Fn(&TreeState) -> KResult<Path>,
    ) -> KResult<()> {
        let specs = specs.into_iter();
        let mut ready = Vec::with_capacity(specs.size_hint().0);
        let mut failed = Ok(());
        for spec in specs {
            match prepare(spec) {
                Ok(made) => ready.push(made),
                Err(e) => {
                    failed = Err(e);
                    break;
                }
            }
        }
        if ready.is_empty() {
            return failed;
        }
        let (mut g, path) = self.lock_for_add(parent)?;
        for (node, num) in ready {
            g.place(&path, node, num)?;
        }
        failed
    }

    /// Make sure the interior nodes along `path` exist, creating missing
    /// ones (permanent, numbers allocated). `description` is the last one's
    /// NetBSD description, for the reader only (see
    /// [`NodeSpec::description`]). Returns the MIB of the last.
    pub fn create_path(&self, path: &str, _description: &str) -> KResult<Mib> {
        let comps: Vec<&str> = path.split('.').filter(|c| !c.is_empty()).collect();
        let mut g = self.lock_raw();
        let mut at = Path::ROOT;
        for comp in &comps {
            if g.is_deferred(&at) {
                g.settle();
            }
            let p = g.node(&at);
            if p.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            let by_name = p
                .children
                .iter()
                .position(|c| c.name.as_bytes() == comp.as_bytes());
            if let Some(i) = by_name {
                at.push(i)?;
                continue;
            }
            check_name(comp.as_bytes())?;
            if at.len() == CTL_MAXNAME {
                return Err(Errno::EINVAL);
            }
            let name = SysctlName::new(comp.as_bytes());
            let node = Node::new(name, CTLTYPE_NODE, CTLFLAG_PERMANENT, NODE_LEN, Kind::Node);
            at.push(g.insert(&at, node, None))?;
        }
        if g.node(&at).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        Ok(g.mib(&at))
    }

    /// Remove a node, permanent ones too (this is the kernel tearing down
    /// its own). ENOTEMPTY if it has children.
    pub fn destroy(&self, path: &str) -> KResult<()> {
        let mut g = self.lock();
        let mut p = g.resolve(path)?;
        let i = p.pop().ok_or(Errno::EINVAL)?;
        if !g.node(&p).children[i].children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        g.remove(&p, i);
        Ok(())
    }

    /// The MIB of a dotted path, e.g. "kern.hostname" -> [1, 10].
    pub fn name_to_mib(&self, path: &str) -> KResult<Vec<i32>> {
        let g = self.lock();
        let p = g.resolve(path)?;
        Ok(g.mib(&p).to_vec())
    }

    /// Read a value. EINVAL for an interior node.
    pub fn get(&self, path: &str) -> KResult<SysctlValue> {
        let g = self.lock();
        let n = g.node(&g.resolve(path)?);
        match &n.kind {
            Kind::Value(b) => Ok(from_raw(n.ty, b)),
            Kind::Dynamic(d) => {
                let read = d.read.clone();
                drop(g);
                Ok(read())
            }
            Kind::Node | Kind::Handler(_) => Err(Errno::EINVAL),
        }
    }

    /// Write a value as the kernel: no permission or read-only check, but
    /// the type must match and the value fit the node (EINVAL).
    pub fn set(&self, path: &str, v: SysctlValue) -> KResult<()> {
        let mut g = self.lock();
        let p = g.resolve(path)?;
        let n = g.node_mut(&p);
        match &mut n.kind {
            Kind::Value(old) => {
                let (ty, b) = to_raw(v);
                let fits = match ty {
                    CTLTYPE_STRING => b.len() < n.size,
                    _ => b.len() == n.size,
                };
                if ty != n.ty || !fits {
                    return Err(Errno::EINVAL);
                }
                *old = b.into_boxed_slice();
                Ok(())
            }
            Kind::Dynamic(d) => {
                let write = d.write.clone().ok_or(Errno::EPERM)?;
                drop(g);
                write(v)
            }
            Kind::Node | Kind::Handler(_) => Err(Errno::EINVAL),
        }
    }
}
