//! Keys: passphrases, key generators and random bits, made on the host.

use crate::*;
use rump_cgdconfig::bits::{Bits, bits2bytes};
use rump_cgdconfig::params::{Keygen, Method};
use rump_cgdconfig::pkcs5;
use std::io::{BufRead, Read, Write};

impl Run {
    /// `maybe_getpass`: a line from standard input with `-p`, else from
    /// the terminal without echo.
    pub(crate) fn getpass(&self, prompt: &str) -> Result<Vec<u8>, String> {
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
    pub(crate) fn getkey(&self, dev: &str, kgs: &mut [Keygen], len: usize) -> Result<Bits, String> {
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
}

/// `bits_getrandombits`: `bits` bits from the host's `/dev/random` (hard)
/// or `/dev/urandom`.
pub(crate) fn random_bits(bits: usize, hard: bool) -> Option<Bits> {
    let path = if hard { "/dev/random" } else { "/dev/urandom" };
    let mut buf = vec![0u8; bits2bytes(bits)];
    std::fs::File::open(path).ok()?.read_exact(&mut buf).ok()?;
    Some(Bits::new(&buf, bits))
}

/// `pkcs5_pbkdf2_calibrate`: the iterations that take about `micros`.
pub(crate) fn calibrate(dklen: usize, micros: u64) -> Option<usize> {
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

/// `keygen_filldefaults`: a salt and calibrated iterations for PBKDF2, a
/// random key for `storedkey`.
pub(crate) fn fill_keygens(kgs: &mut [Keygen], keylen: usize) -> Result<(), String> {
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
