//! Fuzzing the sysproxy wire: frame and payload decoders, and a live
//! server fed a whole hostile byte stream.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use sysproxy::payload;

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

struct Live {
    path: std::path::PathBuf,
    kernel: Arc<rump::Kernel>,
    server: rump_server::SpServer,
}

fn live() -> &'static Mutex<Live> {
    static LIVE: OnceLock<Mutex<Live>> = OnceLock::new();
    LIVE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rumpfuzz-sp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fuzz dir");
        let path = dir.join("s");
        let cfg = rump::BootConfig {
            ncpu: 2,
            memlimit: Some(64 << 20),
            ..rump::BootConfig::default()
        };
        let kernel = rump::KernelBuilder::new()
            .config(cfg)
            .console(Box::new(|_, _| ()))
            .boot()
            .expect("boot");
        let url = sysproxy::Url::Unix(path.to_string_lossy().into_owned());
        let server = rump_server::SpServer::start(Arc::clone(&kernel), &url).expect("server");
        Mutex::new(Live {
            path,
            kernel,
            server,
        })
    })
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
pub fn sp_stream(data: &[u8]) {
    let live = live().lock().unwrap_or_else(|e| e.into_inner());
    let mut data = data.to_vec();
    defuse(&mut data);
    let mut s = UnixStream::connect(&live.path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut banner = [0u8; 95];
    let n = loop {
        match s.read(&mut banner) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r.expect("banner"),
        }
    };
    assert!(n > 0 && banner[n - 1] == b'\n');
    let _ = s.write_all(&data);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 4096];
    loop {
        match s.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("server did not close a hung-up connection within 5 s")
            }
            Err(_) => break,
        }
    }
    // Every connection thread has ended: the server did not keep one busy.
    let t = std::time::Instant::now();
    while !live.server.reap() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "a connection thread outlived its connection"
        );
        std::thread::yield_now();
    }
    assert!(!live.kernel.is_halted());
    let c = rumpclient::Client::connect(&format!("unix://{}", live.path.display()))
        .expect("server alive");
    assert!(c.getpid().expect("getpid") > 1);
}
