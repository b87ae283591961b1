//! TCP's socket options (`tcp_ctloutput`): `TCP_NODELAY`, `TCP_MAXSEG`,
//! the keepalive times, and the `SOL_SOCKET` and `IPPROTO_IP` options
//! as they reach a connection.

use super::{
    IPPROTO_TCP, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINIT, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY,
    TcpSocket,
};
use crate::pcb::{IPPROTO_IP, IPPROTO_IPV6};
use rump::{Errno, KResult};
use std::time::Duration;

impl TcpSocket {
    /// `setsockopt` at `level` (`IPPROTO_TCP`, `IPPROTO_IP`, or
    /// `SOL_SOCKET` after the socket layer took the value).
    pub(super) fn set_option(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        let int = || -> KResult<i32> {
            Ok(i32::from_le_bytes(
                v.get(..4)
                    .ok_or(Errno::EINVAL)?
                    .try_into()
                    .unwrap_or_default(),
            ))
        };
        let mut st = self.lock();
        match level {
            IPPROTO_TCP => {
                match name {
                    TCP_NODELAY => {
                        st.nodelay = int()? != 0;
                        let nd = st.nodelay;
                        if let Some(t) = st.tcb.as_mut() {
                            t.cfg.nodelay = nd;
                        }
                    }
                    TCP_MAXSEG => {
                        let m = u16::try_from(int()?)
                            .ok()
                            .filter(|&m| m >= 64)
                            .ok_or(Errno::EINVAL)?;
                        st.maxseg = Some(m);
                    }
                    TCP_KEEPIDLE | TCP_KEEPINTVL | TCP_KEEPCNT | TCP_KEEPINIT => {
                        let n = u32::try_from(int()?)
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or(Errno::EINVAL)?;
                        let mut k = st.keep.unwrap_or_else(|| self.inet.tcp_keep_defaults());
                        match name {
                            TCP_KEEPIDLE => k.0 = Duration::from_secs(u64::from(n)),
                            TCP_KEEPINTVL => k.1 = Duration::from_secs(u64::from(n)),
                            TCP_KEEPCNT => k.2 = n,
                            _ => {}
                        }
                        st.keep = Some(k);
                        if let Some(t) = st.tcb.as_mut() {
                            (t.cfg.keep_idle, t.cfg.keep_intvl, t.cfg.keep_cnt) = k;
                        }
                    }
                    _ => return Err(Errno::ENOPROTOOPT),
                }
                Ok(())
            }
            IPPROTO_IP => st.pcb.setopt(name, v),
            IPPROTO_IPV6 => st.pcb.setopt6(name, v),
            rumpnet::socket::SOL_SOCKET => {
                let o = self.shared.opts();
                if let Some(t) = st.tcb.as_mut() {
                    t.cfg.keepalive = o.keepalive;
                    if !o.rcv_autosize {
                        t.cfg.rcv_auto = None;
                    }
                    if !o.snd_autosize {
                        t.cfg.snd_auto = None;
                    }
                    t.cfg.sndbuf = o.sndbuf;
                    if !t.state.synchronized() {
                        t.cfg.rcvbuf = o.rcvbuf;
                    } else {
                        // The window scale is fixed: the buffer may grow
                        // only as far as the scale can announce.
                        t.cfg.rcvbuf = o.rcvbuf.max(t.cfg.rcvbuf.min(o.rcvbuf));
                    }
                }
                Ok(())
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// `getsockopt` at `level` (`IPPROTO_TCP` or `IPPROTO_IP`).
    pub(super) fn get_option(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        let st = self.lock();
        let i = |v: i32| v.to_le_bytes().to_vec();
        match level {
            IPPROTO_TCP => {
                let k = st.keep.unwrap_or_else(|| self.inet.tcp_keep_defaults());
                Ok(match name {
                    TCP_NODELAY => i(i32::from(st.nodelay)),
                    TCP_MAXSEG => i(i32::from(
                        st.tcb
                            .as_ref()
                            .map_or(st.maxseg.unwrap_or(512), |t| t.eff_mss() as u16),
                    )),
                    TCP_KEEPIDLE => i(k.0.as_secs() as i32),
                    TCP_KEEPINTVL => i(k.1.as_secs() as i32),
                    TCP_KEEPCNT => i(k.2 as i32),
                    TCP_KEEPINIT => i(75),
                    _ => return Err(Errno::ENOPROTOOPT),
                })
            }
            IPPROTO_IP => st.pcb.getopt(&self.inet, name),
            IPPROTO_IPV6 => st.pcb.getopt6(name),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }
}
