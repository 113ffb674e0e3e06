//! Logging to stderr and to `HUBKEY_HOME/logs/hubkey-desktop.log`, for both desktop processes (the window's and
//! the tray's, which replace each other: one file tells the app's whole story). Under tauri-driver stderr is
//! lost, so the file is what tests and bug reports read. `HUBKEY_LOG` is a list of `target=level`
//! directives or a bare level (`debug`, `hubkey_core=trace,warn`; default `info`).
//! HTTP internals are capped at `info` whatever the filter says: at debug/trace they would log headers and
//! bodies, i.e. bearer tokens.

use std::fs::{self, File, OpenOptions};
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

/// Creates `dir/logs` and opens the log file for appending, rotating an oversized one first.
pub fn open_log_file(home: &Path) -> Result<(PathBuf, File), LogFileError> {
    let dir = home.join("logs");
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LogFileError { path, source }
    };
    create_private_dir(&dir).map_err(err(&dir))?;
    let path = dir.join(LOG_FILE_NAME);
    if fs::metadata(&path)
        .map(|m| m.len() > ROTATE_BYTES)
        .unwrap_or(false)
    {
        fs::rename(&path, dir.join(format!("{LOG_FILE_NAME}.1"))).map_err(err(&path))?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).map_err(err(&path))?;
    Ok((path, file))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Installs the global subscriber (stderr + file) and a panic hook that logs panics as `"the {process}
/// panicked"`. Returns the log file path.
pub fn init(home: &Path, process: &'static str) -> Result<PathBuf, LogFileError> {
    let (path, file) = open_log_file(home)?;
    let (filter, filter_warning) = log_filter(std::env::var(LOG_ENV).ok().as_deref());
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let to_file = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Mutex::new(file));
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
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "the {process} panicked");
        previous(info);
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
