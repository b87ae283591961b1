//! `librumpfs_ffs.so`: exports ffs to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
