use crate::*;

/// The POSIX semaphore and asynchronous I/O limits (`kern.posix.*`,
/// `kern.posix_aio`, `kern.aio_*`): reads, writes and the values refused.
const POSIX_STEPS: &[Step] = &[
    ("sysctl", &["kern.posix"]),
    ("sysctl", &["kern.posix.semmax", "kern.posix.semcnt"]),
    ("sysctl", &["-w", "kern.posix.semmax=64"]),
    ("sysctl", &["-n", "kern.posix.semmax"]),
    ("sysctl", &["-w", "kern.posix.semcnt=3"]),
    ("sysctl", &["kern.posix_aio"]),
    ("sysctl", &["-w", "kern.posix_aio=1"]),
    ("sysctl", &["kern.aio_listio_max", "kern.aio_max"]),
    ("sysctl", &["-w", "kern.aio_listio_max=99999"]),
    ("sysctl", &["-w", "kern.aio_listio_max=0"]),
    ("sysctl", &["-w", "kern.aio_listio_max=100"]),
    ("sysctl", &["-w", "kern.aio_max=50"]),
    ("sysctl", &["-w", "kern.aio_max=9000"]),
];

/// Steps of [`POSIX_STEPS`] that do not behave as on NetBSD's kernel yet.
const POSIX_NOT_YET: &[NotYet] = &[];

#[test]
fn posix_semaphore_and_aio_limits_are_netbsds() {
    differential("posix", &[], POSIX_STEPS, POSIX_NOT_YET);
}
