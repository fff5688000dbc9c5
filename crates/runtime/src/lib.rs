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
    leash_svm_running(program_id, SplToken::default())
}

/// [`leash_svm`] with `spl_token` at SPL Token's address.
///
/// # Panics
/// As [`leash_svm`].
pub fn leash_svm_running(program_id: &Address, spl_token: SplToken) -> LiteSVM {
    let build = ProgramBuild::from_env().unwrap_or_else(|e| panic!("{e}"));
    leash_svm_with_token(build, program_id, spl_token)
}

/// A fresh chain running `build` of the Leash program at `program_id`.
pub fn leash_svm_with(build: ProgramBuild, program_id: &Address) -> LiteSVM {
    leash_svm_with_token(build, program_id, SplToken::default())
}

/// Which program runs at SPL Token's address (`Tokenkeg…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SplToken {
    /// p-token, as mainnet runs it since the migration: an upgradeable program, a fraction of
    /// the compute units, no `Program log: Instruction: …` lines.
    #[default]
    PToken,
    /// Classic SPL Token 3.5 under loader v2, as clusters without the migration (and
    /// `solana-test-validator` 3.0) run it.
    Classic,
}

impl SplToken {
    pub fn as_str(self) -> &'static str {
        match self {
            SplToken::PToken => "p-token",
            SplToken::Classic => "classic",
        }
    }
}

impl std::fmt::Display for SplToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SplToken {
    type Err = String;

    fn from_str(text: &str) -> Result<SplToken, String> {
        match text {
            "p-token" => Ok(SplToken::PToken),
            "classic" => Ok(SplToken::Classic),
            other => Err(format!(
                "{other:?} is not an SPL Token program; use `p-token` (the default, as mainnet) or `classic`"
            )),
        }
    }
}

/// A fresh chain running `build` of the Leash program at `program_id`, and `spl_token` at
/// SPL Token's address. LiteSVM loads p-token when mainnet's feature set has the migration
/// active, classic SPL Token otherwise; so the classic chain is LiteSVM's basic chain (the
/// same steps as `LiteSVM::new`) with that one feature off.
pub fn leash_svm_with_token(
    build: ProgramBuild,
    program_id: &Address,
    spl_token: SplToken,
) -> LiteSVM {
    let mut svm = match spl_token {
        SplToken::PToken => LiteSVM::new(),
        SplToken::Classic => {
            let mut features = LiteSVM::mainnet_feature_set();
            features.deactivate(&agave_feature_set::replace_spl_token_with_p_token::id());
            LiteSVM::default()
                .with_feature_set(features)
                .with_builtins()
                .with_lamports(1_000_000u64.wrapping_mul(1_000_000_000))
                .with_sysvars()
                .with_feature_accounts()
                .with_default_programs()
                .with_sigverify(true)
                .with_blockhash_check(true)
                .with_precompiles()
        }
    };
    add_leash_program(&mut svm, build, program_id);
    svm
}
