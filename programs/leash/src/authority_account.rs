//! Reading the accounts besides token accounts and mints over which a key can hold an authority
//! that moves lamports (docs/program.md, "Who else can move it"): System
//! nonce accounts (their authority), stake accounts (staker, withdrawer, lockup custodian) and
//! address lookup tables (their authority). Only the fixed head of each layout is read.
//!
//! - Nonce (System program, 80 bytes): `Versions` u32, `State` u32 (1 = initialized), then the
//!   authority.
//! - Stake (`StakeStateV2`, 200 bytes): u32 tag (1 = initialized, 2 = stake), `rent_exempt_reserve`
//!   u64, staker, withdrawer, then the lockup: `unix_timestamp` i64, `epoch` u64, custodian.
//! - Address lookup table: u32 tag (1 = lookup table), `deactivation_slot` u64,
//!   `last_extended_slot` u64, `last_extended_slot_start_index` u8, then `Option<Pubkey>`
//!   authority (u8 tag + 32 bytes).

use crate::{
    platform::{address_eq, Pubkey, SYSTEM_PROGRAM_ID},
    token_account::{pubkey_at, u64_at},
};

/// The Stake program.
pub const STAKE_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("Stake11111111111111111111111111111111111111");
/// The Address Lookup Table program.
pub const ADDRESS_LOOKUP_TABLE_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("AddressLookupTab1e1111111111111111111111111");

/// Size of a System nonce account.
pub const NONCE_ACCOUNT_LEN: usize = 80;
/// The bytes of a stake account or lookup table this module reads.
pub const HEAD_LEN: usize = 124;

/// The authorities of an account, in fixed slots (stake: staker, withdrawer, custodian; others:
/// the one authority first), and the one that can move its lamports out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authorities {
    pub slots: [Option<Pubkey>; 3],
    /// A stake account's lockup (`unix_timestamp`, `epoch`); its custodian is `slots[2]`.
    pub lockup: Option<(i64, u64)>,
    /// Withdraws from it (nonce authority, stake withdrawer), or closes it (lookup table
    /// authority).
    pub over_lamports: Option<Pubkey>,
}

fn i64_at(data: &[u8], at: usize) -> Option<i64> {
    u64_at(data, at).map(|v| v as i64)
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The authorities of an initialized nonce account, stake account or lookup table; `None` for
/// anything else (including one withdrawn whole, which is deinitialized).
pub fn authorities(owner: &Pubkey, data: &[u8]) -> Option<Authorities> {
    if address_eq(owner, &SYSTEM_PROGRAM_ID) {
        if data.len() != NONCE_ACCOUNT_LEN || u32_at(data, 4)? != 1 {
            return None;
        }
        let authority = pubkey_at(data, 8)?;
        return Some(Authorities {
            slots: [Some(authority), None, None],
            lockup: None,
            over_lamports: Some(authority),
        });
    }
    if address_eq(owner, &STAKE_PROGRAM_ID) {
        if !matches!(u32_at(data, 0)?, 1 | 2) {
            return None;
        }
        let (staker, withdrawer, custodian) = (
            pubkey_at(data, 12)?,
            pubkey_at(data, 44)?,
            pubkey_at(data, 92)?,
        );
        let lockup = (i64_at(data, 76)?, u64_at(data, 84)?);
        return Some(Authorities {
            slots: [Some(staker), Some(withdrawer), Some(custodian)],
            lockup: Some(lockup),
            over_lamports: Some(withdrawer),
        });
    }
    if address_eq(owner, &ADDRESS_LOOKUP_TABLE_PROGRAM_ID) {
        if u32_at(data, 0)? != 1 {
            return None;
        }
        let authority = match data.get(21)? {
            0 => None,
            1 => Some(pubkey_at(data, 22)?),
            _ => return None,
        };
        return Some(Authorities {
            slots: [authority, None, None],
            lockup: None,
            over_lamports: authority,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Pubkey = Pubkey::new_from_array([7; 32]);
    const B: Pubkey = Pubkey::new_from_array([8; 32]);
    const C: Pubkey = Pubkey::new_from_array([9; 32]);

    #[test]
    fn reads_nonce_stake_and_lookup_table_authorities() {
        let mut nonce = [0u8; 80];
        nonce[0..4].copy_from_slice(&1u32.to_le_bytes());
        nonce[4..8].copy_from_slice(&1u32.to_le_bytes());
        nonce[8..40].copy_from_slice(A.as_ref());
        let read = authorities(&SYSTEM_PROGRAM_ID, &nonce).unwrap();
        assert_eq!(read.over_lamports, Some(A));
        nonce[4] = 0;
        assert_eq!(
            authorities(&SYSTEM_PROGRAM_ID, &nonce),
            None,
            "uninitialized"
        );

        let mut stake = [0u8; 200];
        stake[0..4].copy_from_slice(&2u32.to_le_bytes());
        stake[12..44].copy_from_slice(A.as_ref());
        stake[44..76].copy_from_slice(B.as_ref());
        stake[92..124].copy_from_slice(C.as_ref());
        let read = authorities(&STAKE_PROGRAM_ID, &stake).unwrap();
        assert_eq!(read.slots, [Some(A), Some(B), Some(C)]);
        assert_eq!(read.over_lamports, Some(B));
        assert!(authorities(&STAKE_PROGRAM_ID, &stake[..100]).is_none());

        let mut table = [0u8; 56];
        table[0..4].copy_from_slice(&1u32.to_le_bytes());
        table[21] = 1;
        table[22..54].copy_from_slice(C.as_ref());
        assert_eq!(
            authorities(&ADDRESS_LOOKUP_TABLE_PROGRAM_ID, &table)
                .unwrap()
                .over_lamports,
            Some(C)
        );
        table[21] = 0;
        assert_eq!(
            authorities(&ADDRESS_LOOKUP_TABLE_PROGRAM_ID, &table)
                .unwrap()
                .slots,
            [None, None, None]
        );
        assert!(authorities(&TOKEN, &stake).is_none());
    }

    const TOKEN: Pubkey = crate::token_account::TOKEN_PROGRAM_ID;
}
