//! Owner operations for a wallet owned by a passkey (docs/program.md, "Passkey owners"): the
//! same prepared transactions as for an Ed25519 owner, made a passkey's — a fee payer in the
//! owner's paying roles, each owner instruction preceded by the secp256r1 check of an assertion
//! over its challenge — then signed by the payer and sent.

use leash_sdk::{
    instruction as ix,
    passkey::{
        assertion_instruction, for_passkey_owner, instruction_challenge, AssertionResponse,
        SECP256R1_PROGRAM_ID, VALIDITY_SLOTS,
    },
    state::{self, Authority, Passkey},
};
use solana_program::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use solana_signer::Signer;

use crate::{
    client::{Client, Prepared, Signed},
    error::{ClientError, ErrorCode, Result},
    owner::{WalletCreated, WalletRef},
};

impl WalletRef {
    /// The wallet `passkey` calls `name` (salt sha256 of the name, as for a key). Its `owner`
    /// is the secp256r1 program: the account a passkey's owner instructions name as owner.
    pub fn of_passkey(program_id: &Pubkey, passkey: &Passkey, name: &str) -> WalletRef {
        let salt = Self::salt(name);
        let (address, _) =
            state::wallet_address(&Authority::Secp256r1(*passkey), &salt, program_id);
        let (vault, _) = state::vault_address(&address, program_id);
        WalletRef {
            name: name.to_string(),
            owner: SECP256R1_PROGRAM_ID,
            address,
            vault,
            passkey: Some(*passkey),
        }
    }

    /// Whether a passkey owns this wallet.
    pub fn is_passkey(&self) -> bool {
        self.passkey.is_some()
    }
}

/// Whatever answers a passkey's challenges: a software key here, an authenticator in a browser.
pub trait PasskeySigner {
    /// The passkey a wallet stores.
    fn passkey(&self) -> Passkey;
    /// An assertion over `challenge`.
    fn assert(&self, challenge: &[u8; 32]) -> AssertionResponse;
}

/// A software passkey that asks for user verification as its wallet was created to.
pub struct SoftwareOwner {
    pub key: leash_sdk::passkey::SoftwarePasskey,
    pub user_verification: bool,
}

impl PasskeySigner for SoftwareOwner {
    fn passkey(&self) -> Passkey {
        self.key.passkey(self.user_verification)
    }

    fn assert(&self, challenge: &[u8; 32]) -> AssertionResponse {
        self.key.assert(challenge)
    }
}

impl Client {
    /// Creates `passkey`'s wallet `name`, paid by `payer`; nothing to send if it exists.
    pub fn prepare_create_passkey_wallet(
        &self,
        payer: &Pubkey,
        passkey: &Passkey,
        name: &str,
    ) -> Result<Prepared<WalletCreated>> {
        let wallet = WalletRef::of_passkey(self.program_id(), passkey, name);
        let create =
            ix::create_passkey_wallet(self.program_id(), payer, passkey, WalletRef::salt(name));
        let label = leash_sdk::passkey_label(passkey);
        Ok(self.wallet_creation(&wallet, "passkey wallet", label, payer, create))
    }

    /// `prepared` (for a passkey wallet: its owner the secp256r1 program) made a passkey's and
    /// sent: `payer` takes the owner's paying roles and signs; each owner instruction gets the
    /// precompile check of `passkey`'s assertion over its challenge just before it.
    pub fn send_as_passkey<R: Signed>(
        &self,
        prepared: Prepared<R>,
        wallet: &WalletRef,
        passkey: &dyn PasskeySigner,
        payer: &dyn Signer,
    ) -> Result<R> {
        if !wallet.is_passkey() {
            return Err(ClientError::new(
                ErrorCode::Signer,
                format!("wallet {} is not owned by a passkey", wallet.address),
            ));
        }
        let mut report = prepared.report;
        let mut signatures = Vec::new();
        for instructions in &prepared.transactions {
            // The nonce as the previous transaction left it.
            let (_, nonce) = self.passkey_wallet_state(&wallet.address)?;
            let authorized = self.authorize_passkey(
                instructions,
                &wallet.address,
                nonce,
                passkey,
                &payer.pubkey(),
            )?;
            signatures.push(self.send(&authorized, &[payer])?);
        }
        report.signed(&signatures);
        Ok(report)
    }

    /// One transaction's instructions made a passkey's (see [`Client::send_as_passkey`]):
    /// each owner instruction's assertion made in order, from the wallet's `owner_nonce` on.
    pub fn authorize_passkey(
        &self,
        instructions: &[Instruction],
        wallet: &Pubkey,
        owner_nonce: u64,
        passkey: &dyn PasskeySigner,
        payer: &Pubkey,
    ) -> Result<Vec<Instruction>> {
        let mut nonce = owner_nonce;
        let last_valid_slot = self.slot()?.saturating_add(VALIDITY_SLOTS);
        let key = passkey.passkey().key;
        let mut out = Vec::with_capacity(instructions.len() * 2);
        for instruction in instructions {
            let instruction = with_payer(instruction.clone(), payer);
            let is_owner_ix = instruction.program_id == *self.program_id()
                && instruction
                    .accounts
                    .iter()
                    .any(|m| m.pubkey == SECP256R1_PROGRAM_ID);
            if !is_owner_ix {
                out.push(instruction);
                continue;
            }
            let instruction = for_passkey_owner(instruction, wallet);
            let challenge = instruction_challenge(&instruction, nonce, last_valid_slot)
                .ok_or_else(|| {
                    ClientError::new(
                        ErrorCode::InvalidInput,
                        "too many accounts for a passkey-authorized instruction (at most 64)",
                    )
                })?;
            let response = passkey.assert(&challenge);
            let verify =
                assertion_instruction(&key, &response, last_valid_slot).ok_or_else(|| {
                    ClientError::internal("the assertion does not fit an instruction")
                })?;
            out.push(verify);
            out.push(instruction);
            nonce = nonce.saturating_add(1);
        }
        Ok(out)
    }
}

/// One assertion a prepared passkey transaction waits for: which transaction, and the challenge
/// (base64url, as `navigator.credentials.get` takes it) in the order the instructions need them.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct PasskeyChallenge {
    /// Index into the prepared answer's `transactions`.
    pub transaction: usize,
    /// The 32-byte challenge, base64url without padding.
    pub challenge: String,
}

/// A passkey signer that answers nothing yet: it records each challenge and leaves a
/// placeholder assertion, for transactions whose passkey is in a browser.
struct ChallengeRecorder {
    passkey: Passkey,
    challenges: std::cell::RefCell<Vec<[u8; 32]>>,
}

impl PasskeySigner for ChallengeRecorder {
    fn passkey(&self) -> Passkey {
        self.passkey
    }

    fn assert(&self, challenge: &[u8; 32]) -> AssertionResponse {
        self.challenges.borrow_mut().push(*challenge);
        AssertionResponse {
            auth_data: vec![0; leash_sdk::passkey::AUTH_DATA_MIN_LEN],
            client_data_json: vec![],
            signature: [0; 64],
        }
    }
}

impl Client {
    /// The passkey that owns `wallet`, read from the chain.
    pub fn wallet_passkey(&self, wallet: &Pubkey) -> Result<Passkey> {
        Ok(self.passkey_wallet_state(wallet)?.0)
    }

    /// The passkey that owns `wallet` and its owner nonce, in one read of the chain.
    pub fn passkey_wallet_state(&self, wallet: &Pubkey) -> Result<(Passkey, u64)> {
        let state = self
            .account(wallet)?
            .and_then(|a| state::Wallet::decode(&a.data));
        match state {
            Some(state::Wallet {
                owner: Authority::Secp256r1(passkey),
                owner_nonce,
                ..
            }) => Ok((passkey, owner_nonce)),
            _ => Err(ClientError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{wallet} is not a passkey wallet on {}",
                    self.cluster_label()
                ),
            )),
        }
    }

    /// `prepared` (for a passkey wallet) as unsigned transactions paid by `payer`, each owner
    /// instruction preceded by a placeholder precompile instruction, and the challenges the
    /// passkey must answer, in order ([`Client::complete_passkey_transaction`] fills them in).
    pub fn passkey_unsigned<R>(
        &self,
        prepared: &Prepared<R>,
        payer: &Pubkey,
    ) -> Result<(Vec<crate::UnsignedTransaction>, Vec<PasskeyChallenge>)> {
        let mut transactions = Vec::new();
        let mut challenges = Vec::new();
        for (index, instructions) in prepared.transactions.iter().enumerate() {
            let wallet = instructions
                .iter()
                .find(|ix| ix.program_id == *self.program_id())
                .and_then(leash_sdk::passkey::owner_instruction_wallet);
            let Some(wallet) = wallet else {
                // Nothing the passkey authorizes (a deposit): paid and signed by the payer.
                let moved: Vec<Instruction> = instructions
                    .iter()
                    .map(|ix| with_payer(ix.clone(), payer))
                    .collect();
                transactions.push(self.unsigned_transaction(&moved, payer, &prepared.summary)?);
                continue;
            };
            let (passkey, nonce) = self.passkey_wallet_state(&wallet)?;
            let recorder = ChallengeRecorder {
                passkey,
                challenges: Default::default(),
            };
            let authorized =
                self.authorize_passkey(instructions, &wallet, nonce, &recorder, payer)?;
            transactions.push(self.unsigned_transaction(&authorized, payer, &prepared.summary)?);
            for challenge in recorder.challenges.into_inner() {
                challenges.push(PasskeyChallenge {
                    transaction: index,
                    challenge: String::from_utf8_lossy(&leash_sdk::passkey::base64url(&challenge))
                        .into_owned(),
                });
            }
        }
        Ok((transactions, challenges))
    }

    /// A transaction of [`Client::passkey_unsigned`] with `responses` in its placeholder
    /// precompile instructions, in order, ready for the payer to sign. The key is the passkey
    /// of the wallet its Leash instruction names, read from the chain.
    pub fn complete_passkey_transaction(
        &self,
        transaction: &solana_transaction::Transaction,
        responses: &[AssertionResponse],
    ) -> Result<solana_transaction::Transaction> {
        let mut message = transaction.message.clone();
        let keys = message.account_keys.clone();
        let not_prepared = || {
            ClientError::new(
                ErrorCode::InvalidInput,
                "the transaction is not a passkey transaction this API prepared",
            )
            .with_hint("prepare the operation again and answer its challenges")
        };
        let placeholders = message
            .instructions
            .iter()
            .filter(|ix| keys.get(usize::from(ix.program_id_index)) == Some(&SECP256R1_PROGRAM_ID))
            .count();
        if placeholders != responses.len() {
            return Err(ClientError::new(
                ErrorCode::InvalidInput,
                format!(
                    "the transaction waits for {placeholders} passkey assertion(s), {} given",
                    responses.len()
                ),
            )
            .with_hint("answer every challenge of the prepared transaction, in order"));
        }
        if placeholders == 0 {
            return Ok(solana_transaction::Transaction::new_unsigned(message));
        }
        // The wallet: the account after the secp256r1 slot of its Leash instruction.
        let wallet = message
            .instructions
            .iter()
            .filter(|ix| keys.get(usize::from(ix.program_id_index)) == Some(self.program_id()))
            .find_map(|ix| {
                let at = ix
                    .accounts
                    .iter()
                    .position(|&i| keys.get(usize::from(i)) == Some(&SECP256R1_PROGRAM_ID))?;
                let wallet = ix.accounts.get(at.checked_add(1)?)?;
                keys.get(usize::from(*wallet)).copied()
            })
            .ok_or_else(not_prepared)?;
        let key = self.wallet_passkey(&wallet)?.key;
        let mut answers = responses.iter();
        for compiled in &mut message.instructions {
            if keys.get(usize::from(compiled.program_id_index)) != Some(&SECP256R1_PROGRAM_ID) {
                continue;
            }
            let response = answers.next().ok_or_else(|| {
                ClientError::new(
                    ErrorCode::InvalidInput,
                    "fewer assertions than the transaction's passkey challenges",
                )
                .with_hint("answer every challenge of the prepared transaction, in order")
            })?;
            compiled.data = leash_sdk::passkey::with_response(&compiled.data, &key, response)
                .ok_or_else(not_prepared)?;
        }
        if answers.next().is_some() {
            return Err(ClientError::new(
                ErrorCode::InvalidInput,
                "more assertions than the transaction's passkey challenges",
            ));
        }
        Ok(solana_transaction::Transaction::new_unsigned(message))
    }
}

/// `instruction` with the payer in every paying role the prepared owner held: a passkey holds
/// no SOL, so a writable use of the owner slot (rent, a fee top-up) is the payer's.
fn with_payer(mut instruction: Instruction, payer: &Pubkey) -> Instruction {
    for meta in &mut instruction.accounts {
        if meta.pubkey == SECP256R1_PROGRAM_ID && meta.is_writable {
            *meta = AccountMeta::new(*payer, true);
        }
    }
    instruction
}
