//! Host files and block I/O.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};

/// How to open a host file.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenFlags {
    /// Open for writing as well as reading.
    pub write: bool,
    /// Create the file if it does not exist (mode 0644 less the umask).
    pub create: bool,
    /// With `create`, fail if it exists.
    pub exclusive: bool,
}

/// What kind of object a host path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A block device.
    Block,
    /// A character device.
    Char,
    /// A directory.
    Directory,
    /// Anything else (socket, fifo, symlink target we do not follow).
    Other,
}

/// Size and kind of a host file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// Size in bytes (for block devices, the device size).
    pub size: u64,
    /// The kind of object.
    pub kind: FileKind,
}

/// An open host file used as backing storage.
pub struct HostFile {
    file: File,
}

fn kind_of(ft: std::fs::FileType) -> FileKind {
    if ft.is_file() {
        FileKind::Regular
    } else if ft.is_block_device() {
        FileKind::Block
    } else if ft.is_char_device() {
        FileKind::Char
    } else if ft.is_dir() {
        FileKind::Directory
    } else {
        FileKind::Other
    }
}

/// Size and kind of the host object at `path`.
pub fn file_info(path: &str) -> std::io::Result<FileInfo> {
    let md = std::fs::metadata(path)?;
    let kind = kind_of(md.file_type());
    let size = if kind == FileKind::Block {
        HostFile::open(path, OpenFlags::default())?.info()?.size
    } else {
        md.len()
    };
    Ok(FileInfo { size, kind })
}

/// The entries of the host directory `path` (without `.` and `..`), with
/// the kind of each (symlinks are not followed).
pub fn dir_entries(path: &str) -> std::io::Result<Vec<(Vec<u8>, FileKind)>> {
    use std::os::unix::ffi::OsStrExt;
    let mut v = Vec::new();
    for e in std::fs::read_dir(path)? {
        let e = e?;
        let kind = e.file_type().map(kind_of).unwrap_or(FileKind::Other);
        v.push((e.file_name().as_bytes().to_vec(), kind));
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(v)
}

/// Size and kind of the host object at `path`, not following a final symlink.
pub fn link_info(path: &str) -> std::io::Result<FileInfo> {
    let md = std::fs::symlink_metadata(path)?;
    Ok(FileInfo {
        size: md.len(),
        kind: kind_of(md.file_type()),
    })
}

impl HostFile {
    /// Open the host file at `path`.
    pub fn open(path: &str, flags: OpenFlags) -> std::io::Result<HostFile> {
        let mut o = OpenOptions::new();
        o.read(true).write(flags.write).mode(0o644);
        if flags.create {
            if flags.exclusive {
                o.create_new(true);
            } else {
                o.create(true);
            }
        }
        Ok(HostFile {
            file: o.open(path)?,
        })
    }

    /// Read at `off` until `buf` is full or the file ends; returns bytes read.
    pub fn pread(&self, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], off + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Write all of `buf` at `off`.
    pub fn pwrite(&self, buf: &[u8], off: u64) -> std::io::Result<()> {
        self.file.write_all_at(buf, off)
    }

    /// Flush data (and metadata when `metadata`) to stable storage.
    pub fn sync(&self, metadata: bool) -> std::io::Result<()> {
        if metadata {
            self.file.sync_all()
        } else {
            self.file.sync_data()
        }
    }

    /// Grow or shrink a regular file to `len` bytes.
    pub fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }

    /// Size and kind of the open file.
    pub fn info(&self) -> std::io::Result<FileInfo> {
        let md = self.file.metadata()?;
        let kind = kind_of(md.file_type());
        let size = if kind == FileKind::Block {
            use std::io::Seek;
            (&self.file).seek(std::io::SeekFrom::End(0))?
        } else {
            md.len()
        };
        Ok(FileInfo { size, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_info() {
        let dir = std::env::temp_dir().join(format!("rumpuser-file-{}", std::process::id()));
        let path = dir.to_str().unwrap().to_owned();
        let f = HostFile::open(
            &path,
            OpenFlags {
                write: true,
                create: true,
                exclusive: false,
            },
        )
        .unwrap();
        f.pwrite(b"hello", 4096).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(f.pread(&mut buf, 4096).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        f.sync(true).unwrap();
        let info = file_info(&path).unwrap();
        assert_eq!(
            info,
            FileInfo {
                size: 4101,
                kind: FileKind::Regular
            }
        );
        drop(f);
        std::fs::remove_file(&path).unwrap();
    }
}
