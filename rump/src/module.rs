//! The module framework: modules with a class, a name and the modules they
//! require; built-in modules; `modctl` load, unload and stat with reference
//! counts, as NetBSD's `kern_module.c` keeps them.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sync::lock;
use crate::syscall::Ctx;
use netbsd_abi::layout::modstat;
use std::sync::{Arc, Mutex, MutexGuard};

/// What kind of module it is (`modclass_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ModuleClass {
    /// `MODULE_CLASS_ANY`.
    Any = 0,
    /// `MODULE_CLASS_MISC`: factions, helpers.
    Misc = 1,
    /// `MODULE_CLASS_VFS`: file systems.
    Vfs = 2,
    /// `MODULE_CLASS_DRIVER`: device and network drivers.
    Driver = 3,
    /// `MODULE_CLASS_EXEC`.
    Exec = 4,
    /// `MODULE_CLASS_SECMODEL`.
    SecModel = 5,
}

/// Where a module came from (`modsrc_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ModuleSource {
    /// Linked into the kernel (`MODULE_SOURCE_KERNEL`), including components.
    Kernel = 0,
    /// Loaded by the boot loader (`MODULE_SOURCE_BOOT`).
    Boot = 1,
    /// Loaded from a file (`MODULE_SOURCE_FILESYS`).
    Filesys = 2,
}

/// A module's `modcmd(MODULE_CMD_INIT)` / `MODULE_CMD_FINI` handler.
pub type ModuleCmd = Arc<dyn Fn(&Kernel) -> KResult<()> + Send + Sync>;

/// Reads a module file through the VFS faction for `modctl` load of a path
/// (`kobj_load_vfs`): the whole image, with the caller's permissions.
pub type ModuleFileReader = Arc<dyn Fn(&Ctx, &str) -> KResult<Vec<u8>> + Send + Sync>;

/// The description of a module, as its `MODULE()` declaration gives it.
#[derive(Clone)]
pub struct ModuleInfo {
    /// The module's name (at most 31 bytes).
    pub name: String,
    /// Its class.
    pub class: ModuleClass,
    /// Names of the modules it requires.
    pub requires: Vec<String>,
    /// Run when the module is loaded.
    pub init: Option<ModuleCmd>,
    /// Run when it is unloaded; a module without one cannot be unloaded (EBUSY).
    pub fini: Option<ModuleCmd>,
    /// Where it came from.
    pub source: ModuleSource,
}

/// A row of `modctl(MODCTL_STAT)`: NetBSD's `modstat_t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModStat {
    /// Name.
    pub name: String,
    /// Required modules, comma-separated.
    pub required: String,
    /// Source.
    pub source: ModuleSource,
    /// Class.
    pub class: ModuleClass,
    /// How many loaded modules require this one.
    pub refcnt: u32,
    /// Whether it is loaded (built-in modules may be present but not loaded).
    pub loaded: bool,
}

/// Size of NetBSD's `modstat_t` on amd64.
pub const MODSTAT_SIZE: usize = modstat::SIZE;
/// NetBSD's `MAXMODNAME`.
pub const MAXMODNAME: usize = netbsd_abi::MAXMODNAME as usize;

impl ModStat {
    /// Encode as `modstat_t` (`netbsd_abi::layout::modstat`); the strings
    /// are cut to leave room for their NUL.
    pub fn to_bytes(&self) -> [u8; MODSTAT_SIZE] {
        let mut b = [0u8; MODSTAT_SIZE];
        for (field, text) in [
            (modstat::ms_name, self.name.as_bytes()),
            (modstat::ms_required, self.required.as_bytes()),
        ] {
            let n = text.len().min(field.size - 1);
            b[field.offset..field.offset + n].copy_from_slice(&text[..n]);
        }
        modstat::ms_source.put(&mut b, u64::from(self.source as i32 as u32));
        modstat::ms_class.put(&mut b, u64::from(self.class as i32 as u32));
        modstat::ms_refcnt.put(&mut b, u64::from(self.refcnt));
        b
    }
}

struct Module {
    info: ModuleInfo,
    loaded: bool,
    refcnt: u32,
}

/// The modules of one kernel.
#[derive(Default)]
pub struct ModuleTable {
    mods: Mutex<Vec<Module>>,
    // Serialises load and unload so that init/fini run without the list lock.
    op: Mutex<()>,
    file_reader: Mutex<Option<ModuleFileReader>>,
    /// Set by [`ModuleTable::forbid_files`].
    files_forbidden: std::sync::atomic::AtomicBool,
}

impl ModuleTable {
    fn list(&self) -> MutexGuard<'_, Vec<Module>> {
        lock(&self.mods)
    }

    /// Make a module known to the kernel without loading it (a built-in
    /// module waiting for `modctl` load). EEXIST if the name is taken.
    pub fn register(&self, info: ModuleInfo) -> KResult<()> {
        if info.name.is_empty() || info.name.len() >= MAXMODNAME {
            return Err(Errno::EINVAL);
        }
        let mut mods = self.list();
        if mods.iter().any(|m| m.info.name == info.name) {
            return Err(Errno::EEXIST);
        }
        mods.push(Module {
            info,
            loaded: false,
            refcnt: 0,
        });
        Ok(())
    }

    /// Let module files be loaded: the VFS faction registers how to read one.
    pub fn set_file_reader(&self, reader: ModuleFileReader) {
        *lock(&self.file_reader) = Some(reader);
    }

    /// Refuse every later load of a module file with EPERM, whoever asks:
    /// loading one runs its code with the host process's privileges, which
    /// a server may not want to hand to its clients (`rump_server -M`).
    pub fn forbid_files(&self) {
        self.files_forbidden
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Load the modules in the file at `path`, read through the kernel's
    /// VFS (`modctl` load of a path). EPERM once [`ModuleTable::forbid_files`]
    /// has been called (said on the console). ENOSYS without the VFS faction,
    /// ENOEXEC for a file that is not a module of this build, EEXIST if a
    /// module in it is already there, ENOENT if one requires a module that
    /// is not.
    pub fn load_file(&self, ctx: &Ctx, path: &str) -> KResult<()> {
        if self
            .files_forbidden
            .load(std::sync::atomic::Ordering::Acquire)
        {
            ctx.kernel().printf(&format!(
                "module load of {path} refused: this kernel's server forbids loading module files"
            ));
            return Err(Errno::EPERM);
        }
        let reader = lock(&self.file_reader).clone().ok_or(Errno::ENOSYS)?;
        let image = reader(ctx, path)?;
        let kernel = ctx.kernel();
        let _op = self.op_lock(ctx);
        // Attaching takes no virtual CPU; the attach lock may be held by a
        // thread that needs one.
        ctx.block(|| kernel.load_module_image(&image, path))
    }

    /// Whether module `name` is loaded.
    pub fn is_loaded(&self, name: &str) -> bool {
        self.list().iter().any(|m| m.info.name == name && m.loaded)
    }

    /// Wait for the module operation lock without holding a virtual CPU:
    /// the holder may need a CPU to finish its init or fini.
    fn op_lock<'a>(&'a self, ctx: &Ctx) -> MutexGuard<'a, ()> {
        ctx.block(|| lock(&self.op))
    }

    /// Whether a module of this name is known, loaded or not.
    pub fn contains(&self, name: &str) -> bool {
        self.list().iter().any(|m| m.info.name == name)
    }

    /// Load a known module, first loading the modules it requires
    /// (`module_load`). EEXIST if already loaded, ENOENT if unknown. Init
    /// functions run on the caller's virtual CPU.
    pub fn load(&self, ctx: &Ctx, name: &str) -> KResult<()> {
        let _op = self.op_lock(ctx);
        self.load_locked(ctx.kernel(), name, 0)
    }

    fn load_locked(&self, kernel: &Kernel, name: &str, depth: usize) -> KResult<()> {
        // NetBSD's MODULE_MAX_DEPTH: a require cycle ends here, not in a stack overflow.
        if depth > 6 {
            return Err(Errno::EMLINK);
        }
        let (requires, init) = {
            let mods = self.list();
            let m = mods
                .iter()
                .find(|m| m.info.name == name)
                .ok_or(Errno::ENOENT)?;
            if m.loaded {
                return Err(Errno::EEXIST);
            }
            (m.info.requires.clone(), m.info.init.clone())
        };
        for r in &requires {
            if !self.is_loaded(r) {
                self.load_locked(kernel, r, depth + 1)?;
            }
        }
        if let Some(init) = init {
            init(kernel)?;
        }
        let mut mods = self.list();
        for m in mods.iter_mut() {
            if requires.contains(&m.info.name) {
                m.refcnt += 1;
            }
        }
        if let Some(m) = mods.iter_mut().find(|m| m.info.name == name) {
            m.loaded = true;
        }
        Ok(())
    }

    /// Record a module that its component already initialised (components
    /// attach at boot in phase order, not through `modcmd`).
    pub fn add_loaded(&self, info: ModuleInfo) -> KResult<()> {
        let name = info.name.clone();
        let requires = info.requires.clone();
        self.register(info)?;
        let mut mods = self.list();
        for m in mods.iter_mut() {
            if requires.contains(&m.info.name) {
                m.refcnt += 1;
            }
            if m.info.name == name {
                m.loaded = true;
            }
        }
        Ok(())
    }

    /// Unload a module (`module_unload`): ENOENT if not loaded, EBUSY if a
    /// loaded module requires it or it cannot be unloaded.
    pub fn unload(&self, ctx: &Ctx, name: &str) -> KResult<()> {
        let kernel = ctx.kernel();
        let _op = self.op_lock(ctx);
        let (requires, fini) = {
            let mods = self.list();
            let m = mods
                .iter()
                .find(|m| m.info.name == name && m.loaded)
                .ok_or(Errno::ENOENT)?;
            if m.refcnt > 0 {
                return Err(Errno::EBUSY);
            }
            (
                m.info.requires.clone(),
                m.info.fini.clone().ok_or(Errno::EBUSY)?,
            )
        };
        fini(kernel)?;
        let mut mods = self.list();
        for m in mods.iter_mut() {
            if requires.contains(&m.info.name) {
                m.refcnt = m.refcnt.saturating_sub(1);
            }
            if m.info.name == name {
                m.loaded = false;
            }
        }
        // Modules loaded from files disappear on unload; built-ins stay known.
        mods.retain(|m| m.loaded || m.info.source == ModuleSource::Kernel);
        Ok(())
    }

    /// The state of every module, loaded ones first, as `modstat` lists them.
    pub fn stat(&self) -> Vec<ModStat> {
        let mods = self.list();
        let mut v: Vec<ModStat> = mods
            .iter()
            .map(|m| ModStat {
                name: m.info.name.clone(),
                required: m.info.requires.join(","),
                source: m.info.source,
                class: m.info.class,
                refcnt: m.refcnt,
                loaded: m.loaded,
            })
            .collect();
        v.sort_by_key(|s| !s.loaded);
        v
    }
}
