//! The IPC contract: every command the window may call and every event it may receive, in one table
//! ([`ipc_table!`]). The table feeds `tauri::generate_handler!` ([`handler`]), the event names
//! ([`LOGIN_FINISHED`]…), the command list ([`COMMANDS`]), build.rs's permission files (it reads the
//! command names from this file) and, in tests/it/bindings.rs, the generator of `ui/src/lib/api.ts` (typed
//! wrappers and event names) with its freshness test. The argument, result and payload types are
//! hubkey-core's own (`hubkey_core::view` and the domain types), exported to TypeScript by ts-rs.
//!
//! The commands live in one module per feature. Each parses its input, calls [`hubkey_core::Hubkey`] and
//! maps the error to [`CommandError`]; none returns or emits a secret (tests/it/ipc.rs checks every response
//! and event, threat-model.md S3). State changes reach the window as events from the core, fanned out in
//! [`crate::background`], never from here.

pub mod ai_clients;
pub mod apps;
pub mod connections;
pub mod diagnostics;
pub mod login;
pub mod settings;
pub mod update;

pub use hubkey_core::view::CommandError;

/// What every command returns.
pub type CmdResult<T> = Result<T, CommandError>;

/// The table: `module::command => tsFunction(param: Args) -> Result;` for each command, then
/// `NAME = "event-name": Payload;` for each event. Calls `$callback!` with it.
#[macro_export]
macro_rules! ipc_table {
    ($callback:ident) => {
        $callback! {
            commands {
                apps::app_info => getAppInfo() -> hubkey_core::view::AppInfo;
                apps::validate_app => validateApp(args: hubkey_core::view::RegisterAppArgs) -> hubkey_core::draft::AppValidation;
                apps::register_app => registerApp(args: hubkey_core::view::RegisterAppArgs) -> hubkey_core::view::RegisterAppResult;
                apps::list_apps => listApps() -> Vec<hubkey_core::view::AppView>;
                apps::remove_app => removeApp(args: hubkey_core::view::AppArgs) -> ();
                apps::copy_redirect_url => copyRedirectUrl(args: hubkey_core::view::CopyRedirectArgs) -> ();
                apps::page_ready => pageReady(timings: hubkey_core::view::PageTimings) -> ();
                login::start_login => startLogin(args: hubkey_core::view::StartLoginArgs) -> hubkey_core::view::LoginStarted;
                login::cancel_login => cancelLogin(args: hubkey_core::view::AppArgs) -> bool;
                login::login_state => loginState() -> hubkey_core::view::LoginState;
                connections::list_connections => listConnections() -> Vec<hubkey_core::view::ConnectionView>;
                connections::copy_token => copyToken(args: hubkey_core::view::CopyTokenArgs) -> hubkey_core::view::CopyAck;
                connections::refresh_now => refreshNow(args: hubkey_core::view::ConnectionArgs) -> hubkey_core::view::ConnectionView;
                connections::sign_out => signOut(args: hubkey_core::view::SignOutArgs) -> hubkey_core::view::SignOutView;
                diagnostics::preflight_app => preflightApp(args: hubkey_core::view::AppArgs) -> hubkey_core::view::PreflightView;
                diagnostics::scope_suggestions => scopeSuggestions(args: hubkey_core::view::ScopeSuggestionsArgs) -> Vec<hubkey_core::view::ScopeInfoView>;
                diagnostics::install_guide => loadInstallGuide() -> Vec<hubkey_core::install_guide::InstallFailure>;
                diagnostics::check_mcp => checkMcp(args: hubkey_core::view::ConnectionArgs) -> hubkey_core::view::McpCheckView;
                diagnostics::doctor => runDoctor() -> hubkey_core::view::DoctorView;
                ai_clients::ai_clients => aiClients(args: hubkey_core::view::ConnectionArgs) -> hubkey_core::view::AiClientsView;
                ai_clients::install_ai_client => installAiClient(args: hubkey_core::view::AiClientArgs) -> hubkey_core::view::AiClientInstalled;
                ai_clients::copy_ai_snippet => copyAiSnippet(args: hubkey_core::view::AiClientArgs) -> ();
                update::update_available => updateAvailable() -> Option<hubkey_core::view::UpdateView>;
                update::install_update => installUpdate() -> ();
                settings::start_at_login => startAtLogin() -> hubkey_core::view::StartAtLoginView;
                settings::set_start_at_login => setStartAtLogin(args: hubkey_core::view::StartAtLoginArgs) -> hubkey_core::view::StartAtLoginView;
            }
            events {
                LOGIN_FINISHED = "login-finished": hubkey_core::view::LoginFinished;
                CONNECTION_CHANGED = "connection-changed": hubkey_core::view::ConnectionView;
                CONNECTIONS_RELOAD = "connections-reload": ();
                UPDATE_AVAILABLE = "update-available": hubkey_core::view::UpdateView;
            }
        }
    };
}

/// The items the table makes in this crate: the command names and the event names.
macro_rules! ipc_items {
    (
        commands { $($module:ident :: $name:ident => $ts:ident ($($param:ident : $args:ty)?) -> $result:ty;)* }
        events { $($event:ident = $event_name:literal : $payload:ty;)* }
    ) => {
        /// Every command, by name (what build.rs declares and capabilities/default.json grants).
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];
        $(
            #[doc = concat!("Event `", $event_name, "`.")]
            pub const $event: &str = $event_name;
        )*
    };
}
ipc_table!(ipc_items);

/// `tauri::generate_handler!` over every command of the table.
macro_rules! ipc_handler {
    (
        commands { $($module:ident :: $name:ident => $ts:ident ($($param:ident : $args:ty)?) -> $result:ty;)* }
        events { $($event:ident = $event_name:literal : $payload:ty;)* }
    ) => {
        tauri::generate_handler![$($module::$name),*]
    };
}

/// The invoke handler of every command.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    ipc_table!(ipc_handler)
}
