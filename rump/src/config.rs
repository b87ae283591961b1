//! Boot configuration: `RUMP_NCPU`, `RUMP_VERBOSE`, `RUMP_THREADS`,
//! `RUMP_MEMLIMIT` and `RUMP_NVNODES`, as `rump(3)` describes them.

/// How a kernel is configured at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootConfig {
    /// Virtual CPUs: how many threads may execute inside the kernel at once.
    pub ncpu: usize,
    /// Print boot messages (bootverbose).
    pub verbose: bool,
    /// Whether the kernel may create threads of its own.
    pub threads: bool,
    /// Kernel memory limit in bytes; `None` is as much as the host allows.
    pub memlimit: Option<u64>,
    /// `kern.maxvnodes`, handed to the VFS faction.
    pub nvnodes: u64,
    /// The initial `kern.hostname`.
    pub hostname: String,
}

/// A `RUMP_*` variable whose value could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable's name, e.g. `RUMP_NCPU`.
    pub variable: &'static str,
    /// The value that was given.
    pub value: String,
    /// What was expected instead.
    pub expected: &'static str,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={:?}: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// The default `kern.maxvnodes` of a rump kernel.
pub const DEFAULT_NVNODES: u64 = 1024;

/// Most virtual CPUs a kernel accepts (NetBSD's MAXCPUS on amd64).
pub const MAX_NCPU: usize = 256;

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            ncpu: rumpuser::host_ncpu(),
            verbose: false,
            threads: true,
            memlimit: None,
            nvnodes: DEFAULT_NVNODES,
            // NetBSD's rump kernels call themselves after the host process.
            hostname: format!("rump-{:05}.{}", rumpuser::host_pid(), rumpuser::hostname()),
        }
    }
}

impl BootConfig {
    /// The configuration the host's `RUMP_*` parameters ask for.
    pub fn from_host() -> Result<BootConfig, ConfigError> {
        BootConfig::from_lookup(rumpuser::param)
    }

    /// The configuration given by `lookup`, which maps a variable name to its
    /// value (tests pass a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<BootConfig, ConfigError> {
        let mut c = BootConfig::default();
        if let Some(v) = lookup("RUMP_NCPU") {
            c.ncpu = parse_ncpu(&v)?;
        }
        if let Some(v) = lookup("RUMP_VERBOSE") {
            c.verbose = parse_int("RUMP_VERBOSE", &v)? != 0;
        }
        if let Some(v) = lookup("RUMP_THREADS") {
            c.threads = parse_int("RUMP_THREADS", &v)? != 0;
        }
        if let Some(v) = lookup("RUMP_MEMLIMIT") {
            c.memlimit = Some(parse_size(&v).ok_or(ConfigError {
                variable: "RUMP_MEMLIMIT",
                value: v.clone(),
                expected: "a byte count, optionally with a k, m or g suffix",
            })?);
        }
        if let Some(v) = lookup("RUMP_NVNODES") {
            c.nvnodes = parse_int("RUMP_NVNODES", &v)?;
            if c.nvnodes == 0 {
                return Err(ConfigError {
                    variable: "RUMP_NVNODES",
                    value: v,
                    expected: "a positive number",
                });
            }
        }
        Ok(c)
    }
}

fn parse_int(variable: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.trim().parse::<u64>().map_err(|_| ConfigError {
        variable,
        value: v.to_owned(),
        expected: "a non-negative decimal number",
    })
}

fn parse_ncpu(v: &str) -> Result<usize, ConfigError> {
    if v.trim() == "host" {
        return Ok(rumpuser::host_ncpu());
    }
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_NCPU).contains(&n) => Ok(n),
        _ => Err(ConfigError {
            variable: "RUMP_NCPU",
            value: v.to_owned(),
            expected: "a number of CPUs from 1 to 256, or \"host\"",
        }),
    }
}

/// Parse a byte count with an optional `k`, `m`, `g` (or `t`) suffix, either
/// case, as `RUMP_MEMLIMIT` and `rump_server -r` take it.
pub fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (digits, mult) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (&v[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&v[..i], 1 << 20),
        (i, 'g' | 'G') => (&v[..i], 1 << 30),
        (i, 't' | 'T') => (&v[..i], 1 << 40),
        _ => (v, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<BootConfig, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BootConfig::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn parses_every_variable() {
        let c = cfg(&[
            ("RUMP_NCPU", "3"),
            ("RUMP_VERBOSE", "1"),
            ("RUMP_THREADS", "0"),
            ("RUMP_MEMLIMIT", "16m"),
            ("RUMP_NVNODES", "77"),
        ])
        .unwrap();
        assert_eq!(
            (c.ncpu, c.verbose, c.threads, c.memlimit, c.nvnodes),
            (3, true, false, Some(16 << 20), 77)
        );
        assert_eq!(
            cfg(&[("RUMP_NCPU", "host")]).unwrap().ncpu,
            rumpuser::host_ncpu()
        );
        let d = cfg(&[]).unwrap();
        assert_eq!((d.threads, d.memlimit, d.nvnodes), (true, None, 1024));
    }

    #[test]
    fn errors_name_the_variable() {
        for (k, v) in [
            ("RUMP_NCPU", "lots"),
            ("RUMP_NCPU", "0"),
            ("RUMP_MEMLIMIT", "12q"),
            ("RUMP_MEMLIMIT", "k"),
            ("RUMP_VERBOSE", "-1"),
            ("RUMP_THREADS", "yes"),
            ("RUMP_NVNODES", "0"),
        ] {
            let e = cfg(&[(k, v)]).unwrap_err();
            assert_eq!(e.variable, k);
            assert!(e.to_string().starts_with(k), "{e}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("2k"), Some(2048));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("99999999999999999999g"), None);
        assert_eq!(parse_size(""), None);
    }
}
