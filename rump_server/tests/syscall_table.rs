//! The system-call table of `rump_allserver`'s kernel against NetBSD's:
//! every call that NetBSD's rump kernel provides (`rump` = yes in
//! `syscalls.tsv`, now `netbsd_abi::SYSCALLS`) is registered under its
//! number with its name, and a call that NetBSD's rump kernel lacks is
//! at most the placeholder of an absent module (NetBSD's rump table has
//! `sys_nomodule` in every slot whose call belongs to a module).

use netbsd_abi::SYSCALLS;

#[test]
fn the_table_is_netbsds_rump_table_row_by_row() {
    let mut b = rump::KernelBuilder::new();
    for c in rump_server::ALL_COMPONENTS {
        b = b.component(c);
    }
    let k = b.boot().expect("boot");
    let mut differ = Vec::new();
    let mut registered = 0;
    for s in SYSCALLS {
        match (s.rump, k.syscall_name(s.number)) {
            (true, Some(name)) if name == s.name => registered += 1,
            (true, Some(name)) => differ.push(format!(
                "{} is registered as {name}, NetBSD names it {}",
                s.number, s.name
            )),
            (true, None) => differ.push(format!("{} {} is missing", s.number, s.name)),
            (false, Some(_)) if !s.module.is_empty() && k.syscall_is_placeholder(s.number) => {}
            (false, Some(name)) => differ.push(format!(
                "{} {name} is registered, but NetBSD's rump kernel has no {}",
                s.number, s.name
            )),
            (false, None) => {}
        }
    }
    let rump_calls = SYSCALLS.iter().filter(|s| s.rump).count();
    eprintln!("syscall_table: {registered} of {rump_calls} rump system calls registered");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert_eq!((registered, rump_calls), (218, 218));
}
