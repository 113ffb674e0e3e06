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
use hubkey_core::preflight::{preflight, PreflightEnv};
use hubkey_core::scopes::is_scope_token;
use hubkey_core::Error;

/// Splits a scope list given as one argument ("a b", also "a,b").
pub fn split_scopes(raw: &str) -> Vec<String> {
    raw.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn app_from_args(args: &AppAddArgs) -> Result<AppConfig, Error> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err(Error::Config("the app name is empty".into()));
    }
    let client_id = args.client_id.trim();
    if client_id.is_empty() {
        return Err(Error::Config("--client-id is empty".into()));
    }
    let redirect = url::Url::parse(args.redirect_uri.trim()).map_err(|e| {
        Error::Config(format!(
            "--redirect-uri {:?} is not a URL ({e})",
            args.redirect_uri
        ))
    })?;
    if !matches!(redirect.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "--redirect-uri must be an http://localhost or https URL, not {}",
            args.redirect_uri
        )));
    }
    if args.mcp && args.no_pkce {
        return Err(Error::Config(
            "--no-pkce is for standard apps: HubSpot requires PKCE for MCP auth apps".into(),
        ));
    }
    let scopes = split_scopes(&args.scopes);
    if scopes.is_empty() {
        return Err(Error::Config("--scopes is empty".into()));
    }
    let optional_scopes = args
        .optional_scopes
        .as_deref()
        .map(split_scopes)
        .unwrap_or_default();
    // The one hard rule on names (the URL builder's): a word with URL characters can never be sent.
    // A name HubSpot may not know is only a warning, printed after saving.
    for (flag, list) in [("--scopes", &scopes), ("--optional-scopes", &optional_scopes)] {
        if let Some(bad) = list.iter().find(|s| !is_scope_token(s)) {
            return Err(Error::Config(format!(
                "{flag}: {:?} is not a scope name (scope names have only letters, digits, '.', '_', '-' and ':')",
                bad.chars().take(60).collect::<String>()
            )));
        }
    }
    Ok(AppConfig {
        name: name.to_string(),
        client_id: client_id.to_string(),
        // Kept exactly as typed (trimmed): HubSpot compares it byte for byte.
        redirect_uri: args.redirect_uri.trim().to_string(),
        scopes,
        optional_scopes,
        kind: if args.mcp { AppKind::Mcp } else { AppKind::Standard },
        pkce: !args.no_pkce,
    })
}

pub async fn add(args: AppAddArgs, out: &mut Output) -> Result<(), Failure> {
    let app = app_from_args(&args)?;
    let hubkey = context()?;
    let secret = secret_input::read_client_secret(&app.name)?;
    hubkey.store().save_app(&app, &secret).await?;
    let kind = match (app.kind, app.uses_pkce()) {
        (AppKind::Standard, true) => "standard app",
        (AppKind::Standard, false) => "standard app, without PKCE",
        (AppKind::Mcp, _) => "MCP auth app",
    };
    out.line(&format!(
        "Saved the app {} ({kind}, client id {}); its client secret is in the keychain. Connect a portal with `hubkey login --app {}`.",
        app.name, app.client_id, app.name
    ))?;
    // HubSpot's rules, as `hubkey login` will check them (without the port check: nothing listens yet
    // and the port may be busy now for unrelated reasons).
    let report = preflight(&app, &PreflightEnv::without_port_check());
    for line in explain::registration_notes(&report) {
        out.note(&line);
    }
    Ok(())
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

pub async fn remove(name: &str, out: &mut Output) -> Result<(), Failure> {
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
    out.line(&format!("Removed the app {name} and its client secret."))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_scopes_separated_by_spaces_or_commas_when_split_then_each_is_kept_once_in_order() {
        assert_eq!(
            split_scopes(" oauth  crm.a.read,crm.b.read "),
            vec!["oauth", "crm.a.read", "crm.b.read"]
        );
        assert!(split_scopes("  ").is_empty());
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
        };
        assert_eq!(app_from_args(&args).unwrap_err().exit_code(), 2);
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
        };
        let err = app_from_args(&args).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--scopes"), "{err}");
        args.scopes = "oauth zz.made.up crm.objects.tasks.write".into();
        assert_eq!(
            app_from_args(&args).unwrap().scopes,
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
        };
        let app = app_from_args(&args).unwrap();
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
        };
        let app = app_from_args(&args).unwrap();
        assert!(!app.pkce && !app.uses_pkce());
        args.no_pkce = false;
        assert!(app_from_args(&args).unwrap().uses_pkce(), "PKCE is on by default");
        args.mcp = true;
        args.no_pkce = true;
        assert_eq!(app_from_args(&args).unwrap_err().exit_code(), 2);
    }
}
