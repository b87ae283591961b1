//! Making a new file system (`newfs`): the layout NetBSD's newfs would
//! choose for a size, block size and inode density, written to a device
//! with an empty root directory.

use crate::dev::BlockDev;
use crate::format::cg::Cg;
use crate::format::superblock::{self as sbf, Csum, Superblock, field};
use crate::format::{DEV_BSIZE, Endian, Flaw, Version};
use rump::KResult;

/// What to make (newfs's options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// FFSv1 or FFSv2 (`-O`).
    pub version: Version,
    /// Bytes of the file system (`-s`; the device's size if 0).
    pub size: u64,
    /// Block size (`-b`; 0 picks by size).
    pub bsize: u64,
    /// Fragment size (`-f`; 0 for bsize/8).
    pub fsize: u64,
    /// Bytes of data per inode (`-i`; 0 for 4 frags).
    pub density: u64,
    /// Percentage of space kept back (`-m`).
    pub minfree: u32,
    /// Byte order of the image.
    pub endian: Endian,
    /// Volume name (`-V`... NetBSD's `-L`).
    pub volname: String,
    /// Time stamp to write (seconds); 0 for now.
    pub time: i64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            version: Version::Ufs2,
            size: 0,
            bsize: 0,
            fsize: 0,
            density: 0,
            minfree: 5,
            endian: Endian::Little,
            volname: String::new(),
            time: 0,
        }
    }
}

/// The smallest number of groups worth making when the size allows.
const MINCYLGRPS: u64 = 4;
/// `MAXPHYS`: the largest transfer, which sizes clusters.
const MAXPHYS: u64 = 64 * 1024;
/// `FS_MAXCONTIG`: the longest cluster summarised.
const FS_MAXCONTIG: u64 = 16;

/// Block and fragment sizes NetBSD's newfs picks for a file system of
/// `size` bytes.
fn default_sizes(size: u64) -> (u64, u64) {
    const MB: u64 = 1 << 20;
    match size {
        s if s < 20 * MB => (4096, 512),
        s if s < 1024 * MB => (8192, 1024),
        s if s < 128 * 1024 * MB => (16384, 2048),
        _ => (32768, 4096),
    }
}

/// Work out the superblock for `p` on a device of `dev_size` bytes.
/// EINVAL with the reason from [`explain`] when the request cannot work.
pub fn layout(p: &Params, dev_size: u64) -> Result<Superblock, Flaw> {
    explain(p, dev_size).map_err(Flaw::invalid)
}

/// As [`layout`], with the reason for a refusal in words.
pub fn explain(p: &Params, dev_size: u64) -> Result<Superblock, String> {
    let sizes = choose_sizes(p, dev_size)?;
    let groups = lay_out_groups(p, &sizes)?;
    let time = if p.time != 0 {
        p.time
    } else {
        crate::fs::tools_clock().realtime_timespec().0
    };
    let r = encode_superblock(p, &sizes, &groups, time);
    let mut sb = Superblock::parse(&r, groups.sbloc, dev_size)
        .map_err(|f| format!("the computed layout does not check (a bug): {f}"))?;
    sb.time = time;
    Ok(sb)
}

/// `x` rounded up to a multiple of `to`.
fn roundup(x: u64, to: u64) -> u64 {
    x.div_ceil(to) * to
}

/// The sizes a request settles on, each checked against newfs's limits.
struct Sizes {
    /// Bytes of the file system.
    size: u64,
    /// Block size.
    bsize: u64,
    /// Fragment size.
    fsize: u64,
    /// Fragments per block.
    frag: u64,
    /// Bytes of data per inode.
    density: u64,
}

/// The file system's size, block and fragment sizes and inode density:
/// what `p` asks for, or newfs's defaults for the size.
fn choose_sizes(p: &Params, dev_size: u64) -> Result<Sizes, String> {
    let size = if p.size == 0 { dev_size } else { p.size };
    if size > dev_size {
        return Err(format!(
            "size {size} is larger than the device ({dev_size} bytes)"
        ));
    }
    let (dbsize, _) = default_sizes(size);
    let bsize = if p.bsize == 0 { dbsize } else { p.bsize };
    let fsize = if p.fsize == 0 { bsize / 8 } else { p.fsize };
    if !bsize.is_power_of_two() || !(4096..=65536).contains(&bsize) {
        return Err(format!(
            "block size {bsize} must be a power of 2 from 4096 to 65536"
        ));
    }
    if !fsize.is_power_of_two() || fsize < 512 || fsize > bsize || bsize / fsize > 8 {
        return Err(format!(
            "fragment size {fsize} must be a power of 2 from {} to {bsize}",
            (bsize / 8).max(512)
        ));
    }
    let frag = bsize / fsize;
    let density = if p.density == 0 { 4 * fsize } else { p.density };
    if density < 512 {
        return Err(format!("bytes per inode {density} is too small"));
    }
    if p.minfree > 99 {
        return Err("minfree must be a percentage".into());
    }
    Ok(Sizes {
        size,
        bsize,
        fsize,
        frag,
        density,
    })
}

/// Where the superblock, the groups and their parts lie, in fragments
/// unless said otherwise.
struct GroupLayout {
    /// Byte offset of the superblock.
    sbloc: u64,
    /// The superblock copy in each group.
    sblkno: u64,
    /// The group header in each group.
    cblkno: u64,
    /// The inode blocks in each group.
    iblkno: u64,
    /// The first data in each group.
    dblkno: u64,
    /// Inodes per block.
    inopb: u64,
    /// Blocks written together.
    maxcontig: u64,
    /// Cluster sizes summarised per group.
    contigsumsize: u64,
    /// UFS1's cylinders per group.
    old_cpg: u64,
    /// Fragments per group.
    fpg: u64,
    /// Inodes per group.
    ipg: u64,
    /// Number of groups.
    ncg: u64,
    /// Fragments in the file system.
    fs_size: u64,
    /// Bytes of the group summaries.
    cssize: u64,
    /// Where the group summaries are.
    csaddr: u64,
    /// Bytes of a group header and its maps.
    cgsize: u64,
}

/// Bytes of a group header with its maps, for `fpg` fragments and `ipg`
/// inodes.
fn cg_bytes(v: Version, s: &Sizes, contigsumsize: u64, old_cpg: u64, fpg: u64, ipg: u64) -> u64 {
    let mut n = 168 + ipg.div_ceil(8) + fpg.div_ceil(8);
    if v == Version::Ufs1 {
        n += old_cpg * 6;
    }
    n + 4 * (contigsumsize + 1) + (fpg / s.frag).div_ceil(8)
}

/// The groups for `s`: as large as one block of maps allows, but at least
/// `MINCYLGRPS` when each stays useful, the last dropped when it cannot
/// hold its metadata and a block of data.
fn lay_out_groups(p: &Params, s: &Sizes) -> Result<GroupLayout, String> {
    let (bsize, fsize, frag) = (s.bsize, s.fsize, s.frag);
    let v = p.version;
    let isize = v.inode_size() as u64;
    let inopb = bsize / isize;
    let sbloc = match v {
        Version::Ufs1 => 8192,
        Version::Ufs2 => 65536,
    };
    let sblkno = roundup((sbloc + sbf::SBLOCKSIZE as u64).div_ceil(fsize), frag);
    let cblkno = sblkno + roundup((sbf::SBLOCKSIZE as u64).div_ceil(fsize), frag);
    let iblkno = cblkno + frag;
    let total = s.size / fsize;
    let maxcontig = (MAXPHYS / bsize).max(1);
    let contigsumsize = maxcontig.min(FS_MAXCONTIG);
    let old_cpg = 1;
    // Inodes for a group of `fpg` frags at the chosen density.
    let ipg_for = |fpg: u64| roundup((fpg * fsize / s.density).max(1), inopb);
    // A group's maps must fit in one block.
    let cg_bytes = |fpg: u64, ipg: u64| cg_bytes(v, s, contigsumsize, old_cpg, fpg, ipg);
    let mut fpg = roundup(total.max(frag), frag);
    // Few enough frags per group that the maps fit in a block.
    while fpg > frag && cg_bytes(fpg, ipg_for(fpg)) > bsize {
        fpg = roundup(fpg / 2, frag).max(frag);
    }
    // Grow back up to the largest that fits, in block steps.
    let step = (frag * 64).max(frag);
    while cg_bytes(fpg + step, ipg_for(fpg + step)) <= bsize && fpg + step <= roundup(total, frag) {
        fpg += step;
    }
    // Enough groups to spread directories over, when each stays useful.
    let min_group = iblkno + 2 * frag + ipg_for(frag) / inopb * frag;
    let quarter = roundup(total.div_ceil(MINCYLGRPS), frag);
    if quarter < fpg && quarter >= 4 * min_group {
        fpg = quarter;
    }
    let ipg = ipg_for(fpg);
    if ipg > u32::MAX as u64 / 2 {
        return Err("too many inodes per group".into());
    }
    let dblkno = iblkno + ipg / inopb * frag;
    if dblkno >= fpg {
        return Err(format!(
            "a group of {fpg} frags cannot hold its {ipg} inodes; use a larger -i or -b"
        ));
    }
    let mut ncg = total.div_ceil(fpg);
    let mut fs_size = total;
    // The last group must hold its metadata and a block of data; else drop it.
    if fs_size - (ncg - 1) * fpg < dblkno + frag {
        ncg -= 1;
        fs_size = ncg * fpg;
    }
    if ncg == 0 {
        return Err(format!(
            "{} bytes is too small for a file system with {bsize}-byte blocks",
            s.size
        ));
    }
    let cssize = roundup(ncg * Csum::SIZE as u64, fsize);
    let csaddr = dblkno; // first data of group 0
    if csaddr + cssize / fsize + frag > fpg.min(fs_size) {
        return Err("no room for the group summaries in the first group".into());
    }
    let cgsize = roundup(cg_bytes(fpg, ipg), fsize);
    Ok(GroupLayout {
        sbloc,
        sblkno,
        cblkno,
        iblkno,
        dblkno,
        inopb,
        maxcontig,
        contigsumsize,
        old_cpg,
        fpg,
        ipg,
        ncg,
        fs_size,
        cssize,
        csaddr,
        cgsize,
    })
}

/// The superblock's bytes for sizes `s` and layout `g`, made at `time`.
fn encode_superblock(p: &Params, s: &Sizes, g: &GroupLayout, time: i64) -> Vec<u8> {
    let (bsize, fsize, frag) = (s.bsize, s.fsize, s.frag);
    let v = p.version;
    let e = p.endian;
    let mut r = vec![0u8; sbf::SBLOCKSIZE];
    let put = |r: &mut Vec<u8>, off: usize, val: i64| e.put_i32(r, off, val as i32);
    put(&mut r, field::SBLKNO, g.sblkno as i64);
    put(&mut r, field::CBLKNO, g.cblkno as i64);
    put(&mut r, field::IBLKNO, g.iblkno as i64);
    put(&mut r, field::DBLKNO, g.dblkno as i64);
    put(&mut r, field::NCG, g.ncg as i64);
    put(&mut r, field::BSIZE, bsize as i64);
    put(&mut r, field::FSIZE, fsize as i64);
    put(&mut r, field::FRAG, frag as i64);
    put(&mut r, field::MINFREE, i64::from(p.minfree));
    put(&mut r, field::BMASK, !(bsize as i64 - 1));
    put(&mut r, field::FMASK, !(fsize as i64 - 1));
    put(&mut r, field::BSHIFT, i64::from(bsize.trailing_zeros()));
    put(&mut r, field::FSHIFT, i64::from(fsize.trailing_zeros()));
    put(&mut r, field::MAXCONTIG, g.maxcontig as i64);
    put(&mut r, field::MAXBPG, (bsize / 4) as i64);
    put(&mut r, field::FRAGSHIFT, i64::from(frag.trailing_zeros()));
    put(
        &mut r,
        field::FSBTODB,
        i64::from((fsize / DEV_BSIZE).trailing_zeros()),
    );
    put(
        &mut r,
        field::SBSIZE,
        roundup(field::END as u64, fsize) as i64,
    );
    put(&mut r, field::NINDIR, (bsize / v.ptr_size() as u64) as i64);
    put(&mut r, field::INOPB, g.inopb as i64);
    put(&mut r, field::OPTIM, 0);
    put(&mut r, field::ID, time);
    put(&mut r, field::ID + 4, i64::from(crate::random_u32()));
    put(&mut r, field::CSSIZE, g.cssize as i64);
    put(&mut r, field::CGSIZE, g.cgsize as i64);
    put(&mut r, field::IPG, g.ipg as i64);
    put(&mut r, field::FPG, g.fpg as i64);
    put(&mut r, field::MAXBSIZE, bsize as i64);
    put(&mut r, field::AVGFILESIZE, 16384);
    put(&mut r, field::AVGFPDIR, 64);
    put(&mut r, field::CONTIGSUMSIZE, g.contigsumsize as i64);
    put(&mut r, field::MAXSYMLINKLEN, (v.ptr_size() * 15) as i64);
    put(&mut r, field::OLD_INODEFMT, i64::from(sbf::FS_44INODEFMT));
    e.put_u64(&mut r, field::MAXFILESIZE, max_file_size(v, bsize) - 1);
    e.put_u64(&mut r, field::QBMASK, bsize - 1);
    e.put_u64(&mut r, field::QFMASK, fsize - 1);
    e.put_i64(&mut r, field::SBLOCKLOC, g.sbloc as i64);
    e.put_i64(&mut r, field::SIZE, g.fs_size as i64);
    // Data frags: all but each group's metadata and group 0's boot area
    // and summaries (the space before the superblock copy of the other
    // groups holds data).
    let meta = g.sblkno + g.ncg * (g.dblkno - g.sblkno) + g.cssize / fsize;
    e.put_i64(&mut r, field::DSIZE, (g.fs_size - meta) as i64);
    e.put_i64(&mut r, field::CSADDR, g.csaddr as i64);
    let name = p.volname.as_bytes();
    let n = name.len().min(31);
    r[field::VOLNAME..field::VOLNAME + n].copy_from_slice(&name[..n]);
    r[field::OLD_FLAGS] = sbf::FS_FLAGS_UPDATED;
    r[field::CLEAN] = sbf::FS_ISCLEAN;
    if v == Version::Ufs1 {
        let fpg = g.fpg;
        put(&mut r, field::OLD_CGMASK, -1);
        put(&mut r, field::OLD_SIZE, g.fs_size as i64);
        put(&mut r, field::OLD_DSIZE, (g.fs_size - meta) as i64);
        put(&mut r, field::OLD_CSADDR, g.csaddr as i64);
        put(&mut r, field::OLD_RPS, 60);
        put(&mut r, field::OLD_NSPF, (fsize / DEV_BSIZE) as i64);
        put(&mut r, field::OLD_NPSECT, (fpg * fsize / DEV_BSIZE) as i64);
        put(&mut r, field::OLD_INTERLEAVE, 1);
        put(&mut r, field::OLD_NSECT, (fpg * fsize / DEV_BSIZE) as i64);
        put(&mut r, field::OLD_SPC, (fpg * fsize / DEV_BSIZE) as i64);
        put(&mut r, field::OLD_NCYL, g.ncg as i64);
        put(&mut r, field::OLD_CPG, g.old_cpg as i64);
        put(
            &mut r,
            field::OLD_POSTBLFORMAT,
            i64::from(sbf::FS_DYNAMICPOSTBLFMT),
        );
        put(&mut r, field::OLD_NRPOS, 1);
    }
    let magic = match v {
        Version::Ufs1 => sbf::UFS1_MAGIC,
        Version::Ufs2 => sbf::UFS2_MAGIC,
    };
    e.put_u32(&mut r, field::MAGIC, magic);
    r
}

/// The largest file size `bsize` blocks address: twelve direct blocks
/// and three levels of indirection.
fn max_file_size(v: Version, bsize: u64) -> u64 {
    let nindir = bsize / v.ptr_size() as u64;
    let mut maxfile: u64 = 12 * bsize;
    let mut span = bsize;
    for _ in 0..3 {
        span = span.saturating_mul(nindir);
        maxfile = maxfile.saturating_add(span);
    }
    maxfile
}

/// Group `c` of a new file system: everything free but its metadata (and
/// in group 0 the summaries and inodes 0 and 1). Returns it with its counts.
fn initial_cg(sb: &Superblock, c: u64, time: i64) -> Cg {
    let mut cg = Cg::new(sb, c);
    let frag = sb.frag;
    let ndblk = sb.cg_frags(c);
    cg.set_ndblk(ndblk as u32);
    cg.set_niblk(sb.ipg as u32);
    cg.set_nclusterblks((ndblk / frag) as u32);
    if sb.version == Version::Ufs2 {
        cg.set_initediblk((2 * sb.inopb).min(sb.ipg) as u32);
    } else {
        cg.set_old_ncyl(sb.old_cpg as u16);
    }
    cg.set_time(time);
    let mut cs = Csum {
        nifree: sb.ipg as i64,
        ..Csum::default()
    };
    if c == 0 {
        for i in 0..crate::format::ROOTINO {
            cg.set_inode_used(i, true);
            cs.nifree -= 1;
        }
    }
    let base = sb.cgbase(c);
    let dlower = sb.cgsblock(c) - base;
    let mut dupper = sb.cgdmin(c) - base;
    if c == 0 {
        dupper += sb.cssize.div_ceil(sb.fsize);
    }
    let free_block = |cg: &mut Cg, cs: &mut Csum, d: u64| {
        for f in d..d + frag {
            cg.set_frag_free(f, true);
        }
        cg.set_cluster_free(d / frag, true);
        cs.nbfree += 1;
    };
    if c > 0 {
        let mut d = 0;
        while d + frag <= dlower {
            free_block(&mut cg, &mut cs, d);
            d += frag;
        }
    }
    if !dupper.is_multiple_of(frag) {
        let end = dupper.next_multiple_of(frag).min(ndblk);
        cg.add_frsum((end - dupper) as usize, 1);
        for f in dupper..end {
            cg.set_frag_free(f, true);
            cs.nffree += 1;
        }
        dupper = end;
    }
    let mut d = dupper;
    while d + frag <= ndblk {
        free_block(&mut cg, &mut cs, d);
        d += frag;
    }
    if d < ndblk {
        cg.add_frsum((ndblk - d) as usize, 1);
        for f in d..ndblk {
            cg.set_frag_free(f, true);
            cs.nffree += 1;
        }
    }
    if cg.has_clusters() {
        recount_clusters(&mut cg);
    }
    cg.set_cs(&cs);
    cg
}

/// Rebuild a group's cluster summary from its cluster map.
pub fn recount_clusters(cg: &mut Cg) {
    let max = cg.contigsumsize();
    cg.clear_clustersum();
    let mut run = 0;
    for b in 0..cg.cluster_blocks() {
        if cg.cluster_free(b) {
            run += 1;
        } else if run > 0 {
            cg.add_clustersum(run.min(max), 1);
            run = 0;
        }
    }
    if run > 0 {
        cg.add_clustersum(run.min(max), 1);
    }
}

/// Write a new, empty file system laid out by `sb` to `dev`: groups,
/// summaries, superblock copies and cleared inodes. The root directory is
/// made by [`crate::Ffs::make_root`] afterwards.
pub fn write_empty(dev: &dyn BlockDev, sb: &mut Superblock) -> KResult<()> {
    let time = sb.time;
    let mut total = Csum::default();
    let mut sums = vec![0u8; sb.cssize as usize];
    let zero_inodes = vec![0u8; sb.bsize as usize];
    for c in 0..sb.ncg {
        let cg = initial_cg(sb, c, time);
        let cs = cg.cs();
        cs.emit32(sb.endian, &mut sums, c as usize * Csum::SIZE);
        total.add(&cs);
        dev.write_at(sb.cgtod(c) * sb.fsize, &cg.raw)?;
        // UFS1 has every inode block written; UFS2 only the first ones.
        let blocks = match sb.version {
            Version::Ufs1 => sb.ipg / sb.inopb,
            Version::Ufs2 => u64::from(cg.initediblk()) / sb.inopb,
        };
        for b in 0..blocks {
            dev.write_at((sb.cgimin(c) + b * sb.frag) * sb.fsize, &zero_inodes)?;
        }
    }
    dev.write_at(sb.csaddr * sb.fsize, &sums)?;
    sb.cstotal = total;
    sb.clean = sbf::FS_ISCLEAN;
    sb.emit();
    // The primary, and a copy in each group for fsck to fall back on.
    dev.write_at(sb.location, &sb.raw)?;
    for c in 0..sb.ncg {
        let at = sb.cgsblock(c) * sb.fsize;
        if at != sb.location {
            dev.write_at(at, &sb.raw)?;
        }
    }
    dev.flush()
}

/// Make a new file system on `dev` as `p` asks: the layout, the empty
/// groups, and a root directory owned by root with mode 0755. Returns the
/// superblock written, or why it cannot be made.
pub fn newfs(dev: std::sync::Arc<dyn BlockDev>, p: &Params) -> Result<Superblock, Flaw> {
    let mut sb = layout(p, dev.size())?;
    write_empty(dev.as_ref(), &mut sb)?;
    let fs = crate::Ffs::open_with(dev, sb, crate::MountOptions::default())?;
    crate::node::make_root(&fs, 0, 0, 0o755)?;
    fs.unmount()?;
    Ok(fs.superblock())
}

/// Helpers for unit tests elsewhere in the crate.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// The layout of a 16 MiB UFS1 file system.
    pub fn small_ufs1() -> Superblock {
        layout(
            &Params {
                version: Version::Ufs1,
                size: 16 << 20,
                ..Params::default()
            },
            16 << 20,
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_check_for_many_sizes() {
        for v in [Version::Ufs1, Version::Ufs2] {
            for size in [1 << 20, 5 << 20, 32 << 20, 300 << 20, 3 << 30] {
                for (b, f) in [
                    (0, 0),
                    (4096, 512),
                    (16384, 2048),
                    (32768, 4096),
                    (65536, 8192),
                ] {
                    let p = Params {
                        version: v,
                        size,
                        bsize: b,
                        fsize: f,
                        ..Params::default()
                    };
                    match explain(&p, size) {
                        Ok(sb) => {
                            assert!(Cg::size_needed(&sb) <= sb.cgsize, "{p:?}");
                            assert!(sb.size * sb.fsize <= size);
                        }
                        Err(why) => assert!(size <= 5 << 20 && b >= 32768, "{p:?}: {why}"),
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_nonsense() {
        let p = |bsize, fsize| Params {
            size: 8 << 20,
            bsize,
            fsize,
            ..Params::default()
        };
        assert!(
            explain(&p(3000, 0), 8 << 20)
                .unwrap_err()
                .contains("block size")
        );
        assert!(
            explain(&p(8192, 512), 8 << 20)
                .unwrap_err()
                .contains("fragment")
        );
        assert!(
            explain(&p(0, 0), 4 << 20)
                .unwrap_err()
                .contains("larger than the device")
        );
        assert!(
            explain(
                &Params {
                    size: 100_000,
                    ..Params::default()
                },
                1 << 20
            )
            .is_err()
        );
    }
}
