//! The PostgreSQL store, for an operator who outgrew one process on files: the platform's
//! tables in the schema `platform`, and each clinic in a schema of its own (`c_` and its id),
//! so a few pooled connections serve every clinic while a clinic's rows stay apart from the
//! others' and leave with one `DROP SCHEMA` (docs/OPERATIONS.md says why not a database each).
//! Several server processes ("replicas") may share one database: whatever must happen once
//! (an append's positions, a migration) happens under an advisory lock.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use ayada_sync::{AuditAnchor, AuditHead, MachineStatus, WireChange};
use r2d2_postgres::postgres::types::Type;
use r2d2_postgres::postgres::{Client, Row};
use r2d2_postgres::r2d2;

use super::log::{self, Fits};
use super::postgres_conn::{Manager, OpenTx, PgConn};
use super::postgres_log::PgLog;
use super::postgres_seal::{seal_clear_rows, PlatformKeys};
use super::sqlite::now;
use super::vault::{KeyRing, Kind, MasterKey};
use super::{
    Appended, BootstrapPage, CheckReport, ClinicRecord, Decoded, Device, Heard, Seen, Store,
    StoreError,
};

pub(super) type Pool = r2d2::Pool<Manager>;
pub(super) type Conn = r2d2::PooledConnection<Manager>;

/// Append-only migrations of the platform schema, in order (never edit one that shipped).
const PLATFORM: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/postgres/platform/0001_platform.sql"),
    ),
    (
        2,
        include_str!("../../migrations/postgres/platform/0002_portal.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/platform/0003_admin.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/platform/0004_keys.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/platform/0005_termination.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/platform/0006_guesses.sql"),
    ),
];
/// Append-only migrations of each clinic's schema; `{schema}` is the clinic's.
const CLINIC: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/postgres/clinic/0001_log.sql"),
    ),
    (
        2,
        include_str!("../../migrations/postgres/clinic/0002_quiet.sql"),
    ),
];

/// Every table of a clinic's schema (a test holds this to the migrations).
pub const CLINIC_TABLES: &[&str] = &["changes", "docs", "blobs", "quarantine"];

/// The first key of the advisory locks this store takes, by what they guard.
pub(super) mod locks {
    /// Migrations, for every scope.
    pub const MIGRATE: i32 = 0x4179_0001;
    /// A clinic's log: its appends and its checks.
    pub const LOG: i32 = 0x4179_0002;
    /// A clinic's portal requests (the check and insert that hold a slot).
    pub const PORTAL: i32 = 0x4179_0003;
    /// The portal's writes to a clinic's documents.
    pub const AUTHOR: i32 = 0x4179_0004;
    /// The admin audit log's chain.
    pub const ADMIN_AUDIT: i32 = 0x4179_0005;
}

/// Connections in each clinic shard of the pool.
const SHARD_SIZE: u32 = 4;

/// The PostgreSQL store.
pub struct PgStore {
    /// For the platform's tables.
    pub(super) platform: Pool,
    /// For the clinics' schemas, each clinic always through the same one: a connection then
    /// meets a share of the clinics only, so it keeps their statements prepared (and their
    /// plans), and its server process keeps their tables' descriptions in its caches. With
    /// one pool for all, every push met a connection that had not seen its clinic yet and
    /// planned each statement and loaded each table anew (docs/BENCHMARKS.md, issue #18).
    shards: Vec<Pool>,
    /// For the listener's own connection (outside the pool).
    url: String,
    /// This process's name in the news it sends, so it does not hear its own.
    replica: String,
    fits: Fits,
    /// Clinic schemas known to be migrated and sealed, so each is checked once per process.
    pub(super) ready: Mutex<HashSet<String>>,
    pub(super) keys: KeyRing,
}

/// The schema of a clinic. Clinic ids are UUIDs the platform made; anything else is refused
/// rather than put into SQL.
pub fn schema_of(clinic: &str) -> Result<String, StoreError> {
    let ok = !clinic.is_empty()
        && clinic.len() <= 64
        && clinic.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !ok {
        return Err(StoreError::Doc(format!("{clinic:?} is not a clinic id")));
    }
    Ok(format!(
        "c_{}",
        clinic.replace('-', "").to_ascii_lowercase()
    ))
}

/// Applies the migrations of `scope` not applied yet, in one transaction under the
/// migrations' lock (replicas starting together apply each once).
fn migrate(
    client: &mut Client,
    scope: &str,
    files: &[(i64, &str)],
    schema: &str,
) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&locks::MIGRATE])?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS platform;
         CREATE TABLE IF NOT EXISTS platform.migrations (
            scope TEXT NOT NULL, version BIGINT NOT NULL, applied_at BIGINT NOT NULL,
            PRIMARY KEY (scope, version));
         CREATE SCHEMA IF NOT EXISTS {schema};"
    ))?;
    let applied: HashSet<i64> = tx
        .query(
            "SELECT version FROM platform.migrations WHERE scope = $1",
            &[&scope],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (version, sql) in files {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(&sql.replace("{schema}", schema))?;
        tx.execute(
            "INSERT INTO platform.migrations (scope, version, applied_at) VALUES ($1, $2, $3)",
            &[&scope, version, &now()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn record(r: &Row) -> ClinicRecord {
    ClinicRecord {
        id: r.get(0),
        slug: r.get(1),
        name: r.get(2),
        owner_email: r.get(3),
        password_hash: r.get(4),
        data_clinic_id: r.get(5),
        time_zone: r.get(6),
    }
}

pub(super) const RECORD_COLUMNS: &str =
    "id, slug, name, owner_email, password_hash, data_clinic_id, time_zone";

pub(super) fn clinic_where(
    conn: &mut Conn,
    column: &str,
    value: &str,
) -> Result<Option<ClinicRecord>, StoreError> {
    Ok(conn
        .q_opt(
            &format!("SELECT {RECORD_COLUMNS} FROM platform.clinics WHERE {column} = $1"),
            &[&value],
        )?
        .as_ref()
        .map(record))
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) and brings
    /// its platform schema up to date; every replica opens it with the same master key
    /// (refused when the store's keys were made with another).
    pub fn open(url: &str, master: &MasterKey) -> Result<PgStore, StoreError> {
        let config: r2d2_postgres::postgres::Config = url.parse()?;
        let size: u32 = std::env::var("AYADA_PG_POOL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32)
            .max(2);
        // A quarter for the platform, the rest in shards of four.
        let platform_size = (size / 4).max(1);
        let shards = ((size - platform_size) / SHARD_SIZE).max(1);
        let pool = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .connection_timeout(Duration::from_secs(15))
                .build(Manager(config.clone()))
        };
        let platform = pool(platform_size)?;
        let shards = (0..shards)
            .map(|_| pool(SHARD_SIZE.min(size - platform_size)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut replica = [0u8; 8];
        getrandom::fill(&mut replica).map_err(|e| StoreError::Doc(e.to_string()))?;
        migrate(
            &mut platform.get()?.client,
            "platform",
            PLATFORM,
            "platform",
        )?;
        let keys = KeyRing::new(master, &PlatformKeys(&platform))?;
        let store = PgStore {
            platform,
            shards,
            url: url.to_string(),
            replica: hex::encode(replica),
            fits: Fits::default(),
            ready: Mutex::new(HashSet::new()),
            keys,
        };
        store.seal_clear_platform_rows()?;
        Ok(store)
    }

    /// A connection for the platform's tables.
    pub(super) fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.platform.get()?)
    }

    /// A connection of the clinic's shard, and the clinic's schema, migrated.
    pub(super) fn clinic(&self, clinic: &str) -> Result<(Conn, String), StoreError> {
        let schema = schema_of(clinic)?;
        // FNV-1a: stable across processes and releases (std's hasher promises neither).
        let hash = schema.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let shard = &self.shards[(hash % self.shards.len() as u64) as usize];
        let mut conn = shard.get()?;
        if !self.ready.lock().expect("ready poisoned").contains(&schema) {
            // Usually every migration is in already: seen in one read, without the
            // migrations' lock, which is one for all clinics (after a restart each clinic's
            // first push queued behind it: p99 670 ms with 2,000 machines).
            let row = conn.q_one(
                "SELECT (SELECT COUNT(*) FROM platform.migrations WHERE scope = $1),
                        EXISTS (SELECT 1 FROM platform.sealed_clinics WHERE clinic_id = $2)",
                &[&schema, &clinic],
            )?;
            let (applied, sealed): (i64, bool) = (row.get(0), row.get(1));
            if applied < CLINIC.len() as i64 {
                migrate(&mut conn.client, &schema, CLINIC, &schema)?;
            }
            if !sealed {
                let key = self.sealer(clinic)?;
                seal_clear_rows(&mut conn.client, &schema, clinic, &key)?;
            }
            self.ready
                .lock()
                .expect("ready poisoned")
                .insert(schema.clone());
        }
        Ok((conn, schema))
    }
}

/// Holds the portal's authoring lock of a clinic while it lives.
struct AuthorLock(Conn);

impl Drop for AuthorLock {
    fn drop(&mut self) {
        // Should the connection be broken, the pool's check at the next checkout drops it.
        let _ = self.0.batch_execute("COMMIT");
    }
}

impl Store for PgStore {
    fn create_clinic(&self, c: &ClinicRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        for (column, value, what) in [
            ("slug", &c.slug, "slug"),
            ("owner_email", &c.owner_email, "owner email"),
        ] {
            if clinic_where(&mut conn, column, value)?.is_some() {
                return Err(StoreError::Taken(what));
            }
        }
        let n = conn.x(
            "INSERT INTO platform.clinics (id, slug, name, owner_email, password_hash, data_clinic_id, time_zone, created_at)
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT DO NOTHING",
            &[&c.id, &c.slug, &c.name, &c.owner_email, &c.password_hash, &c.time_zone, &now()],
        )?;
        if n == 0 {
            // Another replica took the slug or email between the check and the insert.
            return Err(StoreError::Taken("slug or owner email"));
        }
        drop(conn);
        self.clinic(&c.id)?;
        Ok(())
    }

    fn clinic_by_email(&self, email: &str) -> Result<Option<ClinicRecord>, StoreError> {
        clinic_where(&mut self.conn()?, "owner_email", email)
    }

    fn set_data_clinic(&self, clinic: &str, data_id: &str) -> Result<bool, StoreError> {
        let n = self.conn()?.x(
            "UPDATE platform.clinics SET data_clinic_id = $2 WHERE id = $1 AND data_clinic_id IS NULL",
            &[&clinic, &data_id],
        )?;
        Ok(n == 1)
    }

    fn add_device(
        &self,
        clinic: &str,
        node: &str,
        credential_hash: &str,
    ) -> Result<(), StoreError> {
        self.conn()?.x(
            "INSERT INTO platform.devices (credential_hash, clinic_id, node_id, created_at) VALUES ($1, $2, $3, $4)",
            &[&credential_hash, &clinic, &node, &now()],
        )?;
        Ok(())
    }

    fn device(&self, credential_hash: &str) -> Result<Option<Device>, StoreError> {
        Ok(self
            .conn()?
            .q_opt(
                "SELECT clinic_id, node_id, revoked_at IS NOT NULL FROM platform.devices WHERE credential_hash = $1",
                &[&credential_hash],
            )?
            .map(|r| Device {
                clinic_id: r.get(0),
                node_id: r.get(1),
                revoked: r.get(2),
                credential_hash: credential_hash.to_string(),
            }))
    }

    fn append(
        &self,
        clinic: &str,
        node: &str,
        changes: &[Decoded<'_>],
    ) -> Result<Appended, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        // One append of a clinic at a time, across replicas: the positions it takes become
        // visible only after every earlier one's, so no reader skips a change. The lock is
        // taken with the BEGIN, in its round trip; `clinic` stands in the SQL because
        // `clinic()` checked it is hex and dashes.
        let mut tx = OpenTx::begin(
            &mut conn,
            &format!(
                "SELECT pg_advisory_xact_lock({}, hashtext('{clinic}'))",
                locks::LOG
            ),
        )?;
        let (client, stmts) = tx.parts();
        // The new head is announced to every replica listening (`postgres_news`) by the
        // insert itself, delivered at commit.
        let news = super::postgres_news::prefix(&self.replica, clinic, node);
        let done = log::append(
            &mut PgLog::new(client, &schema, stmts).announcing(news),
            &*self.sealer(clinic)?,
            &self.fits,
            clinic,
            node,
            changes,
            now(),
        )?;
        tx.commit()?;
        self.fits.keep(clinic, done.judged);
        Ok(Appended {
            admissions: done.admissions,
            head: done.head.map(|h| h as u64),
        })
    }

    fn check_clinic(&self, clinic: &str) -> Result<CheckReport, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let PgConn { client, stmts, .. } = &mut *conn;
        let mut tx = client.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&locks::LOG, &clinic],
        )?;
        let key = self.sealer(clinic)?;
        let report = log::check(&mut PgLog::new(&mut tx, &schema, stmts), &key, now())?;
        tx.commit()?;
        Ok(report)
    }

    fn record_audit_head(
        &self,
        clinic: &str,
        node: &str,
        head: &AuditHead,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let count = head.count.min(i64::MAX as u64) as i64;
        conn.x(
            "INSERT INTO platform.audit_anchors (clinic_id, node_id, count, hash, received_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&clinic, &node, &count, &head.hash, &now()],
        )?;
        let kept: String = conn
            .q_one(
                "SELECT hash FROM platform.audit_anchors WHERE clinic_id = $1 AND node_id = $2 AND count = $3",
                &[&clinic, &node, &count],
            )?
            .get(0);
        Ok(kept == head.hash)
    }

    fn audit_anchors(&self, clinic: &str, node: &str) -> Result<Vec<AuditAnchor>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT count, hash, received_at FROM platform.audit_anchors
                 WHERE clinic_id = $1 AND node_id = $2 ORDER BY count",
                &[&clinic, &node],
            )?
            .iter()
            .map(|r| AuditAnchor {
                head: AuditHead {
                    count: r.get::<_, i64>(0) as u64,
                    hash: r.get(1),
                },
                received_at: r.get(2),
            })
            .collect())
    }

    fn usage(&self, clinic: &str) -> Result<u64, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        // The tables' pages with their indexes and out-of-line values: what the disk holds.
        // Each table by name, a cache lookup: finding them by schema scans all of pg_class,
        // thousands of rows with thousands of clinics (it stalled pushes for seconds when
        // the clinics' figures came due together).
        let sum = CLINIC_TABLES
            .iter()
            .map(|t| format!("pg_total_relation_size('{schema}.{t}'::regclass)"))
            .collect::<Vec<_>>()
            .join(" + ");
        let bytes: i64 = conn
            .cached()
            .tq_one(&format!("SELECT ({sum})::BIGINT"), &[])?
            .get(0);
        Ok(bytes.max(0) as u64)
    }

    fn clinic_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT c.id FROM platform.clinics c
                 LEFT JOIN platform.terminations t ON t.clinic_id = c.id
                 WHERE t.deleted_at IS NULL ORDER BY c.created_at, c.id",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn after(
        &self,
        clinic: &str,
        since: u64,
        limit: u32,
    ) -> Result<(Vec<(u64, WireChange)>, u64), StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        // The page and the head in one statement, so from one snapshot: the head is never
        // below the page (a page of nothing still gives the head).
        let rows = conn.q(
            &format!(
                "SELECT h.head, c.seq, c.doc_id, c.hash, c.bytes
                 FROM (SELECT COALESCE(MAX(seq), 0) AS head FROM {schema}.changes) h
                 LEFT JOIN LATERAL (SELECT seq, doc_id, hash, bytes FROM {schema}.changes
                                    WHERE seq > $1 ORDER BY seq LIMIT $2) c ON true
                 ORDER BY c.seq"
            ),
            &[&(since.min(i64::MAX as u64) as i64), &i64::from(limit)],
        )?;
        let head = rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64);
        let key = self.sealer(clinic)?;
        let page = rows
            .iter()
            .filter_map(|r| {
                let seq = r.get::<_, Option<i64>>(1)? as u64;
                let hash: String = r.get(3);
                let bytes = key.open(Kind::Change, &hash, r.get(4));
                Some(bytes.map(|bytes| {
                    let doc_id = r.get(2);
                    (
                        seq,
                        WireChange {
                            doc_id,
                            hash,
                            bytes,
                        },
                    )
                }))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((page, head))
    }

    fn log_len(&self, clinic: &str) -> Result<u64, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let n: i64 = conn
            .cached()
            .tq_one(&format!("SELECT COUNT(*) FROM {schema}.changes"), &[])?
            .get(0);
        Ok(n as u64)
    }

    fn head(&self, clinic: &str) -> Result<u64, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let sql = format!("SELECT COALESCE(MAX(seq), 0) FROM {schema}.changes");
        Ok(conn.q_one(&sql, &[])?.get::<_, i64>(0) as u64)
    }

    fn guess_ledger(&self) -> Option<&dyn super::GuessLedger> {
        Some(self)
    }

    fn seen(&self, seen: &[Seen]) -> Result<(), StoreError> {
        if seen.is_empty() {
            return Ok(());
        }
        let clinics: Vec<&str> = seen.iter().map(|s| s.clinic.as_str()).collect();
        let nodes: Vec<&str> = seen.iter().map(|s| s.node.as_str()).collect();
        let at: Vec<i64> = seen.iter().map(|s| s.at).collect();
        let pending: Vec<Option<i64>> = seen.iter().map(Seen::pending_i64).collect();
        // One statement for all (each machine once: the gatherer merged them). A pull says
        // nothing about what the machine holds unsent: keep its last push's word. An older
        // note (another replica's, written late) moves nothing back.
        self.conn()?.x(
            "INSERT INTO platform.device_status (clinic_id, node_id, last_seen_at, pending)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (clinic_id, node_id) DO UPDATE SET
                 pending = CASE WHEN excluded.last_seen_at >= platform.device_status.last_seen_at
                                THEN COALESCE(excluded.pending, platform.device_status.pending)
                                ELSE platform.device_status.pending END,
                 last_seen_at = GREATEST(excluded.last_seen_at, platform.device_status.last_seen_at)",
            &[&clinics, &nodes, &at, &pending],
        )?;
        Ok(())
    }

    fn machines(&self, clinic: &str) -> Result<Vec<MachineStatus>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT d.node_id, MIN(d.created_at), MAX(s.last_seen_at), MAX(s.pending),
                        BOOL_AND(d.revoked_at IS NOT NULL)
                 FROM platform.devices d
                 LEFT JOIN platform.device_status s ON s.clinic_id = d.clinic_id AND s.node_id = d.node_id
                 WHERE d.clinic_id = $1 GROUP BY d.node_id ORDER BY MIN(d.created_at), d.node_id",
                &[&clinic],
            )?
            .iter()
            .map(|r| MachineStatus {
                node_id: r.get(0),
                enrolled_at: r.get(1),
                last_seen_at: r.get(2),
                pending: r.get::<_, Option<i64>>(3).map(|p| p as u64),
                revoked: r.get(4),
            })
            .collect())
    }

    fn revoke(&self, clinic: &str, node: &str) -> Result<Option<u32>, StoreError> {
        let mut conn = self.conn()?;
        let known: i64 = conn
            .q_one(
                "SELECT COUNT(*) FROM platform.devices WHERE clinic_id = $1 AND node_id = $2",
                &[&clinic, &node],
            )?
            .get(0);
        if known == 0 {
            return Ok(None);
        }
        let n = conn.x(
            "UPDATE platform.devices SET revoked_at = $3 WHERE clinic_id = $1 AND node_id = $2 AND revoked_at IS NULL",
            &[&clinic, &node, &now()],
        )?;
        // The other replicas forget the machine's checked credential and close its sockets
        // (should this news be lost, their memory of the check runs out within seconds).
        let news = super::postgres_news::prefix(&self.replica, clinic, node)
            + super::postgres_news::REVOKED;
        conn.x(
            "SELECT pg_notify($1, $2)",
            &[&super::postgres_news::CHANNEL, &news],
        )?;
        Ok(Some(n as u32))
    }

    fn credential_active(&self, clinic: &str, node: &str, cred: &str) -> Result<bool, StoreError> {
        if cred.len() != 16 {
            return Ok(false);
        }
        // The primary key (collated "C") serves the prefix range; `cred` is 16 hex digits.
        let found = self.conn()?.q_opt(
            "SELECT 1 FROM platform.devices WHERE credential_hash >= $3 AND credential_hash < $3 || 'g'
             AND clinic_id = $1 AND node_id = $2 AND revoked_at IS NULL LIMIT 1",
            &[&clinic, &node, &cred],
        )?;
        Ok(found.is_some())
    }

    fn put_blob(
        &self,
        clinic: &str,
        sha256: &str,
        bytes: &[u8],
        node: &str,
    ) -> Result<bool, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let sealed = self.sealer(clinic)?.seal(Kind::Blob, sha256, bytes);
        let n = conn.cached().tx(
            &format!("INSERT INTO {schema}.blobs (sha256, bytes, node, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"),
            &[(&sha256, Type::TEXT), (&sealed, Type::BYTEA), (&node, Type::TEXT), (&now(), Type::INT8)],
        )?;
        Ok(n == 1)
    }

    fn blob(&self, clinic: &str, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        conn.cached()
            .tq_opt(
                &format!("SELECT bytes FROM {schema}.blobs WHERE sha256 = $1"),
                &[(&sha256, Type::TEXT)],
            )?
            .map(|r| self.sealer(clinic)?.open(Kind::Blob, sha256, r.get(0)))
            .transpose()
    }

    fn compact(&self, clinic: &str, doc_id: &str) -> Result<(), StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let PgConn { client, stmts, .. } = &mut *conn;
        let key = self.sealer(clinic)?;
        let mut tx = client.transaction()?;
        log::compact(&mut PgLog::new(&mut tx, &schema, stmts), &key, doc_id)?;
        tx.commit()?;
        Ok(())
    }

    fn secret(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let mut fresh = vec![0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| StoreError::Doc(e.to_string()))?;
        let mut conn = self.conn()?;
        conn.x(
            "INSERT INTO platform.secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &fresh],
        )?;
        Ok(conn
            .q_one(
                "SELECT value FROM platform.secrets WHERE name = $1",
                &[&name],
            )?
            .get(0))
    }

    fn author_lock(&self, clinic: &str) -> Result<Box<dyn std::any::Any>, StoreError> {
        let mut conn = self.conn()?;
        // A transaction's lock: released at its end, or by the server if this process dies.
        conn.batch_execute("BEGIN")?;
        conn.x(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&locks::AUTHOR, &clinic],
        )?;
        Ok(Box::new(AuthorLock(conn)))
    }

    fn listen(&self, heard: Heard) -> Result<bool, StoreError> {
        super::postgres_news::listen(self.url.clone(), self.replica.clone(), heard)?;
        Ok(true)
    }

    fn bootstrap(
        &self,
        clinic: &str,
        after: Option<&str>,
        max_bytes: usize,
    ) -> Result<BootstrapPage, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        // The head is read first and each document after it, so every change up to the head
        // is in the page's documents (a later one in them too is harmless: a machine that
        // pulls it again knows it). Not one snapshot: a compaction saved here by another
        // replica at the same moment would fail a repeatable-read transaction.
        let PgConn { client, stmts, .. } = &mut *conn;
        let key = self.sealer(clinic)?;
        let mut tx = client.transaction()?;
        let page = log::bootstrap(
            &mut PgLog::new(&mut tx, &schema, stmts),
            &key,
            after,
            max_bytes,
        )?;
        tx.commit()?;
        Ok(page)
    }
}
