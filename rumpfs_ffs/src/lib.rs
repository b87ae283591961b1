//! The Berkeley Fast File System (FFSv1 and FFSv2) as a rump component.
//!
//! Not built yet: it arrives with the FFS issue.

#![forbid(unsafe_code)]
