//! Directories and trees inside the image.

use rump::file::Stat;
use rump::{Errno, KResult, Kernel};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{O_DIRECTORY, O_RDONLY, S_IFDIR, S_IFMT};

/// The names in directory `dir`, without `.` and `..`, sorted bytewise
/// (the C locale's order).
pub fn read_dir(k: &Kernel, dir: &str) -> KResult<Vec<String>> {
    let mut names = read_dir_unsorted(k, dir)?;
    names.sort();
    Ok(names)
}

/// The names in directory `dir`, without `.` and `..`, in the
/// directory's own order (as `find` and `du` meet them).
pub fn read_dir_unsorted(k: &Kernel, dir: &str) -> KResult<Vec<String>> {
    let fd = k.sys_open(dir, O_RDONLY | O_DIRECTORY, 0)?;
    let mut names = Vec::new();
    let read = loop {
        match k.sys_getdents(fd) {
            Ok(batch) if batch.is_empty() => break Ok(()),
            Ok(batch) => names.extend(
                batch
                    .into_iter()
                    .map(|d| String::from_utf8_lossy(&d.name).into_owned())
                    .filter(|n| n != "." && n != ".."),
            ),
            Err(e) => break Err(e),
        }
    };
    k.sys_close(fd)?;
    read?;
    Ok(names)
}

/// `dir` and `name` joined with one slash.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `st` is a directory.
pub fn is_dir(st: &Stat) -> bool {
    st.mode & S_IFMT == S_IFDIR
}

/// What a walk meets.
pub enum Visit<'a> {
    /// A node, before its children if it is a directory.
    Pre(&'a str, &'a Stat),
    /// A directory, after its children.
    Post(&'a str, &'a Stat),
    /// A path that could not be read.
    Error(&'a str, Errno),
}

/// Walk the tree at `root` without following symbolic links, depth
/// first, in directory order, calling `f` for each node. `f` returns
/// false to skip a directory's children.
pub fn walk(k: &Kernel, root: &str, f: &mut dyn FnMut(Visit) -> bool) {
    let st = match k.sys_lstat(root) {
        Ok(st) => st,
        Err(e) => {
            f(Visit::Error(root, e));
            return;
        }
    };
    if !f(Visit::Pre(root, &st)) || !is_dir(&st) {
        return;
    }
    match read_dir_unsorted(k, root) {
        Ok(names) => {
            for n in names {
                walk(k, &join(root, &n), f);
            }
        }
        Err(e) => {
            f(Visit::Error(root, e));
        }
    }
    f(Visit::Post(root, &st));
}

/// Copy the file `from` to `to`, both in the image, with mode `mode`.
pub fn copy_file(k: &Kernel, from: &str, to: &str, mode: u32) -> Result<(), (String, Errno)> {
    use rumpvfs::flags::{O_CREAT, O_TRUNC, O_WRONLY};
    let src = k
        .sys_open(from, O_RDONLY, 0)
        .map_err(|e| (from.to_string(), e))?;
    let dst = match k.sys_open(to, O_WRONLY | O_CREAT | O_TRUNC, mode) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = k.sys_close(src);
            return Err((to.to_string(), e));
        }
    };
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        match k.sys_read(src, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = write_all(k, dst, &buf[..n]) {
                    break Err((to.to_string(), e));
                }
            }
            Err(e) => break Err((from.to_string(), e)),
        }
    };
    let _ = k.sys_close(src);
    let closed = k.sys_close(dst).map_err(|e| (to.to_string(), e));
    result.and(closed)
}

/// Write all of `data` to descriptor `fd`.
pub fn write_all(k: &Kernel, fd: i32, mut data: &[u8]) -> KResult<()> {
    while !data.is_empty() {
        match k.sys_write(fd, data)? {
            0 => return Err(Errno::EIO),
            n => data = &data[n..],
        }
    }
    Ok(())
}
