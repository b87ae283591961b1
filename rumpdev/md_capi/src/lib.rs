//! `librumpdev_md.so`: exports the md driver (`/dev/md0a`, `/dev/rmd0a`,
//! ...) to kernels that load it at run time.

rump_capi::export_components!(component::md::COMPONENT);
