//! Landing a transaction on a cluster (docs/client.md, "Landing a transaction"): the priority
//! fee from recent fees, the compute-unit limit from a simulation, and the resend loop that ends
//! when the transaction lands or its blockhash expires. The settings and the arithmetic are in
//! [`crate::transaction`].

use std::time::Instant;

use leash_sdk::amount::format_amount;
use solana_commitment_config::CommitmentConfig;
use solana_program::{hash::Hash, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client_types::config::{RpcSendTransactionConfig, RpcSimulateTransactionConfig};
use solana_signature::Signature;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::{
    error::{ClientError, ErrorCode, Result},
    transaction::*,
    Client,
};

fn jitter() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().wrapping_mul(2_654_435_761)
}

impl Client {
    /// The priority fee to offer for a transaction writing `writable`.
    pub(crate) fn priority_fee(&self, writable: &[Pubkey]) -> Result<u64> {
        let settings = self.settings();
        match settings.priority_fee {
            PriorityFee::MicroLamports(n) => Ok(n),
            PriorityFee::Auto => {
                let recent = self
                    .rpc()
                    .get_recent_prioritization_fees(writable)
                    .map_err(|e| self.rpc_error(e))?;
                let fees = recent.iter().map(|f| f.prioritization_fee).collect();
                Ok(percentile(fees, AUTO_PERCENTILE).min(settings.max_priority_fee))
            }
        }
    }

    /// What one holder transaction typically costs now: the base fee and the priority fee on a
    /// 25,000-unit limit (an `Execute` with a transfer or two).
    pub fn typical_holder_fee(&self) -> Result<u64> {
        Ok(fee_for(1, TYPICAL_EXECUTE_LIMIT, self.priority_fee(&[])?))
    }

    /// The warning for a session key holding `lamports`, when they cannot pay a few fees.
    pub fn fee_balance_warning(&self, lamports: u64) -> Result<Option<String>> {
        let fee = self.typical_holder_fee()?;
        if lamports >= fee.saturating_mul(FEW_FEES) {
            return Ok(None);
        }
        Ok(Some(format!(
            "the session key holds {} SOL, less than {FEW_FEES} transactions' fees (about {} SOL each now): the holder's transactions will fail; the owner can send it SOL (`--top-up` on create)",
            format_amount(lamports, 9),
            format_amount(fee, 9)
        )))
    }

    /// `instructions` with their compute budget in front, and what they will cost, for a signer
    /// elsewhere: as [`Client::budgeted`], but a transaction the simulation refuses (an
    /// unfunded payer, a limit it would exceed) still gets one, with the default limit of
    /// [`FALLBACK_COMPUTE_UNITS`]: the chain's refusal then comes at submit, with its figures,
    /// as the API documents (and `simulate` tells beforehand).
    pub(crate) fn budgeted_for_signer_elsewhere(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
    ) -> Result<(Vec<Instruction>, FeeEstimate)> {
        match self.budgeted(instructions, fee_payer) {
            Ok(budgeted) => Ok(budgeted),
            Err(e) if matches!(e.code, ErrorCode::Unreachable | ErrorCode::Rpc) => Err(e),
            Err(_) => {
                let price = self.priority_fee(&writable_of(instructions, fee_payer))?;
                let limit = FALLBACK_COMPUTE_UNITS;
                let mut all = budget_instructions(limit, price);
                all.extend_from_slice(instructions);
                let message = solana_message::Message::new(&all, Some(fee_payer));
                let signatures = usize::from(message.header.num_required_signatures);
                Ok((all, FeeEstimate::new(signatures, 0, limit, price)))
            }
        }
    }

    /// `instructions` with their compute budget in front, and what they will cost: the limit
    /// from a simulation (the transaction's own refusal, mapped, when it would fail) and the
    /// priority fee.
    pub(crate) fn budgeted(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
    ) -> Result<(Vec<Instruction>, FeeEstimate)> {
        let price = self.priority_fee(&writable_of(instructions, fee_payer))?;
        let probe: Vec<Instruction> = budget_instructions(MAX_COMPUTE_UNITS, price)
            .into_iter()
            .chain(instructions.iter().cloned())
            .collect();
        let message =
            solana_message::Message::new_with_blockhash(&probe, Some(fee_payer), &Hash::default());
        let signatures = usize::from(message.header.num_required_signatures);
        let tx = Transaction::new_unsigned(message);
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            commitment: Some(self.rpc().commitment()),
            ..Default::default()
        };
        let result = self
            .rpc()
            .simulate_transaction_with_config(&tx, config)
            .map_err(|e| self.rpc_error(e))?
            .value;
        if let Some(err) = result.err {
            let err = TransactionError::from(err);
            return Err(self.transaction_error(&err, &result.logs.unwrap_or_default()));
        }
        let units = result
            .units_consumed
            .unwrap_or(u64::from(MAX_COMPUTE_UNITS));
        let limit = limit_for(units, headroom_for(instructions), jitter());
        let estimate = FeeEstimate::new(signatures, units, limit, price);
        let mut all = budget_instructions(limit, price);
        all.extend_from_slice(instructions);
        Ok((all, estimate))
    }

    /// Sends a signed transaction and waits until it reaches the client's commitment: first
    /// with preflight at that commitment (a refusal comes back at once, mapped), then the same
    /// bytes every two seconds without preflight, until the signature is seen or the blockhash
    /// is no longer valid. An expired transaction can never land: "nothing was spent".
    pub(crate) fn land(&self, tx: &Transaction) -> Result<Signature> {
        self.land_unless_processed(tx)?
            .ok_or_else(|| self.transaction_error(&TransactionError::AlreadyProcessed, &[]))
    }

    /// [`Client::land`], or `None` when the cluster has already processed these very bytes.
    pub(crate) fn land_unless_processed(&self, tx: &Transaction) -> Result<Option<Signature>> {
        let signature = tx.signatures.first().copied().unwrap_or_default();
        let commitment = self.rpc().commitment();
        match self
            .rpc()
            .send_transaction_with_config(tx, first_send_config(commitment))
        {
            Ok(_) => {}
            Err(e) if e.get_transaction_error() == Some(TransactionError::AlreadyProcessed) => {
                return Ok(None);
            }
            Err(e) => return Err(self.rpc_error(e)),
        }
        let again = RpcSendTransactionConfig {
            skip_preflight: true,
            max_retries: Some(0),
            ..Default::default()
        };
        let started = Instant::now();
        let mut last_sent = Instant::now();
        loop {
            if let Some(outcome) = self.status_of(&signature, commitment)? {
                return outcome.map(|()| Some(signature));
            }
            if last_sent.elapsed() >= REBROADCAST_EVERY {
                let valid = self
                    .rpc()
                    .is_blockhash_valid(&tx.message.recent_blockhash, CommitmentConfig::processed())
                    .map_err(|e| self.rpc_error(e))?;
                if !valid {
                    // One last look: it may have landed just before the blockhash aged out.
                    if let Some(outcome) = self.status_of(&signature, commitment)? {
                        return outcome.map(|()| Some(signature));
                    }
                    return Err(ClientError::new(
                        ErrorCode::Expired,
                        format!(
                            "transaction {signature} expired before it landed: its blockhash is no longer valid, so it never can — nothing was spent"
                        ),
                    )
                    .with_hint("run the command again: it signs anew on a fresh blockhash"));
                }
                // Already-processed and similar answers only mean it is on its way.
                let _ = self.rpc().send_transaction_with_config(tx, again);
                last_sent = Instant::now();
            }
            if started.elapsed() > LANDING_TIMEOUT {
                return Err(ClientError::new(
                    ErrorCode::Timeout,
                    format!(
                        "transaction {signature} was neither confirmed nor expired within {} s",
                        LANDING_TIMEOUT.as_secs()
                    ),
                )
                .with_hint("check it later with the signature; it may still land"));
            }
            std::thread::sleep(STATUS_POLL);
        }
    }

    /// The signature's outcome once it has reached `commitment`: its failure mapped, with the
    /// program's figures; `None` while it has not.
    pub(crate) fn status_of(
        &self,
        signature: &Signature,
        commitment: CommitmentConfig,
    ) -> Result<Option<Result<()>>> {
        let statuses = self
            .rpc()
            .get_signature_statuses(&[*signature])
            .map_err(|e| self.rpc_error(e))?;
        let Some(Some(status)) = statuses.value.first() else {
            return Ok(None);
        };
        if let Some(err) = &status.err {
            let logs = self.transaction_logs(signature);
            return Ok(Some(Err(self.transaction_error(err, &logs))));
        }
        // At the client's commitment: `processed` alone can still be rolled back.
        Ok(status.satisfies_commitment(commitment).then_some(Ok(())))
    }
}
