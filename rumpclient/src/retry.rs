//! What a client does when its connection to the server is lost
//! (`RUMPHIJACK_RETRYCONNECT`, `rumpclient_setconnretry`).

use std::time::Duration;

/// The reconnect policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Fail the call with ENOTCONN (the default).
    Never,
    /// One reconnect attempt per failure (`once`).
    Once,
    /// Keep trying for ever (`inftime`).
    Forever,
    /// Keep trying for this many seconds after the first failure.
    Seconds(u64),
    /// Exit the program with status 1 (`die`).
    Die,
}

impl Retry {
    /// Parse a `RUMPHIJACK_RETRYCONNECT` value, as NetBSD does.
    pub fn parse(v: &str) -> Result<Retry, String> {
        match v {
            "inftime" => Ok(Retry::Forever),
            "once" => Ok(Retry::Once),
            "die" => Ok(Retry::Die),
            n => match n.parse::<i64>() {
                Ok(s) if s > 0 => Ok(Retry::Seconds(s as u64)),
                _ => Err(format!(
                    "RUMPHIJACK_RETRYCONNECT must be keyword or integer, got: {v}"
                )),
            },
        }
    }

    /// The policy `RUMPHIJACK_RETRYCONNECT` asks for; `Never` when unset.
    pub fn from_env() -> Result<Retry, String> {
        match std::env::var("RUMPHIJACK_RETRYCONNECT") {
            Ok(v) => Retry::parse(&v),
            Err(_) => Ok(Retry::Never),
        }
    }
}

/// The wait before reconnect attempt `k` (0, 1, ...): 0.1 s steps for the
/// first ten, then whole seconds up to ten, as NetBSD's client waits.
pub fn backoff(k: u32) -> Duration {
    if k < 10 {
        Duration::from_millis(100 * u64::from(k))
    } else {
        Duration::from_secs(u64::from((k - 9).min(10)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(Retry::parse("inftime"), Ok(Retry::Forever));
        assert_eq!(Retry::parse("once"), Ok(Retry::Once));
        assert_eq!(Retry::parse("die"), Ok(Retry::Die));
        assert_eq!(Retry::parse("30"), Ok(Retry::Seconds(30)));
        assert!(Retry::parse("0").is_err());
        assert!(Retry::parse("Once").unwrap_err().contains("got: Once"));
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(3), Duration::from_millis(300));
        assert_eq!(backoff(10), Duration::from_secs(1));
        assert_eq!(backoff(40), Duration::from_secs(10));
    }
}
