//! `librumpfs_nfs.so`: exports the NFS client to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
