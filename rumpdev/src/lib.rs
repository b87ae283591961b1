//! The DEV faction: device autoconfiguration and the device drivers' base.
//!
//! Not built yet: it arrives with the first issue that needs a device driver.

#![forbid(unsafe_code)]
