//! A pooled PostgreSQL connection that keeps the statements it prepared: the `postgres` client
//! otherwise prepares each statement anew, a round trip and a parse and plan in PostgreSQL
//! for every statement of a push (docs/BENCHMARKS.md, issue #18).

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use hashlink::LruCache;
use r2d2_postgres::postgres::types::{ToSql, Type};
use r2d2_postgres::postgres::{Client, Config, Error, GenericClient, NoTls, Row, Statement};
use r2d2_postgres::r2d2;

/// A connection and its prepared statements (they live as long as the connection).
pub(super) struct PgConn {
    pub(super) client: Client,
    pub(super) stmts: Stmts,
    /// When the pool last handed it out (or made it).
    taken: Instant,
}

/// Statements prepared on one connection, by their SQL, the least recently used dropped
/// first once [`KEPT`] are held.
pub(super) struct Stmts(LruCache<String, Statement>);

impl Default for Stmts {
    fn default() -> Self {
        Stmts(LruCache::new(KEPT))
    }
}

/// How many statements a connection keeps prepared: a clinic's hot statements are a handful
/// and a connection meets a shard's share of the clinics. Each costs its server process a
/// few KB with its plan.
const KEPT: usize = 2048;

impl Stmts {
    /// `sql` prepared through `prepare` the first time, then kept.
    fn get(
        &mut self,
        sql: &str,
        prepare: impl FnOnce(&str) -> Result<Statement, Error>,
    ) -> Result<Statement, Error> {
        if let Some(st) = self.0.get(sql) {
            return Ok(st.clone());
        }
        let st = prepare(sql)?;
        self.0.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Parameters with their types, for a statement sent without a prepare.
pub(super) type Typed<'a> = &'a [(&'a (dyn ToSql + Sync), Type)];

/// A client or a transaction with the statements kept on its connection (a statement
/// prepared inside a transaction outlives it).
pub(super) struct Cached<'a, C> {
    pub(super) c: &'a mut C,
    pub(super) stmts: &'a mut Stmts,
}

impl<C: GenericClient> Cached<'_, C> {
    fn st(&mut self, sql: &str) -> Result<Statement, Error> {
        let c = &mut *self.c;
        self.stmts.get(sql, |s| c.prepare(s))
    }

    /// `query` with the statement kept.
    pub(super) fn q(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        let st = self.st(sql)?;
        self.c.query(&st, params)
    }

    /// `query_opt` with the statement kept.
    pub(super) fn q_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
        let st = self.st(sql)?;
        self.c.query_opt(&st, params)
    }

    /// `query_one` with the statement kept.
    pub(super) fn q_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, Error> {
        let st = self.st(sql)?;
        self.c.query_one(&st, params)
    }

    /// `execute` with the statement kept.
    pub(super) fn x(&mut self, sql: &str, params: Params<'_>) -> Result<u64, Error> {
        let st = self.st(sql)?;
        self.c.execute(&st, params)
    }

    // A clinic's rarer statements (compaction, check, photos) are sent with their types and
    // not kept: they would push its hot ones out of the cache, and a miss costs a prepare, a
    // round trip of its own. Parsed and planned each time, they still cost one round trip.

    /// `query_typed`: one round trip, no statement kept.
    pub(super) fn tq(&mut self, sql: &str, params: Typed<'_>) -> Result<Vec<Row>, Error> {
        self.c.query_typed(sql, params)
    }

    /// `query_typed_one`: one round trip, no statement kept.
    pub(super) fn tq_one(&mut self, sql: &str, params: Typed<'_>) -> Result<Row, Error> {
        self.c.query_typed_one(sql, params)
    }

    /// `query_typed_opt`: one round trip, no statement kept.
    pub(super) fn tq_opt(&mut self, sql: &str, params: Typed<'_>) -> Result<Option<Row>, Error> {
        self.c.query_typed_opt(sql, params)
    }

    /// `execute_typed`: one round trip, no statement kept.
    pub(super) fn tx(&mut self, sql: &str, params: Typed<'_>) -> Result<u64, Error> {
        self.c.execute_typed(sql, params)
    }
}

impl PgConn {
    /// The client with this connection's kept statements.
    pub(super) fn cached(&mut self) -> Cached<'_, Client> {
        Cached {
            c: &mut self.client,
            stmts: &mut self.stmts,
        }
    }

    /// `query` with the statement kept.
    pub(super) fn q(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        self.cached().q(sql, params)
    }

    /// `query_opt` with the statement kept.
    pub(super) fn q_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
        self.cached().q_opt(sql, params)
    }

    /// `query_one` with the statement kept.
    pub(super) fn q_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, Error> {
        self.cached().q_one(sql, params)
    }

    /// `execute` with the statement kept.
    pub(super) fn x(&mut self, sql: &str, params: Params<'_>) -> Result<u64, Error> {
        self.cached().x(sql, params)
    }
}

impl Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// A transaction begun by hand, so that its first statement rides in the BEGIN's round trip
/// (`Client::transaction` sends BEGIN alone). Rolled back when dropped uncommitted, so a
/// connection never goes back to the pool inside a transaction.
pub(super) struct OpenTx<'a> {
    conn: &'a mut PgConn,
    open: bool,
}

impl<'a> OpenTx<'a> {
    /// BEGIN, then `first` (SQL with no parameters), in one round trip.
    pub(super) fn begin(conn: &'a mut PgConn, first: &str) -> Result<Self, Error> {
        let tx = OpenTx { conn, open: true };
        tx.conn.client.batch_execute(&format!("BEGIN; {first}"))?;
        Ok(tx)
    }

    /// The client inside the transaction, and its connection's kept statements.
    pub(super) fn parts(&mut self) -> (&mut Client, &mut Stmts) {
        (&mut self.conn.client, &mut self.conn.stmts)
    }

    /// Commits (a failed COMMIT has rolled back).
    pub(super) fn commit(mut self) -> Result<(), Error> {
        self.open = false;
        self.conn.client.batch_execute("COMMIT")
    }
}

impl Drop for OpenTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Should the connection be broken, the pool drops it on return (`has_broken`).
            let _ = self.conn.client.batch_execute("ROLLBACK");
        }
    }
}

/// How long a pooled connection may lie idle before its checkout asks the server first.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// Makes the pool's connections.
#[derive(Debug)]
pub(super) struct Manager(pub(super) Config);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = Error;

    fn connect(&self) -> Result<PgConn, Error> {
        let mut client = self.0.connect(NoTls)?;
        // The statements are small index lookups and inserts: their generic plan is the
        // plan, and planning each of a clinic's first five runs anew only costs.
        client.batch_execute("SET plan_cache_mode = force_generic_plan")?;
        Ok(PgConn {
            client,
            stmts: Stmts::default(),
            taken: Instant::now(),
        })
    }

    /// Asks the server only of a connection that lay idle: a ping on every checkout was a
    /// round trip of its own for each of a push's half-dozen checkouts. A connection that
    /// broke while in use fails its query, and the pool drops it on return (`has_broken`).
    fn is_valid(&self, conn: &mut PgConn) -> Result<(), Error> {
        let idle = conn.taken.elapsed();
        conn.taken = Instant::now();
        if idle < IDLE_BEFORE_PING {
            return Ok(());
        }
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}
