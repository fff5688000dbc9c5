//! The value model's unit tests (docs/program.md, "The value model").

use super::*;
use crate::{
    state::{Policy, SpendLimit, UNLIMITED},
    token_account::{
        MintView, TokenAccountView, BASE_ACCOUNT_LEN, BASE_MINT_LEN, TOKEN_2022_PROGRAM_ID,
        TOKEN_PROGRAM_ID,
    },
};
use proptest::prelude::*;

/// [`super::charge`] all or nothing: these tests charge the same counters again after a
/// refusal, where `Execute` throws its copy away.
fn charge<L: LimitTerms>(
    limits: impl IntoIterator<Item = L> + Copy,
    spent: &mut [Spent],
    outflows: &[(Pubkey, u64)],
    now: i64,
    created_at: i64,
) -> Result<(), LimitViolation> {
    let mut working = spent.to_vec();
    super::charge(limits, &mut working, outflows, now, created_at)?;
    spent.copy_from_slice(&working);
    Ok(())
}

/// An account state the tests own and change; the value model's [`super::AccountState`]
/// borrows one ([`Snapshot::view`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct AccountState {
    key: Pubkey,
    owner: Pubkey,
    lamports: u64,
    data_len: usize,
    data: Vec<u8>,
}

impl AccountState {
    fn new(key: Pubkey, owner: Pubkey, lamports: u64, data_len: usize, data: Vec<u8>) -> Self {
        AccountState {
            key,
            owner,
            lamports,
            data_len,
            data,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Snapshot {
    accounts: Vec<AccountState>,
}

impl Snapshot {
    fn view(&self) -> super::Snapshot<'_> {
        super::Snapshot {
            accounts: self
                .accounts
                .iter()
                .map(|s| {
                    super::AccountState::new(&s.key, &s.owner, s.lamports, s.data_len, &s.data)
                })
                .collect(),
        }
    }
}

/// The pure functions with the vault keys taken from `before`, as `Execute` does.
fn check_authorities(
    vault: &Pubkey,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), LeashError> {
    let (before, after) = views(before, after);
    super::check_authorities(&VaultKeys::new(vault, &before), &before, &after)
}

fn outflows(vault: &Pubkey, before: &Snapshot, after: &Snapshot) -> Vec<(Pubkey, u64)> {
    let (before, after) = views(before, after);
    super::outflows(&VaultKeys::new(vault, &before), &before, &after)
}

/// Both sides as `Execute` sees them: the accounts that did not change marked so.
fn views<'a>(
    before: &'a Snapshot,
    after: &'a Snapshot,
) -> (super::Snapshot<'a>, super::Snapshot<'a>) {
    let (before, mut after) = (before.view(), after.view());
    after.mark_changes(&before);
    (before, after)
}

fn check_recipients(
    policy: &Policy,
    vault: &Pubkey,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), RecipientViolation> {
    let (before, after) = views(before, after);
    super::check_recipients(
        &policy.limits,
        &VaultKeys::new(vault, &before),
        &before,
        &after,
    )
}

const VAULT: Pubkey = Pubkey::new_from_array([200; 32]);
const OUTSIDER: Pubkey = Pubkey::new_from_array([201; 32]);

fn key(b: u8) -> Pubkey {
    Pubkey::new_from_array([b; 32])
}

fn coption(data: &mut [u8], offset: usize, key: Option<Pubkey>) {
    if let Some(k) = key {
        data[offset..offset + 4].copy_from_slice(&1u32.to_le_bytes());
        data[offset + 4..offset + 36].copy_from_slice(k.as_ref());
    } else {
        data[offset..offset + 36].fill(0);
    }
}

/// A token account's bytes (SPL Token layout).
fn token_bytes(view: &TokenAccountView) -> Vec<u8> {
    let mut data = vec![0u8; BASE_ACCOUNT_LEN];
    data[0..32].copy_from_slice(view.mint.as_ref());
    data[32..64].copy_from_slice(view.owner.as_ref());
    data[64..72].copy_from_slice(&view.amount.to_le_bytes());
    coption(&mut data, 72, view.delegate);
    data[108] = view.state;
    data[121..129].copy_from_slice(&view.delegated_amount.to_le_bytes());
    coption(&mut data, 129, view.close_authority);
    data
}

fn token(mint: Pubkey, owner: Pubkey, amount: u64) -> TokenAccountView {
    TokenAccountView {
        mint,
        owner,
        amount,
        delegate: None,
        state: 1,
        delegated_amount: 0,
        close_authority: None,
    }
}

fn token_state(address: u8, view: TokenAccountView) -> AccountState {
    let data = token_bytes(&view);
    AccountState::new(key(address), TOKEN_PROGRAM_ID, 2_039_280, data.len(), data)
}

/// A mint's bytes; with a permanent delegate it is a Token-2022 mint with that extension.
fn mint_state(address: u8, view: MintView) -> AccountState {
    mint_with_extensions(address, view, &[])
}

/// A Token-2022 mint with `extensions` (type, value) after any permanent delegate.
fn mint_with_extensions(
    address: u8,
    view: MintView,
    extensions: &[(u16, Vec<u8>)],
) -> AccountState {
    let mut data = vec![0u8; BASE_MINT_LEN];
    coption(&mut data, 0, view.mint_authority);
    data[36..44].copy_from_slice(&view.supply.to_le_bytes());
    data[44] = 6;
    data[45] = 1;
    coption(&mut data, 46, view.freeze_authority);
    let mut owner = TOKEN_PROGRAM_ID;
    let mut all: Vec<(u16, Vec<u8>)> = Vec::new();
    if let Some(delegate) = view.permanent_delegate {
        all.push((12, delegate.to_bytes().to_vec()));
    }
    all.extend_from_slice(extensions);
    if !all.is_empty() {
        owner = TOKEN_2022_PROGRAM_ID;
        data.resize(BASE_ACCOUNT_LEN, 0);
        data.push(1); // AccountType::Mint
        for (kind, value) in all {
            data.extend_from_slice(&kind.to_le_bytes());
            data.extend_from_slice(&(value.len() as u16).to_le_bytes());
            data.extend_from_slice(&value);
        }
    }
    AccountState::new(key(address), owner, 1_461_600, data.len(), data)
}

fn mint_view(authority: Option<Pubkey>, supply: u64) -> MintView {
    MintView {
        mint_authority: authority,
        supply,
        freeze_authority: None,
        permanent_delegate: None,
    }
}

fn system(key: Pubkey, lamports: u64) -> AccountState {
    AccountState::new(key, SYSTEM_PROGRAM_ID, lamports, 0, Vec::new())
}

fn snap(accounts: Vec<AccountState>) -> Snapshot {
    Snapshot { accounts }
}

/// The vault with `lamports`, then `rest`.
fn with_vault(lamports: u64, rest: Vec<AccountState>) -> Snapshot {
    let mut accounts = vec![system(VAULT, lamports)];
    accounts.extend(rest);
    snap(accounts)
}

/// A lookup table at `key(40)` whose authority is `authority`, with `lamports`; closed
/// (no data) when `closed`.
fn lookup_table(authority: Option<Pubkey>, lamports: u64, closed: bool) -> AccountState {
    let mut data = vec![0u8; 56];
    data[0..4].copy_from_slice(&1u32.to_le_bytes());
    if let Some(a) = authority {
        data[21] = 1;
        data[22..54].copy_from_slice(a.as_ref());
    }
    if closed {
        data.clear();
    }
    AccountState::new(
        key(40),
        authority_account::ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
        lamports,
        data.len(),
        data,
    )
}

#[test]
fn lookup_tables_the_vault_holds_keep_their_authority_and_closing_them_is_charged() {
    let before = with_vault(1_000, vec![lookup_table(Some(VAULT), 500, false)]);
    // Frozen (the authority removed) or handed away: refused.
    for now in [None, Some(OUTSIDER)] {
        let after = with_vault(1_000, vec![lookup_table(now, 500, false)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }
    // Closed to someone: its lamports are charged as SOL.
    let after = with_vault(1_000, vec![lookup_table(None, 0, true)]);
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 500)]
    );
    // Someone else's table: nothing of the vault's.
    let foreign = with_vault(1_000, vec![lookup_table(Some(OUTSIDER), 500, false)]);
    let emptied = with_vault(1_000, vec![lookup_table(Some(OUTSIDER), 0, true)]);
    assert_eq!(outflows(&VAULT, &foreign, &emptied), vec![]);
}

/// A vote account (layout 4) at `key(41)` whose withdrawer is `withdrawer` and whose reward
/// collectors are `collectors`, with `lamports`.
fn vote_account(withdrawer: Pubkey, collectors: [Pubkey; 2], lamports: u64) -> AccountState {
    let mut data = vec![0u8; 200];
    data[0..4].copy_from_slice(&3u32.to_le_bytes());
    data[36..68].copy_from_slice(withdrawer.as_ref());
    data[68..100].copy_from_slice(collectors[0].as_ref());
    data[100..132].copy_from_slice(collectors[1].as_ref());
    AccountState::new(
        key(41),
        authority_account::VOTE_PROGRAM_ID,
        lamports,
        3762,
        data,
    )
}

#[test]
fn vote_accounts_the_vault_withdraws_from_keep_their_terms_and_withdrawals_are_charged() {
    let before = with_vault(1_000, vec![vote_account(VAULT, [VAULT, VAULT], 500)]);
    // The withdrawer or a reward collector handed away: refused.
    for (withdrawer, collectors) in [
        (OUTSIDER, [VAULT, VAULT]),
        (VAULT, [OUTSIDER, VAULT]),
        (VAULT, [VAULT, OUTSIDER]),
    ] {
        let after = with_vault(1_000, vec![vote_account(withdrawer, collectors, 500)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }
    // Withdrawn from, to someone: charged as SOL; withdrawn to the vault, charged too (a
    // debitable account's decrease is never netted).
    let after = with_vault(1_000, vec![vote_account(VAULT, [VAULT, VAULT], 200)]);
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 300)]
    );
    let to_vault = with_vault(1_300, vec![vote_account(VAULT, [VAULT, VAULT], 200)]);
    assert_eq!(
        outflows(&VAULT, &before, &to_vault),
        vec![(NATIVE_SOL_MINT, 300)]
    );
    // Someone else's vote account: nothing of the vault's.
    let foreign = with_vault(1_000, vec![vote_account(OUTSIDER, [OUTSIDER; 2], 500)]);
    let emptied = with_vault(1_000, vec![vote_account(OUTSIDER, [OUTSIDER; 2], 0)]);
    assert_eq!(outflows(&VAULT, &foreign, &emptied), vec![]);
    // But its withdrawer may be an address derived from the vault (`AuthorizeWithSeed`, the
    // vault signing as base): it may pass to the vault, never to another key outside K.
    let derived = key(42);
    let before = with_vault(1_000, vec![vote_account(derived, [OUTSIDER; 2], 500)]);
    let handed = |to: Pubkey| with_vault(1_000, vec![vote_account(to, [OUTSIDER; 2], 500)]);
    assert_eq!(
        check_authorities(&VAULT, &before, &handed(OUTSIDER)),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    assert_eq!(check_authorities(&VAULT, &before, &handed(VAULT)), Ok(()));
    // Nor may a new one (split off such an account, then handed over) end with one.
    let before = with_vault(1_000, vec![system(key(41), 0)]);
    assert_eq!(
        check_authorities(&VAULT, &before, &handed(OUTSIDER)),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    assert_eq!(check_authorities(&VAULT, &before, &handed(VAULT)), Ok(()));
}

/// A nested associated account (owned by a token account the vault owns) is emptied only with
/// the vault's signature (`RecoverNested`): its decreases are charged, tokens and rent, even
/// into the vault's own account; one nested in someone else's account is nothing of the vault's.
#[test]
fn accounts_nested_in_a_vault_token_account_are_charged_as_they_decrease() {
    let m = key(1);
    // The vault's lamports, the owner of the token account at key(10), and key(11): nested in
    // it, or closed.
    let side = |lamports: u64, owner: Pubkey, nested: Option<u64>| {
        let eleven = nested.map_or(system(key(11), 0), |amount| {
            token_state(11, token(m, key(10), amount))
        });
        with_vault(lamports, vec![token_state(10, token(m, owner, 0)), eleven])
    };
    let before = side(1_000, VAULT, Some(100));
    // Recovered into the vault's account and sent on: the vault's own value nets to nothing,
    // the nested account's 100 and its rent are charged.
    assert_eq!(
        outflows(&VAULT, &before, &side(1_000 + 2_039_280, VAULT, None)),
        vec![(NATIVE_SOL_MINT, 2_039_280), (m, 100)]
    );
    // The vault's account passed read-only and unchanged is still the lookup that makes the
    // nested account the vault's.
    assert_eq!(
        outflows(&VAULT, &before, &side(1_000, VAULT, Some(40))),
        vec![(m, 60)]
    );
    // Nested in an account that becomes the vault's during the calls: charged as well.
    let outsiders = side(1_000, OUTSIDER, Some(100));
    assert_eq!(
        outflows(&VAULT, &outsiders, &side(1_000, VAULT, None)),
        vec![(NATIVE_SOL_MINT, 2_039_280), (m, 100)]
    );
    // Nested in an outsider's account: not the vault's.
    assert_eq!(
        outflows(&VAULT, &outsiders, &side(1_000, OUTSIDER, Some(0))),
        vec![]
    );
}

#[test]
fn sums_across_accounts_and_ignores_inflows_and_internal_moves() {
    let m = key(1);
    let before = with_vault(
        1_000,
        vec![
            token_state(10, token(m, VAULT, 100)),
            token_state(11, token(m, VAULT, 50)),
            token_state(12, token(key(2), VAULT, 10)),
        ],
    );
    // 100 + 50 → 30 + 70: a move of 50 plus 50 out; mint 2 only grew; SOL only grew.
    let after = with_vault(
        1_500,
        vec![
            token_state(10, token(m, VAULT, 30)),
            token_state(11, token(m, VAULT, 70)),
            token_state(12, token(key(2), VAULT, 99)),
        ],
    );
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 50)]);
    let after = with_vault(
        400,
        vec![
            token_state(10, token(m, VAULT, 0)),
            token_state(11, token(m, VAULT, 0)),
            token_state(12, token(key(2), VAULT, 10)),
        ],
    );
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 600), (m, 150)],
        "SOL first"
    );
}

#[test]
fn lamports_of_vault_token_accounts_are_sol() {
    // WithdrawExcessLamports: 2 SOL above rent leave the vault's token account.
    let m = key(1);
    let mut rich = token_state(10, token(m, VAULT, 5));
    rich.lamports += 2_000_000_000;
    let before = with_vault(1_000, vec![rich]);
    let after = with_vault(1_000, vec![token_state(10, token(m, VAULT, 5))]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 2_000_000_000)]
    );
}

#[test]
fn seeded_and_nonce_system_accounts_are_charged_per_account() {
    let seeded = key(30);
    let before = with_vault(1_000, vec![system(seeded, 5_000), system(OUTSIDER, 0)]);
    let after = with_vault(1_000, vec![system(seeded, 0), system(OUTSIDER, 5_000)]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
    // Moving it into the vault is still charged (conservative: no netting across accounts).
    let after = with_vault(6_000, vec![system(seeded, 0), system(OUTSIDER, 0)]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
    // Assigned to another program: everything it held left.
    let mut assigned = system(seeded, 5_000);
    assigned.owner = key(99);
    let after = with_vault(1_000, vec![assigned, system(OUTSIDER, 0)]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
    // A nonce account (System-owned, with data) counts too.
    let mut nonce = system(seeded, 5_000);
    nonce.data_len = 80;
    let mut drained = nonce.clone();
    drained.lamports = 1_000;
    let before = with_vault(0, vec![nonce]);
    let after = with_vault(0, vec![drained]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 4_000)]
    );
}

/// A System account at `key(30)` with `lamports` and 80 bytes: a nonce account under
/// `authority`, or uninitialized without one.
fn nonce_state(authority: Option<Pubkey>, lamports: u64) -> AccountState {
    let mut data = vec![0u8; 80];
    if let Some(authority) = authority {
        data[0..4].copy_from_slice(&1u32.to_le_bytes());
        data[4..8].copy_from_slice(&1u32.to_le_bytes());
        data[8..40].copy_from_slice(authority.as_ref());
    }
    AccountState::new(key(30), SYSTEM_PROGRAM_ID, lamports, 80, data)
}

#[test]
fn a_seeded_address_given_data_leaves_the_vaults_reach_and_is_charged_whole() {
    let before = with_vault(0, vec![system(key(30), 5_000)]);
    let charged = |after: AccountState| outflows(&VAULT, &before, &with_vault(0, vec![after]));
    // Allocated (anyone may then make it a nonce account of their own), or made a nonce
    // account of someone else's in the same calls: all of it left.
    assert_eq!(
        charged(nonce_state(None, 5_000)),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
    assert_eq!(
        charged(nonce_state(Some(OUTSIDER), 5_000)),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
    // A nonce account of the vault's is still the vault's: only a debit is charged.
    assert_eq!(charged(nonce_state(Some(VAULT), 5_000)), vec![]);
    assert_eq!(
        charged(nonce_state(Some(VAULT), 4_000)),
        vec![(NATIVE_SOL_MINT, 1_000)]
    );
    // Someone else's nonce account was never in reach: only its debits count, as before.
    let before = with_vault(0, vec![nonce_state(Some(OUTSIDER), 5_000)]);
    let after = with_vault(0, vec![nonce_state(Some(OUTSIDER), 6_000)]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![]);
    // Withdrawn whole, a nonce account of the vault's is reset to uninitialized: all charged.
    let before = with_vault(0, vec![nonce_state(Some(VAULT), 5_000)]);
    let after = with_vault(0, vec![nonce_state(None, 0)]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );

    // Where a SOL limit lists recipients, what left the vault's reach arrived at the account
    // itself, which is not listed; assigned away, likewise.
    let policy = recipients_policy(vec![], vec![key(50)]);
    let before = with_vault(0, vec![system(key(30), 5_000)]);
    let judged = |after: AccountState| {
        check_recipients(&policy, &VAULT, &before, &with_vault(0, vec![after]))
            .map_err(|v| (v.mint, v.account, v.amount))
    };
    let refused = Err((NATIVE_SOL_MINT, key(30), 5_000));
    assert_eq!(judged(nonce_state(None, 5_000)), refused);
    let mut assigned = system(key(30), 5_000);
    assigned.owner = key(99);
    assert_eq!(judged(assigned), refused);
    assert_eq!(judged(nonce_state(Some(VAULT), 5_000)), Ok(()));
}

#[test]
fn delegations_to_the_vault_are_metered_and_spent_to_zero_charges_what_moved() {
    let m = key(1);
    let delegated = |amount, allowance| TokenAccountView {
        delegate: (allowance > 0).then_some(VAULT),
        delegated_amount: allowance,
        ..token(m, OUTSIDER, amount)
    };
    let before = with_vault(0, vec![token_state(10, delegated(500, 500))]);
    let after = with_vault(0, vec![token_state(10, delegated(490, 490))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 10)]);
    // SPL Token clears the delegate at zero: charged the 10 that moved, not the 490 left.
    let before = with_vault(0, vec![token_state(10, delegated(500, 10))]);
    let after = with_vault(0, vec![token_state(10, delegated(490, 0))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 10)]);
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
}

#[test]
fn value_moved_into_accounts_others_can_take_is_charged() {
    let m = key(1);
    // An attacker's own account, delegated to the vault for 1 unit so the vault "controls"
    // it: tokens and lamports moved there from the vault are spend, not an internal move.
    let bait = TokenAccountView {
        delegate: Some(VAULT),
        delegated_amount: 1,
        ..token(m, OUTSIDER, 0)
    };
    let before = with_vault(
        5_000,
        vec![token_state(10, token(m, VAULT, 500)), token_state(11, bait)],
    );
    let mut fed = token_state(
        11,
        TokenAccountView {
            amount: 500,
            ..bait
        },
    );
    fed.lamports += 5_000;
    let after = with_vault(0, vec![token_state(10, token(m, VAULT, 0)), fed]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000), (m, 500)]
    );
    // The same for a 1-of-2 multisig the attacker also signs for: its excess lamports are
    // theirs to withdraw.
    let multisig = multisig_state(40, &[VAULT, OUTSIDER]);
    let mut fed = multisig.clone();
    fed.lamports += 5_000;
    let before = with_vault(5_000, vec![multisig]);
    let after = with_vault(0, vec![fed]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
}

#[test]
fn a_seeded_address_turned_into_someone_elses_account_is_charged() {
    // 5 SOL at a vault seeded address become the rent of an outsider's token account whose
    // close authority is the vault: the outsider can withdraw them.
    let before = with_vault(0, vec![system(key(30), 5_000)]);
    let mut theirs = token_state(
        30,
        TokenAccountView {
            close_authority: Some(VAULT),
            ..token(key(1), OUTSIDER, 0)
        },
    );
    theirs.lamports = 5_000;
    let after = with_vault(0, vec![theirs]);
    assert_eq!(
        outflows(&VAULT, &before, &after),
        vec![(NATIVE_SOL_MINT, 5_000)]
    );
}

#[test]
fn permanent_delegate_and_minting_are_metered() {
    let m = key(1);
    let mint = mint_view(Some(VAULT), 1_000);
    let with_delegate = MintView {
        permanent_delegate: Some(VAULT),
        ..mint
    };
    let before = with_vault(
        0,
        vec![
            mint_state(1, with_delegate),
            token_state(10, token(m, OUTSIDER, 777)),
        ],
    );
    let after = with_vault(
        0,
        vec![
            mint_state(
                1,
                MintView {
                    supply: 1_500,
                    ..with_delegate
                },
            ),
            token_state(10, token(m, OUTSIDER, 0)),
        ],
    );
    // 777 moved through the permanent delegate, 500 minted.
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 1_277)]);
    // From a third party to an outsider: both accounts are the permanent delegate's to
    // move, but the outsider's gain is not netted against the third party's loss.
    let before = with_vault(
        0,
        vec![
            mint_state(1, with_delegate),
            token_state(10, token(m, OUTSIDER, 777)),
            token_state(11, token(m, key(202), 0)),
        ],
    );
    let after = with_vault(
        0,
        vec![
            mint_state(1, with_delegate),
            token_state(10, token(m, OUTSIDER, 0)),
            token_state(11, token(m, key(202), 777)),
        ],
    );
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 777)]);
    // Without the mint passed, the outsider's account is not the vault's to move.
    let before = with_vault(0, vec![token_state(10, token(m, OUTSIDER, 777))]);
    let after = with_vault(0, vec![token_state(10, token(m, OUTSIDER, 0))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![]);
    // Someone else's mint authority: no charge for minting.
    let before = with_vault(0, vec![mint_state(1, mint_view(Some(OUTSIDER), 0))]);
    let after = with_vault(0, vec![mint_state(1, mint_view(Some(OUTSIDER), 9))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![]);
}

/// A multisig's bytes listing `signers`.
fn multisig_state(address: u8, signers: &[Pubkey]) -> AccountState {
    let mut data = vec![0u8; token_account::MULTISIG_LEN];
    data[0] = 1;
    data[1] = signers.len() as u8;
    data[2] = 1;
    for (i, s) in signers.iter().enumerate() {
        data[3 + 32 * i..35 + 32 * i].copy_from_slice(s.as_ref());
    }
    AccountState::new(
        key(address),
        TOKEN_2022_PROGRAM_ID,
        3_361_680,
        data.len(),
        data,
    )
}

#[test]
fn a_multisig_the_vault_signs_for_counts_as_the_vault() {
    let m = key(1);
    let multisig = multisig_state(40, &[OUTSIDER, VAULT]);
    let before = with_vault(
        0,
        vec![multisig.clone(), token_state(10, token(m, key(40), 100))],
    );
    let after = with_vault(0, vec![multisig, token_state(10, token(m, key(40), 60))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 40)]);
    // One the vault is not in is somebody else's.
    let other = multisig_state(40, &[OUTSIDER]);
    let before = with_vault(
        0,
        vec![other.clone(), token_state(10, token(m, key(40), 100))],
    );
    let after = with_vault(0, vec![other, token_state(10, token(m, key(40), 60))]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![]);
}

#[test]
fn a_multisig_is_never_read_as_a_token_account() {
    // Signer keys chosen so the bytes look like a Token-2022 account owned by the vault.
    let mut fake = multisig_state(40, &[OUTSIDER]);
    fake.data[32..64].copy_from_slice(VAULT.as_ref());
    fake.data[64..72].copy_from_slice(&u64::MAX.to_le_bytes());
    fake.data[108] = 1;
    fake.data[165] = 2;
    let read = super::AccountState::new(&fake.key, &fake.owner, 0, fake.data_len, &fake.data);
    assert_eq!(read.token_account(), None);
    assert_eq!(read.mint(), None);
    let mut emptied = fake.clone();
    emptied.data[64..72].fill(0);
    assert_eq!(
        outflows(
            &VAULT,
            &with_vault(0, vec![fake]),
            &with_vault(0, vec![emptied])
        ),
        vec![]
    );
}

#[test]
fn vault_token_accounts_keep_every_authority_and_setting() {
    let m = key(1);
    let base = token(m, VAULT, 100);
    let before = with_vault(0, vec![token_state(10, base)]);
    let refused = |after: TokenAccountView| {
        check_authorities(
            &VAULT,
            &before,
            &with_vault(0, vec![token_state(10, after)]),
        )
    };
    assert_eq!(refused(TokenAccountView { amount: 1, ..base }), Ok(()));
    for changed in [
        TokenAccountView {
            owner: OUTSIDER,
            ..base
        },
        TokenAccountView {
            delegate: Some(OUTSIDER),
            delegated_amount: 5,
            ..base
        },
        TokenAccountView {
            close_authority: Some(OUTSIDER),
            ..base
        },
        TokenAccountView { state: 2, ..base },
    ] {
        assert_eq!(
            refused(changed),
            Err(LeashError::ForbiddenAuthorityChange),
            "{changed:?}"
        );
    }
    // An owner-set delegate may not be revoked or raised; falling by its own spending is fine.
    let delegated = TokenAccountView {
        delegate: Some(OUTSIDER),
        delegated_amount: 10,
        ..base
    };
    let before = with_vault(0, vec![token_state(10, delegated)]);
    let check = |after: TokenAccountView| {
        check_authorities(
            &VAULT,
            &before,
            &with_vault(0, vec![token_state(10, after)]),
        )
    };
    assert_eq!(
        check(TokenAccountView {
            delegated_amount: 4,
            ..delegated
        }),
        Ok(())
    );
    assert_eq!(
        check(TokenAccountView {
            delegate: None,
            delegated_amount: 0,
            ..delegated
        }),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    assert_eq!(
        check(TokenAccountView {
            delegated_amount: 11,
            ..delegated
        }),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    // Closed.
    let before = with_vault(0, vec![token_state(10, base)]);
    let after = with_vault(0, vec![system(key(10), 0)]);
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

#[test]
fn extension_bytes_of_vault_accounts_are_frozen_but_withheld_fees_may_grow() {
    let m = key(1);
    let mut account = token_state(10, token(m, VAULT, 100));
    account.owner = TOKEN_2022_PROGRAM_ID;
    account.data.push(2); // AccountType::Account
                          // MemoTransfer (8), disabled; TransferFeeAmount (2), 0 withheld.
    account.data.extend_from_slice(&[8, 0, 1, 0, 0]);
    account
        .data
        .extend_from_slice(&[2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    account.data_len = account.data.len();
    let before = with_vault(0, vec![account.clone()]);
    let mut fees = account.clone();
    let n = fees.data.len();
    fees.data[n - 8] = 7;
    assert_eq!(
        check_authorities(&VAULT, &before, &with_vault(0, vec![fees])),
        Ok(())
    );
    let mut memo_required = account.clone();
    memo_required.data[BASE_ACCOUNT_LEN + 5] = 1;
    assert_eq!(
        check_authorities(&VAULT, &before, &with_vault(0, vec![memo_required])),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

#[test]
fn authorities_over_other_accounts_never_leave() {
    let m = key(1);
    // A delegation the vault received may only be spent, not lost otherwise.
    let delegated = TokenAccountView {
        delegate: Some(VAULT),
        delegated_amount: 50,
        ..token(m, OUTSIDER, 100)
    };
    let before = with_vault(0, vec![token_state(10, delegated)]);
    let after = TokenAccountView {
        delegate: Some(OUTSIDER),
        ..delegated
    };
    assert_eq!(
        check_authorities(
            &VAULT,
            &before,
            &with_vault(0, vec![token_state(10, after)])
        ),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    // A close authority the vault holds stays.
    let closable = TokenAccountView {
        close_authority: Some(VAULT),
        ..token(m, OUTSIDER, 0)
    };
    let before = with_vault(0, vec![token_state(10, closable)]);
    let after = TokenAccountView {
        close_authority: Some(OUTSIDER),
        ..closable
    };
    assert_eq!(
        check_authorities(
            &VAULT,
            &before,
            &with_vault(0, vec![token_state(10, after)])
        ),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    // Mint, freeze and extension authorities stay.
    let mint = MintView {
        mint_authority: Some(VAULT),
        supply: 0,
        freeze_authority: Some(VAULT),
        permanent_delegate: Some(VAULT),
    };
    let before = with_vault(0, vec![mint_state(1, mint)]);
    for changed in [
        MintView {
            mint_authority: Some(OUTSIDER),
            ..mint
        },
        MintView {
            mint_authority: None,
            ..mint
        },
        MintView {
            freeze_authority: Some(OUTSIDER),
            ..mint
        },
        MintView {
            permanent_delegate: Some(OUTSIDER),
            ..mint
        },
    ] {
        let after = with_vault(0, vec![mint_state(1, changed)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange),
            "{changed:?}"
        );
    }
    let after = with_vault(0, vec![mint_state(1, MintView { supply: 9, ..mint })]);
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    // Someone's account of a mint the vault freezes keeps its state.
    let before = with_vault(
        0,
        vec![mint_state(1, mint), token_state(10, token(m, OUTSIDER, 5))],
    );
    let after = with_vault(
        0,
        vec![
            mint_state(1, mint),
            token_state(
                10,
                TokenAccountView {
                    state: 2,
                    ..token(m, OUTSIDER, 5)
                },
            ),
        ],
    );
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

/// A `TransferFeeConfig` value with `withdraw` as withdraw-withheld authority.
fn fee_config(withdraw: Pubkey, withheld: u64, fee_bps: u16) -> Vec<u8> {
    let mut value = vec![0u8; 108];
    value[32..64].copy_from_slice(withdraw.as_ref());
    value[64..72].copy_from_slice(&withheld.to_le_bytes());
    value[88..90].copy_from_slice(&fee_bps.to_le_bytes());
    value
}

#[test]
fn withheld_fees_the_vault_may_withdraw_are_metered() {
    let m = key(1);
    let mint = mint_view(None, 1_000);
    let before = with_vault(
        0,
        vec![
            mint_with_extensions(1, mint, &[(1, fee_config(VAULT, 100, 50))]),
            token_state(10, token(m, OUTSIDER, 0)),
        ],
    );
    // WithdrawWithheldTokensFromMint to an outsider: 100 left the vault's reach.
    let after = with_vault(
        0,
        vec![
            mint_with_extensions(1, mint, &[(1, fee_config(VAULT, 0, 50))]),
            token_state(10, token(m, OUTSIDER, 100)),
        ],
    );
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 100)]);
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    // Somebody else's fees are not the vault's.
    let theirs =
        |withheld| mint_with_extensions(1, mint, &[(1, fee_config(OUTSIDER, withheld, 50))]);
    let before = with_vault(0, vec![theirs(100)]);
    let after = with_vault(0, vec![theirs(0)]);
    assert_eq!(outflows(&VAULT, &before, &after), vec![]);
}

#[test]
fn mints_the_vault_has_authority_over_are_not_reconfigured() {
    let mint = mint_view(None, 1_000);
    let before = with_vault(
        0,
        vec![mint_with_extensions(
            1,
            mint,
            &[(1, fee_config(VAULT, 0, 50))],
        )],
    );
    // Raising the fee (an authority's power used on every holder) is refused.
    let after = with_vault(
        0,
        vec![mint_with_extensions(
            1,
            mint,
            &[(1, fee_config(VAULT, 0, 9_999))],
        )],
    );
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    // Harvested fees arriving in the mint are fine.
    let after = with_vault(
        0,
        vec![mint_with_extensions(
            1,
            mint,
            &[(1, fee_config(VAULT, 7, 50))],
        )],
    );
    assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    // A mint the vault has no authority over is not the vault's business.
    let theirs = |bps| {
        with_vault(
            0,
            vec![mint_with_extensions(
                1,
                mint,
                &[(1, fee_config(OUTSIDER, 0, bps))],
            )],
        )
    };
    assert_eq!(
        check_authorities(&VAULT, &theirs(50), &theirs(9_999)),
        Ok(())
    );
    // Closing a mint the vault holds an authority over is refused.
    let frozen = MintView {
        freeze_authority: Some(VAULT),
        ..mint
    };
    let before = with_vault(0, vec![mint_state(1, frozen)]);
    let after = with_vault(0, vec![system(key(1), 0)]);
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

#[test]
fn new_vault_token_accounts_carry_no_delegate_or_close_authority() {
    let m = key(1);
    let before = with_vault(0, vec![system(key(10), 0)]);
    let fresh = token(m, VAULT, 0);
    let ok = with_vault(0, vec![token_state(10, fresh)]);
    assert_eq!(check_authorities(&VAULT, &before, &ok), Ok(()));
    let delegated = TokenAccountView {
        delegate: Some(OUTSIDER),
        delegated_amount: 1,
        ..fresh
    };
    let after = with_vault(0, vec![token_state(10, delegated)]);
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

#[test]
fn the_vault_stays_a_plain_system_account() {
    let before = with_vault(10, vec![]);
    let mut after = with_vault(10, vec![]);
    after.accounts[0].data_len = 8;
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
    let mut after = with_vault(10, vec![]);
    after.accounts[0].owner = key(99);
    assert_eq!(
        check_authorities(&VAULT, &before, &after),
        Err(LeashError::ForbiddenAuthorityChange)
    );
}

#[test]
fn huge_outflows_saturate() {
    let m = key(1);
    let before = with_vault(
        0,
        vec![
            token_state(10, token(m, VAULT, u64::MAX)),
            token_state(11, token(m, VAULT, u64::MAX)),
        ],
    );
    let after = with_vault(
        0,
        vec![
            token_state(10, token(m, VAULT, 0)),
            token_state(11, token(m, VAULT, 0)),
        ],
    );
    assert_eq!(outflows(&VAULT, &before, &after), vec![(m, u64::MAX)]);
}

fn policy(limits: Vec<SpendLimit>) -> Policy {
    Policy::unbounded(vec![], limits)
}

fn limit(m: u8, per_tx: u64, total: u64, period_secs: u32, per_period: u64) -> SpendLimit {
    SpendLimit {
        recipients: vec![],
        mint: key(m),
        per_tx,
        total,
        period_secs,
        per_period,
    }
}

#[test]
fn limit_edges() {
    let p = policy(vec![limit(1, 10, 25, 0, 0)]);
    let mut spent = vec![Spent::default()];
    assert!(charge(&p.limits, &mut spent, &[(key(1), 10)], 0, 0).is_ok());
    let e = charge(&p.limits, &mut spent, &[(key(1), 11)], 0, 0).unwrap_err();
    assert_eq!((e.error, e.limit), (LeashError::PerTxLimitExceeded, 10));
    assert!(charge(&p.limits, &mut spent, &[(key(1), 10)], 0, 0).is_ok());
    // 20 spent: exactly the remaining 5 fits, 6 does not.
    let e = charge(&p.limits, &mut spent, &[(key(1), 6)], 0, 0).unwrap_err();
    assert_eq!(
        (e.error, e.used, e.limit),
        (LeashError::SpendingLimitExceeded, 20, 25)
    );
    assert_eq!(spent[0].total, 20, "a refused charge changes nothing");
    assert!(charge(&p.limits, &mut spent, &[(key(1), 5)], 0, 0).is_ok());
    assert_eq!(spent[0].total, 25);
    let e = charge(&p.limits, &mut spent, &[(key(2), 1)], 0, 0).unwrap_err();
    assert_eq!(e.error, LeashError::TokenNotInPolicy);
}

#[test]
fn period_windows_reset_at_the_edge_and_never_move_back() {
    let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 100, 30)]);
    let mut spent = vec![Spent::default()];
    let created = 1_000;
    assert!(charge(
        &p.limits,
        &mut spent,
        &[(key(1), 30)],
        created + 99,
        created
    )
    .is_ok());
    let e = charge(&p.limits, &mut spent, &[(key(1), 1)], created + 99, created).unwrap_err();
    assert_eq!(
        (e.error, e.used, e.limit),
        (LeashError::PeriodLimitExceeded, 30, 30)
    );
    // The next window starts exactly at created_at + period_secs.
    assert!(charge(
        &p.limits,
        &mut spent,
        &[(key(1), 30)],
        created + 100,
        created
    )
    .is_ok());
    assert_eq!(
        spent[0],
        Spent {
            total: 60,
            period_index: 1,
            in_period: 30
        }
    );
    // A clock set back into window 0 still counts as window 1, which is full.
    let e = charge(&p.limits, &mut spent, &[(key(1), 1)], created + 5, created).unwrap_err();
    assert_eq!(e.error, LeashError::PeriodLimitExceeded);
    // A clock before created_at is window 0.
    assert_eq!(period_index(created - 5, created, 100), 0);
}

#[test]
fn unlimited_bounds_saturate_instead_of_overflowing() {
    let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 10, UNLIMITED)]);
    let mut spent = vec![Spent::default()];
    assert!(charge(&p.limits, &mut spent, &[(key(1), u64::MAX)], 0, 0).is_ok());
    assert!(charge(&p.limits, &mut spent, &[(key(1), 1)], 0, 0).is_ok());
    assert_eq!(spent[0].total, u64::MAX);
    assert_eq!(spent[0].in_period, u64::MAX);
    // A finite bound is exceeded by a saturated counter.
    let p = policy(vec![limit(1, UNLIMITED, u64::MAX - 1, 0, 0)]);
    let mut spent = vec![Spent {
        total: 5,
        ..Spent::default()
    }];
    let e = charge(&p.limits, &mut spent, &[(key(1), u64::MAX)], 0, 0).unwrap_err();
    assert_eq!(e.error, LeashError::SpendingLimitExceeded);
}

proptest! {
    /// Whatever the sequence of outflows and clock steps (backwards too), what `charge`
    /// records never exceeds the total or any window's allowance, windows never move back,
    /// and the total equals the sum of the accepted outflows.
    #[test]
    fn recorded_spend_never_exceeds_limits(
        per_tx in 1u64..200,
        total in 0u64..1_000,
        period_secs in 0u32..50,
        per_period in 0u64..300,
        steps in proptest::collection::vec((0u64..250, -40i64..40), 1..60),
    ) {
        let p = policy(vec![limit(1, per_tx, total, period_secs, per_period)]);
        let mut spent = vec![Spent::default()];
        let mut now = 0i64;
        let mut accepted = 0u64;
        let mut window = 0u64;
        let mut window_sum: std::collections::BTreeMap<u64, u64> = Default::default();
        for (amount, dt) in steps {
            now += dt;
            let before = spent.clone();
            match charge(&p.limits, &mut spent, &[(key(1), amount)], now, 0) {
                Ok(()) => {
                    accepted += amount;
                    window = window.max(period_index(now, 0, period_secs));
                    *window_sum.entry(window).or_default() += amount;
                    prop_assert!(amount <= per_tx);
                }
                Err(_) => prop_assert_eq!(&spent, &before),
            }
            prop_assert!(spent[0].period_index >= before[0].period_index);
            prop_assert_eq!(spent[0].total, accepted);
            prop_assert!(spent[0].total <= total);
            if period_secs > 0 {
                for sum in window_sum.values() {
                    prop_assert!(*sum <= per_period);
                }
            }
        }
    }
}

#[test]
fn a_limit_refusal_reads_back_from_its_log_line() {
    for error in [
        LeashError::PerTxLimitExceeded,
        LeashError::SpendingLimitExceeded,
        LeashError::PeriodLimitExceeded,
        LeashError::TokenNotInPolicy,
    ] {
        let violation = LimitViolation {
            error,
            mint: Pubkey::new_unique(),
            amount: u64::MAX,
            used: 4_500_000,
            limit: 0,
        };
        let line = format!("Program log: {violation}");
        assert_eq!(LimitViolation::from_log(&line), Some(violation));
    }
    assert_eq!(LimitViolation::from_log("Program log: hello"), None);
    assert_eq!(
        LimitViolation::from_log(
            "Nope: mint 11111111111111111111111111111111 amount 1 used 1 limit 1"
        ),
        None
    );
}

/// A policy whose first limit (mint `key(1)`) lists `token_recipients` and whose SOL limit lists
/// `sol_recipients`.
fn recipients_policy(token_recipients: Vec<Pubkey>, sol_recipients: Vec<Pubkey>) -> Policy {
    Policy::unbounded(
        vec![],
        vec![
            SpendLimit {
                recipients: token_recipients,
                ..SpendLimit::unlimited(key(1))
            },
            SpendLimit {
                recipients: sol_recipients,
                ..SpendLimit::unlimited(NATIVE_SOL_MINT)
            },
        ],
    )
}

#[test]
fn recipients_judge_where_value_arrived() {
    let listed = key(40);
    let stranger = key(41);
    let policy = recipients_policy(vec![listed], vec![key(50)]);
    let before = snap(vec![
        system(VAULT, 10_000_000),
        token_state(10, token(key(1), VAULT, 100)),
        token_state(11, token(key(1), listed, 0)),
        token_state(12, token(key(1), stranger, 0)),
        system(key(50), 0),
        system(key(51), 0),
    ]);
    let moved = |to: u8, amount: u64| {
        let mut after = before.clone();
        after.accounts[1] = token_state(10, token(key(1), VAULT, 100 - amount));
        let owner = if to == 11 { listed } else { stranger };
        after.accounts[usize::from(to - 9)] = token_state(to, token(key(1), owner, amount));
        after
    };
    assert_eq!(
        check_recipients(&policy, &VAULT, &before, &moved(11, 30)),
        Ok(())
    );
    assert_eq!(
        check_recipients(&policy, &VAULT, &before, &moved(12, 30)),
        Err(RecipientViolation {
            mint: key(1),
            account: key(12),
            recipient: stranger,
            amount: 30,
        })
    );
    // A limit without recipients lets the mint go anywhere.
    let open = recipients_policy(vec![], vec![]);
    assert_eq!(
        check_recipients(&open, &VAULT, &before, &moved(12, 30)),
        Ok(())
    );

    // SOL: the account itself must be listed.
    let paid = |to: usize| {
        let mut after = before.clone();
        after.accounts[0].lamports -= 5;
        after.accounts[to].lamports += 5;
        after
    };
    assert_eq!(check_recipients(&policy, &VAULT, &before, &paid(4)), Ok(()));
    let refused = check_recipients(&policy, &VAULT, &before, &paid(5)).unwrap_err();
    assert_eq!(
        (refused.mint, refused.account, refused.amount),
        (NATIVE_SOL_MINT, key(51), 5)
    );
    // Lamports into a token account count for SOL too: the token account is not listed.
    let refused = check_recipients(&policy, &VAULT, &before, &paid(2)).unwrap_err();
    assert_eq!(refused.account, key(11));

    // A new account of the mint owned by a stranger (created in the call) is judged after.
    let mut created = before.clone();
    created.accounts[5] = system(key(52), 0);
    let mut after = created.clone();
    after.accounts[1] = token_state(10, token(key(1), VAULT, 90));
    after.accounts[5] = token_state(52, token(key(1), stranger, 10));
    after.accounts[5].lamports = 0;
    let refused = check_recipients(&policy, &VAULT, &created, &after).unwrap_err();
    assert_eq!((refused.account, refused.recipient), (key(52), stranger));
    // The vault's own netted accounts never need listing: a move between them is nothing.
    let mut internal = before.clone();
    internal
        .accounts
        .push(token_state(13, token(key(1), VAULT, 0)));
    let mut after = internal.clone();
    after.accounts[1] = token_state(10, token(key(1), VAULT, 60));
    after.accounts[6] = token_state(13, token(key(1), VAULT, 40));
    assert_eq!(check_recipients(&policy, &VAULT, &internal, &after), Ok(()));
    // But a vault-owned account someone else can close or spend from is not the vault's own:
    // value landing there needs listing (the prepared-ground attack).
    let mut trap = token(key(1), VAULT, 0);
    trap.close_authority = Some(stranger);
    let mut prepared = before.clone();
    prepared.accounts.push(token_state(14, trap));
    let mut after = prepared.clone();
    after.accounts[1] = token_state(10, token(key(1), VAULT, 60));
    let mut filled = trap;
    filled.amount = 40;
    after.accounts[6] = token_state(14, filled);
    let refused = check_recipients(&policy, &VAULT, &prepared, &after).unwrap_err();
    assert_eq!((refused.account, refused.recipient), (key(14), VAULT));
}

#[test]
fn recipient_violation_log_round_trips() {
    let v = RecipientViolation {
        mint: key(1),
        account: key(2),
        recipient: key(3),
        amount: 12_345,
    };
    let line = format!("Program log: {v}");
    assert_eq!(RecipientViolation::from_log(&line), Some(v));
    assert_eq!(
        RecipientViolation::from_log("RecipientNotAllowed: mint x"),
        None
    );
    let logs = vec![
        line,
        format!("Program log: listed recipient {}", key(4)),
        format!("Program log: listed recipient {}", key(5)),
    ];
    assert_eq!(
        RecipientViolation::listed_in_log(&logs),
        vec![key(4), key(5)]
    );
}

/// What the rules skip: balances alone moving is told apart from any other change, and a
/// mint's bytes at a token account's `amount` offset (inside its freeze authority) are not an
/// amount.
#[test]
fn changes_are_told_apart_so_the_rules_skip_only_what_cannot_concern_them() {
    let between = |was: &AccountState, now: &AccountState| {
        let (before, after) = (snap(vec![was.clone()]), snap(vec![now.clone()]));
        let (_, after) = views(&before, &after);
        after.accounts[0].change
    };
    let was = token_state(10, token(key(1), VAULT, 100));
    assert_eq!(between(&was, &was), Change::None);
    let mut richer = was.clone();
    richer.lamports += 1;
    assert_eq!(between(&was, &richer), Change::Balances);
    let spent = token_state(10, token(key(1), VAULT, 40));
    assert_eq!(between(&was, &spent), Change::Balances);
    for changed in [
        TokenAccountView {
            delegate: Some(OUTSIDER),
            ..token(key(1), VAULT, 100)
        },
        TokenAccountView {
            delegated_amount: 5,
            ..token(key(1), VAULT, 100)
        },
        TokenAccountView {
            state: 2,
            ..token(key(1), VAULT, 100)
        },
        token(key(1), OUTSIDER, 100),
        token(key(2), VAULT, 100),
    ] {
        assert_eq!(between(&was, &token_state(10, changed)), Change::Other);
    }
    let mut resized = was.clone();
    resized.data_len += 1;
    assert_eq!(between(&was, &resized), Change::Other);
    let mut reowned = was.clone();
    reowned.owner = TOKEN_2022_PROGRAM_ID;
    assert_eq!(between(&was, &reowned), Change::Other);
    // A mint whose freeze authority's bytes 64..72 change is not a balance.
    let frozen_by = |k: Pubkey| {
        mint_state(
            20,
            MintView {
                freeze_authority: Some(k),
                ..mint_view(Some(VAULT), 1)
            },
        )
    };
    let mut other = key(3).to_bytes();
    other[20] ^= 1; // byte 70 of the mint: the key starts at 50
    assert_eq!(
        between(
            &frozen_by(key(3)),
            &frozen_by(Pubkey::new_from_array(other))
        ),
        Change::Other
    );
}

/// One account of a generated outcome for the balance-only path: before and after.
fn balance_case_account(
    index: u8,
    kind: u8,
    keys: [u8; 3],
    balances: [u64; 4],
    mutation: Option<(usize, u8)>,
) -> (AccountState, AccountState) {
    // key(10) is the first generated account: owned by it, an account is nested when that one
    // is a token account of the vault's.
    let pick = |k: u8| [VAULT, OUTSIDER, key(40), key(41), key(10)][usize::from(k % 5)];
    let maybe = |k: u8| (k % 6 < 5).then(|| pick(k));
    let [lamports_before, lamports_after, amount_before, amount_after] = balances;
    let address = 10u8.saturating_add(index);
    let (mut was, mut now) = match kind % 8 {
        // Token accounts of two mints and wrapped SOL, any owner, delegate and close authority.
        0..=3 => {
            let view = TokenAccountView {
                mint: [key(1), key(2), NATIVE_SOL_MINT][usize::from(keys[0] % 3)],
                owner: pick(keys[1]),
                amount: amount_before,
                delegate: maybe(keys[2]),
                state: [1, 1, 2, 0][usize::from(keys[0] % 4)],
                delegated_amount: 0,
                close_authority: maybe(keys[2] / 5),
            };
            let was = token_state(address, view);
            let now = token_state(
                address,
                TokenAccountView {
                    amount: amount_after,
                    ..view
                },
            );
            (was, now)
        }
        4 => (
            system(key(address), lamports_before),
            system(key(address), lamports_after),
        ),
        // Another program's account, or a vote account or loader buffer with any authority
        // (the path leaves a moved one to the rules).
        5 => {
            let authority = pick(keys[1]);
            let (owner, data) = match keys[0] % 3 {
                0 => (key(99), Vec::new()),
                1 => {
                    let mut data = vec![0u8; 68];
                    data[0] = 2;
                    data[36..68].copy_from_slice(authority.as_ref());
                    (authority_account::VOTE_PROGRAM_ID, data)
                }
                _ => {
                    let mut data = vec![0u8; 37];
                    data[0] = 1;
                    data[4] = 1;
                    data[5..37].copy_from_slice(authority.as_ref());
                    (authority_account::UPGRADEABLE_LOADER_ID, data)
                }
            };
            let len = data.len().max(8);
            let other = AccountState::new(key(address), owner, lamports_before, len, data);
            (other.clone(), other)
        }
        // Lookups: a mint without extensions, one with a permanent delegate, a multisig.
        6 => {
            let delegate = keys[1].is_multiple_of(2).then(|| pick(keys[2]));
            let m = mint_state(
                address,
                MintView {
                    permanent_delegate: delegate,
                    ..mint_view(Some(pick(keys[0])), amount_before)
                },
            );
            (m.clone(), m)
        }
        _ => {
            let m = multisig_state(address, &[pick(keys[0]), pick(keys[1])]);
            (m.clone(), m)
        }
    };
    if kind % 8 != 4 {
        was.lamports = lamports_before;
        now.lamports = lamports_after;
    }
    if let Some((offset, byte)) = mutation {
        let at = offset % now.data.len().max(1);
        if let Some(b) = now.data.get_mut(at) {
            *b ^= byte.max(1);
        }
    }
    (was, now)
}

/// An account state as the balance-only path measures it.
fn measured<'a>(s: &super::AccountState<'a>) -> Measured<'a> {
    Measured {
        owner: s.owner,
        lamports: s.lamports,
        data_len: s.data_len,
        data: s.data,
    }
}

proptest! {
    /// Whenever the balance-only path answers, the general rules agree: no authority rule
    /// refuses, the recipients rule refuses exactly when the path does, and the outflows are
    /// the same — over token accounts with any owner, delegate and close authority, System
    /// and other accounts, lookups, and bytes changed beyond the balances.
    #[test]
    fn the_balance_only_path_agrees_with_the_rules(
        vault_lamports in (0u64..3, 0u64..3),
        vault_data in proptest::bool::weighted(0.1),
        accounts in proptest::collection::vec(
            (
                any::<u8>(),
                any::<[u8; 3]>(),
                (0u64..4, 0u64..4, 0u64..4, 0u64..4),
                proptest::option::weighted(0.2, (any::<usize>(), any::<u8>())),
            ),
            0..6,
        ),
        token_recipients in proptest::collection::vec(0u8..4, 0..2),
        sol_recipients in proptest::collection::vec(0u8..4, 0..2),
    ) {
        let pick = |k: &u8| [VAULT, OUTSIDER, key(40), key(41)][usize::from(k % 4)];
        let policy = recipients_policy(
            token_recipients.iter().map(pick).collect(),
            sol_recipients.iter().map(pick).collect(),
        );
        let mut vault = system(VAULT, vault_lamports.0);
        if vault_data {
            vault.data_len = 8;
        }
        let mut vault_after = vault.clone();
        vault_after.lamports = vault_lamports.1;
        let (mut before, mut after) = (snap(vec![vault]), snap(vec![vault_after]));
        for (index, (kind, keys, (a, b, c, d), mutation)) in accounts.into_iter().enumerate() {
            let (was, now) =
                balance_case_account(index as u8, kind, keys, [a, b, c * 10, d * 10], mutation);
            before.accounts.push(was);
            after.accounts.push(now);
        }
        let (b, a) = views(&before, &after);
        let mut flows = Flows::new();
        let mut answered = true;
        let mut refused = false;
        for (was, now) in b.accounts.iter().zip(&a.accounts) {
            // As `Capture::was_vault_token_account` asks it, of the generated side before.
            let vault_owns = |owner: &Pubkey| {
                b.accounts.iter().any(|s| {
                    address_eq(s.key, owner)
                        && s.token_account().is_some_and(|t| address_eq(t.owner(), &VAULT))
                })
            };
            match net_balances(&mut flows, &VAULT, was.key, &measured(was), &measured(now)) {
                Some(arrived) if !arrived.reaches_nested(vault_owns) => {
                    refused |= !arrived.allowed_by(&policy.limits, was.key)
                }
                _ => {
                    answered = false;
                    break;
                }
            }
        }
        if answered {
            prop_assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
            prop_assert_eq!(
                check_recipients(&policy, &VAULT, &before, &after).is_err(),
                refused
            );
            prop_assert_eq!(flows.outflows(), outflows(&VAULT, &before, &after));
        }
    }
}

#[test]
fn the_balance_only_path_answers_a_transfer_and_declines_the_rest() {
    let net = |was: &AccountState, now: &AccountState| {
        let (before, after) = (snap(vec![was.clone()]), snap(vec![now.clone()]));
        let (b, a) = views(&before, &after);
        let mut flows = Flows::new();
        let arrived = net_balances(
            &mut flows,
            &VAULT,
            &was.key,
            &measured(&b.accounts[0]),
            &measured(&a.accounts[0]),
        );
        arrived.map(|_| flows.outflows())
    };
    let from = token_state(10, token(key(1), VAULT, 100));
    let spent = token_state(10, token(key(1), VAULT, 60));
    assert_eq!(net(&from, &spent), Some(vec![(key(1), 40)]));
    // A delegate set, a resized account, a multisig, a mint with extensions: the rules judge.
    let delegated = token_state(
        10,
        TokenAccountView {
            delegate: Some(OUTSIDER),
            ..token(key(1), VAULT, 100)
        },
    );
    assert_eq!(net(&from, &delegated), None);
    let mut resized = spent.clone();
    resized.data_len += 1;
    assert_eq!(net(&from, &resized), None);
    let multisig = multisig_state(20, &[VAULT]);
    assert_eq!(net(&multisig, &multisig), None);
    let delegating = mint_state(
        21,
        MintView {
            permanent_delegate: Some(VAULT),
            ..mint_view(None, 1)
        },
    );
    assert_eq!(net(&delegating, &delegating), None);
    let plain_mint = mint_state(22, mint_view(Some(VAULT), 1));
    assert_eq!(net(&plain_mint, &plain_mint), Some(vec![]));
}
