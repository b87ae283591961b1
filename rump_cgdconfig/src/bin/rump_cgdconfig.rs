//! `rump.cgdconfig`: NetBSD's `cgdconfig(8)` against the rump kernel named
//! by `RUMP_SERVER`: configure a cgd from a parameters file or a key on
//! standard input, unconfigure it, list units, and generate parameters
//! files. Key generators and passphrases run here, on the host, as
//! NetBSD's run in the user's process.

#![forbid(unsafe_code)]

use netbsd_abi::{O_RDONLY, O_RDWR, SYS___stat50, SYS_close, SYS_ioctl, SYS_open, SYS_pread};
use rump_cgdconfig::bits::{Bits, bits2bytes};
use rump_cgdconfig::cgdio::{
    CGD_CIPHER_CBC_ENCBLKNO1, CGD_CIPHER_CBC_ENCBLKNO8, CGDIOCCLR, CGDIOCGET, CGDIOCSET, cgd_ioctl,
    cgd_user,
};
use rump_cgdconfig::params::{self, Keygen, Method, Params, Verify};
use rump_cgdconfig::{pkcs5, verify};
use rumpclient::{Client, Errno, Regions};
use std::io::{BufRead, Read, Write};
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

/// `bits_getrandombits`: `bits` bits from the host's `/dev/random` (hard)
/// or `/dev/urandom`.
fn random_bits(bits: usize, hard: bool) -> Option<Bits> {
    let path = if hard { "/dev/random" } else { "/dev/urandom" };
    let mut buf = vec![0u8; bits2bytes(bits)];
    std::fs::File::open(path).ok()?.read_exact(&mut buf).ok()?;
    Some(Bits::new(&buf, bits))
}

/// `pkcs5_pbkdf2_calibrate`: the iterations that take about `micros`.
fn calibrate(dklen: usize, micros: u64) -> Option<usize> {
    let time = |c: usize| {
        let t = std::time::Instant::now();
        pkcs5::pbkdf2(&[0u8; 64], &[0u8; 64], c, dklen, false);
        t.elapsed().as_micros() as u64
    };
    for _ in 0..5 {
        let mut c = 1usize;
        let t = loop {
            let t = time(c);
            if t > CAL_TIME {
                break t;
            }
            c *= 2;
        };
        let ret = (c as u64 * micros / t.max(1)) as usize;
        let t = time(ret);
        if t.abs_diff(micros) <= micros / 20 {
            return Some(ret);
        }
    }
    None
}

impl Run {
    fn client(&mut self) -> Option<&Client> {
        if self.client.is_none() {
            self.client = Some(Client::for_tool(PROG)?);
        }
        self.client.as_ref()
    }

    fn open(&mut self, path: &str, flags: i32) -> Result<i32, Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        let m = Regions::new();
        let r = c.syscall(SYS_open, &[m.add(&cstr(path)), flags as u64, 0], &m)?;
        Ok(r[0] as i32)
    }

    fn close(&mut self, fd: i32) {
        if let Some(c) = self.client() {
            let _ = c.syscall(SYS_close, &[fd as u64], &Regions::new());
        }
    }

    /// `opendisk1`: a bare name is tried in `/dev` (raw unless `cooked`),
    /// as is and with the raw partition's letter; then as a path.
    fn opendisk(&mut self, name: &str, flags: i32, cooked: bool) -> Result<(i32, String), Errno> {
        let mut tries = Vec::new();
        if !name.contains('/') {
            let r = if cooked { "" } else { "r" };
            tries.push(format!("/dev/{r}{name}"));
            tries.push(format!("/dev/{r}{name}{RAW_PART_LETTER}"));
        }
        tries.push(name.to_owned());
        tries.push(format!("{name}{RAW_PART_LETTER}"));
        let mut last = Errno::ENOENT;
        for t in tries {
            match self.open(&t, flags) {
                Ok(fd) => return Ok((fd, t)),
                Err(Errno::ENOENT) => last = Errno::ENOENT,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn ioctl(&mut self, fd: i32, cmd: u64, m: &Regions, arg: u64) -> Result<(), Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        c.syscall(SYS_ioctl, &[fd as u64, cmd, arg], m).map(drop)
    }

    fn pread(&mut self, fd: i32, len: usize, off: u64) -> Result<Vec<u8>, Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        let m = Regions::new();
        let buf = m.add_zeroed(len);
        let n = c.syscall(SYS_pread, &[fd as u64, buf, len as u64, 0, off], &m)?[0] as usize;
        let mut out = m.get(buf);
        out.truncate(n);
        Ok(out)
    }

    /// `maybe_getpass`: a line from standard input with `-p`, else from
    /// the terminal without echo.
    fn getpass(&self, prompt: &str) -> Result<Vec<u8>, String> {
        let mut line = String::new();
        if self.pflag {
            std::io::stdin()
                .lock()
                .take(PASS_MAX as u64)
                .read_line(&mut line)
                .map_err(|e| format!("failed to read passphrase: {e}"))?;
        } else {
            let tty = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .map_err(|e| format!("failed to read passphrase: /dev/tty: {e} (use -p)"))?;
            let stty = |arg: &str| {
                let _ = std::process::Command::new("stty")
                    .arg(arg)
                    .stdin(
                        tty.try_clone()
                            .map(std::process::Stdio::from)
                            .unwrap_or(std::process::Stdio::null()),
                    )
                    .status();
            };
            let _ = (&tty).write_all(prompt.as_bytes());
            stty("-echo");
            let r = std::io::BufReader::new(&tty)
                .take(PASS_MAX as u64)
                .read_line(&mut line);
            stty("echo");
            let _ = (&tty).write_all(b"\n");
            r.map_err(|e| format!("failed to read passphrase: {e}"))?;
        }
        if let Some(n) = line.find('\n') {
            line.truncate(n);
        }
        Ok(line.into_bytes())
    }

    /// `getkey`: every generator's key, XORed together.
    fn getkey(&self, dev: &str, kgs: &mut [Keygen], len: usize) -> Result<Bits, String> {
        let mut ret: Option<Bits> = None;
        for kg in kgs.iter_mut() {
            let tmp = match kg.method {
                Method::StoredKey => kg
                    .key
                    .clone()
                    .ok_or("keygen storedkey must provide a key")?,
                Method::RandomKey | Method::UrandomKey => {
                    random_bits(len, kg.method == Method::RandomKey)
                        .ok_or("can't read random bits")?
                }
                Method::Pkcs5Pbkdf2Sha1 | Method::Pkcs5Pbkdf2Old => {
                    let pass = self.getpass(&format!("{dev}'s passphrase:"))?;
                    let salt = kg
                        .salt
                        .clone()
                        .ok_or("keygen pkcs5_pbkdf2 must provide a salt")?;
                    let key = pkcs5::pbkdf2(
                        &pass,
                        &salt.bytes,
                        kg.iterations.unwrap_or(0),
                        bits2bytes(len),
                        kg.method == Method::Pkcs5Pbkdf2Old,
                    )
                    .ok_or("failed to generate PKCS#5 PBKDF2 key")?;
                    let b = Bits::new(&key, len);
                    kg.key = Some(b.clone());
                    b
                }
                Method::ShellCmd => {
                    let cmd = kg.cmd.clone().unwrap_or_default();
                    let out = std::process::Command::new("/bin/sh")
                        .args(["-c", &cmd])
                        .stderr(std::process::Stdio::inherit())
                        .output()
                        .map_err(|e| format!("shell_cmd: {e}"))?;
                    if out.stdout.len() < bits2bytes(len) {
                        return Err("shell_cmd: the command gave too few bytes".into());
                    }
                    Bits::new(&out.stdout, len)
                }
                Method::Unknown => return Err("unrecognised keygen method 0 in getkey()".into()),
            };
            ret = Some(match ret {
                Some(r) => tmp.xor(&r),
                None => tmp,
            });
        }
        ret.ok_or_else(|| "no key generation method".to_owned())
    }

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

    /// `opendisk_werror`: the cgd's raw device, read-write.
    fn open_cgd(&mut self, cgd: &str) -> Option<(i32, String)> {
        if self.nflag {
            return Some((-1, cgd.to_owned()));
        }
        match self.opendisk(cgd, O_RDWR, false) {
            Ok(x) => Some(x),
            Err(e) => {
                warnx(&format!("can't open cgd \"{cgd}\": {e}"));
                None
            }
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

    /// `generate`: `alg [keylen]`.
    fn generate(
        &mut self,
        mut p: Params,
        argv: &[String],
        out: Option<&str>,
    ) -> Result<i32, Usage> {
        if argv.is_empty() || argv.len() > 2 {
            return Err(Usage);
        }
        p.algorithm = Some(argv[0].clone());
        if let Some(k) = argv.get(1) {
            match k.parse::<i32>() {
                Ok(l) if l >= 0 => p.keylen = Some(l as usize),
                _ => {
                    warnx("Failed to parse key length: Invalid argument");
                    return Ok(-1);
                }
            }
        }
        if let Err(e) = p.fill_defaults() {
            warnx(&e);
            return Ok(-1);
        }
        if p.keygens.is_empty() {
            p.keygens.push(Keygen::new(Method::Pkcs5Pbkdf2Sha1));
        }
        if let Err(e) = fill_keygens(&mut p.keygens, p.keylen.unwrap_or(0)) {
            warnx(&e);
            warnx("Failed to generate defaults for keygen");
            return Ok(-1);
        }
        if let Err(e) = p.verify(&mut |w| warnx(&w)) {
            warnx(&e);
            warnx("invalid parameters generated");
            return Ok(-1);
        }
        Ok(put(&p, out))
    }

    /// `generate_convert`: a new file for the key `paramsfile` gives, made
    /// with new generators and a stored key XORed to match.
    fn generate_convert(
        &mut self,
        mut p: Params,
        argv: &[String],
        out: Option<&str>,
    ) -> Result<i32, Usage> {
        if argv.len() != 1 {
            return Err(Usage);
        }
        let Some(mut old) = params_cget(&argv[0]) else {
            return Ok(-1);
        };
        let random = |kgs: &[Keygen]| {
            kgs.iter()
                .any(|k| matches!(k.method, Method::RandomKey | Method::UrandomKey))
        };
        if random(&p.keygens) || random(&old.keygens) {
            warnx("can't preserve randomly generated key");
            return Ok(-1);
        }
        if let Err(e) = old.verify(&mut |w| warnx(&w)) {
            warnx(&e);
            warnx(&format!("invalid old parameters file \"{}\"", argv[0]));
            return Ok(-1);
        }
        let oldlen = old.keylen.unwrap_or(0);
        let oldkey = match self.getkey("old file", &mut old.keygens, oldlen) {
            Ok(k) => k,
            Err(e) => {
                warnx(&e);
                return Ok(-1);
            }
        };
        p.algorithm = old.algorithm;
        p.ivmeth = old.ivmeth;
        p.keylen = old.keylen;
        p.bsize = old.bsize;
        if p.verify_method == Verify::Unknown {
            p.verify_method = old.verify_method;
        }
        if p.keygens.is_empty() {
            p.keygens.push(Keygen::new(Method::Pkcs5Pbkdf2Sha1));
        }
        let _ = p.fill_defaults();
        let keylen = p.keylen.unwrap_or(0);
        let _ = fill_keygens(&mut p.keygens, keylen);
        let newkey = match self.getkey("new file", &mut p.keygens, keylen) {
            Ok(k) => k,
            Err(e) => {
                warnx(&e);
                return Ok(-1);
            }
        };
        let mut stored = Keygen::new(Method::StoredKey);
        stored.key = Some(newkey.xor(&oldkey));
        p.keygens.push(stored);
        // What a passphrase made is not written out.
        for kg in p.keygens.iter_mut().filter(|k| k.method.is_pbkdf2()) {
            kg.key = None;
        }
        if let Err(e) = p.verify(&mut |w| warnx(&w)) {
            warnx(&e);
            warnx("can't generate new parameters file");
            return Ok(-1);
        }
        Ok(put(&p, out))
    }

    /// `do_list`: each unit (or `cgd`): its disk, and with `-v` the
    /// cipher, with `-vv` the key length, block size and IV method.
    fn list(&mut self, argv: &[String]) -> Result<i32, Usage> {
        if argv.len() > 1 {
            return Err(Usage);
        }
        if self.client().is_none() {
            return Ok(1);
        }
        if let Some(d) = argv.first() {
            return Ok(self.show(d));
        }
        // The units the kernel has nodes for, from cgd0 on.
        let mut unit = 0;
        while self
            .stat_rdev(&format!("/dev/rcgd{unit}{RAW_PART_LETTER}"))
            .is_some()
        {
            let r = self.show(&format!("cgd{unit}"));
            if r != 0 {
                return Ok(r);
            }
            unit += 1;
        }
        Ok(0)
    }

    fn stat_rdev(&mut self, path: &str) -> Option<u64> {
        use netbsd_abi::layout::stat;
        let c = self.client()?;
        let m = Regions::new();
        let st = m.add_zeroed(stat::SIZE);
        c.syscall(SYS___stat50, &[m.add(&cstr(path)), st], &m)
            .ok()?;
        let b = m.get(st);
        let mode = stat::st_mode.get(&b)? as u32;
        (mode & netbsd_abi::S_IFMT as u32 == netbsd_abi::S_IFBLK as u32)
            .then(|| stat::st_rdev.get(&b))
            .flatten()
    }

    /// `show`: one unit's line.
    fn show(&mut self, dev: &str) -> i32 {
        let fd = match self.opendisk(dev, O_RDONLY, false) {
            Ok((fd, _)) => fd,
            Err(e) => {
                warnx(&format!("open: {dev}: {e}"));
                return 0;
            }
        };
        let m = Regions::new();
        let mut cgu = [0u8; cgd_user::SIZE];
        cgd_user::cgu_unit.put(&mut cgu, u64::from(u32::MAX));
        let arg = m.add(&cgu);
        if let Err(e) = self.ioctl(fd, CGDIOCGET, &m, arg) {
            self.close(fd);
            warnx(&format!("CGDIOCGET: {e}"));
            return 1;
        }
        self.close(fd);
        let cgu = m.get(arg);
        let get = |f: netbsd_abi::Field| f.get(&cgu).unwrap_or(0);
        let mut line = format!("{dev}: ");
        let tdev = get(cgd_user::cgu_dev);
        if tdev == 0 {
            line += "not in use";
        } else {
            line += &format!("{} ", self.devname(tdev));
            if self.verbose >= 1 {
                let alg = &cgu[16..48];
                let end = alg.iter().position(|&b| b == 0).unwrap_or(alg.len());
                line += &format!("{} ", String::from_utf8_lossy(&alg[..end]));
            }
            if self.verbose >= 2 {
                let mode = match get(cgd_user::cgu_mode) {
                    CGD_CIPHER_CBC_ENCBLKNO8 => "encblkno8",
                    CGD_CIPHER_CBC_ENCBLKNO1 => "encblkno1",
                    _ => "unknown",
                };
                line += &format!(
                    "keylen {} blksize {} {mode} ",
                    get(cgd_user::cgu_keylen) as u32 as i32,
                    get(cgd_user::cgu_blocksize)
                );
            }
        }
        println!("{line}");
        0
    }

    /// `devname(dev, S_IFBLK)`: the block node in the kernel's `/dev` of
    /// that number (among the disks' names), else `dev M,m`.
    fn devname(&mut self, dev: u64) -> String {
        for prefix in ["vnd", "cgd", "md", "dk", "wd", "sd", "ld"] {
            for unit in 0..4 {
                for part in 'a'..='p' {
                    let name = format!("{prefix}{unit}{part}");
                    match self.stat_rdev(&format!("/dev/{name}")) {
                        Some(d) if d == dev => return name,
                        Some(_) => {}
                        None if part == 'a' => break,
                        None => {}
                    }
                }
            }
        }
        let major = (dev & 0x000f_ff00) >> 8;
        let minor = ((dev & 0xfff0_0000) >> 12) | (dev & 0xff);
        format!("dev {major},{minor}")
    }
}

/// `keygen_filldefaults`: a salt and calibrated iterations for PBKDF2, a
/// random key for `storedkey`.
fn fill_keygens(kgs: &mut [Keygen], keylen: usize) -> Result<(), String> {
    for kg in kgs {
        match kg.method {
            Method::RandomKey | Method::UrandomKey | Method::ShellCmd => {}
            Method::Pkcs5Pbkdf2Old | Method::Pkcs5Pbkdf2Sha1 => {
                kg.salt = Some(random_bits(DEFAULT_SALTLEN, true).ok_or("can't read random bits")?);
                kg.iterations = Some(
                    calibrate(bits2bytes(keylen), DEFAULT_ITERATION_TIME)
                        .ok_or("could not calibrate pkcs5_pbkdf2")?,
                );
            }
            Method::StoredKey => {
                kg.key = Some(
                    random_bits(keylen, true).ok_or("can't generate random bits for storedkey")?,
                );
            }
            Method::Unknown => return Err("unrecognised keygen method".into()),
        }
    }
    Ok(())
}

/// `params_cget`: the file, or `CGDCONFIG_DIR/file` for a relative name
/// not found; parse errors said.
fn params_cget(name: &str) -> Option<Params> {
    let text = std::fs::read_to_string(name).or_else(|e| {
        if name.starts_with('/') {
            Err((e, name.to_owned()))
        } else {
            let alt = format!("{CGDCONFIG_DIR}/{name}");
            std::fs::read_to_string(&alt).map_err(|e| (e, alt))
        }
    });
    let text = match text {
        Ok(t) => t,
        Err((e, n)) => {
            warnx(&format!("failed to open params file \"{n}\": {e}"));
            return None;
        }
    };
    match params::parse(&text) {
        Ok((p, warnings)) => {
            for w in warnings {
                warnx(&w);
            }
            Some(p)
        }
        Err(e) => {
            warnx(&format!("{name}: {e}"));
            warnx("failed to parse parameters file");
            None
        }
    }
}

/// `params_cput`: to `out`, or standard output.
fn put(p: &Params, out: Option<&str>) -> i32 {
    let text = match p.to_text() {
        Ok(t) => t,
        Err(e) => {
            warnx(&e);
            return -1;
        }
    };
    match out.filter(|o| !o.is_empty()) {
        Some(f) => match std::fs::write(f, text) {
            Ok(()) => 0,
            Err(e) => {
                warnx(&format!("could not open outfile \"{f}\": {e}"));
                -1
            }
        },
        None => {
            print!("{text}");
            0
        }
    }
}
