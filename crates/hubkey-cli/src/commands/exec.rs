//! `hubkey exec -- CMD ARGS…`: runs CMD with a fresh access token in its environment
//! (`HUBSPOT_ACCESS_TOKEN` by default, the name HubSpot's MCP servers and SDK samples read), as
//! `aws-vault exec` and `op run` do for their secrets. The token never appears on argv.
//!
//! Unix semantics: CMD inherits stdin, stdout and stderr; SIGINT, SIGTERM and SIGHUP sent to
//! `hubkey` are forwarded to CMD (a Ctrl-C in a terminal reaches both, as with `aws-vault`); the
//! exit status is CMD's, or 128+N when a signal N killed it. A CMD that cannot be started is exit
//! 127 (not found) or 126 (not executable), like a shell. On Windows the exit code is passed
//! through and console signals reach CMD directly.

use super::fresh::{resolve, valid_token};
use crate::cli::ExecArgs;
use crate::failure::Failure;
use crate::output::Output;
use hubkey_core::Error;

pub async fn run(args: ExecArgs, _out: &mut Output) -> Result<(), Failure> {
    let name = args.env_name.trim();
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(Failure::with_hint(
            Error::Config(format!(
                "{:?} is not a usable environment variable name",
                args.env_name
            )),
            "Pass --env NAME with a name such as HUBSPOT_ACCESS_TOKEN.",
        ));
    }
    let resolved = resolve(&args.target).await?;
    let token = valid_token(&resolved).await?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Failure::from(Error::Config("no command given after --".into())))?;
    // Listen before the child exists: a signal that arrives between spawn and wait must be
    // forwarded, not take hubkey down with its default action.
    let mut signals = Signals::install()?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest).env(name, token.expose()).kill_on_drop(false);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return Err(Failure::reported(
                code,
                vec![format!(
                    "hubkey: cannot run {}: {e}. Check the command name and PATH.",
                    program.to_string_lossy()
                )],
            ));
        }
    };
    drop(token);
    let status = signals.wait_forwarding(&mut child).await?;
    match exit_code(status) {
        0 => Ok(()),
        code => Err(Failure::reported(code, Vec::new())),
    }
}

/// SIGINT, SIGTERM and SIGHUP, caught for forwarding.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Result<Self, Failure> {
        use tokio::signal::unix::{signal, SignalKind};
        let io = |e: std::io::Error| Failure::from(Error::Io(format!("cannot watch signals: {e}")));
        Ok(Self {
            int: signal(SignalKind::interrupt()).map_err(io)?,
            term: signal(SignalKind::terminate()).map_err(io)?,
            hup: signal(SignalKind::hangup()).map_err(io)?,
        })
    }

    /// Waits for `child`, passing each caught signal on to it.
    async fn wait_forwarding(
        &mut self,
        child: &mut tokio::process::Child,
    ) -> Result<std::process::ExitStatus, Failure> {
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        loop {
            let sig = tokio::select! {
                status = child.wait() => {
                    return status.map_err(|e| Failure::from(Error::Io(format!("cannot wait for the command: {e}"))));
                }
                _ = self.int.recv() => rustix::process::Signal::INT,
                _ = self.term.recv() => rustix::process::Signal::TERM,
                _ = self.hup.recv() => rustix::process::Signal::HUP,
            };
            if let Some(pid) = pid {
                // The child may have exited a moment ago; then there is nobody to tell.
                let _ = rustix::process::kill_process(pid, sig);
            }
        }
    }
}

/// On Windows console signals reach the child directly; only the wait remains.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Result<Self, Failure> {
        Ok(Self)
    }

    async fn wait_forwarding(
        &mut self,
        child: &mut tokio::process::Child,
    ) -> Result<std::process::ExitStatus, Failure> {
        child
            .wait()
            .await
            .map_err(|e| Failure::from(Error::Io(format!("cannot wait for the command: {e}"))))
    }
}

/// The exit code `hubkey exec` ends with: CMD's, or 128+N for a signal N.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + (sig & 0x7f)).unwrap_or(255);
        }
    }
    1
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn given_exit_statuses_when_mapped_then_codes_pass_through_and_signals_become_128_plus_n() {
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(42 << 8)), 42);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(15)), 143, "SIGTERM");
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(9)), 137, "SIGKILL");
    }
}
