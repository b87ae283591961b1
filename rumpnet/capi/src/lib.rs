//! `librumpnet.so`: exports rumpnet to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
