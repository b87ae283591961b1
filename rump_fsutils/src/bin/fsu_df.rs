//! `fsu_df`: the image's free space, as GNU `df` prints it.

use rump_fsutils::listing::human;
use rump_fsutils::session::{Access, Command};
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_df [-o mnt_args] [-t fstype] image [-hik]";

fn percent(used: u64, avail: u64) -> String {
    match used + avail {
        0 => "-".to_string(),
        all => format!("{}%", (used * 100).div_ceil(all)),
    }
}

fn main() {
    let cmd = Command::parse("fsu_df", USAGE, "hik");
    if !cmd.args.operands.is_empty() {
        cmd.usage();
    }
    let (humanly, inodes) = (cmd.args.has('h'), cmd.args.has('i'));
    let mut s = cmd.mount(Access::ReadOnly);
    let k = s.kernel();
    let v = match k.sys_statvfs("/") {
        Ok(v) => v,
        Err(e) => {
            s.warn("/", e);
            s.finish()
        }
    };
    let from = s.image.clone();
    let (size, used, avail) = if inodes {
        (v.files, v.files - v.ffree, v.favail)
    } else {
        let used = v.blocks.saturating_sub(v.bfree);
        (v.blocks, used, v.bavail)
    };
    let cell = |n: u64| -> String {
        match (inodes, humanly) {
            (true, true) => human(n).replace(".0", ""),
            (true, false) => n.to_string(),
            (false, true) => human(n * v.frsize),
            (false, false) => (n * v.frsize).div_ceil(1024).to_string(),
        }
    };
    let head = match (inodes, humanly) {
        (true, _) => ["Inodes", "IUsed", "IFree", "IUse%"],
        (false, true) => ["Size", "Used", "Avail", "Use%"],
        (false, false) => ["1K-blocks", "Used", "Available", "Use%"],
    };
    let row = [
        from,
        cell(size),
        cell(used),
        cell(avail),
        percent(used, avail),
        "/".to_string(),
    ];
    let mut head_row = vec!["Filesystem".to_string()];
    head_row.extend(head.iter().map(|h| h.to_string()));
    head_row.push("Mounted on".to_string());
    let w: Vec<usize> = (0..6)
        .map(|i| head_row[i].len().max(row[i].len()))
        .collect();
    for r in [&head_row[..], &row[..]] {
        println!(
            "{:<w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$} {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        );
    }
    s.finish()
}
