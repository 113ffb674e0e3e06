//! Text from outside (HubSpot's answers, callback parameters, a stored index) on its way to a terminal or a
//! log (docs/SECURITY.md, findings 2 and 7).
//!
//! A terminal obeys escape sequences wherever they come from: an `error_description` holding `ESC ]0;…BEL`
//! retitles the window, `ESC [2J` clears the screen, and a `\r` or `\n` forges a line that looks like Hubkey's.
//! So every server-supplied text is passed through [`strip_controls`] where it enters Hubkey (the HTTP client,
//! the callback parser) and again where it is printed (the CLI's output); logs escape what they write with
//! [`EscapeControls`] instead, so a log still shows that something odd arrived.

use std::io::Write;

/// True for the characters a terminal may act on: C0 controls (tab, newline and carriage return included),
/// DEL, and the C1 controls U+0080–U+009F (some terminals take U+009B as `ESC [`).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// `s` without control characters ([`is_control`]); tabs, newlines and carriage returns become spaces so that
/// words stay apart. Borrowed when there is nothing to strip.
pub fn strip_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if is_control(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// [`strip_controls`] for an owned optional string (parsed fields).
pub fn strip_controls_opt(s: Option<String>) -> Option<String> {
    s.map(|s| match strip_controls(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(clean) => clean,
    })
}

/// Writes what it is given with every control character shown as an escape (`\x1b`, `\n`, `\u{9b}`), except
/// a newline that ends a write (one log event is one write) and, with `keep_esc`, ESC itself (the coloured
/// levels of a terminal log; tracing-subscriber escapes ESC inside messages and fields already, so an ESC
/// that reaches this writer is its own colouring).
#[derive(Debug)]
pub struct EscapeControls<W> {
    inner: W,
    keep_esc: bool,
}

impl<W: Write> EscapeControls<W> {
    /// Escapes everything (a log file).
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            keep_esc: false,
        }
    }

    /// Keeps ESC (a terminal that shows coloured levels).
    pub fn keeping_esc(inner: W) -> Self {
        Self {
            inner,
            keep_esc: true,
        }
    }
}

/// `text` with control characters escaped as in [`EscapeControls`] (no ESC kept, trailing newline escaped too).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, false);
    out
}

fn push_escaped(out: &mut String, text: &str, keep_esc: bool) {
    for c in text.chars() {
        match c {
            '\x1b' if keep_esc => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

impl<W: Write> Write for EscapeControls<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (body, newline) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, true),
            None => (buf, false),
        };
        let text = String::from_utf8_lossy(body);
        let mut out = String::with_capacity(buf.len() + 8);
        push_escaped(&mut out, &text, self.keep_esc);
        if newline {
            out.push('\n');
        }
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A time in RFC 3339, in UTC and to the second: the one time format Hubkey writes for machines (the
/// IPC, `hubkey logout`'s line, the CLI's tables).
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// "12:41": hours and minutes at `offset`, for people (the tray's status line, sign-out summaries).
pub fn hh_mm(t: time::OffsetDateTime, offset: time::UtcOffset) -> String {
    let local = t.to_offset(offset);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_terminal_escapes_when_stripped_then_only_printable_text_is_left() {
        let hostile = "bad\x1b]0;pwned\x07 grant\x1b[2J\r\nFAKE\u{9b}31m line\x7f";
        let clean = strip_controls(hostile);
        assert!(!clean.chars().any(char::is_control), "{clean:?}");
        assert_eq!(clean, "bad]0;pwned grant[2J  FAKE31m line");
        assert!(matches!(
            strip_controls("plain: ok"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(strip_controls_opt(Some("a\x1bb".into())).as_deref(), Some("ab"));
    }

    #[test]
    fn given_a_log_event_with_controls_when_written_then_they_are_escaped_and_the_event_stays_one_line() {
        let mut out = Vec::new();
        let mut w = EscapeControls::new(&mut out);
        w.write_all(b"WARN link hubkey://x/$(touch y)\n2026 FORGED\x1b[31m\x00\n")
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "WARN link hubkey://x/$(touch y)\\n2026 FORGED\\x1b[31m\\x00\n"
        );
        assert_eq!(text.lines().count(), 1);

        let mut out = Vec::new();
        EscapeControls::keeping_esc(&mut out)
            .write_all(b"\x1b[33mWARN\x1b[0m a\rb\n")
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\x1b[33mWARN\x1b[0m a\\rb\n");
        assert_eq!(escape_controls("a\u{9b}b\n"), "a\\u{9b}b\\n");
    }

    #[test]
    fn given_times_when_formatted_then_rfc3339_is_utc_to_the_second_and_hh_mm_is_local() {
        use time::macros::{datetime, offset};
        assert_eq!(
            rfc3339(datetime!(2026-11-23 12:41:59.123 +2)),
            "2026-11-23T10:41:59Z"
        );
        let t = datetime!(2026-11-23 10:41:59 UTC);
        assert_eq!(hh_mm(t, time::UtcOffset::UTC), "10:41");
        assert_eq!(hh_mm(t, offset!(+2)), "12:41");
        assert_eq!(hh_mm(t, offset!(-11)), "23:41");
    }
}
