//! IPv4 duplicate address detection (RFC 5227, NetBSD's `arp_dad_*` in
//! `netinet/if_arp.c`): a new address on a broadcast interface is
//! tentative while ARP probes for it go out (`net.inet.ip.dad_count` of
//! them, the first after up to `PROBE_WAIT` seconds, the next 1 to 2
//! seconds apart); `ANNOUNCE_WAIT` seconds after the last one, with no
//! other host claiming it, it becomes usable and is announced twice,
//! `ANNOUNCE_INTERVAL` apart. A host that claims it while it is tentative
//! makes it `duplicated`, and it stays so until the interface goes down
//! and up again.
//!
//! This is the state alone (the address flags and the running probes),
//! driven by the caller's clock and random numbers; the stack sends.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// `IN_IFF_TENTATIVE` (`netinet/in_var.h`): DAD is running.
pub const IN_IFF_TENTATIVE: u32 = 0x01;
/// `IN_IFF_DUPLICATED`: another host has the address.
pub const IN_IFF_DUPLICATED: u32 = 0x02;
/// `IN_IFF_DETACHED`: the interface is down; DAD runs when it comes up.
pub const IN_IFF_DETACHED: u32 = 0x04;
/// `IN_IFF_TRYTENTATIVE`: DAD is wanted (never seen outside `in_ifinit`).
pub const IN_IFF_TRYTENTATIVE: u32 = 0x08;
/// `IN_IFF_NOTREADY`: the address may not be used.
pub const IN_IFF_NOTREADY: u32 = IN_IFF_TRYTENTATIVE | IN_IFF_TENTATIVE | IN_IFF_DUPLICATED;

/// `PROBE_WAIT` (`netinet/if_inarp.h`): the first probe goes out within
/// this many seconds.
pub const PROBE_WAIT: u64 = 1;
/// `PROBE_NUM`: probes sent by default (`net.inet.ip.dad_count`).
pub const PROBE_NUM: i32 = 3;
/// `PROBE_MIN`, `PROBE_MAX`: seconds between probes.
pub const PROBE_MIN: u64 = 1;
/// See [`PROBE_MIN`].
pub const PROBE_MAX: u64 = 2;
/// `ANNOUNCE_WAIT`: seconds after the last probe before the address is
/// taken.
pub const ANNOUNCE_WAIT: u64 = 2;
/// `ANNOUNCE_NUM`: announcements once it is taken.
pub const ANNOUNCE_NUM: u32 = 2;
/// `ANNOUNCE_INTERVAL`: seconds between announcements.
pub const ANNOUNCE_INTERVAL: u64 = 2;
/// `dad_maxtry`: timer runs without the interface up and running before
/// DAD gives up (and the address stays tentative, as on NetBSD).
pub const MAX_TRIES: u32 = 15;
/// The kernel's clock rate (`hz`): NetBSD counts these delays in ticks.
const HZ: u64 = 100;

/// One tick.
fn ticks(n: u64) -> Duration {
    Duration::from_millis(n * 1000 / HZ)
}

/// One address's detection under way (`struct dadq`).
#[derive(Debug)]
struct Job {
    /// Probes to send (`dad_count`).
    count: i32,
    /// Timer runs since the last probe that went out (`dad_arp_tcount`).
    tries: u32,
    /// Probes sent (`dad_arp_ocount`).
    sent: i32,
    /// Announcements to make (`dad_arp_announce`).
    announce: u32,
    /// Announcements made (`dad_arp_acount`).
    announced: u32,
    /// When the timer runs next.
    at: Duration,
}

/// What the stack has to do for an address when time passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a probe: an ARP request for the address from 0.0.0.0.
    Probe(u16, u32),
    /// No one answered: the address is usable now (say `RTM_NEWADDR`)
    /// and this is its first announcement.
    Usable(u16, u32),
    /// Announce the address again (a gratuitous ARP request).
    Announce(u16, u32),
    /// The interface was never up and running: DAD gave up and the
    /// address stays tentative (`could not run DAD, driver problem?`).
    GaveUp(u16, u32),
}

/// The flags of every address and the detections under way.
#[derive(Debug, Default)]
pub struct Dad {
    flags: HashMap<(u16, u32), u32>,
    jobs: HashMap<(u16, u32), Job>,
    /// The addresses that take detection (NetBSD's `ia_dad_start` is
    /// set): those added while their interface was up and running.
    armed: HashSet<(u16, u32)>,
}

impl Dad {
    /// The `IN_IFF_*` flags of `addr` on `ifindex` (`SIOCGIFAFLAG_IN`).
    pub fn flags(&self, ifindex: u16, addr: u32) -> u32 {
        self.flags.get(&(ifindex, addr)).copied().unwrap_or(0)
    }

    /// Set the flags of `addr` on `ifindex`.
    pub fn set_flags(&mut self, ifindex: u16, addr: u32, flags: u32) {
        if flags == 0 {
            self.flags.remove(&(ifindex, addr));
        } else {
            self.flags.insert((ifindex, addr), flags);
        }
    }

    /// A new address takes detection (`arp_ifinit` with
    /// `IN_IFF_TRYTENTATIVE`): it is tentative until [`Dad::start`] and the
    /// timer are done with it, and again each time its interface comes
    /// back up.
    pub fn arm(&mut self, ifindex: u16, addr: u32) {
        self.armed.insert((ifindex, addr));
        let f = self.flags(ifindex, addr);
        self.set_flags(ifindex, addr, f | IN_IFF_TENTATIVE);
    }

    /// Whether the address takes detection (see [`Dad::arm`]).
    pub fn is_armed(&self, ifindex: u16, addr: u32) -> bool {
        self.armed.contains(&(ifindex, addr))
    }

    /// Whether `addr` on `ifindex` may not be used (`IN_IFF_NOTREADY`).
    pub fn not_ready(&self, ifindex: u16, addr: u32) -> bool {
        self.flags(ifindex, addr) & IN_IFF_NOTREADY != 0
    }

    /// The address is gone (`in_purgeaddr`): its detection stops and its
    /// flags go.
    pub fn forget(&mut self, ifindex: u16, addr: u32) {
        self.jobs.remove(&(ifindex, addr));
        self.flags.remove(&(ifindex, addr));
        self.armed.remove(&(ifindex, addr));
    }

    /// Stop the detection for `addr`, if one runs (`arp_dad_stop`).
    pub fn stop(&mut self, ifindex: u16, addr: u32) {
        self.jobs.remove(&(ifindex, addr));
    }

    /// Start detection for a tentative address (`arp_dad_start`) with
    /// `count` probes (`net.inet.ip.dad_count`), the first after `delay`
    /// (drawn below `PROBE_WAIT`). With no probes to send the address is
    /// usable at once: the answer is `false`, and the caller announces it.
    /// An address whose interface is down waits (tentative) for it to
    /// come up; a detection already running goes on.
    pub fn start(
        &mut self,
        ifindex: u16,
        addr: u32,
        count: i32,
        if_up: bool,
        now: Duration,
        random: u32,
    ) -> bool {
        let key = (ifindex, addr);
        if self.flags(ifindex, addr) & IN_IFF_TENTATIVE == 0 {
            return true;
        }
        if count == 0 {
            self.set_flags(ifindex, addr, self.flags(ifindex, addr) & !IN_IFF_TENTATIVE);
            return false;
        }
        if !if_up || self.jobs.contains_key(&key) {
            return true;
        }
        let delay = ticks(u64::from(random) % (PROBE_WAIT * HZ));
        self.jobs.insert(
            key,
            Job {
                count,
                tries: 0,
                sent: 0,
                announce: 0,
                announced: 0,
                at: now + delay,
            },
        );
        true
    }

    /// A host claimed the address while it was tentative
    /// (`arp_dad_duplicated`): it is `duplicated` now, and its detection
    /// ends. The answer is how many probes had gone out, or `None` when
    /// no detection was running (then nothing changes).
    pub fn duplicated(&mut self, ifindex: u16, addr: u32) -> Option<i32> {
        let job = self.jobs.remove(&(ifindex, addr))?;
        let f = self.flags(ifindex, addr);
        self.set_flags(ifindex, addr, (f & !IN_IFF_TENTATIVE) | IN_IFF_DUPLICATED);
        Some(job.sent)
    }

    /// When the timer should run next.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.jobs.values().map(|j| j.at).min()
    }

    /// Time passes (`arp_dad_timer` for each address that is due):
    /// `running` says whether an interface is up and running (probes go
    /// out only then), `random` draws the gap between probes. The answer
    /// is what to send, in order.
    pub fn tick(
        &mut self,
        now: Duration,
        running: impl Fn(u16) -> bool,
        mut random: impl FnMut() -> u32,
    ) -> Vec<Action> {
        let mut due: Vec<(u16, u32)> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.at <= now)
            .map(|(k, _)| *k)
            .collect();
        due.sort_by_key(|k| self.jobs[k].at);
        let mut out = Vec::new();
        for key in due {
            let (ifindex, addr) = key;
            let tentative = self.flags(ifindex, addr) & IN_IFF_TENTATIVE != 0;
            let Some(job) = self.jobs.get_mut(&key) else {
                continue;
            };
            if !tentative && job.announced == 0 {
                // Its flags changed under it (it was made usable or
                // duplicated): nothing left to do.
                self.jobs.remove(&key);
                continue;
            }
            if job.tries > MAX_TRIES {
                self.jobs.remove(&key);
                out.push(Action::GaveUp(ifindex, addr));
                continue;
            }
            if job.sent < job.count {
                job.tries += 1;
                if running(ifindex) {
                    job.tries = 0;
                    job.sent += 1;
                    out.push(Action::Probe(ifindex, addr));
                }
                let gap = if job.sent < job.count {
                    let span = (PROBE_MAX - PROBE_MIN) * HZ;
                    ticks(PROBE_MIN * HZ + u64::from(random()) % span)
                } else {
                    ticks(ANNOUNCE_WAIT * HZ)
                };
                job.at = now + gap;
                continue;
            }
            if job.announced == 0 {
                job.announce = ANNOUNCE_NUM;
                job.announced = 1;
                out.push(Action::Usable(ifindex, addr));
            } else if job.announced < job.announce {
                job.announced += 1;
                out.push(Action::Announce(ifindex, addr));
            }
            let more = job.announced < job.announce;
            if more {
                job.at = now + ticks(ANNOUNCE_INTERVAL * HZ);
            } else {
                self.jobs.remove(&key);
            }
            if out.last() == Some(&Action::Usable(ifindex, addr)) {
                let f = self.flags(ifindex, addr);
                self.set_flags(ifindex, addr, f & !IN_IFF_TENTATIVE);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u32 = 0x0a00_0001;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Run the timer from `from` until nothing is left, returning each
    /// action with its time.
    fn run(d: &mut Dad, running: bool, rand: u32) -> Vec<(Duration, Action)> {
        let mut out = Vec::new();
        while let Some(at) = d.next_deadline() {
            for a in d.tick(at, |_| running, || rand) {
                out.push((at, a));
            }
        }
        out
    }

    #[test]
    fn probes_then_announcements_with_netbsds_timing() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        // 250 % 100 ticks: the first probe after 0.5 s; 250 % 100 more
        // ticks past PROBE_MIN between probes: 1.5 s.
        assert!(d.start(1, A, PROBE_NUM, true, ms(0), 250));
        assert!(d.not_ready(1, A));
        let seen = run(&mut d, true, 250);
        assert_eq!(
            seen,
            [
                (ms(500), Action::Probe(1, A)),
                (ms(2000), Action::Probe(1, A)),
                (ms(3500), Action::Probe(1, A)),
                (ms(5500), Action::Usable(1, A)),
                (ms(7500), Action::Announce(1, A)),
            ]
        );
        assert_eq!(d.flags(1, A), 0);
        assert!(!d.not_ready(1, A));
    }

    #[test]
    fn the_longest_tentative_phase_is_under_seven_seconds() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        d.start(1, A, PROBE_NUM, true, ms(0), 99);
        let seen = run(&mut d, true, 99);
        let usable = seen
            .iter()
            .find(|(_, a)| matches!(a, Action::Usable(..)))
            .unwrap();
        assert_eq!(usable.0, ms(990 + 1990 + 1990 + 2000));
    }

    #[test]
    fn no_probes_means_usable_at_once() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        assert!(!d.start(1, A, 0, true, ms(0), 0));
        assert_eq!(d.flags(1, A), 0);
        assert_eq!(d.next_deadline(), None);
    }

    #[test]
    fn a_claim_while_tentative_marks_it_duplicated() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        d.start(1, A, PROBE_NUM, true, ms(0), 0);
        assert_eq!(d.tick(ms(0), |_| true, || 0), [Action::Probe(1, A)]);
        assert_eq!(d.duplicated(1, A), Some(1));
        assert_eq!(d.flags(1, A), IN_IFF_DUPLICATED);
        assert!(d.not_ready(1, A));
        assert_eq!(d.next_deadline(), None);
        // Once it is over, a late claim changes nothing.
        assert_eq!(d.duplicated(1, A), None);
    }

    #[test]
    fn a_down_interface_sends_nothing_and_dad_gives_up() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        d.start(1, A, PROBE_NUM, true, ms(0), 0);
        let seen = run(&mut d, false, 0);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1, Action::GaveUp(1, A));
        assert_eq!(d.flags(1, A), IN_IFF_TENTATIVE);
        // Nor does it start while the interface is down.
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        assert!(d.start(1, A, PROBE_NUM, false, ms(0), 0));
        assert_eq!(d.next_deadline(), None);
    }

    #[test]
    fn stopping_and_forgetting() {
        let mut d = Dad::default();
        d.set_flags(1, A, IN_IFF_TENTATIVE);
        d.start(1, A, PROBE_NUM, true, ms(0), 0);
        d.stop(1, A);
        assert_eq!(d.next_deadline(), None);
        assert_eq!(d.flags(1, A), IN_IFF_TENTATIVE);
        d.forget(1, A);
        assert_eq!(d.flags(1, A), 0);
    }
}
