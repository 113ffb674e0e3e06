//! The desktop app's logging: hubkey-shell's (stderr and `HUBKEY_HOME/logs/hubkey-desktop.log`, HTTP crates
//! capped at `info`, shared with the tray process), with this crate's error type.

use std::path::{Path, PathBuf};

pub use hubkey_shell::logging::{caps, log_filter, open_log_file, LOG_ENV, LOG_FILE_NAME};

use crate::error::Error;

/// Installs the global subscriber (stderr + file) and a panic hook. Returns the log file path.
pub fn init(home: &Path) -> Result<PathBuf, Error> {
    hubkey_shell::logging::init(home, "desktop app").map_err(|e| Error::Logging {
        path: e.path,
        source: e.source,
    })
}
