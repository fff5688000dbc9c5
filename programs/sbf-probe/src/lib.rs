//! The smallest `no_std` Solana program: it logs one line and succeeds. It exists to prove that
//! `scripts/build-sbf` turns a crate into an SBPF v0 ELF that a Solana runtime loads (docs/sbf.md).
//!
//! No SDK at all: the entrypoint is the `entrypoint` symbol the loader calls with the serialized
//! input, and `sol_log_` is the runtime's syscall, which sbpf-linker turns into a v0 syscall call.

#![no_std]

/// The line the program logs.
pub const MESSAGE: &[u8] = b"sbf-probe: hello from SBPF v0";

// Off the SBF target (lints, docs) std provides the panic handler.
#[cfg(not(target_arch = "bpf"))]
extern crate std;

#[cfg(target_arch = "bpf")]
mod sbf {
    extern "C" {
        fn sol_log_(message: *const u8, len: u64);
        fn abort() -> !;
    }

    /// The program's entrypoint: logs [`super::MESSAGE`] and returns success (0).
    ///
    /// # Safety
    /// Called by the runtime with its serialized input, which this program does not read.
    #[no_mangle]
    pub unsafe extern "C" fn entrypoint(_input: *mut u8) -> u64 {
        // SAFETY: the pointer and length describe a static byte string.
        unsafe { sol_log_(super::MESSAGE.as_ptr(), super::MESSAGE.len() as u64) };
        0
    }

    #[panic_handler]
    fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
        // SAFETY: `abort` is the runtime's syscall that ends the program with an error.
        unsafe { abort() }
    }
}
