//! `librumpdev_drvctl.so`: exports the drvctl driver (`/dev/drvctl`) to
//! kernels that load it at run time.

rump_capi::export_components!(component::drvctl::COMPONENT);
