//! The process's stdin and stdout as the bridge's line channels, on two plain threads.
//!
//! Not `tokio::io::stdin()`: Tokio reads stdin on its blocking pool, and a pending read there can
//! neither be cancelled nor let the runtime shut down until the client writes another line, so a
//! bridge told to stop by a signal would hang. A plain thread blocked in `read` simply ends with
//! the process. The writer thread is the only place that writes stdout: every message is one
//! `write_all` of the line and its newline, then a flush, so lines never interleave.

use std::io::{BufRead, Read, Write};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The longest line read from stdin (a JSON-RPC message): 64 MiB.
pub const MAX_INPUT_LINE: usize = 64 * 1024 * 1024;

/// The writer thread's end: resolves once every line sent before the sender was dropped is
/// written (or stdout broke).
#[derive(Debug)]
pub struct WriterDone(oneshot::Receiver<()>);

impl WriterDone {
    /// Waits for the writer to finish, at most `limit`.
    pub async fn wait(self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.0).await;
    }
}

/// Starts the reader and writer threads: lines from stdin (without their newline; the channel
/// closes at EOF or on a read error) and a sender whose lines go to stdout.
pub fn channels() -> (
    mpsc::Receiver<Vec<u8>>,
    mpsc::UnboundedSender<Vec<u8>>,
    WriterDone,
) {
    let (in_tx, in_rx) = mpsc::channel::<Vec<u8>>(64);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (done_tx, done_rx) = oneshot::channel();
    let _ = std::thread::Builder::new()
        .name("mcp-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            loop {
                let mut line = Vec::new();
                match (&mut lock)
                    .take(MAX_INPUT_LINE as u64)
                    .read_until(b'\n', &mut line)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        while matches!(line.last(), Some(b'\n' | b'\r')) {
                            line.pop();
                        }
                        if in_tx.blocking_send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    let _ = std::thread::Builder::new()
        .name("mcp-stdout".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            while let Some(mut line) = out_rx.blocking_recv() {
                line.push(b'\n');
                let mut lock = stdout.lock();
                if lock.write_all(&line).and_then(|()| lock.flush()).is_err() {
                    break;
                }
            }
            let _ = done_tx.send(());
        });
    (in_rx, out_tx, WriterDone(done_rx))
}
