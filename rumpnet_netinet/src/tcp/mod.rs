//! TCP: the connection state machine ([`conn`]), sequence arithmetic
//! ([`seq`]) and the sockets and segment demultiplexing ([`socket`]).

pub mod conn;
pub mod seq;
pub mod socket;

#[cfg(test)]
mod tests;
