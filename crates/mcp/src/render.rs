//! A tool's answer: a report as structured content plus its readable text, or a failure as a
//! tool error (`isError: true`) whose structured content is
//! `{code, message, hint, program_code?, figures?, summary?, recipient?, instruction?}` — `code` snake_case like the HTTP
//! API's, `figures` the numbers behind a spending-limit refusal and `summary` them in words
//! ("4.5 of 8 USDC used; …").

use std::fmt::Display;

use leash_client::{holder::Simulation, Bound, ClientError, ErrorCode, Figures};
use leash_sdk::session_token::SessionToken;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::{json, Value};

/// The strings no answer may contain: the token as encoded, its secret key, an API key.
#[derive(Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    pub fn of(token: &SessionToken) -> Secrets {
        Secrets(vec![token.encode(), token.secret_text()])
    }

    pub fn add(&mut self, secret: &str) {
        self.0.push(secret.to_string());
    }

    fn in_text(&self, text: &str) -> bool {
        self.0
            .iter()
            .any(|s| !s.is_empty() && text.contains(s.as_str()))
    }
}

/// What a tool call answers.
#[derive(Debug)]
pub struct Answer {
    structured: Value,
    text: String,
    is_error: bool,
}

impl Answer {
    /// A report: its JSON and its `Display`.
    pub fn report<T: Serialize + Display>(report: &T) -> leash_client::Result<Answer> {
        let structured = serde_json::to_value(report)
            .map_err(|e| ClientError::internal(format!("cannot encode the report: {e}")))?;
        Ok(Answer {
            structured,
            text: report.to_string(),
            is_error: false,
        })
    }

    /// A failure, as the agent reads it; withheld if it would carry a secret.
    pub fn failed(error: ClientError, secrets: Option<&Secrets>) -> Answer {
        // Every input error says how to fix it.
        let error = if error.code == ErrorCode::InvalidInput && error.hint.is_none() {
            error.with_hint("check the arguments against the tool's inputSchema (tools/list)")
        } else {
            error
        };
        let summary = error.figures.as_deref().map(summary);
        let mut structured = json!({
            "code": snake(error.code),
            "message": error.message,
            "hint": error.hint,
        });
        if let Some(o) = structured.as_object_mut() {
            if let Some(code) = error.program_code {
                o.insert("program_code".into(), code.into());
            }
            if let Some(figures) = &error.figures {
                o.insert("figures".into(), json!(figures));
            }
            if let Some(summary) = &summary {
                o.insert("summary".into(), summary.clone().into());
            }
            if let Some(recipient) = &error.recipient {
                o.insert("recipient".into(), json!(recipient));
            }
            if let Some(instruction) = &error.instruction {
                o.insert("instruction".into(), json!(instruction));
            }
        }
        let mut text = format!("Error ({}): {}", snake(error.code), error.message);
        if let Some(summary) = summary {
            text.push_str(&format!("\n{summary}"));
        }
        if let Some(hint) = &error.hint {
            text.push_str(&format!("\nhint: {hint}"));
        }
        let answer = Answer {
            structured,
            text,
            is_error: true,
        };
        match secrets {
            Some(secrets) => answer.guarded(secrets),
            None => answer,
        }
    }

    /// Replaces the error code (for failures that are not the library's, such as a missing
    /// scope).
    pub fn with_code(mut self, code: &str) -> Answer {
        if let Some(o) = self.structured.as_object_mut() {
            o.insert("code".into(), code.into());
        }
        if let Some(rest) = self
            .text
            .split_once("): ")
            .map(|(_, rest)| rest.to_string())
        {
            self.text = format!("Error ({code}): {rest}");
        }
        self
    }

    /// A dry run's report: a refusal's code named as the real call's error names it, with the
    /// same `summary` the real call's error carries; the raw program logs only when asked.
    pub fn simulation(simulation: &Simulation, include_logs: bool) -> leash_client::Result<Answer> {
        let mut answer = Answer::report(simulation)?.with_refusal(simulation.refusal());
        if let Some(o) = answer.structured.as_object_mut() {
            if !include_logs {
                o.remove("logs");
            }
            if let Simulation::Refused {
                figures: Some(figures),
                ..
            } = simulation
            {
                let summary = summary(figures);
                answer.text.push_str(&format!("\n{summary}"));
                o.insert("summary".into(), summary.into());
            }
        }
        Ok(answer)
    }

    /// A simulation's refusal code (`SpendingLimitExceeded` in the library's report) in the
    /// snake_case the errors use, so an agent compares one form.
    pub fn with_refusal(mut self, refusal: Option<ErrorCode>) -> Answer {
        if let (Some(code), Some(o)) = (refusal, self.structured.as_object_mut()) {
            o.insert("code".into(), snake(code).into());
        }
        self
    }

    /// The last guard: an answer that would contain the token or its secret is withheld.
    pub fn guarded(self, secrets: &Secrets) -> Answer {
        if secrets.in_text(&self.text) || secrets.in_text(&self.structured.to_string()) {
            return Answer::failed(
                ClientError::internal(
                    "this answer was withheld: it would have carried the session secret",
                ),
                None,
            );
        }
        self
    }

    /// For the audit log: the signature (or request id and status) of what ran, or the error's
    /// code.
    pub fn outcome(&self) -> Value {
        if self.is_error {
            json!({ "ok": false, "code": self.structured["code"] })
        } else {
            let mut o = json!({ "ok": true });
            for field in ["signature", "id", "status"] {
                if let Some(v) = self.structured.get(field) {
                    o[field] = v.clone();
                }
            }
            o
        }
    }

    pub fn into_result(self) -> CallToolResult {
        let mut result = if self.is_error {
            CallToolResult::error(vec![ContentBlock::text(self.text)])
        } else {
            CallToolResult::success(vec![ContentBlock::text(self.text)])
        };
        result.structured_content = Some(self.structured);
        result
    }
}

/// The figures in words: how much of which bound is used, what this needed, and by how much it
/// is over.
pub fn summary(f: &Figures) -> String {
    match f.bound {
        Bound::PerTransaction => format!(
            "this transaction moves {} {token}, over the per-transaction limit of {} {token} by {}",
            f.needed,
            f.limit,
            f.over_by,
            token = f.token
        ),
        Bound::Total | Bound::Period => format!(
            "{} of {} {token} used{}; this needs {} more, {} over",
            f.used,
            f.limit,
            if f.bound == Bound::Period {
                " this period"
            } else {
                ""
            },
            f.needed,
            f.over_by,
            token = f.token
        ),
    }
}

/// `SpendingLimitExceeded` → `spending_limit_exceeded`, as the HTTP API names codes.
pub fn snake(code: ErrorCode) -> String {
    code.snake_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refusal_carries_code_figures_summary_and_hint() {
        let mut error = ClientError::new(
            ErrorCode::Program(leash_sdk::LeashError::SpendingLimitExceeded),
            "Spending limit exceeded (4.5 used, 8 limit; this transaction needs 5 USDC)",
        )
        .with_hint("ask the owner for a new session or a higher limit");
        error.program_code = Some(6008);
        error.figures = Some(Box::new(Figures {
            bound: Bound::Total,
            token: "USDC".into(),
            mint: "mint".into(),
            needed: "5".into(),
            used: "4.5".into(),
            limit: "8".into(),
            over_by: "1.5".into(),
        }));
        let result = Answer::failed(error, None).into_result();
        assert_eq!(result.is_error, Some(true));
        let s = result.structured_content.unwrap();
        assert_eq!(s["code"], "spending_limit_exceeded");
        assert_eq!(s["program_code"], 6008);
        assert_eq!(s["figures"]["over_by"], "1.5");
        assert_eq!(
            s["summary"],
            "4.5 of 8 USDC used; this needs 5 more, 1.5 over"
        );
        let text = result.content[0].as_text().unwrap().text.clone();
        assert!(text.contains("4.5 of 8 USDC used"), "{text}");
        assert!(text.contains("hint: ask the owner"), "{text}");
    }

    #[test]
    fn an_answer_with_the_secret_is_withheld() {
        let key = solana_keypair::Keypair::new();
        let wallet = solana_program::pubkey::Pubkey::new_unique();
        let program = solana_program::pubkey::Pubkey::new_unique();
        let token = SessionToken::new(&program, &key, &wallet, "localnet", "t", json!({}));
        let secrets = Secrets::of(&token);
        let leaky = Answer {
            structured: json!({"x": token.secret_text()}),
            text: "fine".into(),
            is_error: false,
        };
        let withheld = leaky.guarded(&secrets).into_result();
        assert_eq!(withheld.is_error, Some(true));
        assert!(!withheld
            .structured_content
            .unwrap()
            .to_string()
            .contains(&token.secret_text()));
        let fine = Answer {
            structured: json!({"x": 1}),
            text: "fine".into(),
            is_error: false,
        };
        assert!(!fine.guarded(&secrets).is_error);
        assert_eq!(snake(ErrorCode::NoSession), "no_session");
    }
}
