//! A test component that requires `k_helper` (NetBSD's `k_helper2` does the
//! same), for testing that requirements are resolved and reported by name.

#![forbid(unsafe_code)]

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rump::sysctl::{NodeSpec, SysctlValue};

/// The component.
pub static COMPONENT: Component = Component {
    name: "k_helper2",
    module: "k_helper2",
    class: ModuleClass::Misc,
    phase: Phase::PostInit,
    faction: None,
    requires: &["k_helper"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    k.sysctl()
        .create(
            "vendor.k_helper",
            NodeSpec::value(
                "present2",
                SysctlValue::Int(1),
                "whether k_helper2 is attached",
            ),
        )
        .map(drop)
        .map_err(|e| e.to_string())
}
