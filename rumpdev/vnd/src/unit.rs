//! vnd's units (`struct vnd_softc`): configuration, opens, the label and
//! transfers to the backing file.

use crate::vndio::{
    VNDIOCCLR, VNDIOCGET, VNDIOCSET, VNDIOF_FORCE, VNDIOF_HASGEOM, VNDIOF_READONLY, VNF_COMP,
    vnd_ioctl, vnd_user,
};
use netbsd_abi::{MAXPATHLEN, O_ACCMODE, O_RDONLY};
use rump::devsw::{BufOp, DEV_BSIZE, DevKind, RAW_PART, ReadSink};
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use rumpdev::autoconf::{DetachFn, DeviceTree};
use rumpdev::disk::driver::DiskUnits;
use rumpdev::disk::label::{
    DKTYPE_VND, Disklabel, FS_BSDFFS, FS_UNUSED, MAXPARTITIONS, Partition, disklabel,
};
use rumpdev::disk::mbr::{SectorIo, readdisklabel, writedisklabel};
use rumpdev::disk::{self, Bounds, Disk, Geometry, disk_part, disk_unit, wedge};
use rumpvfs::node::{Node, VType};
use rumpvfs::vfs::Vnode;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

/// The rotational speed vnd's fictitious label gives.
const VND_RPM: u16 = 3600;
/// Below this many `DEV_BSIZE` blocks (1 MiB) vnd's geometry is one
/// sector per track and cylinder; from it on, 32 sectors and 64 tracks.
const STANDARD_GEOM_MIN: u64 = 32 * 64;

/// vnd's geometry (`struct vndgeom`).
#[derive(Clone, Copy, Debug, Default)]
struct VndGeom {
    secsize: u32,
    nsectors: u32,
    ntracks: u32,
    ncylinders: u32,
}

/// A configured unit's file.
struct Backing {
    vnode: Vnode,
    /// `va_fsid` and `va_fileid`, for `VNDIOCGET`.
    fsid: u64,
    ino: u64,
}

/// One unit (`struct vnd_softc`).
#[derive(Default)]
struct Softc {
    disk: Disk,
    backing: Option<Backing>,
    readonly: bool,
    /// Keep the label after the last close (`VNF_KLABEL`).
    klabel: bool,
    /// The label in core is valid (`VNF_VLABEL`).
    vlabel: bool,
    /// `sc_size`: the file's size in `DEV_BSIZE` blocks.
    size: u64,
    geom: VndGeom,
    /// Opens of each partition through the character and block devices:
    /// the open masks hold a partition until its last close, as NetBSD's
    /// specfs calls `d_close` only then.
    opens: [[u32; MAXPARTITIONS]; 2],
}

impl Softc {
    fn inited(&self) -> bool {
        self.backing.is_some()
    }

    /// Forget the backing file, the label and the geometry (`vnddoclear`).
    fn unconfigure(&mut self) {
        // Opens that stay see ENXIO from now on, as NetBSD's revoked ones.
        self.backing = None;
        self.readonly = false;
        self.klabel = false;
        self.vlabel = false;
        self.disk.geom = Geometry::default();
    }

    /// `vndgetdefaultlabel`.
    fn default_label(&self) -> Disklabel {
        let g = self.geom;
        let spb = u64::from(g.secsize) / DEV_BSIZE;
        let geom = Geometry {
            secperunit: self.size.checked_div(spb).unwrap_or(0),
            secsize: g.secsize,
            nsectors: g.nsectors,
            ntracks: g.ntracks,
            ncylinders: g.ncylinders,
        };
        Disklabel::fictitious(&geom, DKTYPE_VND, "vnd", VND_RPM)
    }

    /// `vndgetdisklabel`: the label on the medium, else the default one
    /// with every partition the whole disk.
    fn load_label(&mut self) {
        let mut lp = self.default_label();
        let io = RawIo { sc: self };
        if readdisklabel(&io, &mut lp).is_err() {
            let secperunit = lp.get(disklabel::d_secperunit) as u32;
            for i in 0..MAXPARTITIONS {
                if lp.partition(i).size != 0 {
                    continue;
                }
                lp.set_partition(
                    i,
                    Partition {
                        size: secperunit,
                        offset: 0,
                        fstype: FS_BSDFFS,
                        ..lp.partition(i)
                    },
                );
            }
            lp.set_name(disklabel::d_packname, "default label");
            lp.set(disklabel::d_npartitions, MAXPARTITIONS as u64);
            lp.update_checksum();
        }
        self.disk.set_label(lp);
    }

    /// The sector size transfers are checked against (`lp->d_secsize`).
    fn secsize(&self) -> u64 {
        match self.disk.label_secsize() {
            0 => u64::from(self.geom.secsize.max(DEV_BSIZE as u32)),
            s => u64::from(s),
        }
    }

    /// `vndstrategy`'s checks: where on the file a transfer of `bcount`
    /// bytes at `blkno` of partition `part` goes, and how many bytes.
    fn place(
        &self,
        part: usize,
        blkno: u64,
        bcount: usize,
        write: bool,
    ) -> KResult<Option<(u64, usize)>> {
        if !self.inited() {
            return Err(Errno::ENXIO);
        }
        let secsize = self.secsize();
        if !(bcount as u64).is_multiple_of(secsize) {
            return Err(Errno::EINVAL);
        }
        if self.readonly && write {
            return Err(Errno::EACCES);
        }
        if bcount == 0 {
            return Ok(None);
        }
        let bounds = if part == RAW_PART as usize {
            disk::bounds_check_with_mediasize(blkno, bcount, DEV_BSIZE, self.size)?
        } else {
            self.disk
                .bounds_check_with_label(part, blkno, bcount, write)?
        };
        let Bounds::Go(n) = bounds else {
            return Ok(None);
        };
        let mut sector = blkno / (secsize / DEV_BSIZE);
        if part != RAW_PART as usize {
            sector += u64::from(self.disk.part_offset(part));
        }
        Ok(Some((sector * secsize, n)))
    }

    fn node(&self) -> KResult<Arc<dyn Node>> {
        self.backing
            .as_ref()
            .map(|b| Arc::clone(&b.vnode.node))
            .ok_or(Errno::ENXIO)
    }
}

/// Reads and writes the raw disk of a unit whose lock is held (the label
/// code's strategy on `VNDLABELDEV`).
struct RawIo<'a> {
    sc: &'a Softc,
}

impl SectorIo for RawIo<'_> {
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()> {
        let blkno = sector * (self.sc.secsize() / DEV_BSIZE);
        let Some((off, n)) = self.sc.place(RAW_PART as usize, blkno, buf.len(), false)? else {
            return Err(Errno::EIO);
        };
        if n < buf.len() {
            return Err(Errno::EIO);
        }
        read_full(&*self.sc.node()?, off, buf)
    }

    fn write(&self, sector: u64, buf: &[u8]) -> KResult<()> {
        let blkno = sector * (self.sc.secsize() / DEV_BSIZE);
        let Some((off, n)) = self.sc.place(RAW_PART as usize, blkno, buf.len(), true)? else {
            return Err(Errno::EIO);
        };
        if n < buf.len() {
            return Err(Errno::EIO);
        }
        write_full(&*self.sc.node()?, off, buf)
    }
}

/// Read all of `buf` from the file at `off`; past its end the file reads
/// as zeros (a file that shrank under the disk).
fn read_full(node: &dyn Node, off: u64, buf: &mut [u8]) -> KResult<()> {
    let mut done = 0;
    while done < buf.len() {
        match node.read(off + done as u64, &mut buf[done..])? {
            0 => {
                buf[done..].fill(0);
                break;
            }
            n => done += n,
        }
    }
    Ok(())
}

/// What a unit reads past the end of its file, handed out a piece at a
/// time.
static PAST_END_ZEROS: [u8; 4096] = [0; 4096];

fn write_full(node: &dyn Node, off: u64, data: &[u8]) -> KResult<()> {
    let mut done = 0;
    while done < data.len() {
        match node.write(off + done as u64, &data[done..])? {
            0 => return Err(Errno::EIO),
            n => done += n,
        }
    }
    Ok(())
}

fn kind_index(kind: DevKind) -> usize {
    match kind {
        DevKind::Char => 0,
        DevKind::Block => 1,
    }
}

/// The vnd driver's units (`vnd_cd`).
pub(crate) struct Vnd {
    units: Mutex<Units>,
    /// The kernel's device tree, where a unit is `vndN` while it exists.
    devices: Arc<DeviceTree>,
    /// This driver, for the detach functions its units leave in the tree.
    me: Weak<Vnd>,
}

#[derive(Default)]
struct Units {
    softc: BTreeMap<u32, Arc<Mutex<Softc>>>,
    /// `vnd_cd.cd_ndevs`: room for units, grown as `config_makeroom`
    /// grows it (at least 4, doubling) and never shrunk.
    ndevs: u32,
}

impl Vnd {
    /// The driver, its units attached in `devices`.
    pub(crate) fn new(devices: Arc<DeviceTree>) -> Arc<Vnd> {
        Arc::new_cyclic(|me| Vnd {
            units: Mutex::default(),
            devices,
            me: me.clone(),
        })
    }

    fn lookup(&self, unit: u32) -> Option<Arc<Mutex<Softc>>> {
        lock(&self.units).softc.get(&unit).cloned()
    }

    /// `vnd_spawn`: the unit, made on first open.
    fn spawn(&self, unit: u32) -> Arc<Mutex<Softc>> {
        let mut u = lock(&self.units);
        if let Some(sc) = u.softc.get(&unit) {
            return Arc::clone(sc);
        }
        if unit >= u.ndevs {
            let mut n = u.ndevs.max(4);
            while n <= unit {
                n = n.saturating_mul(2);
            }
            u.ndevs = n;
        }
        let sc = Arc::new(Mutex::new(Softc {
            // Compatibility: the label is kept after the last close.
            klabel: true,
            ..Softc::default()
        }));
        u.softc.insert(unit, Arc::clone(&sc));
        drop(u);
        // `config_attach_pseudo`: the unit is a device from now on.
        let me = self.me.clone();
        let detach: DetachFn =
            Arc::new(move || me.upgrade().map_or(Ok(()), |vnd| vnd.detach_unit(unit)));
        let _ = self.devices.attach(None, "vnd", unit, Some(detach));
        sc
    }

    /// `vnd_detach` (what `drvctl -d vndN` asks): a configured unit is
    /// unconfigured first, EBUSY while any partition is open.
    fn detach_unit(&self, unit: u32) -> KResult<()> {
        if let Some(sc) = self.lookup(unit) {
            let mut sc = lock(&sc);
            if sc.inited() {
                if sc.disk.openmask() != 0 {
                    return Err(Errno::EBUSY);
                }
                sc.unconfigure();
            }
        }
        self.destroy_if_unused(unit);
        Ok(())
    }

    /// `vnd_destroy` of a unit neither configured nor open.
    fn destroy_if_unused(&self, unit: u32) {
        let mut u = lock(&self.units);
        let unused = u.softc.get(&unit).is_some_and(|sc| {
            let sc = lock(sc);
            !sc.inited() && sc.disk.openmask() == 0
        });
        if unused {
            u.softc.remove(&unit);
            drop(u);
            self.devices.detach(&format!("vnd{unit}"));
        }
    }

    /// `VNDIOCGET`: which file unit `vnu_unit` (-1: this one) is on.
    fn get(&self, unit: u32, data: &mut [u8]) -> KResult<()> {
        if data.len() < vnd_user::SIZE {
            return Err(Errno::EINVAL);
        }
        let mut which = vnd_user::vnu_unit.get(data).unwrap_or(0) as u32 as i32;
        let ndevs = lock(&self.units).ndevs;
        if which >= 0 && which as u32 >= ndevs {
            return Err(Errno::ENXIO);
        }
        if which == -1 {
            which = unit as i32;
        }
        if which < 0 {
            return Err(Errno::EINVAL);
        }
        let (dev, ino) = self
            .lookup(which as u32)
            .and_then(|sc| lock(&sc).backing.as_ref().map(|b| (b.fsid, b.ino)))
            .unwrap_or((0, 0));
        vnd_user::vnu_unit.put(data, which as u32 as u64);
        vnd_user::vnu_dev.put(data, dev);
        vnd_user::vnu_ino.put(data, ino);
        Ok(())
    }

    /// `VNDIOCCLR`: EBUSY while another partition, or both devices of
    /// this one, are open, unless `VNDIOF_FORCE`.
    fn clear(&self, _unit: u32, sc: &Arc<Mutex<Softc>>, part: usize, data: &[u8]) -> KResult<()> {
        let flags = vnd_ioctl::vnd_flags.get(data).ok_or(Errno::EINVAL)? as u32;
        let mut sc = lock(sc);
        if !sc.inited() {
            return Err(Errno::ENXIO);
        }
        let pmask = 1u32 << part;
        let busy = sc.disk.openmask() & !pmask != 0
            || (sc.disk.bopenmask & pmask != 0 && sc.disk.copenmask & pmask != 0);
        if busy && flags & VNDIOF_FORCE == 0 {
            return Err(Errno::EBUSY);
        }
        sc.unconfigure();
        Ok(())
    }
}

/// `VNDIOCSET`: open the file named by `vnd_file` with the caller's
/// credentials, read-write unless `VNDIOF_READONLY`, and make it the disk.
fn set(ctx: &Ctx, sc: &mut Softc, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
    if sc.inited() {
        return Err(Errno::EBUSY);
    }
    if data.len() < vnd_ioctl::SIZE {
        return Err(Errno::EINVAL);
    }
    let get = |f: netbsd_abi::Field| f.get(data).unwrap_or(0);
    let flags = get(vnd_ioctl::vnd_flags) as u32;
    let readonly = flags & VNDIOF_READONLY != 0;
    let path = user.copyinstr(get(vnd_ioctl::vnd_file), MAXPATHLEN as usize)?;
    let vnode = rumpvfs::vn_open(ctx, &path, !readonly)?;
    let attr = vnode.node.getattr();
    if attr.typ != VType::Reg {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & VNF_COMP != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let size = attr.size / DEV_BSIZE;
    let geom = if flags & VNDIOF_HASGEOM != 0 {
        let g = VndGeom {
            secsize: get(vnd_ioctl::vng_secsize) as u32,
            nsectors: get(vnd_ioctl::vng_nsectors) as u32,
            ntracks: get(vnd_ioctl::vng_ntracks) as u32,
            ncylinders: get(vnd_ioctl::vng_ncylinders) as u32,
        };
        if !disk::sector_size_ok(g.secsize)
            || g.ncylinders == 0
            || g.ntracks == 0
            || g.nsectors == 0
        {
            return Err(Errno::EINVAL);
        }
        let geomsize = u64::from(g.nsectors)
            * u64::from(g.ntracks)
            * u64::from(g.ncylinders)
            * (u64::from(g.secsize) / DEV_BSIZE);
        if size < geomsize {
            return Err(Errno::EINVAL);
        }
        g
    } else if size >= STANDARD_GEOM_MIN {
        VndGeom {
            secsize: DEV_BSIZE as u32,
            nsectors: 32,
            ntracks: 64,
            ncylinders: (size / STANDARD_GEOM_MIN) as u32,
        }
    } else {
        VndGeom {
            secsize: DEV_BSIZE as u32,
            nsectors: 1,
            ntracks: 1,
            ncylinders: size as u32,
        }
    };
    // vndsetcred reads the first block with the new credentials: a file
    // that cannot be read fails here.
    let mut first = vec![0u8; (DEV_BSIZE.min(size * DEV_BSIZE)) as usize];
    if !first.is_empty() {
        vnode.node.read(0, &mut first)?;
    }
    let st = rumpvfs::stat_of(&vnode);
    sc.size = size;
    sc.geom = geom;
    sc.disk.geom = Geometry {
        secperunit: u64::from(geom.nsectors) * u64::from(geom.ntracks) * u64::from(geom.ncylinders),
        secsize: geom.secsize,
        nsectors: geom.nsectors,
        ntracks: geom.ntracks,
        ncylinders: geom.ncylinders,
    };
    sc.readonly = readonly;
    sc.backing = Some(Backing {
        vnode,
        fsid: st.dev,
        ino: st.ino,
    });
    let bytes = size * DEV_BSIZE;
    vnd_ioctl::vnd_osize.put(data, bytes);
    vnd_ioctl::vnd_size.put(data, bytes);
    Ok(())
}

/// What the disk layer's devices ask of the units.
impl DiskUnits for Vnd {
    /// `vndopen` of `minor` through the `kind` device: EBUSY for a
    /// partition other than the raw one while the disk has wedges.
    fn open(&self, ctx: &Ctx, minor: u32, kind: DevKind) -> KResult<()> {
        let sc = self.spawn(disk_unit(minor));
        let mut sc = lock(&sc);
        let part = disk_part(minor);
        let pmask = 1u32 << part;
        if part != RAW_PART as usize
            && wedge::count(ctx.kernel(), &format!("vnd{}", disk_unit(minor))) != 0
        {
            drop(sc);
            self.destroy_if_unused(disk_unit(minor));
            return Err(Errno::EBUSY);
        }
        if sc.inited() {
            if sc.disk.openmask() & !(1 << RAW_PART) != 0 {
                if !sc.vlabel {
                    return Err(Errno::EIO);
                }
            } else if !sc.vlabel {
                sc.vlabel = true;
                sc.load_label();
            }
        }
        if part != RAW_PART as usize
            && (!sc.inited()
                || part >= sc.disk.label().npartitions()
                || sc.disk.label().partition(part).fstype == FS_UNUSED)
        {
            drop(sc);
            self.destroy_if_unused(disk_unit(minor));
            return Err(Errno::ENXIO);
        }
        sc.opens[kind_index(kind)][part] += 1;
        match kind {
            DevKind::Char => sc.disk.copenmask |= pmask,
            DevKind::Block => sc.disk.bopenmask |= pmask,
        }
        Ok(())
    }

    /// `vndclose`.
    fn close(&self, minor: u32, kind: DevKind) {
        let Some(sc) = self.lookup(disk_unit(minor)) else {
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
        self.destroy_if_unused(disk_unit(minor));
    }

    /// The size of `minor` in `DEV_BSIZE` blocks, for the block device.
    fn blocks(&self, minor: u32) -> KResult<u64> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let sc = lock(&sc);
        if !sc.inited() {
            return Err(Errno::ENXIO);
        }
        let part = disk_part(minor);
        if part == RAW_PART as usize {
            return Ok(sc.size);
        }
        Ok(u64::from(sc.disk.part_size(part)) << sc.disk.blkshift())
    }

    /// `vndstrategy` and the transfer on the file: the bytes moved.
    fn strategy(&self, minor: u32, blkno: u64, op: BufOp<'_>) -> KResult<usize> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let (node, place) = {
            let sc = lock(&sc);
            let len = match &op {
                BufOp::Read(b) => b.len(),
                BufOp::Write(b) => b.len(),
            };
            let write = matches!(op, BufOp::Write(_));
            let place = sc.place(disk_part(minor), blkno, len, write)?;
            (sc.node()?, place)
        };
        let Some((off, n)) = place else {
            return Ok(0);
        };
        match op {
            BufOp::Read(b) => read_full(&*node, off, &mut b[..n])?,
            BufOp::Write(b) => write_full(&*node, off, &b[..n])?,
        }
        Ok(n)
    }

    /// A read handed to `sink` straight from the file's memory, after the
    /// checks of [`Vnd::strategy`]; past the file's end it reads as zeros,
    /// as there.
    fn strategy_to(
        &self,
        minor: u32,
        blkno: u64,
        len: usize,
        sink: &mut ReadSink<'_>,
    ) -> KResult<usize> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let (node, place) = {
            let sc = lock(&sc);
            let place = sc.place(disk_part(minor), blkno, len, false)?;
            (sc.node()?, place)
        };
        let Some((off, n)) = place else {
            return Ok(0);
        };
        let mut done = 0;
        while done < n {
            match node.read_to(off + done as u64, n - done, sink)? {
                0 => break,
                got => done += got,
            }
        }
        while done < n {
            let take = (n - done).min(PAST_END_ZEROS.len());
            sink(&PAST_END_ZEROS[..take])?;
            done += take;
        }
        Ok(n)
    }

    /// `vndioctl` on `minor`, opened with `O_*` `fflags`.
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
        if cmd == VNDIOCGET {
            return self.get(unit, data);
        }
        let sc = self.lookup(unit).ok_or(Errno::ENXIO)?;
        let writable = fflags & O_ACCMODE as u32 != O_RDONLY as u32;
        use rumpdev::disk::*;
        if matches!(
            cmd,
            VNDIOCSET | VNDIOCCLR | DIOCSDINFO | DIOCWDINFO | DIOCKLABEL | DIOCWLABEL
        ) && !writable
        {
            return Err(Errno::EBADF);
        }
        let part = disk_part(minor);
        if cmd == VNDIOCCLR {
            self.clear(unit, &sc, part, data)?;
            // dkwedge_delall, once the unit's lock is let go: a wedge that
            // goes closes its hold on this disk.
            wedge::delete_all(ctx.kernel(), &format!("vnd{unit}"));
            return Ok(());
        }
        let mut sc = lock(&sc);
        if matches!(
            cmd,
            DIOCGDINFO
                | DIOCSDINFO
                | DIOCWDINFO
                | DIOCGPARTINFO
                | DIOCKLABEL
                | DIOCWLABEL
                | DIOCGDEFLABEL
                | DIOCCACHESYNC
        ) && !sc.inited()
        {
            return Err(Errno::ENXIO);
        }
        if let Some(r) = sc.disk.ioctl(part, cmd, data) {
            return r;
        }
        let parent = wedge::Parent {
            name: &format!("vnd{unit}"),
            bmajor: crate::VND_BMAJOR,
            unit,
            openmask: sc.disk.openmask(),
            blkshift: sc.disk.blkshift(),
        };
        if let Some(r) = wedge::ioctl(ctx, &parent, cmd, data, fflags, user) {
            return r;
        }
        match cmd {
            VNDIOCSET => set(ctx, &mut sc, data, user),
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
            DIOCCACHESYNC => sc.node()?.fsync(),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// `DIOCCACHESYNC` and a file system's sync: the file's `VOP_FSYNC`.
    fn sync(&self, minor: u32) -> KResult<()> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let node = lock(&sc).node()?;
        node.fsync()
    }

    /// Whether the unit of `minor` is configured (raw transfers need it).
    fn configured(&self, minor: u32) -> bool {
        self.lookup(disk_unit(minor))
            .is_some_and(|sc| lock(&sc).inited())
    }

    /// NetBSD's rump kernel loses a raw read's strategy error on the way
    /// back to a remote caller (vunmapbuf stores the copyout's result in
    /// b_error before physio_done reads it): the read moves nothing and
    /// succeeds. Its tools, run against our kernel, see what they see there.
    fn raw_read_failed(&self, _e: Errno) -> KResult<usize> {
        Ok(0)
    }
}
