//! The tray process: its state ([`Tray`]), the menu's actions, the refresher's events, and handing over to
//! hubkey-desktop when the window is wanted.
//!
//! Threads: GTK's main loop owns the tray icon (menu.rs); a one-worker Tokio runtime runs the refresher, the
//! keychain and HubSpot calls, and the clipboard's clearing; menu rebuilds are sent back to the GTK thread with
//! `MainContext::invoke`.

use std::ffi::OsString;
use std::sync::Arc;

use hubkey_core::hubkey::Change;
use hubkey_core::refresher::ConnectionEvent;
use hubkey_core::store::ConnectionState;
use hubkey_core::Hubkey;

use hubkey_shell::autostart::{self, Autostart};
use hubkey_shell::copy::TokenCopier;
use hubkey_shell::debounce::{Debounce, TRAY_MAX_WAIT, TRAY_QUIET};
use hubkey_shell::handoff;
use hubkey_shell::notifications::{reauth_notice, Notified};
use hubkey_shell::tray_actions::{react, Task, TrayAction, TrayHost, TrayServices};
use hubkey_shell::tray_menu::{health, items};
use hubkey_shell::{localtime, logging};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use tokio::sync::broadcast::error::RecvError;

use crate::{menu, single_instance};

/// The tray's state, shared by the GTK thread, the D-Bus thread and the runtime.
pub struct Tray {
    runtime: tokio::runtime::Handle,
    services: TrayServices,
    notified: Notified,
    rebuild: Arc<Debounce>,
}

pub fn run() -> Result<(), String> {
    // Before any thread exists (see localtime).
    localtime::init();
    let home = hubkey_core::config::home_dir().map_err(|e| e.to_string())?;
    let log = logging::init(&home, "tray").map_err(|e| e.to_string())?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %log.display(), "Hubkey tray starting (no WebKit)");
    let argv: Vec<String> = std::env::args().collect();
    handoff::reap_inherited(&argv);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("hubkey-tray-rt")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let tray = Arc::new(Tray::from_env(&runtime)?);

    // Own the name before anything shows: a second Hubkey does not start a second tray.
    let second = Arc::clone(&tray);
    let on_second_launch: single_instance::OnSecondLaunch = Arc::new(move |argv| second.second_launch(argv));
    let Some(_name) = single_instance::own(on_second_launch).map_err(|e| format!("D-Bus: {e}"))? else {
        tracing::info!("Hubkey is already running; this tray exits");
        return Ok(());
    };

    gtk::init().map_err(|e| format!("cannot open the display: {e}"))?;
    let connections = runtime
        .block_on(tray.services.hubkey.connections())
        .unwrap_or_else(|e| {
            tracing::warn!(code = e.code().as_str(), "cannot read the connections: {e}");
            Vec::new()
        });
    menu::build(
        &items(
            &connections,
            OffsetDateTime::now_utc(),
            localtime::offset(),
            autostart::state(tray.services.autostart.as_ref()),
        ),
        health(&connections),
    )?;
    let handler = Arc::clone(&tray);
    tray_icon::menu::MenuEvent::set_event_handler(Some(move |event: tray_icon::menu::MenuEvent| {
        handler.menu_clicked(event.id().as_ref());
    }));
    tray.start_refresher(&runtime);
    tracing::info!("tray ready");
    gtk::main();
    tracing::info!("Hubkey tray exiting");
    drop(runtime);
    Ok(())
}

impl Tray {
    /// From the environment, as hubkey-desktop's host: endpoints, `HUBKEY_HOME`, `HUBKEY_KEYCHAIN_SERVICE`, the
    /// clipboard delay. Touches neither the network nor the keychain.
    fn from_env(runtime: &Runtime) -> Result<Tray, String> {
        let secrets = hubkey_keychain::KeyringStore::from_env().map_err(|e| e.to_string())?;
        let hubkey = Hubkey::from_env(Arc::new(secrets)).map_err(|e| e.to_string())?;
        let copier = TokenCopier::from_env(hubkey.store().home());
        Ok(Tray {
            runtime: runtime.handle().clone(),
            services: TrayServices {
                hubkey,
                copier: Arc::new(copier),
                autostart: Autostart::for_this_install(),
            },
            notified: Notified::default(),
            rebuild: Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT)),
        })
    }

    fn start_refresher(self: &Arc<Self>, runtime: &Runtime) {
        // Subscribe before the scheduler runs, so its first events are not missed.
        let mut changes = self.services.hubkey.subscribe();
        runtime.spawn(
            self.services
                .hubkey
                .refresher()
                .clone()
                .run(std::future::pending::<()>()),
        );
        let me = Arc::clone(self);
        runtime.spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(Change::Connection(event)) => me.on_event(event).await,
                    Ok(_) | Err(RecvError::Lagged(_)) => me.rebuild_soon(),
                    Err(RecvError::Closed) => break,
                }
            }
        });
        tracing::info!("background refresh started");
    }

    /// A connection changed state: one notification per re-authorization incident, and a menu rebuild.
    async fn on_event(self: &Arc<Self>, event: ConnectionEvent) {
        match event.state {
            ConnectionState::NeedsReauth => {
                let stored = self
                    .services
                    .hubkey
                    .store()
                    .index()
                    .await
                    .ok()
                    .and_then(|ix| ix.connection(&event.key.app, event.key.hub_id).cloned());
                if let Some(conn) = stored {
                    if self.notified.first(&conn.app, conn.hub_id) {
                        let (title, body) = reauth_notice(&conn);
                        self.runtime.spawn_blocking(move || notify(&title, body));
                    }
                }
            }
            ConnectionState::Fresh => self.notified.clear(&event.key.app, event.key.hub_id),
            ConnectionState::Refreshing | ConnectionState::Retrying => {}
        }
        self.rebuild_soon();
    }

    /// Rebuilds the menu from the stored connections, soon (debounced), on the GTK thread.
    fn rebuild_soon(self: &Arc<Self>) {
        let me = Arc::clone(self);
        let _in_runtime = self.runtime.enter();
        self.rebuild.trigger(move || async move {
            let connections = match me.services.hubkey.connections().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(code = e.code().as_str(), "tray: cannot read the connections: {e}");
                    return;
                }
            };
            let entries = items(
                &connections,
                OffsetDateTime::now_utc(),
                localtime::offset(),
                autostart::state(me.services.autostart.as_ref()),
            );
            let worst = health(&connections);
            gtk::glib::MainContext::default().invoke(move || menu::update(&entries, worst));
        });
    }

    /// A menu item was chosen (on the GTK thread): hubkey-shell's one reaction.
    fn menu_clicked(self: &Arc<Self>, id: &str) {
        if let Some(action) = TrayAction::from_id(id) {
            react(self, action);
        }
    }

    /// A second launch reached the tray (on the GTK thread): the window is wanted, unless it asked for the
    /// tray only (`--background`, as at login).
    pub fn second_launch(&self, argv: &[String]) {
        if handoff::wants_background(argv) {
            tracing::debug!("a second launch asked for the tray only; it is running already");
            return;
        }
        self.open_window(argv.get(1..).unwrap_or_default());
    }

    /// Replaces this process with hubkey-desktop, which builds the window. `forwarded`: the arguments of a
    /// second launch (a hubkey:// URL goes to hubkey-desktop's one path for them).
    fn open_window(&self, forwarded: &[String]) {
        let Some(desktop) = handoff::sibling(handoff::DESKTOP_PROGRAM) else {
            tracing::error!(
                "cannot open the window: {} is not installed beside hubkey-tray",
                handoff::DESKTOP_PROGRAM
            );
            return;
        };
        let mut args: Vec<OsString> = forwarded.iter().map(Into::into).collect();
        args.extend(handoff::reap_args(&handoff::children_of_self()));
        if let Some(recopy) = self.services.copier.recopy() {
            args.push(handoff::RECOPY_FLAG.into());
            args.push(recopy.to_arg().into());
        }
        tracing::info!(
            "the window is wanted: handing over to {}",
            handoff::DESKTOP_PROGRAM
        );
        let error = handoff::exec(&desktop, &args);
        tracing::error!("cannot start {}: {error}", desktop.display());
    }
}

impl TrayHost for Tray {
    fn services(&self) -> &TrayServices {
        &self.services
    }
    fn open_window(&self) {
        Tray::open_window(self, &[]);
    }
    fn quit(&self) {
        gtk::main_quit();
    }
    fn spawn(&self, task: Task) {
        self.runtime.spawn(task);
    }
    fn menu_changed(self: &Arc<Self>) {
        self.rebuild_soon();
    }
}

/// A desktop notification over D-Bus (blocking). Nothing else to do when there is no notification service.
fn notify(title: &str, body: &str) {
    match notify_rust::Notification::new()
        .appname("Hubkey")
        .summary(title)
        .body(body)
        .show()
    {
        Ok(_) => tracing::info!("notification shown: {title}"),
        Err(e) => tracing::warn!("cannot show a notification ({title}): {e}"),
    }
}
