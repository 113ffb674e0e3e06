//! `hubkey mcp install`'s writers, on real files: each client's format is merged into an existing
//! file without losing a key (or a TOML comment), a backup of the old file is kept, a second run
//! changes nothing, a file that cannot be rewritten safely is left alone, and no token is ever
//! written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_mcp::clients::{install, merge, snippet, AiClient, Invocation, Os};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use url::Url;

/// A token-shaped string that must never appear in a written file.
const TOKEN: &str = "CNT8rLzJMxIHAAEAQAAAARj5vK4LIOjO";

fn inv() -> Invocation {
    Invocation {
        program: PathBuf::from("/usr/local/bin/hubkey"),
        flags: vec![
            "--app".into(),
            "crm app".into(),
            "--portal".into(),
            "24681357".into(),
        ],
        server_url: Url::parse("https://mcp.hubspot.com/").unwrap(),
        server_name: "hubspot".into(),
        os: Os::Linux,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect()
}

fn assert_no_token(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(TOKEN), "{} holds a token", path.display());
        assert!(
            !text.to_ascii_lowercase().contains("bearer "),
            "{} holds a bearer header",
            path.display()
        );
    }
}

#[test]
fn given_an_existing_claude_code_config_when_installing_then_every_other_key_survives_and_the_headers_helper_is_added(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".claude.json");
    let existing = json!({
        "numStartups": 12,
        "projects": {"/home/u/p": {"allowedTools": [], "mcpServers": {}}},
        "mcpServers": {
            "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"},
            "hubspot": {"type": "http", "url": "https://old.example/", "headers": {"X": "1"}, "timeout": 30}
        },
        "zzz": [1, 2.5, null, true]
    });
    std::fs::write(&path, serde_json::to_string_pretty(&existing).unwrap()).unwrap();
    let done = install(AiClient::ClaudeCode, &inv(), &path).unwrap();
    assert!(done.changed);
    let written: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(written["numStartups"], 12);
    assert_eq!(written["projects"], existing["projects"]);
    assert_eq!(written["zzz"], existing["zzz"]);
    assert_eq!(written["mcpServers"]["github"], existing["mcpServers"]["github"]);
    let entry = &written["mcpServers"]["hubspot"];
    assert_eq!(entry["type"], "http");
    assert_eq!(entry["url"], "https://mcp.hubspot.com/");
    assert_eq!(
        entry["headersHelper"],
        "/usr/local/bin/hubkey headers --app 'crm app' --portal 24681357 --json"
    );
    assert_eq!(
        entry["timeout"], 30,
        "a key the entry had that is not about transport is kept"
    );
    assert!(entry.get("headers").is_none(), "the old static header is gone");
    let text = read(&path);
    assert!(
        text.find("numStartups").unwrap() < text.find("projects").unwrap(),
        "key order kept"
    );
    let backup = done.backup.expect("a backup of the old file");
    assert_eq!(serde_json::from_str::<Value>(&read(&backup)).unwrap(), existing);
    // Again: nothing to do, no second backup.
    let again = install(AiClient::ClaudeCode, &inv(), &path).unwrap();
    assert!(!again.changed);
    assert_eq!(backups(dir.path()).len(), 1);
    assert_no_token(dir.path());
}

#[test]
fn given_stdio_clients_when_installing_into_existing_files_then_the_bridge_entry_is_merged_under_their_own_key(
) {
    for (client, key) in [
        (AiClient::ClaudeDesktop, "mcpServers"),
        (AiClient::Cursor, "mcpServers"),
        (AiClient::VsCode, "servers"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let existing = json!({
            key: {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "env": {"A": "1"}}},
            "inputs": [{"id": "k", "type": "promptString", "password": true}],
            "globalShortcut": "Ctrl+Space"
        });
        std::fs::write(&path, existing.to_string()).unwrap();
        install(client, &inv(), &path).unwrap();
        let written: Value = serde_json::from_str(&read(&path)).unwrap();
        assert_eq!(written[key]["fs"], existing[key]["fs"], "{client:?}");
        assert_eq!(written["inputs"], existing["inputs"], "{client:?}");
        assert_eq!(written["globalShortcut"], "Ctrl+Space", "{client:?}");
        let entry = &written[key]["hubspot"];
        assert_eq!(entry["command"], "/usr/local/bin/hubkey", "{client:?}");
        assert_eq!(
            entry["args"],
            json!(["mcp", "--app", "crm app", "--portal", "24681357"]),
            "{client:?}"
        );
        if client == AiClient::VsCode {
            assert_eq!(entry["type"], "stdio");
        }
        assert!(
            entry.get("env").is_none(),
            "settings travel as flags, not env: {client:?}"
        );
        assert_eq!(backups(dir.path()).len(), 1, "{client:?}");
        assert_no_token(dir.path());
    }
}

#[test]
fn given_no_file_when_installing_then_it_is_created_private_and_without_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deeper").join("mcp.json");
    let done = install(AiClient::Cursor, &inv(), &path).unwrap();
    assert!(done.changed && done.backup.is_none());
    let written: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(written["mcpServers"]["hubspot"]["args"][0], "mcp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn given_an_existing_codex_config_with_comments_when_installing_then_comments_tables_and_other_keys_survive()
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let existing = r#"# My Codex settings
model = "o4-mini"   # the fast one

[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "1"]

# HubSpot, set up by hand once
[mcp_servers.hubspot]
url = "https://old.example/"
bearer_token_env_var = "HUBSPOT_TOKEN"
startup_timeout_sec = 20

[profiles.work]
model = "gpt-5"
"#;
    std::fs::write(&path, existing).unwrap();
    let done = install(AiClient::Codex, &inv(), &path).unwrap();
    let text = read(&path);
    for kept in [
        "# My Codex settings",
        "model = \"o4-mini\"   # the fast one",
        "[mcp_servers.docs]",
        "command = \"docs-mcp\"",
        "# HubSpot, set up by hand once",
        "[profiles.work]",
        "startup_timeout_sec = 20",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let entry = &doc["mcp_servers"]["hubspot"];
    assert_eq!(entry["url"].as_str(), Some("https://mcp.hubspot.com/"));
    assert_eq!(
        entry["http_headers_helper"].as_str(),
        Some("/usr/local/bin/hubkey headers --app 'crm app' --portal 24681357 --json")
    );
    assert!(
        entry.get("bearer_token_env_var").is_none(),
        "the static token variable is replaced by the helper"
    );
    assert_eq!(read(&done.backup.unwrap()), existing);
    assert!(!install(AiClient::Codex, &inv(), &path).unwrap().changed);
    assert_no_token(dir.path());
}

#[test]
fn given_files_that_cannot_be_rewritten_safely_when_installing_then_they_are_left_untouched_with_a_clear_error(
) {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(AiClient, &str, &str); 4] = [
        (
            AiClient::VsCode,
            "mcp.json",
            "{\n  // my servers\n  \"servers\": {},\n}\n",
        ),
        (AiClient::Cursor, "mcp.json", "[1, 2]"),
        (AiClient::ClaudeDesktop, "c.json", "{\"mcpServers\": \"oops\"}"),
        (AiClient::Codex, "config.toml", "[mcp_servers\nbroken"),
    ];
    for (client, name, text) in cases {
        let path = dir.path().join(format!("{}-{name}", client.id()));
        std::fs::write(&path, text).unwrap();
        let err = install(client, &inv(), &path).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{client:?}: {err}");
        assert!(
            err.to_string().contains("nothing was changed"),
            "{client:?}: {err}"
        );
        assert_eq!(read(&path), text, "{client:?}: the file is untouched");
    }
    assert!(backups(dir.path()).is_empty());
}

#[test]
fn given_each_client_when_merging_into_nothing_then_the_result_equals_its_snippet() {
    for client in AiClient::ALL {
        let path = PathBuf::from("/nonexistent/x");
        assert_eq!(
            merge(client, None, &inv(), &path).unwrap(),
            snippet(client, &inv()),
            "{client:?}"
        );
        assert!(!snippet(client, &inv()).contains(TOKEN));
    }
}
