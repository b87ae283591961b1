//! `librumpdev_cgd.so`: exports the cgd driver (`/dev/cgd0a`,
//! `/dev/rcgd0a`, ...) to kernels that load it at run time.

rump_capi::export_components!(component::COMPONENT);
