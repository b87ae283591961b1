//! The nodes the host's kernel has looked up: FUSE node ids, the kernel
//! path each one is reached by, and how many lookups the host holds
//! (`forget` gives them back).
//!
//! A node id is the kernel's inode number, except that FUSE's root is
//! always 1: the mounted file system's root inode and inode 1 (if the file
//! system has one) trade places.

use std::collections::HashMap;

/// FUSE's node id of the root.
pub const ROOT_ID: u64 = 1;

/// One looked-up node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    /// The kernel path, absolute; `None` once the last name we knew was
    /// removed (an open file may still be used through its handle).
    path: Option<String>,
    /// Lookups the host holds.
    lookups: u64,
}

/// The node table.
#[derive(Debug)]
pub struct Nodes {
    root_path: String,
    root_ino: u64,
    map: HashMap<u64, Node>,
}

impl Nodes {
    /// A table holding only the root, the file system mounted at
    /// `root_path` whose root's inode number is `root_ino`.
    pub fn new(root_path: &str, root_ino: u64) -> Nodes {
        let mut map = HashMap::new();
        map.insert(
            ROOT_ID,
            Node {
                path: Some(root_path.to_string()),
                lookups: 1,
            },
        );
        Nodes {
            root_path: root_path.to_string(),
            root_ino,
            map,
        }
    }

    /// The node id of kernel inode `ino`.
    pub fn id_of(&self, ino: u64) -> u64 {
        if ino == self.root_ino {
            ROOT_ID
        } else if ino == ROOT_ID {
            self.root_ino
        } else {
            ino
        }
    }

    /// The kernel path of node `id`: ENOENT (as `None`) for a node the
    /// host forgot or whose names are all gone.
    pub fn path(&self, id: u64) -> Option<String> {
        self.map.get(&id).and_then(|n| n.path.clone())
    }

    /// The kernel path of `name` in directory `parent`.
    pub fn child_path(&self, parent: u64, name: &str) -> Option<String> {
        let dir = self.path(parent)?;
        Some(join(&dir, name))
    }

    /// The host looked node `id` up by `path`: count it, and remember the
    /// path (the newest name of a file with several links is the one most
    /// likely to still exist).
    pub fn looked_up(&mut self, id: u64, path: String) {
        let n = self.map.entry(id).or_insert(Node {
            path: None,
            lookups: 0,
        });
        n.lookups += 1;
        if id != ROOT_ID {
            n.path = Some(path);
        }
    }

    /// The host forgot `count` lookups of node `id`; the last one drops it.
    pub fn forget(&mut self, id: u64, count: u64) {
        if id == ROOT_ID {
            return;
        }
        if let Some(n) = self.map.get_mut(&id) {
            n.lookups = n.lookups.saturating_sub(count);
            if n.lookups == 0 {
                self.map.remove(&id);
            }
        }
    }

    /// `path` was removed: a node known by it has no name we know.
    pub fn removed(&mut self, path: &str) {
        for n in self.map.values_mut() {
            if n.path.as_deref() == Some(path) {
                n.path = None;
            }
        }
    }

    /// `from` was renamed to `to`: every node at or under `from` moves, and
    /// one that was at `to` is replaced.
    pub fn renamed(&mut self, from: &str, to: &str) {
        self.removed(to);
        let under = format!("{from}/");
        for n in self.map.values_mut() {
            let Some(p) = &n.path else { continue };
            if p == from {
                n.path = Some(to.to_string());
            } else if let Some(rest) = p.strip_prefix(&under) {
                n.path = Some(format!("{to}/{rest}"));
            }
        }
    }

    /// The number of nodes held, the root included.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether only the root is held (never empty: the root stays).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The path of the mounted file system's root in the kernel.
    pub fn root_path(&self) -> &str {
        &self.root_path
    }
}

/// `dir/name`, for kernel paths.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_inode_one_trade_places() {
        let n = Nodes::new("/mnt", 2);
        assert_eq!(n.id_of(2), ROOT_ID);
        assert_eq!(n.id_of(1), 2);
        assert_eq!(n.id_of(7), 7);
        assert_eq!(n.path(ROOT_ID).as_deref(), Some("/mnt"));
    }

    #[test]
    fn lookups_are_counted_and_forgotten() {
        let mut n = Nodes::new("/mnt", 2);
        n.looked_up(5, "/mnt/a".into());
        n.looked_up(5, "/mnt/a".into());
        n.forget(5, 1);
        assert_eq!(n.path(5).as_deref(), Some("/mnt/a"));
        n.forget(5, 1);
        assert_eq!(n.path(5), None);
        n.forget(ROOT_ID, 10);
        assert_eq!(n.path(ROOT_ID).as_deref(), Some("/mnt"));
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn renames_move_whole_subtrees_and_replace_the_target() {
        let mut n = Nodes::new("/mnt", 2);
        n.looked_up(5, "/mnt/d".into());
        n.looked_up(6, "/mnt/d/f".into());
        n.looked_up(7, "/mnt/dx".into());
        n.looked_up(8, "/mnt/e".into());
        n.renamed("/mnt/d", "/mnt/e");
        assert_eq!(n.path(5).as_deref(), Some("/mnt/e"));
        assert_eq!(n.path(6).as_deref(), Some("/mnt/e/f"));
        assert_eq!(n.path(7).as_deref(), Some("/mnt/dx"), "a sibling prefix");
        assert_eq!(n.path(8), None, "the replaced target");
        assert_eq!(n.child_path(5, "g").as_deref(), Some("/mnt/e/g"));
    }

    #[test]
    fn a_removed_name_leaves_the_node_nameless_until_looked_up_again() {
        let mut n = Nodes::new("/", 2);
        n.looked_up(5, "/a".into());
        n.removed("/a");
        assert_eq!(n.path(5), None);
        n.looked_up(5, "/b".into());
        assert_eq!(n.path(5).as_deref(), Some("/b"));
        assert_eq!(join("/", "x"), "/x");
    }
}
