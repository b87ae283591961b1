//! The manual pages in `docs/man` (mdoc, written for this project): which
//! page documents which installed program or library, where each tool's
//! usage text lives, and their installation into `DIR/share/man/manN`.

use anyhow::{Context, Result, bail};
use std::path::Path;

/// One manual page.
pub struct Page {
    /// File name in `docs/man`, ending in its section (`rump_server.1`).
    pub file: &'static str,
    /// The names its NAME section gives (`.Nm`), the first being the page's
    /// own; the others are installed as links to it.
    pub names: &'static [&'static str],
    /// The source file holding the program's usage text, whose options the
    /// page must document exactly; `None` for libraries and for programs
    /// that print no usage text.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only the tests compare pages with usage texts")
    )]
    pub usage_in: Option<&'static str>,
}

/// Every page, one per installed program (or pair of programs built from one
/// source) and per library.
pub const PAGES: &[Page] = &[
    Page {
        file: "rump_server.1",
        names: &["rump_server", "rump_allserver"],
        usage_in: Some("rump_server/src/cli.rs"),
    },
    Page {
        file: "rump.halt.1",
        names: &["rump.halt"],
        usage_in: Some("rump_halt/src/main.rs"),
    },
    Page {
        file: "rump.sysctl.8",
        names: &["rump.sysctl"],
        usage_in: Some("rump_sysctl/src/main.rs"),
    },
    Page {
        file: "rump.mount.8",
        names: &["rump.mount"],
        usage_in: Some("rump_mount/src/bin/rump_mount.rs"),
    },
    Page {
        file: "rump.umount.8",
        names: &["rump.umount"],
        usage_in: Some("rump_mount/src/bin/rump_umount.rs"),
    },
    Page {
        file: "rump.mkdir.1",
        names: &["rump.mkdir"],
        usage_in: Some("rump_mount/src/bin/rump_mkdir.rs"),
    },
    Page {
        file: "rump.rmdir.1",
        names: &["rump.rmdir"],
        usage_in: Some("rump_mount/src/bin/rump_rmdir.rs"),
    },
    Page {
        file: "newfs_ffs.8",
        names: &["newfs_ffs"],
        usage_in: Some("rumpfs_ffs/src/bin/newfs_ffs.rs"),
    },
    Page {
        file: "rump_ffs.8",
        names: &["rump_ffs"],
        usage_in: Some("rump_fuse/src/bin/rump_ffs.rs"),
    },
    Page {
        file: "rump_tmpfs.8",
        names: &["rump_tmpfs"],
        usage_in: Some("rump_fuse/src/bin/rump_tmpfs.rs"),
    },
    Page {
        file: "fsck_ffs.8",
        names: &["fsck_ffs"],
        usage_in: Some("rumpfs_ffs/src/bin/fsck_ffs.rs"),
    },
    Page {
        file: "shmif_dumpbus.1",
        names: &["shmif_dumpbus"],
        usage_in: Some("rumpnet_shmif/src/bin/shmif_dumpbus.rs"),
    },
    Page {
        file: "rump.ifconfig.8",
        names: &["rump.ifconfig"],
        usage_in: Some("rump_nettools/src/bin/rump_ifconfig.rs"),
    },
    Page {
        file: "rump.ping.8",
        names: &["rump.ping"],
        usage_in: Some("rump_nettools/src/bin/rump_ping.rs"),
    },
    Page {
        file: "rump.ndp.8",
        names: &["rump.ndp"],
        usage_in: Some("rump_nettools/src/bin/rump_ndp.rs"),
    },
    Page {
        file: "rump.ping6.8",
        names: &["rump.ping6"],
        usage_in: Some("rump_nettools/src/bin/rump_ping6.rs"),
    },
    Page {
        file: "rump.route.8",
        names: &["rump.route"],
        usage_in: Some("rump_nettools/src/bin/rump_route.rs"),
    },
    Page {
        file: "rump.traceroute.8",
        names: &["rump.traceroute"],
        usage_in: Some("rump_nettools/src/bin/rump_traceroute.rs"),
    },
    Page {
        file: "rump.traceroute6.8",
        names: &["rump.traceroute6"],
        usage_in: Some("rump_nettools/src/bin/rump_traceroute6.rs"),
    },
    Page {
        file: "rump.netstat.1",
        names: &["rump.netstat"],
        usage_in: Some("rump_nettools/src/bin/rump_netstat.rs"),
    },
    Page {
        file: "rump.arp.8",
        names: &["rump.arp"],
        usage_in: Some("rump_nettools/src/bin/rump_arp.rs"),
    },
    Page {
        file: "rump.vnconfig.8",
        names: &["rump.vnconfig"],
        usage_in: Some("rump_devtools/src/bin/rump_vnconfig.rs"),
    },
    Page {
        file: "rump.disklabel.8",
        names: &["rump.disklabel"],
        usage_in: Some("rump_devtools/src/bin/rump_disklabel.rs"),
    },
    Page {
        file: "rump.rndctl.8",
        names: &["rump.rndctl"],
        usage_in: Some("rump_devtools/src/bin/rump_rndctl.rs"),
    },
    // rump.sockstat prints no usage text (it exits 1 silently on a bad
    // option), so there is nothing to compare its page with.
    Page {
        file: "rump.sockstat.1",
        names: &["rump.sockstat"],
        usage_in: None,
    },
    Page {
        file: "rump.cgdconfig.8",
        names: &["rump.cgdconfig"],
        usage_in: Some("rump_cgdconfig/src/bin/rump_cgdconfig/main.rs"),
    },
    Page {
        file: "rumphijack.3",
        names: &["rumphijack"],
        usage_in: None,
    },
    Page {
        file: "rumpclient.3",
        names: &["rumpclient"],
        usage_in: None,
    },
    Page {
        file: "rump.3",
        names: &["rump"],
        usage_in: None,
    },
    Page {
        file: "fsu_ls.1",
        names: &["fsu_ls"],
        usage_in: Some("rump_fsutils/src/bin/fsu_ls.rs"),
    },
    Page {
        file: "fsu_cat.1",
        names: &["fsu_cat"],
        usage_in: Some("rump_fsutils/src/bin/fsu_cat.rs"),
    },
    Page {
        file: "fsu_cp.1",
        names: &["fsu_cp"],
        usage_in: Some("rump_fsutils/src/bin/fsu_cp.rs"),
    },
    Page {
        file: "fsu_ecp.1",
        names: &["fsu_ecp"],
        usage_in: Some("rump_fsutils/src/bin/fsu_ecp.rs"),
    },
    Page {
        file: "fsu_put.1",
        names: &["fsu_put"],
        usage_in: Some("rump_fsutils/src/bin/fsu_put.rs"),
    },
    Page {
        file: "fsu_get.1",
        names: &["fsu_get"],
        usage_in: Some("rump_fsutils/src/bin/fsu_get.rs"),
    },
    Page {
        file: "fsu_mkdir.1",
        names: &["fsu_mkdir"],
        usage_in: Some("rump_fsutils/src/bin/fsu_mkdir.rs"),
    },
    Page {
        file: "fsu_rm.1",
        names: &["fsu_rm"],
        usage_in: Some("rump_fsutils/src/bin/fsu_rm.rs"),
    },
    Page {
        file: "fsu_rmdir.1",
        names: &["fsu_rmdir"],
        usage_in: Some("rump_fsutils/src/bin/fsu_rmdir.rs"),
    },
    Page {
        file: "fsu_mv.1",
        names: &["fsu_mv"],
        usage_in: Some("rump_fsutils/src/bin/fsu_mv.rs"),
    },
    Page {
        file: "fsu_ln.1",
        names: &["fsu_ln"],
        usage_in: Some("rump_fsutils/src/bin/fsu_ln.rs"),
    },
    Page {
        file: "fsu_chmod.1",
        names: &["fsu_chmod"],
        usage_in: Some("rump_fsutils/src/bin/fsu_chmod.rs"),
    },
    Page {
        file: "fsu_chown.1",
        names: &["fsu_chown"],
        usage_in: Some("rump_fsutils/src/bin/fsu_chown.rs"),
    },
    Page {
        file: "fsu_touch.1",
        names: &["fsu_touch"],
        usage_in: Some("rump_fsutils/src/bin/fsu_touch.rs"),
    },
    Page {
        file: "fsu_find.1",
        names: &["fsu_find"],
        usage_in: Some("rump_fsutils/src/bin/fsu_find.rs"),
    },
    Page {
        file: "fsu_diff.1",
        names: &["fsu_diff"],
        usage_in: Some("rump_fsutils/src/bin/fsu_diff.rs"),
    },
    Page {
        file: "fsu_du.1",
        names: &["fsu_du"],
        usage_in: Some("rump_fsutils/src/bin/fsu_du.rs"),
    },
    Page {
        file: "fsu_df.1",
        names: &["fsu_df"],
        usage_in: Some("rump_fsutils/src/bin/fsu_df.rs"),
    },
    Page {
        file: "fsu_stat.1",
        names: &["fsu_stat"],
        usage_in: Some("rump_fsutils/src/bin/fsu_stat.rs"),
    },
    Page {
        file: "fsu_write.1",
        names: &["fsu_write"],
        usage_in: Some("rump_fsutils/src/bin/fsu_write.rs"),
    },
];

impl Page {
    /// The section, from the file name's suffix.
    pub fn section(&self) -> &'static str {
        self.file.rsplit('.').next().unwrap_or("")
    }
}

/// Install every page from `src` (`docs/man`) into `man`
/// (`DIR/share/man`), each in `manN`; a page's other names become
/// symbolic links to it, as NetBSD's MLINKS do.
pub fn install(src: &Path, man: &Path) -> Result<()> {
    for p in PAGES {
        let section = p.section();
        if !matches!(section, "1" | "3" | "8") {
            bail!("{}: unexpected manual section {section}", p.file);
        }
        let dir = man.join(format!("man{section}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::copy(&src.join(p.file), &dir.join(p.file))?;
        for other in &p.names[1..] {
            let link = dir.join(format!("{other}.{section}"));
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(p.file, &link)
                .with_context(|| format!("linking {}", link.display()))?;
            println!("  {} -> {}", link.display(), p.file);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
