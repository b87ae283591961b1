//! `shmif_dumpbus [-h] [-p pcapfile] buspath`: print a shmif bus's header
//! and packets, and optionally write them as pcap, as NetBSD's tool does.
//! With `-p -` the pcap goes to standard output and nothing else does:
//! NetBSD's tool leaves the packet lines out then (its header line still
//! lands in front of the pcap, which breaks `| tcpdump -r -`; not here).

use rumpnet_shmif::bus::{self, Bus, MemBus};
use rumpnet_shmif::pcap;
use std::io::Write;
use std::process::exit;

fn usage(prog: &str) -> ! {
    eprintln!("usage: {prog} [-h] [-p pcapfile] buspath");
    exit(1);
}

fn main() {
    rumpuser::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().collect();
    let prog = args
        .first()
        .map_or("shmif_dumpbus", |s| s.as_str())
        .to_owned();
    let prog = prog
        .rsplit('/')
        .next()
        .unwrap_or("shmif_dumpbus")
        .to_owned();
    let (mut header_only, mut pcap_to) = (false, None);
    let mut i = 1;
    while i < args.len() && args[i].starts_with('-') && args[i] != "-" {
        match args[i].as_str() {
            "-h" => header_only = true,
            "-p" => {
                i += 1;
                pcap_to = Some(args.get(i).cloned().unwrap_or_else(|| usage(&prog)));
            }
            "--" => {
                i += 1;
                break;
            }
            _ => usage(&prog),
        }
        i += 1;
    }
    if args.len() != i + 1 {
        usage(&prog);
    }
    let path = &args[i];
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{prog}: open bus {path}: {}", rumpuser::strerror(&e));
        exit(1);
    });
    let magic = bytes
        .get(..4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    if magic != Some(bus::MAGIC) {
        eprintln!("{prog}: {path} not a shmif bus");
        exit(1);
    }
    let b = Bus {
        mem: MemBus::from_bytes(&bytes),
    };
    let (version, lock, generation, first, last) = b.header();
    if version != bus::VERSION {
        eprintln!("{prog}: bus version {version}, program {}", bus::VERSION);
        exit(1);
    }
    // With -h no pcap is written, so the header line may go to stdout.
    let to_stdout = pcap_to.as_deref() == Some("-") && !header_only;
    let mut text: Box<dyn Write> = if to_stdout {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout())
    };
    let _ = writeln!(
        text,
        "bus version {version}, lock: {lock}, generation: {generation}, firstoff: 0x{first:04x}, lastoff: 0x{last:04x}"
    );
    if header_only {
        exit(0);
    }
    let mut out = pcap::file_header();
    for (n, (off, h, frame)) in b.walk().iter().enumerate() {
        let _ = writeln!(
            text,
            "packet {n}, offset 0x{off:04x}, length 0x{:04x}, ts {}/{:06}",
            h.len, h.sec, h.usec
        );
        out.extend_from_slice(&pcap::record(h, frame));
    }
    match pcap_to.as_deref() {
        Some("-") => {
            let mut o = std::io::stdout();
            if let Err(e) = o.write_all(&out).and_then(|()| o.flush()) {
                eprintln!("{prog}: write pcap: {}", rumpuser::strerror(&e));
                exit(1);
            }
        }
        Some(file) => {
            if let Err(e) = std::fs::write(file, &out) {
                eprintln!(
                    "{prog}: create pcap dump {file}: {}",
                    rumpuser::strerror(&e)
                );
                exit(1);
            }
        }
        None => {}
    }
}
