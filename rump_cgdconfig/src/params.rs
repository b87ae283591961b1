//! cgdconfig's parameters files (`params.c`, `cgdlex.l`, `cgdparse.y`):
//! the cipher, key length, IV method, verification method and the key
//! generators whose results are XORed into the key.
//!
//! ```text
//! algorithm aes-cbc;
//! iv-method encblkno1;
//! keylength 256;
//! verify_method none;
//! keygen storedkey key AAABAN...;
//! keygen pkcs5_pbkdf2/sha1 {
//!         iterations 39361;
//!         salt AAAAgK...;
//! };
//! ```
//!
//! Words are separated by blanks; `;` and new lines end statements; `#`
//! starts a comment to the end of the statement; a backslash before a
//! new line continues it; `"..."` quotes a word. The old keywords
//! `keygen_method`, `keygen_salt`, `keygen_iterations` and `xor_key` are
//! read as NetBSD reads them.

use crate::bits::Bits;

/// How a configured disk is checked (`verify_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Not given (becomes `None` when defaults are filled).
    Unknown,
    /// `none`.
    None,
    /// `disklabel`: a valid disk label in the first 8 KiB.
    Disklabel,
    /// `ffs`: an FFS superblock where FFS keeps one.
    Ffs,
    /// `re-enter`: the passphrase asked twice.
    Reenter,
    /// `mbr`: an MBR's magic.
    Mbr,
    /// `gpt`: a GPT header.
    Gpt,
}

impl Verify {
    fn from_name(s: &str) -> Verify {
        match s {
            "none" => Verify::None,
            "disklabel" => Verify::Disklabel,
            "ffs" => Verify::Ffs,
            "re-enter" => Verify::Reenter,
            "mbr" => Verify::Mbr,
            "gpt" => Verify::Gpt,
            _ => Verify::Unknown,
        }
    }

    fn name(self) -> Option<&'static str> {
        Some(match self {
            Verify::Unknown => return None,
            Verify::None => "none",
            Verify::Disklabel => "disklabel",
            Verify::Ffs => "ffs",
            Verify::Reenter => "re-enter",
            Verify::Mbr => "mbr",
            Verify::Gpt => "gpt",
        })
    }
}

/// A key generation method (`KEYGEN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Not named, or a name NetBSD does not know.
    Unknown,
    /// `pkcs5_pbkdf2`: the historic PBKDF2.
    Pkcs5Pbkdf2Old,
    /// `pkcs5_pbkdf2/sha1`.
    Pkcs5Pbkdf2Sha1,
    /// `randomkey`: from `/dev/random`.
    RandomKey,
    /// `urandomkey`: from `/dev/urandom`.
    UrandomKey,
    /// `storedkey`: the key in the file.
    StoredKey,
    /// `shell_cmd`: a command's output.
    ShellCmd,
}

impl Method {
    /// The method called `s` (`keygen_method`).
    pub fn from_name(s: &str) -> Method {
        match s {
            "pkcs5_pbkdf2" => Method::Pkcs5Pbkdf2Old,
            "pkcs5_pbkdf2/sha1" => Method::Pkcs5Pbkdf2Sha1,
            "randomkey" => Method::RandomKey,
            "urandomkey" => Method::UrandomKey,
            "storedkey" => Method::StoredKey,
            "shell_cmd" => Method::ShellCmd,
            _ => Method::Unknown,
        }
    }

    /// Whether this method asks for a passphrase.
    pub fn is_pbkdf2(self) -> bool {
        matches!(self, Method::Pkcs5Pbkdf2Old | Method::Pkcs5Pbkdf2Sha1)
    }
}

/// One key generator (`struct keygen`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keygen {
    /// `kg_method`.
    pub method: Method,
    /// `kg_iterations`.
    pub iterations: Option<usize>,
    /// `kg_salt`.
    pub salt: Option<Bits>,
    /// `kg_key`.
    pub key: Option<Bits>,
    /// `kg_cmd`.
    pub cmd: Option<String>,
}

impl Keygen {
    /// A generator of `method` with nothing else set (`keygen_generate`).
    pub fn new(method: Method) -> Keygen {
        Keygen {
            method,
            iterations: None,
            salt: None,
            key: None,
            cmd: None,
        }
    }

    /// `keygen_combine`: what `other` sets replaces this one's.
    fn combine(&mut self, other: Keygen) {
        if other.method != Method::Unknown {
            self.method = other.method;
        }
        if let Some(i) = other.iterations.filter(|&i| i > 0) {
            self.iterations = Some(i);
        }
        if other.salt.is_some() {
            self.salt = other.salt;
        }
        if other.key.is_some() {
            self.key = other.key;
        }
        if other.cmd.is_some() {
            self.cmd = other.cmd;
        }
    }
}

/// A parameters file (`struct params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// `algorithm`.
    pub algorithm: Option<String>,
    /// `iv-method`.
    pub ivmeth: Option<String>,
    /// `keylength`, in bits.
    pub keylen: Option<usize>,
    /// The block size (`-b`), in bits.
    pub bsize: Option<usize>,
    /// `verify_method`.
    pub verify_method: Verify,
    /// The key generators, in order.
    pub keygens: Vec<Keygen>,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            algorithm: None,
            ivmeth: None,
            keylen: None,
            bsize: None,
            verify_method: Verify::Unknown,
            keygens: Vec::new(),
        }
    }
}

/// The key lengths `params_filldefaults` gives (`crypto_defaults[]`).
const CRYPTO_DEFAULTS: &[(&str, usize)] = &[
    ("aes-cbc", 128),
    ("aes-xts", 256),
    ("3des-cbc", 192),
    ("blowfish-cbc", 128),
];

/// The default key length of `alg`, if cgdconfig knows the cipher.
pub fn default_keylen(alg: &str) -> Option<usize> {
    CRYPTO_DEFAULTS
        .iter()
        .find(|(a, _)| *a == alg)
        .map(|&(_, l)| l)
}

impl Params {
    /// `params_combine`: what `other` sets replaces this one's; its key
    /// generators follow this one's.
    pub fn combine(&mut self, other: Params) {
        if other.algorithm.is_some() {
            self.algorithm = other.algorithm;
        }
        if other.ivmeth.is_some() {
            self.ivmeth = other.ivmeth;
        }
        if other.keylen.is_some() {
            self.keylen = other.keylen;
        }
        if other.bsize.is_some() {
            self.bsize = other.bsize;
        }
        if other.verify_method != Verify::Unknown {
            self.verify_method = other.verify_method;
        }
        self.keygens.extend(other.keygens);
    }

    /// `params_filldefaults`: verification `none`, IV method `encblkno1`,
    /// the cipher's default key length. `Err` with NetBSD's complaint when
    /// the key length cannot be known.
    pub fn fill_defaults(&mut self) -> Result<(), String> {
        if self.verify_method == Verify::Unknown {
            self.verify_method = Verify::None;
        }
        if self.ivmeth.is_none() {
            self.ivmeth = Some("encblkno1".into());
        }
        if self.keylen.is_none() {
            let alg = self.algorithm.clone().unwrap_or_default();
            self.keylen = Some(default_keylen(&alg).ok_or_else(|| {
                format!("could not determine key length for unknown algorithm \"{alg}\"")
            })?);
        }
        Ok(())
    }

    /// `params_verify`: `Err` with the reason the parameters cannot be
    /// used; `warn` gets the complaints that are only warnings.
    pub fn verify(&self, warn: &mut dyn FnMut(String)) -> Result<(), String> {
        let alg = self.algorithm.as_deref().ok_or("unspecified algorithm")?;
        if default_keylen(alg).is_none() {
            warn(format!("unknown algorithm \"{alg}\"(warning)"));
        }
        let meth = self.ivmeth.as_deref().ok_or("unspecified IV method")?;
        if !matches!(meth, "encblkno" | "encblkno1" | "encblkno8") {
            warn(format!("unknown IV method \"{meth}\" (warning)"));
        }
        if self.keylen.is_none() {
            return Err("unspecified key length".into());
        }
        for kg in &self.keygens {
            kg.verify(warn)?;
        }
        Ok(())
    }

    /// `params_fput`: the file as cgdconfig writes it.
    pub fn to_text(&self) -> Result<String, String> {
        let mut out = String::new();
        if let Some(a) = &self.algorithm {
            out += &format!("algorithm {a};\n");
        }
        if let Some(m) = &self.ivmeth {
            out += &format!("iv-method {m};\n");
        }
        if let Some(l) = self.keylen {
            out += &format!("keylength {l};\n");
        }
        if let Some(b) = self.bsize {
            out += &format!("blocksize {b};\n");
        }
        let vm = self
            .verify_method
            .name()
            .ok_or_else(|| "unsupported verify_method (0)".to_owned())?;
        out += &format!("verify_method {vm};\n");
        for kg in &self.keygens {
            kg.put(&mut out)?;
        }
        Ok(out)
    }
}

/// Columns a base64 value wraps at (`WRAP_COL`), and the indent inside
/// braces (`TAB_COL`).
const WRAP_COL: usize = 50;
const TAB_COL: usize = 8;

/// `print_kvpair_b64`: `key value;` with the value wrapped by backslashed
/// new lines past `WRAP_COL`, continued under its first character.
fn put_b64(out: &mut String, curpos: usize, ts: usize, key: &str, val: &Bits) {
    let text = val.encode();
    out.push_str(&" ".repeat(ts));
    out.push_str(key);
    out.push(' ');
    let start = curpos + ts + key.len() + 1;
    let mut pos = start;
    for c in text.chars() {
        if pos > WRAP_COL {
            out.push_str(" \\\n");
            out.push_str(&" ".repeat(start));
            pos = start;
        }
        out.push(c);
        pos += 1;
    }
    out.push_str(";\n");
}

impl Keygen {
    /// `keygen_verify` of one generator.
    fn verify(&self, warn: &mut dyn FnMut(String)) -> Result<(), String> {
        let name = match self.method {
            Method::Pkcs5Pbkdf2Old => "pkcs5_pbkdf2",
            Method::Pkcs5Pbkdf2Sha1 => "pkcs5_pbkdf2/sha1",
            _ => "",
        };
        match self.method {
            Method::Pkcs5Pbkdf2Old | Method::Pkcs5Pbkdf2Sha1 => {
                if self.iterations.is_none() {
                    return Err(format!("keygen {name} must provide `iterations'"));
                }
                if self.key.is_some() {
                    warn(format!("keygen {name} does not need a `key'"));
                }
                if self.salt.is_none() {
                    return Err(format!("keygen {name} must provide a salt"));
                }
                if self.cmd.is_some() {
                    warn(format!("keygen {name} does not need a `cmd'"));
                }
            }
            Method::StoredKey => {
                if self.iterations.is_some() {
                    warn("keygen storedkey does not need `iterations'".into());
                }
                if self.key.is_none() {
                    return Err("keygen storedkey must provide a key".into());
                }
                if self.salt.is_some() {
                    warn("keygen storedkey does not need `salt'".into());
                }
                if self.cmd.is_some() {
                    warn("keygen storedkey does not need `cmd'".into());
                }
            }
            Method::RandomKey | Method::UrandomKey => {
                for (set, what) in [
                    (self.iterations.is_some(), "`iterations'"),
                    (self.key.is_some(), "`key'"),
                    (self.salt.is_some(), "`salt'"),
                    (self.cmd.is_some(), "`cmd'"),
                ] {
                    if set {
                        warn(format!("keygen [u]randomkey does not need {what}"));
                    }
                }
            }
            Method::ShellCmd => {
                for (set, what) in [
                    (self.iterations.is_some(), "`iterations'"),
                    (self.key.is_some(), "`key'"),
                    (self.salt.is_some(), "`salt'"),
                ] {
                    if set {
                        warn(format!("keygen shell_cmd does not need {what}"));
                    }
                }
                if self.cmd.is_none() {
                    return Err("keygen shell_cmd must provide a `cmd'".into());
                }
            }
            Method::Unknown => {}
        }
        Ok(())
    }

    /// `keygen_fput` of one generator.
    fn put(&self, out: &mut String) -> Result<(), String> {
        out.push_str("keygen ");
        let curpos = "keygen ".len();
        match self.method {
            Method::StoredKey => {
                out.push_str("storedkey ");
                // NetBSD's writes a statement without its end here.
                let k = self
                    .key
                    .as_ref()
                    .ok_or("keygen storedkey must provide a key")?;
                put_b64(out, curpos + "storedkey ".len(), 0, "key", k);
            }
            Method::RandomKey => out.push_str("randomkey;\n"),
            Method::UrandomKey => out.push_str("urandomkey;\n"),
            Method::Pkcs5Pbkdf2Old | Method::Pkcs5Pbkdf2Sha1 => {
                out.push_str(if self.method == Method::Pkcs5Pbkdf2Old {
                    "pkcs5_pbkdf2 {\n"
                } else {
                    "pkcs5_pbkdf2/sha1 {\n"
                });
                if let Some(i) = self.iterations {
                    out.push_str(&format!("{}iterations {i};\n", " ".repeat(TAB_COL)));
                }
                if let Some(s) = &self.salt {
                    put_b64(out, 0, TAB_COL, "salt", s);
                }
                out.push_str("};\n");
            }
            Method::ShellCmd | Method::Unknown => {
                return Err(format!(
                    "keygen_fput: {} not a valid method",
                    self.method as u32
                ));
            }
        }
        Ok(())
    }
}

/// A word of the file (`cgdlex.l`'s tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// A keyword, kept as written (it is also a string where one is due).
    Keyword(&'static str),
    /// `[0-9]+`.
    Integer(String),
    /// Any other word, or a quoted string.
    Str(String),
    /// `;` or a new line.
    Eol,
    /// `{` or `}`, or any other character on its own.
    Char(char),
}

const KEYWORDS: &[&str] = &[
    "algorithm",
    "keylength",
    "iv-method",
    "verify_method",
    "keygen",
    "salt",
    "iterations",
    "key",
    "cmd",
    "keygen_method",
    "keygen_salt",
    "keygen_iterations",
    "xor_key",
];

/// A parse error: the line (from 1) and what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line the offending word is on.
    pub line: usize,
    /// The word, as written.
    pub at: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: syntax error at '{}'", self.line, self.at)
    }
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ';' | '\n' => {
                out.push((Token::Eol, line));
                if c == '\n' {
                    line += 1;
                }
                i += 1;
            }
            ' ' | '\t' => i += 1,
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                line += 1;
                i += 2;
            }
            '#' => {
                while i < chars.len() && chars[i] != ';' && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => {
                let start = line;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                if i == chars.len() {
                    return Err(ParseError {
                        line: start,
                        at: format!("\"{s}"),
                    });
                }
                i += 1;
                out.push((Token::Str(s), start));
            }
            '{' | '}' => {
                out.push((Token::Char(c), line));
                i += 1;
            }
            _ => {
                let mut w = String::new();
                while i < chars.len() && !" }{\t\n;\"".contains(chars[i]) {
                    w.push(chars[i]);
                    i += 1;
                }
                let t = if w.bytes().all(|b| b.is_ascii_digit()) {
                    Token::Integer(w)
                } else if let Some(k) = KEYWORDS.iter().find(|k| **k == w) {
                    Token::Keyword(k)
                } else {
                    Token::Str(w)
                };
                out.push((t, line));
            }
        }
    }
    Ok(out)
}

/// The parser over the words (`cgdparse.y`).
struct Parser {
    toks: Vec<(Token, usize)>,
    pos: usize,
    /// Complaints that are only warnings (unknown names, bad base64).
    warnings: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn error(&self) -> ParseError {
        match self.toks.get(self.pos) {
            Some((t, line)) => ParseError {
                line: *line,
                at: match t {
                    Token::Keyword(k) => (*k).to_owned(),
                    Token::Integer(s) | Token::Str(s) => s.clone(),
                    Token::Eol => ";".into(),
                    Token::Char(c) => c.to_string(),
                },
            },
            None => ParseError {
                line: self.toks.last().map_or(1, |(_, l)| *l),
                at: String::new(),
            },
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).map(|(t, _)| t.clone());
        self.pos += 1;
        t
    }

    fn eol(&mut self) -> Result<(), ParseError> {
        match self.peek() {
            Some(Token::Eol) => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error()),
        }
    }

    /// `stringlit`: a string, a keyword or an integer, as text.
    fn string(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Token::Str(s) | Token::Integer(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            Some(Token::Keyword(k)) => {
                let k = (*k).to_owned();
                self.pos += 1;
                Ok(k)
            }
            _ => Err(self.error()),
        }
    }

    fn integer(&mut self) -> Result<usize, ParseError> {
        match self.peek() {
            Some(Token::Integer(s)) => {
                let v = s.parse().map_err(|_| self.error())?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error()),
        }
    }

    /// `bits`: strings up to the end of the statement, joined and decoded.
    fn bits(&mut self) -> Result<Option<Bits>, ParseError> {
        let mut text = self.string()?;
        while !matches!(self.peek(), Some(Token::Eol) | None) {
            text += &self.string()?;
        }
        self.eol()?;
        match Bits::decode(&text) {
            Ok(b) => Ok(Some(b)),
            Err(e) => {
                self.warnings.push(e);
                Ok(None)
            }
        }
    }

    /// `kgvar`, or `None` for an empty statement.
    fn kgvar(&mut self) -> Result<Option<Keygen>, ParseError> {
        let mut kg = Keygen::new(Method::Unknown);
        match self.next() {
            Some(Token::Keyword("salt")) => kg.salt = self.bits()?,
            Some(Token::Keyword("key")) => kg.key = self.bits()?,
            Some(Token::Keyword("iterations")) => {
                kg.iterations = Some(self.integer()?);
                self.eol()?;
            }
            Some(Token::Keyword("cmd")) => {
                kg.cmd = Some(self.string()?);
                self.eol()?;
            }
            Some(Token::Eol) => return Ok(None),
            _ => {
                self.pos -= 1;
                return Err(self.error());
            }
        }
        Ok(Some(kg))
    }

    fn method(&mut self, name: &str) -> Method {
        let m = Method::from_name(name);
        if m == Method::Unknown {
            self.warnings
                .push(format!("unrecognized key generation method \"{name}\""));
        }
        m
    }

    fn parse(&mut self) -> Result<Params, ParseError> {
        let mut p = Params::default();
        let mut dep: Option<Keygen> = None;
        while let Some(t) = self.next() {
            match t {
                Token::Eol => {}
                Token::Keyword("algorithm") => {
                    p.algorithm = Some(self.string()?);
                    self.eol()?;
                }
                Token::Keyword("keylength") => {
                    p.keylen = Some(self.integer()?);
                    self.eol()?;
                }
                Token::Keyword("iv-method") => {
                    p.ivmeth = Some(self.string()?);
                    self.eol()?;
                }
                Token::Keyword("verify_method") => {
                    let vm = self.string()?;
                    self.eol()?;
                    let v = Verify::from_name(&vm);
                    if v == Verify::Unknown {
                        self.warnings.push(format!(
                            "params_setverify_method: unrecognized verify method \"{vm}\""
                        ));
                    }
                    p.verify_method = v;
                }
                Token::Keyword("keygen") => {
                    let name = self.string()?;
                    let mut kg = if self.peek() == Some(&Token::Char('{')) {
                        self.pos += 1;
                        let mut kg = Keygen::new(Method::Unknown);
                        while self.peek() != Some(&Token::Char('}')) {
                            if self.peek().is_none() {
                                return Err(self.error());
                            }
                            if let Some(v) = self.kgvar()? {
                                kg.combine(v);
                            }
                        }
                        self.pos += 1;
                        kg
                    } else {
                        // `keygen randomkey;`: an empty statement is a body.
                        self.kgvar()?
                            .unwrap_or_else(|| Keygen::new(Method::Unknown))
                    };
                    self.eol()?;
                    kg.combine(Keygen::new(self.method(&name)));
                    p.keygens.push(kg);
                }
                Token::Keyword(
                    k @ ("keygen_method" | "keygen_salt" | "keygen_iterations" | "xor_key"),
                ) => {
                    let mut kg = Keygen::new(Method::Unknown);
                    match k {
                        "keygen_method" => {
                            let name = self.string()?;
                            self.eol()?;
                            kg.method = self.method(&name);
                        }
                        "keygen_iterations" => {
                            kg.iterations = Some(self.integer()?);
                            self.eol()?;
                        }
                        "keygen_salt" => kg.salt = self.bits()?,
                        _ => kg.key = self.bits()?,
                    }
                    dep.get_or_insert_with(|| Keygen::new(Method::Unknown))
                        .combine(kg);
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.error());
                }
            }
        }
        // params_fget: the old generator goes first, with 128 iterations
        // unless it said otherwise, and its xor_key as a stored key before it.
        if let Some(mut d) = dep {
            d.iterations.get_or_insert(128);
            let mut front = Vec::new();
            if let Some(key) = d.key.take() {
                let mut stored = Keygen::new(Method::StoredKey);
                stored.key = Some(key);
                front.push(stored);
            }
            front.push(d);
            front.append(&mut p.keygens);
            p.keygens = front;
        }
        Ok(p)
    }
}

/// Parse a parameters file (`params_fget`): the parameters and the
/// warnings NetBSD's parser prints on the way, or where it failed.
pub fn parse(text: &str) -> Result<(Params, Vec<String>), ParseError> {
    let mut parser = Parser {
        toks: lex(text)?,
        pos: 0,
        warnings: Vec::new(),
    };
    let p = parser.parse()?;
    Ok((p, parser.warnings))
}

#[cfg(test)]
mod tests;
