//! The chain Leash runs on when there is no cluster: LiteSVM with the real SPL Token,
//! Token-2022 and Associated Token Account programs (as SBF), and the Leash program compiled
//! natively and registered as a builtin through [`native`].
//!
//! `leash node` and the program's tests build their chains with [`leash_svm`].

pub mod native;

pub use litesvm::LiteSVM;
pub use native::{install_stubs, invoke_native, ProcessInstruction};
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

/// Registers the Leash program (at [`leash_program::ID`]) in `svm`.
pub fn add_leash_program(svm: &mut LiteSVM) {
    install_stubs();
    svm.add_builtin(
        leash_program::ID,
        <LeashBuiltin as BuiltinFunctionDefinition<_>>::register,
    );
}

/// A fresh chain: LiteSVM's defaults (sysvars, builtins, signature verification, SPL Token,
/// Token-2022, ATA, Memo) plus the Leash program.
pub fn leash_svm() -> LiteSVM {
    let mut svm = LiteSVM::new();
    add_leash_program(&mut svm);
    svm
}
