//! The `ayada-server` binary: a thin main over the library.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use ayada_server::auth::Tokens;
use ayada_server::store::{ClinicRecord, SqliteStore, Store};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ayada-server", version, about = "Ayada's sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the clinics in DIR.
    Serve {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
    },
    /// Platform administration of clinics.
    #[command(subcommand)]
    Clinic(ClinicCommand),
}

#[derive(Subcommand)]
enum ClinicCommand {
    /// Create a clinic; the owner's password comes from AYADA_PASSWORD. Works whether or not
    /// a server is running on the folder.
    Create {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, default_value = "Africa/Cairo")]
        tz: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve { data, listen } => {
            let store = Arc::new(
                SqliteStore::open(&data)
                    .with_context(|| format!("cannot open the data folder {}", data.display()))?,
            );
            let tokens = Arc::new(
                Tokens::load_or_create(&data).context("cannot read or create the token secret")?,
            );
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            // The first stdout line tells scripts and tests which port was chosen (port 0).
            println!("{}", serde_json::json!({ "listening": addr.to_string() }));
            tracing::info!(%addr, data = %data.display(), "serving");
            let state = ayada_server::AppState::new(store, tokens);
            let notices = state.notices.clone();
            axum::serve(listener, ayada_server::router(state))
                .with_graceful_shutdown(async move {
                    shutdown().await;
                    // Open WebSockets would hold a graceful shutdown forever.
                    notices.shutdown();
                })
                .await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Clinic(ClinicCommand::Create {
            data,
            name,
            slug,
            owner_email,
            tz,
        }) => {
            let password = std::env::var("AYADA_PASSWORD").ok().filter(|p| p.chars().count() >= 8).context(
                "set the owner's password (at least 8 characters) in AYADA_PASSWORD; it is never taken from the command line",
            )?;
            let slug = slug.trim().to_lowercase();
            anyhow::ensure!(
                !slug.is_empty() && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "the slug may hold only letters, digits and dashes"
            );
            let email = owner_email.trim().to_lowercase();
            anyhow::ensure!(
                email.contains('@'),
                "\"{owner_email}\" is not an email address"
            );
            let store = SqliteStore::open(&data)
                .with_context(|| format!("cannot open the data folder {}", data.display()))?;
            let record = ClinicRecord {
                id: uuid::Uuid::now_v7().to_string(),
                slug,
                name,
                owner_email: email,
                password_hash: ayada_server::hash_password(&password)
                    .map_err(anyhow::Error::msg)?,
                data_clinic_id: None,
                time_zone: tz,
            };
            store.create_clinic(&record)?;
            println!(
                "{}",
                serde_json::json!({ "clinic_id": record.id, "slug": record.slug })
            );
            Ok(())
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
