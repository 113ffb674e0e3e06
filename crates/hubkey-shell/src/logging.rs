//! Logging to stderr and to `HUBKEY_HOME/logs/hubkey-desktop.log`, for both desktop processes (the window's and
//! the tray's, which replace each other: one file tells the app's whole story). Under tauri-driver stderr is
//! lost, so the file is what tests and bug reports read. `HUBKEY_LOG` is a list of `target=level`
//! directives or a bare level (`debug`, `hubkey_core=trace,warn`; default `info`).
//! HTTP internals are capped at `info` whatever the filter says: at debug/trace they would log headers and
//! bodies, i.e. bearer tokens.
//!
//! Everything written is escaped: tracing-subscriber (0.3.23) escapes ESC, BEL, BS, FF, DEL and the C1 controls
//! inside messages and fields, but not newlines, carriage returns or other C0 controls, which would let a
//! logged value forge a line of its own; [`hubkey_core::text::EscapeControls`] escapes those.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The log file could not be created or opened.
#[derive(Debug)]
pub struct LogFileError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl std::fmt::Display for LogFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot open the log file {}: {}",
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for LogFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

pub const LOG_ENV: &str = "HUBKEY_LOG";
pub const LOG_FILE_NAME: &str = "hubkey-desktop.log";
/// A log file larger than this at startup is moved to `<name>.1` (one generation kept).
const ROTATE_BYTES: u64 = 5 * 1024 * 1024;
/// Crates whose debug/trace output can contain secrets.
const CAPPED_TARGETS: &[&str] = &["reqwest", "hyper", "hyper_util", "h2", "rustls", "oauth2"];

/// The user's filter, or `info` when unset. An invalid spec falls back to `info`; the reason is returned so it
/// can be logged once the subscriber exists.
pub fn log_filter(spec: Option<&str>) -> (Targets, Option<String>) {
    let info = || Targets::new().with_default(LevelFilter::INFO);
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return (info(), None);
    };
    match spec.parse::<Targets>() {
        Ok(filter) => (filter, None),
        Err(e) => (info(), Some(format!("ignoring {LOG_ENV}={spec:?}: {e}"))),
    }
}

/// A global filter that lets everything through except the HTTP crates above `info`.
pub fn caps() -> Targets {
    CAPPED_TARGETS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, target| {
            t.with_target(*target, LevelFilter::INFO)
        })
}

/// Creates `dir/logs` and opens the log file for appending, rotating an oversized one first. The folder must be
/// the user's alone, and the file is opened without following a link and must be a regular file of the user's
/// ([`hubkey_core::files`]): a `hubkey-desktop.log` planted as a link to `~/.bashrc` is refused, not appended
/// to (docs/SECURITY.md, finding 2).
pub fn open_log_file(home: &Path) -> Result<(PathBuf, File), LogFileError> {
    let dir = home.join("logs");
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LogFileError { path, source }
    };
    hubkey_core::files::ensure_trusted_dir(&dir, "the log folder")
        .map_err(|e| std::io::Error::other(format!("{e} ({})", e.hint())))
        .map_err(err(&dir))?;
    let path = dir.join(LOG_FILE_NAME);
    // The link itself, not what it points at: a planted link is left for the open below to refuse.
    if fs::symlink_metadata(&path)
        .map(|m| m.is_file() && m.len() > ROTATE_BYTES)
        .unwrap_or(false)
    {
        fs::rename(&path, dir.join(format!("{LOG_FILE_NAME}.1"))).map_err(err(&path))?;
    }
    let file = hubkey_core::files::open_append_private(&path).map_err(err(&path))?;
    Ok((path, file))
}

/// The log file as a tracing writer: each event, with its control characters escaped
/// ([`hubkey_core::text::EscapeControls`]), in one write.
#[derive(Debug)]
pub struct LogFile(Mutex<File>);

impl LogFile {
    pub fn new(file: File) -> Self {
        Self(Mutex::new(file))
    }
}

/// One event's writer for [`LogFile`].
#[derive(Debug)]
pub struct LogFileWriter<'a>(std::sync::MutexGuard<'a, File>);

impl std::io::Write for LogFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        hubkey_core::text::EscapeControls::new(&mut *self.0).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Standard error as a tracing writer, control characters escaped except ESC (the coloured levels; an ESC in a
/// message or field is escaped by tracing-subscriber itself).
pub fn escaped_stderr() -> hubkey_core::text::EscapeControls<std::io::Stderr> {
    hubkey_core::text::EscapeControls::keeping_esc(std::io::stderr())
}

/// Installs the global subscriber (stderr + file) and a panic hook that logs a panic at error level as `"the
/// {process} panicked: internal error at FILE:LINE:COL (the panic's message is withheld …)"` (hubkey-core's
/// `PanicReport`), on stderr and in the log file, and nothing else: the panic's message could hold a secret,
/// so the hook neither logs it nor hands the panic on to the hook before it (Rust's own prints the message).
/// Returns the log file path.
pub fn init(home: &Path, process: &'static str) -> Result<PathBuf, LogFileError> {
    let (path, file) = open_log_file(home)?;
    let (filter, filter_warning) = log_filter(std::env::var(LOG_ENV).ok().as_deref());
    let stderr = tracing_subscriber::fmt::layer().with_writer(escaped_stderr);
    let to_file = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(LogFile::new(file));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(caps())
        .with(stderr.and_then(to_file))
        .try_init()
        .is_ok();
    if !installed {
        tracing::debug!("a tracing subscriber was already installed; keeping it");
    }
    if let Some(warning) = filter_warning {
        tracing::warn!("{warning}");
    }
    std::panic::set_hook(Box::new(move |info| {
        let report = hubkey_core::process::PanicReport::of(info);
        tracing::error!("the {process} panicked: {report}");
    }));
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn capture(spec: &str, emit: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let (filter, warning) = log_filter(Some(spec));
        assert!(warning.is_none(), "{warning:?}");
        let subscriber = tracing_subscriber::registry().with(filter).with(caps()).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(buffer.clone()),
        );
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn http_crates_are_capped_at_info_even_when_trace_is_asked_for() {
        let out = capture("trace", || {
            tracing::trace!(target: "hubkey_shell::x", "own-trace");
            tracing::debug!(target: "reqwest::connect", "reqwest-debug authorization: Bearer secret");
            tracing::trace!(target: "hyper::proto::h1", "hyper-trace");
            tracing::info!(target: "hyper_util::client", "hyper-info");
        });
        assert!(out.contains("own-trace"), "{out}");
        assert!(out.contains("hyper-info"), "{out}");
        assert!(!out.contains("reqwest-debug"), "{out}");
        assert!(!out.contains("Bearer secret"), "{out}");
        assert!(!out.contains("hyper-trace"), "{out}");
    }

    #[test]
    fn caps_do_not_raise_a_quieter_filter() {
        let out = capture("warn", || {
            tracing::info!(target: "reqwest", "reqwest-info");
            tracing::warn!(target: "reqwest", "reqwest-warn");
        });
        assert!(!out.contains("reqwest-info"), "{out}");
        assert!(out.contains("reqwest-warn"), "{out}");
    }

    #[test]
    fn invalid_filter_falls_back_to_info_with_a_reason() {
        let (_, warning) = log_filter(Some("=[not a filter"));
        assert!(warning.unwrap().contains(LOG_ENV));
        let (_, none) = log_filter(None);
        assert!(none.is_none());
    }

    /// Set in the child process: the Hubkey home it logs to, and the secret its panic carries.
    const CHILD_HOME: &str = "HUBKEY_TEST_PANIC_HOME";
    const CHILD_SECRET: &str = "HUBKEY_TEST_PANIC_SECRET";

    #[test]
    fn attack_given_a_panic_whose_message_holds_a_secret_when_the_desktop_app_panics_after_logging_starts_then_neither_stderr_nor_the_log_file_holds_it(
    ) {
        if let (Ok(home), Ok(secret)) = (std::env::var(CHILD_HOME), std::env::var(CHILD_SECRET)) {
            // The child: what hubkey-desktop does first (the tray alike), then a panic while holding a secret.
            assert_eq!(crate::process::at_start("hubkey-desktop"), None);
            init(Path::new(&home), "desktop app").unwrap();
            panic!("cannot parse the token response {{\"access_token\":\"{secret}\"}}");
        }
        let home = std::env::temp_dir().join(format!("hubkey-log-panic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        let secret = format!("CJ-{:08x}-acce55", std::process::id());
        let out = crate::rerun::rerun_as_child(
            module_path!(),
            "attack_given_a_panic_whose_message_holds_a_secret_when_the_desktop_app_panics_after_logging_starts_then_neither_stderr_nor_the_log_file_holds_it",
            &[
                (CHILD_HOME, home.to_str().unwrap()),
                (CHILD_SECRET, &secret),
                (crate::process::DUMPABLE_ENV, "1"),
            ],
            &[LOG_ENV, "RUST_BACKTRACE"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let log = fs::read_to_string(home.join("logs").join(LOG_FILE_NAME)).unwrap_or_default();
        fs::remove_dir_all(&home).unwrap();
        assert_eq!(out.status.code(), Some(101), "the child panicked: {stderr}");
        assert!(!stderr.contains(&secret), "the secret reached stderr: {stderr}");
        assert!(!log.contains(&secret), "the secret reached the log file: {log}");
        let place = format!("the desktop app panicked: internal error at {}:", file!());
        assert!(
            log.lines().any(|l| l.contains(" ERROR ") && l.contains(&place)),
            "the log file names the place: {log}"
        );
        assert!(stderr.contains(&place), "stderr names the place: {stderr}");
        assert_eq!(
            stderr.matches("internal error at").count(),
            1,
            "said once on stderr: {stderr}"
        );
    }

    #[test]
    fn log_file_is_created_under_home_logs_and_rotated_when_large() {
        let home = std::env::temp_dir().join(format!("hubkey-log-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        let (path, mut file) = open_log_file(&home).unwrap();
        assert_eq!(path, home.join("logs").join(LOG_FILE_NAME));
        file.write_all(&vec![b'x'; (ROTATE_BYTES + 1) as usize]).unwrap();
        drop(file);
        let (path2, _) = open_log_file(&home).unwrap();
        assert_eq!(fs::metadata(&path2).unwrap().len(), 0);
        assert!(home.join("logs").join(format!("{LOG_FILE_NAME}.1")).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(home.join("logs")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "logs dir must be private: {mode:o}");
        }
        fs::remove_dir_all(&home).unwrap();
    }
}

/// Docs/SECURITY.md finding 2, replayed: a log file planted as a link to a shell start-up file, and a deep link
/// whose path is a command substitution.
#[cfg(all(test, unix))]
// Test code (clippy.toml allows unwrap in tests, but does not see through `all(test, …)`).
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod finding_2 {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn private_tmp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hubkey-log-f2-{tag}-{}-{:08x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    #[test]
    fn given_the_log_file_planted_as_a_link_to_bashrc_when_the_app_opens_its_log_then_it_is_refused_and_bashrc_is_unchanged(
    ) {
        let root = private_tmp("link");
        let bashrc = root.join("bashrc");
        fs::write(&bashrc, "# my shell\n").unwrap();
        let home = root.join("home");
        fs::create_dir_all(home.join("logs")).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(home.join("logs"), fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(&bashrc, home.join("logs").join(LOG_FILE_NAME)).unwrap();

        let err = open_log_file(&home).unwrap_err();

        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(
            err.to_string().contains("rm "),
            "the fix is in the message: {err}"
        );
        assert_eq!(fs::read_to_string(&bashrc).unwrap(), "# my shell\n");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn given_a_log_folder_others_may_write_when_the_app_opens_its_log_then_it_is_refused_with_the_chmod_fix()
    {
        let root = private_tmp("mode");
        let home = root.join("home");
        fs::create_dir_all(home.join("logs")).unwrap();
        fs::set_permissions(home.join("logs"), fs::Permissions::from_mode(0o777)).unwrap();
        let err = open_log_file(&home).unwrap_err().to_string();
        assert!(err.contains("chmod 700"), "{err}");
        assert!(!home.join("logs").join(LOG_FILE_NAME).exists());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn given_a_hostile_deep_link_when_it_is_refused_then_the_log_file_holds_only_its_scheme_and_length() {
        let root = private_tmp("link-path");
        let (path, file) = open_log_file(&root).unwrap();
        let subscriber = tracing_subscriber::registry().with(caps()).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(LogFile::new(file)),
        );
        let link = "hubkey://oauth/$(touch /tmp/hubkey-pwned)/callback?code=C0DE&state=ST4TE";
        tracing::subscriber::with_default(subscriber, || {
            // The path a link takes in the desktop app: every hubkey:// URL goes to LoginFlow::deliver.
            let refused = hubkey_core::login::LoginFlow::default().deliver(link);
            assert!(refused.is_err());
            // A value with a newline and an escape cannot forge a line of its own.
            // (Displayed with `%`: a `?` value is Debug-quoted, which escapes on its own.)
            tracing::warn!(value = %"x\n2026-01-01T00:00:00Z  INFO forged\x1b[2J\r", "odd input");
        });
        let log = fs::read_to_string(&path).unwrap();
        assert!(
            log.contains(&format!("hubkey: URL, {} bytes", link.len())),
            "{log}"
        );
        for leaked in ["$(", "touch", "oauth/", "/callback", "C0DE", "ST4TE"] {
            assert!(!log.contains(leaked), "{leaked} in the log: {log}");
        }
        assert_eq!(log.lines().count(), 2, "{log}");
        assert!(!log.chars().any(|c| c.is_control() && c != '\n'), "{log:?}");
        assert!(
            log.contains("\\n2026-01-01T00:00:00Z  INFO forged\\x1b[2J\\r"),
            "{log}"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
