//! `librumpnet_netinet.so`: exports rumpnet_netinet to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
