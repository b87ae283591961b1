//! `rump_allserver`: the server with every component built so far linked in.

fn main() -> std::process::ExitCode {
    rump_server::main(rump_server::ALL_COMPONENTS)
}
