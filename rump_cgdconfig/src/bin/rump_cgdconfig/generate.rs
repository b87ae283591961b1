//! Parameters files: generating them, converting them, and reading the one of a cgd.

use crate::*;
use rump_cgdconfig::params::{self, Keygen, Method, Params, Verify};

impl Run {
    /// `generate`: `alg [keylen]`.
    pub(crate) fn generate(
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
    pub(crate) fn generate_convert(
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
}

/// `params_cget`: the file, or `CGDCONFIG_DIR/file` for a relative name
/// not found; parse errors said.
pub(crate) fn params_cget(name: &str) -> Option<Params> {
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
pub(crate) fn put(p: &Params, out: Option<&str>) -> i32 {
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
