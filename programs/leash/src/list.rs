//! The program's growable list.
//!
//! Natively it is `alloc::vec::Vec`. On SBF it is [`List`], because LLVM 22's BPF backend cannot
//! compile `Vec`'s growth: `RawVec` checks `capacity * size_of::<T>()` for overflow, a 64-bit
//! overflow check becomes a 128-bit multiply (`__multi3`), and BPF has neither that instruction
//! nor a way to return its result. `List` bounds its capacity instead, so the product cannot
//! overflow and is a plain multiply. Program code uses [`Vec`] and only the API both provide;
//! `List` itself lives in `platform/` with the program's other `unsafe` code.

#[cfg(not(target_arch = "bpf"))]
pub use alloc::vec::Vec;

#[cfg(target_arch = "bpf")]
pub use crate::platform::List as Vec;

/// `vec![]` for [`Vec`]: `list![]`, `list![a, b]`, `list![x; n]`.
#[macro_export]
macro_rules! list {
    () => {
        $crate::list::Vec::new()
    };
    ($elem:expr; $n:expr) => {
        <$crate::list::Vec<_> as $crate::list::FromElem<_>>::from_elem($elem, $n)
    };
    ($($x:expr),+ $(,)?) => {
        <$crate::list::Vec<_> as ::core::iter::FromIterator<_>>::from_iter([$($x),+])
    };
}

/// `a * b`, saturating, by a division: `saturating_mul` checks for overflow with a 128-bit
/// multiply, which SBF cannot do (see the module).
pub fn saturating_mul(a: usize, b: usize) -> usize {
    match usize::MAX.checked_div(b) {
        None => 0,
        Some(most) if a > most => usize::MAX,
        Some(_) => a.wrapping_mul(b),
    }
}

/// `n` clones of `elem` (what `vec![x; n]` does).
pub trait FromElem<T: Clone> {
    fn from_elem(elem: T, n: usize) -> Self;
}

#[cfg(not(target_arch = "bpf"))]
impl<T: Clone> FromElem<T> for Vec<T> {
    fn from_elem(elem: T, n: usize) -> Self {
        alloc::vec![elem; n]
    }
}
