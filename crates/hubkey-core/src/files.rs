//! The files Hubkey keeps in its home folder (index, locks, logs, launch pages), opened so that another local
//! user cannot steer them (docs/SECURITY.md, finding 3).
//!
//! The home folder decides what the next login does (the index holds each app's redirect URL and PKCE
//! setting), so it must be the user's alone:
//! * [`ensure_trusted_dir`] creates a missing folder `0700` and refuses an existing one that another user owns
//!   or that group or others may write, with the one-line fix in the error (`chmod 700 …`).
//! * Files are created `0600` with `O_NOFOLLOW | O_CREAT | O_EXCL` ([`create_new_private`]): a name someone
//!   planted (a symbolic link to `~/.bashrc`, a FIFO) is refused, never followed.
//! * Files that already exist (lock files, the log) are opened with `O_NOFOLLOW` and must be regular files
//!   owned by the user ([`open_existing_private`], [`open_lock_file`], [`open_append_private`]).
//! * Reads are bounded ([`read_capped`]): an `index.json` that is a link to `/dev/zero`, or just huge, is an
//!   error, not an allocation of all memory.
//!
//! The checks use Unix ownership and modes; on Windows the folders live in the user's profile, whose ACL
//! already keeps other users out, and the functions only create and open.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

/// Largest `index.json` Hubkey reads (200 connections take about 150 KiB).
pub const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;

/// Creates `dir` (and missing parents) `0700` if it does not exist, then checks it with [`check_trusted_dir`].
/// `what` names it in errors (`HUBKEY_HOME`, "the log folder").
pub fn ensure_trusted_dir(dir: &Path, what: &str) -> Result<()> {
    if std::fs::symlink_metadata(dir).is_err() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    check_trusted_dir(dir, what)
}

/// Refuses a folder that is not a folder, that another user owns, or that group or others may write (Unix).
/// The folder may be a symbolic link to a folder that passes these checks.
pub fn check_trusted_dir(dir: &Path, what: &str) -> Result<()> {
    let meta =
        std::fs::metadata(dir).map_err(|e| Error::Io(format!("cannot read {}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(unsafe_home(
            dir,
            what,
            "is not a folder",
            format!("remove {}", dir.display()),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = current_uid();
        if meta.uid() != me {
            return Err(unsafe_home(
                dir,
                what,
                &format!("belongs to user id {}, not to you (user id {me})", meta.uid()),
                format!("use a folder of your own, or `chown {me} {}`", dir.display()),
            ));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o022 != 0 {
            return Err(unsafe_home(
                dir,
                what,
                &format!("may be written by other users (mode {mode:03o})"),
                format!("chmod 700 {}", dir.display()),
            ));
        }
    }
    Ok(())
}

fn unsafe_home(dir: &Path, what: &str, why: &str, fix: String) -> Error {
    Error::UnsafeHome {
        path: dir.display().to_string(),
        reason: format!("{what} {why}"),
        fix,
    }
}

/// The effective user id of this process.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Options that never follow a symbolic link at the last path component (Unix) and create files `0600`.
#[cfg_attr(not(unix), allow(unused_mut))]
fn nofollow() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(nix::libc::O_NOFOLLOW);
    }
    o
}

/// Creates a new `0600` file for writing; fails if anything (a file, a link, a FIFO) has the name already.
pub fn create_new_private(path: &Path) -> std::io::Result<File> {
    nofollow().write(true).create_new(true).open(path)
}

/// Opens an existing file for reading and writing without following a link; it must be a regular file owned
/// by the user.
pub fn open_existing_private(path: &Path) -> std::io::Result<File> {
    let file = nofollow().read(true).write(true).open(path)?;
    check_own_regular_file(&file, path)?;
    Ok(file)
}

/// Opens (creating it `0600` if missing) a file for appending, never through a link; an existing file must be
/// a regular file owned by the user (the log file).
pub fn open_append_private(path: &Path) -> std::io::Result<File> {
    match nofollow().append(true).create_new(true).open(path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let file = nofollow()
                .append(true)
                .open(path)
                .map_err(|e| explain_link(e, path))?;
            check_own_regular_file(&file, path)?;
            Ok(file)
        }
        Err(e) => Err(e),
    }
}

/// A lock file: created with `O_EXCL`, or, when it exists, opened without following a link and checked
/// (regular file, owned by the user).
pub fn open_lock_file(path: &Path) -> Result<File> {
    let io = |e: std::io::Error| Error::Io(format!("cannot open the lock file {}: {e}", path.display()));
    // Two processes may race to create it: the loser opens what the winner made.
    for _ in 0..3 {
        match nofollow().read(true).write(true).create_new(true).open(path) {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match open_existing_private(path) {
                Ok(f) => return Ok(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(explain_link(e, path))),
            },
            Err(e) => return Err(io(e)),
        }
    }
    Err(io(std::io::Error::other("it keeps disappearing")))
}

/// Reads a whole file of at most `max` bytes, without following a link; `Ok(None)` when it does not exist.
/// Anything else than a regular file owned by the user (a device such as `/dev/zero`, a FIFO, a link) is
/// refused before a byte is read, and a larger file is refused after reading `max + 1` bytes.
pub fn read_capped(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    let io = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a planted FIFO must not wait for a writer.
        options.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(explain_link(e, path))),
    };
    check_own_regular_file(&file, path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(Error::Io(format!(
            "{} is larger than {} MiB; Hubkey does not read it (move it away and connect again)",
            path.display(),
            max / (1024 * 1024)
        )));
    }
    Ok(Some(bytes))
}

fn check_own_regular_file(file: &File, path: &Path) -> std::io::Result<()> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file; Hubkey does not use it",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != current_uid() {
            return Err(std::io::Error::other(format!(
                "{} belongs to another user; Hubkey does not use it",
                path.display()
            )));
        }
    }
    Ok(())
}

/// `ELOOP` from `O_NOFOLLOW` reads "Too many levels of symbolic links": say what it means.
fn explain_link(e: std::io::Error, path: &Path) -> std::io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(nix::libc::ELOOP) {
        return std::io::Error::other(format!(
            "{} is a symbolic link; Hubkey does not follow it (remove it: rm {})",
            path.display(),
            path.display()
        ));
    }
    let _ = path;
    e
}

#[cfg(all(test, unix))]
// Test code (clippy.toml allows unwrap in tests, but does not see through `all(test, …)`).
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tmp() -> tempfile_lite::Dir {
        tempfile_lite::Dir::new()
    }

    /// A throw-away folder (hubkey-core has no tempfile dependency).
    mod tempfile_lite {
        use std::os::unix::fs::PermissionsExt;
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!(
                    "hubkey-files-{}-{:016x}",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                std::fs::create_dir_all(&p).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn given_a_world_writable_home_when_checked_then_it_is_refused_with_the_chmod_fix() {
        let d = tmp();
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_trusted_dir(&d.0, "HUBKEY_HOME").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Config, "{err}");
        assert!(err.to_string().contains("mode 777"), "{err}");
        assert_eq!(err.hint(), format!("chmod 700 {}", d.0.display()));
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o750)).unwrap();
        check_trusted_dir(&d.0, "HUBKEY_HOME").unwrap();
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(check_trusted_dir(&d.0, "HUBKEY_HOME").is_err());
    }

    #[test]
    fn given_a_missing_home_when_ensured_then_it_is_created_0700() {
        let d = tmp();
        let home = d.0.join("a").join("home");
        ensure_trusted_dir(&home, "HUBKEY_HOME").unwrap();
        let mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn attack_given_a_planted_symlink_when_creating_or_appending_then_nothing_is_written_through_it() {
        let d = tmp();
        let target = d.0.join("bashrc");
        std::fs::write(&target, "original\n").unwrap();
        let link = d.0.join("planted");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new_private(&link).is_err());
        let err = open_append_private(&link).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(open_lock_file(&link).is_err());
        assert!(read_capped(&link, 100).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "original\n");
    }

    #[test]
    fn given_a_device_or_an_oversized_file_when_read_capped_then_it_is_refused_without_reading_it_all() {
        let err = read_capped(Path::new("/dev/zero"), MAX_INDEX_BYTES).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let d = tmp();
        let big = d.0.join("index.json");
        std::fs::write(&big, vec![b' '; 1025]).unwrap();
        let err = read_capped(&big, 1024).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        assert_eq!(read_capped(&big, 2048).unwrap().unwrap().len(), 1025);
        assert!(read_capped(&d.0.join("missing"), 10).unwrap().is_none());
    }

    #[test]
    fn given_an_existing_lock_file_when_opened_then_it_is_reused_and_new_files_are_0600() {
        let d = tmp();
        let p = d.0.join("x.lock");
        drop(open_lock_file(&p).unwrap());
        drop(open_lock_file(&p).unwrap());
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let fifo = d.0.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(open_lock_file(&fifo).is_err());
        assert!(read_capped(&fifo, 10).is_err());
    }
}
