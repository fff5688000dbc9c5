//! The dashboard's sign-in (docs/dashboard.md) over HTTP: an API key becomes an HttpOnly,
//! SameSite=Strict cookie acting with exactly that key's scopes; changes made with the cookie
//! need the CSRF token; sign-out and key revocation end it; the sign-in holds across two API
//! instances sharing a PostgreSQL store. The page itself is tested in a browser
//! (crates/cli/tests/dashboard.rs).

mod common;

use common::{fresh_postgres, Answer, Api};
use leash_api::keys::Scope;
use serde_json::{json, Value};

/// A browser: the cookie the sign-in set, sent back by hand.
struct Browser<'a> {
    api: &'a Api,
    cookie: String,
    csrf: String,
}

fn sign_in<'a>(api: &'a Api, key: &str) -> Browser<'a> {
    let r = api
        .http
        .post(format!("{}/v1/dashboard/sign-in", api.base))
        .header("content-type", "application/json")
        .body(json!({ "api_key": key }).to_string())
        .send()
        .expect("sign-in");
    let set_cookie = r
        .headers()
        .get("set-cookie")
        .expect("a cookie")
        .to_str()
        .expect("text")
        .to_string();
    let answer = Answer::from(r);
    assert_eq!(answer.status, 200, "{}", answer.text);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .trim()
        .to_string();
    assert!(cookie.starts_with("leash_dashboard=lds_"), "{cookie}");
    assert!(!answer.text.contains(key), "the key is not echoed");
    Browser {
        api,
        cookie,
        csrf: answer.json["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_string(),
    }
}

impl Browser<'_> {
    fn get(&self, path: &str) -> Answer {
        Answer::from(
            self.api
                .http
                .get(format!("{}{path}", self.api.base))
                .header("cookie", &self.cookie)
                .send()
                .expect("GET"),
        )
    }

    fn post(&self, path: &str, body: &Value, csrf: Option<&str>) -> Answer {
        let mut r = self
            .api
            .http
            .post(format!("{}{path}", self.api.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = csrf {
            r = r.header("x-csrf-token", token);
        }
        Answer::from(r.send().expect("POST"))
    }

    /// The same sign-in, on another instance.
    fn on<'b>(&self, api: &'b Api) -> Browser<'b> {
        Browser {
            api,
            cookie: self.cookie.clone(),
            csrf: self.csrf.clone(),
        }
    }
}

fn checks(api: &Api, other: &Api) {
    // A wrong key: the API's message and hint.
    let wrong = api.post(
        "",
        "/v1/dashboard/sign-in",
        &json!({ "api_key": "lk_nope" }),
    );
    let error = wrong.error(401, "invalid_api_key");
    assert!(error["hint"].as_str().unwrap().contains("lk_"));
    assert!(wrong.headers.get("set-cookie").is_none());
    // A key that cannot read cannot sign in.
    let request_only = api.key(&[Scope::Request]);
    api.post(
        "",
        "/v1/dashboard/sign-in",
        &json!({ "api_key": request_only }),
    )
    .error(403, "scope_missing");

    // A read key: reads work, changes are refused by scope (after the CSRF check passes).
    let read = sign_in(api, &api.key(&[Scope::Read]));
    let me = read.get("/v1/dashboard/session");
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["key"]["scopes"], json!(["read"]));
    assert_eq!(me.json["csrf_token"], read.csrf.as_str());
    assert_eq!(read.get("/v1/info").status, 200);
    read.post(
        "/v1/wallets/prepare",
        &json!({ "owner": "11111111111111111111111111111111" }),
        Some(&read.csrf),
    )
    .error(403, "scope_missing");

    // A write key: changes need the CSRF token.
    let write = sign_in(api, &api.key(&[Scope::Write]));
    let body = json!({ "owner": "11111111111111111111111111111111" });
    let missing = write.post("/v1/wallets/prepare", &body, None);
    assert!(missing.error(403, "csrf_token_missing")["hint"].is_string());
    write
        .post("/v1/wallets/prepare", &body, Some(&read.csrf))
        .error(403, "csrf_token_invalid");
    let ok = write.post("/v1/wallets/prepare", &body, Some(&write.csrf));
    assert_eq!(ok.status, 200, "{}", ok.text);
    // Admin routes stay admin.
    write.get("/v1/audit/log").error(403, "scope_missing");

    // The other instance knows the sign-in (the store holds it, hashed).
    let there = write.on(other);
    assert_eq!(there.get("/v1/dashboard/session").status, 200);
    let ok = there.post("/v1/wallets/prepare", &body, Some(&write.csrf));
    assert_eq!(ok.status, 200, "{}", ok.text);

    // Sign-out ends it everywhere, and clears the cookie.
    let out = write.post("/v1/dashboard/sign-out", &json!({}), Some(&write.csrf));
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.json["signed_out"], true);
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    there.get("/v1/info").error(401, "sign_in_expired");
    write.get("/v1/info").error(401, "sign_in_expired");

    // Revoking the key ends its sign-ins.
    let admin = sign_in(api, &api.admin);
    let made = api.post(
        &api.admin,
        "/v1/api-keys",
        &json!({"name": "short-lived", "scopes": ["read"]}),
    );
    let key = made.json["key"].as_str().unwrap().to_string();
    let id = made.json["id"].as_str().unwrap().to_string();
    let doomed = sign_in(api, &key);
    assert_eq!(doomed.get("/v1/info").status, 200);
    let gone = admin
        .api
        .http
        .delete(format!("{}/v1/api-keys/{id}", api.base))
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .send()
        .unwrap();
    assert_eq!(gone.status(), 200);
    doomed.get("/v1/info").error(401, "sign_in_expired");

    // The store never holds the cookie itself.
    let value = admin.cookie.split_once('=').unwrap().1;
    let log = api.get(&api.admin, "/v1/audit/log");
    assert!(!log.text.contains(value));
    assert!(log.text.contains("dashboard.sign_in"));
}

#[test]
fn sign_in_cookie_csrf_and_sign_out() {
    let api = Api::start();
    checks(&api, &api);
}

#[test]
fn sign_in_holds_across_instances_on_postgres() {
    let Some(url) = fresh_postgres() else {
        return;
    };
    // The second instance: the same store and the same audit key file.
    let (a, b) = Api::start_two_on_postgres(&url);
    checks(&a, &b);
}

/// The page and its files come from the binary, under the dashboard's CSP; API answers keep
/// the strict one.
#[test]
fn the_page_is_served_with_its_csp() {
    let api = Api::start();
    let page = api.http.get(format!("{}/", api.base)).send().unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.text().unwrap().contains("/assets/app.js"));
    let js = api
        .http
        .get(format!("{}/assets/wallet.js", api.base))
        .send()
        .unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let missing = Answer::from(
        api.http
            .get(format!("{}/assets/../Cargo.toml", api.base))
            .send()
            .unwrap(),
    );
    assert_eq!(missing.status, 404);
    let info = api.get(&api.admin, "/v1/info");
    assert_eq!(
        info.headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

/// Sign-ins are rate-limited per client address and per key tried (a burst of 10, then one
/// every 6 s), so guessing keys costs time: one address's wrong guesses are refused 429 with
/// Retry-After while another address signs in; one key tried from many addresses is limited too.
#[test]
fn sign_ins_are_limited_per_address_and_per_key() {
    let api = Api::start();
    let from = |last: u8| {
        reqwest::blocking::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    let attempt = |client: &reqwest::blocking::Client, key: &str| {
        Answer::from(
            client
                .post(format!("{}/v1/dashboard/sign-in", api.base))
                .header("content-type", "application/json")
                .body(json!({ "api_key": key }).to_string())
                .send()
                .unwrap(),
        )
    };
    let guesser = from(2);
    for i in 0..10 {
        attempt(&guesser, &format!("lk_guess{i}")).error(401, "invalid_api_key");
    }
    let limited = attempt(&guesser, "lk_guess10");
    let error = limited.error(429, "rate_limited");
    assert!(
        error["message"].as_str().unwrap().contains("sign-in"),
        "{}",
        limited.text
    );
    assert!(limited.headers.get("retry-after").is_some());
    // Even the right key waits there; another address signs in at once.
    attempt(&guesser, &api.admin).error(429, "rate_limited");
    let read = api.key(&[Scope::Read]);
    assert_eq!(attempt(&from(3), &read).status, 200);

    // One key tried from many addresses: 10, then refused whoever asks.
    let tried = "lk_the-same-guess";
    for last in 10..20 {
        attempt(&from(last), tried).error(401, "invalid_api_key");
    }
    attempt(&from(20), tried).error(429, "rate_limited");
}
