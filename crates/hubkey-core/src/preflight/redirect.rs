//! The redirect URL's checks (hubspot-oauth.md §1.8): what HubSpot accepts, and what Hubkey can receive.

use super::env::{PortStatus, PreflightEnv};
use super::report::{ids, Finding, Severity};
use crate::app::AppConfig;
use crate::callback::redirect_target;
use crate::install_guide::hubspot_text as hs;
use url::Url;

const REGISTER_LOCALHOST: &str = "Register a redirect URL of the form http://localhost:PORT/PATH (e.g. \
http://localhost:53682/callback) on the app's Auth tab at HubSpot, and use exactly the same URL in Hubkey.";

pub(super) fn check_redirect(app: &AppConfig, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let uri = app.redirect_uri.as_str();
    let shown: String = uri.chars().take(200).collect();
    let invalid = |message: &str, fix: &str| {
        Finding::new(ids::REDIRECT_INVALID, Severity::Error, message, fix).about(shown.clone())
    };
    if uri.is_empty() {
        out.push(invalid(
            "The app has no redirect URL. HubSpot requires one and compares it exactly with the registered ones.",
            REGISTER_LOCALHOST,
        ));
        return;
    }
    if uri.trim() != uri || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        out.push(invalid(
            "The redirect URL contains spaces or control characters. HubSpot compares it byte for byte with the \
             registered URL, so it would not match.",
            "Remove the spaces; copy the URL from the app's Auth tab unchanged.",
        ));
        return;
    }
    let url = match Url::parse(uri) {
        Ok(u) => u,
        Err(e) => {
            out.push(invalid(
                &format!("The redirect URL is not a URL ({e})."),
                REGISTER_LOCALHOST,
            ));
            return;
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        out.push(invalid(
            "A redirect URL cannot contain a user name or password.",
            REGISTER_LOCALHOST,
        ));
        return;
    }
    if url.fragment().is_some() {
        out.push(invalid(
            "A redirect URL cannot contain a #fragment: browsers never send it, so the code could not arrive.",
            "Remove the #fragment here and at HubSpot.",
        ));
        return;
    }
    let before = out.len();
    check_redirect_shape(&url, uri, &shown, env, out);
    let found_error = out[before..].iter().any(|f| f.severity == Severity::Error);
    // Keep preflight in step with what the sign-in will actually accept.
    if !found_error {
        if let Err(e) = redirect_target(uri) {
            out.push(invalid(&e.to_string(), REGISTER_LOCALHOST));
        }
    }
}

fn check_redirect_shape(url: &Url, uri: &str, shown: &str, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        out.push(
            Finding::new(
                ids::REDIRECT_CUSTOM_SCHEME,
                Severity::Error,
                format!(
                    "HubSpot redirects only to https URLs, or http on localhost; it does not support custom \
                     schemes such as {scheme}://. HubSpot's docs: \"{}\"",
                    hs::HTTPS_REQUIRED
                ),
                "Register http://localhost:PORT/PATH, or host Hubkey's relay page on https, register its URL \
                 at HubSpot and use it in Hubkey (the relay forwards to hubkey://).",
            )
            .about(shown)
            .quoting(hs::HTTPS_REQUIRED),
        );
        return;
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some((ip.is_loopback(), ip.to_string())),
        Some(url::Host::Ipv6(ip)) => Some((ip.is_loopback(), format!("[{ip}]"))),
        _ => None,
    };
    if let Some((loopback, ip)) = ip {
        let fix = if loopback {
            let mut suggested = url.clone();
            let _ = suggested.set_host(Some("localhost"));
            let _ = suggested.set_scheme("http");
            format!(
                "Use localhost instead of {ip}: register {suggested} on the app's Auth tab at HubSpot and use \
                 it in Hubkey (Hubkey listens on both 127.0.0.1 and ::1)."
            )
        } else {
            "Use a domain name: an https page you host (Hubkey's relay page), or http://localhost:PORT/PATH."
                .to_owned()
        };
        out.push(
            Finding::new(
                ids::REDIRECT_IP_LITERAL,
                Severity::Error,
                format!(
                    "The redirect URL uses the IP address {ip}. HubSpot rejects IP addresses in redirect URLs: \
                     \"{}\"",
                    hs::IP_NOT_SUPPORTED
                ),
                fix,
            )
            .about(shown)
            .quoting(hs::IP_NOT_SUPPORTED),
        );
        return;
    }
    let localhost = matches!(url.host(), Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"));
    if url.query().is_some() {
        out.push(
            Finding::new(
                ids::REDIRECT_HAS_QUERY,
                Severity::Error,
                "The redirect URL has a query string (?…). Hubkey cannot tell HubSpot's parameters from it \
                 reliably, so it does not accept one.",
                "Register a redirect URL without a query string at HubSpot and use it in Hubkey.",
            )
            .about(shown),
        );
        return;
    }
    match (scheme, localhost) {
        ("http", false) => out.push(
            Finding::new(
                ids::REDIRECT_NOT_HTTPS,
                Severity::Error,
                format!(
                    "HubSpot requires https for redirect URLs, except http on localhost: \"{}\"",
                    hs::HTTPS_REQUIRED
                ),
                "Use http://localhost:PORT/PATH for Hubkey's loopback listener, or an https URL (Hubkey's relay \
                 page).",
            )
            .about(shown)
            .quoting(hs::HTTPS_REQUIRED),
        ),
        ("https", true) => out.push(
            Finding::new(
                ids::REDIRECT_HTTPS_LOCALHOST,
                Severity::Error,
                "The redirect URL is https on localhost. HubSpot allows it, but Hubkey's loopback listener \
                 speaks plain http (it has no certificate), so the browser could not deliver the code.",
                "Register http://localhost:PORT/PATH instead (HubSpot allows http on localhost).",
            )
            .about(shown),
        ),
        ("https", false) => out.push(
            Finding::new(
                ids::REDIRECT_RELAY,
                Severity::Info,
                "The redirect goes to an https page. It must be Hubkey's relay page, which forwards the code to \
                 the desktop app through the hubkey:// link; the CLI cannot receive it.",
                "Nothing to fix if this is your relay page; for the CLI, register http://localhost:PORT/PATH.",
            )
            .about(shown),
        ),
        _ => check_loopback_port(url, uri, shown, env, out),
    }
}

fn check_loopback_port(url: &Url, uri: &str, shown: &str, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let port = match crate::callback::redirect_target(uri) {
        Ok(crate::callback::RedirectTarget::Loopback { port, .. }) => Some(port),
        _ => url.port().filter(|p| *p != 0),
    };
    let Some(port) = port else {
        out.push(
            Finding::new(
                ids::REDIRECT_NO_PORT,
                Severity::Error,
                "The redirect URL has no explicit port. HubSpot compares the port exactly and there is no \"any \
                 loopback port\" exception, so Hubkey must listen on one fixed, registered port.",
                REGISTER_LOCALHOST,
            )
            .about(shown),
        );
        return;
    };
    match env.probe(port) {
        None | Some(PortStatus::Free) => {}
        Some(PortStatus::InUse) => out.push(
            Finding::new(
                ids::REDIRECT_PORT_BUSY,
                Severity::Error,
                format!(
                    "Port {port} on localhost is already in use by another program, so Hubkey cannot receive \
                     HubSpot's redirect there."
                ),
                format!(
                    "Stop the program listening on port {port} (find it with `lsof -i :{port}` or `netstat -ano`), \
                     or register another http://localhost port at HubSpot and use it in Hubkey."
                ),
            )
            .about(shown),
        ),
        Some(PortStatus::Unavailable(why)) => out.push(
            Finding::new(
                ids::REDIRECT_PORT_UNAVAILABLE,
                Severity::Error,
                format!("Hubkey cannot listen on port {port} on localhost ({why})."),
                "Register a port above 1024 (e.g. http://localhost:53682/callback) at HubSpot and use it in Hubkey.",
            )
            .about(shown),
        ),
    }
}
