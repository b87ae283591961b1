//! The model: a small in-memory tree of NetBSD's file system semantics
//! that predicts each operation's result.

use super::*;

pub(crate) type Id = usize;

pub(crate) enum Kind {
    File(Vec<u8>),
    /// Entries, and the parent directory (the root is its own parent).
    Dir(BTreeMap<String, Id>, Id),
}

pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// Names of a file (directories count theirs from their contents).
    pub(crate) links: u32,
    /// Open descriptors referring to it.
    pub(crate) opens: u32,
}

/// What the model says about one path: the node, or why there is none.
pub(crate) type Lookup = Result<Id, Errno>;

pub(crate) struct Model {
    pub(crate) nodes: HashMap<Id, Node>,
    pub(crate) next_id: Id,
    pub(crate) root: Id,
}

impl Model {
    pub(crate) fn new() -> Model {
        let mut nodes = HashMap::new();
        nodes.insert(
            0,
            Node {
                kind: Kind::Dir(BTreeMap::new(), 0),
                links: 0,
                opens: 0,
            },
        );
        Model {
            nodes,
            next_id: 1,
            root: 0,
        }
    }

    pub(crate) fn is_dir(&self, id: Id) -> bool {
        matches!(self.nodes[&id].kind, Kind::Dir(..))
    }

    pub(crate) fn entries(&self, id: Id) -> &BTreeMap<String, Id> {
        match &self.nodes[&id].kind {
            Kind::Dir(e, _) => e,
            Kind::File(_) => unreachable!("entries of a file"),
        }
    }

    pub(crate) fn entries_mut(&mut self, id: Id) -> &mut BTreeMap<String, Id> {
        match &mut self.nodes.get_mut(&id).unwrap().kind {
            Kind::Dir(e, _) => e,
            Kind::File(_) => unreachable!("entries of a file"),
        }
    }

    pub(crate) fn file(&self, id: Id) -> &Vec<u8> {
        match &self.nodes[&id].kind {
            Kind::File(d) => d,
            Kind::Dir(..) => unreachable!("data of a directory"),
        }
    }

    pub(crate) fn file_mut(&mut self, id: Id) -> &mut Vec<u8> {
        match &mut self.nodes.get_mut(&id).unwrap().kind {
            Kind::File(d) => d,
            Kind::Dir(..) => unreachable!("data of a directory"),
        }
    }

    pub(crate) fn parent(&self, dir: Id) -> Id {
        match self.nodes[&dir].kind {
            Kind::Dir(_, p) => p,
            Kind::File(_) => unreachable!("parent of a file"),
        }
    }

    pub(crate) fn set_parent(&mut self, dir: Id, parent: Id) {
        if let Kind::Dir(_, p) = &mut self.nodes.get_mut(&dir).unwrap().kind {
            *p = parent;
        }
    }

    /// st_nlink as NetBSD reports it: names for a file, 2 + subdirectories
    /// for a directory.
    pub(crate) fn nlink(&self, id: Id) -> u32 {
        match &self.nodes[&id].kind {
            Kind::File(_) => self.nodes[&id].links,
            Kind::Dir(e, _) => 2 + e.values().filter(|&&c| self.is_dir(c)).count() as u32,
        }
    }

    /// Resolve all components: ENOTDIR when a file is used as a directory,
    /// ENOENT when a name is missing, in path order.
    pub(crate) fn lookup(&self, comps: &[&str]) -> Lookup {
        let mut cur = self.root;
        for c in comps {
            if !self.is_dir(cur) {
                return Err(Errno::ENOTDIR);
            }
            cur = *self.entries(cur).get(*c).ok_or(Errno::ENOENT)?;
        }
        Ok(cur)
    }

    /// Resolve the directory a path's last component is in.
    pub(crate) fn lookup_parent(&self, comps: &[&str]) -> Result<Id, Errno> {
        let dir = self.lookup(&comps[..comps.len() - 1])?;
        if self.is_dir(dir) {
            Ok(dir)
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    /// Whether `anc` is `node` or one of its ancestors (directories only).
    pub(crate) fn is_ancestor(&self, anc: Id, mut node: Id) -> bool {
        loop {
            if node == anc {
                return true;
            }
            if node == self.root {
                return false;
            }
            node = self.parent(node);
        }
    }

    pub(crate) fn new_node(&mut self, kind: Kind, links: u32) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        self.nodes.insert(
            id,
            Node {
                kind,
                links,
                opens: 0,
            },
        );
        id
    }

    /// Drop a name's reference; return the ids of nodes that died.
    pub(crate) fn unref(&mut self, id: Id) -> Vec<Id> {
        if self.is_dir(id) {
            assert!(
                self.entries(id).is_empty(),
                "model: freeing a full directory"
            );
            self.nodes.remove(&id);
            return vec![id];
        }
        let n = self.nodes.get_mut(&id).unwrap();
        n.links -= 1;
        if n.links == 0 && n.opens == 0 {
            self.nodes.remove(&id);
            vec![id]
        } else {
            vec![]
        }
    }

    /// Every path in the tree with its node, parents before children.
    pub(crate) fn paths(&self) -> Vec<(String, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![(String::new(), self.root)];
        while let Some((p, id)) = stack.pop() {
            if let Kind::Dir(e, _) = &self.nodes[&id].kind {
                for (name, &child) in e.iter().rev() {
                    let cp = if p.is_empty() {
                        name.clone()
                    } else {
                        format!("{p}/{name}")
                    };
                    stack.push((cp.clone(), child));
                    out.push((cp, child));
                }
            }
        }
        out
    }
}

pub(crate) fn comps(path: &str) -> Vec<&str> {
    path.split('/').collect()
}
