//! Decoders of the procedures' results. Each takes the results of an
//! accepted call and checks them to the last byte.

use super::*;

/// The status; Ok to continue with the procedure's OK arm, or the
/// errno after the failure arm's body is skipped by `fail`.
fn status(
    d: &mut Decoder<'_>,
    fail: impl FnOnce(&mut Decoder<'_>) -> XdrResult<()>,
) -> NfsResult<()> {
    let stat = d.u32()?;
    if stat == 0 {
        return Ok(());
    }
    fail(d)?;
    d.finish()?;
    Err(NfsError::Status(status_errno(stat)))
}

fn skip_post_op(d: &mut Decoder<'_>) -> XdrResult<()> {
    post_op_attr(d).map(drop)
}

fn skip_wcc(d: &mut Decoder<'_>) -> XdrResult<()> {
    wcc_data(d).map(drop)
}

/// GETATTR.
pub fn getattr(res: &[u8]) -> NfsResult<Fattr> {
    let mut d = Decoder::new(res);
    status(&mut d, |_| Ok(()))?;
    let a = Fattr::decode(&mut d)?;
    d.finish()?;
    Ok(a)
}

/// SETATTR, REMOVE, RMDIR: the attributes after.
pub fn wcc_only(res: &[u8]) -> NfsResult<Option<Fattr>> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_wcc)?;
    let a = wcc_data(&mut d)?;
    d.finish()?;
    Ok(a)
}

/// LOOKUP: the handle and the file's attributes.
pub fn lookup(res: &[u8]) -> NfsResult<(Vec<u8>, Option<Fattr>)> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let fh = d.opaque(FHSIZE)?.to_vec();
    let attr = post_op_attr(&mut d)?;
    let _dir = post_op_attr(&mut d)?;
    d.finish()?;
    Ok((fh, attr))
}

/// READ, limited to `max` bytes of data.
pub fn read(res: &[u8], max: usize) -> NfsResult<ReadResult<&[u8]>> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let attr = post_op_attr(&mut d)?;
    let count = d.u32()?;
    let eof = d.bool()?;
    let data = d.opaque(max)?;
    d.finish()?;
    if usize::try_from(count).ok() != Some(data.len()) {
        return Err(XdrError::BadValue.into());
    }
    Ok(ReadResult { data, eof, attr })
}

fn verf(d: &mut Decoder<'_>) -> XdrResult<[u8; VERFSIZE]> {
    let mut v = [0u8; VERFSIZE];
    v.copy_from_slice(d.opaque_fixed(VERFSIZE)?);
    Ok(v)
}

/// WRITE.
pub fn write(res: &[u8]) -> NfsResult<WriteResult> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_wcc)?;
    let attr = wcc_data(&mut d)?;
    let count = d.u32()?;
    let committed = match d.u32()? {
        0 => Stable::Unstable,
        1 => Stable::DataSync,
        2 => Stable::FileSync,
        _ => return Err(XdrError::BadValue.into()),
    };
    let verf = verf(&mut d)?;
    d.finish()?;
    Ok(WriteResult {
        count,
        committed,
        verf,
        attr,
    })
}

/// COMMIT: the write verifier.
pub fn commit(res: &[u8]) -> NfsResult<[u8; VERFSIZE]> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_wcc)?;
    let _ = wcc_data(&mut d)?;
    let v = verf(&mut d)?;
    d.finish()?;
    Ok(v)
}

/// CREATE, MKDIR, SYMLINK: the new file's handle and attributes.
pub fn create(res: &[u8]) -> NfsResult<(Option<Vec<u8>>, Option<Fattr>)> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_wcc)?;
    let fh = post_op_fh(&mut d)?;
    let attr = post_op_attr(&mut d)?;
    let _dir = wcc_data(&mut d)?;
    d.finish()?;
    Ok((fh, attr))
}

/// RENAME.
pub fn rename(res: &[u8]) -> NfsResult<()> {
    let mut d = Decoder::new(res);
    status(&mut d, |d| {
        skip_wcc(d)?;
        skip_wcc(d)
    })?;
    skip_wcc(&mut d)?;
    skip_wcc(&mut d)?;
    d.finish()?;
    Ok(())
}

/// LINK: the file's attributes after.
pub fn link(res: &[u8]) -> NfsResult<Option<Fattr>> {
    let mut d = Decoder::new(res);
    status(&mut d, |d| {
        skip_post_op(d)?;
        skip_wcc(d)
    })?;
    let a = post_op_attr(&mut d)?;
    skip_wcc(&mut d)?;
    d.finish()?;
    Ok(a)
}

/// READLINK: the target.
pub fn readlink(res: &[u8]) -> NfsResult<Vec<u8>> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let t = d.string(MAXPATHLEN)?.to_vec();
    d.finish()?;
    Ok(t)
}

/// ACCESS: the rights granted.
pub fn access(res: &[u8]) -> NfsResult<u32> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let a = d.u32()?;
    d.finish()?;
    Ok(a)
}

/// The smallest encoded entry: fileid, an empty name, the cookie, two
/// absent options and the next-entry flag.
const MIN_ENTRY: usize = 8 + 4 + 8 + 4 + 4 + 4;

/// READDIRPLUS.
pub fn readdirplus(res: &[u8]) -> NfsResult<DirPage> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let verf = verf(&mut d)?;
    let mut entries = Vec::new();
    while d.optional()? {
        if d.remaining() < MIN_ENTRY - 4 {
            return Err(XdrError::Short.into());
        }
        let fileid = d.u64()?;
        let name = d.string(MAXNAMLEN)?.to_vec();
        let cookie = d.u64()?;
        let attr = post_op_attr(&mut d)?;
        let fh = post_op_fh(&mut d)?;
        entries.push(DirEntry {
            fileid,
            name,
            cookie,
            attr,
            fh,
        });
    }
    let eof = d.bool()?;
    d.finish()?;
    Ok(DirPage { verf, entries, eof })
}

/// FSSTAT.
pub fn fsstat(res: &[u8]) -> NfsResult<FsStat> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let s = FsStat {
        tbytes: d.u64()?,
        fbytes: d.u64()?,
        abytes: d.u64()?,
        tfiles: d.u64()?,
        ffiles: d.u64()?,
        afiles: d.u64()?,
    };
    let _invarsec = d.u32()?;
    d.finish()?;
    Ok(s)
}

/// PATHCONF.
pub fn pathconf(res: &[u8]) -> NfsResult<PathConf> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let p = PathConf {
        linkmax: d.u32()?,
        name_max: d.u32()?,
        no_trunc: d.bool()?,
        chown_restricted: d.bool()?,
        case_insensitive: d.bool()?,
        case_preserving: d.bool()?,
    };
    d.finish()?;
    Ok(p)
}

/// FSINFO.
pub fn fsinfo(res: &[u8]) -> NfsResult<FsInfo> {
    let mut d = Decoder::new(res);
    status(&mut d, skip_post_op)?;
    let _ = post_op_attr(&mut d)?;
    let rtmax = d.u32()?;
    let rtpref = d.u32()?;
    let _rtmult = d.u32()?;
    let wtmax = d.u32()?;
    let wtpref = d.u32()?;
    let _wtmult = d.u32()?;
    let dtpref = d.u32()?;
    let maxfilesize = d.u64()?;
    let _delta = Time::decode(&mut d)?;
    let properties = d.u32()?;
    d.finish()?;
    Ok(FsInfo {
        rtmax,
        rtpref,
        wtmax,
        wtpref,
        dtpref,
        maxfilesize,
        properties,
    })
}
