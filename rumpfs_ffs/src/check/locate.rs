//! Finding the superblock to check with, as NetBSD's `fsck_ffs` does
//! (`sbin/fsck_ffs/setup.c`): the primary at its standard places; if
//! that is damaged, and the user agrees, the first cylinder group's copy;
//! or the copy the user names with `-b` (a `DEV_BSIZE` sector number, as
//! `newfs_ffs` prints them). A copy in use is written back over the
//! primary when repairing ("UPDATE STANDARD SUPERBLOCK").

use crate::dev::BlockDev;
use crate::format::superblock::{self as sbf, Superblock};
use crate::format::{DEV_BSIZE, Flaw};

/// The superblock a check uses.
pub(super) struct Located {
    /// The superblock; its `location` is the primary's place.
    pub sb: Superblock,
    /// The sector of the copy it came from (None: the primary).
    pub copy: Option<u64>,
    /// Whether the primary is unusable or disagrees with the copy.
    pub primary_bad: bool,
}

/// Why no superblock could be used.
pub(super) enum NotFound {
    /// The device could not be read.
    Io(rump::Errno),
    /// Nothing usable; the reason was said.
    Unusable(String),
}

fn read(dev: &dyn BlockDev, at: u64) -> Result<Vec<u8>, NotFound> {
    let mut raw = vec![0u8; sbf::SBLOCKSIZE];
    dev.read_at(at, &mut raw).map_err(NotFound::Io)?;
    Ok(raw)
}

/// The byte offsets where the first cylinder group's copy of a superblock
/// can be: just past the primary (at any standard place), rounded up to a
/// whole block of any block size newfs makes (`fs_sblkno`).
fn first_copy_places() -> Vec<u64> {
    let mut places = Vec::new();
    for primary in sbf::SEARCH {
        for bsize in [4096, 8192, 16384, 32768, 65536] {
            let at = (primary + sbf::SBLOCKSIZE as u64).div_ceil(bsize) * bsize;
            if !places.contains(&at) {
                places.push(at);
            }
        }
    }
    places
}

/// The copy at sector `sector`, or what is wrong with it.
fn copy_at(dev: &dyn BlockDev, sector: u64) -> Result<Superblock, Flaw> {
    let at = sector
        .checked_mul(DEV_BSIZE)
        .filter(|at| at.saturating_add(sbf::SBLOCKSIZE as u64) <= dev.size())
        .ok_or(Flaw::invalid("beyond the end of the device"))?;
    let mut raw = vec![0u8; sbf::SBLOCKSIZE];
    dev.read_at(at, &mut raw)
        .map_err(|e| Flaw::detailed(e, format!("cannot read byte {at}: {e}")))?;
    Superblock::parse_copy(&raw, at, dev.size())
}

/// Warn, as NetBSD's `readsb` does, when the last group's copy does not
/// describe the primary's layout: one of them is damaged. The check goes
/// on with the primary (`-b` names the copy to trust instead).
fn compare_last_copy(dev: &dyn BlockDev, sb: &Superblock, say: &mut dyn FnMut(&str)) {
    let at = sb.cgsblock(sb.ncg.saturating_sub(1)) * sb.fsize;
    let agrees = read(dev, at)
        .ok()
        .and_then(|raw| Superblock::parse_copy(&raw, at, dev.size()).ok())
        .is_some_and(|copy| copy.same_layout(sb));
    if !agrees {
        say("BAD SUPER BLOCK: VALUES IN SUPER BLOCK DISAGREE WITH THOSE IN FIRST ALTERNATE");
    }
}

/// Find the superblock to check with. `alternate` is `-b`'s sector;
/// `repair` answers NetBSD's "LOOK FOR ALTERNATE SUPERBLOCKS" question.
pub(super) fn locate(
    dev: &dyn BlockDev,
    alternate: Option<u64>,
    repair: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Located, NotFound> {
    let primary = crate::read_superblock(dev);
    if let Some(sector) = alternate {
        let sb = copy_at(dev, sector).map_err(|flaw| {
            say(&format!("BAD SUPER BLOCK: {}", flaw.shouted()));
            NotFound::Unusable(format!("no superblock copy at sector {sector}: {flaw}"))
        })?;
        let primary_bad = primary.as_ref().map_or(true, |p| !p.same_layout(&sb));
        return Ok(Located {
            sb,
            copy: Some(sector),
            primary_bad,
        });
    }
    let flaw = match primary {
        Ok(sb) => {
            compare_last_copy(dev, &sb, say);
            return Ok(Located {
                sb,
                copy: None,
                primary_bad: false,
            });
        }
        Err(flaw) => flaw,
    };
    say(&format!("BAD SUPER BLOCK: {}", flaw.shouted()));
    let answer = if repair { "yes" } else { "no" };
    say(&format!("LOOK FOR ALTERNATE SUPERBLOCKS? {answer}"));
    if !repair {
        return Err(NotFound::Unusable(
            "no usable superblock (-y looks for the first cylinder group's copy; \
             -b N names a copy, as newfs_ffs lists them)"
                .into(),
        ));
    }
    for at in first_copy_places() {
        if at + sbf::SBLOCKSIZE as u64 > dev.size() {
            continue;
        }
        let raw = read(dev, at)?;
        if let Ok(sb) = Superblock::parse_copy(&raw, at, dev.size())
            && sb.copy_group(at) == Some(0)
        {
            let sector = at / DEV_BSIZE;
            say(&format!("USING ALTERNATE SUPERBLOCK AT {sector}"));
            return Ok(Located {
                sb,
                copy: Some(sector),
                primary_bad: true,
            });
        }
    }
    say(
        "SEARCH FOR ALTERNATE SUPER-BLOCK FAILED. YOU MUST USE THE\n\
         -b OPTION TO fsck_ffs TO SPECIFY THE LOCATION OF AN ALTERNATE\n\
         SUPER-BLOCK TO SUPPLY NEEDED INFORMATION; SEE fsck_ffs(8).",
    );
    Err(NotFound::Unusable("no superblock copy found".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_copy_places_cover_newfs_layouts() {
        let p = first_copy_places();
        // UFS1 at 8192 with 8 KiB blocks: sector 32, as fsck_ffs.8 says.
        assert!(p.contains(&(32 * 512)));
        // UFS2 at 65536: 73728 for 4-8 KiB blocks (sector 144), 81920 for 16 KiB (160).
        assert!(p.contains(&73728) && p.contains(&81920));
        assert!(p.contains(&131072));
    }
}
