//! `rump_server`: the minimal server, the kernel base alone; components
//! come at run time with `-l`.

fn main() -> std::process::ExitCode {
    rump_server::main(&[])
}
