//! POSIX `getopt` for the tools: flags grouped (`-la`), an option's
//! argument in the same word or the next, `--` ending the options, and
//! the first operand ending them too.

/// Options and operands of one command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The options in the order given, each with its argument if it takes one.
    pub flags: Vec<(char, Option<String>)>,
    /// What follows the options.
    pub operands: Vec<String>,
}

impl Parsed {
    /// Whether option `c` was given.
    pub fn has(&self, c: char) -> bool {
        self.flags.iter().any(|(f, _)| *f == c)
    }

    /// The argument of the last `c` given.
    pub fn value(&self, c: char) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == c)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Parse `args` by `spec` (`"aR"`, a letter followed by `:` takes an
/// argument). `Err` is getopt's complaint, without the program name.
pub fn parse(args: &[String], spec: &str) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        let Some(group) = a.strip_prefix('-').filter(|g| !g.is_empty()) else {
            break;
        };
        for (at, c) in group.char_indices() {
            let Some(pos) = spec.find(c).filter(|_| c != ':') else {
                return Err(format!("unknown option -- {c}"));
            };
            if spec[pos + c.len_utf8()..].starts_with(':') {
                let rest = &group[at + c.len_utf8()..];
                let arg = if !rest.is_empty() {
                    rest.to_string()
                } else {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| format!("option requires an argument -- {c}"))?
                };
                p.flags.push((c, Some(arg)));
                break;
            }
            p.flags.push((c, None));
        }
        i += 1;
    }
    p.operands = args[i..].to_vec();
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn groups_arguments_and_the_end_of_options() {
        let p = parse(&words("-la -m755 -t x -- -f y"), "alm:t:").unwrap();
        assert!(p.has('l') && p.has('a'));
        assert_eq!(p.value('m'), Some("755"));
        assert_eq!(p.value('t'), Some("x"));
        assert_eq!(p.operands, words("-f y"));
        let p = parse(&words("-l file -a"), "la").unwrap();
        assert_eq!(
            p.operands,
            words("file -a"),
            "the first operand ends options"
        );
        assert_eq!(parse(&words("-"), "a").unwrap().operands, words("-"));
    }

    #[test]
    fn unknown_options_and_missing_arguments_are_errors() {
        assert_eq!(parse(&words("-x"), "a").unwrap_err(), "unknown option -- x");
        assert_eq!(
            parse(&words("-m"), "m:").unwrap_err(),
            "option requires an argument -- m"
        );
        assert!(parse(&words("-:"), "m:").is_err());
    }
}
