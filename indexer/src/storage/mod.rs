//! Storage: the indexed blocks, coinbase outputs, pools, watched payout scripts, the
//! per-window hashprice index and delivered sats per (script, window).
//!
//! [`DbRead`] is the query side the signer and API use; [`DbWrite`] is used only by the
//! follower. [`SqliteStore`] (WAL mode, the default) and [`PgStore`] are the one generic
//! [`SqlStore`] over the two databases (see [`Backend`]), so one body of SQL implements
//! both traits and the same test-suite runs against each. Every write is one
//! transaction: a batch of blocks, or a reorg's deletion together with the blocks that
//! replace it. The schema is versioned by the migrations under `indexer/migrations/` and
//! documented in `indexer/docs/schema.md`.

mod backend;
mod model;
mod open;
mod postgres;
mod read;
mod sql;
mod sqlite;
mod write;

use std::future::Future;

use bitcoin::{BlockHash, ScriptBuf};

pub use backend::{exec, row, rows, Arg, Backend, BoxFuture, SqlStore};
pub use model::{
    BlockRecord, Delivery, IndexedBlock, OutputCursor, OutputRecord, PoolShare, Rescan, WatchState,
    WindowRecord,
};
pub use open::{with_store, WithStore};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::coinbase::PoolSet;
use crate::payouts::PaymentRecord;
use crate::types::{Height, WindowId, WindowSpec};

/// The index formula's constant: seconds per day times 10^12 H/s per TH/s, so that
/// `INDEX_SCALE · reward / work` is sats per TH/s·day (design.md, "Network index").
pub const INDEX_SCALE: f64 = 86_400.0 * 1e12;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database could not be opened.
    #[error("cannot connect to database {url}")]
    Connect {
        /// The URL, without credentials.
        url: String,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The URL names no supported database.
    #[error("unsupported database URL {0}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// Migrations failed.
    #[error("database migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The schema is older than this build and migrations were not requested.
    #[error(
        "database schema version {found:?} is not the expected {expected}; rerun with --migrate-db"
    )]
    SchemaVersion {
        /// The newest applied migration, if any.
        found: Option<i64>,
        /// This build's newest migration.
        expected: i64,
    },
    /// A query failed.
    #[error("database query {op} failed")]
    Query {
        /// What the query was doing.
        op: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The database was built with other window settings.
    #[error("database has {key} = {stored}, but the configuration says {configured}")]
    SettingsMismatch {
        /// The setting.
        key: &'static str,
        /// The stored value.
        stored: String,
        /// The configured value.
        configured: String,
    },
    /// A block does not extend the stored tip.
    #[error("block {hash} at height {height} does not extend the stored tip {tip:?}")]
    NotNext {
        /// The rejected block's height.
        height: Height,
        /// Its hash.
        hash: BlockHash,
        /// The stored tip.
        tip: Option<(Height, BlockHash)>,
    },
    /// A stored value does not decode.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    /// A rescan's blocks left the store (a reorg) before it was committed.
    #[error("block {hash} at height {height} scanned for payouts is no longer stored")]
    RescanStale {
        /// The height.
        height: Height,
        /// The scanned block's hash.
        hash: BlockHash,
    },
}

/// Maps a sqlx error to [`StorageError::Query`] for the operation `op`.
pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { op, source }
}

/// The read side.
pub trait DbRead: Send + Sync {
    /// Returns the highest stored block.
    fn tip(&self)
        -> impl Future<Output = Result<Option<(Height, BlockHash)>, StorageError>> + Send;
    /// Returns the hash stored at `height`.
    fn block_hash(
        &self,
        height: Height,
    ) -> impl Future<Output = Result<Option<BlockHash>, StorageError>> + Send;
    /// Returns the block stored at `height`.
    fn block(
        &self,
        height: Height,
    ) -> impl Future<Output = Result<Option<BlockRecord>, StorageError>> + Send;
    /// Returns up to `limit` blocks from `from` upwards, by height.
    fn blocks(
        &self,
        from: Height,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<BlockRecord>, StorageError>> + Send;
    /// Returns the coinbase outputs of the block at `height`.
    fn coinbase_outputs(
        &self,
        height: Height,
    ) -> impl Future<Output = Result<Vec<OutputRecord>, StorageError>> + Send;
    /// Returns outputs paying `script` in `[from, to]`.
    fn outputs_by_script(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> impl Future<Output = Result<Vec<OutputRecord>, StorageError>> + Send;
    /// Returns one page of the outputs paying `script` in `[from, to]`: up to `limit`
    /// outputs ordered by `(height, vout)` that come strictly after `after` (the last
    /// record of the previous page, see [`OutputCursor::of`]; `None` for the first page).
    /// A page shorter than `limit` is the last one.
    fn outputs_by_script_page(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
        after: Option<OutputCursor>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<OutputRecord>, StorageError>> + Send;
    /// Returns the stored outputs of non-coinbase transactions paying `script` in
    /// `[from, to]`, ordered by height, position and vout. Complete only when
    /// [`DbRead::watch_state`] says [`WatchState::Scanned`].
    fn payments(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> impl Future<Output = Result<Vec<PaymentRecord>, StorageError>> + Send;
    /// Says whether `script`'s payments in ordinary transactions are all stored.
    fn watch_state(
        &self,
        script: &ScriptBuf,
    ) -> impl Future<Output = Result<WatchState, StorageError>> + Send;
    /// Lists every watched script with the first height its payouts outside coinbases
    /// are looked for at (the `from` it was watched with).
    fn scan_starts(
        &self,
    ) -> impl Future<Output = Result<Vec<(ScriptBuf, Height)>, StorageError>> + Send;
    /// Lists the watched scripts whose stored blocks are still to be rescanned, with the
    /// height each rescan starts at.
    fn rescans(
        &self,
    ) -> impl Future<Output = Result<Vec<(ScriptBuf, Height)>, StorageError>> + Send;
    /// Returns outputs paying `address` in `[from, to]`.
    fn outputs_by_address(
        &self,
        address: &str,
        from: Height,
        to: Height,
    ) -> impl Future<Output = Result<Vec<OutputRecord>, StorageError>> + Send;
    /// Returns the maintained deliveries of a watched script for windows `[from, to]`:
    /// its coinbase outputs and its payments in ordinary transactions.
    fn deliveries(
        &self,
        script: &ScriptBuf,
        from: WindowId,
        to: WindowId,
    ) -> impl Future<Output = Result<Vec<Delivery>, StorageError>> + Send;
    /// Computes sats paid to any `script` per window over heights `[from, to]`, watched
    /// or not: its coinbase outputs, plus its stored payments in ordinary transactions
    /// (which only watched scripts have).
    fn delivered_by_window(
        &self,
        script: &ScriptBuf,
        from: Height,
        to: Height,
    ) -> impl Future<Output = Result<Vec<Delivery>, StorageError>> + Send;
    /// Returns the index rows for windows `[from, to]`.
    fn windows(
        &self,
        from: WindowId,
        to: WindowId,
    ) -> impl Future<Output = Result<Vec<WindowRecord>, StorageError>> + Send;
    /// Returns blocks per pool over heights `[from, to]`, most blocks first.
    fn pool_shares(
        &self,
        from: Height,
        to: Height,
    ) -> impl Future<Output = Result<Vec<PoolShare>, StorageError>> + Send;
    /// Returns the watched payout scripts.
    fn watched_scripts(&self) -> impl Future<Output = Result<Vec<ScriptBuf>, StorageError>> + Send;
    /// Returns the window settings the database was built with.
    fn window_spec(&self) -> WindowSpec;
}

/// The write side, used only by the follower.
pub trait DbWrite: Send + Sync {
    /// In one transaction: deletes every block above `rollback_to` (when given) and the
    /// rows derived from them, then appends `blocks`, which must start right above the
    /// remaining tip and chain by parent hash.
    ///
    /// # Errors
    ///
    /// [`StorageError::NotNext`] if a block does not extend the tip; nothing is written.
    fn apply(
        &self,
        rollback_to: Option<Height>,
        blocks: &[IndexedBlock],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Watches `script` and computes its deliveries over the blocks already stored. Its
    /// payments in ordinary transactions are looked for from height `from` (the first
    /// block that may pay it) on, whenever it is watched: a script not watched before is
    /// rescanned over the stored blocks from `from` by the follower's next step, and new
    /// blocks are scanned as they come. Watching a watched script again changes nothing.
    fn watch_script(
        &self,
        script: &ScriptBuf,
        label: &str,
        from: Height,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// In one transaction: stores what a rescan found, marks its scripts scanned (those
    /// whose rescan still starts where it did) and recomputes their deliveries.
    ///
    /// # Errors
    /// [`StorageError::RescanStale`] when a scanned block is no longer stored; nothing is
    /// written and the next step rescans.
    fn finish_rescan(
        &self,
        rescan: &Rescan,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Inserts or updates the pools table from a pools file.
    fn upsert_pools(
        &self,
        pools: &PoolSet,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// Computes the index, sats per TH/s·day, from a window's reward and work.
pub fn index_value(reward_sats: i64, work: f64) -> f64 {
    if work > 0.0 {
        INDEX_SCALE * reward_sats as f64 / work
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_the_worked_example() {
        // research/silica-and-payouts.md: D = 1e14 and R = 3.175e8 sats give ~63.9.
        let v = index_value(317_500_000, 1e14 * 4_294_967_296.0);
        assert!((v - 63.87).abs() < 0.01, "{v}");
    }
}
