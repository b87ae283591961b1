//! `librumpdev_rnd.so`: exports the rnd driver (`/dev/random`,
//! `/dev/urandom`) to kernels that load it at run time.

rump_capi::export_components!(component::rnd::COMPONENT);
