//! Fuzzing the sysproxy wire: frame and payload decoders, and a live
//! server fed a whole hostile byte stream.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use sysproxy::{Class, Header, Type, auth, payload};

/// Every decoder of bytes from the network or the command line.
pub fn frame(data: &[u8]) {
    let header =
        <[u8; sysproxy::HEADER_LEN]>::try_from(data.get(..sysproxy::HEADER_LEN).unwrap_or(&[]));
    if let Ok(h) = header.map(|b| sysproxy::Header::parse(&b))
        && let Ok(h) = h
    {
        assert!(h.len >= sysproxy::HEADER_LEN as u64 && h.payload_len() as u64 == h.len - 24);
        assert_eq!(sysproxy::Header::parse(&h.emit()), Ok(h));
    }
    let _ = payload::CopyData::parse(data);
    let _ = payload::SysResp::parse(data);
    let _ = payload::HandshakeFork::parse(data);
    let _ = payload::parse_args(data);
    let _ = payload::parse_name(data);
    let text = String::from_utf8_lossy(data);
    let _ = sysproxy::Url::parse(&text, sysproxy::Side::Server);
    let _ = sysproxy::Url::parse(&text, sysproxy::Side::Client);
    let _ = rump_server::drivespec::parse(&text);
}

/// The key of the fuzzed server that asks for one.
const KEY: &[u8] = b"rumpfuzz sp_stream key";

/// A first byte whose high nibble is this chooses how the rest is sent
/// (any other first byte: the whole input goes to the server without a
/// key, as it is).
const MODE_MAGIC: u8 = 0xa0;
/// Mode bit: to the server that asks for a key.
const MODE_KEYED: u8 = 1;
/// Mode bit: the harness proves the key before the bytes (without it the
/// bytes themselves answer the challenge, and are refused).
const MODE_PROVE: u8 = 2;
/// Mode bit: each COPYIN reply in the bytes that announces more than
/// [`EXPAND_OVER`] bytes is a header alone, and the harness sends the
/// payload it announces (filler, up to one byte more than the server
/// accepts): a small input makes calls of megabytes. And the frames go
/// out paced, as a real client's: after each of the first [`PACED`], the
/// harness waits up to [`PACE`] for the server's next bytes, so that a
/// call's COPYIN replies follow its requests and a call on a descriptor
/// follows the open that made it.
const MODE_EXPAND: u8 = 4;
/// The descriptor a guest's first open(2) gets: 0 to 2 are the console.
const FIRST_FD: u64 = 3;

/// COPYIN replies filled in, at most (later ones go as they are): four
/// megabytes an input at most keep the fuzzer fast.
const EXPANDED: usize = 4;

/// Frames sent paced, at most: the rest go at once, so that an input of
/// many frames the server does not answer stays fast.
const PACED: usize = 16;
/// How long a paced frame waits for the server's answer.
const PACE: Duration = Duration::from_millis(50);

/// Smaller COPYIN replies (paths, arguments) come whole in the bytes.
const EXPAND_OVER: usize = 4096;

struct Live {
    path: std::path::PathBuf,
    kernel: Arc<rump::Kernel>,
    server: rump_server::SpServer,
}

/// The fuzzed servers, started on first use: `keyed` asks for [`KEY`].
fn live(keyed: bool) -> &'static Mutex<Live> {
    static PLAIN: OnceLock<Mutex<Live>> = OnceLock::new();
    static KEYED: OnceLock<Mutex<Live>> = OnceLock::new();
    let (cell, tag) = if keyed {
        (&KEYED, "keyed")
    } else {
        (&PLAIN, "plain")
    };
    cell.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rumpfuzz-sp-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fuzz dir");
        let path = dir.join("s");
        let cfg = rump::BootConfig {
            ncpu: 2,
            memlimit: Some(64 << 20),
            ..rump::BootConfig::default()
        };
        // With file systems, so that calls copy files' bytes of any size.
        let kernel = rump::KernelBuilder::new()
            .config(cfg)
            .component(&rumpvfs::COMPONENT)
            .console(Box::new(|_, _| ()))
            .boot()
            .expect("boot");
        let url = sysproxy::Url::Unix(path.to_string_lossy().into_owned());
        let mut options = rump_server::access::AccessOptions {
            trust_all: true,
            ..Default::default()
        };
        if keyed {
            let key_file = dir.join("key");
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&key_file)
                .and_then(|mut f| f.write_all(KEY))
                .expect("key file");
            options.key_file = Some(key_file.to_string_lossy().into_owned());
        }
        let access = options.policy(&url).expect("access policy");
        let server = rump_server::SpServer::start_with_access(Arc::clone(&kernel), &url, access)
            .expect("server");
        Mutex::new(Live {
            path,
            kernel,
            server,
        })
    })
}

/// A frame of `class` and `typ` with `body`.
fn frame_of(reqno: u64, class: Class, typ: Type, union: u32, body: &[u8]) -> Vec<u8> {
    sysproxy::frame(&Header::new(reqno, class, typ, union, body.len()), body)
}

/// The AUTH request proving [`KEY`] for the challenge in `banner`.
fn proof_for(banner: &[u8]) -> Vec<u8> {
    let nonce = auth::challenge(banner).expect("the keyed server's banner has a challenge");
    frame_of(0, Class::Req, Type::Auth, 0, &auth::proof(KEY, &nonce))
}

/// `data` cut into its frames, each large COPYIN reply's payload (absent
/// in `data`) filled in as its header announces, up to one byte more than
/// the server accepts.
fn expand(data: &[u8]) -> Vec<Vec<u8>> {
    let most = sysproxy::MAX_CLIENT_FRAME as usize + 1 - sysproxy::HEADER_LEN;
    let mut frames = Vec::new();
    let mut filled = 0;
    let mut off = 0usize;
    while off < data.len() {
        let rest = &data[off..];
        let header = rest
            .get(..sysproxy::HEADER_LEN)
            .and_then(|b| <[u8; sysproxy::HEADER_LEN]>::try_from(b).ok())
            .and_then(|b| Header::parse(&b).ok());
        let Some(h) = header else {
            frames.push(rest.to_vec());
            break;
        };
        let large =
            h.class == Class::Resp && h.typ == Type::Copyin && h.payload_len() > EXPAND_OVER;
        if large && filled < EXPANDED {
            filled += 1;
            let mut f = rest[..sysproxy::HEADER_LEN].to_vec();
            let fill = h.payload_len().min(most);
            f.extend((0..fill).map(|i| i as u8));
            frames.push(f);
            off += sysproxy::HEADER_LEN;
        } else {
            let n = usize::try_from(h.len).map_or(rest.len(), |l| l.min(rest.len()));
            frames.push(rest[..n].to_vec());
            off += n;
        }
    }
    frames
}

/// A well-behaved client of the keyed server: proves the key, shakes
/// hands and asks its pid (rumpclient takes its key from the environment,
/// which a fuzzing process must not change).
fn keyed_getpid(path: &std::path::Path) -> i64 {
    let mut s = UnixStream::connect(path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let banner = read_banner(&mut s);
    s.write_all(&proof_for(&banner)).expect("proof");
    let answer = |s: &mut UnixStream| {
        let mut hb = [0u8; sysproxy::HEADER_LEN];
        s.read_exact(&mut hb).expect("answer");
        let h = Header::parse(&hb).expect("answer header");
        let mut body = vec![0u8; h.payload_len()];
        s.read_exact(&mut body).expect("answer body");
        assert_eq!(h.class, Class::Resp, "refused: {h:?}");
        body
    };
    answer(&mut s);
    let hello = payload::emit_name("fz");
    let guest = sysproxy::Handshake::Guest as u32;
    s.write_all(&frame_of(1, Class::Req, Type::Handshake, guest, &hello))
        .expect("handshake");
    answer(&mut s);
    let getpid = netbsd_abi::SYS_getpid as u32;
    s.write_all(&frame_of(2, Class::Req, Type::Syscall, getpid, &[]))
        .expect("getpid");
    let r = payload::SysResp::parse(&answer(&mut s)).expect("getpid reply");
    assert_eq!(r.error, 0, "getpid failed");
    r.retval[0]
}

fn read_banner(s: &mut UnixStream) -> Vec<u8> {
    let mut banner = [0u8; payload::MAX_BANNER];
    let n = loop {
        match s.read(&mut banner) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r.expect("banner"),
        }
    };
    assert!(n > 0 && banner[n - 1] == b'\n');
    banner[..n].to_vec()
}

/// Rewrite `reboot` requests to `getpid`: halting is that call's purpose.
fn defuse(data: &mut [u8]) {
    let mut off = 0usize;
    while off
        .checked_add(sysproxy::HEADER_LEN)
        .is_some_and(|end| end <= data.len())
    {
        let len = u64::from_ne_bytes(data[off..off + 8].try_into().unwrap_or_default());
        let at = off..off + sysproxy::HEADER_LEN;
        let header = <[u8; sysproxy::HEADER_LEN]>::try_from(&data[at.clone()]).ok();
        if let Some(mut h) = header.and_then(|b| sysproxy::Header::parse(&b).ok())
            && h.typ == sysproxy::Type::Syscall
            && h.union as usize == netbsd_abi::SYS_reboot
        {
            // What the server cannot parse it refuses anyway.
            h.union = netbsd_abi::SYS_getpid as u32;
            data[at].copy_from_slice(&h.emit());
        }
        if len < sysproxy::HEADER_LEN as u64 {
            break;
        }
        off = match usize::try_from(len).ok().and_then(|l| off.checked_add(l)) {
            Some(n) => n,
            None => break,
        };
    }
}

/// A hostile client: connect, send `data`, hang up, and demand that the
/// server closes its side promptly and still serves a well-behaved client.
/// A first byte `0xa?` chooses the server and how the rest is sent (see
/// `MODE_MAGIC`); replies are read while the bytes go out, so that a
/// request for megabytes of COPYOUT cannot stall both sides.
pub fn sp_stream(data: &[u8]) {
    let (mode, data) = match data.split_first() {
        Some((&m, rest)) if m & 0xf0 == MODE_MAGIC => (m, rest),
        _ => (0, data),
    };
    let keyed = mode & MODE_KEYED != 0;
    let live = live(keyed).lock().unwrap_or_else(|e| e.into_inner());
    let mut frames = if mode & MODE_EXPAND != 0 {
        expand(data)
    } else {
        vec![data.to_vec()]
    };
    for f in &mut frames {
        defuse(f);
    }
    let mut s = UnixStream::connect(&live.path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let banner = read_banner(&mut s);
    if keyed && mode & MODE_PROVE != 0 {
        frames.insert(0, proof_for(&banner));
    }
    let mut reader = s.try_clone().expect("clone");
    let (came, answers) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        let mut sink = [0u8; 64 << 10];
        loop {
            match reader.read(&mut sink) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    let _ = came.send(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return Err(());
                }
                Err(_) => return Ok(()),
            }
        }
    });
    let paced = if mode & MODE_EXPAND != 0 { PACED } else { 0 };
    for (i, f) in frames.iter().enumerate() {
        if s.write_all(f).is_err() {
            break;
        }
        if i < paced {
            let _ = answers.recv_timeout(PACE);
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Write);
    let closed = drain.join().expect("reader");
    assert!(
        closed.is_ok(),
        "server did not close a hung-up connection within 5 s"
    );
    // Every connection thread has ended: the server did not keep one busy.
    let t = std::time::Instant::now();
    while !live.server.reap() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "a connection thread outlived its connection"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!live.kernel.is_halted());
    if keyed {
        assert!(keyed_getpid(&live.path) > 1);
        return;
    }
    let c = rumpclient::Client::connect(&format!("unix://{}", live.path.display()))
        .expect("server alive");
    assert!(c.getpid().expect("getpid") > 1);
}

/// Seed inputs for the new frames: a keyed server proved to, refused a
/// wrong proof and a request before the proof; a write of a megabyte and a
/// half whose COPYIN replies come in two pieces, one a byte short, and one
/// longer than the server accepts. Names say which.
pub fn sp_stream_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let hello = frame_of(
        0,
        Class::Req,
        Type::Handshake,
        sysproxy::Handshake::Guest as u32,
        &payload::emit_name("fz"),
    );
    let getpid = frame_of(
        1,
        Class::Req,
        Type::Syscall,
        netbsd_abi::SYS_getpid as u32,
        &[],
    );
    let with_mode = |mode: u8, parts: &[&[u8]]| {
        let mut v = vec![MODE_MAGIC | mode];
        for p in parts {
            v.extend_from_slice(p);
        }
        v
    };
    let wrong = frame_of(0, Class::Req, Type::Auth, 0, &[0x5a; auth::PROOF_LEN]);
    let big = |pieces: &[usize]| {
        // open("/big", O_CREAT|O_WRONLY, 0644): the server asks for the
        // path (its request 0); write(3, ..., total): its requests 1, 2, ...
        // (a guest's descriptors 0 to 2 are the console, as NetBSD's).
        let path_at = 1u64 << 32;
        let open = payload::emit_args(&[
            path_at,
            (netbsd_abi::O_CREAT | netbsd_abi::O_WRONLY) as u64,
            0o644,
        ]);
        let total: usize = pieces.iter().sum();
        let write = payload::emit_args(&[FIRST_FD, path_at + 0x10_0000, total as u64]);
        let call_frame = |reqno, nr: usize, args: &[u8]| {
            frame_of(reqno, Class::Req, Type::Syscall, nr as u32, args)
        };
        let mut v = vec![MODE_MAGIC | MODE_EXPAND];
        v.extend_from_slice(&hello);
        v.extend_from_slice(&call_frame(1, netbsd_abi::SYS_open, &open));
        v.extend_from_slice(&frame_of(0, Class::Resp, Type::Copyin, 0, b"/big\0"));
        v.extend_from_slice(&call_frame(2, netbsd_abi::SYS_write, &write));
        for (i, &n) in pieces.iter().enumerate() {
            let h = Header::new(i as u64 + 1, Class::Resp, Type::Copyin, 0, n);
            v.extend_from_slice(&h.emit());
        }
        v
    };
    let mib = sysproxy::MAX_COPY;
    vec![
        (
            "keyed-proved",
            with_mode(MODE_KEYED | MODE_PROVE, &[&hello, &getpid]),
        ),
        (
            "keyed-wrong-proof",
            with_mode(MODE_KEYED, &[&wrong, &hello]),
        ),
        ("keyed-no-proof", with_mode(MODE_KEYED, &[&hello, &getpid])),
        ("copyin-pieces", big(&[mib, mib / 2])),
        ("copyin-piece-short", big(&[mib - 1, mib / 2])),
        ("copyin-piece-too-long", big(&[mib + 1, mib / 2])),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of `/big` in the plain fuzzed server's kernel, or its errno.
    fn big_file_size() -> Result<i64, rumpclient::Errno> {
        let path = live(false)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .path
            .clone();
        let c = rumpclient::Client::connect(&format!("unix://{}", path.display()))
            .expect("server alive");
        let m = rumpclient::Regions::new();
        let name = m.add(b"/big\0");
        let fd = c.syscall(
            netbsd_abi::SYS_open,
            &[name, netbsd_abi::O_RDONLY as u64],
            &m,
        )?;
        c.syscall(
            netbsd_abi::SYS_lseek,
            &[fd[0] as u64, 0, 0, netbsd_abi::SEEK_END as u64],
            &m,
        )
        .map(|r| r[0])
    }

    #[test]
    fn seeds_reach_what_they_are_for() {
        let seeds = sp_stream_seeds();
        for (name, seed) in &seeds {
            sp_stream(seed);
            if name.starts_with("copyin-pieces") {
                // Both pieces arrived and were written.
                let want = (sysproxy::MAX_COPY + sysproxy::MAX_COPY / 2) as i64;
                assert_eq!(big_file_size(), Ok(want), "{name}");
            }
        }
    }

    #[test]
    fn expand_fills_only_large_copyin_replies() {
        let small = frame_of(3, Class::Resp, Type::Copyin, 0, b"/p\0");
        let large = Header::new(4, Class::Resp, Type::Copyin, 0, 5000).emit();
        let huge = Header::new(5, Class::Resp, Type::Copyin, 0, 8 << 20).emit();
        let mut input = small.clone();
        input.extend_from_slice(&large);
        input.extend_from_slice(&huge);
        let out: Vec<u8> = expand(&input).concat();
        let most = sysproxy::MAX_CLIENT_FRAME as usize + 1 - sysproxy::HEADER_LEN;
        assert_eq!(out.len(), small.len() + 24 + 5000 + 24 + most);
        assert_eq!(&out[..small.len()], &small[..]);
    }
}
