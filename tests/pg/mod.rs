//! A fresh PostgreSQL database for a test, on the server `scripts/postgres.sh` started for the
//! test command (its URL in AYADA_TEST_POSTGRES), dropped when the test ends. Without that
//! server a test that needs it says so and does nothing, unless AYADA_REQUIRE_POSTGRES is set
//! (the test command sets it), where it fails.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

/// A database of its own.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// The platform's master key its servers use, as 64 hex digits (AYADA_MASTER_KEY).
    pub master_hex: String,
    /// The same key in a file (`--master-key-file`), removed with the database.
    pub key_file: std::path::PathBuf,
    admin: String,
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs `f` on a thread of its own: the postgres client runs its own runtime, which an async
/// test's thread would refuse.
fn apart<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .expect("postgres helper panicked")
}

/// A new empty database, or None (said on stderr) when the tests have no PostgreSQL.
pub fn fresh(tag: &str) -> Option<TestDb> {
    let Ok(admin) = std::env::var("AYADA_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("AYADA_REQUIRE_POSTGRES").is_none(),
            "AYADA_REQUIRE_POSTGRES is set but AYADA_TEST_POSTGRES names no server"
        );
        eprintln!(
            "SKIPPED ({tag}): no PostgreSQL for the tests; scripts/test.sh starts one \
             (or set AYADA_TEST_POSTGRES=postgres://user@host:port/db)"
        );
        return None;
    };
    let name = format!(
        "ayada_{tag}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let (a, n) = (admin.clone(), name.clone());
    apart(move || {
        let mut client = Client::connect(&a, NoTls).expect("connect to the test PostgreSQL");
        client
            .batch_execute(&format!("CREATE DATABASE {n}"))
            .expect("create a test database");
    });
    let (base, _) = admin.rsplit_once('/').expect("a URL ending in /database");
    let mut key = [0u8; 32];
    let seed = format!("{name} {:?}", std::time::SystemTime::now());
    for (i, b) in seed.bytes().enumerate() {
        key[i % 32] = key[i % 32].wrapping_mul(31).wrapping_add(b);
    }
    let master_hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let key_file = std::env::temp_dir().join(format!("{name}.master.key"));
    std::fs::write(&key_file, &master_hex).expect("write the test master key");
    Some(TestDb {
        url: format!("{base}/{name}"),
        master_hex,
        key_file,
        admin,
        name,
    })
}

impl TestDb {
    /// Runs SQL on the test database (what an operator's psql would do).
    pub fn sql(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.try_sql(sql).expect("sql")
    }

    /// `sql`, with PostgreSQL's refusal as an error.
    pub fn try_sql(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let (url, sql) = (self.url.clone(), sql.to_string());
        apart(move || {
            let mut client = Client::connect(&url, NoTls).expect("connect");
            Ok(client
                .simple_query(&sql)
                .map_err(|e| format!("{e:?}"))?
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect())
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.key_file);
        let (admin, name) = (self.admin.clone(), self.name.clone());
        apart(move || {
            if let Ok(mut client) = Client::connect(&admin, NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        });
    }
}
