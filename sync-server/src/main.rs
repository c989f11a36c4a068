//! The `ayada-server` binary: a thin main over the library.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use std::num::NonZeroU32;
use std::time::Duration;

use ayada_server::auth::Tokens;
use ayada_server::limits::MachineLimits;
use ayada_server::logins::{LoginGuard, LoginLimits};
use ayada_server::portal::waha::WahaConfig;
use ayada_server::portal::{Portal, PortalConfig};
use ayada_server::serving::{self, ServeOptions};
use ayada_server::store::{ClinicRecord, PgStore, SqliteStore, Store};
use clap::{Parser, Subcommand};

mod store_args;
use store_args::{master_key, Opened, StoreArgs};

#[derive(Parser)]
#[command(name = "ayada-server", version, about = "Ayada's sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of `Serve`'s settings costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the clinics of a data folder (SQLite) or of a PostgreSQL database.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        #[command(flatten)]
        limits: Limits,
        #[command(flatten)]
        portal: PortalArgs,
    },
    /// The operator's console accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Platform administration of clinics.
    #[command(subcommand)]
    Clinic(ClinicCommand),
    /// The portal's outbox: each message's clinic, kind, state, tries and last error (never
    /// its text or its number), newest first.
    Messages {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this clinic's.
        #[arg(long)]
        slug: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Move a data folder's clinics (SQLite, its server stopped) into a PostgreSQL database,
    /// every change verified, in one transaction: all of it or nothing.
    Migrate {
        /// The data folder.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database (or AYADA_DATABASE).
        #[arg(long, env = "AYADA_DATABASE", hide_env_values = true)]
        to: String,
        /// The master key the PostgreSQL servers will use (or AYADA_MASTER_KEY); the data
        /// folder's own `master.key` opens the source. Every record is sealed again with the
        /// target's clinic keys.
        #[arg(long, env = "AYADA_MASTER_KEY_FILE")]
        master_key_file: Option<PathBuf>,
    },
    /// Re-read every clinic's log with the rules a push follows now, and quarantine the
    /// changes an older server accepted against them (a clinic whose bootstrap fails, or
    /// whose machines' sync stops at one change, recovers). Safe while the server runs.
    Check {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Every limit of `serve`, with its default (docs/OPERATIONS.md says why each is what it is).
#[derive(clap::Args)]
struct Limits {
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "AYADA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "AYADA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Connections open at once.
    #[arg(long, env = "AYADA_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client may take to send a request's headers (and to start its first).
    #[arg(long, env = "AYADA_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Wrong owner passwords allowed per email within the window.
    #[arg(long, env = "AYADA_LOGIN_FAILS_PER_EMAIL", default_value_t = 10)]
    login_fails_per_email: u32,
    /// Wrong owner passwords allowed per client address within the window.
    #[arg(long, env = "AYADA_LOGIN_FAILS_PER_ADDRESS", default_value_t = 30)]
    login_fails_per_address: u32,
    /// The window wrong passwords are counted over, in minutes.
    #[arg(long, env = "AYADA_LOGIN_WINDOW_MINUTES", default_value_t = 15)]
    login_window_minutes: u64,
    /// Password hashes computed at once (each takes about 19 MB); 0: the number of cores,
    /// from 2 to 4.
    #[arg(long, env = "AYADA_CONCURRENT_HASHES", default_value_t = 0)]
    concurrent_hashes: usize,
    /// Requests a second one machine may make, steady.
    #[arg(long, env = "AYADA_MACHINE_RATE", default_value_t = 20)]
    machine_rate: u32,
    /// Requests one machine may make in a burst.
    #[arg(long, env = "AYADA_MACHINE_BURST", default_value_t = 100)]
    machine_burst: u32,
    /// Storage per clinic (its changes and photos), in megabytes.
    #[arg(long, env = "AYADA_CLINIC_QUOTA_MB", default_value_t = 2048)]
    clinic_quota_mb: u64,
    /// Days after a clinic's paid-through day before its sync is suspended.
    #[arg(long, env = "AYADA_GRACE_DAYS", default_value_t = 14)]
    grace_days: i64,
    /// Days a new clinic works before its first payment is due.
    #[arg(long, env = "AYADA_TRIAL_DAYS", default_value_t = 30)]
    trial_days: i64,
    /// Minutes an idle console session lives.
    #[arg(long, env = "AYADA_ADMIN_IDLE_MINUTES", default_value_t = 15)]
    admin_idle_minutes: u64,
    /// Days a terminated clinic's owner may download its data before it is deleted (0:
    /// deleted at the next sweep).
    #[arg(long, env = "AYADA_EXPORT_DAYS", default_value_t = 30)]
    export_days: i64,
    /// Resend's API (its key comes from AYADA_RESEND_KEY only; without it emails wait).
    #[arg(
        long,
        env = "AYADA_RESEND_URL",
        default_value = "https://api.resend.com"
    )]
    resend_url: String,
    /// The sender of the platform's emails.
    #[arg(
        long,
        env = "AYADA_EMAIL_FROM",
        default_value = "Ayada <no-reply@ayada.example>"
    )]
    email_from: String,
    /// Seconds to wait after an email's first failed try (it doubles, up to an hour).
    #[arg(long, env = "AYADA_EMAIL_RETRY_SECONDS", default_value_t = 30)]
    email_retry_seconds: u64,
}

/// The booking portal's settings (docs/OPERATIONS.md). WAHA's API key and the webhook's HMAC
/// key are read from the environment only (AYADA_WAHA_KEY, AYADA_WAHA_WEBHOOK_KEY), never
/// from the command line, where other users of the machine could read them.
#[derive(clap::Args)]
struct PortalArgs {
    /// The address patients reach this server at, for links in messages (default: http://
    /// and the listening address).
    #[arg(long, env = "AYADA_PUBLIC_URL")]
    public_url: Option<String>,
    /// The platform's WAHA (WhatsApp HTTP API) base URL; without it no message is sent and
    /// online booking waits.
    #[arg(long, env = "AYADA_WAHA_URL")]
    waha_url: Option<String>,
    /// The WAHA session that sends (the linked number).
    #[arg(long, env = "AYADA_WAHA_SESSION", default_value = "default")]
    waha_session: String,
    /// Seconds a code works (at most 600).
    #[arg(long, env = "AYADA_CODE_TTL_SECONDS", default_value_t = 600)]
    code_ttl_seconds: u64,
    /// Seconds before another code may be asked for.
    #[arg(long, env = "AYADA_CODE_RESEND_SECONDS", default_value_t = 60)]
    code_resend_seconds: u64,
    /// Least milliseconds between two messages on the WAHA session (randomness is added).
    #[arg(long, env = "AYADA_MESSAGE_PACE_MS", default_value_t = 3000)]
    message_pace_ms: u64,
    /// Seconds to wait after a message's first failed try (doubling, up to an hour).
    #[arg(long, env = "AYADA_MESSAGE_RETRY_SECONDS", default_value_t = 30)]
    message_retry_seconds: u64,
    /// Seconds between the relay's sweeps for reminders and review requests.
    #[arg(long, env = "AYADA_PORTAL_SWEEP_SECONDS", default_value_t = 60)]
    portal_sweep_seconds: u64,
    /// Online booking requests per phone per clinic per day.
    #[arg(long, env = "AYADA_REQUESTS_PER_PHONE", default_value_t = 5)]
    requests_per_phone: u32,
    /// Online booking requests per client address per hour.
    #[arg(long, env = "AYADA_REQUESTS_PER_ADDRESS", default_value_t = 20)]
    requests_per_address: u32,
    /// Online booking requests per clinic per hour.
    #[arg(long, env = "AYADA_REQUESTS_PER_CLINIC", default_value_t = 200)]
    requests_per_clinic: u32,
}

impl PortalArgs {
    fn config(&self, listening: &str, scheme: &str) -> anyhow::Result<PortalConfig> {
        let waha = match &self.waha_url {
            Some(base) => Some(WahaConfig {
                base: base.clone(),
                key: std::env::var("AYADA_WAHA_KEY")
                    .context("AYADA_WAHA_URL is set: set WAHA's API key in AYADA_WAHA_KEY")?,
                session: self.waha_session.clone(),
            }),
            None => None,
        };
        Ok(PortalConfig {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("{scheme}://{listening}"))
                .trim_end_matches('/')
                .to_string(),
            waha,
            webhook_hmac_key: std::env::var("AYADA_WAHA_WEBHOOK_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            code_ttl: Duration::from_secs(self.code_ttl_seconds.clamp(1, 600)),
            resend_after: Duration::from_secs(self.code_resend_seconds),
            pace: Duration::from_millis(self.message_pace_ms),
            retry_base: Duration::from_secs(self.message_retry_seconds.max(1)),
            sweep_every: Duration::from_secs(self.portal_sweep_seconds.max(1)),
            per_phone_per_day: self.requests_per_phone,
            per_address_per_hour: self.requests_per_address,
            per_clinic_per_hour: self.requests_per_clinic,
            ..PortalConfig::default()
        })
    }
}

#[derive(Subcommand)]
enum ClinicCommand {
    /// Give a clinic its own WAHA session (its own WhatsApp number; the key from
    /// AYADA_WAHA_KEY), or with --platform send its messages through the platform's again.
    /// Takes effect at the next message, on a running server too.
    Waha {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        slug: String,
        #[arg(long, required_unless_present = "platform")]
        url: Option<String>,
        #[arg(long, default_value = "default")]
        session: String,
        #[arg(long)]
        platform: bool,
    },
    /// Create a clinic; the owner's password comes from AYADA_PASSWORD. Works whether or not
    /// a server is running on the folder.
    Create {
        #[command(flatten)]
        store: StoreArgs,
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

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin for the console at /admin; the password comes from
    /// AYADA_ADMIN_PASSWORD (at least 12 characters). The admin sets up the second factor
    /// (TOTP, mandatory) at the first login.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
    },
}

// Not `async`: the PostgreSQL store's client blocks (it runs a runtime of its own), so the
// store is opened and its keys read before the server's runtime starts, and afterwards only
// from blocking threads.
fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve {
            store,
            listen,
            limits,
            portal,
        } => {
            let label = store.label();
            match store.open()? {
                Opened::Sqlite(s) => {
                    serve::<SqliteStore>(Arc::from(s), &label, listen, limits, portal)
                }
                Opened::Postgres(s) => {
                    serve::<PgStore>(Arc::from(s), &label, listen, limits, portal)
                }
            }
        }
        Command::Messages { store, slug, limit } => {
            let store = store.open_dyn()?;
            let clinics = match slug {
                Some(slug) => vec![
                    store
                        .clinic_by_slug(&slug)?
                        .with_context(|| format!("no clinic has the slug {slug}"))?
                        .id,
                ],
                None => store.clinic_ids()?,
            };
            let mut messages = Vec::new();
            for clinic in clinics {
                for m in store.messages(&clinic, limit)? {
                    messages.push(serde_json::json!({
                        "id": m.id, "clinic_id": m.clinic, "kind": m.kind, "state": m.state,
                        "attempts": m.attempts, "last_error": m.last_error, "created_at": m.created_at,
                    }));
                }
            }
            println!("{}", serde_json::json!({ "messages": messages }));
            Ok(())
        }
        Command::Migrate {
            from,
            to,
            master_key_file,
        } => {
            let source = SqliteStore::open(&from)
                .with_context(|| format!("cannot open the data folder {}", from.display()))?;
            let master = master_key(master_key_file.as_deref())?.context(
                "the PostgreSQL database needs the platform's master key: --master-key-file \
                 FILE or AYADA_MASTER_KEY",
            )?;
            let target =
                PgStore::open(&to, &master).context("cannot open the PostgreSQL database")?;
            let moved = ayada_server::store::migrate::migrate(&source, &target)
                .context("nothing was moved")?;
            println!("{}", serde_json::to_string(&moved)?);
            Ok(())
        }
        Command::Check { store } => {
            let store = store.open_dyn()?;
            let mut clinics = Vec::new();
            for id in store.clinic_ids()? {
                let report = store.check_clinic(&id)?;
                for (doc, hash, reason) in &report.quarantined {
                    tracing::warn!(clinic = %id, %doc, %hash, %reason, "change quarantined");
                }
                clinics.push(serde_json::json!({
                    "clinic_id": id,
                    "changes": report.changes,
                    "quarantined": report.quarantined.len(),
                }));
            }
            println!("{}", serde_json::json!({ "clinics": clinics }));
            Ok(())
        }
        Command::Clinic(ClinicCommand::Waha {
            store,
            slug,
            url,
            session,
            platform,
        }) => {
            let store = store.open_dyn()?;
            let clinic = store
                .clinic_by_slug(&slug)?
                .with_context(|| format!("no clinic has the slug {slug}"))?;
            match url.filter(|_| !platform) {
                Some(url) => {
                    let key = std::env::var("AYADA_WAHA_KEY")
                        .context("set the clinic's WAHA API key in AYADA_WAHA_KEY")?;
                    store.set_clinic_waha(&clinic.id, Some((&url, &key, &session)))?;
                }
                None => store.set_clinic_waha(&clinic.id, None)?,
            }
            println!(
                "{}",
                serde_json::json!({ "clinic_id": clinic.id, "own_waha": !platform })
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Create { store, email }) => {
            let password = std::env::var("AYADA_ADMIN_PASSWORD").ok().filter(|p| p.chars().count() >= 12).context(
                "set the admin's password (at least 12 characters) in AYADA_ADMIN_PASSWORD; it is never taken from the command line",
            )?;
            let email = email.trim().to_lowercase();
            anyhow::ensure!(email.contains('@'), "\"{email}\" is not an email address");
            let store = store.open_dyn()?;
            let hash = ayada_server::hash_password(&password).map_err(anyhow::Error::msg)?;
            store.create_admin(&email, &hash)?;
            store.append_admin_audit("command line", "admin-created", &email, "")?;
            println!("{}", serde_json::json!({ "admin": email }));
            Ok(())
        }
        Command::Clinic(ClinicCommand::Create {
            store,
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
            let store = store.open_dyn()?;
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

/// Raises this process's soft limit of open files to its hard limit. Each machine's
/// connection holds a file, and on SQLite each clinic's database holds three (with its WAL
/// and shared memory). systemd starts services with a soft limit of 1,024 (and a hard one
/// far above), under which the server stops accepting connections once they and its open
/// clinic files pass it (`tests/open_files.rs` shows the stall at 256). Warns when even the
/// hard limit leaves no room for `max_connections`.
fn raise_open_files(max_connections: usize) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let limit = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => {
                tracing::info!(from = soft, to = hard, "open files limit raised");
                hard
            }
            Err(e) => {
                tracing::warn!(soft, hard, error = %e, "open files limit not raised");
                soft
            }
        },
        Ok((soft, _)) => soft,
        Err(e) => {
            tracing::warn!(error = %e, "open files limit unknown");
            return;
        }
    };
    // Room for every connection and a few hundred clinics' files besides.
    let wanted = max_connections as u64 + 1024;
    if limit < wanted {
        tracing::warn!(
            limit,
            wanted,
            "the open files limit is low for --max-connections: raise it (LimitNOFILE= in a systemd unit)"
        );
    }
}

/// Serves `store` until SIGINT or SIGTERM.
fn serve<S: Store>(
    store: Arc<S>,
    label: &str,
    listen: SocketAddr,
    limits: Limits,
    portal: PortalArgs,
) -> anyhow::Result<()> {
    let tokens = Arc::new(Tokens::from_secret(
        &store
            .secret("jwt.secret")
            .context("cannot read or create the token secret")?,
    ));
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let options = ServeOptions {
        max_connections: limits.max_connections,
        header_timeout: Duration::from_secs(limits.header_timeout.max(1)),
        tls: limits.tls_cert.clone().zip(limits.tls_key.clone()),
    };
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    // The first stdout line tells scripts and tests which port was chosen (port 0).
    println!(
        "{}",
        serde_json::json!({ "listening": addr.to_string(), "scheme": scheme })
    );
    tracing::info!(%addr, scheme, store = %label, "serving");
    raise_open_files(limits.max_connections);
    let mut state = ayada_server::AppState::new(store.clone(), tokens);
    state.logins = Arc::new(
        LoginGuard::new(LoginLimits {
            fails_per_email: limits.login_fails_per_email,
            fails_per_address: limits.login_fails_per_address,
            window: Duration::from_secs(limits.login_window_minutes.max(1) * 60),
            concurrent_hashes: match limits.concurrent_hashes {
                0 => LoginLimits::default().concurrent_hashes,
                n => n,
            },
        })
        .counted_in(store.clone()),
    );
    state.limits = Arc::new(MachineLimits::new(
        NonZeroU32::new(limits.machine_rate).context("--machine-rate must be at least 1")?,
        NonZeroU32::new(limits.machine_burst).context("--machine-burst must be at least 1")?,
    ));
    state.quota_bytes = limits.clinic_quota_mb.saturating_mul(1024 * 1024);
    let resend = std::env::var("AYADA_RESEND_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|key| ayada_server::mail::ResendConfig {
            base: limits.resend_url.clone(),
            key,
            from: limits.email_from.clone(),
        });
    if resend.is_none() {
        tracing::warn!("AYADA_RESEND_KEY is not set: emails wait in the outbox until it is");
    }
    let mut mail = ayada_server::mail::Mail::new(resend);
    mail.retry_base = Duration::from_secs(limits.email_retry_seconds.max(1));
    state.mail = Arc::new(mail);
    state.admin = Arc::new(ayada_server::admin::AdminConfig {
        idle: Duration::from_secs(limits.admin_idle_minutes.max(1) * 60),
        billing: ayada_server::standing::Billing {
            grace_days: limits.grace_days.max(0),
            trial_days: limits.trial_days.max(1),
        },
        export_days: limits.export_days.max(0),
        ..Default::default()
    });
    state.portal = Arc::new(Portal::new(
        portal.config(&addr.to_string(), scheme)?,
        store
            .secret("portal.secret")
            .context("cannot read or create the portal's key")?,
    ));
    if state
        .listen_to_replicas()
        .context("cannot listen for the other replicas' news")?
    {
        tracing::info!("listening for the other replicas' appends");
    }
    let notices = state.notices.clone();
    tokio::runtime::Runtime::new()?.block_on(async move {
        state.start_portal();
        serving::serve(listener, ayada_server::router(state), options, async move {
            shutdown().await;
            // Open WebSockets would hold a graceful shutdown forever.
            notices.shutdown();
        })
        .await
    })?;
    tracing::info!("stopped");
    Ok(())
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
