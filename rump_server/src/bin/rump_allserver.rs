//! `rump_allserver`: the server with every component built so far linked in.

fn main() -> std::process::ExitCode {
    rump_server::main(&[
        &rumpvfs::COMPONENT,
        &rumpfs_tmpfs::COMPONENT,
        &rumpfs_ffs::COMPONENT,
        &rumpnet::COMPONENT,
        &rumpnet_netinet::COMPONENT,
        &rumpnet_shmif::COMPONENT,
        &rumpnet_virtif::COMPONENT,
        &rumpdev::COMPONENT,
        &rumpdev::rnd::COMPONENT,
    ])
}
