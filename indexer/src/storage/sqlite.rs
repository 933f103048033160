//! The SQLite backend, the embedded default: WAL journal, `synchronous = NORMAL`
//! (durable against a process crash such as `kill -9`; the last transactions may be lost
//! on power failure, never half-applied).

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Sqlite;

use super::backend::SqlStore;
use super::write::check_database;
use super::StorageError;
use crate::types::WindowSpec;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a connection waits for another writer's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A SQLite database in WAL mode.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or
    /// `sqlite::memory:`), runs migrations when `migrate` is set, and checks the schema
    /// version and window settings.
    ///
    /// # Errors
    ///
    /// [`StorageError::Connect`], [`StorageError::Migrate`],
    /// [`StorageError::SchemaVersion`] or [`StorageError::SettingsMismatch`].
    pub async fn open(
        url: &str,
        spec: WindowSpec,
        migrate: bool,
    ) -> Result<SqliteStore, StorageError> {
        let connect = |source| StorageError::Connect {
            url: url.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT);
        // An in-memory database exists per connection, so it must use exactly one.
        let max = if url.contains(":memory:") { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await
            .map_err(connect)?;
        if migrate {
            MIGRATOR.run(&pool).await.map_err(StorageError::Migrate)?;
        }
        check_database(&pool, &MIGRATOR, spec).await?;
        Ok(SqlStore {
            pool,
            spec,
            work: alkahest_protocol::index::WorkModel::Header,
        })
    }
}
