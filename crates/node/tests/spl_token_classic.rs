//! `leash node --spl-token classic` (docs/node.md, "Differences from Agave"): classic SPL Token
//! 3.5 under loader v2 at `Tokenkeg…`, as clusters without the p-token migration run it; the
//! ledger remembers the choice, and naming the other one on restart is refused with the fix.

mod common;

use common::{config, funded, rpc_result, send, start_with, SOL};
use leash_node::{BackgroundNode, SplToken};
use leash_sdk::spl;
use serde_json::json;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

#[test]
fn a_ledger_created_with_classic_spl_token_runs_it_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let classic = || {
        let mut config = config(dir.path(), false, false);
        config.spl_token = Some(SplToken::Classic);
        config
    };
    {
        let (node, client) = start_with(classic());
        let program = client.get_account(&spl::TOKEN_PROGRAM_ID).unwrap();
        assert_eq!(
            program.owner.to_string(),
            "BPFLoader2111111111111111111111111111111111"
        );
        // The genesis USDC works under it: mint, then a checked transfer that logs as classic
        // SPL Token does.
        let owner = funded(&client, SOL);
        let usdc: Pubkey = rpc_result(&node.url, "leash_getTokenList", json!([]))[0]["mint"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let minted = rpc_result(
            &node.url,
            "leash_mintTokens",
            json!([owner.pubkey().to_string(), "USDC", 5_000_000u64]),
        );
        let minted: solana_signature::Signature = minted.as_str().unwrap().parse().unwrap();
        assert!(client.confirm_transaction(&minted).unwrap());
        let recipient = Pubkey::new_unique();
        let token = spl::TOKEN_PROGRAM_ID;
        let signature = send(
            &client,
            &[
                spl::create_associated_token_account_idempotent(
                    &owner.pubkey(),
                    &recipient,
                    &usdc,
                    &token,
                ),
                spl::transfer_checked(
                    &token,
                    &spl::associated_token_address(&owner.pubkey(), &usdc, &token),
                    &usdc,
                    &spl::associated_token_address(&recipient, &usdc, &token),
                    &owner.pubkey(),
                    1_500_000,
                    6,
                ),
            ],
            &owner,
            &[],
        );
        let landed = rpc_result(
            &node.url,
            "getTransaction",
            json!([signature.to_string(), {"commitment": "confirmed", "encoding": "json"}]),
        );
        let logs = landed["meta"]["logMessages"].to_string();
        assert!(
            logs.contains("Program log: Instruction: TransferChecked"),
            "{logs}"
        );
    }
    // Restarted without the flag it stays classic; naming p-token is refused with the fix.
    {
        let (_node, client) = start_with(config(dir.path(), false, false));
        let program = client.get_account(&spl::TOKEN_PROGRAM_ID).unwrap();
        assert_eq!(
            program.owner.to_string(),
            "BPFLoader2111111111111111111111111111111111"
        );
    }
    let mut p_token = config(dir.path(), false, false);
    p_token.spl_token = Some(SplToken::PToken);
    let refused = BackgroundNode::start(p_token).err().expect("refused");
    let message = refused.to_string();
    assert!(message.contains("--spl-token classic"), "{message}");
    // A new ledger defaults to p-token, an upgradeable program.
    let fresh = tempfile::tempdir().unwrap();
    let (_node, client) = start_with(config(fresh.path(), true, false));
    let program = client.get_account(&spl::TOKEN_PROGRAM_ID).unwrap();
    assert_eq!(
        program.owner.to_string(),
        "BPFLoaderUpgradeab1e11111111111111111111111"
    );
    assert!("classic".parse::<SplToken>().is_ok());
    let unknown = "spl".parse::<SplToken>().unwrap_err();
    assert!(unknown.contains("use `p-token`"), "{unknown}");
}
