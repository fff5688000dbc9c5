//! The library's session-request functions (what the CLI and the MCP server call) against a
//! real API on a real node: typed statuses and errors an agent can branch on, the kept key and
//! the stored token (0600), and what happens on a machine without the key.
//!
//! One test: `LEASH_HOME` is process-wide.

mod common;

use common::*;
use leash_api::keys::Scope;
use leash_client::{
    requests, ApiEndpoint, ErrorCode, PolicyInput, RequestStatus, SessionRequestStatus,
};

fn policy(total: &str) -> PolicyInput {
    PolicyInput::parse(
        "policy",
        &format!(
            "expires_in = \"2h\"\nallowed_programs = [\"spl-token\"]\n[[limits]]\ntoken = \"USDC\"\nper_tx = \"5\"\ntotal = \"{total}\"\n"
        ),
        false,
    )
    .expect("policy")
}

#[cfg(unix)]
fn mode(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("file").permissions().mode() & 0o777
}

fn usdc_total(status: &SessionRequestStatus) -> String {
    let granted = status.granted_policy.as_ref().expect("granted");
    granted
        .limits
        .iter()
        .find(|l| l.token == "USDC")
        .expect("USDC")
        .total
        .clone()
}

#[test]
fn the_library_files_follows_and_picks_up_requests() {
    let api = Api::start();
    let write = api.key(&[Scope::Write]);
    let agent_key = api.key(&[Scope::Request]);
    let owner = funded_owner();
    let wallet: solana_program::pubkey::Pubkey = wallet_over_http(&api, &write, &owner)
        .parse()
        .expect("wallet");
    let home = tempfile::tempdir().expect("home");
    std::env::set_var("LEASH_HOME", home.path());
    std::env::remove_var("LEASH_TOKEN");
    let agent = ApiEndpoint::new(&api.base, Some(&agent_key)).expect("endpoint");
    let owner_api = ApiEndpoint::new(&api.base, Some(&write)).expect("endpoint");

    // Filed: the key kept 0600, nothing secret in the report.
    let filed =
        requests::request_session(&agent, &wallet, &policy("8"), "pay invoices").expect("filed");
    assert_eq!(filed.status, RequestStatus::Pending);
    #[cfg(unix)]
    assert_eq!(mode(&filed.key_file), 0o600);
    let kept = std::fs::read_to_string(&filed.key_file).expect("key file");
    let secret: serde_json::Value = serde_json::from_str(&kept).expect("JSON");
    let secret = secret["secret"].as_str().expect("secret").to_string();
    assert!(!serde_json::to_string(&filed).unwrap().contains(&secret));
    assert!(!filed.to_string().contains(&secret));
    let pending = requests::request_status(&agent, &filed.id).expect("status");
    assert_eq!(pending.status, RequestStatus::Pending);
    assert!(pending.token_file.is_none());

    // Typed errors: a bad id (refused before any call), an unknown one, no key, a key without
    // the scope, an API that is down.
    assert_eq!(
        requests::request_status(&agent, "../etc").unwrap_err().code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        requests::request_status(&agent, "sreq_00")
            .unwrap_err()
            .code,
        ErrorCode::RequestNotFound
    );
    let keyless = ApiEndpoint::new(&api.base, None).expect("endpoint");
    let e = requests::request_status(&keyless, &filed.id).unwrap_err();
    assert_eq!(e.code, ErrorCode::ApiKey);
    assert!(e.hint.unwrap_or_default().contains("LEASH_API_KEY"));
    assert_eq!(
        requests::list_requests(&agent, None).unwrap_err().code,
        ErrorCode::ApiKey
    );
    let down = ApiEndpoint::new("http://127.0.0.1:9", Some(&agent_key)).expect("endpoint");
    let e = requests::request_status(&down, &filed.id).unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert!(
        !format!("{e:?} {down:?}").contains(&agent_key),
        "the key leaked"
    );
    let e = requests::request_session(&agent, &wallet, &policy("eight"), "x").unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidPolicy, "{e:?}");

    // Approved by the owner, narrower: the token is made and stored; the kept key is gone.
    let approved =
        requests::approve_request(&owner_api, &filed.id, Some(&policy("3")), None, &owner)
            .expect("approved");
    assert_eq!(approved.session, filed.session);
    // A machine without the key cannot pick it up, and says why.
    let elsewhere = tempfile::tempdir().expect("elsewhere");
    std::env::set_var("LEASH_HOME", elsewhere.path());
    let e = requests::request_status(&agent, &filed.id).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoToken, "{e:?}");
    std::env::set_var("LEASH_HOME", home.path());
    let picked = requests::request_status(&agent, &filed.id).expect("status");
    assert_eq!(picked.status, RequestStatus::Approved);
    assert_eq!(usdc_total(&picked), "3");
    let token_file = picked.token_file.clone().expect("token file");
    #[cfg(unix)]
    assert_eq!(mode(&token_file), 0o600);
    assert!(!std::path::Path::new(&filed.key_file).exists());
    let token = leash_client::home::session_token().expect("stored token");
    assert_eq!(token.session.to_string(), filed.session);
    assert_eq!(token.session_key().to_string(), filed.session_key);
    assert!(!serde_json::to_string(&picked).unwrap().contains(&secret));
    // Again: the same answer, the same file.
    let again = requests::request_status(&agent, &filed.id).expect("again");
    assert_eq!(again.token_file.as_deref(), Some(token_file.as_str()));
    // Settled: the owner can neither approve nor deny it again.
    let e = requests::approve_request(&owner_api, &filed.id, None, None, &owner).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestApproved);
    // Signed by someone who is not the wallet's owner: refused before anything is sent.
    let other = requests::request_session(&agent, &wallet, &policy("8"), "again").expect("filed");
    let stranger = solana_keypair::Keypair::new();
    let e = requests::approve_request(&owner_api, &other.id, None, None, &stranger).unwrap_err();
    assert_eq!(e.code, ErrorCode::Signer, "{e:?}");

    // Denied: the note; the kept key removed; approval refused with its code.
    let denied = requests::deny_request(&owner_api, &other.id, Some("not now")).expect("denied");
    assert_eq!(denied.status, RequestStatus::Denied);
    let seen = requests::request_status(&agent, &other.id).expect("status");
    assert_eq!(seen.status, RequestStatus::Denied);
    assert_eq!(seen.note.as_deref(), Some("not now"));
    assert!(!std::path::Path::new(&other.key_file).exists());
    let e = requests::approve_request(&owner_api, &other.id, None, None, &owner).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestDenied);
    assert_eq!(
        requests::deny_request(&owner_api, &other.id, None)
            .unwrap_err()
            .code,
        ErrorCode::RequestDenied
    );

    // Expired: said so; the owner cannot approve it.
    let late = requests::request_session_for(&agent, &wallet, &policy("8"), "quick", Some(1))
        .expect("filed");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let seen = requests::request_status(&agent, &late.id).expect("status");
    assert_eq!(seen.status, RequestStatus::Expired);
    let e = requests::prepare_approval(&owner_api, &late.id, None, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestExpired);
    // The token of the approved request is still the stored one.
    assert_eq!(
        leash_client::home::session_token()
            .expect("token")
            .session
            .to_string(),
        filed.session
    );
}
