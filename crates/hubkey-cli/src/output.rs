//! The only way `hubkey` writes to the terminal.
//!
//! `hubkey token`'s stdout is parsed by scripts (`$(hubkey token)`), so every byte that reaches
//! stdout or stderr goes through here: data on stdout, messages on stderr, and write failures
//! surfaced as errors instead of panics (a closed pipe must not abort with a backtrace). Tests
//! capture both streams in memory.

use hubkey_core::text::strip_controls;
use hubkey_core::{Error, Result};
use std::io::Write;

/// Where command output goes.
pub struct Output {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

impl Output {
    /// The process's stdout and stderr.
    pub fn stdio() -> Self {
        Self::new(Box::new(std::io::stdout()), Box::new(std::io::stderr()))
    }

    /// Any two writers (tests).
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>) -> Self {
        Self { out, err }
    }

    /// Writes `line` and a newline to stdout, in one write, and flushes. Control characters are
    /// stripped ([`strip_controls`]): a line may hold text from HubSpot or from the index.
    pub fn line(&mut self, line: &str) -> Result<()> {
        self.stdout_text(&strip_controls(line))
    }

    fn stdout_text(&mut self, text: &str) -> Result<()> {
        let mut buf = String::with_capacity(text.len() + 1);
        buf.push_str(text);
        buf.push('\n');
        write_all(&mut self.out, buf.as_bytes())
            .map_err(|e| Error::Io(format!("cannot write to stdout: {e}")))
    }

    /// Writes `value` as pretty JSON and a newline to stdout (JSON escapes control characters in
    /// strings itself).
    pub fn json<T: serde::Serialize>(&mut self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Io(format!("cannot encode the output as JSON: {e}")))?;
        self.stdout_text(&text)
    }

    /// A message for the person at the terminal (stderr), control characters stripped. Failures to
    /// write it are ignored: there is nowhere else to report them.
    pub fn note(&mut self, line: &str) {
        let _ = write_all(&mut self.err, format!("{}\n", strip_controls(line)).as_bytes());
    }

    /// The final error line (stderr), flattened to one line.
    pub fn error_line(&mut self, line: &str) {
        let flat: String = line
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        self.note(&flat);
    }

    /// Text exactly as given, on stdout (clap's help).
    pub fn raw_stdout(&mut self, text: &str) {
        let _ = write_all(&mut self.out, text.as_bytes());
    }
}

fn write_all(w: &mut Box<dyn Write>, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes)?;
    w.flush()
}

#[cfg(test)]
pub mod capture {
    //! An [`Output`] whose streams can be read back.
    use super::Output;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    pub struct Buf(pub Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        pub fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    pub fn output() -> (Output, Buf, Buf) {
        let (o, e) = (Buf::default(), Buf::default());
        (Output::new(Box::new(o.clone()), Box::new(e.clone())), o, e)
    }
}

#[cfg(test)]
mod tests {
    use super::capture::output;

    #[test]
    fn given_data_and_messages_when_written_then_data_goes_to_stdout_and_messages_to_stderr() {
        let (mut out, o, e) = output();
        out.line("tok").unwrap();
        out.note("hello");
        out.error_line("a\nb");
        assert_eq!(o.text(), "tok\n");
        assert_eq!(e.text(), "hello\na b\n");
    }

    #[test]
    fn given_text_with_terminal_escapes_when_written_then_no_control_character_reaches_the_terminal() {
        let (mut out, o, e) = output();
        out.line("portal \x1b]0;pwned\x07evil").unwrap();
        out.note("HubSpot said: \x1b[2Jgone\u{9b}1m");
        out.json(&serde_json::json!({"user": "a\x1bb"})).unwrap();
        let all = o.text() + &e.text();
        assert!(!all.chars().any(|c| c.is_control() && c != '\n'), "{all:?}");
        assert!(
            o.text().contains("\\u001b"),
            "JSON keeps the value, escaped: {}",
            o.text()
        );
    }
}
