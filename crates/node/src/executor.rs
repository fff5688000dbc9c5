//! The single executor: one thread owns the chain and runs every request in arrival order, so
//! transactions run one at a time and no read sees a half-applied transaction.
//!
//! Writes are group-committed: the executor takes every request already queued, runs the
//! transactions, commits their account changes and records in one durable ledger transaction,
//! and only then answers them. A read first commits what is pending, so a client never reads
//! state that a crash could take back.

use std::{
    path::PathBuf,
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, oneshot};

use crate::{
    chain::Chain,
    pubsub::{Event, Publisher, EVENT_CAPACITY},
    rpc::{RpcError, RpcResult},
    store::StoreError,
};

/// Whether a request changes the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

type Job = Box<dyn FnOnce(&mut Chain) -> RpcResult + Send>;

enum Message {
    Job {
        access: Access,
        job: Job,
        reply: oneshot::Sender<RpcResult>,
    },
    Shutdown,
}

/// Most requests taken into one group commit.
const MAX_BATCH: usize = 512;

/// What the executor reports once the ledger is open.
#[derive(Clone, Debug)]
pub struct ChainInfo {
    pub slot: u64,
    pub genesis_hash: String,
    pub faucet: String,
}

#[derive(Clone)]
pub struct Executor {
    sender: mpsc::Sender<Message>,
    /// What each commit made durable, for PubSub.
    events: broadcast::Sender<std::sync::Arc<Event>>,
}

impl Executor {
    /// Opens the ledger on a new executor thread; `slot_time` = `None` stops the slot timer.
    pub fn start(
        ledger: PathBuf,
        reset: bool,
        slot_time: Option<Duration>,
    ) -> Result<(Executor, ChainInfo, thread::JoinHandle<()>), StoreError> {
        let (sender, receiver) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let publisher_events = events.clone();
        let handle = thread::Builder::new()
            .name("leash-executor".into())
            .spawn(move || {
                let mut chain = match Chain::open(&ledger, reset) {
                    Ok(chain) => chain,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let info = ChainInfo {
                    slot: chain.slot(),
                    genesis_hash: chain.genesis_hash().to_string(),
                    faucet: chain.faucet().to_string(),
                };
                chain.set_publisher(Publisher::new(publisher_events, chain.slot()));
                let _ = ready_tx.send(Ok(info));
                run(&mut chain, receiver, slot_time);
            })
            .map_err(|e| StoreError::Other(format!("cannot start the executor thread: {e}")))?;
        let info = ready_rx.recv().map_err(|_| {
            StoreError::Other("the executor stopped while opening the ledger".into())
        })??;
        Ok((Executor { sender, events }, info, handle))
    }

    /// Runs `job` on the chain and returns its answer.
    pub async fn run(
        &self,
        access: Access,
        job: impl FnOnce(&mut Chain) -> RpcResult + Send + 'static,
    ) -> RpcResult {
        let (reply, answer) = oneshot::channel();
        let message = Message::Job {
            access,
            job: Box::new(job),
            reply,
        };
        if self.sender.send(message).is_err() {
            return Err(RpcError::internal("the node is shutting down"));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(RpcError::internal("the node is shutting down")))
    }

    /// Receives what every later commit makes durable.
    pub fn subscribe_events(&self) -> broadcast::Receiver<std::sync::Arc<Event>> {
        self.events.subscribe()
    }

    /// Asks the executor to commit and stop.
    pub fn shutdown(&self) {
        let _ = self.sender.send(Message::Shutdown);
    }
}

fn run(chain: &mut Chain, receiver: mpsc::Receiver<Message>, slot_time: Option<Duration>) {
    // A slot length too long for the clock (`--slot-ms` near u64::MAX) means no timer at all.
    let slot_time = slot_time.filter(|t| Instant::now().checked_add(*t).is_some());
    let mut next_tick = slot_time.and_then(|t| Instant::now().checked_add(t));
    let mut answers: Vec<(oneshot::Sender<RpcResult>, RpcResult)> = Vec::new();
    loop {
        let first = match next_tick {
            Some(at) => match receiver.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(message) => Some(message),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match receiver.recv() {
                Ok(message) => Some(message),
                Err(_) => break,
            },
        };
        if let (Some(at), Some(slot_time)) = (next_tick, slot_time) {
            if Instant::now() >= at {
                chain.tick();
                // After a stall, resume the rhythm from now rather than firing a burst.
                next_tick = at
                    .checked_add(slot_time)
                    .map(|next| next.max(Instant::now()));
            }
        }
        let mut stop = false;
        let messages = first
            .into_iter()
            .chain(std::iter::from_fn(|| receiver.try_recv().ok()).take(MAX_BATCH));
        for message in messages {
            match message {
                Message::Job {
                    access: Access::Write,
                    job,
                    reply,
                } => {
                    let result = job(chain);
                    answers.push((reply, result));
                }
                Message::Job {
                    access: Access::Read,
                    job,
                    reply,
                } => {
                    flush(chain, &mut answers);
                    let _ = reply.send(job(chain));
                }
                Message::Shutdown => {
                    stop = true;
                    break;
                }
            }
        }
        flush(chain, &mut answers);
        if stop {
            break;
        }
    }
    flush(chain, &mut answers);
    if let Err(e) = chain.commit(true) {
        eprintln!("leash node: {e}");
    }
}

/// Commits what is staged (durably if it holds transactions) and then answers the writers.
///
/// If the commit fails (a full disk, say) the chain has undone the batch in memory, so the
/// writers that succeeded in memory are answered with the ledger's error; the node goes on
/// serving reads and tries again with the next write.
fn flush(chain: &mut Chain, answers: &mut Vec<(oneshot::Sender<RpcResult>, RpcResult)>) {
    let durable = chain.has_pending_transactions();
    let committed = chain.commit(durable);
    for (reply, result) in answers.drain(..) {
        let result = match (&committed, result) {
            (Err(e), Ok(_)) => Err(RpcError::from(e.clone())),
            (_, result) => result,
        };
        let _ = reply.send(result);
    }
}
