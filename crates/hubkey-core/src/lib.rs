//! Hubkey's core: everything that does not need Tauri.
//!
//! The desktop host (`src-tauri`) and the `hubkey` CLI are thin shells over this crate, so that the
//! OAuth logic, the token lifecycle and the error vocabulary are tested once, over real HTTP,
//! against the HubSpot sandbox in `tests/hubspot-sandbox`.
//!
//! Map of the modules:
//! - [`secret`]: the types that hold secret values, one per role (client secret, access and
//!   refresh token, code, verifier, state), each with a redacted `Debug`, wiped on drop.
//! - [`ids`]: [`ConnectionKey`], which connection a call is about.
//! - [`error`]: one closed error enum with stable codes the UI and the CLI act on.
//! - [`config`]: HubSpot endpoints (real HubSpot by default, overridable by env) and paths.
//! - [`clock`]: time is passed in, never read inside the logic.
//! - [`files`]: the home folder and its files, which another local user must not be able to steer.
//! - [`app`]: a registered HubSpot app (client id, redirect URL, scopes), without its secret.
//! - [`client`]: HubSpot's OAuth endpoints: authorize URL, exchange, refresh, introspect, revoke.
//! - [`http`]: the HTTP clients (proxies for https only, never for a plain-http sandbox).
//! - [`token`]: the token set and the metadata learnt from introspection.
//! - [`callback`], [`login`], [`loopback`]: one login from the browser back to a token set.
//! - [`hubkey`]: [`Hubkey`], the use cases behind one facade (register, log in, refresh, sign out,
//!   copy, check, list) and the one composition root, [`Hubkey::from_env`].
//! - [`browser`]: the one `$BROWSER` parser, and what may be opened in a browser.
//! - [`launch`]: the authorize URL handed to the browser in a private file, never on a command line.
//! - [`refresher`]: keeps every connection's access token fresh (single-flight, across processes).
//! - [`store`]: where secrets (keychain) and the non-secret index live.
//! - [`text`]: server-supplied text made safe for terminals and logs.
//! - [`scopes`]: the scope catalog (what each scope grants, tiers, legacy names) and `ScopeDiff`.
//! - [`draft`]: [`draft::AppDraft`], a registration as typed, and the one set of rules it must pass.
//! - [`view`]: what crosses the desktop app's IPC (arguments, results, events, [`view::CommandError`]).
//! - [`preflight`]: HubSpot's rules checked before the browser opens (stable finding ids).
//! - [`install_guide`]: HubSpot's install-error pages explained (cause and fix), as data.
//! - [`mcp`]: does HubSpot's MCP server accept a token (JSON-RPC `initialize`).
//! - [`doctor`]: building blocks of `hubkey doctor` (preflight, keychain, reachability).

pub mod app;
pub mod browser;
pub mod callback;
pub mod client;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod draft;
pub mod error;
pub mod files;
pub mod http;
pub mod hubkey;
pub mod ids;
pub mod install_guide;
pub mod launch;
pub mod login;
pub mod loopback;
pub mod mcp;
pub mod preflight;
pub mod process;
pub mod refresher;
pub mod scopes;
pub mod secret;
pub mod store;
pub mod text;
pub mod token;
pub mod view;

pub use error::{Error, ErrorCode, Result};
pub use hubkey::Hubkey;
pub use ids::ConnectionKey;
pub use secret::{
    AccessToken, AuthCode, ClientSecret, CopyAs, CsrfState, ExposeSecret, PkceVerifier, RefreshToken, Secret,
};
