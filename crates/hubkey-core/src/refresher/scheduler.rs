//! The background scheduler: sleeps until the next connection is due (no polling), wakes early when nudged,
//! refreshes what is due a few at a time, skips `needs_reauth` connections and pauses a connection after a
//! failure instead of retrying in a loop.

use super::*;

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
    /// resolves. Sleeps until the next deadline (no polling), wakes early on
    /// [`Refresher::nudge`], skips `needs_reauth` connections (publishing each incident once),
    /// and pauses a connection after a failure instead of retrying in a loop.
    pub async fn run<F>(self, shutdown: F)
    where
        F: Future<Output = ()> + Send,
    {
        tokio::pin!(shutdown);
        let mut paused: HashMap<ConnectionKey, (u64, OffsetDateTime)> = HashMap::new();
        tracing::debug!(target: "hubkey::refresher", "scheduler started");
        loop {
            // The refreshes themselves run in their own tasks, so stopping mid-pass is safe.
            let wait = tokio::select! {
                _ = &mut shutdown => break,
                wait = self.pass(&mut paused) => wait,
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
                    paused.clear();
                }
                _ = sleep => {}
            }
        }
        tracing::debug!(target: "hubkey::refresher", "scheduler stopped");
    }

    /// One scheduler pass: refreshes what is due; returns how long to sleep (`None`: until nudged).
    pub(super) async fn pass(
        &self,
        paused: &mut HashMap<ConnectionKey, (u64, OffsetDateTime)>,
    ) -> Option<Duration> {
        let conns = match self.store.connections().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "cannot read the connections: {e}");
                return Some(self.policy.retry_pause);
            }
        };
        if conns.is_empty() {
            paused.clear();
            return None;
        }
        paused.retain(|k, _| conns.iter().any(|c| c.is(&k.app, k.hub_id)));
        let mut next: Option<OffsetDateTime> = None;
        let mut due_now = Vec::new();
        for conn in conns {
            if conn.state == ConnectionState::NeedsReauth {
                self.notify_reauth_once(&conn);
                continue;
            }
            let key = conn.key();
            let mut due = self.due_at(&conn, conn.expires_at);
            if self.has_unsaved(&key) {
                // Its flight retries the save of the token set kept in memory.
                due = due.min(self.clock.now());
            }
            if let Some((generation, not_before)) = paused.get(&key) {
                if *generation == conn.token_generation {
                    due = due.max(*not_before);
                }
            }
            if due > self.clock.now() {
                next = Some(next.map_or(due, |n| n.min(due)));
                continue;
            }
            due_now.push(conn);
        }

        // Refresh what is due, a few at a time: most of a refresh is waiting (HubSpot, the
        // keychain), so a burst (after a resume from suspend, many connections made together)
        // takes rounds of `REFRESH_CONCURRENCY` instead of one refresh after another. Each flight
        // still takes its connection's gate and cross-process lock; the bookkeeping below runs
        // here, one outcome at a time.
        let mut waiting = due_now.into_iter();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < REFRESH_CONCURRENCY {
                let Some(conn) = waiting.next() else { break };
                let me = self.clone();
                running.spawn(async move {
                    let outcome = me.refresh_if_due(&conn.key()).await;
                    (conn, outcome)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (conn, outcome) = match joined {
                Ok(done) => done,
                Err(e) => {
                    tracing::warn!(target: "hubkey::refresher", "a background refresh task failed: {e}");
                    continue;
                }
            };
            let key = conn.key();
            let due = match outcome {
                Ok(fresh) => {
                    paused.remove(&key);
                    let due = self.due_at(&fresh, fresh.expires_at);
                    // A token that is due right after a refresh must not spin this loop.
                    due.max(self.clock.now() + time::Duration::SECOND)
                }
                Err(Error::NeedsReauth(_)) => continue,
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
                    paused.insert(key, (conn.token_generation, not_before));
                    not_before
                }
            };
            next = Some(next.map_or(due, |n| n.min(due)));
        }
        let wait = next.map_or(self.policy.max_sleep, |n| to_std(n - self.clock.now()));
        Some(wait.min(self.policy.max_sleep))
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
