//! The attack the guards are for, as a probe servers' test suites run against a live server
//! (crates/node/tests/hostile.rs, crates/api/tests/hostile.rs): one address opens 150 idle
//! connections, another client must be served at once, the idle ones must be closed after the
//! idle timeout, and a "slowloris" after the header timeout though its bytes keep moving.

use std::{
    io::{self, Read, Write},
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

/// Opens `count` blocking TCP connections to `to` from the local address `source` (another
/// address of the loopback range, say 127.0.0.2): how tests appear as a second client to the
/// per-address cap.
pub fn connect_from(
    source: IpAddr,
    to: SocketAddr,
    count: usize,
) -> io::Result<Vec<std::net::TcpStream>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut streams = Vec::with_capacity(count);
        for _ in 0..count {
            let socket = match source {
                IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            socket.bind(SocketAddr::new(source, 0))?;
            let stream = socket.connect(to).await?.into_std()?;
            stream.set_nonblocking(false)?;
            streams.push(stream);
        }
        Ok(streams)
    })
}

/// What [`run`] saw.
#[derive(Debug)]
pub struct Report {
    /// How long the 150 connections took to open.
    pub connected_in: Duration,
    pub refused: usize,
    pub admitted: usize,
    /// How long another client waited for its answer while the idle connections were open.
    pub other_client: Duration,
    /// How long the admitted idle connections lasted after the check began.
    pub idle_closed_after: Duration,
    pub slowloris_closed_after: Duration,
}

/// GETs `path` from 127.0.0.1 on a fresh connection: the status code.
pub fn get_status(address: SocketAddr, path: &str) -> io::Result<u16> {
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other(format!("not an HTTP answer: {text:?}")))
}

/// Runs the attack on the server at `address` (whose idle timeout is about 3 s and header
/// timeout at most that: a connect now and then waits a 1 s SYN retransmission, so the idle
/// connections must outlive their own opening) and checks it: `Err` says what failed.
pub fn run(address: SocketAddr, path: &str) -> Result<Report, String> {
    let attacker: IpAddr = [127, 0, 0, 2].into();
    let connecting = Instant::now();
    let mut idle = connect_from(attacker, address, 150).map_err(|e| e.to_string())?;
    let connected_in = connecting.elapsed();
    // A refused connection has the 503 to read; an admitted one nothing yet.
    std::thread::sleep(Duration::from_millis(300));
    let mut refused = 0;
    let mut closed_early = 0;
    for stream in &mut idle {
        stream.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut answer = [0u8; 512];
        match stream.read(&mut answer) {
            Ok(0) => closed_early += 1,
            Ok(n) => {
                let text = String::from_utf8_lossy(&answer[..n]);
                if !text.starts_with("HTTP/1.1 503") || !text.contains("Retry-After: 1") {
                    return Err(format!("a refused connection read {text:?}"));
                }
                refused += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("an idle connection failed early: {e}")),
        }
        stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    }
    if closed_early > 0 {
        return Err(format!(
            "{closed_early} connections were closed at once without an answer ({refused} refused; \
             150 connected in {connected_in:?})"
        ));
    }
    let admitted = idle.len() - refused;
    if refused == 0 {
        return Err("150 connections from one address were all admitted".into());
    }

    // Meanwhile another client is served at once.
    let started = Instant::now();
    let status = get_status(address, path).map_err(|e| e.to_string())?;
    let other_client = started.elapsed();
    if status == 503 || other_client > Duration::from_secs(1) {
        return Err(format!(
            "another client got {status} after {other_client:?}"
        ));
    }

    // The admitted idle connections are closed after the idle timeout.
    let started = Instant::now();
    for stream in &mut idle {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut buffer = [0u8; 16];
        if let Ok(n @ 1..) = stream.read(&mut buffer) {
            return Err(format!("an idle connection read {n} bytes"));
        }
    }
    let idle_closed_after = started.elapsed();
    if idle_closed_after > Duration::from_secs(8) {
        return Err(format!("idle connections lasted {idle_closed_after:?}"));
    }

    // A slowloris: a header byte every 200 ms, for ever.
    let slow: IpAddr = [127, 0, 0, 3].into();
    let mut loris = connect_from(slow, address, 1)
        .map_err(|e| e.to_string())?
        .remove(0);
    loris
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let slowloris_closed_after = loop {
        std::thread::sleep(Duration::from_millis(200));
        if loris.write_all(b"X").is_err() || started.elapsed() > Duration::from_secs(12) {
            break started.elapsed();
        }
        loris.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut buffer = [0u8; 64];
        let gone = matches!(loris.read(&mut buffer), Ok(0));
        loris.set_nonblocking(false).map_err(|e| e.to_string())?;
        if gone {
            break started.elapsed();
        }
    };
    if slowloris_closed_after > Duration::from_secs(6) {
        return Err(format!("a slowloris lasted {slowloris_closed_after:?}"));
    }
    Ok(Report {
        connected_in,
        refused,
        admitted,
        other_client,
        idle_closed_after,
        slowloris_closed_after,
    })
}
