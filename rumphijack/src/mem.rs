//! The program's own memory as the server sees it: the addresses are the
//! real pointers the program passed (or buffers of the hijack itself, for
//! structures it translates). The same code serves `librumpclient.so`, so
//! it lives in the client library.

pub use rumpclient::ProcessMemory;
