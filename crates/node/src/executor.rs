//! The single executor: one thread owns the chain and runs every request in arrival order, so
//! transactions run one at a time and no read sees a half-applied transaction.
//!
//! Writes are group-committed, and the commit is overlapped with execution: the executor takes
//! every request already queued, runs the transactions, answers their senders at once (the
//! transaction is accepted: executed, `processed`) and hands the batch to the committer thread,
//! which writes it in one durable ledger transaction while the executor goes on with the next
//! batch. At most one commit is in flight: what executes meanwhile is committed next.
//!
//! What a client is told about durability waits for it: a transaction is `confirmed` (statuses,
//! PubSub) only once its commit is on disk, and a read that shows the chain's state (balances,
//! accounts, `getTransaction`) is run at once but answered only when everything it could show is
//! durable — unless it asks for `processed`. If a commit fails (a full disk), the chain undoes
//! it and everything executed on top of it; the held reads are run again on the state that is
//! durable. While commits fail, each write is answered only after its own commit (so a refused
//! write is refused with the ledger's error), as before this overlap.

use std::{
    collections::VecDeque,
    path::PathBuf,
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, oneshot};

use crate::{
    chain::{Chain, Commit},
    events::{Event, Publisher, EVENT_CAPACITY},
    jsonrpc::{RpcError, RpcResult},
    store::StoreError,
};

/// How a request uses the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Shows the chain's state, which may include transactions not yet durable: answered once
    /// they are.
    Read,
    /// Reads the durable ledger (statuses, history, blocks): run once everything executed before
    /// it is durable, so a client finds its transaction `finalized` rather than `processed`.
    Deferred,
    /// Shows nothing a crash could take back (the clock, identities, blocks), or asks for
    /// `processed`: answered at once.
    Instant,
    /// Changes the chain: answered at acceptance (once a commit failed: after its commit).
    Write,
}

type Job = Box<dyn FnMut(&mut Chain) -> RpcResult + Send>;

enum Message {
    Job {
        access: Access,
        /// For a deferred read of given signatures: those (it waits for their commits only).
        awaits: Vec<[u8; 64]>,
        job: Job,
        reply: oneshot::Sender<RpcResult>,
    },
    /// The committer's outcome for the commit in flight.
    Committed(Result<(), StoreError>),
    Shutdown,
}

/// An answer waiting for a commit.
struct Held {
    /// The commit (counted from the executor's start) that makes what it shows durable.
    commit: u64,
    reply: oneshot::Sender<RpcResult>,
    /// A read keeps its job: a deferred one runs it when released, and any read runs it again
    /// on the rolled-back state if the commit fails.
    job: Option<Job>,
    /// The answer computed on arrival (none for a deferred read).
    result: Option<RpcResult>,
}

impl Held {
    /// The answer once its commit is durable.
    fn released(self, chain: &mut Chain) -> RpcResult {
        match (self.result, self.job) {
            (Some(result), _) => result,
            (None, Some(mut job)) => job(chain),
            (None, None) => Err(RpcError::internal("an answer was lost")),
        }
    }

    /// The answer once its commit failed (`e`) and the chain was rolled back.
    fn refused(self, chain: &mut Chain, e: &StoreError) -> RpcResult {
        match (self.job, self.result) {
            (Some(mut job), _) => job(chain),
            (None, Some(Ok(_))) => Err(RpcError::from(e.clone())),
            (None, Some(result)) => result,
            (None, None) => Err(RpcError::internal("an answer was lost")),
        }
    }
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
        finality_lag: u64,
        spl_token: Option<leash_runtime::SplToken>,
    ) -> Result<(Executor, ChainInfo, thread::JoinHandle<()>), StoreError> {
        let (sender, receiver) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let publisher_events = events.clone();
        let (commits, commit_rx) = mpsc::channel::<Commit>();
        let committed = sender.clone();
        // The committer writes (and fsyncs) one batch at a time while the executor executes.
        // It ends when the executor drops its end of the channel.
        thread::Builder::new()
            .name("leash-committer".into())
            .spawn(move || {
                for commit in commit_rx {
                    let result = commit.write();
                    if committed.send(Message::Committed(result)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Other(format!("cannot start the committer thread: {e}")))?;
        let handle = thread::Builder::new()
            .name("leash-executor".into())
            .spawn(move || {
                let mut chain = match Chain::open(&ledger, reset, spl_token) {
                    Ok(chain) => chain,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                chain.set_finality_lag(finality_lag);
                let info = ChainInfo {
                    slot: chain.slot(),
                    genesis_hash: chain.genesis_hash().to_string(),
                    faucet: chain.faucet().to_string(),
                };
                let publisher = Publisher::new(publisher_events, chain.slot());
                let _ = ready_tx.send(Ok(info));
                Runner {
                    chain: &mut chain,
                    publisher,
                    commits,
                    held: VecDeque::new(),
                }
                .run(receiver, slot_time);
            })
            .map_err(|e| StoreError::Other(format!("cannot start the executor thread: {e}")))?;
        let info = ready_rx.recv().map_err(|_| {
            StoreError::Other("the executor stopped while opening the ledger".into())
        })??;
        Ok((Executor { sender, events }, info, handle))
    }

    /// Runs `job` on the chain and returns its answer. A [`Access::Read`] job may run again (on
    /// the rolled-back state, if the commit its answer waited for fails).
    pub async fn run(
        &self,
        access: Access,
        job: impl FnMut(&mut Chain) -> RpcResult + Send + 'static,
    ) -> RpcResult {
        self.run_awaiting(access, Vec::new(), job).await
    }

    /// [`Executor::run`] for a [`Access::Deferred`] read of the transactions `awaits` (statuses,
    /// `getTransaction`): it waits for their commits only, not for what other clients sent
    /// meanwhile. Empty: it waits for everything executed before it.
    pub async fn run_awaiting(
        &self,
        access: Access,
        awaits: Vec<[u8; 64]>,
        job: impl FnMut(&mut Chain) -> RpcResult + Send + 'static,
    ) -> RpcResult {
        let (reply, answer) = oneshot::channel();
        let message = Message::Job {
            access,
            awaits,
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

/// The executor's loop and what it tracks between messages.
struct Runner<'a> {
    chain: &'a mut Chain,
    /// Announces each committed batch (PubSub listens).
    publisher: Publisher,
    /// To the committer thread.
    commits: mpsc::Sender<Commit>,
    /// Answers waiting for a commit, in arrival order.
    held: VecDeque<Held>,
}

impl Runner<'_> {
    fn run(mut self, receiver: mpsc::Receiver<Message>, slot_time: Option<Duration>) {
        // A slot length too long for the clock (`--slot-ms` near u64::MAX) means no timer at all.
        let slot_time = slot_time.filter(|t| Instant::now().checked_add(*t).is_some());
        let mut next_tick = slot_time.and_then(|t| Instant::now().checked_add(t));
        'serve: loop {
            let first = match next_tick {
                Some(at) => {
                    match receiver.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(message) => Some(message),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
                None => match receiver.recv() {
                    Ok(message) => Some(message),
                    Err(_) => break,
                },
            };
            if let (Some(at), Some(slot_time)) = (next_tick, slot_time) {
                if Instant::now() >= at {
                    self.chain.tick();
                    // After a stall, resume the rhythm from now rather than firing a burst.
                    next_tick = at
                        .checked_add(slot_time)
                        .map(|next| next.max(Instant::now()));
                }
            }
            let messages = first
                .into_iter()
                .chain(std::iter::from_fn(|| receiver.try_recv().ok()).take(MAX_BATCH));
            for message in messages {
                match message {
                    Message::Job {
                        access,
                        awaits,
                        job,
                        reply,
                    } => self.job(access, &awaits, job, reply),
                    Message::Committed(result) => self.committed(result),
                    Message::Shutdown => break 'serve,
                }
            }
            self.start_commit();
        }
        // Shutdown: the commit in flight ends, then the rest is committed durably and answered.
        self.wait_for_commit(&receiver);
        if let Err(e) = self.chain.commit(true) {
            eprintln!("leash node: {e}");
        }
        let failure = self.chain.write_failure().cloned();
        for mut held in std::mem::take(&mut self.held) {
            let reply = std::mem::replace(&mut held.reply, oneshot::channel().0);
            let result = match &failure {
                Some(e) => held.refused(self.chain, e),
                None => held.released(self.chain),
            };
            let _ = reply.send(result);
        }
    }

    /// The commit that makes durable everything executed so far: the one in flight, or the next
    /// one if transactions are pending; none if all is durable.
    fn undurable_commit(&self) -> Option<u64> {
        if self.chain.has_pending_transactions() {
            Some(self.chain.commits() + 1)
        } else if self.chain.has_undurable() {
            Some(self.chain.commits())
        } else {
            None
        }
    }

    fn hold(&mut self, held: Held) {
        self.held.push_back(held);
    }

    /// Runs one request.
    fn job(
        &mut self,
        access: Access,
        awaits: &[[u8; 64]],
        mut job: Job,
        reply: oneshot::Sender<RpcResult>,
    ) {
        if access == Access::Deferred {
            let commit = if awaits.is_empty() {
                self.undurable_commit()
            } else {
                awaits.iter().filter_map(|s| self.chain.commit_of(s)).max()
            };
            match commit {
                Some(commit) => self.hold(Held {
                    commit,
                    reply,
                    job: Some(job),
                    result: None,
                }),
                None => {
                    let _ = reply.send(job(self.chain));
                }
            }
            return;
        }
        let result = job(self.chain);
        let commit = match access {
            Access::Instant | Access::Deferred => None,
            Access::Read => self.undurable_commit(),
            // While commits fail, a write is answered after its own commit: refused with the
            // ledger's error if that fails too. A refused write staged nothing.
            Access::Write if self.chain.write_failure().is_some() && result.is_ok() => {
                Some(self.chain.commits() + 1)
            }
            Access::Write => None,
        };
        match commit {
            Some(commit) => self.hold(Held {
                commit,
                reply,
                job: (access == Access::Read).then_some(job),
                result: Some(result),
            }),
            None => {
                let _ = reply.send(result);
            }
        }
    }

    /// Hands what is staged to the committer, unless a commit is in flight.
    fn start_commit(&mut self) {
        if self.chain.is_committing() {
            return;
        }
        // Answers waiting on the next commit make it due even in the backoff after a failure.
        let commits = self.chain.commits();
        let force = self.held.iter().any(|h| h.commit > commits);
        match self.chain.begin_commit(false, force) {
            Ok(Some(commit)) => {
                if let Err(mpsc::SendError(commit)) = self.commits.send(commit) {
                    // The committer is gone (it only stops with the executor): commit here.
                    let result = commit.write();
                    self.committed(result);
                }
            }
            Ok(None) => {}
            // The ledger could not be opened for the commit: rolled back like a failed commit.
            Err(e) => self.failed(&e),
        }
    }

    /// The committer's outcome for the commit in flight; starts the next one at once.
    fn committed(&mut self, result: Result<(), StoreError>) {
        self.finish_commit(result);
        self.start_commit();
    }

    /// Takes the committer's outcome: a committed batch is published, then what waited on it is
    /// answered; a failed one refuses the writes that waited.
    fn finish_commit(&mut self, result: Result<(), StoreError>) {
        match self.chain.finish_commit(result) {
            Ok(committed) => {
                if let Some(batch) = committed {
                    self.publisher.publish(self.chain, &batch);
                }
                self.release();
            }
            Err(e) => self.failed(&e),
        }
    }

    /// Answers what waited on the commits finished so far.
    /// (A read of given signatures may wait on an earlier commit than one held before it.)
    fn release(&mut self) {
        let done = self.chain.commits();
        let mut waiting = VecDeque::with_capacity(self.held.len());
        for mut held in std::mem::take(&mut self.held) {
            if held.commit <= done {
                let reply = std::mem::replace(&mut held.reply, oneshot::channel().0);
                let _ = reply.send(held.released(self.chain));
            } else {
                waiting.push_back(held);
            }
        }
        self.held = waiting;
    }

    /// A commit failed and the chain undid everything not durable: writes waiting on it are
    /// refused with the ledger's error, reads run (again) on the durable state.
    fn failed(&mut self, e: &StoreError) {
        for mut held in std::mem::take(&mut self.held) {
            let reply = std::mem::replace(&mut held.reply, oneshot::channel().0);
            let _ = reply.send(held.refused(self.chain, e));
        }
    }

    /// Waits for the commit in flight, if any, serving nothing else.
    fn wait_for_commit(&mut self, receiver: &mpsc::Receiver<Message>) {
        while self.chain.is_committing() {
            match receiver.recv() {
                Ok(Message::Committed(result)) => {
                    // Finish it without starting another: the caller commits what is left.
                    self.finish_commit(result);
                }
                Ok(Message::Job { reply, .. }) => {
                    let _ = reply.send(Err(RpcError::internal("the node is shutting down")));
                }
                Ok(Message::Shutdown) => {}
                Err(_) => break,
            }
        }
    }
}
