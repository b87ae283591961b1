//! `rump.cgdconfig`: NetBSD's `cgdconfig(8)` against the rump kernel named
//! by `RUMP_SERVER`: configure a cgd from a parameters file or a key on
//! standard input, unconfigure it, list units, and generate parameters
//! files. Key generators and passphrases run here, on the host, as
//! NetBSD's run in the user's process.

#![forbid(unsafe_code)]

mod generate;
mod kernel;
mod keys;
mod list;

use generate::*;
use keys::*;

use netbsd_abi::O_RDWR;
use rump_cgdconfig::bits::{Bits, bits2bytes};
use rump_cgdconfig::cgdio::{CGDIOCCLR, CGDIOCSET, cgd_ioctl};
use rump_cgdconfig::params::{self, Keygen, Method, Params, Verify};
use rump_cgdconfig::verify;
use rumpclient::{Client, Regions};
use std::io::Read;
use std::process::ExitCode;

const PROG: &str = "rump.cgdconfig";
/// `CGDCONFIG_DIR`: where a parameters file named without a path is
/// looked for (on the host).
const CGDCONFIG_DIR: &str = "/etc/cgd";
/// `DEFAULT_SALTLEN`: bits of salt a new PBKDF2 generator gets.
const DEFAULT_SALTLEN: usize = 128;
/// `DEFAULT_ITERATION_TIME`: microseconds PBKDF2 is calibrated to take.
const DEFAULT_ITERATION_TIME: u64 = 2_000_000;
/// `CAL_TIME`: the shortest calibration run that is trusted.
const CAL_TIME: u64 = 30_000;
/// `RAW_PART` on amd64: the letter `opendisk` tries after a bare name.
const RAW_PART_LETTER: char = 'd';
/// The longest passphrase line read (`maybe_getpass`'s buffer).
const PASS_MAX: usize = 1024;

fn usage() -> ExitCode {
    eprintln!("usage: {PROG} [-npv] [-V vmeth] cgd dev [paramsfile]");
    eprintln!("       {PROG} -C [-nv] [-f configfile]");
    eprintln!("       {PROG} -G [-nv] [-i ivmeth] [-k kgmeth] [-o outfile] paramsfile");
    eprintln!("       {PROG} -g [-nv] [-i ivmeth] [-k kgmeth] [-o outfile] alg [keylen]");
    eprintln!("       {PROG} -l [-v[v]] [cgd]");
    eprintln!("       {PROG} -s [-nv] [-i ivmeth] [-b bsize] cgd dev alg [keylen]");
    eprintln!("       {PROG} -U [-nv] [-f configfile]");
    eprintln!("       {PROG} -u [-nv] cgd");
    ExitCode::FAILURE
}

fn warnx(msg: &str) {
    eprintln!("{PROG}: {msg}");
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Default,
    Unconfigure,
    Generate,
    GenerateConvert,
    ConfigAll,
    UnconfigAll,
    ConfigStdin,
    List,
}

/// The state of one run: the options and the connection.
struct Run {
    nflag: bool,
    /// `-p`: passphrases from standard input.
    pflag: bool,
    verbose: u32,
    client: Option<Client>,
}

/// The exit status of a C `main` returning `ret`.
fn status(ret: i32) -> ExitCode {
    ExitCode::from(ret as u8)
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut action = Action::Default;
    let mut p = Params::default();
    let mut outfile: Option<String> = None;
    let mut cfile: Option<String> = None;
    let mut run = Run {
        nflag: false,
        pflag: false,
        verbose: 0,
        client: None,
    };
    let mut i = 0;
    let set = |a: &mut Action, v: Action| {
        if *a != Action::Default {
            return false;
        }
        *a = v;
        true
    };
    // getopt "CGUV:b:f:gi:k:lno:spuv".
    'args: while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        let Some(opts) = a.strip_prefix('-').filter(|o| !o.is_empty()) else {
            break;
        };
        i += 1;
        for (j, c) in opts.char_indices() {
            let mut optarg = || -> Option<String> {
                let rest = &opts[j + 1..];
                if !rest.is_empty() {
                    return Some(rest.to_owned());
                }
                let v = args.get(i).cloned();
                i += 1;
                v
            };
            let ok = match c {
                'C' => set(&mut action, Action::ConfigAll),
                'G' => set(&mut action, Action::GenerateConvert),
                'U' => set(&mut action, Action::UnconfigAll),
                'g' => set(&mut action, Action::Generate),
                'l' => set(&mut action, Action::List),
                's' => set(&mut action, Action::ConfigStdin),
                'u' => set(&mut action, Action::Unconfigure),
                'n' => {
                    run.nflag = true;
                    true
                }
                'p' => {
                    run.pflag = true;
                    true
                }
                'v' => {
                    run.verbose += 1;
                    true
                }
                'V' | 'b' | 'f' | 'i' | 'k' | 'o' => {
                    let Some(v) = optarg() else {
                        warnx(&format!("option requires an argument -- {c}"));
                        return usage();
                    };
                    let ok = match c {
                        'V' => {
                            let vm = verify_method(&v);
                            p.combine(Params {
                                verify_method: vm,
                                ..Params::default()
                            });
                            true
                        }
                        'b' => match v.trim().parse::<i32>() {
                            Ok(b) => {
                                p.bsize = Some(b as usize);
                                true
                            }
                            Err(_) => false,
                        },
                        'f' => cfile.replace(v).is_none(),
                        'i' => {
                            p.ivmeth = Some(v);
                            true
                        }
                        'k' => {
                            let m = Method::from_name(&v);
                            if m == Method::Unknown {
                                warnx(&format!("unrecognized key generation method \"{v}\""));
                            }
                            p.keygens.push(Keygen::new(m));
                            true
                        }
                        _ => outfile.replace(v).is_none(),
                    };
                    if !ok {
                        return usage();
                    }
                    continue 'args;
                }
                _ => {
                    warnx(&format!("unknown option -- {c}"));
                    false
                }
            };
            if !ok {
                return usage();
            }
        }
    }
    let rest = &args[i..];
    let ret = match action {
        Action::Default => run.configure(rest, p),
        Action::Unconfigure => run.unconfigure(rest),
        Action::Generate => run.generate(p, rest, outfile.as_deref()),
        Action::GenerateConvert => run.generate_convert(p, rest, outfile.as_deref()),
        Action::ConfigAll | Action::UnconfigAll => {
            // There is no /etc/cgd/cgd.conf for a rump kernel's disks.
            warnx("-C and -U (the configuration file) are not supported yet");
            let _ = cfile;
            return ExitCode::FAILURE;
        }
        Action::ConfigStdin => run.configure_stdin(p, rest),
        Action::List => run.list(rest),
    };
    match ret {
        Err(Usage) => usage(),
        Ok(r) => status(r),
    }
}

/// The usage text is due.
struct Usage;

/// `params_verify_method` of an option's word (unknown: a warning).
fn verify_method(v: &str) -> Verify {
    let (p, w) = params::parse(&format!("verify_method \"{v}\";\n")).unwrap_or_default();
    for w in w {
        warnx(&w);
    }
    p.verify_method
}

impl Run {
    /// `configure_params`: `CGDIOCSET` on `fd` for disk `dev`.
    fn configure_params(&mut self, fd: i32, dev: &str, p: &Params, key: &Bits) -> i32 {
        let alg = p.algorithm.clone().unwrap_or_default();
        let ivm = p.ivmeth.clone().unwrap_or_default();
        let keylen = p.keylen.unwrap_or(0);
        if self.verbose >= 1 {
            println!(
                "    with alg {alg} keylen {keylen} blocksize {} ivmethod {ivm}",
                p.bsize.map_or(-1, |b| b as i64)
            );
        }
        if self.verbose >= 2 {
            println!("key: {}", key.encode());
        }
        if self.nflag {
            return 0;
        }
        let m = Regions::new();
        // The kernel reads keylen / 8 + 1 bytes of key.
        let mut keybuf = key.bytes.clone();
        keybuf.resize(keylen / 8 + 1, 0);
        let mut ci = [0u8; cgd_ioctl::SIZE];
        cgd_ioctl::ci_disk.put(&mut ci, m.add(&cstr(dev)));
        cgd_ioctl::ci_alg.put(&mut ci, m.add(&cstr(&alg)));
        cgd_ioctl::ci_ivmethod.put(&mut ci, m.add(&cstr(&ivm)));
        cgd_ioctl::ci_key.put(&mut ci, m.add(&keybuf));
        cgd_ioctl::ci_keylen.put(&mut ci, keylen as u64);
        cgd_ioctl::ci_blocksize.put(&mut ci, p.bsize.map_or(u64::MAX, |b| b as u64));
        let arg = m.add(&ci);
        match self.ioctl(fd, CGDIOCSET, &m, arg) {
            Ok(()) => 0,
            Err(e) => {
                warnx(&format!("ioctl: {e}"));
                e.0
            }
        }
    }

    /// `verify`: 0 when the disk checks out, 1 when not, -1 on an error.
    fn verify(&mut self, p: &Params, fd: i32) -> i32 {
        let read = |run: &mut Run, len, off| run.pread(fd, len, off);
        match p.verify_method {
            Verify::None | Verify::Unknown => 0,
            Verify::Disklabel => match read(self, verify::SCANSIZE, 0) {
                Ok(b) => i32::from(!verify::disklabel(&b)),
                Err(e) => {
                    warnx(&format!("can't read disklabel area: {e}"));
                    -1
                }
            },
            Verify::Mbr => match read(self, verify::SCANSIZE, 0) {
                Ok(b) if verify::mbr(&b) => 0,
                Ok(_) => -1,
                Err(e) => {
                    warnx(&format!("can't read mbr area: {e}"));
                    -1
                }
            },
            Verify::Gpt => match read(self, verify::SCANSIZE, 0) {
                Ok(b) if verify::gpt(&b) => 0,
                Ok(_) => -1,
                Err(e) => {
                    warnx(&format!("can't read gpt area: {e}"));
                    -1
                }
            },
            Verify::Ffs => {
                for off in verify::SBLOCK_TRY {
                    match read(self, verify::SBLOCKSIZE, off) {
                        Err(e) => {
                            warnx(&format!("pread: {e}"));
                            break;
                        }
                        Ok(b) if b.len() < verify::SBLOCKSIZE => {
                            warnx("pread: incomplete block");
                            break;
                        }
                        Ok(b) if verify::ffs_superblock(&b) => return 0,
                        Ok(_) => {}
                    }
                }
                1
            }
            Verify::Reenter => {
                for kg in p.keygens.iter().filter(|kg| kg.method.is_pbkdf2()) {
                    let Some(orig) = kg.key.clone() else { continue };
                    let mut again = kg.clone();
                    let key = self.getkey(
                        "re-enter device",
                        std::slice::from_mut(&mut again),
                        orig.len,
                    );
                    if key.as_ref() != Ok(&orig) {
                        return 1;
                    }
                }
                0
            }
        }
    }

    /// Read, combine, fill and check parameters; `Err` after saying why.
    fn prepare(&self, mut p: Params, inparams: Params) -> Result<Params, i32> {
        p.combine(inparams);
        if let Err(e) = p.fill_defaults() {
            warnx(&e);
            return Err(-1);
        }
        if let Err(e) = p.verify(&mut |w| warnx(&w)) {
            warnx(&e);
            warnx("params invalid");
            return Err(-1);
        }
        Ok(p)
    }

    /// `configure`: `cgd dev [paramsfile]`.
    fn configure(&mut self, argv: &[String], inparams: Params) -> Result<i32, Usage> {
        if argv.len() != 2 && argv.len() != 3 {
            warnx("wrong number of args");
            return Err(Usage);
        }
        let dev = argv[1].as_str();
        if dev.starts_with("NAME=") {
            warnx("getfsspecname failed: wedge names (NAME=) are not supported yet");
            return Ok(-1);
        }
        let file = match argv.get(2) {
            Some(f) => f.clone(),
            None => dev.rsplit('/').next().unwrap_or(dev).to_owned(),
        };
        let Some(p) = params_cget(&file) else {
            return Ok(-1);
        };
        let Ok(mut p) = self.prepare(p, inparams) else {
            return Ok(-1);
        };
        // Ask again for a passphrase that does not verify, when typed.
        let retry = !self.pflag && p.keygens.iter().any(|kg| kg.method.is_pbkdf2());
        loop {
            let (fd, name) = match self.open_cgd(&argv[0]) {
                Some(x) => x,
                None => return Ok(-1),
            };
            let keylen = p.keylen.unwrap_or(0);
            let key = match self.getkey(dev, &mut p.keygens, keylen) {
                Ok(k) => k,
                Err(e) => {
                    warnx(&e);
                    self.close(fd);
                    return Ok(-1);
                }
            };
            if self.verbose >= 1 {
                println!("{} ({name}): configuring", argv[0]);
            }
            let ret = self.configure_params(fd, dev, &p, &key);
            if ret != 0 {
                self.close(fd);
                return Ok(-1);
            }
            if self.nflag {
                return Ok(0);
            }
            match self.verify(&p, fd) {
                0 => {
                    self.close(fd);
                    return Ok(0);
                }
                -1 => {
                    self.close(fd);
                    return Ok(-1);
                }
                _ => {}
            }
            let _ = self.unconfigure_fd(fd);
            self.close(fd);
            if !retry {
                warnx("verification failed permanently");
                return Ok(-1);
            }
            warnx("verification failed, please reenter passphrase");
        }
    }

    /// `configure_stdin`: `cgd dev alg [keylen]`, the key's bytes on
    /// standard input.
    fn configure_stdin(&mut self, mut p: Params, argv: &[String]) -> Result<i32, Usage> {
        if argv.len() < 3 || argv.len() > 4 {
            return Err(Usage);
        }
        p.algorithm = Some(argv[2].clone());
        if let Some(k) = argv.get(3) {
            match k.parse::<i32>() {
                Ok(l) if l >= 0 => p.keylen = Some(l as usize),
                _ => {
                    warnx("failed to parse key length: Invalid argument");
                    return Ok(-1);
                }
            }
        }
        if let Err(e) = p.fill_defaults() {
            warnx(&e);
            return Ok(-1);
        }
        let Some((fd, _)) = self.open_cgd(&argv[0]) else {
            return Ok(-1);
        };
        let len = p.keylen.unwrap_or(0);
        let mut buf = vec![0u8; bits2bytes(len)];
        if std::io::stdin().lock().read_exact(&mut buf).is_err() {
            warnx("failed to read key from stdin");
            return Ok(-1);
        }
        let ret = self.configure_params(fd, &argv[1], &p, &Bits::new(&buf, len));
        self.close(fd);
        Ok(ret)
    }

    fn unconfigure_fd(&mut self, fd: i32) -> i32 {
        let m = Regions::new();
        let arg = m.add_zeroed(cgd_ioctl::SIZE);
        match self.ioctl(fd, CGDIOCCLR, &m, arg) {
            Ok(()) => 0,
            Err(e) => {
                warnx(&format!("ioctl: {e}"));
                -1
            }
        }
    }

    /// `unconfigure`: `cgd`, through its block device.
    fn unconfigure(&mut self, argv: &[String]) -> Result<i32, Usage> {
        if argv.len() != 1 {
            return Err(Usage);
        }
        let fd = match self.opendisk(&argv[0], O_RDWR, true) {
            Ok((fd, name)) => {
                if self.verbose >= 1 {
                    println!("{} ({name}): clearing", argv[0]);
                }
                fd
            }
            Err(e) => {
                warnx(&format!("can't open cgd \"{}\": {e}", argv[0]));
                if !self.nflag {
                    return Ok(e.0);
                }
                -1
            }
        };
        if self.nflag {
            return Ok(0);
        }
        let ret = self.unconfigure_fd(fd);
        self.close(fd);
        Ok(ret)
    }
}
