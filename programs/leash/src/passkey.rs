//! Passkey owners (docs/program.md, "Passkey owners"): how a WebAuthn assertion, verified by
//! the secp256r1 precompile in the instruction just before, authorizes one owner instruction.
//!
//! The precompile checks the signature over what it is given; this module checks that what it
//! was given is an assertion by this wallet's passkey, for this relying party, with the user
//! present (and verified where the wallet asks), over a challenge naming this very instruction,
//! the wallet's next owner nonce and a last valid slot. The byte layouts here are stated once
//! and used by the program and by every client ([`precompile_data`], [`challenge`]).

use crate::platform::{sha256, Pubkey};
use crate::state::Passkey;

/// The secp256r1 signature-verification precompile (SIMD-0075).
pub const SECP256R1_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("Secp256r1SigVerify1111111111111111111111111");

/// The first bytes hashed into every challenge: an assertion made for Leash means nothing to
/// another verifier, and a later challenge format gets a new domain.
pub const CHALLENGE_DOMAIN: &[u8] = b"leash-passkey-owner-v1";

/// Most accounts an owner instruction authorized by a passkey may list (the challenge hashes
/// each; a transaction locks at most 64 anyway).
pub const MAX_ACCOUNTS: usize = 64;

/// How many slots after it is prepared an assertion stays valid, as clients set it: about two
/// minutes, time to touch the authenticator; then it expires even if nobody sent it.
pub const VALIDITY_SLOTS: u64 = 300;

/// Where the precompile instruction's parts sit: the one signature's offsets, then the key,
/// the signature, the signed message (authenticator data, then sha256 of the client data) —
/// the precompile's own builder's order — and after what the precompile reads, the last valid
/// slot and the client data JSON, which only this program reads.
pub const OFFSETS_START: usize = 2;
pub const PUBKEY_OFFSET: usize = 16;
pub const SIGNATURE_OFFSET: usize = PUBKEY_OFFSET + 33;
pub const MESSAGE_OFFSET: usize = SIGNATURE_OFFSET + 64;
/// Authenticator data: the RP ID hash (32), the flags (1), the signature counter (4).
pub const AUTH_DATA_MIN_LEN: usize = 37;
/// "User present" in the authenticator data's flags.
pub const FLAG_USER_PRESENT: u8 = 0x01;
/// "User verified" in the authenticator data's flags.
pub const FLAG_USER_VERIFIED: u8 = 0x04;
/// An instruction index in the offsets meaning "this instruction's own data".
const THIS_INSTRUCTION: u16 = u16::MAX;

/// Half the order of P-256: a signature's `s` must not exceed it (a signature and its
/// `(r, n - s)` twin are both valid; only the low one is accepted).
pub const HALF_ORDER: [u8; 32] = [
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
];

/// How a client data JSON must begin: browsers write `type` then `challenge` first (WebAuthn
/// §5.8.1.2, "limited verification"), so a prefix compare is exact — no JSON parser on chain.
const CLIENT_DATA_HEAD: &[u8] = br#"{"type":"webauthn.get","challenge":""#;
/// The challenge in base64url without padding: 32 bytes are 43 characters.
pub const CHALLENGE_B64_LEN: usize = 43;
/// The prefix's length: the head, the challenge, its closing quote.
pub const CLIENT_DATA_PREFIX_LEN: usize = CLIENT_DATA_HEAD.len() + CHALLENGE_B64_LEN + 1;

/// The challenge the passkey signs for one owner instruction: sha256 of the domain, the
/// program id, the wallet's owner nonce, the last valid slot, the instruction's account keys
/// (count, then each) and its data. `None` past [`MAX_ACCOUNTS`] accounts.
pub fn challenge<'k>(
    program_id: &Pubkey,
    owner_nonce: u64,
    last_valid_slot: u64,
    keys: impl ExactSizeIterator<Item = &'k Pubkey>,
    data: &[u8],
) -> Option<[u8; 32]> {
    let count = u16::try_from(keys.len()).ok()?;
    if keys.len() > MAX_ACCOUNTS {
        return None;
    }
    let nonce = owner_nonce.to_le_bytes();
    let slot = last_valid_slot.to_le_bytes();
    let count = count.to_le_bytes();
    let mut parts: [&[u8]; MAX_ACCOUNTS + 6] = [&[]; MAX_ACCOUNTS + 6];
    let fixed: [&[u8]; 5] = [CHALLENGE_DOMAIN, program_id.as_ref(), &nonce, &slot, &count];
    let mut used = 0usize;
    for part in fixed.into_iter().chain(keys.map(|k| k.as_ref())) {
        *parts.get_mut(used)? = part;
        used = used.checked_add(1)?;
    }
    *parts.get_mut(used)? = data;
    used = used.checked_add(1)?;
    Some(sha256(parts.get(..used)?))
}

/// `bytes` (32 of them) in base64url without padding, as a browser puts a challenge into the
/// client data.
pub fn base64url(bytes: &[u8; 32]) -> [u8; CHALLENGE_B64_LEN] {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digit = |sextet: u32| ALPHABET[(sextet & 63) as usize];
    let mut out = [0u8; CHALLENGE_B64_LEN];
    // Ten groups of three bytes make forty characters; the last two bytes make three more.
    for (group, chars) in bytes.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        if let ([a, b, c], [w, x, y, z]) = (group, chars) {
            let n = (u32::from(*a) << 16) | (u32::from(*b) << 8) | u32::from(*c);
            *w = digit(n >> 18);
            *x = digit(n >> 12);
            *y = digit(n >> 6);
            *z = digit(n);
        }
    }
    if let ([.., a, b], [.., w, x, y]) = (&bytes[..], &mut out[..]) {
        let n = (u32::from(*a) << 16) | (u32::from(*b) << 8);
        *w = digit(n >> 18);
        *x = digit(n >> 12);
        *y = digit(n >> 6);
    }
    out
}

/// The first [`CLIENT_DATA_PREFIX_LEN`] bytes a client data JSON must have for `challenge`.
pub fn client_data_prefix(challenge: &[u8; 32]) -> [u8; CLIENT_DATA_PREFIX_LEN] {
    let mut prefix = [b'"'; CLIENT_DATA_PREFIX_LEN];
    let (head, rest) = prefix.split_at_mut(CLIENT_DATA_HEAD.len());
    head.copy_from_slice(CLIENT_DATA_HEAD);
    if let Some(encoded) = rest.get_mut(..CHALLENGE_B64_LEN) {
        encoded.copy_from_slice(&base64url(challenge));
    }
    prefix
}

/// An assertion as the precompile instruction carries it, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assertion<'a> {
    pub key: &'a [u8; 33],
    pub signature: &'a [u8; 64],
    pub auth_data: &'a [u8],
    pub client_data_hash: &'a [u8; 32],
    pub last_valid_slot: u64,
    pub client_data_json: &'a [u8],
}

/// The precompile instruction's `data` as an [`Assertion`]; `None` unless it has exactly one
/// signature whose key, signature and message are in this instruction at this module's offsets
/// (so what is read here is what the precompile verified).
pub fn parse_precompile(data: &[u8]) -> Option<Assertion<'_>> {
    let u16_at = |at: usize| -> Option<u16> {
        Some(u16::from_le_bytes([
            *data.get(at)?,
            *data.get(at.checked_add(1)?)?,
        ]))
    };
    if data.first() != Some(&1) {
        return None;
    }
    let offsets = [
        u16_at(OFFSETS_START)?,      // signature offset
        u16_at(OFFSETS_START + 2)?,  // signature instruction
        u16_at(OFFSETS_START + 4)?,  // public key offset
        u16_at(OFFSETS_START + 6)?,  // public key instruction
        u16_at(OFFSETS_START + 8)?,  // message offset
        u16_at(OFFSETS_START + 10)?, // message size
        u16_at(OFFSETS_START + 12)?, // message instruction
    ];
    let [sig_at, sig_ix, key_at, key_ix, msg_at, msg_len, msg_ix] = offsets;
    let expected = [SIGNATURE_OFFSET, PUBKEY_OFFSET, MESSAGE_OFFSET].map(u16::try_from);
    let [Ok(sig_expected), Ok(key_expected), Ok(msg_expected)] = expected else {
        return None;
    };
    if sig_at != sig_expected
        || key_at != key_expected
        || msg_at != msg_expected
        || [sig_ix, key_ix, msg_ix] != [THIS_INSTRUCTION; 3]
    {
        return None;
    }
    let message_end = MESSAGE_OFFSET.checked_add(usize::from(msg_len))?;
    let message = data.get(MESSAGE_OFFSET..message_end)?;
    let hash_at = message.len().checked_sub(32)?;
    let (auth_data, client_data_hash) = message.split_at(hash_at);
    let tail = data.get(message_end..)?;
    let (slot, client_data_json) = tail.split_at_checked(8)?;
    Some(Assertion {
        key: data.get(PUBKEY_OFFSET..SIGNATURE_OFFSET)?.try_into().ok()?,
        signature: data
            .get(SIGNATURE_OFFSET..MESSAGE_OFFSET)?
            .try_into()
            .ok()?,
        auth_data,
        client_data_hash: client_data_hash.try_into().ok()?,
        last_valid_slot: u64::from_le_bytes(slot.try_into().ok()?),
        client_data_json,
    })
}

/// Why an assertion does not authorize the instruction (each its own log line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The assertion's key is not the wallet's passkey.
    OtherKey,
    /// `s` above half the curve order.
    HighS,
    /// The authenticator data is shorter than its fixed part.
    ShortAuthData,
    /// The authenticator data names another relying party.
    OtherRelyingParty,
    /// The user-present flag is off.
    UserNotPresent,
    /// The wallet asks for user verification and the flag is off.
    UserNotVerified,
    /// The signed hash is not the hash of the client data carried.
    ClientDataHash,
    /// The client data is not a `webauthn.get` over this instruction's challenge.
    Challenge,
}

impl Refusal {
    /// The log line that says what was wrong.
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::OtherKey => "passkey assertion: signed by another key than the wallet's",
            Refusal::HighS => "passkey assertion: signature s is above half the curve order",
            Refusal::ShortAuthData => "passkey assertion: authenticator data too short",
            Refusal::OtherRelyingParty => {
                "passkey assertion: made for another relying party (RP ID hash)"
            }
            Refusal::UserNotPresent => "passkey assertion: the user-present flag is off",
            Refusal::UserNotVerified => {
                "passkey assertion: the wallet requires user verification and it is off"
            }
            Refusal::ClientDataHash => "passkey assertion: client data does not match its hash",
            Refusal::Challenge => {
                "passkey assertion: challenge is not this instruction's (another instruction, wallet, nonce or slot)"
            }
        }
    }
}

/// Checks `assertion` against the wallet's `passkey` and the `challenge` this instruction
/// expects, in order. The signature itself the precompile verified.
pub fn check(
    assertion: &Assertion,
    passkey: &Passkey,
    challenge: &[u8; 32],
) -> Result<(), Refusal> {
    if assertion.key != &passkey.key {
        return Err(Refusal::OtherKey);
    }
    let s: &[u8; 32] = assertion.signature[32..]
        .try_into()
        .map_err(|_| Refusal::HighS)?;
    if s > &HALF_ORDER {
        return Err(Refusal::HighS);
    }
    if assertion.auth_data.len() < AUTH_DATA_MIN_LEN {
        return Err(Refusal::ShortAuthData);
    }
    if assertion.auth_data.get(..32) != Some(&passkey.rp_id_hash[..]) {
        return Err(Refusal::OtherRelyingParty);
    }
    let flags = assertion.auth_data.get(32).copied().unwrap_or(0);
    if flags & FLAG_USER_PRESENT == 0 {
        return Err(Refusal::UserNotPresent);
    }
    if passkey.user_verification && flags & FLAG_USER_VERIFIED == 0 {
        return Err(Refusal::UserNotVerified);
    }
    if &sha256(&[assertion.client_data_json]) != assertion.client_data_hash {
        return Err(Refusal::ClientDataHash);
    }
    if assertion.client_data_json.get(..CLIENT_DATA_PREFIX_LEN)
        != Some(&client_data_prefix(challenge)[..])
    {
        return Err(Refusal::Challenge);
    }
    Ok(())
}

/// The precompile instruction's data for one assertion, in the layout [`parse_precompile`]
/// reads: what clients send before a passkey-authorized owner instruction.
#[cfg(not(target_arch = "bpf"))]
pub fn precompile_data(
    key: &[u8; 33],
    signature: &[u8; 64],
    auth_data: &[u8],
    client_data_json: &[u8],
    last_valid_slot: u64,
) -> Option<crate::list::Vec<u8>> {
    let message_len = u16::try_from(auth_data.len().checked_add(32)?).ok()?;
    let mut data = crate::list::Vec::with_capacity(MESSAGE_OFFSET + 512);
    data.extend_from_slice(&[1, 0]);
    for part in [
        SIGNATURE_OFFSET as u16,
        THIS_INSTRUCTION,
        PUBKEY_OFFSET as u16,
        THIS_INSTRUCTION,
        MESSAGE_OFFSET as u16,
        message_len,
        THIS_INSTRUCTION,
    ] {
        data.extend_from_slice(&part.to_le_bytes());
    }
    data.extend_from_slice(key);
    data.extend_from_slice(signature);
    data.extend_from_slice(auth_data);
    data.extend_from_slice(&sha256(&[client_data_json]));
    data.extend_from_slice(&last_valid_slot.to_le_bytes());
    data.extend_from_slice(client_data_json);
    Some(data)
}

/// What clients use: the instructions around a passkey-authorized owner instruction, and a
/// software authenticator (the CLI's passkey key files, tests, servers).
#[cfg(not(target_arch = "bpf"))]
mod client {
    use p256::ecdsa::{signature::Signer, Signature, SigningKey, VerifyingKey};
    use solana_program::instruction::{AccountMeta, Instruction};

    use super::*;

    /// `instruction` (built with [`SECP256R1_PROGRAM_ID`] as its owner) made a passkey's: the
    /// owner account a non-signer, the wallet writable (its owner nonce moves on).
    pub fn for_passkey_owner(mut instruction: Instruction, wallet: &Pubkey) -> Instruction {
        for meta in &mut instruction.accounts {
            if meta.pubkey == SECP256R1_PROGRAM_ID {
                *meta = AccountMeta::new_readonly(SECP256R1_PROGRAM_ID, false);
            } else if meta.pubkey == *wallet {
                meta.is_writable = true;
            }
        }
        instruction
    }

    /// The challenge `instruction`'s assertion must sign ([`challenge`]).
    pub fn instruction_challenge(
        instruction: &Instruction,
        owner_nonce: u64,
        last_valid_slot: u64,
    ) -> Option<[u8; 32]> {
        challenge(
            &instruction.program_id,
            owner_nonce,
            last_valid_slot,
            instruction.accounts.iter().map(|m| &m.pubkey),
            &instruction.data,
        )
    }

    /// What an authenticator returns for one challenge (`navigator.credentials.get`'s
    /// `authenticatorData`, `clientDataJSON` and the signature, made 64 bytes `r ‖ s`, low S).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct AssertionResponse {
        pub auth_data: crate::list::Vec<u8>,
        pub client_data_json: crate::list::Vec<u8>,
        pub signature: [u8; 64],
    }

    /// The secp256r1 precompile instruction that carries `response` for `key`; it goes just
    /// before the owner instruction whose challenge it signed.
    pub fn assertion_instruction(
        key: &[u8; 33],
        response: &AssertionResponse,
        last_valid_slot: u64,
    ) -> Option<Instruction> {
        Some(Instruction {
            program_id: SECP256R1_PROGRAM_ID,
            accounts: vec![],
            data: precompile_data(
                key,
                &response.signature,
                &response.auth_data,
                &response.client_data_json,
                last_valid_slot,
            )?,
        })
    }

    /// A signature as the precompile takes it from a DER-encoded ECDSA signature (what
    /// WebAuthn returns), with `s` made low. `None` if it is not a P-256 signature.
    pub fn signature_from_der(der: &[u8]) -> Option<[u8; 64]> {
        let signature = Signature::from_der(der).ok()?;
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_bytes().as_slice().try_into().ok()
    }

    /// `signature` (64 bytes, `r ‖ s`) DER-encoded, as WebAuthn returns a signature.
    pub fn signature_to_der(signature: &[u8; 64]) -> Option<crate::list::Vec<u8>> {
        let signature = Signature::from_slice(signature).ok()?;
        Some(signature.to_der().as_bytes().to_vec())
    }

    /// A compressed P-256 key from SEC1 bytes (compressed or not) — WebAuthn's COSE key gives x
    /// and y, which clients put as `0x04 ‖ x ‖ y`.
    pub fn compress_key(sec1: &[u8]) -> Option<[u8; 33]> {
        let key = VerifyingKey::from_sec1_bytes(sec1).ok()?;
        key.to_encoded_point(true).as_bytes().try_into().ok()
    }

    /// A compressed P-256 key from a DER `SubjectPublicKeyInfo` (what a browser's
    /// `AuthenticatorAttestationResponse.getPublicKey()` returns).
    pub fn compress_spki(der: &[u8]) -> Option<[u8; 33]> {
        use p256::{elliptic_curve::sec1::ToEncodedPoint, pkcs8::DecodePublicKey};
        let key = p256::PublicKey::from_public_key_der(der).ok()?;
        key.to_encoded_point(true).as_bytes().try_into().ok()
    }

    /// sha256 of `bytes` (an RP ID's hash, as the wallet stores it).
    pub fn sha256_of(bytes: &[u8]) -> [u8; 32] {
        sha256(&[bytes])
    }

    /// The wallet an owner instruction acts on: in every owner instruction it is the account
    /// right after the owner (or authority) slot (docs/program.md, "Instructions"), the
    /// read-only use of the secp256r1 id (a writable one is a paying role a client fills).
    pub fn owner_instruction_wallet(instruction: &Instruction) -> Option<Pubkey> {
        let owner_at = instruction
            .accounts
            .iter()
            .position(|m| m.pubkey == SECP256R1_PROGRAM_ID && !m.is_writable)?;
        instruction
            .accounts
            .get(owner_at.checked_add(1)?)
            .map(|m| m.pubkey)
    }

    /// `data` (a precompile instruction of [`precompile_data`]'s layout) with the assertion
    /// `response` in place of what it carried, its last valid slot kept: how a transaction
    /// prepared with placeholders is completed once the authenticator answered.
    pub fn with_response(
        data: &[u8],
        key: &[u8; 33],
        response: &AssertionResponse,
    ) -> Option<crate::list::Vec<u8>> {
        let placeholder = parse_precompile(data)?;
        precompile_data(
            key,
            &response.signature,
            &response.auth_data,
            &response.client_data_json,
            placeholder.last_valid_slot,
        )
    }

    /// A passkey held in software: a P-256 key that answers challenges as an authenticator
    /// would, for one relying party. For tests and for servers that own a wallet; a person's
    /// passkey lives in their authenticator.
    pub struct SoftwarePasskey {
        signing_key: SigningKey,
        rp_id: String,
    }

    impl SoftwarePasskey {
        /// The key in `secret` (32 bytes) for `rp_id`; `None` if it is not a P-256 scalar.
        pub fn from_secret(secret: &[u8; 32], rp_id: &str) -> Option<Self> {
            Some(Self {
                signing_key: SigningKey::from_slice(secret).ok()?,
                rp_id: rp_id.to_string(),
            })
        }

        /// A new random key for `rp_id`.
        pub fn generate(rp_id: &str) -> Self {
            Self {
                signing_key: SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
                rp_id: rp_id.to_string(),
            }
        }

        /// The 32 secret bytes (for the key file; never printed).
        pub fn secret(&self) -> [u8; 32] {
            self.signing_key.to_bytes().into()
        }

        pub fn rp_id(&self) -> &str {
            &self.rp_id
        }

        /// The public key as a browser's `getPublicKey()` gives it: DER SubjectPublicKeyInfo.
        pub fn public_key_spki(&self) -> Option<crate::list::Vec<u8>> {
            use p256::pkcs8::EncodePublicKey;
            let key = p256::PublicKey::from(self.signing_key.verifying_key());
            key.to_public_key_der()
                .ok()
                .map(|der| der.as_bytes().to_vec())
        }

        /// The passkey a wallet stores for this key.
        pub fn passkey(&self, user_verification: bool) -> Passkey {
            let point = self.signing_key.verifying_key().to_encoded_point(true);
            let mut key = [0u8; 33];
            key.copy_from_slice(point.as_bytes());
            Passkey {
                key,
                rp_id_hash: sha256(&[self.rp_id.as_bytes()]),
                user_verification,
            }
        }

        /// Answers `challenge` as a platform authenticator would: the user present and
        /// verified, the client data as a browser on `https://<rp id>` writes it.
        pub fn assert(&self, challenge: &[u8; 32]) -> AssertionResponse {
            let mut auth_data = sha256(&[self.rp_id.as_bytes()]).to_vec();
            auth_data.push(FLAG_USER_PRESENT | FLAG_USER_VERIFIED);
            auth_data.extend_from_slice(&0u32.to_be_bytes());
            let mut client_data_json = client_data_prefix(challenge).to_vec();
            client_data_json.extend_from_slice(
                format!(
                    r#","origin":"https://{}","crossOrigin":false}}"#,
                    self.rp_id
                )
                .as_bytes(),
            );
            self.sign(auth_data, client_data_json)
        }

        /// Signs `auth_data ‖ sha256(client_data_json)` as they are (tests vary them).
        pub fn sign(
            &self,
            auth_data: crate::list::Vec<u8>,
            client_data_json: crate::list::Vec<u8>,
        ) -> AssertionResponse {
            let message = [&auth_data[..], &sha256(&[&client_data_json])].concat();
            let signature: Signature = self.signing_key.sign(&message);
            let signature = signature.normalize_s().unwrap_or(signature);
            let mut bytes = [0u8; 64];
            bytes.copy_from_slice(signature.to_bytes().as_slice());
            AssertionResponse {
                auth_data,
                client_data_json,
                signature: bytes,
            }
        }
    }

    impl core::fmt::Debug for SoftwarePasskey {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            // The secret stays out of every log.
            f.debug_struct("SoftwarePasskey")
                .field("rp_id", &self.rp_id)
                .finish_non_exhaustive()
        }
    }
}

#[cfg(not(target_arch = "bpf"))]
pub use client::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_standard_encoding() {
        use base64::Engine;
        for seed in 0u8..40 {
            let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ seed);
            let ours = base64url(&bytes);
            let theirs = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            assert_eq!(core::str::from_utf8(&ours).unwrap(), theirs);
        }
    }

    fn sample() -> (Passkey, [u8; 32], crate::list::Vec<u8>) {
        let passkey = Passkey {
            key: [2; 33],
            rp_id_hash: [7; 32],
            user_verification: false,
        };
        let challenge = [9u8; 32];
        let mut auth = [7u8; 37].to_vec();
        auth[32] = FLAG_USER_PRESENT;
        let mut json = client_data_prefix(&challenge).to_vec();
        json.extend_from_slice(br#","origin":"https://leash.test"}"#);
        let data = precompile_data(&passkey.key, &[1; 64], &auth, &json, 99).unwrap();
        (passkey, challenge, data)
    }

    #[test]
    fn the_layout_round_trips_and_checks() {
        let (passkey, challenge, data) = sample();
        let assertion = parse_precompile(&data).unwrap();
        assert_eq!(assertion.last_valid_slot, 99);
        assert_eq!(assertion.auth_data.len(), 37);
        assert_eq!(check(&assertion, &passkey, &challenge), Ok(()));
        assert_eq!(
            check(&assertion, &passkey, &[8; 32]),
            Err(Refusal::Challenge)
        );
        // The precompile's own builder puts the parts at the same offsets.
        let message = [assertion.auth_data, assertion.client_data_hash].concat();
        let theirs = solana_secp256r1_program::new_secp256r1_instruction_with_signature(
            &message,
            assertion.signature,
            assertion.key,
        );
        assert_eq!(&data[..theirs.data.len()], &theirs.data[..]);
    }

    #[test]
    fn refusals_in_order() {
        let (passkey, challenge, data) = sample();
        let good = parse_precompile(&data).unwrap();
        let mut high = *good.signature;
        high[32] = 0x80;
        let high_s = Assertion {
            signature: &high,
            ..good
        };
        assert_eq!(check(&high_s, &passkey, &challenge), Err(Refusal::HighS));
        let other = Passkey {
            key: [3; 33],
            ..passkey
        };
        assert_eq!(check(&good, &other, &challenge), Err(Refusal::OtherKey));
        let rp = Passkey {
            rp_id_hash: [6; 32],
            ..passkey
        };
        assert_eq!(
            check(&good, &rp, &challenge),
            Err(Refusal::OtherRelyingParty)
        );
        let uv = Passkey {
            user_verification: true,
            ..passkey
        };
        assert_eq!(check(&good, &uv, &challenge), Err(Refusal::UserNotVerified));
        let mut absent = good.auth_data.to_vec();
        absent[32] = FLAG_USER_VERIFIED;
        let not_present = Assertion {
            auth_data: &absent,
            ..good
        };
        assert_eq!(
            check(&not_present, &uv, &challenge),
            Err(Refusal::UserNotPresent)
        );
        let short = Assertion {
            auth_data: &good.auth_data[..36],
            ..good
        };
        assert_eq!(
            check(&short, &passkey, &challenge),
            Err(Refusal::ShortAuthData)
        );
        let forged = Assertion {
            client_data_json: b"{}",
            ..good
        };
        assert_eq!(
            check(&forged, &passkey, &challenge),
            Err(Refusal::ClientDataHash)
        );
    }

    #[test]
    fn other_layouts_are_refused() {
        let (_, _, data) = sample();
        for at in [0, 2, 4, 6, 8, 10, 14] {
            let mut bad = data.clone();
            bad[at] ^= 1;
            assert!(parse_precompile(&bad).is_none(), "byte {at}");
        }
        // Cut anywhere before the client data: no assertion.
        for len in 0..MESSAGE_OFFSET + 37 + 32 + 8 {
            assert!(parse_precompile(&data[..len]).is_none(), "length {len}");
        }
    }

    #[test]
    fn the_challenge_names_every_part() {
        let program = Pubkey::new_from_array([1; 32]);
        let keys = [
            Pubkey::new_from_array([2; 32]),
            Pubkey::new_from_array([3; 32]),
        ];
        let base = challenge(&program, 5, 100, keys.iter(), &[4, 0]).unwrap();
        let other_program = Pubkey::new_from_array([9; 32]);
        assert_ne!(
            challenge(&other_program, 5, 100, keys.iter(), &[4, 0]).unwrap(),
            base
        );
        assert_ne!(
            challenge(&program, 6, 100, keys.iter(), &[4, 0]).unwrap(),
            base
        );
        assert_ne!(
            challenge(&program, 5, 101, keys.iter(), &[4, 0]).unwrap(),
            base
        );
        assert_ne!(
            challenge(&program, 5, 100, keys[..1].iter(), &[4, 0]).unwrap(),
            base
        );
        assert_ne!(
            challenge(&program, 5, 100, keys.iter().rev(), &[4, 0]).unwrap(),
            base
        );
        assert_ne!(
            challenge(&program, 5, 100, keys.iter(), &[4]).unwrap(),
            base
        );
        let many = [Pubkey::new_from_array([2; 32]); MAX_ACCOUNTS + 1];
        assert!(challenge(&program, 5, 100, many.iter(), &[]).is_none());
    }
}
