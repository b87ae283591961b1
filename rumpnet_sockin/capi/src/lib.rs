//! `librumpnet_sockin.so`: exports rumpnet_sockin to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
