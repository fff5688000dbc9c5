//! Program logs that reach the transaction's log messages on SBF and in the native runtime.
//!
//! `solana_program::msg!` prints to stdout when compiled natively; these go through the
//! platform's log syscall instead, which the native runtime adapter routes into the
//! transaction's logs.
//!
//! Lines are written into a fixed buffer piece by piece ([`Piece`]: text, [`Num`], [`Int`],
//! [`Hex`], [`Key`]), without `core::fmt`: its machinery and the `Display` impls it pulls in
//! were about 54 KB of the SBF program, and its integer formatting cannot be compiled there at
//! all (LLVM 22's BPF backend refuses `Formatter::pad_integral`, a call with six arguments; the
//! build keeps core's own panic messages from linking it, docs/sbf.md "Flags").
//! Each piece prints exactly what `{}` prints natively (tested), and natively the pieces are
//! also `Display`.

#[cfg(not(target_arch = "bpf"))]
use core::fmt;

use crate::platform::Pubkey;

/// Longest line logged; longer ones are cut.
const MAX_LINE: usize = 240;

/// Log a message (`Program log: …`).
pub fn sol_log(message: &str) {
    crate::platform::log(message);
}

/// Log binary fields (`Program data: <base64> …`), used for events.
pub fn sol_log_data(fields: &[&[u8]]) {
    crate::platform::log_data(fields);
}

/// `leash_log!("text", Num(n), " more ", Key(k))`: the pieces, in order, as one `Program log:`
/// line (cut at 240 bytes). Logging is costly on SBF: only refusal paths log, never an
/// `Execute` that succeeds.
#[macro_export]
macro_rules! leash_log {
    ($($piece:expr),+ $(,)?) => {
        $crate::log::sol_log_pieces(&[$(&$piece as &dyn $crate::log::Piece),+])
    };
}

/// Writes `pieces` into one line and logs it. One shared, out-of-line body: each call site is
/// a table of pieces, not a copy of the formatting code.
#[inline(never)]
pub fn sol_log_pieces(pieces: &[&dyn Piece]) {
    let mut line = Line::new();
    for piece in pieces {
        piece.put(&mut line);
    }
    crate::platform::log_bytes(line.as_bytes());
}

/// Something a log line can hold.
pub trait Piece {
    fn put(&self, line: &mut Line);
}

impl Piece for str {
    fn put(&self, line: &mut Line) {
        line.push_str(self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn put(&self, line: &mut Line) {
        (**self).put(line);
    }
}

/// One log line being written.
pub struct Line {
    buf: [u8; MAX_LINE],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    pub fn new() -> Line {
        Line {
            buf: [0; MAX_LINE],
            len: 0,
        }
    }

    #[cfg(not(target_arch = "bpf"))]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The line's bytes: UTF-8, since only whole `str`s (a cut falls back to a char boundary)
    /// and ASCII are copied in. The log syscall refuses anything else, so no validation runs
    /// on chain (it cost ~430 bytes of code).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends `s`, cut at a char boundary when the line is full; whether all of it fit.
    pub fn push_str(&mut self, s: &str) -> bool {
        let room = MAX_LINE.saturating_sub(self.len);
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take = take.saturating_sub(1);
        }
        self.append(s.as_bytes().get(..take).unwrap_or_default());
        take == s.len()
    }

    /// Copies in as much of `bytes` as fits; the callers cut them where the line stays UTF-8.
    #[inline(never)] // one copy for every piece
    fn append(&mut self, bytes: &[u8]) {
        let take = bytes.len().min(MAX_LINE.saturating_sub(self.len));
        let end = self.len.saturating_add(take);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..end), bytes.get(..take)) {
            dst.copy_from_slice(src);
            self.len = end;
        }
    }

    /// Appends ASCII `bytes` (digits and the like).
    fn push_ascii(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.is_ascii());
        self.append(bytes);
    }
}

/// A piece's text, as `Display` natively (clients and tests format the same lines).
#[cfg(not(target_arch = "bpf"))]
pub fn piece_fmt(piece: &impl Piece, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut line = Line::new();
    piece.put(&mut line);
    f.write_str(line.as_str())
}

/// `Display` for a [`Piece`] natively.
macro_rules! display_natively {
    ($($ty:ty),+) => {$(
        #[cfg(not(target_arch = "bpf"))]
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                piece_fmt(self, f)
            }
        }
    )+};
}

display_natively!(Num, Int, Hex<'_>, Key<'_>);

/// An unsigned number, printed in decimal.
pub struct Num(pub u64);

impl Piece for Num {
    fn put(&self, line: &mut Line) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = self.0;
        loop {
            at = at.saturating_sub(1);
            if let Some(d) = digits.get_mut(at) {
                *d = b'0'.saturating_add((n % 10) as u8);
            }
            n /= 10;
            if n == 0 || at == 0 {
                break;
            }
        }
        line.push_ascii(digits.get(at..).unwrap_or_default());
    }
}

/// A signed number, printed in decimal.
pub struct Int(pub i64);

impl Piece for Int {
    fn put(&self, line: &mut Line) {
        if self.0 < 0 {
            line.push_str("-");
        }
        Num(self.0.unsigned_abs()).put(line);
    }
}

/// Bytes, printed as lower-case hex.
pub struct Hex<'a>(pub &'a [u8]);

impl Piece for Hex<'_> {
    fn put(&self, line: &mut Line) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for &byte in self.0 {
            let pair = [
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 0x0f)],
            ];
            line.push_ascii(&pair);
        }
    }
}

/// An address, printed in base58.
pub struct Key<'a>(pub &'a Pubkey);

impl Piece for Key<'_> {
    fn put(&self, line: &mut Line) {
        const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let bytes: &[u8] = self.0.as_ref();
        // Base-58 digits, least significant first; 32 bytes need at most 44.
        let mut digits = [0u8; 44];
        let mut used = 0usize;
        for &byte in bytes {
            let mut carry = u32::from(byte);
            for digit in digits.iter_mut().take(used) {
                carry = carry.saturating_add(u32::from(*digit) << 8);
                *digit = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 && used < digits.len() {
                if let Some(digit) = digits.get_mut(used) {
                    *digit = (carry % 58) as u8;
                }
                carry /= 58;
                used = used.saturating_add(1);
            }
        }
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let mut text = [0u8; 44];
        let mut len = 0usize;
        for _ in 0..zeros {
            if let Some(c) = text.get_mut(len) {
                *c = b'1';
                len = len.saturating_add(1);
            }
        }
        for &digit in digits.iter().take(used).rev() {
            if let Some(c) = text.get_mut(len) {
                *c = ALPHABET.get(usize::from(digit)).copied().unwrap_or(b'1');
                len = len.saturating_add(1);
            }
        }
        line.push_ascii(text.get(..len).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_keys_print_as_core_fmt_does() {
        for n in [0u64, 7, 10, 6_000, u64::MAX] {
            assert_eq!(Num(n).to_string(), n.to_string());
        }
        for n in [0i64, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(Int(n).to_string(), n.to_string());
        }
        for key in [
            Pubkey::new_from_array([0; 32]),
            Pubkey::new_from_array([255; 32]),
            crate::DEFAULT_ID,
            Pubkey::new_from_array([
                0, 0, 3, 9, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                20, 21, 22, 23, 24, 25, 26, 27,
            ]),
        ] {
            assert_eq!(Key(&key).to_string(), key.to_string());
        }
    }

    #[test]
    fn long_lines_are_cut_at_a_char_boundary() {
        let mut line = Line::new();
        let long = "é".repeat(MAX_LINE);
        assert!(!line.push_str(&long));
        assert!(line.as_str().len() <= MAX_LINE);
        assert!(line.as_str().chars().all(|c| c == 'é'));
    }
}
