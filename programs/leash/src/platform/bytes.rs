//! Byte layouts read in place: the token program's accounts and mints, and the Leash accounts,
//! are `repr(C)` structs of byte fields cast over account data instead of copied out field by
//! field (each byte an SBF program moves costs compute units; docs/program.md, "Compute units").
//!
//! The one `unsafe` this needs is here: [`Bytes`] marks types of alignment 1 that every bit
//! pattern is a valid value of, and [`byte_layout!`](crate::byte_layout) only implements it for
//! structs whose fields all are.

#![allow(unsafe_code)]

use core::mem::size_of;

use super::Pubkey;

/// Plain bytes: alignment 1, no padding, every bit pattern a valid value.
///
/// # Safety
/// Implemented here for `u8`, arrays of `Bytes` and [`Pubkey`] (`repr(transparent)` over
/// `[u8; 32]`), and by [`byte_layout!`](crate::byte_layout) for `repr(C)` structs of `Bytes`
/// fields; nothing else may implement it.
pub unsafe trait Bytes: Sized {}

// SAFETY: one byte, any value.
unsafe impl Bytes for u8 {}
// SAFETY: an array of alignment-1 elements that accept any bytes has neither padding nor
// invalid values.
unsafe impl<T: Bytes, const N: usize> Bytes for [T; N] {}
// SAFETY: `Address` is `repr(transparent)` over `[u8; 32]`.
unsafe impl Bytes for Pubkey {}

/// The `T` at the start of `data`, in place; `None` if `data` is shorter than `T`.
pub fn layout<T: Bytes>(data: &[u8]) -> Option<&T> {
    if data.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `T: Bytes` has alignment 1 and accepts any bytes, and `data` holds at least
    // `size_of::<T>()` of them, borrowed for the result's lifetime.
    Some(unsafe { &*data.as_ptr().cast::<T>() })
}

/// The bytes of a layout (clients encode accounts with it; tests compare it with borsh).
#[cfg(not(target_arch = "bpf"))]
pub fn bytes_of<T: Bytes>(value: &T) -> &[u8] {
    // SAFETY: `T: Bytes` has no padding, so all `size_of::<T>()` bytes are initialised.
    unsafe { core::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

/// [`layout`], writable.
pub fn layout_mut<T: Bytes>(data: &mut [u8]) -> Option<&mut T> {
    if data.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: as `layout`; the borrow of `data` is unique, so is the result.
    Some(unsafe { &mut *data.as_mut_ptr().cast::<T>() })
}

/// `count` consecutive `T`s at the start of `data`, in place, and the bytes after them; `None`
/// if `data` is shorter.
pub fn layouts<T: Bytes>(data: &[u8], count: usize) -> Option<(&[T], &[u8])> {
    // Not `checked_mul`: a 128-bit multiply on SBF (see `crate::list`).
    let len = crate::list::saturating_mul(size_of::<T>(), count);
    let (head, rest) = data.split_at_checked(len)?;
    // SAFETY: as `layout`: `head` holds exactly `count` alignment-1 `T`s, any bytes valid.
    let items = unsafe { core::slice::from_raw_parts(head.as_ptr().cast::<T>(), count) };
    Some((items, rest))
}

/// [`layouts`], writable.
pub fn layouts_mut<T: Bytes>(data: &mut [u8], count: usize) -> Option<&mut [T]> {
    let len = crate::list::saturating_mul(size_of::<T>(), count);
    let head = data.get_mut(..len)?;
    // SAFETY: as `layouts`; the borrow of `data` is unique, so is the result.
    Some(unsafe { core::slice::from_raw_parts_mut(head.as_mut_ptr().cast::<T>(), count) })
}

/// A `repr(C)` struct of [`Bytes`] fields, itself `Bytes`: one statement of a byte layout that
/// [`layout`] reads in place. A field of another type fails to compile.
#[macro_export]
macro_rules! byte_layout {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        // SAFETY: `repr(C)` over fields that are all `Bytes` (the bounds below fail to compile
        // otherwise): alignment 1, no padding, every bit pattern valid.
        #[allow(unsafe_code, trivial_bounds)]
        unsafe impl $crate::platform::Bytes for $name where $($ty: $crate::platform::Bytes),* {}

        const _: () = assert!(::core::mem::align_of::<$name>() == 1);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::byte_layout! {
        struct Pair {
            tag: u8,
            key: Pubkey,
            amount: [u8; 8],
        }
    }

    #[test]
    fn layouts_read_in_place_and_refuse_short_data() {
        let mut data = [0u8; 42];
        data[0] = 7;
        data[1..33].fill(9);
        data[33..41].copy_from_slice(&5u64.to_le_bytes());
        let pair: &Pair = layout(&data).unwrap();
        assert_eq!(size_of::<Pair>(), 41);
        assert_eq!(pair.tag, 7);
        assert_eq!(pair.key, Pubkey::new_from_array([9; 32]));
        assert_eq!(u64::from_le_bytes(pair.amount), 5);
        assert!(layout::<Pair>(&data[..40]).is_none());
        // Unaligned: alignment 1 reads from any offset.
        assert_eq!(layout::<Pair>(&data[1..]).map(|p| p.tag), Some(9));
        layout_mut::<Pair>(&mut data).unwrap().tag = 3;
        assert_eq!(data[0], 3);
        let (keys, rest) = layouts::<Pubkey>(&data[1..], 1).unwrap();
        assert_eq!(keys, &[Pubkey::new_from_array([9; 32])]);
        assert_eq!(rest.len(), 9);
        assert!(layouts::<Pubkey>(&data, 2).is_none());
        assert!(layouts::<Pubkey>(&data, usize::MAX).is_none());
        layouts_mut::<[u8; 8]>(&mut data[33..], 1).unwrap()[0] = 6u64.to_le_bytes();
        assert_eq!(u64::from_le_bytes(layout::<Pair>(&data).unwrap().amount), 6);
    }
}
