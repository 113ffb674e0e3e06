//! Lints tauri.conf.json, capabilities/ and Cargo.toml against docs/threat-model.md S5 (capabilities, CSP,
//! prototype freezing, devtools). A failing assertion names the rule it protects.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn conf() -> Value {
    read_json(&manifest_dir().join("tauri.conf.json"))
}

/// `default-src 'self'; connect-src ipc: …` → {"default-src": ["'self'"], "connect-src": ["ipc:", …]}.
fn parse_csp(csp: &str) -> BTreeMap<String, Vec<String>> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|directive| {
            let mut parts = directive.split_whitespace();
            let name = parts.next().unwrap().to_ascii_lowercase();
            (name, parts.map(str::to_string).collect())
        })
        .collect()
}

fn capabilities() -> Vec<(PathBuf, Value)> {
    let dir = manifest_dir().join("capabilities");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "toml"))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no capability files in {}", dir.display());
    found
        .into_iter()
        .map(|p| {
            assert_eq!(
                p.extension().unwrap(),
                "json",
                "only JSON capabilities are linted: {}",
                p.display()
            );
            let v = read_json(&p);
            (p, v)
        })
        .collect()
}

fn permission_ids(capability: &Value) -> Vec<String> {
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            Value::Object(o) => o["identifier"].as_str().unwrap().to_string(),
            other => panic!("unexpected permission entry {other}"),
        })
        .collect()
}

#[test]
fn s5_3_production_csp_is_strict() {
    let conf = conf();
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("S5.3: app.security.csp must be a string");
    let csp = parse_csp(csp);
    assert_eq!(
        csp.get("default-src").map(Vec::as_slice),
        Some(&["'self'".to_string()][..]),
        "S5.3 default-src"
    );
    let connect = csp
        .get("connect-src")
        .expect("S5.3: connect-src must be explicit");
    for source in connect {
        assert!(
            ["ipc:", "http://ipc.localhost", "'self'"].contains(&source.as_str()),
            "S5.3: connect-src may reach only the IPC bridge, found {source}"
        );
    }
    assert_eq!(
        csp.get("style-src").map(Vec::as_slice),
        Some(&["'self'".to_string()][..]),
        "S5.3 style-src"
    );
    for (directive, sources) in &csp {
        for source in sources {
            let s = source.to_ascii_lowercase();
            assert!(!s.contains("unsafe-eval"), "S5.3: {directive} allows unsafe-eval");
            assert!(
                !s.contains("unsafe-inline"),
                "S5.3: {directive} allows unsafe-inline in production"
            );
            assert!(
                s != "*" && !s.starts_with("https:") && s != "http:",
                "S5.3: {directive} allows {source}"
            );
            if s.starts_with("http://") || s.starts_with("https://") || s.starts_with("ws") {
                assert!(
                    ["http://ipc.localhost", "http://asset.localhost"].contains(&s.as_str()),
                    "S5.3: {directive} names a remote host {source}"
                );
            }
        }
    }
    if let Some(scripts) = csp.get("script-src") {
        assert!(
            !scripts.iter().any(|s| s.contains("unsafe")),
            "S5.3: script-src {scripts:?}"
        );
    }
}

#[test]
fn s5_3_dev_csp_only_adds_the_local_dev_server() {
    let conf = conf();
    let Some(dev) = conf["app"]["security"]["devCsp"].as_str() else {
        return;
    };
    for (directive, sources) in parse_csp(dev) {
        for source in sources {
            assert!(
                !source.contains("unsafe-eval"),
                "S5.3: devCsp {directive} allows unsafe-eval"
            );
            if source.contains("://") {
                let host = source
                    .split("://")
                    .nth(1)
                    .unwrap()
                    .split(['/', ':'])
                    .next()
                    .unwrap();
                assert!(
                    ["127.0.0.1", "localhost", "ipc.localhost", "asset.localhost"].contains(&host),
                    "S5.3: devCsp {directive} names a remote host {source}"
                );
            }
        }
    }
}

#[test]
fn s5_3_prototype_frozen_no_csp_escape_hatches_no_global_tauri() {
    let security = &conf()["app"]["security"];
    assert_eq!(
        security["freezePrototype"],
        Value::Bool(true),
        "S5.3: freezePrototype must be true"
    );
    assert!(
        matches!(
            security.get("dangerousDisableAssetCspModification"),
            None | Some(Value::Bool(false))
        ),
        "S5.3: dangerousDisableAssetCspModification must stay off"
    );
    assert!(
        security.get("dangerousRemoteDomainIpcAccess").is_none(),
        "S5.2: no remote IPC access"
    );
    assert!(
        matches!(
            conf()["app"].get("withGlobalTauri"),
            None | Some(Value::Bool(false))
        ),
        "withGlobalTauri exposes the API to every script"
    );
}

#[test]
fn s5_2_capabilities_grant_only_what_the_ui_uses() {
    for (path, capability) in capabilities() {
        let name = path.display();
        assert!(
            capability.get("remote").is_none(),
            "S5.2: {name} grants remote origins"
        );
        let windows = capability["windows"]
            .as_array()
            .expect("capability must name its windows");
        assert!(
            windows
                .iter()
                .all(|w| w.as_str().is_some_and(|w| !w.contains('*'))),
            "S5.2: {name} uses a window wildcard: {windows:?}"
        );
        for permission in permission_ids(&capability) {
            let p = permission.as_str();
            assert!(
                !p.starts_with("shell:"),
                "S5.2: {name} grants the shell plugin ({p})"
            );
            assert!(
                !p.starts_with("clipboard-manager:"),
                "S5.2/D7: the UI never touches the clipboard ({p})"
            );
            assert!(
                !p.starts_with("fs:") && !p.starts_with("http:"),
                "S5.2: {name} grants {p}"
            );
            assert!(
                !p.starts_with("deep-link:"),
                "S5.2: {name} grants {p}: get_current hands the webview the launch URL, code included (docs/SECURITY.md, finding 10)"
            );
            if p.starts_with("opener:") {
                assert!(
                    !matches!(
                        p,
                        "opener:default" | "opener:allow-open-url" | "opener:allow-open-path"
                    ),
                    "S5.2: opener must be scoped to HubSpot URLs, not {p}"
                );
            }
        }
    }
}

/// The app commands the UI calls: every `call("name"` / `call<…>("name"` in ui/src/lib/api.ts.
fn commands_the_ui_calls() -> Vec<String> {
    let api = std::fs::read_to_string(manifest_dir().join("../ui/src/lib/api.ts")).unwrap();
    let mut found: Vec<String> = api
        .match_indices("call")
        .filter_map(|(at, _)| {
            let rest = &api[at + 4..];
            let rest = match rest.strip_prefix('<') {
                // `call<T>("name"`: skip the type argument (it has no parentheses).
                Some(generic) => &generic[generic.find('>')? + 1..],
                None => rest,
            };
            let name = rest.strip_prefix("(\"")?;
            let end = name.find('"')?;
            let name = &name[..end];
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
                .then(|| name.to_string())
        })
        .collect();
    found.sort();
    found.dedup();
    assert!(found.len() > 5, "found too few calls in api.ts: {found:?}");
    found
}

#[test]
fn s5_2_the_main_window_is_granted_exactly_what_the_ui_calls() {
    let api = std::fs::read_to_string(manifest_dir().join("../ui/src/lib/api.ts")).unwrap();
    let mut expected: Vec<String> = commands_the_ui_calls()
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    // `listen(…)` from @tauri-apps/api/event, and the unlisten function it returns.
    assert!(api.contains("listen<"), "api.ts no longer listens to events");
    expected.extend([
        "core:event:allow-listen".to_string(),
        "core:event:allow-unlisten".to_string(),
    ]);
    expected.sort();
    let mut granted: Vec<String> = capabilities()
        .iter()
        .filter(|(_, c)| c["windows"].as_array().unwrap().iter().any(|w| w == "main"))
        .flat_map(|(_, c)| permission_ids(c))
        .collect();
    granted.sort();
    assert_eq!(
        granted, expected,
        "S5.2 / docs/SECURITY.md finding 10: main must be granted exactly the commands ui/src/lib/api.ts calls"
    );
}

#[test]
fn s5_1_every_declared_command_is_granted_to_main() {
    let commands = build_rs_commands();
    assert!(
        commands.iter().any(|c| c == "app_info"),
        "build.rs must declare app_info: {commands:?}"
    );
    let granted: Vec<String> = capabilities()
        .iter()
        .filter(|(_, c)| c["windows"].as_array().unwrap().iter().any(|w| w == "main"))
        .flat_map(|(_, c)| permission_ids(c))
        .collect();
    for command in commands {
        let permission = format!("allow-{}", command.replace('_', "-"));
        assert!(
            granted.contains(&permission),
            "S5.1: {permission} missing from main's capabilities"
        );
    }
}

#[test]
fn s5_3_no_devtools_feature_and_no_shell_plugin() {
    let text = std::fs::read_to_string(manifest_dir().join("Cargo.toml")).unwrap();
    let cargo: toml::Value = toml::from_str(&text).unwrap();
    let mut tables = vec![("dependencies", &cargo["dependencies"])];
    if let Some(targets) = cargo.get("target").and_then(|t| t.as_table()) {
        for target in targets.values() {
            if let Some(deps) = target.get("dependencies") {
                tables.push(("target dependencies", deps));
            }
        }
    }
    for (what, deps) in tables {
        let deps = deps.as_table().unwrap();
        assert!(
            !deps.contains_key("tauri-plugin-shell"),
            "S5.2: tauri-plugin-shell in {what}"
        );
        if let Some(features) = deps
            .get("tauri")
            .and_then(|t| t.get("features"))
            .and_then(|f| f.as_array())
        {
            assert!(
                !features.iter().any(|f| f.as_str() == Some("devtools")),
                "S5.3: the devtools feature ships the inspector in release ({what})"
            );
        }
    }
}

#[test]
fn deep_link_scheme_and_identity() {
    let conf = conf();
    assert_eq!(conf["identifier"], "dev.hubkey.app");
    assert_eq!(conf["productName"], "Hubkey");
    assert_eq!(
        conf["plugins"]["deep-link"]["desktop"]["schemes"],
        serde_json::json!(["hubkey"])
    );
    let windows = conf["app"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["label"], "main");
    assert_eq!(windows[0]["title"], "Hubkey");
}

/// The commands build.rs declared: one permission file each in permissions/autogenerated/ (build.rs reads them
/// from the IPC table, src/ipc/mod.rs).
fn build_rs_commands() -> Vec<String> {
    let dir = manifest_dir().join("permissions/autogenerated");
    let mut commands: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
        .filter(|n| n != "reference")
        .collect();
    commands.sort();
    commands
}

#[test]
fn s5_1_build_rs_declares_exactly_the_registered_commands() {
    // The IPC table feeds both generate_handler! (ipc::handler) and ipc::COMMANDS.
    let mut registered: Vec<String> = hubkey_desktop_lib::ipc::COMMANDS
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut declared = build_rs_commands();
    registered.sort();
    declared.sort();
    assert_eq!(
        registered, declared,
        "S5.1: a command registered but not declared in build.rs is denied; one declared but not registered is dead"
    );
}

#[test]
fn s5_2_the_ui_may_listen_to_events_but_not_emit_them() {
    for (path, capability) in capabilities() {
        for permission in permission_ids(&capability) {
            let p = permission.as_str();
            assert!(
                !matches!(
                    p,
                    "core:default"
                        | "core:event:default"
                        | "core:event:allow-emit"
                        | "core:event:allow-emit-to"
                ),
                "S5.2: {} grants {p}: the webview must not forge host events",
                path.display()
            );
            assert!(
                !p.starts_with("core:window:")
                    && !p.starts_with("core:webview:")
                    && !p.starts_with("notification:"),
                "S5.2: {} grants {p}, which the UI does not use",
                path.display()
            );
        }
    }
}
