//! `fsu_ls`: list directory contents in the image, as `ls` does.

use rump_fsutils::listing::{self, Entry, Style};
use rump_fsutils::names::Names;
use rump_fsutils::session::{Access, Command, Session};
use rump_fsutils::tree;
use rumpvfs::VfsCalls;
use rumpvfs::flags::{S_IFLNK, S_IFMT};

const USAGE: &str = "usage: fsu_ls [-o mnt_args] [-t fstype] image [-adFilnR] [file ...]";

struct Ls<'a> {
    all: bool,
    long: bool,
    recursive: bool,
    style: Style<'a>,
}

fn entry(s: &Session, path: &str, name: &str) -> Result<Entry, rump::Errno> {
    let st = s.k().sys_lstat(path)?;
    let target = if st.mode & S_IFMT == S_IFLNK {
        let t = s.k().sys_readlink(path)?;
        Some(String::from_utf8_lossy(&t).into_owned())
    } else {
        None
    };
    let target_mode = match target {
        Some(_) => s.k().sys_stat(path).ok().map(|t| t.mode),
        None => None,
    };
    Ok(Entry {
        name: name.to_string(),
        st,
        target,
        target_mode,
    })
}

impl Ls<'_> {
    fn print(&self, entries: &[Entry], also: &[Entry], total: bool) {
        if self.long {
            if total {
                let blocks: i64 = entries.iter().map(|e| e.st.blocks).sum();
                println!("total {}", (blocks + 1) / 2);
            }
            for l in listing::long_lines(entries, also, &self.style) {
                println!("{l}");
            }
            return;
        }
        for e in entries {
            let ino = if self.style.inode {
                format!("{} ", e.st.ino)
            } else {
                String::new()
            };
            let mark = if self.style.classify {
                listing::type_mark(e.st.mode)
            } else {
                ""
            };
            println!("{ino}{}{mark}", e.name);
        }
    }

    fn directory(&self, s: &mut Session, dir: &str, header: bool, first: bool) {
        if header {
            if !first {
                println!();
            }
            println!("{dir}:");
        }
        let mut names = match tree::read_dir(s.k(), dir) {
            Ok(n) => n,
            Err(e) => return s.warn(dir, e),
        };
        if self.all {
            names.splice(0..0, [".".to_string(), "..".to_string()]);
        } else {
            names.retain(|n| !n.starts_with('.'));
        }
        let mut entries = Vec::new();
        for n in &names {
            match entry(s, &tree::join(dir, n), n) {
                Ok(e) => entries.push(e),
                Err(e) => s.warn(&tree::join(dir, n), e),
            }
        }
        self.print(&entries, &[], true);
        if self.recursive {
            for e in entries.iter().filter(|e| tree::is_dir(&e.st)) {
                if e.name != "." && e.name != ".." {
                    self.directory(s, &tree::join(dir, &e.name), true, false);
                }
            }
        }
    }
}

fn main() {
    let cmd = Command::parse("fsu_ls", USAGE, "adFilnR");
    let a = &cmd.args;
    let names = Names::host();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let ls = Ls {
        all: a.has('a'),
        long: a.has('l') || a.has('n'),
        recursive: a.has('R') && !a.has('d'),
        style: Style {
            numeric: a.has('n'),
            inode: a.has('i'),
            classify: a.has('F'),
            names: &names,
            now,
        },
    };
    let as_files = a.has('d');
    let mut operands = a.operands.clone();
    if operands.is_empty() {
        operands.push(".".to_string());
    }
    let mut s = cmd.mount(Access::ReadOnly);
    // As ls: files first, then each directory under its name.
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for op in &operands {
        match entry(&s, op, op) {
            Ok(e) if tree::is_dir(&e.st) && !as_files => dirs.push(e),
            Ok(e) => files.push(e),
            Err(e) => s.warn(op, e),
        }
    }
    ls.print(&files, &dirs, false);
    let header = operands.len() > 1 || ls.recursive;
    for (i, d) in dirs.iter().enumerate() {
        ls.directory(&mut s, &d.name, header, i == 0 && files.is_empty());
    }
    s.finish()
}
