//! cgd's units (`struct cgd_softc` and the `dk_softc` of `dksubr.c` it
//! holds): configuration, opens, the label, and transfers that encrypt on
//! the way to the disk underneath and decrypt on the way back.

use crate::cgdio::{CGDIOCCLR, CGDIOCGET, CGDIOCSET, MAX_KEYSIZE, cgd_ioctl, cgd_user};
use crate::crypto::{CgdCipher, IvMethod};
use netbsd_abi::{MAXPATHLEN, O_ACCMODE, O_RDONLY, O_RDWR};
use rump::devsw::{BufOp, DEV_BSIZE, DevKind, RAW_PART};
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::usermem::{UserSpace, copyin_vec};
use rump::{Errno, KResult};
use rumpdev::disk::driver::DiskUnits;
use rumpdev::disk::label::{Disklabel, FS_BSDFFS, FS_UNUSED, MAXPARTITIONS, disklabel};
use rumpdev::disk::mbr::{SectorIo, readdisklabel, writedisklabel};
use rumpdev::disk::{self, Bounds, Disk, Geometry, disk_part, disk_unit};
use rumpvfs::node::{Node, VType};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// `DKTYPE_CGD` (`sys/disklabel.h`'s `DKTYPE_DEFN`): a cryptographic
/// pseudo-disk.
pub const DKTYPE_CGD: u16 = 17;
/// The rotational speed `dk_getdefaultlabel` gives.
const CGD_RPM: u16 = 3600;
/// The longest cipher name `CGDIOCSET` copies in (`copyinstr(..., 256)`).
const ALG_MAX: usize = 256;
/// Bytes a cylinder of cgd's made-up geometry holds (`cgdinit`).
const CYLINDER_BYTES: u32 = 1024 * 1024;

/// A configured unit's disk underneath and cipher (`sc_tvn`, `sc_tdev`,
/// `sc_cdata`).
pub(crate) struct Target {
    /// The disk underneath, held open read-write.
    node: Arc<dyn Node>,
    /// Its device number (`cgu_dev`).
    dev: u64,
    cipher: CgdCipher,
    /// `dg_secsize`.
    secsize: u64,
    /// `dg_secperunit`.
    secperunit: u64,
    /// Buffers for ciphertext on its way out or in, kept between
    /// transfers so that a transfer allocates nothing once the unit is
    /// busy.
    scratch: Mutex<Vec<Vec<u8>>>,
}

/// Scratch buffers a unit keeps: one per transfer at the same time, up to
/// this many.
const SCRATCH_KEPT: usize = 4;

impl Target {
    /// Read `buf` from sector `sector` of the disk underneath, decrypting
    /// the ciphertext into it straight from the pieces the disk hands out
    /// (a tmpfs file's pages, under vnd), so that it is read once.
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()> {
        let secsize = self.secsize as usize;
        let mut carry = self.take_scratch();
        carry.resize(secsize, 0);
        let len = buf.len();
        let mut into = Decrypting {
            cipher: &self.cipher,
            secsize,
            out: buf,
            done: 0,
            sector,
            carry: &mut carry,
            held: 0,
        };
        let r = self
            .node
            .read_to(sector * self.secsize, len, &mut |piece| into.take(piece));
        let done = into.done;
        self.keep_scratch(carry);
        match r? {
            n if n == len && done == len => Ok(()),
            _ => Err(Errno::EIO),
        }
    }

    /// A scratch buffer the unit kept, or a new one.
    fn take_scratch(&self) -> Vec<u8> {
        lock(&self.scratch).pop().unwrap_or_default()
    }

    /// Give `scratch` back, to be kept if the unit has few.
    fn keep_scratch(&self, scratch: Vec<u8>) {
        let mut kept = lock(&self.scratch);
        if kept.len() < SCRATCH_KEPT {
            kept.push(scratch);
        }
    }

    /// Encrypt `data` into a scratch buffer and write it at sector
    /// `sector`.
    fn write(&self, sector: u64, data: &[u8]) -> KResult<()> {
        let mut scratch = self.take_scratch();
        scratch.clear();
        scratch.extend_from_slice(data);
        let r = self.encrypt_and_write(sector, &mut scratch);
        self.keep_scratch(scratch);
        r
    }

    fn encrypt_and_write(&self, sector: u64, scratch: &mut [u8]) -> KResult<()> {
        self.cipher.encrypt(scratch, sector, self.secsize as usize);
        let off = sector * self.secsize;
        let mut done = 0;
        while done < scratch.len() {
            match self.node.write(off + done as u64, &scratch[done..])? {
                0 => return Err(Errno::EIO),
                n => done += n,
            }
        }
        Ok(())
    }
}

/// A read's ciphertext on its way into the caller's buffer: the whole
/// sectors of each piece the disk underneath hands out are decrypted from
/// it into `out`; a sector split between two pieces is gathered in
/// `carry` first.
struct Decrypting<'a> {
    cipher: &'a CgdCipher,
    secsize: usize,
    out: &'a mut [u8],
    /// Bytes of `out` decrypted.
    done: usize,
    /// The sector the next ciphertext belongs to.
    sector: u64,
    carry: &'a mut [u8],
    /// Bytes of a split sector gathered in `carry`.
    held: usize,
}

impl Decrypting<'_> {
    /// Decrypt what `piece` completes; EIO if the disk hands out more than
    /// was asked.
    fn take(&mut self, mut piece: &[u8]) -> KResult<()> {
        let secsize = self.secsize;
        if piece.len() > self.out.len() - self.done - self.held {
            return Err(Errno::EIO);
        }
        if self.held > 0 {
            let take = (secsize - self.held).min(piece.len());
            self.carry[self.held..self.held + take].copy_from_slice(&piece[..take]);
            self.held += take;
            piece = &piece[take..];
            if self.held < secsize {
                return Ok(());
            }
            let out = &mut self.out[self.done..self.done + secsize];
            self.cipher.decrypt(self.carry, out, self.sector, secsize);
            self.done += secsize;
            self.sector += 1;
            self.held = 0;
        }
        let whole = piece.len() / secsize * secsize;
        if whole > 0 {
            let out = &mut self.out[self.done..self.done + whole];
            self.cipher
                .decrypt(&piece[..whole], out, self.sector, secsize);
            self.done += whole;
            self.sector += (whole / secsize) as u64;
        }
        let rest = &piece[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.held = rest.len();
        Ok(())
    }
}

/// One unit (`struct cgd_softc`).
#[derive(Default)]
struct Softc {
    /// The unit's number, for its label's type name (`cgd0`).
    unit: u32,
    disk: Disk,
    target: Option<Arc<Target>>,
    /// Keep the label after the last close (`DKF_KLABEL`).
    klabel: bool,
    /// The label in core is valid (`DKF_VLABEL`).
    vlabel: bool,
    /// Opens of each partition through the character and block devices:
    /// a partition's open mask bit goes at its last close.
    opens: [[u32; MAXPARTITIONS]; 2],
}

impl Softc {
    fn target(&self) -> KResult<Arc<Target>> {
        self.target.clone().ok_or(Errno::ENXIO)
    }

    /// `dk_getdefaultlabel`.
    fn default_label(&self) -> Disklabel {
        Disklabel::fictitious(
            &self.disk.geom,
            DKTYPE_CGD,
            &format!("cgd{}", self.unit),
            CGD_RPM,
        )
    }

    /// `dk_getdisklabel`: the label on the (decrypted) medium; where
    /// there is none, `readdisklabel` leaves the default one with
    /// partition `a` the whole disk. Should reading fail, the raw
    /// partition becomes an FFS (`dk_makedisklabel`).
    fn load_label(&mut self) {
        let mut lp = self.default_label();
        if readdisklabel(&RawIo { sc: self }, &mut lp).is_err() {
            let mut raw = lp.partition(RAW_PART as usize);
            raw.fstype = FS_BSDFFS;
            lp.set_partition(RAW_PART as usize, raw);
            lp.set_name(disklabel::d_packname, "default label");
            lp.update_checksum();
        }
        self.disk.set_label(lp);
    }

    /// `dk_translate`: the sector of the disk underneath a transfer of
    /// `bcount` bytes at `blkno` of partition `part` starts at, and how
    /// many bytes go; `None` when nothing moves.
    fn place(
        &self,
        part: usize,
        blkno: u64,
        bcount: usize,
        write: bool,
    ) -> KResult<Option<(Arc<Target>, u64, usize)>> {
        let t = self.target()?;
        if !(bcount as u64).is_multiple_of(t.secsize) {
            return Err(Errno::EINVAL);
        }
        if bcount == 0 {
            return Ok(None);
        }
        let bounds = if part == RAW_PART as usize {
            let blocks = t.secperunit * t.secsize / DEV_BSIZE;
            disk::bounds_check_with_mediasize(blkno, bcount, DEV_BSIZE, blocks)?
        } else {
            self.disk
                .bounds_check_with_label(part, blkno, bcount, write)?
        };
        let Bounds::Go(n) = bounds else {
            return Ok(None);
        };
        let mut sector = blkno / (t.secsize / DEV_BSIZE);
        if part != RAW_PART as usize {
            sector += u64::from(self.disk.part_offset(part));
        }
        Ok(Some((t, sector, n)))
    }
}

/// The label code's strategy on the raw partition of a unit whose lock is
/// held (`DKLABELDEV`).
struct RawIo<'a> {
    sc: &'a Softc,
}

impl SectorIo for RawIo<'_> {
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()> {
        let t = self.sc.target()?;
        if !(buf.len() as u64).is_multiple_of(t.secsize) || sector >= t.secperunit {
            return Err(Errno::EIO);
        }
        t.read(sector, buf)
    }

    fn write(&self, sector: u64, buf: &[u8]) -> KResult<()> {
        let t = self.sc.target()?;
        if !(buf.len() as u64).is_multiple_of(t.secsize) || sector >= t.secperunit {
            return Err(Errno::EIO);
        }
        t.write(sector, buf)
    }
}

fn kind_index(kind: DevKind) -> usize {
    match kind {
        DevKind::Char => 0,
        DevKind::Block => 1,
    }
}

/// The cgd driver's units (`cgd_cd`).
#[derive(Default)]
pub(crate) struct Cgd {
    units: Mutex<BTreeMap<u32, Arc<Mutex<Softc>>>>,
}

impl Cgd {
    /// `getcgd_softc`: the unit, made on first use (`cgd_spawn`).
    fn softc(&self, unit: u32) -> Arc<Mutex<Softc>> {
        let mut u = lock(&self.units);
        Arc::clone(u.entry(unit).or_insert_with(|| {
            Arc::new(Mutex::new(Softc {
                unit,
                ..Softc::default()
            }))
        }))
    }

    /// `cgd_destroy` of a unit neither configured nor open.
    fn destroy_if_unused(&self, unit: u32) {
        let mut u = lock(&self.units);
        let unused = u.get(&unit).is_some_and(|sc| {
            let sc = lock(sc);
            sc.target.is_none() && sc.disk.openmask() == 0
        });
        if unused {
            u.remove(&unit);
        }
    }
}

/// `cgd_ioctl_get`: NetBSD's reports the unit the ioctl is made on,
/// whatever `cgu_unit` asks, and so does this.
fn get(sc: &Softc, unit: u32, data: &mut [u8]) -> KResult<()> {
    if data.len() < cgd_user::SIZE {
        return Err(Errno::EINVAL);
    }
    let mut which = cgd_user::cgu_unit.get(data).unwrap_or(0) as u32 as i32;
    if which == -1 {
        which = unit as i32;
    }
    cgd_user::cgu_unit.put(data, which as u32 as u64);
    if which < 0 {
        return Err(Errno::EINVAL);
    }
    let mut alg = [0u8; 32];
    let (dev, blocksize, mode, keylen) = match &sc.target {
        Some(t) => {
            let name = t.cipher.name().as_bytes();
            alg[..name.len()].copy_from_slice(name);
            let c = &t.cipher;
            (t.dev, c.blocksize(), c.ivmethod().mode(), c.keylen())
        }
        None => (0, 0, 0, 0),
    };
    cgd_user::cgu_dev.put(data, dev);
    data[cgd_user::cgu_alg.offset..cgd_user::cgu_alg.offset + alg.len()].copy_from_slice(&alg);
    cgd_user::cgu_blocksize.put(data, blocksize);
    cgd_user::cgu_mode.put(data, u64::from(mode));
    cgd_user::cgu_keylen.put(data, keylen);
    Ok(())
}

/// The parts of a `CGDIOCSET` request, copied in and checked in the order
/// `cgd_ioctl_set` checks them.
pub struct SetRequest {
    /// The disk underneath.
    pub path: Vec<u8>,
    /// The cipher's name.
    pub alg: Vec<u8>,
    /// The IV method.
    pub ivmethod: IvMethod,
    /// The key length in bits.
    pub keylen: u64,
    /// `keylen / 8 + 1` bytes of key, as NetBSD copies in.
    pub key: Vec<u8>,
    /// The block size asked for, in bits.
    pub blocksize: u64,
}

impl SetRequest {
    /// Decode `struct cgd_ioctl` in `data` and copy in what it points to.
    /// The path and the names as NetBSD copies them (EFAULT for a bad
    /// pointer, ENAMETOOLONG for a name without its NUL); EINVAL for an
    /// unknown IV method or a key longer than `MAX_KEYSIZE` bytes.
    pub fn decode(data: &[u8], user: &dyn UserSpace) -> KResult<SetRequest> {
        if data.len() < cgd_ioctl::SIZE {
            return Err(Errno::EINVAL);
        }
        let get = |f: netbsd_abi::Field| f.get(data).unwrap_or(0);
        let path = user.copyinstr(get(cgd_ioctl::ci_disk), MAXPATHLEN as usize)?;
        let alg = user.copyinstr(get(cgd_ioctl::ci_alg), ALG_MAX)?;
        let iv = user.copyinstr(get(cgd_ioctl::ci_ivmethod), MAX_KEYSIZE as usize)?;
        let ivmethod = IvMethod::from_name(&iv).ok_or(Errno::EINVAL)?;
        let keylen = get(cgd_ioctl::ci_keylen);
        let keybytes = (keylen / 8).checked_add(1).ok_or(Errno::EINVAL)?;
        if keybytes > MAX_KEYSIZE {
            return Err(Errno::EINVAL);
        }
        let key = copyin_vec(user, get(cgd_ioctl::ci_key), keybytes as usize)?;
        Ok(SetRequest {
            path,
            alg,
            ivmethod,
            keylen,
            key,
            blocksize: get(cgd_ioctl::ci_blocksize),
        })
    }
}

/// `cgd_ioctl_set` and `cgdinit`: open the disk `ci_disk` names with the
/// caller's credentials (it must be a block device), key the cipher; the
/// unit becomes a disk of the same size, with this geometry.
fn set(ctx: &Ctx, data: &mut [u8], user: &dyn UserSpace) -> KResult<(Target, Geometry)> {
    let req = SetRequest::decode(data, user)?;
    // dk_lookup: the node, opened for reading and writing.
    let vn = rumpvfs::vn_open(ctx, &req.path, true)?;
    if vn.vtype() != VType::Blk {
        return Err(Errno::ENOTBLK);
    }
    let dev = vn.node.getattr().rdev;
    // An etfs key is its own disk (rumpblk); any other block node is a
    // driver's, held open while the unit is configured.
    let node: Arc<dyn Node> = if vn.node.as_any().is::<rumpvfs::etfs::EtfsNode>() {
        Arc::clone(&vn.node)
    } else {
        rumpvfs::specdev::open(ctx, &vn, O_RDWR as u32)?
    };
    // getdisksize: the size in sectors, ENODEV for an empty disk.
    let secsize = DEV_BSIZE;
    let secperunit = node.getattr().size / secsize;
    if secperunit == 0 {
        return Err(Errno::ENODEV);
    }
    let cipher = CgdCipher::new(&req.alg, req.ivmethod, req.keylen, &req.key, req.blocksize)
        .map_err(|_| Errno::EINVAL)?;
    let nsectors = CYLINDER_BYTES / secsize as u32;
    let geom = Geometry {
        secperunit,
        secsize: secsize as u32,
        nsectors,
        ntracks: 1,
        ncylinders: (secperunit / u64::from(nsectors)) as u32,
    };
    let target = Target {
        node,
        dev,
        cipher,
        secsize,
        secperunit,
        scratch: Mutex::default(),
    };
    Ok((target, geom))
}

/// What the disk layer's devices ask of the units.
impl DiskUnits for Cgd {
    /// `cgdopen` (`dk_open`) of `minor` through the `kind` device.
    fn open(&self, _ctx: &Ctx, minor: u32, kind: DevKind) -> KResult<()> {
        let unit = disk_unit(minor);
        let sc = self.softc(unit);
        let mut sc = lock(&sc);
        let part = disk_part(minor);
        if sc.target.is_some() && !sc.vlabel {
            sc.vlabel = true;
            sc.load_label();
        }
        if part != RAW_PART as usize
            && (!sc.vlabel
                || part >= sc.disk.label().npartitions()
                || sc.disk.label().partition(part).fstype == FS_UNUSED)
        {
            drop(sc);
            self.destroy_if_unused(unit);
            return Err(Errno::ENXIO);
        }
        sc.opens[kind_index(kind)][part] += 1;
        let pmask = 1u32 << part;
        match kind {
            DevKind::Char => sc.disk.copenmask |= pmask,
            DevKind::Block => sc.disk.bopenmask |= pmask,
        }
        Ok(())
    }

    /// `cgdclose` (`dk_close`): a unit no longer configured goes with its
    /// last close.
    fn close(&self, minor: u32, kind: DevKind) {
        let unit = disk_unit(minor);
        let Some(sc) = lock(&self.units).get(&unit).cloned() else {
            return;
        };
        {
            let mut sc = lock(&sc);
            let part = disk_part(minor);
            let count = &mut sc.opens[kind_index(kind)][part];
            *count = count.saturating_sub(1);
            if *count > 0 {
                return;
            }
            let pmask = !(1u32 << part);
            match kind {
                DevKind::Char => sc.disk.copenmask &= pmask,
                DevKind::Block => sc.disk.bopenmask &= pmask,
            }
            if sc.disk.openmask() == 0 && !sc.klabel {
                sc.vlabel = false;
            }
        }
        self.destroy_if_unused(unit);
    }

    /// The size of `minor` in `DEV_BSIZE` blocks (`cgdsize`).
    fn blocks(&self, minor: u32) -> KResult<u64> {
        let sc = self.softc(disk_unit(minor));
        let sc = lock(&sc);
        let t = sc.target()?;
        let part = disk_part(minor);
        if part == RAW_PART as usize {
            return Ok(t.secperunit * t.secsize / DEV_BSIZE);
        }
        Ok(u64::from(sc.disk.part_size(part)) << sc.disk.blkshift())
    }

    /// `cgdstrategy` through `cgd_diskstart` and `cgdiodone`: the bytes
    /// moved. Writes are encrypted into a buffer of their own (the
    /// caller's stays as it was); reads are decrypted where they land.
    fn strategy(&self, minor: u32, blkno: u64, op: BufOp<'_>) -> KResult<usize> {
        let (len, write) = match &op {
            BufOp::Read(b) => (b.len(), false),
            BufOp::Write(b) => (b.len(), true),
        };
        let place = {
            let sc = self.softc(disk_unit(minor));
            let sc = lock(&sc);
            sc.place(disk_part(minor), blkno, len, write)?
        };
        let Some((t, sector, n)) = place else {
            return Ok(0);
        };
        match op {
            BufOp::Read(b) => t.read(sector, &mut b[..n])?,
            BufOp::Write(b) => t.write(sector, &b[..n])?,
        }
        Ok(n)
    }

    /// `cgdioctl` on `minor`, opened with `O_*` `fflags`.
    fn ioctl(
        &self,
        ctx: &Ctx,
        minor: u32,
        cmd: u64,
        data: &mut [u8],
        fflags: u32,
        user: &dyn UserSpace,
    ) -> KResult<()> {
        let unit = disk_unit(minor);
        let part = disk_part(minor);
        let writable = fflags & O_ACCMODE as u32 != O_RDONLY as u32;
        let sc = self.softc(unit);
        let mut sc = lock(&sc);
        use rumpdev::disk::*;
        match cmd {
            CGDIOCGET => return get(&sc, unit, data),
            CGDIOCSET | CGDIOCCLR | DIOCCACHESYNC | DIOCSDINFO | DIOCWDINFO | DIOCKLABEL
            | DIOCWLABEL
                if !writable =>
            {
                return Err(Errno::EBADF);
            }
            CGDIOCSET if sc.target.is_some() => return Err(Errno::EBUSY),
            CGDIOCSET => {
                // The disk underneath is opened without the unit's lock:
                // it may be this very unit (then it is ENXIO, as an
                // unconfigured cgd has no size), and its close may come
                // back here.
                drop(sc);
                let (target, geom) = set(ctx, data, user)?;
                let sc = self.softc(unit);
                let mut sc = lock(&sc);
                if sc.target.is_some() {
                    return Err(Errno::EBUSY);
                }
                sc.disk.geom = geom;
                sc.target = Some(Arc::new(target));
                sc.vlabel = false;
                return Ok(());
            }
            CGDIOCCLR => {
                let pmask = 1u32 << part;
                let d = &sc.disk;
                if d.openmask() & !pmask != 0
                    || (d.bopenmask & pmask != 0 && d.copenmask & pmask != 0)
                {
                    return Err(Errno::EBUSY);
                }
                let target = sc.target.take().ok_or(Errno::ENXIO)?;
                sc.vlabel = false;
                sc.klabel = false;
                sc.disk.geom = Geometry::default();
                // The disk underneath is closed after the lock goes.
                drop(sc);
                drop(target);
                return Ok(());
            }
            DIOCCACHESYNC => return sc.target()?.node.fsync(),
            _ => {}
        }
        if matches!(
            cmd,
            DIOCGDINFO
                | DIOCSDINFO
                | DIOCWDINFO
                | DIOCGPARTINFO
                | DIOCKLABEL
                | DIOCWLABEL
                | DIOCGDEFLABEL
        ) && sc.target.is_none()
        {
            return Err(Errno::ENXIO);
        }
        if let Some(r) = sc.disk.ioctl(part, cmd, data) {
            return r;
        }
        match cmd {
            DIOCSDINFO | DIOCWDINFO => {
                let new = label_arg(data)?;
                sc.disk.labelling = true;
                let mut r = sc.disk.setdisklabel(&new, 0);
                if r.is_ok() && cmd == DIOCWDINFO {
                    r = writedisklabel(&RawIo { sc: &sc }, sc.disk.label());
                }
                sc.disk.labelling = false;
                r
            }
            DIOCKLABEL => {
                sc.klabel = int_arg(data)? != 0;
                Ok(())
            }
            DIOCWLABEL => {
                sc.disk.wlabel = int_arg(data)? != 0;
                Ok(())
            }
            DIOCGDEFLABEL => answer(data, sc.default_label().as_bytes()),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// A file system's sync of the device: the disk underneath's.
    fn sync(&self, minor: u32) -> KResult<()> {
        let t = lock(&self.softc(disk_unit(minor))).target()?;
        t.node.fsync()
    }

    /// Whether the unit of `minor` is configured (raw transfers need it).
    fn configured(&self, minor: u32) -> bool {
        lock(&self.softc(disk_unit(minor))).target.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::Decrypting;
    use crate::crypto::{CgdCipher, IvMethod};
    use rump::Errno;

    /// Sectors split anywhere between the pieces a disk hands out decrypt
    /// as the whole run does at once.
    #[test]
    fn pieces_decrypt_as_the_whole_run() {
        let key: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        for (alg, keylen) in [
            (&b"aes-cbc"[..], 256),
            (b"3des-cbc", 192),
            (b"blowfish-cbc", 128),
            (b"aes-xts", 256),
        ] {
            let c = CgdCipher::new(alg, IvMethod::EncBlkNo1, keylen, &key, u64::MAX).unwrap();
            let ptxt: Vec<u8> = (0..16 * 512u32).map(|i| (i * 31 + 3) as u8).collect();
            let mut ctxt = ptxt.clone();
            c.encrypt(&mut ctxt, 40, 512);
            for cuts in [
                &[4096, 4096][..],
                &[1, 511, 512, 513, 1535, 1024, 4096],
                &[700, 100, 3000, 4392],
                &[8192],
            ] {
                let mut out = vec![0u8; ptxt.len()];
                let mut carry = vec![0u8; 512];
                let mut into = Decrypting {
                    cipher: &c,
                    secsize: 512,
                    out: &mut out,
                    done: 0,
                    sector: 40,
                    carry: &mut carry,
                    held: 0,
                };
                let mut at = 0;
                for &n in cuts {
                    into.take(&ctxt[at..at + n]).unwrap();
                    at += n;
                }
                assert_eq!(at, ctxt.len());
                // One byte more than asked for is refused.
                assert_eq!(into.take(&[0]), Err(Errno::EIO));
                assert_eq!((into.done, into.held), (ptxt.len(), 0));
                assert!(out == ptxt, "{} cut {cuts:?}", c.name());
            }
        }
    }
}
