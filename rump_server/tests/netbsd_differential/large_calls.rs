use crate::*;

/// Calls of any size (issue #17): NetBSD's dd moves 16 MiB (where a call
/// used to end the connection) and then 128 MiB in single `read` and
/// `write` calls of NetBSD's client library.
const LARGE_CALLS_STEPS: &[Step] = &[
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/tmp/big",
            "bs=16m",
            "count=1",
            DD_COUNTS,
        ],
    ),
    ("dd", &["if=/tmp/big", "of=/dev/null", "bs=16m", DD_COUNTS]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/tmp/big",
            "bs=64m",
            "count=2",
            DD_COUNTS,
        ],
    ),
    ("dd", &["if=/tmp/big", "of=/dev/null", "bs=128m", DD_COUNTS]),
    (
        "dd",
        &[
            "if=/tmp/big",
            "of=/dev/null",
            "bs=1m",
            "skip=127",
            DD_COUNTS,
        ],
    ),
    ("rm", &["/tmp/big"]),
];

#[test]
fn large_calls() {
    differential("large_calls", &[], LARGE_CALLS_STEPS, &[]);
}
