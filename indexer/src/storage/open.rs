//! Opening whichever database a URL names, for binaries that take the URL from their
//! settings: the code that uses the store is generic, so it is handed the store by a
//! [`WithStore`] visitor rather than through an enum that would repeat every query.

use std::future::Future;

use super::postgres::redact;
use super::{DbRead, DbWrite, PgStore, SqliteStore, StorageError};
use alkahest_protocol::index::WorkModel;

use crate::types::WindowSpec;

/// Code to run on a store of either database.
pub trait WithStore {
    /// What it returns.
    type Output;
    /// Runs on `store`.
    fn run<D>(self, store: D) -> impl Future<Output = Self::Output> + Send
    where
        D: DbRead + DbWrite + Clone + 'static;
}

/// Opens `url` (`sqlite:…` or `postgres:`/`postgresql:`), applying migrations when
/// `migrate`, with window work counted by `work`, and runs `f` on it.
///
/// # Errors
/// [`StorageError::Connect`] for an unsupported scheme or a database that cannot be
/// opened.
pub async fn with_store<F: WithStore>(
    url: &str,
    spec: WindowSpec,
    work: WorkModel,
    migrate: bool,
    f: F,
) -> Result<F::Output, StorageError> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::open(url, spec, migrate)
            .await?
            .with_work_model(work);
        Ok(f.run(store).await)
    } else if url.starts_with("sqlite:") {
        let store = SqliteStore::open(url, spec, migrate)
            .await?
            .with_work_model(work);
        Ok(f.run(store).await)
    } else {
        Err(StorageError::UnsupportedUrl(redact(url)))
    }
}
