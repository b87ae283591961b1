//! `libk_helper.so`: the k_helper test component as a run-time library.

rump::export_components!(component::COMPONENT);
