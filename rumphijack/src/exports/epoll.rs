//! `epoll` with kernel descriptors in the set. The epoll instance is the
//! host's; kernel descriptors added to it are kept in a table of this
//! library's beside it, and a wait that has any polls the host instance
//! and those descriptors together (see [`super::poll`]). Kernel
//! descriptors are level-triggered: EPOLLET is taken as level, EPOLLONESHOT
//! disables the entry once it has been reported, as on Linux.

use super::{by_fd, ret0, set_errno};
use crate::state;
use libc::{c_int, epoll_event, pollfd};
use std::collections::HashMap;
use std::sync::Mutex;

/// One kernel descriptor in an epoll set.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// The program's descriptor.
    fd: c_int,
    events: u32,
    data: u64,
    /// EPOLLONESHOT fired: no more events until EPOLL_CTL_MOD.
    spent: bool,
}

/// Kernel descriptors by epoll instance (the host's descriptor).
static SETS: Mutex<Option<HashMap<c_int, Vec<Entry>>>> = Mutex::new(None);

/// The table, locked (held across a fork).
pub(crate) fn hold() -> std::sync::MutexGuard<'static, Option<HashMap<c_int, Vec<Entry>>>> {
    SETS.lock().unwrap_or_else(|e| e.into_inner())
}

fn with_sets<R>(f: impl FnOnce(&mut HashMap<c_int, Vec<Entry>>) -> R) -> R {
    let mut g = SETS.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(HashMap::new))
}

/// The descriptor `fd` closed: an epoll instance loses its table; a kernel
/// descriptor leaves every set.
pub(crate) fn forget(fd: c_int) {
    let mut g = SETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(sets) = g.as_mut() {
        sets.remove(&fd);
        for v in sets.values_mut() {
            v.retain(|e| e.fd != fd);
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn epoll_ctl(
    epfd: c_int,
    op: c_int,
    fd: c_int,
    ev: *mut epoll_event,
) -> c_int {
    if state::get().is_none() || by_fd(fd).is_none() {
        return host!(
            epoll_ctl(epfd, op, fd, ev) as fn(c_int, c_int, c_int, *mut epoll_event) -> c_int
        );
    }
    if by_fd(epfd).is_some() || epfd == fd {
        return ret0(Err(libc::EINVAL));
    }
    // The instance must be an open descriptor of the host's.
    if host!(fcntl(epfd, libc::F_GETFD, 0) as fn(c_int, c_int, c_int) -> c_int) < 0 {
        return -1;
    }
    let event = if op == libc::EPOLL_CTL_DEL {
        None
    } else {
        match super::get(ev) {
            Ok(e) => Some(e),
            Err(e) => return ret0(Err(e)),
        }
    };
    with_sets(|sets| {
        let set = sets.entry(epfd).or_default();
        let at = set.iter().position(|e| e.fd == fd);
        match (op, at, event) {
            (libc::EPOLL_CTL_ADD, Some(_), _) => ret0(Err(libc::EEXIST)),
            (libc::EPOLL_CTL_ADD, None, Some(e)) => {
                set.push(Entry {
                    fd,
                    events: e.events,
                    data: e.u64,
                    spent: false,
                });
                0
            }
            (libc::EPOLL_CTL_MOD, Some(i), Some(e)) => {
                set[i] = Entry {
                    fd,
                    events: e.events,
                    data: e.u64,
                    spent: false,
                };
                0
            }
            (libc::EPOLL_CTL_DEL, Some(i), _) => {
                set.remove(i);
                0
            }
            (libc::EPOLL_CTL_MOD | libc::EPOLL_CTL_DEL, None, _) => ret0(Err(libc::ENOENT)),
            _ => ret0(Err(libc::EINVAL)),
        }
    })
}

/// The poll events that stand for epoll `events` (the low bits are the
/// same numbers).
fn poll_events(events: u32) -> i16 {
    (events & 0xffff) as i16
}

/// Wait on a set that holds kernel descriptors.
fn wait_mixed(
    epfd: c_int,
    out: *mut epoll_event,
    max: c_int,
    timeout: c_int,
    entries: Vec<Entry>,
) -> c_int {
    let mut fds: Vec<pollfd> = vec![pollfd {
        fd: epfd,
        events: libc::POLLIN,
        revents: 0,
    }];
    fds.extend(entries.iter().map(|e| pollfd {
        fd: if e.spent { -1 } else { e.fd },
        events: poll_events(e.events),
        revents: 0,
    }));
    let n = super::poll::poll_fds(&mut fds, timeout);
    if n < 0 {
        return n;
    }
    let max = max as usize;
    let mut got: Vec<epoll_event> = Vec::new();
    if fds[0].revents & libc::POLLIN != 0 {
        let mut host_ev = vec![epoll_event { events: 0, u64: 0 }; max];
        let m = host!(epoll_wait(epfd, host_ev.as_mut_ptr(), max as c_int, 0)
            as fn(c_int, *mut epoll_event, c_int, c_int) -> c_int);
        if m > 0 {
            got.extend_from_slice(&host_ev[..m as usize]);
        }
    }
    let mut fired = Vec::new();
    for (e, p) in entries.iter().zip(&fds[1..]) {
        if got.len() >= max {
            break;
        }
        if p.revents != 0 {
            got.push(epoll_event {
                events: p.revents as u16 as u32,
                u64: e.data,
            });
            if e.events & libc::EPOLLONESHOT as u32 != 0 {
                fired.push(e.fd);
            }
        }
    }
    if !fired.is_empty() {
        with_sets(|sets| {
            for e in sets.get_mut(&epfd).into_iter().flatten() {
                if fired.contains(&e.fd) {
                    e.spent = true;
                }
            }
        });
    }
    let bytes: Vec<u8> = got
        .iter()
        .flat_map(|e| {
            let (ev, data) = (e.events, e.u64);
            let mut b = ev.to_ne_bytes().to_vec();
            b.extend_from_slice(&data.to_ne_bytes());
            b
        })
        .collect();
    match super::mem_write(out as u64, &bytes) {
        Ok(()) => got.len() as c_int,
        Err(e) => ret0(Err(e)),
    }
}

fn kernel_entries(epfd: c_int) -> Vec<Entry> {
    with_sets(|sets| sets.get(&epfd).cloned().unwrap_or_default())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn epoll_wait(
    epfd: c_int,
    out: *mut epoll_event,
    max: c_int,
    timeout: c_int,
) -> c_int {
    let entries = kernel_entries(epfd);
    if entries.is_empty() {
        return host!(epoll_wait(epfd, out, max, timeout)
            as fn(c_int, *mut epoll_event, c_int, c_int) -> c_int);
    }
    if max <= 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    wait_mixed(epfd, out, max, timeout, entries)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn epoll_pwait(
    epfd: c_int,
    out: *mut epoll_event,
    max: c_int,
    timeout: c_int,
    mask: *const libc::sigset_t,
) -> c_int {
    let entries = kernel_entries(epfd);
    if entries.is_empty() {
        return host!(epoll_pwait(epfd, out, max, timeout, mask)
            as fn(
                c_int,
                *mut epoll_event,
                c_int,
                c_int,
                *const libc::sigset_t,
            ) -> c_int);
    }
    if max <= 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    super::poll::with_sigmask(mask, || wait_mixed(epfd, out, max, timeout, entries))
}
