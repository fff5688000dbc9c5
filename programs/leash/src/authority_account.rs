//! Reading the accounts besides token accounts and mints over which a key can hold an authority
//! that moves lamports (docs/program.md, "Who else can move it"): System
//! nonce accounts (their authority), stake accounts (staker, withdrawer, lockup custodian),
//! address lookup tables (their authority), vote accounts (their withdrawer, and the reward
//! collectors it sets) and the programs, program data and buffers of the upgradeable loader and
//! loader v4 (their authority). Only the fixed head of each layout is read.
//!
//! - Nonce (System program, 80 bytes): `Versions` u32, `State` u32 (1 = initialized), then the
//!   authority.
//! - Stake (`StakeStateV2`, 200 bytes): u32 tag (1 = initialized, 2 = stake), `rent_exempt_reserve`
//!   u64, staker, withdrawer, then the lockup: `unix_timestamp` i64, `epoch` u64, custodian.
//! - Address lookup table: u32 tag (1 = lookup table), `deactivation_slot` u64,
//!   `last_extended_slot` u64, `last_extended_slot_start_index` u8, then `Option<Pubkey>`
//!   authority (u8 tag + 32 bytes).
//! - Vote (`VoteStateVersions`, bincode): u32 tag. 0 (`V0_23_5`): node, authorized voter, its
//!   epoch u64, 32 prior voters of 56 bytes and a u64 index, then the withdrawer at 1876.
//!   1 (`V1_14_11`), 2 (`V3`): node, then the withdrawer at 36. 3 (`V4`): node, withdrawer, the
//!   inflation-rewards collector at 68 and the block-revenue collector at 100. Withdrawing
//!   everything resets the state to its default, whose withdrawer is zero: read as none.
//! - Upgradeable loader (`UpgradeableLoaderState`, bincode): u32 tag. 1 = buffer:
//!   `Option<Pubkey>` authority (u8 tag + 32 bytes) at 4. 3 = program data: slot u64 at 4, then
//!   the `Option<Pubkey>` upgrade authority at 12. The authority closes either, its lamports to
//!   any recipient.
//! - Loader v4 (`LoaderV4State`): slot u64, authority (or the next version) at 8, status u64 at 40
//!   (2 = finalized: no authority any more). The authority shrinks or closes the program, its
//!   lamports to any recipient.

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

/// The Vote program.
pub const VOTE_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("Vote111111111111111111111111111111111111111");
/// The upgradeable BPF loader (loader v3).
pub const UPGRADEABLE_LOADER_ID: Pubkey =
    Pubkey::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111");
/// Loader v4.
pub const LOADER_V4_ID: Pubkey =
    Pubkey::from_str_const("LoaderV411111111111111111111111111111111111");

/// Size of a System nonce account.
pub const NONCE_ACCOUNT_LEN: usize = 80;
/// The bytes of a stake account, lookup table or loader account this module reads.
pub const HEAD_LEN: usize = 124;
/// The bytes of a vote account this module reads: up to the withdrawer of the oldest layout.
pub const VOTE_HEAD_LEN: usize = 1908;

/// The authorities of an account, in fixed slots (stake: staker, withdrawer, custodian; others:
/// the one authority first), and the one that can move its lamports out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authorities {
    pub slots: [Option<Pubkey>; 3],
    /// A stake account's lockup (`unix_timestamp`, `epoch`); its custodian is `slots[2]`.
    pub lockup: Option<(i64, u64)>,
    /// Withdraws from it (nonce authority, stake or vote withdrawer), or closes it (lookup
    /// table or loader authority).
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

/// The authorities of an initialized nonce account, stake account, lookup table, vote account
/// or loader account; `None` for anything else (including one withdrawn whole, which is
/// deinitialized). Out of line: the rules ask it in three places, none on the common path.
#[inline(never)]
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
        return Some(one_authority(optional_pubkey_at(data, 21)?));
    }
    if address_eq(owner, &VOTE_PROGRAM_ID) {
        return vote_authorities(data);
    }
    if address_eq(owner, &UPGRADEABLE_LOADER_ID) {
        let authority = match u32_at(data, 0)? {
            1 => optional_pubkey_at(data, 4)?,
            3 => optional_pubkey_at(data, 12)?,
            _ => return None,
        };
        return Some(one_authority(authority));
    }
    if address_eq(owner, &LOADER_V4_ID) {
        const FINALIZED: u64 = 2;
        let authority = pubkey_at(data, 8)?;
        let status = u64_at(data, 40)?;
        return (status != FINALIZED).then(|| one_authority(Some(authority)));
    }
    None
}

/// A vote account's withdrawer and, in layout 4, the collectors it sets.
fn vote_authorities(data: &[u8]) -> Option<Authorities> {
    const WITHDRAWER_0_23_5: usize = 4 + 32 + 32 + 8 + 32 * 56 + 8;
    let (withdrawer, collectors) = match u32_at(data, 0)? {
        0 => (pubkey_at(data, WITHDRAWER_0_23_5)?, [None, None]),
        1 | 2 => (pubkey_at(data, 36)?, [None, None]),
        3 => (
            pubkey_at(data, 36)?,
            [Some(pubkey_at(data, 68)?), Some(pubkey_at(data, 100)?)],
        ),
        _ => return None,
    };
    if withdrawer == Pubkey::default() {
        // The default state a full withdrawal leaves (or one never initialized).
        return None;
    }
    let [inflation, block] = collectors;
    Some(Authorities {
        slots: [Some(withdrawer), inflation, block],
        lockup: None,
        over_lamports: Some(withdrawer),
    })
}

/// An account with one authority, which also moves its lamports.
fn one_authority(authority: Option<Pubkey>) -> Authorities {
    Authorities {
        slots: [authority, None, None],
        lockup: None,
        over_lamports: authority,
    }
}

/// A bincode `Option<Pubkey>` at `at`: `Some(None)` for a 0 tag.
fn optional_pubkey_at(data: &[u8], at: usize) -> Option<Option<Pubkey>> {
    match data.get(at)? {
        0 => Some(None),
        1 => Some(Some(pubkey_at(data, at.checked_add(1)?)?)),
        _ => None,
    }
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

    #[test]
    fn reads_vote_withdrawers_in_every_layout() {
        let mut v3 = [0u8; 3762];
        v3[0..4].copy_from_slice(&2u32.to_le_bytes());
        v3[4..36].copy_from_slice(C.as_ref());
        v3[36..68].copy_from_slice(A.as_ref());
        let read = authorities(&VOTE_PROGRAM_ID, &v3).unwrap();
        assert_eq!(read.slots, [Some(A), None, None]);
        assert_eq!(read.over_lamports, Some(A));
        v3[0] = 1;
        assert_eq!(
            authorities(&VOTE_PROGRAM_ID, &v3),
            Some(read),
            "layout 1_14_11"
        );
        // Layout 4: the collectors the withdrawer sets are kept with it.
        v3[0] = 3;
        v3[68..100].copy_from_slice(B.as_ref());
        v3[100..132].copy_from_slice(C.as_ref());
        let read = authorities(&VOTE_PROGRAM_ID, &v3).unwrap();
        assert_eq!(read.slots, [Some(A), Some(B), Some(C)]);
        assert_eq!(read.over_lamports, Some(A));
        // Layout 0_23_5: the withdrawer after 32 prior voters.
        let mut old = [0u8; 1908 + 100];
        old[1876..1908].copy_from_slice(B.as_ref());
        assert_eq!(
            authorities(&VOTE_PROGRAM_ID, &old).unwrap().over_lamports,
            Some(B)
        );
        assert!(authorities(&VOTE_PROGRAM_ID, &old[..1900]).is_none(), "cut");
        // Withdrawn whole: the default state, a zero withdrawer.
        let mut reset = [0u8; 3762];
        reset[0..4].copy_from_slice(&2u32.to_le_bytes());
        assert!(authorities(&VOTE_PROGRAM_ID, &reset).is_none());
        reset[0] = 4;
        reset[36..68].copy_from_slice(A.as_ref());
        assert!(
            authorities(&VOTE_PROGRAM_ID, &reset).is_none(),
            "unknown layout"
        );
    }

    #[test]
    fn reads_loader_authorities() {
        // Upgradeable loader: a buffer, then program data.
        let mut buffer = [0u8; 37 + 8];
        buffer[0..4].copy_from_slice(&1u32.to_le_bytes());
        buffer[4] = 1;
        buffer[5..37].copy_from_slice(A.as_ref());
        let read = authorities(&UPGRADEABLE_LOADER_ID, &buffer).unwrap();
        assert_eq!(
            (read.slots, read.over_lamports),
            ([Some(A), None, None], Some(A))
        );
        buffer[4] = 0;
        let read = authorities(&UPGRADEABLE_LOADER_ID, &buffer).unwrap();
        assert_eq!((read.slots, read.over_lamports), ([None, None, None], None));
        buffer[4] = 2;
        assert!(
            authorities(&UPGRADEABLE_LOADER_ID, &buffer).is_none(),
            "bad tag"
        );
        let mut data = [0u8; 45 + 8];
        data[0..4].copy_from_slice(&3u32.to_le_bytes());
        data[12] = 1;
        data[13..45].copy_from_slice(B.as_ref());
        assert_eq!(
            authorities(&UPGRADEABLE_LOADER_ID, &data)
                .unwrap()
                .over_lamports,
            Some(B)
        );
        // The program account itself (tag 2) names its data, and holds no authority.
        data[0] = 2;
        assert!(authorities(&UPGRADEABLE_LOADER_ID, &data).is_none());
        // Loader v4: the authority until the program is finalized.
        let mut program = [0u8; 48 + 8];
        program[8..40].copy_from_slice(C.as_ref());
        program[40] = 1;
        assert_eq!(
            authorities(&LOADER_V4_ID, &program).unwrap().over_lamports,
            Some(C)
        );
        program[40] = 2;
        assert!(authorities(&LOADER_V4_ID, &program).is_none(), "finalized");
    }

    const TOKEN: Pubkey = crate::token_account::TOKEN_PROGRAM_ID;
}
