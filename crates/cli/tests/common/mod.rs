//! Starting the real `leash node` and running the real `leash` binary in a private home.
#![allow(dead_code)]

mod python;
#[allow(unused_imports)]
pub use python::python_venv;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex},
};

/// The README quickstart's policy.
pub const QUICKSTART_POLICY: &str = r#"
label = "quickstart-bot"
expires_in = "2h"
max_uses = 100
allowed_programs = ["spl-token", "system"]

[[limits]]
token = "USDC"
per_tx = "5"
total = "8"

[[limits]]
token = "SOL"
total = "0.5"
"#;

/// A `leash node` child process, killed when dropped.
pub struct NodeProcess {
    child: Option<Child>,
    pub url: String,
}

impl NodeProcess {
    /// The child process, for a test that kills it itself.
    pub fn into_parts(mut self) -> (Child, String) {
        let child = self.child.take().expect("child");
        (child, std::mem::take(&mut self.url))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `leash node --allow-time-travel` (tests move its clock) on a free port with `ledger`,
/// returning once it listens.
pub fn spawn_node(ledger: &Path, slot_ms: u64) -> NodeProcess {
    spawn_node_with(ledger, slot_ms, &["--allow-time-travel"], &[])
}

/// Starts `leash node` with extra arguments and environment variables (and none of the caller's
/// LEASH_ALLOW_TIME_TRAVEL).
pub fn spawn_node_with(
    ledger: &Path,
    slot_ms: u64,
    args: &[&str],
    env: &[(&str, &str)],
) -> NodeProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args([
            "node",
            "--rpc-port",
            "0",
            "--slot-ms",
            &slot_ms.to_string(),
            "--ledger",
        ])
        .arg(ledger)
        .args(args)
        .env_remove("LEASH_ALLOW_TIME_TRAVEL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("leash node starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("node printed its URL").expect("line");
        if let Some(url) = line.strip_prefix("RPC URL:") {
            break url.trim().to_string();
        }
    };
    // Keep draining stdout so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    NodeProcess {
        child: Some(child),
        url,
    }
}

/// A user of the CLI: a private HOME and LEASH_HOME, talking to one node.
pub struct User {
    pub home: PathBuf,
    pub url: String,
    pub env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
    pub fn error_json(&self) -> serde_json::Value {
        serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr))
    }
}

impl User {
    /// A user whose home is `home` (made if missing), talking to the node at `url`.
    pub fn new(home: &Path, url: &str) -> User {
        std::fs::create_dir_all(home).expect("make the user's home");
        User {
            home: home.to_path_buf(),
            url: url.to_string(),
            env: vec![],
        }
    }

    pub fn leash_home(&self) -> PathBuf {
        self.home.join("leash")
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output: Output = Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("LEASH_HOME", self.leash_home())
            .env("LEASH_URL", &self.url)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("leash runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `leash serve --listen 127.0.0.1:0` in this user's home against their cluster; add
    /// arguments, environment or a stderr file, then start it with [`spawn_serve`].
    pub fn serve_command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leash"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("LEASH_HOME", self.leash_home())
            .env("LEASH_URL", &self.url)
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// The README's quickstart owner: 10 SOL and 1000 local USDC airdropped, the `default`
    /// wallet created, 2 SOL and 100 USDC deposited in its vault.
    pub fn fund_quickstart_wallet(&self) {
        self.ok(&["airdrop", "--amount", "10"]);
        self.ok(&["airdrop", "--token", "USDC", "--amount", "1000"]);
        self.ok(&["wallet", "create"]);
        self.ok(&["wallet", "deposit", "--amount", "2", "--token", "SOL"]);
        self.ok(&["wallet", "deposit", "--amount", "100", "--token", "USDC"]);
    }

    /// `leash --json <global…> session create` with the home's `policy.toml` and a 0.05 SOL
    /// top-up, asserted to succeed: its JSON.
    #[track_caller]
    pub fn create_session(&self, global: &[&str]) -> serde_json::Value {
        let policy = self.home.join("policy.toml");
        let mut args = vec!["--json"];
        args.extend_from_slice(global);
        args.extend_from_slice(&[
            "session",
            "create",
            "--policy",
            policy.to_str().unwrap(),
            "--top-up",
            "0.05",
        ]);
        self.ok(&args).json()
    }

    /// Runs and asserts success.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "leash {args:?} failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }
}

/// A JSON-RPC call to the node: its result, or its error's code and message.
pub fn rpc_outcome(
    url: &str,
    method: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value, (i64, String)> {
    use solana_rpc_client_api::{client_error::ErrorKind, request::RpcError};
    let client = solana_rpc_client::rpc_client::RpcClient::new(url.to_string());
    let request = solana_rpc_client_types::request::RpcRequest::Custom {
        method: Box::leak(method.to_string().into_boxed_str()),
    };
    client.send(request, params).map_err(|e| match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError { code, message, .. }) => {
            (*code, message.clone())
        }
        other => panic!("{method}: not a JSON-RPC error: {other}"),
    })
}

/// A JSON-RPC call to the node.
pub fn rpc(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let client = solana_rpc_client::rpc_client::RpcClient::new(url.to_string());
    let request = solana_rpc_client_types::request::RpcRequest::Custom {
        method: Box::leak(method.to_string().into_boxed_str()),
    };
    client.send(request, params).expect("rpc call")
}

/// A `leash serve` (or `leash up`) child, killed when dropped. A thread keeps reading its
/// stdout, so the server never blocks on a full pipe; `printed()` is everything so far.
pub struct ServeProcess {
    child: Child,
    /// The API's base URL, `http://127.0.0.1:<port>` (the page is at `{base}/`).
    pub base: String,
    /// The admin key a first start printed, if this start printed one.
    pub admin_key: Option<String>,
    printed: Arc<Mutex<String>>,
}

impl ServeProcess {
    pub fn printed(&self) -> String {
        self.printed.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line that ends what `leash serve` and `leash up` print on starting.
pub const SERVE_READY: &str = "Ctrl-C stops it.";

/// Starts `command` (from [`User::serve_command`], or `leash up`) and returns once it has
/// printed where it listens, ending with [`SERVE_READY`].
pub fn spawn_serve(mut command: Command) -> ServeProcess {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("leash serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let printed = Arc::new(Mutex::new(String::new()));
    let append = |sink: &Mutex<String>, line: &str| {
        if let Ok(mut p) = sink.lock() {
            p.push_str(line);
            p.push('\n');
        }
    };
    let (mut base, mut admin_key) = (None, None);
    for line in lines.by_ref() {
        let line = line.expect("a line of leash serve's output");
        append(&printed, &line);
        if let Some(url) = line.strip_prefix("API:") {
            base = Some(url.trim().to_string());
        }
        if line.trim().starts_with("lk_") {
            admin_key = Some(line.trim().to_string());
        }
        if line.trim() == SERVE_READY {
            break;
        }
    }
    let sink = printed.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            append(&sink, &line);
        }
    });
    let base = base.unwrap_or_else(|| {
        let _ = child.kill();
        panic!(
            "leash serve printed no API line:\n{}",
            printed.lock().map(|p| p.clone()).unwrap_or_default()
        )
    });
    ServeProcess {
        child,
        base,
        admin_key,
        printed,
    }
}
