//! `CreateWallet` (instruction 0): a wallet PDA of the owner's authority hash and a salt.

use super::{
    check_signer, check_system_program, check_writable, create_pda_account, invalid_account,
    write_wallet,
};
use crate::{
    error::LeashError,
    event::LeashEvent,
    leash_log,
    passkey::SECP256R1_PROGRAM_ID,
    platform::{address_eq, Account, ProgramError, ProgramResult, Pubkey},
    state::{
        authority_hash, vault_address, Authority, Wallet, LAYOUT_VERSION, WALLET_ACCOUNT_TYPE,
        WALLET_SEED,
    },
};

struct CreateWalletAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    payer: &'a Account<'info>,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    system_program: &'a Account<'info>,
}

impl<'a, 'info> CreateWalletAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [payer, owner, wallet, system_program, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            payer,
            owner,
            wallet,
            system_program,
        })
    }

    /// Checks, in order; returns the wallet's bump.
    fn validate(
        &self,
        owner: &Authority,
        owner_hash: &[u8; 32],
        salt: &[u8; 32],
    ) -> Result<u8, ProgramError> {
        // 1. The payer signs and pays.
        check_signer(self.payer)?;
        check_writable(self.payer, "payer must be writable")?;
        // 2. An Ed25519 owner signs its wallet's creation. A passkey signs nothing here: the
        // wallet's address hashes the whole passkey (key, relying party, verification), so
        // whoever creates it creates exactly the wallet its owner would, and pays its rent;
        // the owner account is the secp256r1 program, as in every passkey owner instruction.
        match owner.signer_key() {
            Some(key) => {
                if !self.owner.is_signer() || !address_eq(self.owner.key(), key) {
                    leash_log!("the wallet's owner must sign its creation");
                    return Err(LeashError::Unauthorized.into());
                }
            }
            None => {
                if !address_eq(self.owner.key(), &SECP256R1_PROGRAM_ID) {
                    return Err(invalid_account(
                        "a passkey wallet's owner account is the secp256r1 program",
                    ));
                }
            }
        }
        // 3. The wallet is the PDA of this owner and salt.
        check_writable(self.wallet, "wallet must be writable")?;
        check_system_program(self.system_program)?;
        let (expected, bump) =
            Pubkey::find_program_address(&[WALLET_SEED, owner_hash, salt], self.program_id);
        if expected != *self.wallet.key() {
            return Err(invalid_account(
                "wallet is not the PDA of this owner and salt",
            ));
        }
        Ok(bump)
    }
}

pub(super) fn process(
    program_id: &Pubkey,
    accounts: &[Account],
    owner: Authority,
    salt: [u8; 32],
) -> ProgramResult {
    let accounts = CreateWalletAccounts::parse(program_id, accounts)?;
    let owner_hash = authority_hash(&owner);
    let bump = accounts.validate(&owner, &owner_hash, &salt)?;
    let (_, vault_bump) = vault_address(accounts.wallet.key(), program_id);
    let clock = crate::sysvars::clock()?;
    create_pda_account(
        program_id,
        accounts.payer,
        accounts.wallet,
        accounts.system_program,
        Wallet::len_for(&owner),
        &[WALLET_SEED, &owner_hash, &salt, &[bump]],
    )?;
    let wallet = Wallet {
        account_type: WALLET_ACCOUNT_TYPE,
        version: LAYOUT_VERSION,
        bump,
        vault_bump,
        owner,
        salt,
        epoch: 0,
        created_slot: clock.slot,
        owner_nonce: 0,
    };
    write_wallet(accounts.wallet, &wallet)?;
    LeashEvent::WalletCreated {
        wallet: *accounts.wallet.key(),
        owner,
    }
    .emit();
    Ok(())
}
