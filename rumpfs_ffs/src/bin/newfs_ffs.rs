//! `newfs_ffs`: make an FFSv1 or FFSv2 file system in an image file, as
//! NetBSD's `newfs` does on a disk.

use rumpfs_ffs::dev::{BlockDev, HostDev};
use rumpfs_ffs::format::{DEV_BSIZE, Endian, Version};
use rumpfs_ffs::mkfs::{self, Params};
use std::sync::Arc;

const USAGE: &str = "usage: newfs_ffs [-FNZ] [-B byte-order] [-b block-size] [-f frag-size] \
[-i bytes-per-inode] [-m free-space] [-O format] [-s size] [-V verbose] special";

fn fail(msg: &str) -> ! {
    eprintln!("newfs_ffs: {msg}");
    std::process::exit(1)
}

/// A size with NetBSD's suffixes: sectors by default, or b, k, m, g, t.
fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.char_indices().last()? {
        (i, 'b') => (&s[..i], 1),
        (i, 's') => (&s[..i], DEV_BSIZE),
        (i, 'k' | 'K') => (&s[..i], 1 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        (i, 't' | 'T') => (&s[..i], 1 << 40),
        _ => (s, DEV_BSIZE),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn number(opt: char, v: &str) -> u64 {
    v.parse()
        .unwrap_or_else(|_| fail(&format!("-{opt} {v}: not a number")))
}

fn main() {
    rumpuser::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut p = Params::default();
    let (mut image, mut no_write, mut zero) = (false, false, false);
    let mut special = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            if special.replace(a.clone()).is_some() {
                fail(USAGE);
            }
            continue;
        };
        let mut chars = flags.chars();
        while let Some(c) = chars.next() {
            match c {
                'F' => image = true,
                'N' => no_write = true,
                'Z' => zero = true,
                'B' | 'b' | 'f' | 'i' | 'm' | 'O' | 's' | 'V' => {
                    let rest: String = chars.by_ref().collect();
                    let v = if rest.is_empty() {
                        i += 1;
                        args.get(i - 1).cloned().unwrap_or_else(|| fail(USAGE))
                    } else {
                        rest
                    };
                    match c {
                        'B' => {
                            p.endian = match v.as_str() {
                                "be" => Endian::Big,
                                "le" => Endian::Little,
                                _ => fail(&format!("-B {v}: byte order is be or le")),
                            }
                        }
                        'b' => p.bsize = number(c, &v),
                        'f' => p.fsize = number(c, &v),
                        'i' => p.density = number(c, &v),
                        'm' => p.minfree = number(c, &v) as u32,
                        'O' => {
                            p.version = match v.as_str() {
                                "1" => Version::Ufs1,
                                "2" => Version::Ufs2,
                                "0" => fail("-O 0 (the 4.3BSD format) is not supported"),
                                _ => fail(&format!("-O {v}: format is 1 or 2")),
                            }
                        }
                        's' => {
                            p.size = parse_size(&v)
                                .unwrap_or_else(|| fail(&format!("-s {v}: not a size")))
                        }
                        _ => {} // -V: this newfs prints the same at every level
                    }
                }
                'a' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' | 'S' | 'T' | 'v' | 'G' | 'I' => {
                    fail(&format!("-{c} is not supported yet"))
                }
                _ => fail(USAGE),
            }
        }
    }
    let special = special.unwrap_or_else(|| fail(USAGE));
    let exists = std::fs::metadata(&special).is_ok();
    if !exists && !image {
        fail(&format!(
            "{special}: no such file (use -F -s SIZE to make an image)"
        ));
    }
    let make_image = !exists || (image && p.size != 0);
    if make_image && p.size == 0 {
        fail("-s is needed to make a new image");
    }
    // The device is opened (or the image made) before anything is printed,
    // as NetBSD's newfs opens it first: a wrong path fails at once.
    let opened = if make_image && no_write {
        None
    } else if make_image {
        Some(HostDev::create(&special, p.size))
    } else {
        Some(HostDev::open(&special, !no_write))
    };
    let dev: Option<Arc<dyn BlockDev>> = opened.map(|r| {
        Arc::new(r.unwrap_or_else(|e| fail(&format!("{special}: {}", rumpuser::strerror(&e)))))
            as Arc<dyn BlockDev>
    });
    let dev_size = dev.as_ref().map_or(p.size, |d| d.size());
    let sb = mkfs::explain(&p, dev_size).unwrap_or_else(|why| fail(&why));
    let mb = |frags: u64| (frags * sb.fsize) as f64 / (1 << 20) as f64;
    println!(
        "{special}: {:.1}MB ({} sectors) block size {}, fragment size {}",
        mb(sb.size),
        sb.size * sb.fsize / DEV_BSIZE,
        sb.bsize,
        sb.fsize
    );
    println!(
        "\tusing {} cylinder groups of {:.2}MB, {} blks, {} inodes.",
        sb.ncg,
        mb(sb.fpg),
        sb.fpg / sb.frag,
        sb.ipg
    );
    println!("super-block backups (for fsck_ffs -b #) at:");
    let backups: Vec<String> = (0..sb.ncg)
        .map(|c| (sb.cgsblock(c) * sb.fsize / DEV_BSIZE).to_string())
        .collect();
    println!("{}", backups.join(", "));
    let Some(dev) = dev.filter(|_| !no_write) else {
        return;
    };
    if zero {
        let z = vec![0u8; 1 << 20];
        let mut off = 0;
        while off < dev.size() {
            let n = (dev.size() - off).min(z.len() as u64) as usize;
            dev.write_at(off, &z[..n])
                .unwrap_or_else(|e| fail(&format!("zeroing {special}: {e}")));
            off += n as u64;
        }
    }
    if let Err(e) = mkfs::newfs(dev, &p) {
        fail(&format!("writing {special}: {e}"));
    }
}
