//! A trailing-edge debounce for rebuilding the tray menu: a burst of 200 refreshes (two events each) rebuilds it
//! a handful of times instead of 400, and the last rebuild always follows the last event.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the tray waits for connection events to stop before it rebuilds its menu.
pub const TRAY_QUIET: Duration = Duration::from_millis(250);
/// The longest a pending tray rebuild is put off while events keep coming.
pub const TRAY_MAX_WAIT: Duration = Duration::from_secs(2);

/// Trailing-edge debounce: [`Debounce::trigger`] runs its action once changes have stopped for `quiet`
/// (or `max_wait` after the first change of a burst, so a long burst still shows progress). A trigger that
/// arrives while an action is waiting joins it; the window closes just before the action runs, so a change
/// made after the action started reading triggers another run: the final state always shows.
#[derive(Debug)]
pub struct Debounce {
    quiet: Duration,
    max_wait: Duration,
    /// (first, last) trigger of the pending window; `None` when nothing waits.
    window: Mutex<Option<(tokio::time::Instant, tokio::time::Instant)>>,
}

impl Debounce {
    pub fn new(quiet: Duration, max_wait: Duration) -> Self {
        Debounce {
            quiet,
            max_wait,
            window: Mutex::new(None),
        }
    }

    /// Records a change and returns at once; `action` runs later, on the current Tokio runtime, unless an
    /// action already waits (then that one covers this change). Outside a runtime nothing runs (logged).
    pub fn trigger<F, Fut>(self: &Arc<Self>, action: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let now = tokio::time::Instant::now();
        {
            let mut window = self.lock();
            if let Some((_, last)) = window.as_mut() {
                *last = now;
                return;
            }
            *window = Some((now, now));
        }
        let me = Arc::clone(self);
        let task = async move {
            loop {
                let due = {
                    let mut window = me.lock();
                    let Some((first, last)) = *window else {
                        return;
                    };
                    let due = (last + me.quiet).min(first + me.max_wait);
                    if tokio::time::Instant::now() >= due {
                        *window = None;
                        None
                    } else {
                        Some(due)
                    }
                };
                match due {
                    Some(due) => tokio::time::sleep_until(due).await,
                    None => break,
                }
            }
            action().await;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(task)),
            Err(_) => tracing::warn!("no Tokio runtime to rebuild the tray menu on"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(tokio::time::Instant, tokio::time::Instant)>> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter(d: &Arc<Debounce>, runs: &Arc<AtomicUsize>) {
        let runs = runs.clone();
        d.trigger(move || async move {
            runs.fetch_add(1, Ordering::SeqCst);
        });
    }

    #[tokio::test(start_paused = true)]
    async fn given_a_burst_of_events_when_debounced_then_one_rebuild_after_the_burst_ends() {
        let d = Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT));
        let runs = Arc::new(AtomicUsize::new(0));
        // 400 events 1 ms apart, as 200 refreshes send (`refreshing`, then `fresh`): 400 ms, under the max wait.
        for _ in 0..400 {
            counter(&d, &runs);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "nothing runs while events keep coming"
        );
        tokio::time::sleep(TRAY_QUIET - Duration::from_millis(10)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "trailing edge: waits for a quiet spell"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // A later change is shown too.
        counter(&d, &runs);
        tokio::time::sleep(TRAY_QUIET * 2).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn given_events_that_never_stop_when_debounced_then_a_rebuild_still_comes_every_max_wait() {
        let d = Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT));
        let runs = Arc::new(AtomicUsize::new(0));
        // One event every 100 ms for 5 s: never quiet for 250 ms.
        for _ in 0..50 {
            counter(&d, &runs);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let during = runs.load(Ordering::SeqCst);
        assert!((2..=3).contains(&during), "{during} rebuilds in 5 s");
        tokio::time::sleep(TRAY_QUIET * 2).await;
        assert_eq!(runs.load(Ordering::SeqCst), during + 1, "the last event is shown");
    }
}
