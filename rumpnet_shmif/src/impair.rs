//! A bus that loses, repeats and reorders frames, for testing protocols
//! against a bad link: `RUMP_SHMIF_IMPAIR=drop=5,dup=1,reorder=5` (shares
//! in percent, applied to each frame this kernel sends).

use crate::bus::PktHdr;

/// How badly frames are treated.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Share of frames dropped, 0 to 1.
    pub drop: f64,
    /// Share of frames sent twice.
    pub dup: f64,
    /// Share of frames held back and sent after the next one.
    pub reorder: f64,
}

impl Impairment {
    /// Parse `key=percent` pairs separated by commas.
    pub fn parse(s: &str) -> Result<Impairment, String> {
        let mut i = Impairment::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part}: expected key=percent"))?;
            let v: f64 = v
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=100.0).contains(v))
                .ok_or_else(|| format!("{part}: the share must be a percentage from 0 to 100"))?;
            match k {
                "drop" => i.drop = v / 100.0,
                "dup" => i.dup = v / 100.0,
                "reorder" => i.reorder = v / 100.0,
                _ => return Err(format!("{k}: unknown (drop, dup and reorder are known)")),
            }
        }
        Ok(i)
    }

    /// Whether anything is impaired.
    pub fn is_active(&self) -> bool {
        self.drop > 0.0 || self.dup > 0.0 || self.reorder > 0.0
    }
}

/// The impairment with its random state and the frame held back.
pub struct Impairer {
    how: Impairment,
    rng: u64,
    held: Option<(PktHdr, Vec<u8>)>,
}

impl Impairer {
    /// Start impairing `how`, seeded with `seed`.
    pub fn new(how: Impairment, seed: u64) -> Impairer {
        Impairer {
            how,
            rng: seed | 1,
            held: None,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        ((self.rng >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// What to put on the bus for one frame, in order.
    pub fn frames(&mut self, hdr: PktHdr, frame: &[u8]) -> Vec<(PktHdr, Vec<u8>)> {
        if self.chance(self.how.drop) {
            return self.held.take().into_iter().collect();
        }
        let mut out = Vec::new();
        if self.held.is_none() && self.chance(self.how.reorder) {
            self.held = Some((hdr, frame.to_vec()));
            return out;
        }
        out.push((hdr, frame.to_vec()));
        if self.chance(self.how.dup) {
            out.push((hdr, frame.to_vec()));
        }
        out.extend(self.held.take());
        out
    }

    /// The frame held back, if any (sent when the link goes quiet).
    pub fn flush(&mut self) -> Option<(PktHdr, Vec<u8>)> {
        self.held.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let i = Impairment::parse("drop=5,dup=1.5,reorder=10").unwrap();
        assert_eq!((i.drop, i.dup, i.reorder), (0.05, 0.015, 0.1));
        assert!(Impairment::parse("drop=101").is_err());
        assert!(Impairment::parse("lose=5").is_err());
        assert!(Impairment::parse("drop").is_err());
        assert!(!Impairment::parse("").unwrap().is_active());
    }

    #[test]
    fn shares_come_out_about_right_and_nothing_is_lost_by_reordering() {
        let how = Impairment::parse("drop=5,dup=2,reorder=5").unwrap();
        let mut m = Impairer::new(how, 42);
        let mut sent = Vec::new();
        for n in 0..100_000u32 {
            for (h, _) in m.frames(
                PktHdr {
                    len: n,
                    ..PktHdr::default()
                },
                &[],
            ) {
                sent.push(h.len);
            }
        }
        sent.extend(m.flush().map(|(h, _)| h.len));
        let lost = 100_000 - {
            let mut u = sent.clone();
            u.sort_unstable();
            u.dedup();
            u.len()
        };
        assert!((4000..6000).contains(&lost), "{lost}");
        let dups = sent.len() - (100_000 - lost);
        assert!((1500..2600).contains(&dups), "{dups}");
        let out_of_order = sent.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(out_of_order > 3000, "{out_of_order}");
    }
}
