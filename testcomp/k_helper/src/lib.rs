//! A test component in the spirit of NetBSD's `tests/modules/k_helper`: when
//! attached it publishes `vendor.k_helper.present = 1`, so a test can see
//! through `__sysctl` that it joined the kernel.

#![forbid(unsafe_code)]

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rump::sysctl::{NodeSpec, SysctlValue};

/// The component.
pub static COMPONENT: Component = Component {
    name: "k_helper",
    module: "k_helper",
    class: ModuleClass::Misc,
    phase: Phase::PostInit,
    faction: None,
    requires: &[],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let t = k.sysctl();
    t.create_path("vendor.k_helper", "k_helper test component")
        .map_err(|e| e.to_string())?;
    t.create(
        "vendor.k_helper",
        NodeSpec::value(
            "present",
            SysctlValue::Int(1),
            "whether k_helper is attached",
        ),
    )
    .map_err(|e| e.to_string())?;
    // Printed through the kernel's console, which the booting program built:
    // this code may run in a library loaded at run time.
    k.printf("k_helper: attached");
    Ok(())
}
