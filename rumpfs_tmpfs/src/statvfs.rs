//! What a tmpfs holds and has room for, as NetBSD's `tmpfs_statvfs`
//! counts it: its nodes, directory entries, names and link targets, and
//! file pages, against its size limit or the memory a rump kernel has.

use rump::kmem::Kmem;
use rumpvfs::memfs::{Limits, PAGE, Usage, round_page};
use rumpvfs::node::FsStats;

/// What NetBSD's tmpfs charges per node, `sizeof(struct tmpfs_node)` on
/// amd64: a fresh mount's free nodes are its free memory over it (NetBSD's
/// rump kernel answers 2485513 for 512 MiB).
pub const NODE_SIZE: u64 = 216;
/// `sizeof(struct tmpfs_dirent)` on amd64: what a directory entry costs
/// and adds to its directory's size (`tmpfs_dir_attach`).
pub const DIRENT_SIZE: u64 = 48;
/// Names and link targets are charged in these steps (`TMPFS_NAME_QUANTUM`).
const NAME_QUANTUM: u64 = 32;
/// The memory an unlimited rump kernel has, in pages (`PHYSMEM`,
/// `sys/rump/librump/rumpkern/emul.c`), which tmpfs sees as free.
const RUMP_PHYSMEM_PAGES: u64 = 512 * 256;
/// What a memory-limited rump kernel keeps for its page daemon
/// (`PDRESERVE`, `vm.c`: twice `MAXPHYS`).
const PDRESERVE: u64 = 2 * 64 * 1024;

fn name_charge(len: usize) -> u64 {
    (len as u64).div_ceil(NAME_QUANTUM) * NAME_QUANTUM
}

/// Bytes NetBSD's tmpfs would count as used (`tm_bytes_used`).
fn bytes_charged(u: &Usage) -> u64 {
    let names: u64 = u
        .name_lens
        .iter()
        .map(|&n| DIRENT_SIZE + name_charge(n))
        .sum();
    let targets: u64 = u.target_lens.iter().map(|&n| name_charge(n)).sum();
    u.nodes * NODE_SIZE + u.pages * PAGE as u64 + names + targets
}

/// Free pages as NetBSD's tmpfs sees them (`tmpfs_mem_info` less
/// `uvmexp.freetarg`): a rump kernel's memory, which it never counts down.
fn free_pages(kmem: &Kmem) -> u64 {
    match kmem.limit() {
        None => RUMP_PHYSMEM_PAGES,
        Some(limit) => {
            let npages = limit / PAGE as u64;
            let phys = limit.saturating_sub(PDRESERVE);
            let freetarg = (phys - 9 * (phys / 10)) / PAGE as u64;
            npages.saturating_sub(freetarg)
        }
    }
}

/// NetBSD's `tmpfs_statvfs`: pages of the memory the file system may still
/// take (its size limit, or what the kernel has) plus what it holds, what
/// is free, and nodes as many as the free memory holds.
pub fn stats(usage: &Usage, limits: Limits, kmem: &Kmem) -> FsStats {
    let used = bytes_charged(usage);
    let mem_limit = if limits.size_max < PAGE as u64 {
        u64::MAX
    } else {
        limits.size_max
    };
    let bytes_max = mem_limit.min(round_page(used) + free_pages(kmem) * PAGE as u64);
    let blocks = bytes_max / PAGE as u64;
    let avail = bytes_max.saturating_sub(used) / PAGE as u64;
    let nodes_max = if limits.nodes_max > 3 {
        limits.nodes_max
    } else {
        3 + mem_limit / 1024
    }
    .min(i32::MAX as u64);
    let free_nodes = nodes_max
        .saturating_sub(usage.nodes)
        .min(avail * PAGE as u64 / NODE_SIZE);
    FsStats {
        bsize: PAGE as u64,
        frsize: PAGE as u64,
        blocks,
        bfree: avail,
        bavail: avail,
        bresvd: 0,
        files: usage.nodes + free_nodes,
        ffree: free_nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets_are_charged_in_quanta() {
        let u = Usage {
            nodes: 3,
            pages: 1,
            name_lens: vec![1, 33],
            target_lens: vec![32],
        };
        let expect = 3 * NODE_SIZE + PAGE as u64 + (DIRENT_SIZE + 32) + (DIRENT_SIZE + 64) + 32;
        assert_eq!(bytes_charged(&u), expect);
    }

    #[test]
    fn a_size_limit_bounds_blocks_and_nodes() {
        let kmem = Kmem::new(None);
        let u = Usage {
            nodes: 1,
            ..Usage::default()
        };
        let limits = Limits {
            size_max: 1 << 20,
            nodes_max: 0,
        };
        let s = stats(&u, limits, &kmem);
        assert_eq!(s.blocks, 256);
        // The root's node is charged: 255 whole pages are left.
        assert_eq!(s.bfree, 255);
        // Without a node limit, one node per KiB of the size limit.
        assert_eq!(s.files, 3 + 1024);
        let unlimited = stats(&u, Limits::default(), &kmem);
        assert_eq!(unlimited.blocks, RUMP_PHYSMEM_PAGES + 1);
    }
}
