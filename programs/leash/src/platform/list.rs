//! The SBF build's growable list (`crate::list` explains why it is not `alloc`'s `Vec`).

#![allow(unsafe_code)]

/// A list asked to hold more than [`List`] allows: out of memory long before, on SBF. The
/// syscall itself, so nothing that may allocate runs on this path.
#[cold]
fn capacity_overflow() -> ! {
    const MESSAGE: &str = "list capacity overflow";
    // SAFETY: pointer and length of a live `str`.
    unsafe { pinocchio::syscalls::sol_log_(MESSAGE.as_ptr(), MESSAGE.len() as u64) }
    panic!()
}

use alloc::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use core::{
    fmt,
    mem::{align_of, size_of},
    ops::{Deref, DerefMut},
    ptr::{self, NonNull},
};

/// Elements a list may hold: far more than any account or instruction can carry (10 MiB of
/// account data, 1,232-byte transactions), small enough that `capacity * size_of::<T>()`
/// cannot overflow for any `T` this program stores.
const MAX_CAPACITY: usize = 1 << 24;

/// A `Vec` with a bounded capacity (see the module).
pub struct List<T> {
    ptr: NonNull<T>,
    len: usize,
    cap: usize,
}

impl<T> List<T> {
    pub const fn new() -> Self {
        List {
            ptr: NonNull::dangling(),
            len: 0,
            cap: 0,
        }
    }

    pub fn with_capacity(cap: usize) -> Self {
        let mut list = List::new();
        list.reserve_exact(cap);
        list
    }

    fn layout(cap: usize) -> Layout {
        if cap > MAX_CAPACITY {
            capacity_overflow();
        }
        // SAFETY: `cap <= 2^24` and every `T` here is far smaller than 2^39 bytes, so the
        // product fits; the alignment is `T`'s.
        unsafe {
            Layout::from_size_align_unchecked(cap.wrapping_mul(size_of::<T>()), align_of::<T>())
        }
    }

    fn reserve_exact(&mut self, cap: usize) {
        if cap <= self.cap || size_of::<T>() == 0 {
            if size_of::<T>() == 0 {
                self.cap = MAX_CAPACITY;
            }
            return;
        }
        let layout = Self::layout(cap);
        // SAFETY: `layout` has a non-zero size (`cap > self.cap >= 0`, `T` not zero-sized).
        let new = unsafe { alloc(layout) }.cast::<T>();
        let Some(new) = NonNull::new(new) else {
            handle_alloc_error(layout)
        };
        if self.cap > 0 {
            // SAFETY: both regions are valid for `len` elements and do not overlap; the old
            // one is then freed with the layout it was allocated with.
            unsafe {
                ptr::copy_nonoverlapping(self.ptr.as_ptr(), new.as_ptr(), self.len);
                dealloc(self.ptr.as_ptr().cast(), Self::layout(self.cap));
            }
        }
        self.ptr = new;
        self.cap = cap;
    }

    /// Room for `additional` more, growing geometrically (the bump allocator never frees, so
    /// growing by what is asked each time would use memory quadratic in the length).
    fn reserve(&mut self, additional: usize) {
        let needed = self.len.saturating_add(additional);
        if needed > self.cap {
            let doubled = if self.cap == 0 {
                8
            } else {
                self.cap.saturating_add(self.cap)
            };
            self.reserve_exact(needed.max(doubled));
        }
    }

    pub fn push(&mut self, value: T) {
        self.reserve(1);
        // SAFETY: `len < cap`, so the slot is allocated and uninitialised.
        unsafe { self.ptr.as_ptr().add(self.len).write(value) };
        self.len = self.len.wrapping_add(1);
    }

    /// One copy of the whole slice (`Copy` only: byte by byte would cost ~10 CU a byte).
    pub fn extend_from_slice(&mut self, items: &[T])
    where
        T: Copy,
    {
        self.reserve(items.len());
        // SAFETY: `reserve` made room for `items.len()` more after `len`; `T: Copy`, so a
        // bitwise copy is a valid clone; the source is a live slice not inside our buffer
        // (we hold `&mut self`).
        unsafe {
            ptr::copy_nonoverlapping(items.as_ptr(), self.ptr.as_ptr().add(self.len), items.len());
        }
        self.len = self.len.wrapping_add(items.len());
    }

    pub fn as_slice(&self) -> &[T] {
        self
    }
}

impl List<u8> {
    /// `n` zero bytes, written 64 at a time (`list![0u8; n]` pushes each: ~10 CU a byte).
    pub fn zeroed(n: usize) -> Self {
        const ZEROS: [u8; 64] = [0; 64];
        let mut list = List::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let chunk = left.min(ZEROS.len());
            list.extend_from_slice(&ZEROS[..chunk]);
            left = left.wrapping_sub(chunk);
        }
        list
    }
}

impl<T: Clone> crate::list::FromElem<T> for List<T> {
    fn from_elem(elem: T, n: usize) -> Self {
        let mut list = List::with_capacity(n);
        for _ in 0..n {
            list.push(elem.clone());
        }
        list
    }
}

impl borsh::io::Write for List<u8> {
    fn write(&mut self, buf: &[u8]) -> borsh::io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> borsh::io::Result<()> {
        Ok(())
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // SAFETY: the first `len` elements are initialised; the buffer came from `alloc`
        // with `layout(cap)`.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len));
            if self.cap > 0 && size_of::<T>() > 0 {
                dealloc(self.ptr.as_ptr().cast(), Self::layout(self.cap));
            }
        }
    }
}

impl<T> Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` is valid (or dangling with `len == 0`) for `len` elements.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as `deref`, and `&mut self` is unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Clone> Clone for List<T> {
    fn clone(&self) -> Self {
        self.iter().cloned().collect()
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for List<T> {}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = List::new();
        for item in iter {
            list.push(item);
        }
        list
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            self.push(item);
        }
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: borsh::BorshSerialize> borsh::BorshSerialize for List<T> {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        let len = u32::try_from(self.len)
            .map_err(|_| borsh::io::Error::from(borsh::io::ErrorKind::InvalidData))?;
        len.serialize(writer)?;
        for item in self.iter() {
            item.serialize(writer)?;
        }
        Ok(())
    }
}

impl<T: borsh::BorshDeserialize> borsh::BorshDeserialize for List<T> {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let len = u32::deserialize_reader(reader)?;
        // Like borsh's `Vec`: a length the input cannot hold fails when the input runs out,
        // without first reserving for it.
        let mut list = List::with_capacity((len as usize).min(64));
        for _ in 0..len {
            list.push(T::deserialize_reader(reader)?);
        }
        Ok(list)
    }
}
