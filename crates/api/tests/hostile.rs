//! `leash serve` under idle and slow connections with a lowered open-file limit (docs/api.md
//! "Limits"): 150 idle connections from one address take at most half the slots and the rest
//! are answered 503; another client is served at once; idle connections close after the idle
//! timeout and a "slowloris" after the header timeout. Before the guards, 300 idle keep-alive
//! connections with no key froze the server (and so the dashboard and `/mcp`).
//!
//! The server runs in a child process (this test binary re-run as `child_api`), so the
//! open-file limit is its own.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::Duration,
};

#[test]
fn child_api() {
    let Ok(dir) = std::env::var("LEASH_API_HOSTILE_CHILD") else {
        return;
    };
    // A low hard limit, and a soft one lower still: the server raises soft to hard.
    let limit = libc::rlimit {
        rlim_cur: 16,
        rlim_max: 64,
    };
    // SAFETY: setrlimit reads the struct passed by pointer.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let config = leash_api::Config {
        // Nothing listens there: the probe's routes never reach the cluster.
        cluster: leash_client::Cluster::parse("http://127.0.0.1:9").expect("cluster"),
        program: leash_client::ProgramChoice::default_id(),
        settings: leash_client::transaction::SendSettings::default(),
        dir: std::path::PathBuf::from(dir),
        database_url: None,
        signer: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        rate: leash_api::keys::RateLimit::default(),
        webhooks: Default::default(),
    };
    let prepared = leash_api::prepare(config).expect("store opens");
    let limits = leash_api::ConnectionLimits {
        idle_timeout: Duration::from_millis(3000),
        header_timeout: Duration::from_millis(1000),
        ..Default::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("ADDRESS {}", listener.local_addr().unwrap());
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let mut rest = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut rest);
        });
        leash_api::serve_with(listener, prepared.state, limits, async {
            let _ = stdin_closed.await;
        })
        .await
        .unwrap();
    });
}

#[test]
fn idle_and_slow_connections_cannot_freeze_leash_serve() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_api", "--exact", "--nocapture", "--test-threads=1"])
        .env("LEASH_API_HOSTILE_CHILD", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address: std::net::SocketAddr = loop {
        let line = lines.next().expect("the child prints its address").unwrap();
        if let Some((_, address)) = line.split_once("ADDRESS ") {
            break address.trim().parse().unwrap();
        }
    };
    let report = leash_net::probe::run(address, "/v1/info");
    // The route answers 401 without a key: served, not frozen.
    let status = leash_net::probe::get_status(address, "/v1/info");
    drop(child.stdin.take());
    let _ = child.wait();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let report = report.unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    eprintln!("leash serve: {report:?}");
    // 64 descriptors: 48 slots, 24 for one address.
    assert_eq!(report.admitted, 24, "{report:?}");
    assert_eq!(status.unwrap(), 401);
    assert_eq!(
        stderr.matches("leash serve: refusing connections").count(),
        1,
        "logged once: {stderr}"
    );
}
