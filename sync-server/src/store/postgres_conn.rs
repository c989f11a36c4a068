//! A pooled PostgreSQL connection that keeps the statements it prepared: the `postgres` client
//! otherwise prepares each statement anew, a round trip and a parse and plan in PostgreSQL
//! for every one of the dozen statements of a push (docs/BENCHMARKS.md, issue #18).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use r2d2_postgres::postgres::types::ToSql;
use r2d2_postgres::postgres::{Client, Config, Error, GenericClient, NoTls, Row, Statement};
use r2d2_postgres::r2d2;

/// A connection and its prepared statements (they live as long as the connection).
pub(super) struct PgConn {
    pub(super) client: Client,
    pub(super) stmts: Stmts,
}

/// Statements prepared on one connection, by their SQL.
#[derive(Default)]
pub(super) struct Stmts(HashMap<String, Statement>);

/// Statements beyond this many are dropped (clinic schemas make each clinic's SQL its own).
const KEPT: usize = 512;

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
        if self.0.len() >= KEPT {
            self.0.clear();
        }
        self.0.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

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
}

impl PgConn {
    fn cached(&mut self) -> Cached<'_, Client> {
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

/// Makes the pool's connections.
#[derive(Debug)]
pub(super) struct Manager(pub(super) Config);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = Error;

    fn connect(&self) -> Result<PgConn, Error> {
        Ok(PgConn {
            client: self.0.connect(NoTls)?,
            stmts: Stmts::default(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}
