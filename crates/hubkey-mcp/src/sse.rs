//! An incremental reader of `text/event-stream` (server-sent events), as the HTML standard's
//! "event stream interpretation" describes it, for MCP's streamable HTTP transport.
//!
//! Why our own and not a crate: the stream arrives as reqwest chunks, which split lines, UTF-8
//! sequences and `\r\n` pairs anywhere, and the bridge needs each complete event the moment its
//! blank line arrives (a tool's progress notification must reach the client before the result).
//! The rules fit in one small state machine, fed bytes and answering events:
//!
//! * lines end with `\r\n`, `\n` or `\r` (a `\r` at the end of one chunk and `\n` at the start of
//!   the next are one line end);
//! * a leading byte-order mark is dropped;
//! * `:` starts a comment (keep-alives), ignored;
//! * `field: value` (one space after the colon removed), `field` alone means an empty value;
//! * `data` lines append to the event's data, joined with `\n`; `event` sets its type; `id` sets
//!   the last event id (kept across events, ignored when it contains NUL); `retry` with digits
//!   only sets the reconnection delay; other fields are ignored;
//! * a blank line dispatches the event, unless it has no data; an event cut off by the end of the
//!   stream (no blank line) is dropped, as the standard says.
//!
//! A line longer than [`MAX_LINE`] is an error rather than unbounded memory.

/// The longest line (and so the longest single `data:` payload) accepted: 16 MiB.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:`, or `message` when none was given.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id seen so far on this stream (for `Last-Event-ID`), if any.
    pub id: Option<String>,
}

/// The stream broke a rule this reader enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A line exceeded [`MAX_LINE`] bytes.
    LineTooLong,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::LineTooLong => write!(f, "an event-stream line is longer than {MAX_LINE} bytes"),
        }
    }
}

/// The reader's state between chunks.
#[derive(Debug, Default)]
pub struct SseReader {
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` first in the next one belongs to it.
    after_cr: bool,
    /// No line read yet (the first may start with a BOM).
    at_start: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry_ms: Option<u64>,
}

impl SseReader {
    /// A reader at the start of a stream.
    pub fn new() -> Self {
        Self {
            at_start: true,
            ..Self::default()
        }
    }

    /// The last event id seen, for a `Last-Event-ID` header when reconnecting.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the server asked for with `retry:`, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// Feeds the next chunk; returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut rest = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(i) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.push_bytes(&rest[..i])?;
            let was_cr = rest[i] == b'\r';
            rest = &rest[i + 1..];
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.process_line(&line) {
                events.push(event);
            }
        }
        self.push_bytes(rest)?;
        Ok(events)
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(SseError::LineTooLong);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn process_line(&mut self, raw: &[u8]) -> Option<SseEvent> {
        let mut line = String::from_utf8_lossy(raw);
        if self.at_start {
            self.at_start = false;
            if let Some(stripped) = line.strip_prefix('\u{feff}') {
                line = std::borrow::Cow::Owned(stripped.to_owned());
            }
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(reader: &mut SseReader, chunks: &[&[u8]]) -> Vec<SseEvent> {
        chunks.iter().flat_map(|c| reader.feed(c).unwrap()).collect()
    }

    #[test]
    fn given_an_event_split_at_every_byte_when_fed_then_it_is_dispatched_once_whole() {
        let stream = "event: message\r\nid: 7\r\ndata: {\"a\":\"é\"}\r\n\r\n";
        let mut reader = SseReader::new();
        let mut events = Vec::new();
        for b in stream.as_bytes() {
            events.extend(reader.feed(std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(
            events,
            vec![SseEvent {
                event: "message".into(),
                data: "{\"a\":\"é\"}".into(),
                id: Some("7".into())
            }]
        );
    }

    #[test]
    fn given_multi_line_data_comments_and_mixed_line_ends_when_fed_then_data_is_joined_with_newlines() {
        let mut reader = SseReader::new();
        let events = all(
            &mut reader,
            &[b": keep-alive\n\ndata: {\"x\":\rdata:1}\r", b"\n\n", b"data\n\n"],
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].data, "{\"x\":\n1}");
        assert_eq!(events[1].data, "", "a bare `data` line is an empty data line");
        assert_eq!(events[0].event, "message");
    }

    #[test]
    fn given_a_bom_retry_and_unknown_fields_when_fed_then_only_known_fields_count() {
        let mut reader = SseReader::new();
        let events = all(
            &mut reader,
            &["\u{feff}retry: 1500\nfoo: bar\nevent: ping\ndata:x\n\n".as_bytes()],
        );
        assert_eq!(reader.retry_ms(), Some(1500));
        assert_eq!(
            events,
            vec![SseEvent {
                event: "ping".into(),
                data: "x".into(),
                id: None
            }]
        );
    }

    #[test]
    fn given_an_event_without_data_or_without_its_blank_line_then_nothing_is_dispatched() {
        let mut reader = SseReader::new();
        assert!(all(&mut reader, &[b"event: x\nid: 3\n\ndata: cut"]).is_empty());
        assert_eq!(
            reader.last_event_id(),
            Some("3"),
            "the id outlives its empty event"
        );
    }

    #[test]
    fn given_an_endless_line_when_fed_then_it_is_refused() {
        let mut reader = SseReader::new();
        let chunk = vec![b'a'; 1024 * 1024];
        let mut err = None;
        for _ in 0..17 {
            if let Err(e) = reader.feed(&chunk) {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(SseError::LineTooLong));
    }
}
