//! `librumpdev.so`: exports the DEV faction to kernels that load it at run time.

rump_capi::export_components!(faction::COMPONENT);
