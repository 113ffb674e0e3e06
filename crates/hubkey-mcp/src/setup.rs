//! Setting up an AI client for one connection: what `hubkey mcp install <client>` and the window's
//! "Use in an AI client…" dialog both do, in one place, so the two show the same entry, write the same
//! file and say the same sentence. The entries come from [`crate::clients`]; this module decides what
//! goes into them (which `hubkey`, which flags) and what the window is told.

use crate::classify::NOT_USER_LEVEL_FIX;
use crate::clients::{self, AiClient, Installed, Invocation, Os};
use hubkey_core::config::env;
use hubkey_core::store::Connection;
use hubkey_core::view::{AiClientEntry, AiClientInstalled, AiClientsView};
use hubkey_core::ConnectionKey;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use url::Url;

/// The entry's name in every client unless told otherwise.
pub const DEFAULT_SERVER_NAME: &str = "hubspot";

/// The settings a stripped environment would lose, as `(variable, flag)`: MCP clients start their
/// servers with a few variables only, and Claude Code drops every name with TOKEN/KEY/SECRET/AUTH.
pub const SETTINGS: [(&str, &str); 5] = [
    (env::HOME, "--home"),
    (env::KEYCHAIN_SERVICE, "--keychain-service"),
    (env::APP_BASE_URL, "--app-base-url"),
    (env::API_BASE_URL, "--api-base-url"),
    (env::MCP_BASE_URL, "--mcp-base-url"),
];

/// The flags that reproduce the settings `env` holds (empty values ignored), in [`SETTINGS`] order.
pub fn settings_flags(env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    SETTINGS
        .iter()
        .filter_map(|(var, flag)| {
            let value = env(var).filter(|v| !v.trim().is_empty())?;
            Some([(*flag).to_owned(), value])
        })
        .flatten()
        .collect()
}

impl Invocation {
    /// `program` run for the connection `key` (app and portal resolved now, so the entry keeps working
    /// when another app or portal is added later), with the settings flags.
    pub fn for_connection(
        program: PathBuf,
        key: &ConnectionKey,
        settings: Vec<String>,
        server_url: Url,
        server_name: String,
        os: Os,
    ) -> Invocation {
        let mut flags = vec![
            "--app".to_owned(),
            key.app.clone(),
            "--portal".to_owned(),
            key.hub_id.to_string(),
        ];
        flags.extend(settings);
        Invocation {
            program,
            flags,
            server_url,
            server_name,
            os,
        }
    }
}

/// The `hubkey` CLI for the desktop app: beside its own executable (the packages install both in one
/// folder, a build puts both in `target/<profile>`), else the first on `path` (`$PATH`). Absolute.
pub fn locate_cli(exe: &Path, path: Option<&OsStr>) -> Option<PathBuf> {
    let name = if cfg!(windows) { "hubkey.exe" } else { "hubkey" };
    let beside = exe.parent().map(|dir| dir.join(name));
    let on_path = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name));
    beside
        .into_iter()
        .chain(on_path)
        .find(|p| p.is_file())
        .and_then(|p| p.canonicalize().ok())
}

/// The variable naming the `hubkey` CLI the window's entries run (an absolute path), for an install that
/// keeps it elsewhere than beside the app or on `PATH`.
pub const CLI_VAR: &str = "HUBKEY_CLI";

/// The desktop app's `hubkey`: [`CLI_VAR`] when it names an absolute file, else [`locate_cli`] from this
/// process's executable and `PATH`.
pub fn cli_here() -> Option<PathBuf> {
    let named = std::env::var_os(CLI_VAR)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_file());
    named.or_else(|| {
        let exe = std::env::current_exe().ok()?;
        locate_cli(&exe, std::env::var_os("PATH").as_deref())
    })
}

/// [`view`] for this process: its `hubkey` ([`cli_here`]), its settings and environment, this OS.
pub fn view_here(conn: &Connection, server_url: Url) -> AiClientsView {
    let env = |k: &str| std::env::var(k).ok();
    view(
        conn,
        cli_here().as_deref(),
        settings_flags(&env),
        server_url,
        Os::current(),
        &env,
    )
}

/// The entry for `client` (by its id), as in [`view_here`].
pub fn snippet_here(conn: &Connection, client: &str, server_url: Url) -> hubkey_core::Result<String> {
    let (client, invocation) = invocation_here(conn, client, server_url)?;
    Ok(clients::snippet(client, &invocation))
}

/// Writes or merges `client`'s config file (by its id) for `conn`, as `hubkey mcp install <client>` does.
pub fn install_here(
    conn: &Connection,
    client: &str,
    server_url: Url,
) -> hubkey_core::Result<AiClientInstalled> {
    let (client, invocation) = invocation_here(conn, client, server_url)?;
    let env = |k: &str| std::env::var(k).ok();
    let path = client.config_path(Os::current(), &env)?;
    let done = clients::install(client, &invocation, &path)?;
    Ok(installed_view(client, &invocation.server_name, &done))
}

fn invocation_here(
    conn: &Connection,
    client: &str,
    server_url: Url,
) -> hubkey_core::Result<(AiClient, Invocation)> {
    let client = AiClient::from_id(client).ok_or_else(|| {
        hubkey_core::Error::InvalidInput(format!("{client:?} is not an AI client Hubkey can set up"))
    })?;
    let cli = cli_here().ok_or_else(|| hubkey_core::Error::Config(CLI_MISSING.to_owned()))?;
    let env = |k: &str| std::env::var(k).ok();
    let invocation = Invocation::for_connection(
        cli,
        &conn.key(),
        settings_flags(&env),
        server_url,
        DEFAULT_SERVER_NAME.to_owned(),
        Os::current(),
    );
    Ok((client, invocation))
}

/// What the window says when no `hubkey` CLI was found.
pub const CLI_MISSING: &str = "The hubkey command-line tool was not found beside Hubkey or on your PATH. AI clients run it to get fresh tokens: install Hubkey's package (it ships /usr/bin/hubkey), or build it with `cargo build -p hubkey-cli`, then open this again.";

/// The dialog for `conn`: every client's entry for `cli` (none without it), and why an account-level
/// connection will not work with HubSpot's MCP server.
pub fn view(
    conn: &Connection,
    cli: Option<&Path>,
    settings: Vec<String>,
    server_url: Url,
    os: Os,
    env: &dyn Fn(&str) -> Option<String>,
) -> AiClientsView {
    let not_user_level = (conn.is_user_level == Some(false)).then(|| {
        format!("This connection has an account-level token, and HubSpot's MCP server will refuse it. {NOT_USER_LEVEL_FIX}.")
    });
    let Some(cli) = cli else {
        return AiClientsView {
            cli: None,
            cli_missing: Some(CLI_MISSING.to_owned()),
            not_user_level,
            clients: vec![],
        };
    };
    let invocation = Invocation::for_connection(
        cli.to_owned(),
        &conn.key(),
        settings,
        server_url,
        DEFAULT_SERVER_NAME.to_owned(),
        os,
    );
    let clients = AiClient::ALL
        .into_iter()
        .map(|client| {
            let path = client.config_path(os, env);
            AiClientEntry {
                id: client.id().to_owned(),
                name: client.display_name().to_owned(),
                method: if client.uses_headers_helper() {
                    "headers helper"
                } else {
                    "stdio bridge"
                }
                .to_owned(),
                config_path: path.as_ref().ok().map(|p| p.display().to_string()),
                config_path_error: path.err().map(|e| e.to_string()),
                snippet: clients::snippet(client, &invocation),
            }
        })
        .collect();
    AiClientsView {
        cli: Some(cli.display().to_string()),
        cli_missing: None,
        not_user_level,
        clients,
    }
}

/// The sentence for what [`clients::install`] did, the CLI's and the window's.
pub fn install_message(client: AiClient, server_name: &str, done: &Installed) -> String {
    let name = client.display_name();
    let path = done.path.display();
    if done.changed {
        format!("Added \"{server_name}\" to {name} ({path}). Restart {name} to load it.")
    } else {
        format!("{name} already has the entry \"{server_name}\" in {path}; nothing changed.")
    }
}

/// What the window is told after an Install.
pub fn installed_view(client: AiClient, server_name: &str, done: &Installed) -> AiClientInstalled {
    AiClientInstalled {
        path: done.path.display().to_string(),
        backup: done.backup.as_ref().map(|b| b.display().to_string()),
        changed: done.changed,
        message: install_message(client, server_name, done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_settings_in_the_environment_when_turned_into_flags_then_each_set_one_appears_in_order() {
        let env = |k: &str| match k {
            "HUBKEY_HOME" => Some("/h".to_owned()),
            "HUBKEY_API_BASE_URL" => Some("http://127.0.0.1:9".to_owned()),
            "HUBKEY_MCP_BASE_URL" => Some("  ".to_owned()),
            _ => None,
        };
        assert_eq!(
            settings_flags(&env),
            ["--home", "/h", "--api-base-url", "http://127.0.0.1:9"]
        );
    }

    #[test]
    fn given_a_cli_beside_the_app_and_one_on_path_when_located_then_the_one_beside_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (app_dir, path_dir) = (dir.path().join("app"), dir.path().join("bin"));
        std::fs::create_dir_all(&app_dir).unwrap();
        std::fs::create_dir_all(&path_dir).unwrap();
        let name = if cfg!(windows) { "hubkey.exe" } else { "hubkey" };
        std::fs::write(path_dir.join(name), b"").unwrap();
        let exe = app_dir.join("hubkey-desktop");
        let path = std::env::join_paths([&path_dir]).unwrap();
        assert_eq!(
            locate_cli(&exe, Some(&path)),
            Some(path_dir.join(name).canonicalize().unwrap()),
            "only on PATH: that one"
        );
        std::fs::write(app_dir.join(name), b"").unwrap();
        assert_eq!(
            locate_cli(&exe, Some(&path)),
            Some(app_dir.join(name).canonicalize().unwrap())
        );
        assert_eq!(locate_cli(&dir.path().join("x/y"), None), None, "nowhere: none");
    }
}
