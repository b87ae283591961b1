//! md's units (`struct md_softc`): configuration, opens, the fictitious
//! label and transfers to the unit's memory.

use super::MD_BMAJOR;
use super::mdio::{
    MD_GETCONF, MD_KMEM_ALLOCATED, MD_SETCONF, MD_UMEM_SERVER, MD_UNCONFIGURED, md_conf,
};
use crate::disk::driver::DiskUnits;
use crate::disk::label::{Disklabel, FS_BSDFFS, MAXPARTITIONS, Partition, disklabel};
use crate::disk::{Disk, Geometry, disk_part, disk_unit, wedge};
use rump::devsw::{BufOp, DEV_BSIZE, DevKind, RAW_PART};
use rump::kmem::KmemBuf;
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// `DKTYPE_MD` (`sys/disklabel.h`'s `DKTYPE_DEFN`): a memory disk.
pub const DKTYPE_MD: u16 = 22;
/// The rotational speed md's fictitious label gives.
const MD_RPM: u16 = 3600;
/// From this many sectors (1 MiB) on, md's geometry is 32 sectors and
/// 64 tracks; below it one sector per track and cylinder.
const STANDARD_GEOM_MIN: u64 = 32 * 64;

fn kind_index(kind: DevKind) -> usize {
    match kind {
        DevKind::Char => 0,
        DevKind::Block => 1,
    }
}

/// One unit (`struct md_softc`).
#[derive(Default)]
struct Softc {
    disk: Disk,
    /// The disk's memory, charged to the kernel (`MD_KMEM_ALLOCATED`);
    /// `None` while unconfigured.
    mem: Option<KmemBuf>,
    /// Opens of each partition through the character and block devices:
    /// the open masks hold a partition until its last close, as NetBSD's
    /// specfs calls `d_close` only then.
    opens: [[u32; MAXPARTITIONS]; 2],
}

impl Softc {
    fn configured(&self) -> bool {
        self.mem.is_some()
    }

    fn size(&self) -> usize {
        self.mem.as_ref().map_or(0, |m| m.len())
    }

    /// `md_set_disklabel`: the fictitious label and the geometry of a
    /// unit of `size` bytes.
    fn set_disklabel(&mut self) {
        let secperunit = self.size() as u64 / DEV_BSIZE;
        let (nsectors, ntracks, ncylinders) = if secperunit >= STANDARD_GEOM_MIN {
            (32, 64, (secperunit / STANDARD_GEOM_MIN) as u32)
        } else {
            (1, 1, secperunit as u32)
        };
        let geom = Geometry {
            secperunit,
            secsize: DEV_BSIZE as u32,
            nsectors,
            ntracks,
            ncylinders,
        };
        let mut lp = Disklabel::fictitious(&geom, DKTYPE_MD, "md", MD_RPM);
        lp.set(disklabel::d_interleave, 1);
        lp.set_partition(
            0,
            Partition {
                size: secperunit as u32,
                offset: 0,
                fstype: FS_BSDFFS,
                ..Partition::default()
            },
        );
        lp.update_checksum();
        // NetBSD's md_set_disklabel stores 64 tracks in the label after
        // summing it (`dg_ntracks = d_ntracks = 64`): a unit under 1 MiB
        // shows a label whose checksum no longer holds, and its geometry
        // 64 tracks; kept, so that tools see what they see there.
        lp.set(disklabel::d_ntracks, 64);
        self.disk.set_label(lp);
        self.disk.geom = Geometry {
            ntracks: 64,
            ..geom
        };
    }
}

/// The md driver's units (`md_cd`).
#[derive(Default)]
pub(crate) struct Md {
    units: Mutex<BTreeMap<u32, Arc<Mutex<Softc>>>>,
}

impl Md {
    fn lookup(&self, unit: u32) -> Option<Arc<Mutex<Softc>>> {
        lock(&self.units).get(&unit).cloned()
    }
}

/// `md_ioctl_kalloc`: `size` bytes of zeroed kernel memory, charged to
/// the kernel (ENOMEM past `RUMP_MEMLIMIT`), become the unit's disk.
fn kalloc(k: &Kernel, sc: &mut Softc, size: u64) -> KResult<()> {
    let len = usize::try_from(size).map_err(|_| Errno::ENOMEM)?;
    let mem = k.kmem_alloc(len, PAGE_SIZE)?;
    sc.mem = Some(mem);
    sc.set_disklabel();
    Ok(())
}

/// `PAGE_SIZE` on amd64: `uvm_km_alloc` hands out whole pages.
const PAGE_SIZE: usize = 4096;

/// What the disk layer's devices ask of the units.
impl DiskUnits for Md {
    /// `mdopen`: the raw partition of a unit that does not exist yet
    /// makes it (`config_attach_pseudo`); other partitions need a
    /// configured unit.
    fn open(&self, _ctx: &Ctx, minor: u32, kind: DevKind) -> KResult<()> {
        let unit = disk_unit(minor);
        let part = disk_part(minor);
        let sc = {
            let mut units = lock(&self.units);
            match units.get(&unit) {
                Some(sc) => Arc::clone(sc),
                None if part != RAW_PART as usize => return Err(Errno::ENXIO),
                None => Arc::clone(units.entry(unit).or_default()),
            }
        };
        let mut sc = lock(&sc);
        if part != RAW_PART as usize && !sc.configured() {
            return Err(Errno::ENXIO);
        }
        sc.opens[kind_index(kind)][part] += 1;
        match kind {
            DevKind::Char => sc.disk.copenmask |= 1 << part,
            DevKind::Block => sc.disk.bopenmask |= 1 << part,
        }
        Ok(())
    }

    /// `mdclose`: at the last close of an unconfigured unit, the unit
    /// goes (a configured one stays: md has no way to unconfigure).
    fn close(&self, minor: u32, kind: DevKind) {
        let unit = disk_unit(minor);
        let mut units = lock(&self.units);
        let Some(sc) = units.get(&unit).cloned() else {
            return;
        };
        let mut sc = lock(&sc);
        let part = disk_part(minor);
        let count = &mut sc.opens[kind_index(kind)][part];
        *count = count.saturating_sub(1);
        if *count > 0 {
            return;
        }
        match kind {
            DevKind::Char => sc.disk.copenmask &= !(1 << part),
            DevKind::Block => sc.disk.bopenmask &= !(1 << part),
        }
        if sc.disk.openmask() == 0 && !sc.configured() {
            drop(sc);
            units.remove(&unit);
        }
    }

    /// The unit's size in `DEV_BSIZE` blocks; ENXIO unconfigured, where
    /// NetBSD's block reads reach `mdstrategy` and fail so.
    fn blocks(&self, minor: u32) -> KResult<u64> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let sc = lock(&sc);
        if !sc.configured() {
            return Err(Errno::ENXIO);
        }
        Ok(sc.size() as u64 / DEV_BSIZE)
    }

    /// `mdstrategy`: a transfer at `blkno` (`DEV_BSIZE` units from the
    /// start of the unit, whatever the partition, as NetBSD's md does).
    /// A read from the end on moves nothing; a write there is EIO.
    fn strategy(&self, minor: u32, blkno: u64, op: BufOp<'_>) -> KResult<usize> {
        let sc = self.lookup(disk_unit(minor)).ok_or(Errno::ENXIO)?;
        let mut sc = lock(&sc);
        let Some(mem) = sc.mem.as_deref_mut() else {
            return Err(Errno::ENXIO);
        };
        let size = mem.len() as u64;
        let off = blkno.saturating_mul(DEV_BSIZE);
        if off >= size {
            return match op {
                BufOp::Read(_) => Ok(0),
                BufOp::Write(_) => Err(Errno::EIO),
            };
        }
        let off = off as usize;
        let room = mem.len() - off;
        Ok(match op {
            BufOp::Read(b) => {
                let n = b.len().min(room);
                b[..n].copy_from_slice(&mem[off..off + n]);
                n
            }
            BufOp::Write(b) => {
                let n = b.len().min(room);
                mem[off..off + n].copy_from_slice(&b[..n]);
                n
            }
        })
    }

    /// `mdioctl` on `minor`, opened with `O_*` `fflags`.
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
        let sc = self.lookup(unit).ok_or(Errno::ENXIO)?;
        let mut sc = lock(&sc);
        if sc.configured() {
            // NetBSD's mdioctl answers 0 whatever disk_ioctl returned; the
            // error is given here, as a caller cannot tell otherwise that a
            // wedge was not made.
            if let Some(r) = sc.disk.ioctl(part, cmd, data) {
                return r;
            }
            let parent = wedge::Parent {
                name: &format!("md{unit}"),
                bmajor: MD_BMAJOR,
                unit,
                openmask: sc.disk.openmask(),
                blkshift: sc.disk.blkshift(),
            };
            if let Some(r) = wedge::ioctl(ctx, &parent, cmd, data, fflags, user) {
                return r;
            }
        }
        if part != RAW_PART as usize {
            return Err(Errno::ENOTTY);
        }
        match cmd {
            MD_GETCONF => {
                if data.len() < md_conf::SIZE {
                    return Err(Errno::EINVAL);
                }
                // md_addr stays 0: the kernel's address of the memory is
                // of no use to a caller and would tell the host's layout.
                let ty = if sc.configured() {
                    MD_KMEM_ALLOCATED
                } else {
                    MD_UNCONFIGURED
                };
                md_conf::md_addr.put(data, 0);
                md_conf::md_size.put(data, sc.size() as u64);
                md_conf::md_type.put(data, u64::from(ty));
                Ok(())
            }
            MD_SETCONF => {
                if sc.configured() {
                    return Err(Errno::EINVAL);
                }
                let ty = md_conf::md_type.get(data).ok_or(Errno::EINVAL)? as u32;
                let size = md_conf::md_size.get(data).ok_or(Errno::EINVAL)?;
                match ty {
                    MD_KMEM_ALLOCATED => kalloc(ctx.kernel(), &mut sc, size),
                    MD_UMEM_SERVER => {
                        ctx.kernel().printf(&format!(
                            "md{unit}: MD_UMEM_SERVER is not supported yet: \
                             the configuring process would have to serve the \
                             disk's transfers from its own memory\n"
                        ));
                        Err(Errno::EOPNOTSUPP)
                    }
                    _ => Err(Errno::EINVAL),
                }
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// Whether the unit of `minor` is configured (reads and writes of an
    /// unconfigured unit are ENXIO).
    fn configured(&self, minor: u32) -> bool {
        self.lookup(disk_unit(minor))
            .is_some_and(|sc| lock(&sc).configured())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::label::FS_UNUSED;

    fn unit_of(bytes: usize) -> Softc {
        let kmem = rump::kmem::Kmem::new(None);
        let mut sc = Softc {
            mem: Some(KmemBuf::alloc(&kmem, bytes, PAGE_SIZE).unwrap()),
            ..Softc::default()
        };
        sc.set_disklabel();
        sc
    }

    #[test]
    fn label_is_netbsds_md_set_disklabel() {
        let sc = unit_of(4 << 20);
        let lp = sc.disk.label();
        assert_eq!(lp.get(disklabel::d_type), u64::from(DKTYPE_MD));
        assert_eq!(lp.get(disklabel::d_secperunit), 8192);
        assert_eq!(lp.get(disklabel::d_ncylinders), 4);
        assert_eq!(lp.get(disklabel::d_rpm), 3600);
        assert_eq!(lp.npartitions(), RAW_PART as usize + 1);
        assert_eq!(lp.partition(0).fstype, FS_BSDFFS);
        assert_eq!(lp.partition(RAW_PART as usize).fstype, FS_UNUSED);
        assert!(lp.is_valid());
        // Under 1 MiB the late 64 tracks break the sum, as on NetBSD.
        let small = unit_of(64 << 10);
        assert_eq!(small.disk.label().get(disklabel::d_ntracks), 64);
        assert_eq!(small.disk.label().get(disklabel::d_ncylinders), 128);
        assert!(!small.disk.label().is_valid());
    }
}
