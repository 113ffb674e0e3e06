//! The background scheduler: sleeps until the next connection is due (no polling), wakes early when nudged or
//! when a refresh ends, starts refreshes paced ([`RefreshPolicy::pace`]: a bunch of connections due together is
//! started early, one by one, never a storm), at most [`REFRESH_CONCURRENCY`] in flight, skips `needs_reauth`
//! connections and pauses a connection after a failure instead of retrying in a loop.

use super::*;

/// What the scheduler remembers between passes.
#[derive(Debug, Default)]
struct Book {
    /// Connections whose last background refresh failed: the token generation it failed on, and
    /// when to try again.
    paused: HashMap<ConnectionKey, (u64, OffsetDateTime)>,
    /// Connections with a refresh in flight (not planned again until it ends).
    in_flight: HashSet<ConnectionKey>,
    /// When the last refresh started (the pace counts from it).
    last_start: Option<OffsetDateTime>,
}

/// A background refresh's connection and outcome.
type Flight = (Connection, Result<Connection>);

impl Refresher {
    /// Starts the background scheduler on the current Tokio runtime.
    pub fn spawn(&self) -> SchedulerHandle {
        let (stop, stopped) = oneshot::channel::<()>();
        let me = self.clone();
        let task = tokio::spawn(async move {
            me.run(async move {
                let _ = stopped.await;
            })
            .await;
        });
        SchedulerHandle {
            stop: Some(stop),
            task,
        }
    }

    /// The background scheduler: refreshes every connection when it is due, until `shutdown`
    /// resolves. Sleeps until the next start (no polling), wakes early on [`Refresher::nudge`]
    /// and when a refresh ends, skips `needs_reauth` connections (publishing each incident once),
    /// and pauses a connection after a failure instead of retrying in a loop.
    pub async fn run<F>(self, shutdown: F)
    where
        F: Future<Output = ()> + Send,
    {
        tokio::pin!(shutdown);
        let mut book = Book::default();
        // The flights' own locked sections run in tasks of their own (cancel safety, see the module
        // docs), so dropping this set on shutdown never cuts a save short.
        let mut running: tokio::task::JoinSet<Flight> = tokio::task::JoinSet::new();
        tracing::debug!(target: "hubkey::refresher", "scheduler started");
        loop {
            let wait = tokio::select! {
                _ = &mut shutdown => break,
                wait = self.pass(&mut book, &mut running) => wait,
            };
            let sleep = async move {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.shared.nudge.notified() => {
                    tracing::debug!(target: "hubkey::refresher", "scheduler nudged");
                    book.paused.clear();
                }
                Some(joined) = running.join_next(), if !running.is_empty() => self.settle(&mut book, joined),
                _ = sleep => {}
            }
        }
        tracing::debug!(target: "hubkey::refresher", "scheduler stopped");
    }

    /// One scheduler pass: starts the refreshes whose (paced) time has come; returns how long to
    /// sleep (`None`: until nudged, or until a refresh in flight ends).
    async fn pass(&self, book: &mut Book, running: &mut tokio::task::JoinSet<Flight>) -> Option<Duration> {
        let conns = match self.store.connections().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "cannot read the connections: {e}");
                return Some(self.policy.retry_pause);
            }
        };
        if conns.is_empty() {
            book.paused.clear();
            return None;
        }
        book.paused
            .retain(|k, _| conns.iter().any(|c| c.is(&k.app, k.hub_id)));
        let now = self.clock.now();
        let mut waiting: Vec<(OffsetDateTime, Connection)> = Vec::new();
        for conn in conns {
            if conn.state == ConnectionState::NeedsReauth {
                self.notify_reauth_once(&conn);
                continue;
            }
            let key = conn.key();
            if book.in_flight.contains(&key) {
                continue;
            }
            let mut due = self.due_at(&conn, conn.expires_at);
            if self.has_unsaved(&key) {
                // Its flight retries the save of the token set kept in memory.
                due = due.min(now);
            }
            if let Some((generation, not_before)) = book.paused.get(&key) {
                if *generation == conn.token_generation {
                    due = due.max(*not_before);
                }
            }
            waiting.push((due, conn));
        }
        waiting.sort_by_key(|(due, _)| *due);

        // Start what is due by the pace, earliest first, while fewer than REFRESH_CONCURRENCY fly:
        // most of a refresh is waiting (HubSpot, the keychain). Each flight still takes its
        // connection's gate and cross-process lock; its outcome is settled in `run`, whose wait on
        // the flights also wakes it when all REFRESH_CONCURRENCY are busy.
        let mut next = None;
        let mut rest = waiting.as_slice();
        while running.len() < REFRESH_CONCURRENCY {
            let dues = rest.iter().map(|(due, _)| *due);
            let Some(start) = self.policy.paced_start(dues, book.last_start) else {
                break;
            };
            if start > now {
                next = Some(start);
                break;
            }
            let Some(((due, conn), tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            let (due, conn) = (*due, conn.clone());
            book.in_flight.insert(conn.key());
            book.last_start = Some(now);
            let me = self.clone();
            running.spawn(async move {
                let outcome = me.refresh_if_due_by(&conn.key(), due.max(now)).await;
                (conn, outcome)
            });
        }
        let wait = next.map_or(self.policy.max_sleep, |n| to_std(n - now));
        Some(wait.min(self.policy.max_sleep))
    }

    /// Books the outcome of a background refresh: a failure pauses the connection (until
    /// `Retry-After`, the retry pause, or the configuration pause), a success lifts the pause.
    fn settle(&self, book: &mut Book, joined: std::result::Result<Flight, tokio::task::JoinError>) {
        let (conn, outcome) = match joined {
            Ok(done) => done,
            Err(e) => {
                // Not `{e}`: a JoinError's Display repeats the panic's message (docs/SECURITY.md).
                let why = crate::process::task_failure(&e);
                tracing::warn!(target: "hubkey::refresher", "a background refresh task failed: {why}");
                // The connection is unknown here: planning it again is safe (its gate and lock hold).
                book.in_flight.clear();
                return;
            }
        };
        let key = conn.key();
        book.in_flight.remove(&key);
        match outcome {
            Ok(fresh) => {
                book.paused.remove(&key);
                // A token that is due right after its refresh must not spin the scheduler.
                let soonest = self.clock.now() + time::Duration::SECOND;
                if self.due_at(&fresh, fresh.expires_at) < soonest {
                    book.paused.insert(key, (fresh.token_generation, soonest));
                }
            }
            Err(Error::NeedsReauth(_)) => {}
            Err(e) => {
                let pause = match &e {
                    Error::HubSpotConfig(_) => self.policy.config_pause,
                    Error::Transient { retry_after, .. } => {
                        self.policy.retry_pause.max(retry_after.unwrap_or_default())
                    }
                    _ => self.policy.retry_pause,
                };
                tracing::info!(
                    target: "hubkey::refresher",
                    app = %conn.app,
                    hub_id = conn.hub_id,
                    code = e.code().as_str(),
                    pause_s = pause.as_secs(),
                    "background refresh failed; trying again later"
                );
                let not_before = self.clock.now() + to_time(pause);
                book.paused.insert(key, (conn.token_generation, not_before));
            }
        }
    }
}

/// Stops the scheduler started by [`Refresher::spawn`].
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SchedulerHandle {
    /// Asks the scheduler to stop and waits until it has (a refresh in flight completes on its own
    /// task, so tokens are never lost mid-save).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// True once the scheduler task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}
