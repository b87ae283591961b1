//! `librumpnet_shmif.so`: exports rumpnet_shmif to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
