//! `fsu_du`: disk usage of trees in the image, as GNU `du` prints it.

use rump_fsutils::listing::human;
use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree::{self, Visit};
use std::collections::HashSet;

const USAGE: &str = "usage: fsu_du [-o mnt_args] [-t fstype] image [-achks] [file ...]";

fn main() {
    let cmd = Command::parse("fsu_du", USAGE, "achks");
    let a = &cmd.args;
    let (all, total, humanly, summary) = (a.has('a'), a.has('c'), a.has('h'), a.has('s'));
    if all && summary {
        eprintln!("fsu_du: cannot both summarize and show all entries");
        cmd.usage();
    }
    let mut roots = a.operands.clone();
    if roots.is_empty() {
        roots.push(".".to_string());
    }
    let mut s = cmd.mount(Access::ReadOnly);
    let k = s.kernel();
    let show = |blocks: i64, p: &str| {
        let bytes = blocks as u64 * 512;
        let size = if humanly {
            human(bytes)
        } else {
            bytes.div_ceil(1024).to_string()
        };
        println!("{size}\t{p}");
    };
    let mut grand = 0;
    // Hard links count once, as GNU's du counts them.
    let mut seen = HashSet::new();
    for root in &roots {
        let mut stack: Vec<i64> = Vec::new();
        let mut last = 0;
        tree::walk(&k, root, &mut |v| {
            match v {
                Visit::Pre(p, st) => {
                    let counted =
                        st.nlink <= 1 || tree::is_dir(st) || seen.insert((st.dev, st.ino));
                    let own = if counted { st.blocks } else { 0 };
                    if tree::is_dir(st) {
                        stack.push(own);
                    } else {
                        if let Some(top) = stack.last_mut() {
                            *top += own;
                        } else {
                            last = own;
                        }
                        if counted && (all || stack.is_empty()) {
                            show(own, p);
                        }
                    }
                }
                Visit::Post(p, _) => {
                    let mine = stack.pop().unwrap_or(0);
                    if let Some(top) = stack.last_mut() {
                        *top += mine;
                    }
                    if !summary || stack.is_empty() {
                        show(mine, p);
                    }
                    if stack.is_empty() {
                        last = mine;
                    }
                }
                Visit::Error(p, e) => s.warn(p, e),
            }
            true
        });
        grand += last;
    }
    if total {
        show(grand, "total");
    }
    s.finish()
}
