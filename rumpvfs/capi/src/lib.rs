//! `librumpvfs.so`: exports the VFS faction to kernels that load it at run time.

rump::export_components!(faction::COMPONENT);
