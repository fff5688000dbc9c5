//! The chain Leash runs on when there is no cluster: LiteSVM with the real SPL Token,
//! Token-2022 and Associated Token Account programs (as SBF), and the Leash program — by default
//! the SBPF v0 ELF committed at `programs/leash/leash.so` ([`LEASH_PROGRAM_ELF`], the bytes one
//! deploys), or the same source compiled natively and registered as a builtin through [`native`]
//! ([`ProgramBuild::Native`], for debugging and to check that both builds behave alike).
//!
//! `leash node` and the program's tests build their chains with [`leash_svm`].

pub mod native;

pub use litesvm::LiteSVM;
pub use native::{install_stubs, invoke_native, ProcessInstruction};
use solana_address::Address;
pub use solana_program_runtime::declare_process_instruction;
pub use solana_program_runtime::solana_sbpf::program::BuiltinFunctionDefinition;

/// Declares a LiteSVM builtin named `$name` that runs the native `process_instruction`
/// function `$process` through [`invoke_native`]. Register it with
/// `svm.add_builtin(program_id, <$name as BuiltinFunctionDefinition<_>>::register)`.
#[macro_export]
macro_rules! native_builtin {
    ($name:ident, $process:path) => {
        $crate::declare_process_instruction!($name, 1, |invoke_context| {
            $crate::invoke_native($process, invoke_context)
        });
    };
}

native_builtin!(LeashBuiltin, leash_program::process_instruction);

/// The Leash program as SBF: the SBPF v0 ELF `scripts/build-sbf programs/leash -n leash` writes
/// (CI rebuilds it and fails if the bytes differ; docs/program.md).
pub const LEASH_PROGRAM_ELF: &[u8] = include_bytes!("../../../programs/leash/leash.so");

/// Which build of the Leash program a chain runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgramBuild {
    /// [`LEASH_PROGRAM_ELF`] in LiteSVM's SBF virtual machine: real compute units.
    #[default]
    Sbf,
    /// The same source compiled for the host, as a builtin (nominal compute units).
    Native,
}

/// The environment variable that picks the build: `sbf` (the default) or `native`.
pub const PROGRAM_BUILD_ENV: &str = "LEASH_PROGRAM";

impl ProgramBuild {
    /// The build named by [`PROGRAM_BUILD_ENV`], or the default when it is unset or empty.
    pub fn from_env() -> Result<ProgramBuild, String> {
        match std::env::var(PROGRAM_BUILD_ENV).as_deref() {
            Err(_) | Ok("") | Ok("sbf") => Ok(ProgramBuild::Sbf),
            Ok("native") => Ok(ProgramBuild::Native),
            Ok(other) => Err(format!(
                "{PROGRAM_BUILD_ENV}={other:?} is not a program build; use `sbf` (the default) or `native`"
            )),
        }
    }
}

/// Registers the Leash program at `program_id` in `svm`: the same ELF at any address.
pub fn add_leash_program(svm: &mut LiteSVM, build: ProgramBuild, program_id: &Address) {
    match build {
        ProgramBuild::Sbf => {
            // The committed ELF is checked by `sbf_program_loads` and by every suite; a failure
            // here is a broken checkout, not input.
            if let Err(e) = svm.add_program(*program_id, LEASH_PROGRAM_ELF) {
                panic!("the committed programs/leash/leash.so does not load: {e:?}");
            }
        }
        ProgramBuild::Native => {
            install_stubs();
            svm.add_builtin(
                *program_id,
                <LeashBuiltin as BuiltinFunctionDefinition<_>>::register,
            );
        }
    }
}

/// A fresh chain: LiteSVM's defaults (sysvars, builtins, signature verification, SPL Token,
/// Token-2022, ATA, Memo) plus the Leash program at `program_id`, built as
/// [`ProgramBuild::from_env`] says.
///
/// # Panics
/// If `LEASH_PROGRAM` names no build (a developer setting; the message says what to use).
pub fn leash_svm(program_id: &Address) -> LiteSVM {
    let build = ProgramBuild::from_env().unwrap_or_else(|e| panic!("{e}"));
    leash_svm_with(build, program_id)
}

/// A fresh chain running `build` of the Leash program at `program_id`.
pub fn leash_svm_with(build: ProgramBuild, program_id: &Address) -> LiteSVM {
    let mut svm = LiteSVM::new();
    add_leash_program(&mut svm, build, program_id);
    svm
}
