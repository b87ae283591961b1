//! The file-system benchmarks in this process: tmpfs against the host's tmpfs.

use crate::*;
use std::path::PathBuf;

/// tmpfs through the in-process API against the host's tmpfs (`/dev/shm`)
/// through libc (`std::fs`), the same work on each.
pub(crate) fn vfs(records: &mut Vec<Record>) {
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_CREAT, O_RDONLY, O_WRONLY};
    const FILES: usize = 10_000;
    const TOTAL: usize = 256 << 20;
    const CHUNK: usize = 64 << 10;
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .expect("boot");
    k.sys_mkdir("/t", 0o755).expect("mkdir");
    k.sys_mount("tmpfs", "/t", 0, &rumpfs_tmpfs::args(0, 0))
        .expect("mount tmpfs");
    let names: Vec<String> = (0..FILES).map(|i| format!("/t/f{i}")).collect();
    let ours = time_runs(3, || {
        for n in &names {
            let fd = k.sys_open(n, O_CREAT | O_WRONLY, 0o644).expect("create");
            k.sys_close(fd).expect("close");
        }
        for n in &names {
            std::hint::black_box(k.sys_stat(n).expect("stat"));
        }
        for n in &names {
            k.sys_unlink(n).expect("unlink");
        }
    });
    let Ok(host_dir) =
        std::fs::create_dir_all(format!("/dev/shm/rumpbench-{}", std::process::id()))
            .map(|_| PathBuf::from(format!("/dev/shm/rumpbench-{}", std::process::id())))
    else {
        eprintln!("rumpbench: no /dev/shm: skipping the file system benchmarks");
        return;
    };
    let host_names: Vec<PathBuf> = (0..FILES).map(|i| host_dir.join(format!("f{i}"))).collect();
    let host = time_runs(3, || {
        for n in &host_names {
            drop(std::fs::File::create(n).expect("create"));
        }
        for n in &host_names {
            std::hint::black_box(std::fs::metadata(n).expect("stat"));
        }
        for n in &host_names {
            std::fs::remove_file(n).expect("unlink");
        }
    });
    records.push(Record::ms(
        "tmpfs 10k create/stat/rm",
        ours,
        "host: the same in /dev/shm",
        host,
    ));
    let chunk = vec![0x5au8; CHUNK];
    let mut back = vec![0u8; CHUNK];
    let ours = time_runs(3, || {
        let fd = k
            .sys_open("/t/big", O_CREAT | O_WRONLY, 0o644)
            .expect("create");
        for _ in 0..TOTAL / CHUNK {
            k.sys_write(fd, &chunk).expect("write");
        }
        k.sys_close(fd).expect("close");
        let fd = k.sys_open("/t/big", O_RDONLY, 0).expect("open");
        for _ in 0..TOTAL / CHUNK {
            k.sys_read(fd, &mut back).expect("read");
        }
        k.sys_close(fd).expect("close");
        k.sys_unlink("/t/big").expect("unlink");
    });
    let big = host_dir.join("big");
    let host = time_runs(3, || {
        use std::io::{Read, Write};
        let mut f = std::fs::File::create(&big).expect("create");
        for _ in 0..TOTAL / CHUNK {
            f.write_all(&chunk).expect("write");
        }
        drop(f);
        let mut f = std::fs::File::open(&big).expect("open");
        for _ in 0..TOTAL / CHUNK {
            f.read_exact(&mut back).expect("read");
        }
        drop(f);
        std::fs::remove_file(&big).expect("unlink");
    });
    let _ = std::fs::remove_dir_all(&host_dir);
    records.push(Record::ms(
        "tmpfs 256 MiB write+read",
        ours,
        "host: the same in /dev/shm, 64 KiB calls",
        host,
    ));
}
