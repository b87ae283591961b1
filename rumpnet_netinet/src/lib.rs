//! IPv4, ARP, ICMP, UDP and TCP as a rump component.
//!
//! Built so far: [`wire`], the header formats as checked views with their
//! parsed forms. The protocols themselves arrive with the rest of the
//! network issue.

#![forbid(unsafe_code)]

pub mod wire;
