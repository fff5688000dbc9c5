//! Human text on a terminal, JSON with `--json`; warnings and errors on stderr.

use serde_json::Value;

use crate::context::Ctx;

pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(ctx: &Ctx) -> Out {
        Out {
            json: ctx.globals.json,
        }
    }

    pub fn plain(json: bool) -> Out {
        Out { json }
    }

    /// Prints `value` as JSON or `text` for people.
    pub fn result(&self, value: Value, text: String) {
        if self.json {
            print_json(&value);
        } else {
            println!("{text}");
        }
    }

    pub fn warn(&self, warning: &str) {
        if !self.json {
            eprintln!("warning: {warning}");
        }
    }
}

/// A policy summary (see `leash_sdk::policy::summarize`) for people.
pub fn policy_text(summary: &Value) -> String {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    let mut text = format!(
        "Valid:      {} → {}\nSlot bound: {}\nMax uses:   {}\nCalls/tx:   {}\nSpending limits:",
        s(&summary["valid_after"]),
        s(&summary["valid_until"]),
        if summary["expiry_slot"].is_null() {
            "none".into()
        } else {
            format!("until slot {}", summary["expiry_slot"])
        },
        if summary["max_uses"].is_null() {
            "unlimited".into()
        } else {
            s(&summary["max_uses"])
        },
        s(&summary["max_calls_per_tx"]),
    );
    let limits = summary["limits"].as_array().cloned().unwrap_or_default();
    if limits.is_empty() {
        text.push_str("\n  none (no SOL or token may leave the vault)");
    }
    for limit in limits {
        let token = s(&limit["token"]);
        let total = s(&limit["total"]);
        match limit.get("used") {
            Some(used) => text.push_str(&format!("\n  {token}: {} / {total} used", s(used))),
            None => text.push_str(&format!("\n  {token}: total {total}")),
        }
        text.push_str(&format!(", per transaction {}", s(&limit["per_tx"])));
        if !limit["period"].is_null() {
            let used = limit
                .get("used_in_period")
                .map(|u| format!("{} / ", s(u)))
                .unwrap_or_default();
            text.push_str(&format!(
                ", {used}{} per {}",
                s(&limit["per_period"]),
                s(&limit["period"])
            ));
        }
    }
    text.push_str("\nAllowed programs:");
    let programs = summary["allowed_programs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if programs.is_empty() {
        text.push_str("\n  none");
    }
    for program in programs {
        match program["name"].as_str() {
            Some(name) => text.push_str(&format!("\n  - {} ({name})", s(&program["address"]))),
            None => text.push_str(&format!("\n  - {}", s(&program["address"]))),
        }
    }
    text
}
