//! Reports for people (their `Display`) or machines (`--json`, their `Serialize`), warnings on
//! stderr, and a spinner on a terminal while a transaction confirms.

use std::{
    io::IsTerminal,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use leash_client::ClientError;
use serde::Serialize;

use crate::error::CliResult;

/// Where reports go: text or `--json` on stdout.
#[derive(Clone, Copy, Debug)]
pub struct Render {
    pub json: bool,
}

impl Render {
    /// Prints a report.
    pub fn report<R: Serialize + std::fmt::Display>(&self, report: &R) -> CliResult<()> {
        if self.json {
            print_json(report)
        } else {
            println!("{report}");
            Ok(())
        }
    }

    /// A warning for people (the report carries warnings for machines).
    pub fn warn(&self, warning: &str) {
        if !self.json {
            eprintln!("warning: {warning}");
        }
    }

    /// Runs `send` with a spinner on stderr when it is a terminal and the output is for people.
    pub fn sending<T>(&self, send: impl FnOnce() -> T) -> T {
        let spinner = Spinner::start(!self.json, "Sending transaction");
        let result = send();
        spinner.stop();
        result
    }
}

/// Pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ClientError::internal(format!("cannot encode the report: {e}")))?;
    println!("{text}");
    Ok(())
}

struct Spinner {
    running: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Spinner {
    fn start(enabled: bool, message: &'static str) -> Spinner {
        if !enabled || !std::io::stderr().is_terminal() {
            return Spinner { running: None };
        }
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let handle = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            while flag.load(Ordering::Relaxed) {
                eprint!("\r{} {message}…", frames[i % frames.len()]);
                i += 1;
                std::thread::sleep(Duration::from_millis(80));
            }
            eprint!("\r\x1b[2K");
        });
        Spinner {
            running: Some((running, handle)),
        }
    }

    fn stop(self) {
        if let Some((flag, handle)) = self.running {
            flag.store(false, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
