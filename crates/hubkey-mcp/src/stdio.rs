//! The process's stdin and stdout as the bridge's line channels.
//!
//! When both are pipes or sockets (how every MCP client starts a stdio server), on Unix, they are
//! read and written on the bridge's own runtime through the reactor ([`tokio::io::unix::AsyncFd`]
//! over the descriptors set non-blocking): a message crosses no thread between stdin, the HTTP
//! request and stdout, which is most of what the bridge adds to a call (issue 15's latency row in
//! scripts/bench.sh). The descriptors' flags are put back when the tasks end.
//!
//! Otherwise (a terminal, a regular file, Windows), on two plain threads. Not
//! `tokio::io::stdin()`: Tokio reads stdin on its blocking pool, and a pending read there can
//! neither be cancelled nor let the runtime shut down until the client writes another line, so a
//! bridge told to stop by a signal would hang. A plain thread blocked in `read` simply ends with
//! the process; a task waiting on the reactor is simply dropped.
//!
//! Either way one task or thread is the only place that writes stdout: every message is one
//! write of the line and its newline, then a flush, so lines never interleave.

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

/// The bridge's ends of stdin and stdout: lines from stdin (without their newline; the channel
/// closes at EOF or on a read error), a sender whose lines go to stdout, and the writer's end.
pub type Channels = (
    mpsc::Receiver<Vec<u8>>,
    mpsc::UnboundedSender<Vec<u8>>,
    WriterDone,
);

/// Starts the reader and the writer: on the current runtime when stdin and stdout are pipes or
/// sockets (Unix), on two threads otherwise. Must be called inside a Tokio runtime.
pub fn channels() -> Channels {
    #[cfg(unix)]
    if let Some(channels) = reactor::channels() {
        return channels;
    }
    thread_channels()
}

/// Splits what stdin gave into lines: a complete line is handed out without its `\n` (and a
/// trailing `\r`); a line longer than [`MAX_INPUT_LINE`] is cut there, as `read_until` over
/// `take` cuts it on the thread path.
#[cfg_attr(not(unix), allow(dead_code))]
/// `searched` is how much of `pending` is known to hold no newline (so a long line arriving in
/// many reads is scanned once).
fn take_lines(pending: &mut Vec<u8>, searched: &mut usize, mut emit: impl FnMut(Vec<u8>)) {
    loop {
        let from = (*searched).min(pending.len());
        let end = match pending[from..].iter().position(|b| *b == b'\n') {
            Some(i) if from + i < MAX_INPUT_LINE => from + i + 1,
            _ if pending.len() >= MAX_INPUT_LINE => MAX_INPUT_LINE,
            _ => {
                *searched = pending.len();
                return;
            }
        };
        *searched = 0;
        let mut line: Vec<u8> = pending.drain(..end).collect();
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        emit(line);
    }
}

/// The thread path: a terminal, a regular file, or an OS without the reactor path.
pub fn thread_channels() -> Channels {
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

#[cfg(unix)]
mod reactor {
    //! stdin and stdout on the runtime's reactor (see the module docs), through duplicates of
    //! the descriptors: Tokio's pipe ends for a pipe (Python's subprocess), a `UnixStream` for a
    //! socket (Node's child_process, libuv's socketpair).

    use super::{take_lines, Channels, WriterDone, MAX_INPUT_LINE};
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use nix::sys::stat::{fstat, SFlag};
    use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
    use std::pin::Pin;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::sync::{mpsc, oneshot};

    /// Puts a standard descriptor's flags back (the duplicate shares them, and so does whoever
    /// else holds the pipe) when the task that used it ends or is dropped.
    struct Restore {
        fd: RawFd,
        flags: i32,
    }

    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = fcntl(self.fd, FcntlArg::F_SETFL(OFlag::from_bits_truncate(self.flags)));
        }
    }

    type Reader = Pin<Box<dyn AsyncRead + Send>>;
    type Writer = Pin<Box<dyn AsyncWrite + Send>>;

    /// `fd`'s duplicate and the guard that restores its flags, if it is a pipe or a socket (a
    /// terminal is shared with the shell, a regular file cannot wait on the reactor).
    fn duplicate(fd: impl AsFd) -> Option<(OwnedFd, bool, Restore)> {
        let raw = fd.as_fd().as_raw_fd();
        let kind = SFlag::from_bits_truncate(fstat(raw).ok()?.st_mode) & SFlag::S_IFMT;
        let socket = match kind {
            k if k == SFlag::S_IFIFO => false,
            k if k == SFlag::S_IFSOCK => true,
            _ => return None,
        };
        let flags = fcntl(raw, FcntlArg::F_GETFL).ok()?;
        let owned = fd.as_fd().try_clone_to_owned().ok()?;
        Some((owned, socket, Restore { fd: raw, flags }))
    }

    fn stream(owned: OwnedFd) -> Option<tokio::net::UnixStream> {
        let std = std::os::unix::net::UnixStream::from(owned);
        std.set_nonblocking(true).ok()?;
        tokio::net::UnixStream::from_std(std).ok()
    }

    fn reader() -> Option<(Reader, Restore)> {
        let (owned, socket, restore) = duplicate(std::io::stdin())?;
        let reader: Reader = if socket {
            Box::pin(stream(owned)?)
        } else {
            Box::pin(tokio::net::unix::pipe::Receiver::from_owned_fd(owned).ok()?)
        };
        Some((reader, restore))
    }

    fn writer() -> Option<(Writer, Restore)> {
        // stderr on the same pipe (`2>&1`) would become non-blocking too, and a log line written
        // while that pipe is full would be lost: the threads then.
        let (out, err) = (fstat(1).ok()?, fstat(2).ok());
        if err.is_some_and(|err| (err.st_dev, err.st_ino) == (out.st_dev, out.st_ino)) {
            return None;
        }
        let (owned, socket, restore) = duplicate(std::io::stdout())?;
        let writer: Writer = if socket {
            Box::pin(stream(owned)?)
        } else {
            Box::pin(tokio::net::unix::pipe::Sender::from_owned_fd(owned).ok()?)
        };
        Some((writer, restore))
    }

    pub(super) fn channels() -> Option<Channels> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let _entered = handle.enter();
        let (mut input, in_restore) = reader()?;
        let (mut output, out_restore) = writer()?;
        let (in_tx, in_rx) = mpsc::channel::<Vec<u8>>(64);
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let (done_tx, done_rx) = oneshot::channel();
        handle.spawn(async move {
            let _restore = in_restore;
            let mut pending = Vec::new();
            let mut searched = 0;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match input.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        let mut lines = Vec::new();
                        take_lines(&mut pending, &mut searched, |line| lines.push(line));
                        for line in lines {
                            if in_tx.send(line).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            // EOF: the last line may have no newline (as `read_until` hands it out).
            debug_assert!(pending.len() < MAX_INPUT_LINE);
            while matches!(pending.last(), Some(b'\r')) {
                pending.pop();
            }
            if !pending.is_empty() {
                let _ = in_tx.send(pending).await;
            }
        });
        handle.spawn(async move {
            let _restore = out_restore;
            while let Some(mut line) = out_rx.recv().await {
                line.push(b'\n');
                if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
                    break;
                }
            }
            let _ = done_tx.send(());
        });
        Some((in_rx, out_tx, WriterDone(done_rx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut pending = Vec::new();
        let mut searched = 0;
        let mut out = Vec::new();
        for chunk in chunks {
            pending.extend_from_slice(chunk);
            take_lines(&mut pending, &mut searched, |l| out.push(l));
        }
        (out, pending)
    }

    #[test]
    fn given_chunks_cut_anywhere_when_split_then_each_line_comes_out_whole_without_its_newline() {
        let (lines, rest) = lines_of(&[b"{\"a\":", b"1}\r\n{\"b\"", b":2}\n{\"c\""]);
        assert_eq!(lines, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(rest, b"{\"c\"".to_vec(), "an unfinished line waits for the rest");
    }

    #[test]
    fn given_a_line_longer_than_the_limit_when_split_then_it_is_cut_at_the_limit() {
        let long = vec![b'x'; MAX_INPUT_LINE + 10];
        let chunks: Vec<&[u8]> = long.chunks(64 * 1024).chain([&b"\n"[..]]).collect();
        let (lines, rest) = lines_of(&chunks);
        assert_eq!(
            lines.len(),
            2,
            "the cut line, then the rest of it as the next line"
        );
        assert_eq!(lines[0].len(), MAX_INPUT_LINE);
        assert_eq!(lines[1], vec![b'x'; 10]);
        assert!(rest.is_empty());
    }
}
