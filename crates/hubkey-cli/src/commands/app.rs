//! `hubkey app add|list|remove`: the HubSpot apps Hubkey knows. The client secret goes to the
//! keychain (read from stdin or a no-echo prompt); the rest to the index.

use super::context;
use crate::cli::AppAddArgs;
use crate::explain;
use crate::failure::Failure;
use crate::output::Output;
use crate::render;
use crate::secret_input;
use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::draft::{AppDraft, Field, Level};
use hubkey_core::preflight::{preflight, PreflightEnv};
use hubkey_core::Error;

/// The draft the flags describe, with the flag rules that are the CLI's own (`--mcp` with `--no-pkce`). The
/// registration rules themselves are hubkey-core's ([`AppDraft::validate`]), the window's too.
fn draft_from_args(args: &AppAddArgs) -> Result<AppDraft, Error> {
    if args.mcp && args.no_pkce {
        return Err(Error::Config(
            "--no-pkce is for standard apps: HubSpot requires PKCE for MCP auth apps".into(),
        ));
    }
    Ok(AppDraft {
        name: args.name.clone(),
        client_id: args.client_id.clone(),
        redirect_uri: args.redirect_uri.clone(),
        scopes: args.scopes.clone(),
        optional_scopes: args.optional_scopes.clone().unwrap_or_default(),
        kind: if args.mcp { AppKind::Mcp } else { AppKind::Standard },
        pkce: Some(!args.no_pkce),
    })
}

/// The draft, refused (exit 2, the window's message) when the registration rules find errors; the flags
/// concerned are named in the hint.
fn checked_draft(args: &AppAddArgs) -> Result<AppDraft, Failure> {
    let draft = draft_from_args(args)?;
    let validation = draft.validate(None);
    if validation.ok {
        return Ok(draft);
    }
    let flags: Vec<&str> = validation
        .issues
        .iter()
        .filter(|i| i.level == Level::Error)
        .map(|i| flag_of(i.field))
        .fold(Vec::new(), |mut seen, f| {
            if !seen.contains(&f) {
                seen.push(f);
            }
            seen
        });
    Err(Failure::with_hint(
        Error::InvalidInput(validation.error_message()),
        format!("Correct {} and run `hubkey app add` again.", flags.join(", ")),
    ))
}

/// The flag (or argument) that sets a field of the registration.
fn flag_of(field: Field) -> &'static str {
    match field {
        Field::Name => "the app NAME",
        Field::ClientId => "--client-id",
        Field::ClientSecret => "the client secret on stdin",
        Field::RedirectUri => "--redirect-uri",
        Field::Scopes => "--scopes",
        Field::OptionalScopes => "--optional-scopes",
    }
}

pub async fn add(args: AppAddArgs, out: &mut Output) -> Result<(), Failure> {
    let draft = checked_draft(&args)?;
    let hubkey = context()?;
    let name = draft.to_config().name;
    hubkey
        .check_name_free(&name, args.replace)
        .await
        .map_err(|e| Failure::with_hint(e, "Add --replace to replace it.".to_string()))?;
    let secret = secret_input::read_client_secret(&name)?;
    let app = hubkey.register_app(&draft, secret, args.replace).await?.app;
    let kind = match (app.kind, app.uses_pkce()) {
        (AppKind::Standard, true) => "standard app",
        (AppKind::Standard, false) => "standard app, without PKCE",
        (AppKind::Mcp, _) => "MCP auth app",
    };
    if args.json {
        out.json(&AppJson { app: &app })?;
    } else {
        out.line(&format!(
        "Saved the app {} ({kind}, client id {}); its client secret is in the keychain. Connect a portal with `hubkey login --app {}`.",
        app.name, app.client_id, app.name
    ))?;
    }
    // HubSpot's rules, as `hubkey login` will check them (without the port check: nothing listens yet
    // and the port may be busy now for unrelated reasons).
    let report = preflight(&app, &PreflightEnv::without_port_check());
    for line in explain::registration_notes(&report) {
        out.note(&line);
    }
    Ok(())
}

/// `app add --json`: `{"app": {...}}`, one `app list --json` entry.
#[derive(serde::Serialize)]
struct AppJson<'a> {
    app: &'a AppConfig,
}

#[derive(serde::Serialize)]
struct AppsJson<'a> {
    apps: &'a [AppConfig],
}

pub async fn list(json: bool, out: &mut Output) -> Result<(), Failure> {
    let apps = context()?.apps().await?;
    if json {
        out.json(&AppsJson { apps: &apps })?;
    } else if apps.is_empty() {
        out.line("No apps. Add one with `hubkey app add NAME --client-id … --redirect-uri … --scopes …`.")?;
    } else {
        for line in render::apps_table(&apps) {
            out.line(&line)?;
        }
    }
    Ok(())
}

pub async fn remove(name: &str, json: bool, out: &mut Output) -> Result<(), Failure> {
    match context()?.remove_app(name).await {
        Ok(()) => {}
        Err(e @ Error::Config(_)) => {
            return Err(Failure::with_hint(
                e,
                format!("Run `hubkey logout --app {name} --portal HUB_ID` for each portal first."),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    if json {
        out.json(&serde_json::json!({ "removed": name }))?;
    } else {
        out.line(&format!("Removed the app {name} and its client secret."))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(scopes: &str) -> AppAddArgs {
        AppAddArgs {
            name: "a".into(),
            client_id: "id".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: scopes.into(),
            optional_scopes: None,
            mcp: false,
            no_pkce: false,
            replace: false,
            json: false,
        }
    }

    #[test]
    fn given_scopes_separated_by_spaces_or_commas_when_split_then_each_is_kept_once_in_order() {
        let draft = checked_draft(&args(" oauth  crm.a.read,crm.b.read ")).unwrap();
        assert_eq!(
            draft.to_config().scopes,
            vec!["oauth", "crm.a.read", "crm.b.read"]
        );
        assert_eq!(checked_draft(&args("  ")).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn given_a_bad_redirect_when_building_the_app_then_it_is_a_config_error() {
        let args = AppAddArgs {
            name: "a".into(),
            client_id: "id".into(),
            redirect_uri: "not a url".into(),
            scopes: "oauth".into(),
            optional_scopes: None,
            mcp: false,
            no_pkce: false,
            replace: false,
            json: false,
        };
        assert_eq!(checked_draft(&args).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn given_a_scope_with_url_characters_when_building_the_app_then_it_is_refused_but_unknown_names_are_kept()
    {
        let mut args = AppAddArgs {
            name: "a".into(),
            client_id: "id".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: "oauth crm.objects.contacts.read&x=1".into(),
            optional_scopes: None,
            mcp: false,
            no_pkce: false,
            replace: false,
            json: false,
        };
        let err = checked_draft(&args).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.line().contains("--scopes"), "{err:?}");
        args.scopes = "oauth zz.made.up crm.objects.tasks.write".into();
        assert_eq!(
            checked_draft(&args).unwrap().to_config().scopes,
            vec!["oauth", "zz.made.up", "crm.objects.tasks.write"]
        );
    }

    #[test]
    fn given_mcp_flag_when_building_the_app_then_it_is_an_mcp_app_with_pkce() {
        let args = AppAddArgs {
            name: "m".into(),
            client_id: "id".into(),
            redirect_uri: "http://localhost:53683/callback".into(),
            scopes: "oauth crm.objects.contacts.read".into(),
            optional_scopes: Some("crm.objects.deals.read".into()),
            mcp: true,
            no_pkce: false,
            replace: false,
            json: false,
        };
        let app = checked_draft(&args).unwrap().to_config();
        assert_eq!(app.kind, AppKind::Mcp);
        assert!(app.uses_pkce());
        assert_eq!(app.optional_scopes, vec!["crm.objects.deals.read"]);
    }

    #[test]
    fn given_no_pkce_when_building_the_app_then_a_standard_app_keeps_it_off_and_an_mcp_app_refuses_it() {
        let mut args = AppAddArgs {
            name: "s".into(),
            client_id: "id".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: "oauth".into(),
            optional_scopes: None,
            mcp: false,
            no_pkce: true,
            replace: false,
            json: false,
        };
        let app = checked_draft(&args).unwrap().to_config();
        assert!(!app.pkce && !app.uses_pkce());
        args.no_pkce = false;
        assert!(
            checked_draft(&args).unwrap().to_config().uses_pkce(),
            "PKCE is on by default"
        );
        args.mcp = true;
        args.no_pkce = true;
        assert_eq!(checked_draft(&args).unwrap_err().exit_code(), 2);
    }
}
