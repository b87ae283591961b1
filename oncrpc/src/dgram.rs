//! ONC RPC over a datagram transport (UDP): each call is one datagram,
//! sent again with the same xid when no reply comes within the
//! retransmission timeout (so that a server's duplicate request cache
//! sees one call, however often it was sent). As NetBSD's `nfs_timer`
//! does, the timeout starts from a smoothed estimate of the round trip
//! and its deviation once calls have been answered (the mount's `timeo`
//! before that, and as its upper bound), and doubles after each
//! unanswered try up to a ceiling; a retransmitted call's round trip is
//! not measured (Karn's rule).

use crate::rpc::{CallHeader, Credentials, RpcError, decode_reply, encode_call, reply_xid};
use netbsd_abi::Errno;
use std::time::{Duration, Instant};

/// The largest reply taken: a datagram's most (the IP limit).
const MAX_DATAGRAM: usize = 65535;
/// The least estimated timeout (NetBSD's timer ticks every few
/// milliseconds).
const MIN_RTO: Duration = Duration::from_millis(10);

/// A datagram socket as [`DatagramClient`] uses it (the kernel's UDP
/// socket for the NFS client).
pub trait Datagrams {
    /// Send `msg` as one datagram to the server.
    fn send(&mut self, msg: &[u8]) -> Result<(), Errno>;
    /// Receive one datagram into `buf`, waiting at most `wait`: its
    /// length, or `None` when none came in time.
    fn recv(&mut self, buf: &mut [u8], wait: Duration) -> Result<Option<usize>, Errno>;
}

/// How a datagram client retransmits.
#[derive(Clone, Copy, Debug)]
pub struct Retransmit {
    /// The first timeout (NetBSD's `timeo`).
    pub timeo: Duration,
    /// The ceiling the timeout doubles up to (`NFS_MAXTIMEO`).
    pub max_timeo: Duration,
    /// Sends of one call before it fails with ETIMEDOUT (`retrans`).
    pub tries: u32,
}

/// An RPC client over one datagram socket.
pub struct DatagramClient<D> {
    sock: D,
    next_xid: u32,
    how: Retransmit,
    buf: Vec<u8>,
    /// The smoothed round trip and its mean deviation, once measured.
    rtt: Option<(Duration, Duration)>,
}

impl<D: Datagrams> DatagramClient<D> {
    /// A client on `sock`; the first xid is `xid`.
    pub fn new(sock: D, xid: u32, how: Retransmit) -> DatagramClient<D> {
        DatagramClient {
            sock,
            next_xid: xid,
            how,
            buf: vec![0; MAX_DATAGRAM],
            rtt: None,
        }
    }

    /// The first try's timeout: the estimate (smoothed round trip plus
    /// four deviations), within [`MIN_RTO`] and `timeo`.
    fn rto(&self) -> Duration {
        match self.rtt {
            Some((srtt, dev)) => (srtt + dev * 4).clamp(MIN_RTO, self.how.timeo.max(MIN_RTO)),
            None => self.how.timeo,
        }
    }

    /// Take a measured round trip into the estimate (gains 1/8 and 1/4).
    fn sample(&mut self, rtt: Duration) {
        self.rtt = Some(match self.rtt {
            None => (rtt, rtt / 2),
            Some((srtt, dev)) => {
                let err = rtt.abs_diff(srtt);
                (srtt - srtt / 8 + rtt / 8, dev - dev / 4 + err / 4)
            }
        });
    }

    /// Call procedure `proc` of `prog` version `vers` with `args`: the
    /// results, undecoded. Replies to other xids (late answers to calls
    /// given up on, duplicates) are skipped; after `tries` sends without
    /// an answer the call fails with ETIMEDOUT.
    pub fn call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        let h = CallHeader {
            xid,
            prog,
            vers,
            proc,
        };
        let msg = encode_call(h, cred, args);
        let mut rto = self.rto();
        for try_no in 0..self.how.tries.max(1) {
            self.sock.send(&msg).map_err(RpcError::Transport)?;
            let sent = Instant::now();
            let deadline = sent + rto;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let n = match self.sock.recv(&mut self.buf, left) {
                    Ok(Some(n)) => n,
                    Ok(None) => break,
                    // An ICMP port unreachable for an earlier datagram: the
                    // server may be restarting; wait on as for silence.
                    Err(Errno::ECONNREFUSED) => continue,
                    Err(e) => return Err(RpcError::Transport(e)),
                };
                let reply = &self.buf[..n];
                if reply_xid(reply) == Some(xid) {
                    let r = decode_reply(reply, xid).map(<[u8]>::to_vec);
                    if try_no == 0 {
                        self.sample(sent.elapsed());
                    }
                    return r;
                }
            }
            rto = (rto * 2).min(self.how.max_timeo);
        }
        Err(RpcError::Transport(Errno::ETIMEDOUT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xdr::Encoder;
    use std::collections::VecDeque;

    /// A socket whose replies are scripted per send: `None` loses the
    /// call, `Some(xids)` answers with those xids.
    struct Lossy {
        script: VecDeque<Option<Vec<u32>>>,
        queued: VecDeque<Vec<u8>>,
        sends: Vec<(Instant, u32)>,
    }

    impl Datagrams for Lossy {
        fn send(&mut self, msg: &[u8]) -> Result<(), Errno> {
            let xid = reply_xid(msg).unwrap();
            self.sends.push((Instant::now(), xid));
            if let Some(Some(xids)) = self.script.pop_front() {
                for x in xids {
                    let mut e = Encoder::new();
                    e.u32(x).u32(1).u32(0).u32(0).u32(0).u32(0).u32(x);
                    self.queued.push_back(e.into_bytes());
                }
            }
            Ok(())
        }

        fn recv(&mut self, buf: &mut [u8], wait: Duration) -> Result<Option<usize>, Errno> {
            match self.queued.pop_front() {
                Some(m) => {
                    buf[..m.len()].copy_from_slice(&m);
                    Ok(Some(m.len()))
                }
                None => {
                    std::thread::sleep(wait);
                    Ok(None)
                }
            }
        }
    }

    fn client(script: Vec<Option<Vec<u32>>>, tries: u32) -> DatagramClient<Lossy> {
        let sock = Lossy {
            script: script.into(),
            queued: VecDeque::new(),
            sends: Vec::new(),
        };
        let how = Retransmit {
            timeo: Duration::from_millis(20),
            max_timeo: Duration::from_millis(50),
            tries,
        };
        DatagramClient::new(sock, 500, how)
    }

    #[test]
    fn a_lost_call_is_sent_again_with_its_xid_and_a_longer_wait() {
        // Lost twice, then answered after a stray reply to another xid.
        let mut c = client(vec![None, None, Some(vec![9, 500])], 5);
        let got = c.call(100_003, 3, 0, &Credentials::None, &[]);
        assert_eq!(got, Ok(500u32.to_be_bytes().to_vec()));
        let sends = &c.sock.sends;
        assert_eq!(sends.iter().map(|s| s.1).collect::<Vec<_>>(), [500; 3]);
        // timeo (20 ms) before any estimate, then doubled (40 ms).
        let (first, second) = (sends[1].0 - sends[0].0, sends[2].0 - sends[1].0);
        assert!(first >= Duration::from_millis(20), "{first:?}");
        assert!(second >= Duration::from_millis(40), "{second:?}");
        // A retransmitted call is not measured; the next call takes the
        // next xid, and its quick answer is.
        assert!(c.rtt.is_none());
        c.sock.script.push_back(Some(vec![501]));
        assert!(c.call(100_003, 3, 0, &Credentials::None, &[]).is_ok());
        assert_eq!(c.rto(), MIN_RTO, "an immediate answer: the least timeout");
    }

    #[test]
    fn a_call_never_answered_fails_after_its_tries() {
        let mut c = client(vec![None; 4], 3);
        let got = c.call(100_003, 3, 0, &Credentials::None, &[]);
        assert_eq!(got, Err(RpcError::Transport(Errno::ETIMEDOUT)));
        assert_eq!(c.sock.sends.len(), 3);
    }
}
