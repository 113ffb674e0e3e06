//! Handing HubSpot's authorize URL to the browser without putting it on a command line
//! (docs/SECURITY.md, finding 1).
//!
//! The authorize URL carries the login's `state`. Passed as an argument to `xdg-open`, `$BROWSER` or the
//! browser itself, it sits in `/proc/PID/cmdline`, which every local user can read (and in `ps` on macOS);
//! whoever reads it can sign in to *their* portal with it and have Hubkey store that portal as the user's
//! (login CSRF). So the opener is given a file instead: a tiny page, in a private folder, that sends the
//! browser on to the URL (a meta refresh, no script, no external resource). The page is `0600` in a `0700`
//! folder of the user's, so only the user (who started the login anyway) can read it, and it is deleted
//! when the login ends or after [`LAUNCH_PAGE_LIFETIME`], whichever comes first.
//!
//! The folder is `$XDG_RUNTIME_DIR/hubkey` when that is set (Linux: a per-user tmpfs, emptied at logout),
//! else `launch/` in the Hubkey home. On macOS and Windows the page opens through `open` / the shell like
//! any `.html` file, in the default browser. A browser confined by Snap or Flatpak may be unable to read
//! files there; the CLI's `--no-browser` prints the URL for such a browser instead.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// How long a launch page is kept when the login has not ended before: long enough for a browser that
/// starts cold, short enough that the `state` does not linger on disk.
pub const LAUNCH_PAGE_LIFETIME: Duration = Duration::from_secs(60);

/// A page older than this found in the folder was left by a process that died; it is removed.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// The folder for launch pages: `$XDG_RUNTIME_DIR/hubkey` when that variable names a folder of the user's,
/// else `launch/` in `home`.
pub fn launch_dir(home: &Path) -> PathBuf {
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        let runtime = PathBuf::from(runtime);
        if runtime.is_absolute() && crate::files::check_trusted_dir(&runtime, "XDG_RUNTIME_DIR").is_ok() {
            return runtime.join("hubkey");
        }
    }
    home.join("launch")
}

/// A written launch page; the file is removed when this is dropped (and by [`LaunchPage::expire_after`]).
#[derive(Debug)]
pub struct LaunchPage {
    path: PathBuf,
}

impl LaunchPage {
    /// Writes a page that navigates to `target` into `dir` (created `0700`; another user's or a writable
    /// folder is refused), as a new `0600` file with a random name.
    pub fn write(dir: &Path, target: &Url) -> Result<Self> {
        crate::files::ensure_trusted_dir(dir, "the launch page folder")?;
        remove_stale(dir);
        let path = dir.join(format!("login-{:032x}.html", rand::random::<u128>()));
        let mut file = crate::files::create_new_private(&path)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
        let page = LaunchPage { path };
        std::io::Write::write_all(&mut file, page_html(target).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", page.path.display())))?;
        Ok(page)
    }

    /// The page's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The page as a `file://` URL: what the opener gets instead of the authorize URL.
    pub fn file_url(&self) -> Result<Url> {
        Url::from_file_path(&self.path)
            .map_err(|()| Error::Io(format!("{} is not an absolute path", self.path.display())))
    }

    /// Removes the page after `delay` even if this value lives on (a thread sleeps meanwhile).
    pub fn expire_after(&self, delay: Duration) {
        let path = self.path.clone();
        let _ = std::thread::Builder::new()
            .name("hubkey-launch-page".into())
            .spawn(move || {
                std::thread::sleep(delay);
                remove(&path);
            });
    }

    /// Gives the page to a thread that removes it after `delay` (for a caller that cannot keep it until
    /// the login ends).
    pub fn detach(self, delay: Duration) {
        let _ = std::thread::Builder::new()
            .name("hubkey-launch-page".into())
            .spawn(move || {
                std::thread::sleep(delay);
                drop(self);
            });
    }
}

impl Drop for LaunchPage {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "cannot remove a launch page"),
    }
}

/// Removes pages that a dead process left behind (they hold an old, useless `state`).
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_page = name
            .to_str()
            .is_some_and(|n| n.starts_with("login-") && n.ends_with(".html"));
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if is_page && old {
            remove(&entry.path());
        }
    }
}

/// The page: a meta refresh to `target`, and a link for a browser that does not follow it. No script, no
/// external resource, no referrer.
fn page_html(target: &Url) -> String {
    let href = html_escape::encode_double_quoted_attribute(target.as_str());
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={href}\">\
         <title>Hubkey: opening HubSpot</title></head>\
         <body><p>Opening HubSpot… <a href=\"{href}\" rel=\"noreferrer\">Continue</a></p></body></html>\n"
    )
}

#[cfg(all(test, unix))]
// Test code (clippy.toml allows unwrap in tests, but does not see through `all(test, …)`).
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn given_an_authorize_url_when_a_launch_page_is_written_then_it_is_private_navigates_there_and_goes_when_dropped(
    ) {
        let root = std::env::temp_dir().join(format!(
            "hubkey-launch-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let dir = root.join("launch");
        let target =
            Url::parse("https://app.hubspot.com/oauth/authorize?client_id=x&state=S%22T&scope=oauth")
                .unwrap();
        let page = LaunchPage::write(&dir, &target).unwrap();
        let html = std::fs::read_to_string(page.path()).unwrap();
        assert!(html.contains("content=\"0;url=https://app.hubspot.com/oauth/authorize?client_id=x&amp;state=S%22T&amp;scope=oauth\""), "{html}");
        assert!(!html.contains("<script") && !html.contains("src="), "{html}");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(page.path()), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let url = page.file_url().unwrap();
        assert_eq!(url.scheme(), "file");
        assert!(!url.as_str().contains("state"), "{url}");
        let path = page.path().to_path_buf();
        drop(page);
        assert!(!path.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
