//! User and group names from the host's `/etc/passwd` and `/etc/group`,
//! as fs-utils' tools take them from the host's C library: the image
//! carries numbers only.

use std::collections::HashMap;

/// The host's user and group tables.
#[derive(Default)]
pub struct Names {
    users: Vec<(String, u32)>,
    groups: Vec<(String, u32)>,
}

fn table(path: &str) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((name.to_string(), id))
        })
        .collect()
}

impl Names {
    /// Read the host's tables (missing ones are empty).
    pub fn host() -> Names {
        Names {
            users: table("/etc/passwd"),
            groups: table("/etc/group"),
        }
    }

    /// The name of user `uid`, or its number.
    pub fn user(&self, uid: u32) -> String {
        name_of(&self.users, uid)
    }

    /// The name of group `gid`, or its number.
    pub fn group(&self, gid: u32) -> String {
        name_of(&self.groups, gid)
    }

    /// The name of user `uid`, if the host has one.
    pub fn user_name(&self, uid: u32) -> Option<String> {
        self.users
            .iter()
            .find(|(_, i)| *i == uid)
            .map(|(n, _)| n.clone())
    }

    /// The name of group `gid`, if the host has one.
    pub fn group_name(&self, gid: u32) -> Option<String> {
        self.groups
            .iter()
            .find(|(_, i)| *i == gid)
            .map(|(n, _)| n.clone())
    }

    /// A user given by name or number.
    pub fn uid(&self, s: &str) -> Option<u32> {
        id_of(&self.users, s)
    }

    /// A group given by name or number.
    pub fn gid(&self, s: &str) -> Option<u32> {
        id_of(&self.groups, s)
    }
}

fn name_of(t: &[(String, u32)], id: u32) -> String {
    t.iter()
        .find(|(_, i)| *i == id)
        .map_or_else(|| id.to_string(), |(n, _)| n.clone())
}

fn id_of(t: &[(String, u32)], s: &str) -> Option<u32> {
    let by_name: HashMap<&str, u32> = t.iter().map(|(n, i)| (n.as_str(), *i)).collect();
    by_name.get(s).copied().or_else(|| s.parse().ok())
}
