//! The program's IDL in Codama's format (`idl/leash.json`) and the cross-language vectors
//! (`idl/vectors.json`), both made here from the program crate's own types and constants, so
//! the IDL cannot drift from the Rust layouts (docs/sdk-ts.md, "The IDL"):
//!
//! - errors (code, name, message, hint), instruction discriminators, account types, layout
//!   versions, sizes and PDA seeds are read from `leash_program`, not restated;
//! - the type tree is stated here once, and `idl/vectors.json` holds the program's own borsh
//!   encodings of instructions, accounts (both session layouts) and events together with their
//!   values; the TypeScript SDK's tests (sdk/ts) decode every vector with the code generated from
//!   the IDL, compare the values, and encode them back to the same bytes.
//!
//! Both files are committed; this test fails when either differs from what it makes.
//! `LEASH_BLESS=1 cargo test -p leash-sdk --test idl` writes them (then `npm run generate` in
//! sdk/ts renders the TypeScript client from the IDL).

use std::path::PathBuf;

use leash_program::instruction::{Call, CallAccount, LeashInstruction};
use leash_sdk::{
    hints,
    state::{
        Authority, Policy, ProgramRule, Session, SpendLimit, Spent, Wallet, LAYOUT_VERSION,
        SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION, SESSION_SEED, VAULT_SEED,
        WALLET_ACCOUNT_TYPE, WALLET_SEED,
    },
    LeashError, LeashEvent, DEFAULT_PROGRAM_ID,
};
use serde_json::{json, Value};
use solana_program::pubkey::Pubkey;

// ---------------------------------------------------------------------------------------------
// Codama nodes (https://github.com/codama-idl/codama, node specifications), as JSON.

fn number(format: &str) -> Value {
    json!({ "kind": "numberTypeNode", "format": format, "endian": "le" })
}

fn key() -> Value {
    json!({ "kind": "publicKeyTypeNode" })
}

fn boolean() -> Value {
    json!({ "kind": "booleanTypeNode", "size": number("u8") })
}

/// Borsh `Vec<T>`: a u32 count, then the items.
fn list(item: Value) -> Value {
    json!({
        "kind": "arrayTypeNode",
        "item": item,
        "count": { "kind": "prefixedCountNode", "prefix": number("u32") },
    })
}

/// Borsh `Vec<u8>`.
fn bytes() -> Value {
    json!({ "kind": "sizePrefixTypeNode", "type": { "kind": "bytesTypeNode" }, "prefix": number("u32") })
}

fn fixed_bytes(size: usize) -> Value {
    json!({ "kind": "fixedSizeTypeNode", "size": size, "type": { "kind": "bytesTypeNode" } })
}

/// Borsh `Option<T>`: a u8 tag, then the value.
fn option(item: Value) -> Value {
    json!({ "kind": "optionTypeNode", "fixed": false, "item": item, "prefix": number("u8") })
}

fn link(name: &str) -> Value {
    json!({ "kind": "definedTypeLinkNode", "name": name })
}

fn field(name: &str, ty: Value, doc: &str) -> Value {
    let mut node = json!({ "kind": "structFieldTypeNode", "name": name, "type": ty });
    if !doc.is_empty() {
        node["docs"] = json!([doc]);
    }
    node
}

fn structure(fields: Vec<Value>) -> Value {
    json!({ "kind": "structTypeNode", "fields": fields })
}

fn defined(name: &str, ty: Value, doc: &str) -> Value {
    json!({ "kind": "definedTypeNode", "name": name, "docs": [doc], "type": ty })
}

fn constant_bytes(bytes: &[u8]) -> Value {
    json!({
        "kind": "constantValueNode",
        "type": { "kind": "bytesTypeNode" },
        "value": { "kind": "bytesValueNode", "data": hex(bytes), "encoding": "base16" },
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first letter lowered: Codama's names are camelCase.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The program's types.

fn spend_limit_fields(with_recipients: bool) -> Vec<Value> {
    let mut fields = vec![
        field(
            "mint",
            key(),
            "The token's mint; the default key (all zeros) is native SOL.",
        ),
        field(
            "perTx",
            number("u64"),
            "Most per transaction; u64::MAX = no bound.",
        ),
        field(
            "total",
            number("u64"),
            "Most over the session's life; u64::MAX = no bound.",
        ),
        field(
            "periodSecs",
            number("u32"),
            "Length of the periodic window; 0 = none.",
        ),
        field(
            "perPeriod",
            number("u64"),
            "Most per window (ignored when periodSecs is 0).",
        ),
    ];
    if with_recipients {
        fields.push(field(
            "recipients",
            list(key()),
            "Token-account owners (for SOL: accounts) value of this mint may go to; empty = anywhere.",
        ));
    }
    fields
}

fn policy_fields(v2: bool) -> Vec<Value> {
    let mut fields = vec![
        field(
            "validAfter",
            number("i64"),
            "Unix seconds; usable from this time on.",
        ),
        field(
            "validUntil",
            number("i64"),
            "Unix seconds; unusable from this time on.",
        ),
        field(
            "expirySlot",
            number("u64"),
            "Unusable from this slot on; 0 = no slot bound.",
        ),
        field("maxUses", number("u64"), "u64::MAX = unlimited."),
        field(
            "maxCallsPerTx",
            number("u8"),
            "At least 1; a token Batch counts what it carries.",
        ),
        field("allowedPrograms", list(key()), "At most 16; never Leash."),
        field(
            "limits",
            list(link(if v2 { "spendLimit" } else { "spendLimitV1" })),
            "At most 8, distinct mints.",
        ),
    ];
    if v2 {
        fields.push(field(
            "programRules",
            list(link("programRule")),
            "Instruction rules, at most one per allowed program.",
        ));
    }
    fields
}

fn session_fields(policy: &str) -> Vec<Value> {
    vec![
        field("accountType", number("u8"), "2"),
        field("version", number("u8"), "Layout version."),
        field("bump", number("u8"), ""),
        field("wallet", key(), ""),
        field("sessionKey", key(), ""),
        field("rentPayer", key(), "Receives the rent on close."),
        field("createdSlot", number("u64"), ""),
        field(
            "createdAt",
            number("i64"),
            "Unix seconds; anchors the periodic windows.",
        ),
        field("epoch", number("u32"), "The wallet's epoch at creation."),
        field("revoked", boolean(), ""),
        field("uses", number("u64"), ""),
        field("nonce", number("u64"), "Every Execute adds 1."),
        field("policy", link(policy), ""),
        field("spent", list(link("spent")), "Parallel to policy.limits."),
    ]
}

/// `LeashEvent`'s variants: name and fields, in variant order (the first byte).
fn event_variants() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        (
            "walletCreated",
            vec![
                field("wallet", key(), ""),
                field("owner", link("authority"), ""),
            ],
        ),
        (
            "sessionCreated",
            vec![
                field("wallet", key(), ""),
                field("session", key(), ""),
                field("sessionKey", key(), ""),
            ],
        ),
        (
            "sessionUsed",
            vec![
                field("session", key(), ""),
                field("uses", number("u64"), ""),
                field("nonce", number("u64"), ""),
                field(
                    "outflows",
                    list(json!({ "kind": "tupleTypeNode", "items": [key(), number("u64")] })),
                    "(mint, amount) per mint that left; the default key is SOL (lamports).",
                ),
            ],
        ),
        (
            "sessionRevoked",
            vec![field("session", key(), ""), field("by", key(), "")],
        ),
        (
            "allSessionsRevoked",
            vec![
                field("wallet", key(), ""),
                field("epoch", number("u32"), ""),
            ],
        ),
        ("sessionUpdated", vec![field("session", key(), "")]),
        ("sessionClosed", vec![field("session", key(), "")]),
    ]
}

fn defined_types() -> Vec<Value> {
    vec![
        defined(
            "authority",
            json!({
                "kind": "enumTypeNode",
                "size": number("u8"),
                "variants": [{
                    "kind": "enumTupleVariantTypeNode",
                    "name": "ed25519",
                    "tuple": { "kind": "tupleTypeNode", "items": [key()] },
                }, {
                    "kind": "enumTupleVariantTypeNode",
                    "name": "secp256r1",
                    "tuple": { "kind": "tupleTypeNode", "items": [link("passkey")] },
                }],
            }),
            "Who owns a wallet: an Ed25519 key, or a passkey.",
        ),
        defined(
            "passkey",
            structure(vec![
                field("key", fixed_bytes(33), "Compressed P-256 public key."),
                field(
                    "rpIdHash",
                    fixed_bytes(32),
                    "sha256 of the relying party id.",
                ),
                field(
                    "userVerification",
                    boolean(),
                    "Every assertion must show user verification.",
                ),
            ]),
            "A passkey (WebAuthn credential) that owns a wallet.",
        ),
        defined(
            "spendLimit",
            structure(spend_limit_fields(true)),
            "One per-mint spending limit (session layout 2).",
        ),
        defined(
            "spendLimitV1",
            structure(spend_limit_fields(false)),
            "A spending limit in session layout 1 (no recipients).",
        ),
        defined(
            "programRule",
            structure(vec![
                field("program", key(), ""),
                field(
                    "prefixes",
                    list(bytes()),
                    "1-8 prefixes of 1-8 bytes; the call's data must start with one.",
                ),
            ]),
            "An instruction rule of an allowed program.",
        ),
        defined(
            "policy",
            structure(policy_fields(true)),
            "What a session may do; also what CreateSession and UpdateSession carry.",
        ),
        defined(
            "policyV1",
            structure(policy_fields(false)),
            "A policy in session layout 1 (no program rules).",
        ),
        defined(
            "spent",
            structure(vec![
                field("total", number("u64"), ""),
                field("periodIndex", number("u64"), "The window last charged."),
                field("inPeriod", number("u64"), "Spent in that window."),
            ]),
            "A limit's counters.",
        ),
        defined(
            "callAccount",
            structure(vec![
                field(
                    "index",
                    number("u8"),
                    "Into the outer instruction's account list.",
                ),
                field("writable", boolean(), ""),
                field(
                    "signer",
                    boolean(),
                    "Only on the vault, for which the program signs.",
                ),
            ]),
            "",
        ),
        defined(
            "call",
            structure(vec![
                field(
                    "program",
                    number("u8"),
                    "Index of the program in the outer account list.",
                ),
                field("accounts", list(link("callAccount")), ""),
                field("data", bytes(), ""),
            ]),
            "One inner call of Execute or OwnerExecute.",
        ),
        defined(
            "leashEvent",
            json!({
                "kind": "enumTypeNode",
                "size": number("u8"),
                "variants": event_variants().into_iter().map(|(name, fields)| json!({
                    "kind": "enumStructVariantTypeNode",
                    "name": name,
                    "struct": structure(fields),
                })).collect::<Vec<_>>(),
            }),
            "Events, logged borsh-encoded with sol_log_data (`Program data: <base64>`).",
        ),
    ]
}

fn account_discriminator(account_type: u8, version: u8) -> Value {
    json!([{
        "kind": "constantDiscriminatorNode",
        "offset": 0,
        "constant": constant_bytes(&[account_type, version]),
    }])
}

/// A wallet's type and version bytes, and its size: the owner's kind decides the size.
fn wallet_discriminators(size: usize) -> Value {
    let mut nodes = account_discriminator(WALLET_ACCOUNT_TYPE, LAYOUT_VERSION);
    if let Some(list) = nodes.as_array_mut() {
        list.push(json!({ "kind": "sizeDiscriminatorNode", "size": size }));
    }
    nodes
}

fn accounts() -> Vec<Value> {
    let wallet_fields = vec![
        field("accountType", number("u8"), "1"),
        field("version", number("u8"), "Layout version."),
        field("bump", number("u8"), ""),
        field("vaultBump", number("u8"), ""),
        field("owner", link("authority"), ""),
        field("salt", fixed_bytes(32), "The CLI uses sha256(name)."),
        field(
            "epoch",
            number("u32"),
            "Sessions of another epoch are revoked.",
        ),
        field("createdSlot", number("u64"), ""),
    ];
    let mut passkey_wallet_fields = wallet_fields.clone();
    passkey_wallet_fields.push(field(
        "ownerNonce",
        number("u64"),
        "Owner instructions a passkey has authorized; each assertion names the next.",
    ));
    vec![
        json!({
            "kind": "accountNode",
            "name": "wallet",
            "size": Wallet::LEN,
            "docs": ["A smart wallet: the owner's authority and the revocation epoch of its sessions."],
            "data": structure(wallet_fields),
            "pda": { "kind": "pdaLinkNode", "name": "wallet" },
            "discriminators": wallet_discriminators(Wallet::LEN),
        }),
        json!({
            "kind": "accountNode",
            "name": "passkeyWallet",
            "size": Wallet::PASSKEY_LEN,
            "docs": ["A smart wallet owned by a passkey: the wallet's fields, then the owner nonce."],
            "data": structure(passkey_wallet_fields),
            "pda": { "kind": "pdaLinkNode", "name": "wallet" },
            "discriminators": wallet_discriminators(Wallet::PASSKEY_LEN),
        }),
        json!({
            "kind": "accountNode",
            "name": "session",
            "docs": ["A session, layout version 2."],
            "data": structure(session_fields("policy")),
            "pda": { "kind": "pdaLinkNode", "name": "session" },
            "discriminators": account_discriminator(SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION),
        }),
        json!({
            "kind": "accountNode",
            "name": "sessionV1",
            "docs": ["A session created before policy v3 (layout version 1)."],
            "data": structure(session_fields("policyV1")),
            "pda": { "kind": "pdaLinkNode", "name": "session" },
            "discriminators": account_discriminator(SESSION_ACCOUNT_TYPE, LAYOUT_VERSION),
        }),
    ]
}

fn seed_text(seed: &[u8]) -> Value {
    json!({
        "kind": "constantPdaSeedNode",
        "type": { "kind": "stringTypeNode", "encoding": "utf8" },
        "value": { "kind": "stringValueNode", "string": std::str::from_utf8(seed).expect("seeds are text") },
    })
}

fn seed(name: &str, ty: Value, doc: &str) -> Value {
    let mut node = json!({ "kind": "variablePdaSeedNode", "name": name, "type": ty });
    if !doc.is_empty() {
        node["docs"] = json!([doc]);
    }
    node
}

fn pdas() -> Vec<Value> {
    vec![
        json!({
            "kind": "pdaNode",
            "name": "wallet",
            "seeds": [
                seed_text(WALLET_SEED),
                seed("ownerHash", fixed_bytes(32), "sha256 of the owner's borsh Authority (0x00 then the key, for Ed25519)."),
                seed("salt", fixed_bytes(32), ""),
            ],
        }),
        json!({
            "kind": "pdaNode",
            "name": "vault",
            "seeds": [seed_text(VAULT_SEED), seed("wallet", key(), "")],
        }),
        json!({
            "kind": "pdaNode",
            "name": "session",
            "seeds": [seed_text(SESSION_SEED), seed("wallet", key(), ""), seed("sessionKey", key(), "")],
        }),
    ]
}

/// An instruction's account: name, writable, signer, docs.
type AccountSpec = (&'static str, bool, bool, &'static str);

const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";

fn instruction(
    name: &str,
    discriminator: u8,
    doc: &str,
    accounts: &[AccountSpec],
    arguments: Vec<Value>,
    remaining: Option<(&str, bool, &str)>,
) -> Value {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|&(name, writable, signer, doc)| {
            let mut node = json!({
                "kind": "instructionAccountNode",
                "name": name,
                "isWritable": writable,
                "isSigner": signer,
                "isOptional": false,
            });
            if !doc.is_empty() {
                node["docs"] = json!([doc]);
            }
            if name == "systemProgram" {
                node["defaultValue"] =
                    json!({ "kind": "publicKeyValueNode", "publicKey": SYSTEM_PROGRAM });
            }
            node
        })
        .collect();
    let mut args = vec![json!({
        "kind": "instructionArgumentNode",
        "name": "discriminator",
        "defaultValueStrategy": "omitted",
        "type": number("u8"),
        "defaultValue": { "kind": "numberValueNode", "number": discriminator },
    })];
    args.extend(arguments.into_iter().map(|a| {
        json!({ "kind": "instructionArgumentNode", "name": a["name"], "docs": a.get("docs").cloned().unwrap_or(json!([])), "type": a["type"] })
    }));
    let mut node = json!({
        "kind": "instructionNode",
        "name": name,
        "docs": [doc],
        "optionalAccountStrategy": "programId",
        "accounts": accounts,
        "arguments": args,
        "extraArguments": [],
        "remainingAccounts": [],
        "byteDeltas": [],
        "discriminators": [{ "kind": "fieldDiscriminatorNode", "name": "discriminator", "offset": 0 }],
    });
    if let Some((name, writable, doc)) = remaining {
        node["remainingAccounts"] = json!([{
            "kind": "instructionRemainingAccountsNode",
            "isOptional": true,
            "isWritable": writable,
            "docs": [doc],
            "value": { "kind": "argumentValueNode", "name": name },
        }]);
    }
    node
}

/// The variant index of each instruction, from the program's own encoding.
fn discriminator_of(ix: LeashInstruction) -> u8 {
    ix.pack()[0]
}

fn instructions() -> Vec<Value> {
    let policy = Policy::unbounded(vec![], vec![]);
    let calls_doc = "The calls' programs and accounts, after the fixed accounts (Call indexes point into the whole list).";
    vec![
        instruction(
            "createWallet",
            discriminator_of(LeashInstruction::CreateWallet {
                owner: Authority::Ed25519(Pubkey::default()),
                salt: [0; 32],
            }),
            "Creates a wallet for owner; the owner must sign.",
            &[
                ("payer", true, true, ""),
                ("owner", false, true, ""),
                ("wallet", true, false, "PDA [\"wallet\", sha256(borsh(owner)), salt]"),
                ("systemProgram", false, false, ""),
            ],
            vec![
                // Named apart from the `owner` account (the key that signs).
                field("authority", link("authority"), "The owner's authority."),
                field("salt", fixed_bytes(32), ""),
            ],
            None,
        ),
        instruction(
            "createSession",
            discriminator_of(LeashInstruction::CreateSession {
                session_key: Pubkey::default(),
                policy: policy.clone(),
                bump: 0,
            }),
            "Registers a session for sessionKey under policy.",
            &[
                ("payer", true, true, ""),
                ("owner", false, true, ""),
                ("wallet", false, false, ""),
                ("session", true, false, "PDA [\"session\", wallet, sessionKey]"),
                ("systemProgram", false, false, ""),
            ],
            vec![
                field("sessionKey", key(), ""),
                field("policy", link("policy"), ""),
                field("bump", number("u8"), "The session PDA's bump (found by the client, checked by the program)."),
            ],
            None,
        ),
        instruction(
            "execute",
            discriminator_of(LeashInstruction::Execute {
                expected_nonce: None,
                calls: vec![],
            }),
            "Runs calls with the vault signing, within the session's policy.",
            &[
                ("sessionKey", false, true, ""),
                ("wallet", false, false, ""),
                ("session", true, false, ""),
                ("vault", true, false, "PDA [\"vault\", wallet]"),
            ],
            vec![
                field("expectedNonce", option(number("u64")), "Binds the transaction to the session's nonce."),
                field("calls", list(link("call")), ""),
            ],
            Some(("callAccounts", false, calls_doc)),
        ),
        instruction(
            "revokeSession",
            discriminator_of(LeashInstruction::RevokeSession),
            "Ends a session for good: the owner, or the session's own key.",
            &[
                ("authority", false, true, "The wallet's owner or the session key."),
                ("wallet", false, false, ""),
                ("session", true, false, ""),
            ],
            vec![],
            None,
        ),
        instruction(
            "revokeAllSessions",
            discriminator_of(LeashInstruction::RevokeAllSessions),
            "Ends every session of the wallet at once (bumps its epoch).",
            &[("owner", false, true, ""), ("wallet", true, false, "")],
            vec![],
            None,
        ),
        instruction(
            "updateSession",
            discriminator_of(LeashInstruction::UpdateSession {
                policy,
                expected_uses: None,
            }),
            "Replaces a session's policy; spent counters carry over by mint.",
            &[
                ("owner", false, true, ""),
                ("wallet", false, false, ""),
                ("session", true, false, ""),
                ("payer", true, true, "Pays a larger account's rent."),
                ("systemProgram", false, false, ""),
            ],
            vec![
                field("policy", link("policy"), ""),
                field("expectedUses", option(number("u64")), "Refused if the session was used since."),
            ],
            None,
        ),
        instruction(
            "closeSession",
            discriminator_of(LeashInstruction::CloseSession),
            "Closes a session, returning its rent to its payer: the owner any time, anyone once it ended.",
            &[
                ("authority", false, true, ""),
                ("wallet", false, false, ""),
                ("session", true, false, ""),
                ("rentPayer", true, false, "The rent payer recorded in the session."),
            ],
            vec![],
            None,
        ),
        instruction(
            "ownerExecute",
            discriminator_of(LeashInstruction::OwnerExecute { calls: vec![] }),
            "Runs calls with the vault signing, as the owner (no policy).",
            &[
                ("owner", false, true, ""),
                ("wallet", false, false, ""),
                ("vault", true, false, ""),
            ],
            vec![field("calls", list(link("call")), "")],
            Some(("callAccounts", false, calls_doc)),
        ),
        instruction(
            "sweepLamports",
            discriminator_of(LeashInstruction::SweepLamports),
            "Moves every lamport above rent exemption out of the wallet and the listed sessions.",
            &[
                ("owner", false, true, ""),
                ("wallet", true, false, ""),
                ("recipient", true, false, ""),
            ],
            vec![],
            Some(("sessions", true, "The wallet's session accounts to sweep.")),
        ),
    ]
}

fn errors() -> Vec<Value> {
    LeashError::ALL
        .iter()
        .map(|&e| {
            json!({
                "kind": "errorNode",
                "name": camel(e.name()),
                "code": e.code(),
                "message": e.message(),
                "docs": [hints::hint(e)],
            })
        })
        .collect()
}

fn events() -> Vec<Value> {
    event_variants()
        .into_iter()
        .enumerate()
        .map(|(index, (name, fields))| {
            let mut all = vec![json!({
                "kind": "structFieldTypeNode",
                "name": "discriminator",
                "type": number("u8"),
                "defaultValue": { "kind": "numberValueNode", "number": index },
                "defaultValueStrategy": "omitted",
            })];
            all.extend(fields);
            json!({
                "kind": "eventNode",
                "name": name,
                "data": structure(all),
                "discriminators": [{ "kind": "fieldDiscriminatorNode", "name": "discriminator", "offset": 0 }],
            })
        })
        .collect()
}

fn idl() -> Value {
    json!({
        "kind": "rootNode",
        "standard": "codama",
        "version": "1.9.2",
        "program": {
            "kind": "programNode",
            "name": "leash",
            "publicKey": DEFAULT_PROGRAM_ID.to_string(),
            "version": env!("CARGO_PKG_VERSION"),
            "docs": ["Leash: session keys for Solana wallets, bounded on chain. The program runs at any address; publicKey is only the default."],
            "accounts": accounts(),
            "instructions": instructions(),
            "definedTypes": defined_types(),
            "pdas": pdas(),
            "events": events(),
            "errors": errors(),
        },
        "additionalPrograms": [],
    })
}

// ---------------------------------------------------------------------------------------------
// Vectors: values in the shape @solana/kit's codecs decode them to, normalized for JSON (u64 and
// i64 as decimal strings, bytes as `{"hex": …}`, options as the value or null, enum variants as
// `{"__kind": …}`).

fn big(n: impl ToString) -> Value {
    Value::String(n.to_string())
}

fn bytes_value(b: &[u8]) -> Value {
    json!({ "hex": hex(b) })
}

fn authority_value(a: &Authority) -> Value {
    match a {
        Authority::Ed25519(k) => json!({ "__kind": "Ed25519", "fields": [k.to_string()] }),
        Authority::Secp256r1(p) => json!({ "__kind": "Secp256r1", "fields": [{
            "key": bytes_value(&p.key),
            "rpIdHash": bytes_value(&p.rp_id_hash),
            "userVerification": p.user_verification,
        }] }),
    }
}

fn limit_value(l: &SpendLimit, v2: bool) -> Value {
    let mut v = json!({
        "mint": l.mint.to_string(),
        "perTx": big(l.per_tx),
        "total": big(l.total),
        "periodSecs": l.period_secs,
        "perPeriod": big(l.per_period),
    });
    if v2 {
        v["recipients"] = l
            .recipients
            .iter()
            .map(|k| Value::String(k.to_string()))
            .collect();
    }
    v
}

fn policy_value(p: &Policy, v2: bool) -> Value {
    let mut v = json!({
        "validAfter": big(p.valid_after),
        "validUntil": big(p.valid_until),
        "expirySlot": big(p.expiry_slot),
        "maxUses": big(p.max_uses),
        "maxCallsPerTx": p.max_calls_per_tx,
        "allowedPrograms": p.allowed_programs.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "limits": p.limits.iter().map(|l| limit_value(l, v2)).collect::<Vec<_>>(),
    });
    if v2 {
        v["programRules"] = p
            .program_rules
            .iter()
            .map(|r| {
                json!({
                    "program": r.program.to_string(),
                    "prefixes": r.prefixes.iter().map(|p| bytes_value(p)).collect::<Vec<_>>(),
                })
            })
            .collect();
    }
    v
}

fn session_value(s: &Session, v2: bool) -> Value {
    json!({
        "accountType": s.account_type,
        "version": if v2 { s.version } else { LAYOUT_VERSION },
        "bump": s.bump,
        "wallet": s.wallet.to_string(),
        "sessionKey": s.session_key.to_string(),
        "rentPayer": s.rent_payer.to_string(),
        "createdSlot": big(s.created_slot),
        "createdAt": big(s.created_at),
        "epoch": s.epoch,
        "revoked": s.revoked,
        "uses": big(s.uses),
        "nonce": big(s.nonce),
        "policy": policy_value(&s.policy, v2),
        "spent": s.spent.iter().map(|x| json!({
            "total": big(x.total),
            "periodIndex": big(x.period_index),
            "inPeriod": big(x.in_period),
        })).collect::<Vec<_>>(),
    })
}

fn calls_value(calls: &[Call]) -> Value {
    calls
        .iter()
        .map(|c| {
            json!({
                "program": c.program,
                "accounts": c.accounts.iter().map(|a| json!({
                    "index": a.index, "writable": a.writable, "signer": a.signer,
                })).collect::<Vec<_>>(),
                "data": bytes_value(&c.data),
            })
        })
        .collect()
}

fn option_value(v: Option<u64>) -> Value {
    v.map_or(Value::Null, big)
}

/// The instruction's arguments as the generated `get<Name>InstructionDataDecoder` reads them.
fn instruction_value(ix: &LeashInstruction) -> (&'static str, Value) {
    let discriminator = ix.pack()[0];
    let (name, mut args) = match ix {
        LeashInstruction::CreateWallet { owner, salt } => (
            "createWallet",
            json!({ "authority": authority_value(owner), "salt": bytes_value(salt) }),
        ),
        LeashInstruction::CreateSession {
            session_key,
            policy,
            bump,
        } => (
            "createSession",
            json!({ "sessionKey": session_key.to_string(), "policy": policy_value(policy, true), "bump": bump }),
        ),
        LeashInstruction::Execute {
            expected_nonce,
            calls,
        } => (
            "execute",
            json!({ "expectedNonce": option_value(*expected_nonce), "calls": calls_value(calls) }),
        ),
        LeashInstruction::RevokeSession => ("revokeSession", json!({})),
        LeashInstruction::RevokeAllSessions => ("revokeAllSessions", json!({})),
        LeashInstruction::UpdateSession {
            policy,
            expected_uses,
        } => (
            "updateSession",
            json!({ "policy": policy_value(policy, true), "expectedUses": option_value(*expected_uses) }),
        ),
        LeashInstruction::CloseSession => ("closeSession", json!({})),
        LeashInstruction::OwnerExecute { calls } => {
            ("ownerExecute", json!({ "calls": calls_value(calls) }))
        }
        LeashInstruction::SweepLamports => ("sweepLamports", json!({})),
    };
    args["discriminator"] = json!(discriminator);
    (name, args)
}

fn event_value(e: &LeashEvent) -> Value {
    match e {
        LeashEvent::WalletCreated { wallet, owner } => {
            json!({ "__kind": "WalletCreated", "wallet": wallet.to_string(), "owner": authority_value(owner) })
        }
        LeashEvent::SessionCreated {
            wallet,
            session,
            session_key,
        } => json!({
            "__kind": "SessionCreated", "wallet": wallet.to_string(),
            "session": session.to_string(), "sessionKey": session_key.to_string(),
        }),
        LeashEvent::SessionUsed {
            session,
            uses,
            nonce,
            outflows,
        } => json!({
            "__kind": "SessionUsed", "session": session.to_string(), "uses": big(uses), "nonce": big(nonce),
            "outflows": outflows.iter().map(|(m, a)| json!([m.to_string(), big(a)])).collect::<Vec<_>>(),
        }),
        LeashEvent::SessionRevoked { session, by } => {
            json!({ "__kind": "SessionRevoked", "session": session.to_string(), "by": by.to_string() })
        }
        LeashEvent::AllSessionsRevoked { wallet, epoch } => {
            json!({ "__kind": "AllSessionsRevoked", "wallet": wallet.to_string(), "epoch": epoch })
        }
        LeashEvent::SessionUpdated { session } => {
            json!({ "__kind": "SessionUpdated", "session": session.to_string() })
        }
        LeashEvent::SessionClosed { session } => {
            json!({ "__kind": "SessionClosed", "session": session.to_string() })
        }
    }
}

/// A deterministic stream of keys and numbers (xorshift), so the vectors are the same on every
/// run and cover more than the hand-picked cases.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn key(&mut self) -> Pubkey {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        Pubkey::new_from_array(bytes)
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn policy_sample(s: &mut Stream, v3: bool) -> Policy {
    let programs: Vec<Pubkey> = (0..s.below(4)).map(|_| s.key()).collect();
    Policy {
        valid_after: -(s.next() as i64 >> 4),
        valid_until: s.next() as i64,
        expiry_slot: s.next(),
        max_uses: u64::MAX,
        max_calls_per_tx: 1 + s.below(8) as u8,
        allowed_programs: programs.clone(),
        limits: (0..s.below(4))
            .map(|i| SpendLimit {
                mint: if i == 0 { Pubkey::default() } else { s.key() },
                per_tx: s.next(),
                total: u64::MAX,
                period_secs: s.next() as u32,
                per_period: s.next(),
                recipients: if v3 {
                    (0..s.below(3)).map(|_| s.key()).collect()
                } else {
                    vec![]
                },
            })
            .collect(),
        program_rules: if v3 {
            programs
                .iter()
                .take(1)
                .map(|p| ProgramRule {
                    program: *p,
                    prefixes: (0..1 + s.below(3)).map(|i| s.bytes(1 + i)).collect(),
                })
                .collect()
        } else {
            vec![]
        },
    }
}

fn calls_sample(s: &mut Stream) -> Vec<Call> {
    (0..1 + s.below(3))
        .map(|_| Call {
            program: s.next() as u8,
            accounts: (0..s.below(4))
                .map(|_| CallAccount {
                    index: s.next() as u8,
                    writable: s.next().is_multiple_of(2),
                    signer: s.next().is_multiple_of(2),
                })
                .collect(),
            data: {
                let len = s.below(12);
                s.bytes(len)
            },
        })
        .collect()
}

fn session_sample(s: &mut Stream, v3: bool) -> Session {
    let policy = policy_sample(s, v3);
    Session {
        account_type: SESSION_ACCOUNT_TYPE,
        version: SESSION_LAYOUT_VERSION,
        bump: s.next() as u8,
        wallet: s.key(),
        session_key: s.key(),
        rent_payer: s.key(),
        created_slot: s.next(),
        created_at: s.next() as i64,
        epoch: s.next() as u32,
        revoked: s.next().is_multiple_of(2),
        uses: s.next(),
        nonce: s.next(),
        spent: policy
            .limits
            .iter()
            .map(|_| Spent {
                total: s.next(),
                period_index: s.next(),
                in_period: s.next(),
            })
            .collect(),
        policy,
    }
}

fn vectors() -> Value {
    let mut s = Stream(0x1ea5_4001_d00d_5eed);
    let mut instructions = vec![];
    let mut push_ix = |ix: LeashInstruction| {
        let (name, args) = instruction_value(&ix);
        instructions.push(json!({ "instruction": name, "data": hex(&ix.pack()), "args": args }));
    };
    for round in 0..4 {
        push_ix(LeashInstruction::CreateWallet {
            owner: Authority::Ed25519(s.key()),
            salt: s.bytes(32).try_into().expect("32 bytes"),
        });
        push_ix(LeashInstruction::CreateSession {
            session_key: s.key(),
            policy: policy_sample(&mut s, round % 2 == 0),
            bump: s.next() as u8,
        });
        push_ix(LeashInstruction::Execute {
            expected_nonce: (round % 2 == 1).then(|| s.next()),
            calls: calls_sample(&mut s),
        });
        push_ix(LeashInstruction::UpdateSession {
            policy: policy_sample(&mut s, round % 2 == 1),
            expected_uses: (round % 2 == 0).then(|| s.next()),
        });
        push_ix(LeashInstruction::OwnerExecute {
            calls: calls_sample(&mut s),
        });
    }
    for ix in [
        LeashInstruction::RevokeSession,
        LeashInstruction::RevokeAllSessions,
        LeashInstruction::CloseSession,
        LeashInstruction::SweepLamports,
    ] {
        push_ix(ix);
    }

    let mut accounts = vec![];
    for _ in 0..3 {
        let wallet = Wallet {
            account_type: WALLET_ACCOUNT_TYPE,
            version: LAYOUT_VERSION,
            bump: s.next() as u8,
            vault_bump: s.next() as u8,
            owner: Authority::Ed25519(s.key()),
            salt: s.bytes(32).try_into().expect("32 bytes"),
            epoch: s.next() as u32,
            created_slot: s.next(),
            owner_nonce: 0,
        };
        accounts.push(json!({
            "account": "wallet",
            "data": hex(&borsh::to_vec(&wallet).expect("encodes")),
            "value": json!({
                "accountType": wallet.account_type, "version": wallet.version, "bump": wallet.bump,
                "vaultBump": wallet.vault_bump, "owner": authority_value(&wallet.owner),
                "salt": bytes_value(&wallet.salt), "epoch": wallet.epoch,
                "createdSlot": big(wallet.created_slot),
            }),
        }));
    }
    for round in 0..4 {
        let v2 = session_sample(&mut s, round % 2 == 0);
        let bytes = borsh::to_vec(&v2).expect("encodes");
        assert_eq!(Session::decode(&bytes).as_ref(), Some(&v2));
        accounts.push(
            json!({ "account": "session", "data": hex(&bytes), "value": session_value(&v2, true) }),
        );
        let v1 = session_sample(&mut s, false);
        let bytes = v1.encode_v1().expect("no v3 rules");
        accounts.push(json!({ "account": "sessionV1", "data": hex(&bytes), "value": session_value(&v1, false) }));
    }

    let events = [
        LeashEvent::WalletCreated {
            wallet: s.key(),
            owner: Authority::Ed25519(s.key()),
        },
        LeashEvent::SessionCreated {
            wallet: s.key(),
            session: s.key(),
            session_key: s.key(),
        },
        LeashEvent::SessionUsed {
            session: s.key(),
            uses: 1,
            nonce: u64::MAX,
            outflows: vec![(Pubkey::default(), 5_000), (s.key(), u64::MAX)],
        },
        LeashEvent::SessionUsed {
            session: s.key(),
            uses: s.next(),
            nonce: s.next(),
            outflows: vec![],
        },
        LeashEvent::SessionRevoked {
            session: s.key(),
            by: s.key(),
        },
        LeashEvent::AllSessionsRevoked {
            wallet: s.key(),
            epoch: u32::MAX,
        },
        LeashEvent::SessionUpdated { session: s.key() },
        LeashEvent::SessionClosed { session: s.key() },
    ]
    .iter()
    .map(|e| json!({ "data": hex(&borsh::to_vec(e).expect("encodes")), "value": event_value(e) }))
    .collect::<Vec<_>>();

    // PDAs at the default id and at another (the program runs at any address).
    let other_id = s.key();
    let mut pdas = vec![];
    for program in [DEFAULT_PROGRAM_ID, other_id] {
        let owner = s.key();
        let salt: [u8; 32] = s.bytes(32).try_into().expect("32 bytes");
        let authority = Authority::Ed25519(owner);
        let (wallet, wallet_bump) = leash_sdk::state::wallet_address(&authority, &salt, &program);
        let (vault, vault_bump) = leash_sdk::state::vault_address(&wallet, &program);
        let session_key = s.key();
        let (session, session_bump) =
            leash_sdk::state::session_address(&wallet, &session_key, &program);
        pdas.push(json!({
            "program": program.to_string(), "owner": owner.to_string(), "salt": hex(&salt),
            "ownerHash": hex(&leash_sdk::state::authority_hash(&authority)),
            "wallet": [wallet.to_string(), wallet_bump], "vault": [vault.to_string(), vault_bump],
            "sessionKey": session_key.to_string(), "session": [session.to_string(), session_bump],
        }));
    }

    json!({
        "comment": "Made by crates/sdk/tests/idl.rs from the program's own encodings; checked there and by sdk/ts's tests (docs/sdk-ts.md).",
        "instructions": instructions,
        "accounts": accounts,
        "events": events,
        "pdas": pdas,
    })
}

// ---------------------------------------------------------------------------------------------

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Compares `path` with `value` pretty-printed, or writes it under `LEASH_BLESS=1`.
fn check_or_bless(path: &str, value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("json") + "\n";
    let file = repo_file(path);
    if std::env::var_os("LEASH_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&file, &text).expect("write");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == text,
        "{path} is not what the program's types make: run `LEASH_BLESS=1 cargo test -p leash-sdk --test idl`, \
         then `npm run generate` in sdk/ts, and commit the result"
    );
}

#[test]
fn the_idl_is_the_programs() {
    check_or_bless("idl/leash.json", &idl());
}

#[test]
fn the_vectors_are_the_programs_encodings() {
    check_or_bless("idl/vectors.json", &vectors());
}

#[test]
fn every_error_and_instruction_is_in_the_idl() {
    let idl = idl();
    let errors = idl["program"]["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), LeashError::ALL.len());
    for (node, e) in errors.iter().zip(LeashError::ALL) {
        assert_eq!(node["code"], json!(e.code()));
        assert_eq!(node["message"], json!(e.message()));
    }
    let discriminators: Vec<u64> = idl["program"]["instructions"]
        .as_array()
        .expect("instructions")
        .iter()
        .map(|ix| {
            ix["arguments"][0]["defaultValue"]["number"]
                .as_u64()
                .expect("u8")
        })
        .collect();
    assert_eq!(
        discriminators,
        (0..9).collect::<Vec<u64>>(),
        "one node per instruction, in variant order"
    );
}
