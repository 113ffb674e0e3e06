//! `hubspot-sandbox`: run the HubSpot OAuth emulator until Ctrl-C.
//!
//! Binds 127.0.0.1 only, prints the base URLs, the `export HUBKEY_…` lines and the fixture apps'
//! (fake) client ids and redirect URLs. Scripts can wait for readiness with `--print-ready-json`,
//! which prints one JSON line on stdout once both listeners accept connections; stdout is flushed
//! either way.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle};

#[derive(Debug, Parser)]
#[command(
    name = "hubspot-sandbox",
    version,
    about = "A local emulator of HubSpot's OAuth surface"
)]
struct Args {
    /// Port of the app + API listener (0 picks a free port).
    #[arg(long, default_value_t = 4010, env = "HUBSPOT_SANDBOX_PORT")]
    port: u16,
    /// Port of the MCP listener (0 picks a free port).
    #[arg(long, default_value_t = 4011, env = "HUBSPOT_SANDBOX_MCP_PORT")]
    mcp_port: u16,
    /// Fixture JSON file (default: the built-in demo fixture, see fixtures/demo.json).
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Skip the consent page: authorize redirects straight back with a code.
    #[arg(long)]
    auto_grant: bool,
    /// Print a single JSON line `{"ready":true,"base_url":…,"mcp_base_url":…}` instead of the banner.
    #[arg(long)]
    print_ready_json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "hubspot-sandbox: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let fixture = match &args.fixture {
        Some(path) => Fixture::from_json_file(path)?,
        None => Fixture::demo(),
    };
    let loopback = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let sandbox = Sandbox::start_on(loopback(args.port), loopback(args.mcp_port), fixture).await?;
    if args.auto_grant {
        sandbox.update_switches(|s| s.auto_grant = true);
    }
    let mut out = std::io::stdout().lock();
    if args.print_ready_json {
        let line = serde_json::json!({
            "ready": true,
            "base_url": sandbox.base_url(),
            "mcp_base_url": sandbox.mcp_base_url(),
        });
        writeln!(out, "{line}")?;
    } else {
        write_banner(&mut out, &sandbox)?;
    }
    out.flush()?;
    drop(out);

    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}

fn write_banner(out: &mut impl Write, sandbox: &SandboxHandle) -> std::io::Result<()> {
    let base = sandbox.base_url();
    let mcp = sandbox.mcp_base_url();
    writeln!(out, "HubSpot OAuth sandbox (fake data only)")?;
    writeln!(out, "  app + API host: {base}")?;
    writeln!(out, "  MCP host:       {mcp}")?;
    writeln!(
        out,
        "  control API:    {base}/_sandbox/requests, {base}/_sandbox/switches"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "export HUBKEY_APP_BASE_URL={base} HUBKEY_API_BASE_URL={base} HUBKEY_MCP_BASE_URL={mcp}"
    )?;
    writeln!(out)?;
    let fixture = sandbox.fixture();
    for app in &fixture.apps {
        writeln!(
            out,
            "app {:?} ({:?}{})",
            app.name,
            app.kind,
            if app.is_user_level { ", user-level" } else { "" }
        )?;
        writeln!(out, "  client_id:     {}", app.client_id)?;
        writeln!(out, "  client_secret: {}", app.client_secret)?;
        writeln!(out, "  redirect URLs: {}", app.redirect_urls.join(" "))?;
        writeln!(
            out,
            "  scopes:        required [{}] optional [{}]",
            app.required_scopes.join(" "),
            app.optional_scopes.join(" ")
        )?;
    }
    for portal in &fixture.portals {
        let users: Vec<&str> = portal.users.iter().map(|u| u.email.as_str()).collect();
        writeln!(
            out,
            "portal {} {:?} ({}, {}): {}",
            portal.hub_id,
            portal.name,
            portal.hublet,
            portal.tier,
            users.join(", ")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Serving until Ctrl-C.")
}
