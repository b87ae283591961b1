//! `librumpnet_virtif.so`: exports rumpnet_virtif to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
