//! One-step setup of AI clients: the config entry each client needs to reach HubSpot's MCP
//! server with Hubkey's fresh tokens, as a snippet to copy and as a merge into the client's file.
//!
//! Two ways in, by what the client can do:
//!
//! * **Headers helper** — Claude Code (`headersHelper` in `~/.claude.json` or `.mcp.json`) and
//!   Codex (`http_headers_helper` in `~/.codex/config.toml`) run a command for each connection and
//!   send the headers it prints. They get HubSpot's remote server URL and
//!   `hubkey headers … --json`, which prints `{"Authorization":"Bearer …"}`.
//! * **stdio bridge** — Claude Desktop, Cursor and VS Code get `hubkey mcp …` as a local server,
//!   which bridges to HubSpot with a fresh token on every request ([`crate::bridge`]).
//!
//! Every entry holds the absolute path of `hubkey` and flags (app, portal, and any non-default
//! settings, because Claude Code drops variables whose names contain KEY, TOKEN, SECRET or AUTH,
//! which is every `HUBKEY_*`): **never a token**. A merge keeps every key of the file it does not
//! own (and their order); within an existing entry of the same name only the transport keys are
//! replaced. The old file is kept as a timestamped backup. A JSON file with comments or trailing
//! commas is refused (rewriting it would drop them); Codex's TOML is edited with `toml_edit`, so
//! its comments and layout survive.
//!
//! Locations follow each client's own rules (and honour `CLAUDE_CONFIG_DIR`, `CODEX_HOME`,
//! `XDG_CONFIG_HOME`, `APPDATA` as the clients do), so tests can point them at a temp folder.

use crate::json_doc::Doc;
use hubkey_core::{Error, Result};
use std::path::{Path, PathBuf};
use url::Url;

/// The AI clients Hubkey can set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AiClient {
    /// Anthropic's Claude Code (CLI).
    ClaudeCode,
    /// Anthropic's Claude Desktop app.
    ClaudeDesktop,
    /// Cursor.
    Cursor,
    /// Visual Studio Code (GitHub Copilot agent mode).
    VsCode,
    /// OpenAI's Codex CLI.
    Codex,
}

/// The operating system whose conventions a path follows (a parameter, so every OS's paths are
/// tested on any OS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux and other Unix desktops.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Os {
    /// The OS this build runs on.
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// The file format of a client's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl AiClient {
    /// Every client, in the order the CLI and the window list them.
    pub const ALL: [AiClient; 5] = [
        AiClient::ClaudeCode,
        AiClient::ClaudeDesktop,
        AiClient::Cursor,
        AiClient::VsCode,
        AiClient::Codex,
    ];

    /// The id used on the command line (`claude-code`, …).
    pub fn id(self) -> &'static str {
        match self {
            AiClient::ClaudeCode => "claude-code",
            AiClient::ClaudeDesktop => "claude-desktop",
            AiClient::Cursor => "cursor",
            AiClient::VsCode => "vscode",
            AiClient::Codex => "codex",
        }
    }

    /// The client's name for people.
    pub fn display_name(self) -> &'static str {
        match self {
            AiClient::ClaudeCode => "Claude Code",
            AiClient::ClaudeDesktop => "Claude Desktop",
            AiClient::Cursor => "Cursor",
            AiClient::VsCode => "VS Code",
            AiClient::Codex => "Codex",
        }
    }

    /// The client named `id`.
    pub fn from_id(id: &str) -> Option<AiClient> {
        AiClient::ALL.into_iter().find(|c| c.id() == id)
    }

    /// True for the clients that run a headers helper for each connection.
    pub fn uses_headers_helper(self) -> bool {
        matches!(self, AiClient::ClaudeCode | AiClient::Codex)
    }

    /// The format of its config file.
    pub fn format(self) -> Format {
        match self {
            AiClient::Codex => Format::Toml,
            _ => Format::Json,
        }
    }

    /// The user-level config file, found the way the client finds it. `env` looks up
    /// environment variables (`HOME`, `USERPROFILE`, `APPDATA`, `XDG_CONFIG_HOME`,
    /// `CLAUDE_CONFIG_DIR`, `CODEX_HOME`).
    pub fn config_path(self, os: Os, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
        let home = || {
            let name = if os == Os::Windows { "USERPROFILE" } else { "HOME" };
            var(name).ok_or_else(|| {
                Error::Config(format!(
                    "{name} is not set, so the config file of {} cannot be found; pass --config PATH",
                    self.display_name()
                ))
            })
        };
        let app_data = || match os {
            Os::Windows => var("APPDATA").ok_or_else(|| {
                Error::Config(format!(
                    "APPDATA is not set; pass --config PATH for {}",
                    self.display_name()
                ))
            }),
            Os::MacOs => Ok(home()?.join("Library").join("Application Support")),
            Os::Linux => match var("XDG_CONFIG_HOME") {
                Some(dir) => Ok(dir),
                None => Ok(home()?.join(".config")),
            },
        };
        Ok(match self {
            AiClient::ClaudeCode => match var("CLAUDE_CONFIG_DIR") {
                Some(dir) => dir.join(".claude.json"),
                None => home()?.join(".claude.json"),
            },
            AiClient::ClaudeDesktop => app_data()?.join("Claude").join("claude_desktop_config.json"),
            AiClient::Cursor => home()?.join(".cursor").join("mcp.json"),
            AiClient::VsCode => app_data()?.join("Code").join("User").join("mcp.json"),
            AiClient::Codex => match var("CODEX_HOME") {
                Some(dir) => dir.join("config.toml"),
                None => home()?.join(".codex").join("config.toml"),
            },
        })
    }

    /// The JSON key holding the servers.
    fn servers_key(self) -> &'static str {
        match self {
            AiClient::VsCode => "servers",
            _ => "mcpServers",
        }
    }
}

/// How a client should run Hubkey for one connection.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The absolute path of the `hubkey` executable.
    pub program: PathBuf,
    /// Flags after the subcommand: `--app A --portal P` and any settings flags.
    pub flags: Vec<String>,
    /// HubSpot's MCP server, for the headers-helper clients.
    pub server_url: Url,
    /// The entry's name in the client (`hubspot`).
    pub server_name: String,
    /// The OS whose shell quoting the helper command uses.
    pub os: Os,
}

/// Keys that say how a client reaches a server; replaced in an existing entry of the same name.
const JSON_TRANSPORT_KEYS: &[&str] = &[
    "type",
    "url",
    "command",
    "args",
    "env",
    "envFile",
    "headers",
    "headersHelper",
    "cwd",
    "transport",
];
const TOML_TRANSPORT_KEYS: &[&str] = &[
    "command",
    "args",
    "env",
    "env_vars",
    "cwd",
    "url",
    "bearer_token",
    "bearer_token_env_var",
    "http_headers",
    "env_http_headers",
    "http_headers_helper",
];

impl Invocation {
    /// `hubkey mcp …` as argv (after the program).
    pub fn mcp_args(&self) -> Vec<String> {
        std::iter::once("mcp".to_owned())
            .chain(self.flags.iter().cloned())
            .collect()
    }

    /// The headers helper as one shell command line: `'/path/hubkey' headers … --json`.
    pub fn headers_command(&self) -> String {
        let program = self.program.to_string_lossy();
        let mut words = vec![quote(&program, self.os), "headers".to_owned()];
        words.extend(self.flags.iter().map(|f| quote(f, self.os)));
        words.push("--json".to_owned());
        words.join(" ")
    }

    fn json_entry(&self, client: AiClient) -> Vec<(String, Doc)> {
        let program = Doc::string(self.program.to_string_lossy());
        let args = Doc::Array(self.mcp_args().into_iter().map(Doc::String).collect());
        match client {
            AiClient::ClaudeCode => vec![
                ("type".into(), Doc::string("http")),
                ("url".into(), Doc::string(self.server_url.as_str())),
                ("headersHelper".into(), Doc::string(self.headers_command())),
            ],
            AiClient::VsCode => vec![
                ("type".into(), Doc::string("stdio")),
                ("command".into(), program),
                ("args".into(), args),
            ],
            AiClient::ClaudeDesktop | AiClient::Cursor | AiClient::Codex => {
                vec![("command".into(), program), ("args".into(), args)]
            }
        }
    }
}

/// A word for `sh -c` (single quotes when needed) or for `cmd.exe` (double quotes).
fn quote(word: &str, os: Os) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c) || (os == Os::Windows && c == '\\')
        });
    if plain {
        return word.to_owned();
    }
    match os {
        Os::Windows => format!("\"{}\"", word.replace('"', "\"\"")),
        _ => format!("'{}'", word.replace('\'', "'\\''")),
    }
}

/// The snippet for `client`: what `install` would add, as a small file of its own.
pub fn snippet(client: AiClient, inv: &Invocation) -> String {
    match client.format() {
        Format::Json => {
            let entry = Doc::Object(inv.json_entry(client));
            let servers = Doc::Object(vec![(inv.server_name.clone(), entry)]);
            Doc::Object(vec![(client.servers_key().to_owned(), servers)]).to_pretty()
        }
        Format::Toml => {
            let mut doc = toml_edit::DocumentMut::new();
            // A fresh document cannot fail these.
            let _ = merge_toml_into(&mut doc, inv);
            doc.to_string()
        }
    }
}

/// The text of `client`'s config file after adding the entry to `existing` (`None`: no file).
pub fn merge(client: AiClient, existing: Option<&str>, inv: &Invocation, path: &Path) -> Result<String> {
    match client.format() {
        Format::Json => merge_json(client, existing, inv, path),
        Format::Toml => {
            let text = existing.unwrap_or("");
            let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
                Error::Config(format!(
                    "{} is not valid TOML ({}); nothing was changed",
                    path.display(),
                    e.message()
                ))
            })?;
            merge_toml_into(&mut doc, inv)
                .map_err(|what| Error::Config(format!("{}: {what}; nothing was changed", path.display())))?;
            Ok(doc.to_string())
        }
    }
}

fn merge_json(client: AiClient, existing: Option<&str>, inv: &Invocation, path: &Path) -> Result<String> {
    let mut doc = match existing.map(str::trim) {
        None | Some("") => Doc::Object(Vec::new()),
        Some(text) => serde_json::from_str::<Doc>(text).map_err(|e| {
            Error::Config(format!(
                "{} is not plain JSON (line {}: comments and trailing commas are not rewritten, they would be lost); nothing was changed: add the entry by hand (`--print` shows it)",
                path.display(),
                e.line()
            ))
        })?,
    };
    if !doc.is_object() {
        return Err(Error::Config(format!(
            "{} does not hold a JSON object; nothing was changed",
            path.display()
        )));
    }
    let key = client.servers_key();
    let servers = doc.object_entry(key).filter(|s| s.is_object()).ok_or_else(|| {
        Error::Config(format!(
            "\"{key}\" in {} is not an object; nothing was changed",
            path.display()
        ))
    })?;
    let mut entry = match servers.get(&inv.server_name) {
        Some(Doc::Object(pairs)) => Doc::Object(
            pairs
                .iter()
                .filter(|(k, _)| !JSON_TRANSPORT_KEYS.contains(&k.as_str()))
                .cloned()
                .collect(),
        ),
        _ => Doc::Object(Vec::new()),
    };
    for (k, v) in inv.json_entry(client) {
        entry.set(&k, v);
    }
    servers.set(&inv.server_name, entry);
    Ok(doc.to_pretty())
}

/// `[mcp_servers.<name>]` with `url` and `http_headers_helper`, other keys of an existing table
/// kept.
fn merge_toml_into(doc: &mut toml_edit::DocumentMut, inv: &Invocation) -> std::result::Result<(), String> {
    use toml_edit::{value, Item, Table};
    let root = doc.as_table_mut();
    if !root.contains_key("mcp_servers") {
        let mut t = Table::new();
        t.set_implicit(true);
        root.insert("mcp_servers", Item::Table(t));
    }
    let servers = root
        .get_mut("mcp_servers")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| "mcp_servers is not a table".to_owned())?;
    if servers.get(&inv.server_name).is_none() {
        servers.insert(&inv.server_name, Item::Table(Table::new()));
    }
    let entry = servers
        .get_mut(&inv.server_name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| format!("mcp_servers.{} is not a table", inv.server_name))?;
    for key in TOML_TRANSPORT_KEYS {
        entry.remove(key);
    }
    entry.insert("url", value(inv.server_url.as_str()));
    entry.insert("http_headers_helper", value(inv.headers_command()));
    Ok(())
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The config file.
    pub path: PathBuf,
    /// The copy of the previous file, when there was one and it changed.
    pub backup: Option<PathBuf>,
    /// False when the file already held exactly this entry (nothing written).
    pub changed: bool,
}

/// Adds (or updates) the entry in `client`'s config file at `path`, keeping a backup of the old
/// file. Writes atomically, keeping the old file's permissions (`0600` for a new one on Unix).
pub fn install(client: AiClient, inv: &Invocation, path: &Path) -> Result<Installed> {
    let existing = match std::fs::read(path) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::Config(format!(
                "{} is not UTF-8 text; nothing was changed",
                path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
    };
    let text = merge(client, existing.as_deref(), inv, path)?;
    if existing.as_deref() == Some(text.as_str()) {
        return Ok(Installed {
            path: path.to_owned(),
            backup: None,
            changed: false,
        });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let backup = match &existing {
        Some(old) => {
            let backup = backup_path(path);
            hubkey_core::store::index::write_atomically(&backup, old.as_bytes())?;
            Some(backup)
        }
        None => None,
    };
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    hubkey_core::store::index::write_atomically(path, text.as_bytes())?;
    if let Some(p) = permissions {
        let _ = std::fs::set_permissions(path, p);
    }
    Ok(Installed {
        path: path.to_owned(),
        backup,
        changed: true,
    })
}

/// `<file>.hubkey-<UTC timestamp>.bak` beside the file (a counter is added if taken).
fn backup_path(path: &Path) -> PathBuf {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "backup".to_owned());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let mut candidate = path.with_file_name(format!("{name}.hubkey-{stamp}.bak"));
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = path.with_file_name(format!("{name}.hubkey-{stamp}-{n}.bak"));
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(os: Os) -> Invocation {
        Invocation {
            program: PathBuf::from("/opt/hub key/hubkey"),
            flags: vec!["--app".into(), "crm".into(), "--portal".into(), "42".into()],
            server_url: Url::parse("https://mcp.hubspot.com/").unwrap(),
            server_name: "hubspot".into(),
            os,
        }
    }

    #[test]
    fn given_paths_with_spaces_and_quotes_when_quoted_then_each_shell_reads_one_word() {
        assert_eq!(quote("/usr/bin/hubkey", Os::Linux), "/usr/bin/hubkey");
        assert_eq!(quote("/opt/hub key/hubkey", Os::Linux), "'/opt/hub key/hubkey'");
        assert_eq!(quote("it's", Os::MacOs), "'it'\\''s'");
        assert_eq!(
            quote(r"C:\Program Files\Hubkey\hubkey.exe", Os::Windows),
            r#""C:\Program Files\Hubkey\hubkey.exe""#
        );
        assert_eq!(quote("", Os::Linux), "''");
        assert_eq!(
            inv(Os::Linux).headers_command(),
            "'/opt/hub key/hubkey' headers --app crm --portal 42 --json"
        );
    }

    #[test]
    fn given_each_os_when_finding_config_files_then_the_clients_own_locations_are_used() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        let linux = env(&[("HOME", "/home/u")]);
        let p = |c: AiClient, os: Os, e: &dyn Fn(&str) -> Option<String>| c.config_path(os, e).unwrap();
        assert_eq!(
            p(AiClient::ClaudeCode, Os::Linux, &linux),
            PathBuf::from("/home/u/.claude.json")
        );
        assert_eq!(
            p(AiClient::ClaudeDesktop, Os::Linux, &linux),
            PathBuf::from("/home/u/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(AiClient::Cursor, Os::Linux, &linux),
            PathBuf::from("/home/u/.cursor/mcp.json")
        );
        assert_eq!(
            p(AiClient::VsCode, Os::Linux, &linux),
            PathBuf::from("/home/u/.config/Code/User/mcp.json")
        );
        assert_eq!(
            p(AiClient::Codex, Os::Linux, &linux),
            PathBuf::from("/home/u/.codex/config.toml")
        );
        let mac = env(&[("HOME", "/Users/u")]);
        assert_eq!(
            p(AiClient::ClaudeDesktop, Os::MacOs, &mac),
            PathBuf::from("/Users/u/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(AiClient::VsCode, Os::MacOs, &mac),
            PathBuf::from("/Users/u/Library/Application Support/Code/User/mcp.json")
        );
        let overridden = env(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
            ("CLAUDE_CONFIG_DIR", "/c"),
            ("CODEX_HOME", "/k"),
        ]);
        assert_eq!(
            p(AiClient::ClaudeCode, Os::Linux, &overridden),
            PathBuf::from("/c/.claude.json")
        );
        assert_eq!(
            p(AiClient::Codex, Os::Linux, &overridden),
            PathBuf::from("/k/config.toml")
        );
        assert_eq!(
            p(AiClient::VsCode, Os::Linux, &overridden),
            PathBuf::from("/x/Code/User/mcp.json")
        );
        let win = env(&[
            ("USERPROFILE", r"C:\Users\u"),
            ("APPDATA", r"C:\Users\u\AppData\Roaming"),
        ]);
        assert!(p(AiClient::ClaudeDesktop, Os::Windows, &win).starts_with(r"C:\Users\u\AppData\Roaming"));
        assert!(p(AiClient::Cursor, Os::Windows, &win).starts_with(r"C:\Users\u"));
        let nothing = |_: &str| None;
        assert!(AiClient::Cursor.config_path(Os::Linux, &nothing).is_err());
    }

    #[test]
    fn given_each_client_when_its_snippet_is_made_then_helper_clients_get_the_helper_and_others_the_bridge() {
        for client in AiClient::ALL {
            let text = snippet(client, &inv(Os::Linux));
            if client.uses_headers_helper() {
                assert!(text.contains("https://mcp.hubspot.com/"), "{client:?}: {text}");
                assert!(
                    text.contains("headers --app crm --portal 42 --json"),
                    "{client:?}: {text}"
                );
            } else {
                assert!(text.contains("\"mcp\""), "{client:?}: {text}");
                assert!(text.contains("/opt/hub key/hubkey"), "{client:?}: {text}");
                assert!(!text.contains("headers"), "{client:?}: {text}");
            }
        }
        let vscode: serde_json::Value =
            serde_json::from_str(&snippet(AiClient::VsCode, &inv(Os::Linux))).unwrap();
        assert_eq!(vscode["servers"]["hubspot"]["type"], "stdio");
        let codex: toml_edit::DocumentMut = snippet(AiClient::Codex, &inv(Os::Linux)).parse().unwrap();
        assert_eq!(
            codex["mcp_servers"]["hubspot"]["url"].as_str(),
            Some("https://mcp.hubspot.com/")
        );
    }
}
