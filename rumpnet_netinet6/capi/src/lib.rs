//! `librumpnet_netinet6.so`: exports rumpnet_netinet6 to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
