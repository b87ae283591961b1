//! Disk wedges (NetBSD's `sys/dev/dkwedge/dk.c`): a run of a parent
//! disk's sectors seen as a disk of its own, `dkN`, at block and
//! character major 168 with minor N.
//!
//! A parent disk driver hands its wedge ioctls (`DIOCAWEDGE`,
//! `DIOCDWEDGE`, `DIOCLWEDGES`, `DIOCMWEDGES`) to [`ioctl`], tells its
//! opens of partitions other than the raw one about [`count`] (vnd's
//! EBUSY) and drops its wedges with [`delete_all`] when it goes. As in
//! NetBSD 7.99: a wedge is not checked against the parent's size (its
//! transfers are), wedges of one parent may not overlap, wedge names are
//! unique in the kernel, no `/dev/dkN` node is made (NetBSD's rump kernel
//! makes none: make one with `mknod`; it attaches no dk driver either, so
//! its dk nodes answer ENXIO, where ours serve the wedges as NetBSD's
//! full kernel does), and no partition map is discovered
//! (the rump kernel links no discovery method: `DIOCMWEDGES` finds
//! nothing). Wedges cannot be made on etfs drives, which NetBSD's rumpblk
//! does not attach as disks either.
//!
//! ```text
//! struct dkwedge_info {                 struct dkwedge_list {
//!    0 char     dkw_devname[16];           0 void    *dkwl_buf;
//!   16 uint8_t  dkw_wname[128];            8 size_t   dkwl_bufsize;
//!  144 char     dkw_parent[16];           16 u_int    dkwl_nwedges;
//!  160 daddr_t  dkw_offset;               20 u_int    dkwl_ncopied;
//!  168 uint64_t dkw_size;               };                   24 bytes
//!  176 char     dkw_ptype[32];
//! };                   208 bytes
//! ```

use super::{Bounds, answer, bounds_check_with_mediasize, disk_minor, physio};
use netbsd_abi::{Field, IOC_IN, IOC_INOUT, IOC_OUT, O_ACCMODE, O_RDONLY, ioc};
use rump::devsw::{
    BlockDevice, BlockDriver, Buf, BufOp, CharDriver, DEV_BSIZE, DevKind, DevSw, DeviceOpen,
    RAW_PART, makedev,
};
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Mutex};

/// The fields of `struct dkwedge_info` (`sys/disk.h`).
#[allow(non_upper_case_globals)]
pub mod dkwedge_info {
    use super::Field;
    /// `dkw_devname[16]`: the wedge's device name (`dk0`).
    pub const dkw_devname: Field = Field::bytes(0, 16);
    /// `dkw_wname[128]`: the wedge's name (UTF-8).
    pub const dkw_wname: Field = Field::bytes(16, 128);
    /// `dkw_parent[16]`: the parent disk's name.
    pub const dkw_parent: Field = Field::bytes(144, 16);
    /// `dkw_offset`: the first sector in the parent (`daddr_t`).
    pub const dkw_offset: Field = Field::bytes(160, 8);
    /// `dkw_size`: sectors in the wedge.
    pub const dkw_size: Field = Field::bytes(168, 8);
    /// `dkw_ptype[32]`: the partition type string.
    pub const dkw_ptype: Field = Field::bytes(176, 32);
    /// `sizeof(struct dkwedge_info)`.
    pub const SIZE: usize = 208;
}

/// The fields of `struct dkwedge_list` (`sys/disk.h`).
#[allow(non_upper_case_globals)]
pub mod dkwedge_list {
    use super::Field;
    /// `dkwl_buf`: where the `dkwedge_info` array goes, in the caller.
    pub const dkwl_buf: Field = Field::bytes(0, 8);
    /// `dkwl_bufsize`: the room there in bytes.
    pub const dkwl_bufsize: Field = Field::bytes(8, 8);
    /// `dkwl_nwedges`: the parent's wedges (returned).
    pub const dkwl_nwedges: Field = Field::bytes(16, 4);
    /// `dkwl_ncopied`: how many were copied out (returned).
    pub const dkwl_ncopied: Field = Field::bytes(20, 4);
    /// `sizeof(struct dkwedge_list)`.
    pub const SIZE: usize = 24;
}

/// `DIOCAWEDGE`: `_IOWR('d', 121, struct dkwedge_info)`.
pub const DIOCAWEDGE: u64 = ioc(IOC_INOUT, b'd', 121, dkwedge_info::SIZE);
/// `DIOCGWEDGEINFO`: `_IOR('d', 122, struct dkwedge_info)`.
pub const DIOCGWEDGEINFO: u64 = ioc(IOC_OUT, b'd', 122, dkwedge_info::SIZE);
/// `DIOCDWEDGE`: `_IOW('d', 123, struct dkwedge_info)`.
pub const DIOCDWEDGE: u64 = ioc(IOC_IN, b'd', 123, dkwedge_info::SIZE);
/// `DIOCLWEDGES`: `_IOWR('d', 124, struct dkwedge_list)`.
pub const DIOCLWEDGES: u64 = ioc(IOC_INOUT, b'd', 124, dkwedge_list::SIZE);
/// `DIOCMWEDGES`: `_IOR('d', 131, int)`.
pub const DIOCMWEDGES: u64 = ioc(IOC_OUT, b'd', 131, 4);

/// dk's block and character major on amd64 (`sys/conf/majors`).
pub const DK_MAJOR: u32 = 168;

/// The disk a wedge ioctl was made on, as its driver describes it.
#[derive(Clone, Copy, Debug)]
pub struct Parent<'a> {
    /// The disk's name (`dk_name`: `vnd0`, `md0`).
    pub name: &'a str,
    /// The driver's block major.
    pub bmajor: u32,
    /// The disk's unit.
    pub unit: u32,
    /// Its open partitions (`dk_openmask`).
    pub openmask: u32,
    /// `dk_blkshift`: from its sectors to `DEV_BSIZE` blocks.
    pub blkshift: u32,
}

/// A NUL-terminated name from a fixed field, as `strlcpy`/`strcmp` see it.
fn cstr(field: &[u8]) -> Vec<u8> {
    let n = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field[..n].to_vec()
}

/// Put `s` in a fixed field, NUL-padded and cut to leave a NUL.
fn put_cstr(data: &mut [u8], f: Field, s: &[u8]) {
    if let Some(dst) = data.get_mut(f.range()) {
        dst.fill(0);
        let n = s.len().min(dst.len() - 1);
        dst[..n].copy_from_slice(&s[..n]);
    }
}

/// One wedge (`struct dkwedge_softc`).
struct Wedge {
    unit: u32,
    wname: Vec<u8>,
    ptype: Vec<u8>,
    parent: String,
    /// The parent's raw block device (`sc_pdev`).
    pdev: u64,
    /// First sector and size in the parent's sectors.
    offset: u64,
    size: u64,
    blkshift: u32,
    state: Mutex<WedgeState>,
}

#[derive(Default)]
struct WedgeState {
    /// `DKW_STATE_RUNNING`; false once deleted (`DKW_STATE_DEAD`).
    running: bool,
    /// Opens through the character and block devices.
    opens: [u32; 2],
    /// The parent's raw block device while the wedge is open
    /// (`dk_rawvp`), shared with transfers under way.
    parent: Option<Arc<BlockDevice>>,
}

impl WedgeState {
    fn open(&self) -> bool {
        self.opens.iter().any(|&n| n > 0)
    }
}

impl Wedge {
    fn devname(&self) -> String {
        format!("dk{}", self.unit)
    }

    fn secsize(&self) -> u64 {
        DEV_BSIZE << self.blkshift
    }

    /// The wedge as `struct dkwedge_info`.
    fn info(&self, data: &mut [u8]) {
        put_cstr(data, dkwedge_info::dkw_devname, self.devname().as_bytes());
        put_cstr(data, dkwedge_info::dkw_wname, &self.wname);
        put_cstr(data, dkwedge_info::dkw_parent, self.parent.as_bytes());
        dkwedge_info::dkw_offset.put(data, self.offset);
        dkwedge_info::dkw_size.put(data, self.size);
        put_cstr(data, dkwedge_info::dkw_ptype, &self.ptype);
    }

    /// The parent device of a running, open wedge.
    fn parent_dev(&self) -> KResult<Arc<BlockDevice>> {
        let st = lock(&self.state);
        if !st.running {
            return Err(Errno::ENXIO);
        }
        st.parent.clone().ok_or(Errno::ENXIO)
    }

    /// `dkstrategy`: a transfer at `blkno` (`DEV_BSIZE` units into the
    /// wedge), cut at its end, moved on the parent's raw device.
    fn strategy(&self, blkno: u64, op: BufOp<'_>) -> KResult<usize> {
        let parent = self.parent_dev()?;
        let len = match &op {
            BufOp::Read(b) => b.len(),
            BufOp::Write(b) => b.len(),
        };
        if len == 0 {
            return Ok(0);
        }
        let p_size = self.size.checked_shl(self.blkshift).unwrap_or(u64::MAX);
        let Bounds::Go(n) = bounds_check_with_mediasize(blkno, len, DEV_BSIZE, p_size)? else {
            return Ok(0);
        };
        let p_offset = self.offset << self.blkshift;
        let at = blkno
            .checked_add(p_offset)
            .and_then(|b| b.checked_mul(DEV_BSIZE))
            .ok_or(Errno::EINVAL)?;
        match op {
            BufOp::Read(b) => parent.read_at(&mut b[..n], at),
            BufOp::Write(b) => parent.write_at(&b[..n], at),
        }
    }
}

/// The kernel's wedges (`dkwedges[]`, `ndkwedges`).
#[derive(Default)]
pub struct Wedges {
    units: Mutex<Vec<Option<Arc<Wedge>>>>,
    /// Each parent's wedges, newest first (`dk_wedges`).
    order: Mutex<Vec<Arc<Wedge>>>,
}

impl Wedges {
    /// The wedges of kernel `k`.
    fn of(k: &Kernel) -> Arc<Wedges> {
        k.extension(Wedges::default)
    }

    fn lookup(&self, unit: u32) -> Option<Arc<Wedge>> {
        lock(&self.units).get(unit as usize).cloned().flatten()
    }

    fn of_parent(&self, parent: &str) -> Vec<Arc<Wedge>> {
        lock(&self.order)
            .iter()
            .filter(|w| w.parent == parent)
            .cloned()
            .collect()
    }

    /// `dkwedge_add`.
    fn add(&self, k: &Kernel, p: &Parent<'_>, data: &mut [u8]) -> KResult<()> {
        if data.len() < dkwedge_info::SIZE {
            return Err(Errno::EINVAL);
        }
        put_cstr(data, dkwedge_info::dkw_parent, p.name.as_bytes());
        let offset = dkwedge_info::dkw_offset.get(data).unwrap_or(0) as i64;
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        let size = dkwedge_info::dkw_size.get(data).unwrap_or(0);
        let field = |f: Field| cstr(&data[f.range()]);
        let (wname, ptype) = (
            field(dkwedge_info::dkw_wname),
            field(dkwedge_info::dkw_ptype),
        );
        // The two-level order of NetBSD's locks: the parent's list, then
        // the kernel's array, both held here so that no other add slips in.
        let mut order = lock(&self.order);
        if p.openmask & !(1 << RAW_PART) != 0 {
            return Err(Errno::EBUSY);
        }
        let last = offset.wrapping_add(size as i64).wrapping_sub(1);
        let overlap = order.iter().filter(|w| w.parent == p.name).find(|w| {
            let (lo, lsize) = (w.offset as i64, w.size as i64);
            let llast = lo.wrapping_add(lsize).wrapping_sub(1);
            (offset >= lo && offset <= llast) || (last >= lo && last <= llast)
        });
        if let Some(w) = overlap {
            return Err(
                if w.offset == offset as u64 && w.size == size && w.wname == wname {
                    Errno::EEXIST
                } else {
                    Errno::EINVAL
                },
            );
        }
        let mut units = lock(&self.units);
        if units
            .iter()
            .flatten()
            .any(|w| w.wname == wname && lock(&w.state).running)
        {
            return Err(Errno::EEXIST);
        }
        let slot = match units.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                units.push(None);
                units.len() - 1
            }
        };
        let w = Arc::new(Wedge {
            unit: slot as u32,
            wname,
            ptype,
            parent: p.name.to_owned(),
            pdev: makedev(p.bmajor, disk_minor(p.unit, RAW_PART as usize)),
            offset: offset as u64,
            size,
            blkshift: p.blkshift,
            state: Mutex::new(WedgeState {
                running: true,
                ..WedgeState::default()
            }),
        });
        units[slot] = Some(Arc::clone(&w));
        order.insert(0, Arc::clone(&w));
        put_cstr(data, dkwedge_info::dkw_devname, w.devname().as_bytes());
        let ptype = if w.ptype.is_empty() {
            "<unknown>".into()
        } else {
            String::from_utf8_lossy(&w.ptype).into_owned()
        };
        k.printf(&format!(
            "{} at {}: \"{}\", {} blocks at {}, type: {}\n",
            w.devname(),
            p.name,
            String::from_utf8_lossy(&w.wname),
            size,
            offset,
            ptype
        ));
        Ok(())
    }

    /// `dkwedge_del`: by device name on this parent; EBUSY while open.
    fn del(&self, k: &Kernel, p: &Parent<'_>, data: &mut [u8]) -> KResult<()> {
        if data.len() < dkwedge_info::SIZE {
            return Err(Errno::EINVAL);
        }
        put_cstr(data, dkwedge_info::dkw_parent, p.name.as_bytes());
        let devname = cstr(&data[dkwedge_info::dkw_devname.range()]);
        let w = lock(&self.units)
            .iter()
            .flatten()
            .find(|w| {
                w.devname().as_bytes() == devname && w.parent == p.name && lock(&w.state).running
            })
            .cloned()
            .ok_or(Errno::ESRCH)?;
        self.remove(k, &w, false)
    }

    /// `dkwedge_detach`: the wedge goes unless open and not forced; a
    /// forced one's opens see ENXIO from now on.
    ///
    /// A wedge still open through its block device keeps its unit until
    /// that closes (the block device's close names only the minor, which a
    /// new wedge in the same unit would otherwise take over).
    fn remove(&self, k: &Kernel, w: &Arc<Wedge>, force: bool) -> KResult<()> {
        let block_open = {
            let mut st = lock(&w.state);
            if !st.running {
                return Err(Errno::ENXIO);
            }
            if st.open() && !force {
                return Err(Errno::EBUSY);
            }
            st.running = false;
            st.opens[kind_index(DevKind::Block)] > 0
        };
        lock(&self.order).retain(|o| !Arc::ptr_eq(o, w));
        if !block_open {
            self.free_unit(w);
        }
        k.printf(&format!(
            "{} at {} ({}) deleted\n",
            w.devname(),
            w.parent,
            String::from_utf8_lossy(&w.wname)
        ));
        Ok(())
    }

    /// The unit of deleted wedge `w` is free again.
    fn free_unit(&self, w: &Arc<Wedge>) {
        let mut units = lock(&self.units);
        if let Some(slot) = units.get_mut(w.unit as usize)
            && slot.as_ref().is_some_and(|o| Arc::ptr_eq(o, w))
        {
            *slot = None;
        }
    }

    /// `dkwedge_list`: as many of the parent's wedges as fit in the
    /// caller's buffer, and how many there are.
    fn list(&self, p: &Parent<'_>, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        let get = |f: Field| f.get(data).ok_or(Errno::EINVAL);
        let (buf, bufsize) = (
            get(dkwedge_list::dkwl_buf)?,
            get(dkwedge_list::dkwl_bufsize)?,
        );
        let wedges = self.of_parent(p.name);
        let mut copied = 0u64;
        let mut resid = bufsize;
        let mut r = Ok(());
        for w in &wedges {
            if resid < dkwedge_info::SIZE as u64 {
                break;
            }
            let mut info = [0u8; dkwedge_info::SIZE];
            w.info(&mut info);
            let at = buf.wrapping_add(copied * dkwedge_info::SIZE as u64);
            r = user.copyout(at, &info);
            if r.is_err() {
                break;
            }
            copied += 1;
            resid -= dkwedge_info::SIZE as u64;
        }
        dkwedge_list::dkwl_ncopied.put(data, copied);
        dkwedge_list::dkwl_nwedges.put(data, wedges.len() as u64);
        r
    }
}

/// The wedge commands of `disk_ioctl` on a parent disk; `None` for
/// others. `fflags` are the `O_*` flags the parent was opened with.
pub fn ioctl(
    ctx: &Ctx,
    p: &Parent<'_>,
    cmd: u64,
    data: &mut [u8],
    fflags: u32,
    user: &dyn UserSpace,
) -> Option<KResult<()>> {
    let k = ctx.kernel();
    let writable = fflags & O_ACCMODE as u32 != O_RDONLY as u32;
    let wedges = Wedges::of(k);
    Some(match cmd {
        DIOCAWEDGE | DIOCDWEDGE if !writable => Err(Errno::EBADF),
        DIOCAWEDGE => wedges.add(k, p, data),
        DIOCDWEDGE => wedges.del(k, p, data),
        DIOCLWEDGES => wedges.list(p, data, user),
        // No discovery method is linked into the rump kernel: nothing to
        // find, as dkwedge_discover finds nothing there.
        DIOCMWEDGES if !writable => Err(Errno::EBADF),
        DIOCMWEDGES => Ok(()),
        _ => return None,
    })
}

/// How many wedges disk `parent` has (`dk_nwedges`).
pub fn count(k: &Kernel, parent: &str) -> usize {
    Wedges::of(k).of_parent(parent).len()
}

/// `dkwedge_delall`: every wedge of `parent` goes, open or not (the
/// parent is going away); opens left see ENXIO.
pub fn delete_all(k: &Kernel, parent: &str) {
    let wedges = Wedges::of(k);
    for w in wedges.of_parent(parent) {
        let _ = wedges.remove(k, &w, true);
    }
}

/// Attach the dk driver (`dkwedge_init`).
pub fn attach(k: &Kernel) -> Result<(), String> {
    let sw = DevSw::of(k);
    let dk = Arc::new(Dk(Wedges::of(k)));
    sw.attach_block("dk", DK_MAJOR, Arc::clone(&dk) as Arc<dyn BlockDriver>)
        .map_err(|e| format!("cannot attach dk: {e}"))?;
    sw.attach_char("dk", DK_MAJOR, dk)
        .map_err(|e| format!("cannot attach dk: {e}"))?;
    Ok(())
}

fn kind_index(kind: DevKind) -> usize {
    match kind {
        DevKind::Char => 0,
        DevKind::Block => 1,
    }
}

/// The dk driver (`dk_bdevsw`, `dk_cdevsw`).
struct Dk(Arc<Wedges>);

impl Dk {
    /// The wedge at `minor`. NetBSD's `dkwedge_lookup` fails with ENODEV,
    /// but its rump kernel attaches no dk driver at all, so that a dk node
    /// answers ENXIO there: a minor without a wedge answers the same here.
    fn wedge(&self, minor: u32) -> KResult<Arc<Wedge>> {
        self.0.lookup(minor).ok_or(Errno::ENXIO)
    }

    /// `dkopen`: the first open of a wedge opens its parent's raw
    /// partition read-write.
    fn open(&self, ctx: &Ctx, minor: u32, kind: DevKind) -> KResult<Arc<Wedge>> {
        let w = self.wedge(minor)?;
        let needs_parent = {
            let st = lock(&w.state);
            if !st.running {
                return Err(Errno::ENXIO);
            }
            st.parent.is_none()
        };
        // The parent is opened without the wedge's lock: its driver may be
        // inside a wedge ioctl that takes it.
        let opened = if needs_parent {
            let rdwr = netbsd_abi::O_RDWR as u32;
            Some(Arc::new(
                DevSw::of(ctx.kernel()).open_block(ctx, w.pdev, rdwr)?,
            ))
        } else {
            None
        };
        let spare = {
            let mut st = lock(&w.state);
            if !st.running {
                return Err(Errno::ENXIO);
            }
            st.opens[kind_index(kind)] += 1;
            match st.parent {
                Some(_) => opened,
                None => {
                    st.parent = opened;
                    None
                }
            }
        };
        drop(spare);
        Ok(w)
    }

    /// `dkclose` at the last close: the parent is closed with it.
    fn close(&self, w: &Arc<Wedge>, kind: DevKind) {
        let (parent, unit_free) = {
            let mut st = lock(&w.state);
            let n = &mut st.opens[kind_index(kind)];
            *n = n.saturating_sub(1);
            let unit_free = !st.running && st.opens[kind_index(DevKind::Block)] == 0;
            let parent = if st.open() { None } else { st.parent.take() };
            (parent, unit_free)
        };
        if unit_free {
            self.0.free_unit(w);
        }
        drop(parent);
    }

    /// `dkioctl`: the generic disk answers without the label ones, the
    /// cache flush and `DIOCGWEDGEINFO`; ENOTTY for the rest.
    fn ioctl(&self, w: &Wedge, cmd: u64, data: &mut [u8], fflags: u32) -> KResult<()> {
        let parent = w.parent_dev()?;
        match cmd {
            super::DIOCGSECTORSIZE => answer(data, &(w.secsize() as u32).to_le_bytes()),
            super::DIOCGMEDIASIZE => {
                answer(data, &w.secsize().saturating_mul(w.size).to_le_bytes())
            }
            super::DIOCGDISKINFO => Err(Errno::EOPNOTSUPP),
            super::DIOCCACHESYNC if fflags & O_ACCMODE as u32 == O_RDONLY as u32 => {
                Err(Errno::EBADF)
            }
            super::DIOCCACHESYNC => parent.sync(),
            DIOCGWEDGEINFO => {
                if data.len() < dkwedge_info::SIZE {
                    return Err(Errno::EINVAL);
                }
                w.info(data);
                Ok(())
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

impl BlockDriver for Dk {
    fn open(&self, ctx: &Ctx, minor: u32, _flags: u32) -> KResult<()> {
        self.open(ctx, minor, DevKind::Block).map(drop)
    }

    fn close(&self, minor: u32) {
        if let Some(w) = self.0.lookup(minor) {
            self.close(&w, DevKind::Block);
        }
    }

    fn size(&self, minor: u32) -> KResult<u64> {
        let w = self.wedge(minor)?;
        Ok(w.size.checked_shl(w.blkshift).unwrap_or(u64::MAX))
    }

    fn strategy(&self, minor: u32, buf: Buf<'_>) -> KResult<usize> {
        self.wedge(minor)?.strategy(buf.blkno, buf.op)
    }

    fn ioctl(
        &self,
        _ctx: &Ctx,
        minor: u32,
        cmd: u64,
        data: &mut [u8],
        fflags: u32,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        let w = self.wedge(minor)?;
        Dk::ioctl(self, &w, cmd, data, fflags)
    }

    fn sync(&self, minor: u32) -> KResult<()> {
        self.wedge(minor)?.parent_dev()?.sync()
    }
}

impl CharDriver for Dk {
    fn open(&self, ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        let wedge = Dk::open(self, ctx, minor, DevKind::Char)?;
        Ok(Box::new(RawWedge {
            dk: Dk(Arc::clone(&self.0)),
            wedge,
            flags,
        }))
    }
}

/// An open raw wedge (`rdkN`): transfers by `physio`'s rules. It holds
/// its wedge, so that a wedge deleted under it answers ENXIO.
struct RawWedge {
    dk: Dk,
    wedge: Arc<Wedge>,
    flags: u32,
}

impl DeviceOpen for RawWedge {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        self.wedge.parent_dev()?;
        physio(offset, buf.len(), |blkno, range| {
            self.wedge.strategy(blkno, BufOp::Read(&mut buf[range]))
        })
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        self.wedge.parent_dev()?;
        physio(offset, buf.len(), |blkno, range| {
            self.wedge.strategy(blkno, BufOp::Write(&buf[range]))
        })
    }

    fn ioctl(&self, _ctx: &Ctx, cmd: u64, data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        self.dk.ioctl(&self.wedge, cmd, data, self.flags)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn disk_bytes(&self, _ctx: &Ctx) -> Option<u64> {
        self.wedge.secsize().checked_mul(self.wedge.size)
    }
}

impl Drop for RawWedge {
    fn drop(&mut self) {
        self.dk.close(&self.wedge, DevKind::Char);
    }
}
