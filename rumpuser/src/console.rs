//! The console: where the kernel's own messages go (the host's stderr).

use std::io::Write;

/// Write a message to the host console.
pub fn console_write(s: &str) {
    console_write_bytes(s.as_bytes());
}

/// Write raw bytes to the host console; failures to write are ignored, as a
/// kernel cannot do anything useful about a broken console.
pub fn console_write_bytes(b: &[u8]) {
    let _ = std::io::stderr().lock().write_all(b);
}
