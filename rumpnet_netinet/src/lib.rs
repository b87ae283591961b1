//! IPv4, ARP, ICMP, UDP and TCP as a rump component.
//!
//! Not built yet: it arrives with the network issue.

#![forbid(unsafe_code)]
