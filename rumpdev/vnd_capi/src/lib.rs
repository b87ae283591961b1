//! `librumpdev_vnd.so`: exports the vnd driver (`/dev/vnd0a`,
//! `/dev/rvnd0a`, ...) to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
