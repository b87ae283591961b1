//! `librumpfs_tmpfs.so`: exports tmpfs to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
