//! FIFOs in the kernel under the hijack: `mkfifo`, then unmodified shell
//! programs and python3 threads as reader and writer.

mod common;

use common::*;

#[test]
fn a_fifo_carries_data_between_hijacked_programs() {
    let dir = tempdir("fifo");
    let url = format!("unix://{}", dir.join("s").display());
    let (mut server, _c) = serve("rump_server", &["-lrumpvfs"], &url);
    // A reader in a child of the shell, waiting in open for the writer.
    let sh = hijacked(
        &url,
        &[
            "/bin/sh",
            "-c",
            "mkfifo /rump/p && { cat /rump/p > /rump/out & } && \
             printf 'through the fifo\\n' > /rump/p && wait && cat /rump/out && \
             ls -l /rump/p",
        ],
    );
    assert!(sh.status.success(), "sh: {}", stderr(&sh));
    let out = stdout(&sh);
    assert!(out.starts_with("through the fifo\n"), "{out}");
    assert!(
        out.lines().nth(1).is_some_and(|l| l.starts_with('p')),
        "{out}"
    );
    // Two threads of one program share its connection: the reader waits in
    // open while the writer comes, and 100 kB pass through 16 kB of pipe.
    let prog = "import os, threading\n\
                os.mkfifo('/rump/q')\n\
                def w():\n    with open('/rump/q', 'w') as f: f.write('x' * 100000)\n\
                t = threading.Thread(target=w); t.start()\n\
                with open('/rump/q') as f: data = f.read()\n\
                t.join(); print(len(data), data == 'x' * 100000)\n";
    let py = hijacked(&url, &["/usr/bin/python3", "-c", prog]);
    assert!(py.status.success(), "python3: {}", stderr(&py));
    assert_eq!(stdout(&py), "100000 True\n");
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
