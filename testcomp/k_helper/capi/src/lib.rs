//! `libk_helper.so`: the k_helper test component as a run-time library.

rump_capi::export_components!(component::COMPONENT);
