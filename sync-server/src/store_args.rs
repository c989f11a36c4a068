//! Where `ayada-server` keeps its data (a folder of SQLite files, or PostgreSQL) and the
//! platform's master key that seals it, as its commands take them.

use std::path::PathBuf;

use anyhow::Context;
use ayada_server::store::{MasterKey, PgStore, SqliteStore, Store};

/// Where the server keeps its data: a folder of SQLite files (the default), or PostgreSQL.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// The data folder (SQLite: platform.db, a file per clinic, the keys).
    #[arg(long, required_unless_present = "database")]
    data: Option<PathBuf>,
    /// A PostgreSQL database instead: postgres://user:password@host:port/db. Best given in
    /// AYADA_DATABASE, so its password is not on the command line.
    #[arg(
        long,
        env = "AYADA_DATABASE",
        hide_env_values = true,
        conflicts_with = "data"
    )]
    database: Option<String>,
    /// The platform's master key, which wraps every clinic's key: a file holding 64 hex
    /// digits, made there if missing. Keep it outside the data folder and its backups (or
    /// give the key itself in AYADA_MASTER_KEY). Without either, a data folder keeps its
    /// own in `master.key`; PostgreSQL needs one given, the same for every replica.
    #[arg(long, env = "AYADA_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

/// The master key given in AYADA_MASTER_KEY or by `file`, if one is.
pub fn master_key(file: Option<&std::path::Path>) -> anyhow::Result<Option<MasterKey>> {
    if let Ok(hex) = std::env::var("AYADA_MASTER_KEY") {
        return Ok(Some(MasterKey::from_hex(&hex).context("AYADA_MASTER_KEY")?));
    }
    file.map(|f| {
        MasterKey::load_or_create(f)
            .with_context(|| format!("cannot read the master key file {}", f.display()))
    })
    .transpose()
}

/// A store of either backend.
pub enum Opened {
    Sqlite(Box<SqliteStore>),
    Postgres(Box<PgStore>),
}

impl StoreArgs {
    pub fn open(&self) -> anyhow::Result<Opened> {
        let master = master_key(self.master_key_file.as_deref())?;
        match (&self.data, &self.database) {
            (_, Some(url)) => {
                let master = master.context(
                    "PostgreSQL needs the platform's master key: --master-key-file FILE (made \
                     if missing) or AYADA_MASTER_KEY (64 hex digits), the same for every replica",
                )?;
                Ok(Opened::Postgres(Box::new(
                    PgStore::open(url, &master).context("cannot open the PostgreSQL database")?,
                )))
            }
            (Some(data), None) => Ok(Opened::Sqlite(Box::new(
                match master {
                    Some(master) => SqliteStore::open_with(data, &master),
                    None => {
                        tracing::warn!(
                            "the master key is kept in the data folder ({}): a copy of the \
                             folder then carries its own key; give --master-key-file outside \
                             the folder and its backups (docs/OPERATIONS.md)",
                            data.join(ayada_server::store::MASTER_KEY_FILE).display()
                        );
                        SqliteStore::open(data)
                    }
                }
                .with_context(|| format!("cannot open the data folder {}", data.display()))?,
            ))),
            (None, None) => anyhow::bail!("give --data DIR or --database URL"),
        }
    }

    /// For the commands that need only the store's operations.
    pub fn open_dyn(&self) -> anyhow::Result<Box<dyn Store>> {
        Ok(match self.open()? {
            Opened::Sqlite(s) => s,
            Opened::Postgres(s) => s,
        })
    }

    /// What the logs say the server serves from (never a password).
    pub fn label(&self) -> String {
        match (&self.data, &self.database) {
            (_, Some(url)) => match url.parse::<r2d2_postgres::postgres::Config>() {
                Ok(c) => format!(
                    "postgres {:?} {:?}",
                    c.get_hosts(),
                    c.get_dbname().unwrap_or_default()
                ),
                Err(_) => "postgres".into(),
            },
            (Some(data), None) => data.display().to_string(),
            (None, None) => String::new(),
        }
    }
}
