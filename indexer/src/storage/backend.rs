//! The one query layer both databases share.
//!
//! [`Backend`] is implemented, by a single blanket impl, for every sqlx database that
//! satisfies the bounds the store needs; it is sealed to SQLite and PostgreSQL. Store
//! code is then ordinary generic code over `B: Backend`: statements use `$N`
//! placeholders and `ON CONFLICT`, which both databases accept, arguments are passed as
//! [`Arg`] values and columns are read with the typed getters. The heavy sqlx bounds are
//! written once, on the blanket impl, instead of on every function.

use alkahest_protocol::index::WorkModel;
use std::future::Future;
use std::pin::Pin;

use sqlx::database::HasArguments;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::{query_err, StorageError};
use crate::types::WindowSpec;

/// A boxed, sendable future, as sqlx's executors return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One bound statement argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `BIGINT`.
    I64(i64),
    /// Nullable `BIGINT`.
    OptI64(Option<i64>),
    /// `DOUBLE PRECISION` / `REAL`.
    F64(f64),
    /// `BOOLEAN`.
    Bool(bool),
    /// `BYTEA` / `BLOB`.
    Bytes(Vec<u8>),
    /// `TEXT`.
    Text(String),
    /// Nullable `TEXT`.
    OptText(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::I64(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::OptI64(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Arg {
        Arg::F64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Arg {
        Arg::Bytes(v)
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_owned())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::OptText(v)
    }
}

mod sealed {
    /// Limits [`super::Backend`] to the databases the migrations exist for.
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

/// A database the store runs on: SQLite or PostgreSQL.
pub trait Backend: Database + sealed::Sealed {
    /// Runs a statement.
    fn execute<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>>;
    /// Runs a query and returns every row.
    fn fetch_all<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<Vec<Self::Row>, sqlx::Error>>;
    /// Runs a query and returns its first row, if any.
    fn fetch_optional<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<Option<Self::Row>, sqlx::Error>>;
    /// Reads a `BIGINT` column.
    fn i64(row: &Self::Row, col: &str) -> Result<i64, sqlx::Error>;
    /// Reads a nullable `BIGINT` column.
    fn opt_i64(row: &Self::Row, col: &str) -> Result<Option<i64>, sqlx::Error>;
    /// Reads a floating-point column.
    fn f64(row: &Self::Row, col: &str) -> Result<f64, sqlx::Error>;
    /// Reads a boolean column.
    fn bool(row: &Self::Row, col: &str) -> Result<bool, sqlx::Error>;
    /// Reads a byte-string column.
    fn bytes(row: &Self::Row, col: &str) -> Result<Vec<u8>, sqlx::Error>;
    /// Reads a text column.
    fn text(row: &Self::Row, col: &str) -> Result<String, sqlx::Error>;
    /// Reads a nullable text column.
    fn opt_text(row: &Self::Row, col: &str) -> Result<Option<String>, sqlx::Error>;
}

type Args<'q, DB> = <DB as HasArguments<'q>>::Arguments;

fn bind<'q, DB>(sql: &'q str, args: Vec<Arg>) -> Query<'q, DB, Args<'q, DB>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
{
    let mut q = sqlx::query::<DB>(sql);
    for arg in args {
        q = match arg {
            Arg::I64(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::F64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
        };
    }
    q
}

impl<DB> Backend for DB
where
    DB: Database + sealed::Sealed,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Args<'q, DB>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'s> &'s str: ColumnIndex<DB::Row>,
{
    fn execute<'a>(
        conn: &'a mut DB::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        let fut = conn.execute(bind::<DB>(sql, args));
        Box::pin(async move { fut.await.map(|_| ()) })
    }

    fn fetch_all<'a>(
        conn: &'a mut DB::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<Vec<DB::Row>, sqlx::Error>> {
        conn.fetch_all(bind::<DB>(sql, args))
    }

    fn fetch_optional<'a>(
        conn: &'a mut DB::Connection,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> BoxFuture<'a, Result<Option<DB::Row>, sqlx::Error>> {
        conn.fetch_optional(bind::<DB>(sql, args))
    }

    fn i64(row: &DB::Row, col: &str) -> Result<i64, sqlx::Error> {
        row.try_get(col)
    }
    fn opt_i64(row: &DB::Row, col: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(col)
    }
    fn f64(row: &DB::Row, col: &str) -> Result<f64, sqlx::Error> {
        row.try_get(col)
    }
    fn bool(row: &DB::Row, col: &str) -> Result<bool, sqlx::Error> {
        row.try_get(col)
    }
    fn bytes(row: &DB::Row, col: &str) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(col)
    }
    fn text(row: &DB::Row, col: &str) -> Result<String, sqlx::Error> {
        row.try_get(col)
    }
    fn opt_text(row: &DB::Row, col: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(col)
    }
}

/// Runs a statement, naming `op` in the error. Public so other stores (the API's
/// chain-state store) reuse this layer instead of copying it.
pub async fn exec<B: Backend>(
    conn: &mut B::Connection,
    op: &'static str,
    sql: &str,
    args: Vec<Arg>,
) -> Result<(), StorageError> {
    B::execute(conn, sql, args).await.map_err(query_err(op))
}

/// Runs a query returning rows, naming `op` in the error.
pub async fn rows<B: Backend>(
    conn: &mut B::Connection,
    op: &'static str,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<B::Row>, StorageError> {
    B::fetch_all(conn, sql, args).await.map_err(query_err(op))
}

/// Runs a query returning at most one row, naming `op` in the error.
pub async fn row<B: Backend>(
    conn: &mut B::Connection,
    op: &'static str,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Option<B::Row>, StorageError> {
    B::fetch_optional(conn, sql, args)
        .await
        .map_err(query_err(op))
}

/// A store on database `DB`: [`super::SqliteStore`] or [`super::PgStore`]. It
/// implements [`super::DbRead`] and [`super::DbWrite`] once, for both.
pub struct SqlStore<DB: Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    pub(crate) spec: WindowSpec,
    /// Where the window table's work comes from: header `bits` (default), or the
    /// devnet's simulated difficulty, the same model its signers use.
    pub(crate) work: WorkModel,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            spec: self.spec,
            work: self.work,
        }
    }
}

impl<DB: Database> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("pool", &self.pool)
            .field("spec", &self.spec)
            .field("work", &self.work)
            .finish()
    }
}

impl<DB: Database> SqlStore<DB> {
    /// Computes window work (and so the index) with `model` from now on: a devnet
    /// whose signers simulate a difficulty sets the same model, so the API's index is
    /// the index the signers sign. Windows already stored keep their figures.
    pub fn with_work_model(mut self, model: WorkModel) -> Self {
        self.work = model;
        self
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
