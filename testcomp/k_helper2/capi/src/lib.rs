//! `libk_helper2.so`: the k_helper2 test component as a run-time library.

rump_capi::export_components!(component::COMPONENT);
