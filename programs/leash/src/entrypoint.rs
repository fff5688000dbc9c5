//! The SBF entrypoint. Natively the runtime adapter calls [`crate::process_instruction`]
//! directly, so builds for the SDK and CLI use the `no-entrypoint` feature.

solana_program::entrypoint!(crate::processor::process_instruction);
