//! The `user` tree, which no kernel holds: NetBSD's libc answers every
//! call under `CTL_USER` itself (`lib/libc/gen/sysctl.c`,
//! `user_sysctl`), with these read-only values of its own POSIX limits
//! and their descriptions. NetBSD's sysctl(8) shows them on any kernel,
//! so rump.sysctl does too.

use netbsd_abi::{
    CTLFLAG_IMMEDIATE, CTLFLAG_PERMANENT, CTLTYPE_INT, CTLTYPE_STRING, SYSCTL_VERSION,
    USER_ATEXIT_MAX, USER_BC_BASE_MAX, USER_BC_DIM_MAX, USER_BC_SCALE_MAX, USER_BC_STRING_MAX,
    USER_COLL_WEIGHTS_MAX, USER_CS_PATH, USER_EXPR_NEST_MAX, USER_LINE_MAX, USER_POSIX2_C_BIND,
    USER_POSIX2_C_DEV, USER_POSIX2_CHAR_TERM, USER_POSIX2_FORT_DEV, USER_POSIX2_FORT_RUN,
    USER_POSIX2_LOCALEDEF, USER_POSIX2_SW_DEV, USER_POSIX2_UPE, USER_POSIX2_VERSION,
    USER_RE_DUP_MAX, USER_STREAM_MAX, USER_TZNAME_MAX,
};

/// A value of the `user` tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserValue {
    /// A string (`user.cs_path`).
    Str(&'static str),
    /// An int.
    Int(i32),
}

/// One node: name, number, value, description.
pub struct UserNode {
    /// The node's name.
    pub name: &'static str,
    /// Its `USER_*` number.
    pub num: i32,
    /// Its value.
    pub value: UserValue,
    /// What `-d` prints.
    pub descr: &'static str,
}

impl UserNode {
    /// The node's `sysctl_flags`, as libc's table has them.
    pub fn flags(&self) -> i32 {
        match self.value {
            UserValue::Str(_) => SYSCTL_VERSION | CTLFLAG_PERMANENT | CTLTYPE_STRING,
            UserValue::Int(_) => {
                SYSCTL_VERSION | CTLFLAG_IMMEDIATE | CTLFLAG_PERMANENT | CTLTYPE_INT
            }
        }
    }

    /// The value's bytes as libc copies them out (a string with its NUL).
    pub fn bytes(&self) -> Vec<u8> {
        match self.value {
            UserValue::Str(s) => [s.as_bytes(), &[0]].concat(),
            UserValue::Int(i) => i.to_ne_bytes().to_vec(),
        }
    }
}

const fn int(name: &'static str, num: i32, v: i32, descr: &'static str) -> UserNode {
    UserNode {
        name,
        num,
        value: UserValue::Int(v),
        descr,
    }
}

/// libc's `sysctl_usermib`, in its order, with NetBSD's values
/// (`_PATH_STDPATH`, `<limits.h>`, `<unistd.h>`: only the C bindings
/// option of POSIX.2 is claimed).
pub const USER_NODES: [UserNode; 21] = [
    UserNode {
        name: "cs_path",
        num: USER_CS_PATH,
        value: UserValue::Str(
            "/usr/bin:/bin:/usr/sbin:/sbin:/usr/pkg/bin:/usr/pkg/sbin:/usr/local/bin:/usr/local/sbin",
        ),
        descr: "A value for the PATH environment variable that finds all the standard utilities",
    },
    int(
        "bc_base_max",
        USER_BC_BASE_MAX,
        i32::MAX,
        "The maximum ibase/obase values in the bc(1) utility",
    ),
    int(
        "bc_dim_max",
        USER_BC_DIM_MAX,
        65535,
        "The maximum array size in the bc(1) utility",
    ),
    int(
        "bc_scale_max",
        USER_BC_SCALE_MAX,
        i32::MAX,
        "The maximum scale value in the bc(1) utility",
    ),
    int(
        "bc_string_max",
        USER_BC_STRING_MAX,
        i32::MAX,
        "The maximum string length in the bc(1) utility",
    ),
    int(
        "coll_weights_max",
        USER_COLL_WEIGHTS_MAX,
        2,
        "The maximum number of weights that can be assigned to any entry of the LC_COLLATE order keyword in the locale definition file",
    ),
    int(
        "expr_nest_max",
        USER_EXPR_NEST_MAX,
        32,
        "The maximum number of expressions that can be nested within parenthesis by the expr(1) utility",
    ),
    int(
        "line_max",
        USER_LINE_MAX,
        2048,
        "The maximum length in bytes of a text-processing utility's input line",
    ),
    int(
        "re_dup_max",
        USER_RE_DUP_MAX,
        255,
        "The maximum number of repeated occurrences of a regular expression permitted when using interval notation",
    ),
    int(
        "posix2_version",
        USER_POSIX2_VERSION,
        200_112,
        "The version of POSIX 1003.2 with which the system attempts to comply",
    ),
    int(
        "posix2_c_bind",
        USER_POSIX2_C_BIND,
        1,
        "Whether the system's C-language development facilities support the C-Language Bindings Option",
    ),
    int(
        "posix2_c_dev",
        USER_POSIX2_C_DEV,
        0,
        "Whether the system supports the C-Language Development Utilities Option",
    ),
    int(
        "posix2_char_term",
        USER_POSIX2_CHAR_TERM,
        0,
        "Whether the system supports at least one terminal type capable of all operations described in POSIX 1003.2",
    ),
    int(
        "posix2_fort_dev",
        USER_POSIX2_FORT_DEV,
        0,
        "Whether the system supports the FORTRAN Development Utilities Option",
    ),
    int(
        "posix2_fort_run",
        USER_POSIX2_FORT_RUN,
        0,
        "Whether the system supports the FORTRAN Runtime Utilities Option",
    ),
    int(
        "posix2_localedef",
        USER_POSIX2_LOCALEDEF,
        0,
        "Whether the system supports the creation of locales",
    ),
    int(
        "posix2_sw_dev",
        USER_POSIX2_SW_DEV,
        0,
        "Whether the system supports the Software Development Utilities Option",
    ),
    int(
        "posix2_upe",
        USER_POSIX2_UPE,
        0,
        "Whether the system supports the User Portability Utilities Option",
    ),
    int(
        "stream_max",
        USER_STREAM_MAX,
        20,
        "The minimum maximum number of streams that a process may have open at any one time",
    ),
    int(
        "tzname_max",
        USER_TZNAME_MAX,
        511,
        "The minimum maximum number of types supported for the name of a timezone",
    ),
    int(
        "atexit_max",
        USER_ATEXIT_MAX,
        -1,
        "The maximum number of functions that may be registered with atexit(3)",
    ),
];

/// The node numbered `num`.
pub fn find(num: i32) -> Option<&'static UserNode> {
    USER_NODES.iter().find(|n| n.num == num)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_in_order_and_unique() {
        for (i, n) in USER_NODES.iter().enumerate() {
            assert_eq!(n.num, i as i32 + 1, "{}", n.name);
            assert!(find(n.num).is_some_and(|f| f.name == n.name));
        }
        assert!(find(0).is_none());
        assert_eq!(USER_NODES[0].bytes().last(), Some(&0));
        assert_eq!(USER_NODES[20].bytes(), (-1i32).to_ne_bytes());
    }
}
