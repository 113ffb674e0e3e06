//! The HTML the emulated HubSpot shows in the browser: error pages, the account picker, the consent
//! screen and a small index.
//!
//! Pages are self-contained (inline CSS, no scripts, no external resources) so they render in a
//! headless WebDriver without network. Every page carries stable hooks for tests:
//! `data-sandbox-page="error|picker|consent|cancelled|index"`, and error pages also
//! `data-sandbox-error="<kind>"` plus an `X-Sandbox-Error` response header.
//!
//! Error pages answer **HTTP 200**: HubSpot's authorize page is a client-side SPA that returns the
//! same 200 shell whatever is wrong (hubspot-oauth.md §1.1), so a status code must never be what a
//! client relies on. They never redirect.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;\
background:#f5f8fa;color:#33475b;margin:0}\
header{background:#2d3e50;color:#fff;padding:12px 24px;font-weight:600;letter-spacing:.02em}\
header span{color:#ff7a59}\
main{max-width:560px;margin:48px auto;background:#fff;border:1px solid #cbd6e2;border-radius:6px;padding:32px}\
h1{font-size:22px;margin-top:0}\
.error-message{color:#c3362b;font-weight:500}\
.detail{color:#516f90;font-size:14px}\
ul.scopes{padding-left:20px} ul.scopes li{margin:4px 0} code{font-size:13px}\
li.disabled{color:#99afc4;text-decoration:line-through}\
.meta{font-size:14px;color:#516f90}\
button{font-size:15px;border-radius:3px;padding:10px 20px;cursor:pointer;margin-right:8px}\
button.primary{background:#ff7a59;border:1px solid #ff7a59;color:#fff}\
button.secondary{background:#fff;border:1px solid #ff7a59;color:#ff7a59}\
a.account{display:block;border:1px solid #cbd6e2;border-radius:4px;padding:12px;margin:8px 0;\
text-decoration:none;color:#33475b} a.account:hover{border-color:#ff7a59}";

fn layout(title: &str, page: &str, extra_attrs: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head>\
<body><header>Hub<span>Spot</span> <small>(sandbox)</small></header>\
<main data-sandbox-page=\"{page}\"{extra_attrs}>{body}</main></body></html>\n",
        title = text(title),
    )
}

/// Why the authorize step failed. Each kind maps to HubSpot's wording (§1.3, §1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthorizeError {
    /// §1.3 rule 5.
    InvalidClientId,
    /// §1.8 rule 3: not byte-equal to a registered redirect URL.
    RedirectMismatch(String),
    /// §1.8 rules 1-2: not https, not http://localhost, or an IP literal. UNCERTAIN wording.
    RedirectNotAllowed(String),
    /// §1.3 rule 1.
    InsufficientScopes,
    /// §1.3 rule 2.
    ScopeMismatch,
    /// §1.3 rule 3.
    InvalidScopeName,
    /// §1.3 rule 4: the account lacks the tier/tool for these required scopes.
    AccountLacksScopes(Vec<String>),
    /// §1.9: neither Super Admin nor App Marketplace Access. UNCERTAIN wording.
    NoInstallPermission,
    /// §1.3 rule 6.
    GovernanceUnapproved(Vec<String>),
    /// §1.3 rule 7.
    AupUnsigned,
    /// §1.3 rule 8.
    InstallLinkRetired,
    /// `/oauth/{portalId}/authorize` for an account the signed-in user is not in. UNCERTAIN wording.
    UnknownPortal(String),
    /// The `login_as` user belongs to no account (a sandbox configuration problem).
    UnknownLogin(String),
    /// MCP authorize without `code_challenge` (§1.4). UNCERTAIN wording.
    PkceRequired,
    /// `code_challenge_method` other than S256, or a malformed challenge. UNCERTAIN wording.
    PkceInvalid,
    /// MCP authorize with a `response_type` other than `code`. UNCERTAIN wording.
    UnsupportedResponseType(String),
    /// The consent form was submitted for an unknown or expired request. UNCERTAIN wording.
    ConsentExpired,
}

impl AuthorizeError {
    /// Stable machine-readable kind (`data-sandbox-error`, `X-Sandbox-Error`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            AuthorizeError::InvalidClientId => "invalid_client_id",
            AuthorizeError::RedirectMismatch(_) => "redirect_uri_mismatch",
            AuthorizeError::RedirectNotAllowed(_) => "redirect_uri_not_allowed",
            AuthorizeError::InsufficientScopes => "insufficient_scopes",
            AuthorizeError::ScopeMismatch => "scope_mismatch",
            AuthorizeError::InvalidScopeName => "invalid_scope_name",
            AuthorizeError::AccountLacksScopes(_) => "account_lacks_scopes",
            AuthorizeError::NoInstallPermission => "no_install_permission",
            AuthorizeError::GovernanceUnapproved(_) => "governance_unapproved",
            AuthorizeError::AupUnsigned => "aup_unsigned",
            AuthorizeError::InstallLinkRetired => "install_link_retired",
            AuthorizeError::UnknownPortal(_) => "unknown_portal",
            AuthorizeError::UnknownLogin(_) => "unknown_login",
            AuthorizeError::PkceRequired => "pkce_required",
            AuthorizeError::PkceInvalid => "pkce_invalid",
            AuthorizeError::UnsupportedResponseType(_) => "unsupported_response_type",
            AuthorizeError::ConsentExpired => "consent_expired",
        }
    }

    /// Headline shown above the message.
    fn headline(&self) -> &'static str {
        match self {
            AuthorizeError::NoInstallPermission => "Request for Integration Permissions",
            AuthorizeError::AupUnsigned | AuthorizeError::InstallLinkRetired => "Unable to install app",
            _ => "Couldn't complete the connection",
        }
    }

    /// HubSpot's message.
    pub(crate) fn message(&self) -> String {
        match self {
            AuthorizeError::InvalidClientId => {
                "An invalid client_id was provided. Please contact the app developer.".to_owned()
            }
            AuthorizeError::RedirectMismatch(uri) => format!(
                "Authorization failed as the redirect URL '{uri}' doesn't match the app's registered redirect URL"
            ),
            AuthorizeError::RedirectNotAllowed(uri) => format!(
                "Authorization failed as the redirect URL '{uri}' is not allowed. The redirect URL must use \
https (http can be used only with localhost), and you must use a domain, as IP addresses are not supported."
            ),
            AuthorizeError::InsufficientScopes => "Authorization failed because the provided scopes are \
insufficient. Please contact the app developer."
                .to_owned(),
            AuthorizeError::ScopeMismatch => "Authorization failed because there is a mismatch between the \
scopes in the install URL and the app's configured scopes. Please contact the app developer."
                .to_owned(),
            AuthorizeError::InvalidScopeName => {
                "An invalid scope name was provided. Please contact the app developer.".to_owned()
            }
            AuthorizeError::AccountLacksScopes(_) => {
                "This account doesn't have access to some HubSpot features that are required by this app."
                    .to_owned()
            }
            AuthorizeError::NoInstallPermission => "You don't have permission to install this app. Only \
Super Admins or users with App Marketplace Access permissions can connect apps to this account. Ask a Super \
Admin to install it for you."
                .to_owned(),
            AuthorizeError::GovernanceUnapproved(scopes) => format!(
                "Authorization failed because this app hasn't been approved to access the required scopes [{}]",
                scopes.join(", ")
            ),
            AuthorizeError::AupUnsigned => "The app could not be installed because the app developer has not \
signed the acceptable use policy."
                .to_owned(),
            AuthorizeError::InstallLinkRetired => "This install link is no longer valid. Please visit HubSpot's \
App Marketplace to install this app."
                .to_owned(),
            AuthorizeError::UnknownPortal(id) => {
                format!("The account {id} doesn't exist or you don't have access to it.")
            }
            AuthorizeError::UnknownLogin(email) => {
                format!("The signed-in user {email} doesn't belong to any HubSpot account in this sandbox.")
            }
            AuthorizeError::PkceRequired => "PKCE is required for authenticating with HubSpot's MCP server. \
Include code_challenge and code_challenge_method=S256."
                .to_owned(),
            AuthorizeError::PkceInvalid => "Authorization failed because the PKCE parameters are invalid: \
code_challenge must be a base64url SHA-256 value (43-128 characters) and code_challenge_method must be S256."
                .to_owned(),
            AuthorizeError::UnsupportedResponseType(rt) => {
                format!("Unsupported response_type '{rt}'. Only 'code' is supported.")
            }
            AuthorizeError::ConsentExpired => "This authorization request has expired or was already \
used. Please start the connection again from the app."
                .to_owned(),
        }
    }

    /// A second line with more detail, where HubSpot has a newer or more specific wording.
    fn detail(&self) -> Option<String> {
        match self {
            AuthorizeError::AccountLacksScopes(scopes) => Some(format!(
                "Authorization failed because your account lacks access to the required scopes [{}]",
                scopes.join(", ")
            )),
            _ => None,
        }
    }
}

/// Renders an authorize error page (HTTP 200, never a redirect).
pub(crate) fn error_page(err: &AuthorizeError) -> Response {
    let detail = err
        .detail()
        .map(|d| format!("<p class=\"detail\">{}</p>", text(&d)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1><p class=\"error-message\" id=\"error-message\">{}</p>{detail}",
        text(err.headline()),
        text(&err.message())
    );
    let extra = format!(" data-sandbox-error=\"{}\"", err.kind());
    let mut response = (
        StatusCode::OK,
        Html(layout(err.headline(), "error", &extra, &body)),
    )
        .into_response();
    response.headers_mut().insert(
        HeaderName::from_static("x-sandbox-error"),
        HeaderValue::from_static(err.kind()),
    );
    response
}

/// One account on the picker.
#[derive(Debug)]
pub(crate) struct PickerEntry {
    pub href: String,
    pub name: String,
    pub hub_id: u64,
    pub hub_domain: String,
    pub tier: String,
}

/// The account picker shown by `/oauth/authorize` when the user is in several accounts. Each entry
/// links to the account-specific authorize URL with the same query.
pub(crate) fn picker_page(app_name: &str, user_email: &str, entries: &[PickerEntry]) -> Response {
    let items: String = entries
        .iter()
        .map(|e| {
            format!(
                "<a class=\"account\" href=\"{}\" data-hub-id=\"{}\"><strong>{}</strong><br>\
<span class=\"meta\">{} · {} · ID {}</span></a>",
                attr(&e.href),
                e.hub_id,
                text(&e.name),
                text(&e.hub_domain),
                text(&e.tier),
                e.hub_id
            )
        })
        .collect();
    let body = format!(
        "<h1>Choose an account</h1><p class=\"meta\">Signed in as <strong>{}</strong>. \
Select the account to connect to <strong>{}</strong>.</p>{items}",
        text(user_email),
        text(app_name)
    );
    Html(layout("Choose an account", "picker", "", &body)).into_response()
}

/// What the consent screen shows.
#[derive(Debug)]
pub(crate) struct ConsentView<'a> {
    pub form_action: &'a str,
    pub pending_id: &'a str,
    pub app_name: &'a str,
    pub portal_name: &'a str,
    pub hub_id: u64,
    pub hub_domain: &'a str,
    pub user_email: &'a str,
    pub scopes: &'a [String],
    /// Scopes shown disabled (user-level apps: the user lacks the permission).
    pub disabled_scopes: &'a [String],
}

/// The consent screen with a real "Grant access" button posting the pending id.
pub(crate) fn consent_page(view: &ConsentView<'_>) -> Response {
    let mut items: String = view
        .scopes
        .iter()
        .map(|s| format!("<li data-scope=\"{0}\"><code>{1}</code></li>", attr(s), text(s)))
        .collect();
    items.extend(view.disabled_scopes.iter().map(|s| {
        format!(
            "<li class=\"disabled\" data-scope-disabled=\"{0}\"><code>{1}</code> (you don't have permission)</li>",
            attr(s),
            text(s)
        )
    }));
    let body = format!(
        "<h1>Connect {app} to your HubSpot account</h1>\
<p class=\"meta\">Account: <strong id=\"account-name\">{portal}</strong> ({domain}, ID <span id=\"hub-id\">{hub}</span>)<br>\
Signed in as <strong id=\"user-email\">{user}</strong></p>\
<p>{app} is requesting access to:</p><ul class=\"scopes\">{items}</ul>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"pending_id\" value=\"{pending}\">\
<button type=\"submit\" class=\"primary\" id=\"grant-access\" name=\"decision\" value=\"grant\">Grant access</button>\
<button type=\"submit\" class=\"secondary\" id=\"cancel\" name=\"decision\" value=\"cancel\">Cancel</button>\
</form>",
        app = text(view.app_name),
        portal = text(view.portal_name),
        domain = text(view.hub_domain),
        hub = view.hub_id,
        user = text(view.user_email),
        action = attr(view.form_action),
        pending = attr(view.pending_id),
    );
    let mut response = Html(layout("Connect app", "consent", "", &body)).into_response();
    // The page holds a single-use id: keep it out of caches.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

/// Shown when the user presses Cancel: HubSpot sends no request to the app (§1.6).
pub(crate) fn cancelled_page(app_name: &str) -> Response {
    let body = format!(
        "<h1>Connection cancelled</h1><p>{} was not connected. You can close this page.</p>",
        text(app_name)
    );
    Html(layout("Connection cancelled", "cancelled", "", &body)).into_response()
}

/// One app on the index page.
#[derive(Debug)]
pub(crate) struct IndexApp {
    pub name: String,
    pub client_id: String,
    pub kind: String,
    pub redirect_urls: Vec<String>,
    pub try_href: Option<String>,
}

/// `GET /` on the base listener: what this sandbox is and how to point a client at it.
pub(crate) fn index_page(base_url: &str, mcp_base_url: &str, apps: &[IndexApp]) -> Response {
    let rows: String = apps
        .iter()
        .map(|a| {
            let try_link = a
                .try_href
                .as_ref()
                .map(|h| format!(" · <a href=\"{}\">try the consent flow</a>", attr(h)))
                .unwrap_or_default();
            format!(
                "<li><strong>{}</strong> ({})<br><code>{}</code><br><span class=\"meta\">{}</span>{try_link}</li>",
                text(&a.name),
                text(&a.kind),
                text(&a.client_id),
                text(&a.redirect_urls.join(" · "))
            )
        })
        .collect();
    let body = format!(
        "<h1>HubSpot OAuth sandbox</h1><p class=\"meta\">A local emulator of HubSpot's OAuth surface. \
Fake data only.</p><pre>export HUBKEY_APP_BASE_URL={b}\nexport HUBKEY_API_BASE_URL={b}\n\
export HUBKEY_MCP_BASE_URL={m}</pre><h2>Apps</h2><ul>{rows}</ul>\
<p class=\"meta\">Control API: <code>/_sandbox/requests</code>, <code>/_sandbox/switches</code>, \
<code>/_sandbox/fixture</code>.</p>",
        b = text(base_url),
        m = text(mcp_base_url),
    );
    Html(layout("HubSpot OAuth sandbox", "index", "", &body)).into_response()
}
