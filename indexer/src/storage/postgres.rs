//! The PostgreSQL backend, for scale-out: several API servers over one database.

use sqlx::postgres::PgPoolOptions;
use sqlx::Postgres;

use super::backend::SqlStore;
use super::write::check_database;
use super::StorageError;
use crate::types::WindowSpec;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per store; the follower writes through one, readers share the rest.
const MAX_CONNECTIONS: u32 = 8;

/// A PostgreSQL database.
pub type PgStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// Connects to `url` (`postgres://…`), runs migrations when `migrate` is set, and
    /// checks the schema version and window settings.
    ///
    /// # Errors
    ///
    /// [`StorageError::Connect`], [`StorageError::Migrate`],
    /// [`StorageError::SchemaVersion`] or [`StorageError::SettingsMismatch`].
    pub async fn open(url: &str, spec: WindowSpec, migrate: bool) -> Result<PgStore, StorageError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect(url)
            .await
            .map_err(|source| StorageError::Connect {
                url: redact(url),
                source,
            })?;
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

/// Drops the password from a URL so it never reaches logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(
            super::redact("postgres://postgres@h/db"),
            "postgres://postgres@h/db"
        );
    }
}
