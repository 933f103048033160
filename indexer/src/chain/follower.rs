//! The follower: backfill, reorg handling and tip polling.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::pow::Work;
use bitcoin::{BlockHash, Network};
use tokio::sync::Notify;

use crate::coinbase::{
    parse_coinbase_prefix, CoinbaseBlock, CoinbaseParseError, CoinbaseValidationError, PoolSet,
};
use crate::source::{BlockSource, CoinbaseEvent, SourceError};
use crate::storage::{DbRead, DbWrite, IndexedBlock, StorageError};
use crate::types::Height;

use super::payouts;

/// Why following stopped or a step failed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The block source failed.
    #[error("block source failed")]
    Source(#[source] SourceError),
    /// Storage failed.
    #[error("storage failed")]
    Storage(#[source] StorageError),
    /// A block from the source is not a header plus coinbase.
    #[error("block {hash} at height {height} is malformed")]
    Parse {
        /// Its height on the source's chain.
        height: Height,
        /// The hash the source reported.
        hash: BlockHash,
        /// The parse error.
        #[source]
        source: CoinbaseParseError,
    },
    /// A block does not fit its chain position.
    #[error("block at height {0} is invalid")]
    Validate(Height, #[source] CoinbaseValidationError),
    /// The source and the store disagree at genesis, so they follow different chains.
    #[error("the source's chain does not share the stored genesis block")]
    DifferentChain,
    /// The source's chain leaves the stored one but has no more work (for example a
    /// node that is still syncing or reindexing, or a blk snapshot older than the
    /// database), so the stored blocks are kept.
    #[error(
        "the source is behind: its tip {source_height} {source_hash} has no more work than \
         the stored tip {stored_height} {stored_hash} (fork at height {fork}); stored blocks \
         are kept until the source catches up"
    )]
    SourceBehind {
        /// The stored tip's height.
        stored_height: Height,
        /// The stored tip's hash.
        stored_hash: BlockHash,
        /// The source's tip height.
        source_height: Height,
        /// The source's tip hash.
        source_hash: BlockHash,
        /// The highest height both chains share.
        fork: Height,
    },
}

impl FollowError {
    /// Returns true for failures worth retrying after a back-off.
    pub fn is_transient(&self) -> bool {
        match self {
            FollowError::Source(e) => e.is_transient(),
            FollowError::Storage(e) => {
                matches!(e, StorageError::Query { .. } | StorageError::Connect { .. })
            }
            // A syncing node catches up: wait for it.
            FollowError::SourceBehind { .. } => true,
            _ => false,
        }
    }
}

/// Stored blocks read per query when summing their work.
const WORK_PAGE: u32 = 1_000;

/// Follower settings.
#[derive(Debug, Clone)]
pub struct FollowerConfig {
    /// The network, for heights, subsidies and addresses.
    pub network: Network,
    /// The first height to index on an empty store.
    pub start_height: Height,
    /// Blocks fetched and committed per transaction while backfilling.
    pub batch_size: u32,
    /// How often to poll the source at the tip.
    pub poll_interval: Duration,
    /// The first retry delay after a transient error; it doubles up to `max_backoff`.
    pub min_backoff: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
    /// Report sync progress to the [`Progress`] set with [`Follower::with_progress`];
    /// `false` silences it. The library itself never draws anything.
    pub progress: bool,
}

impl Default for FollowerConfig {
    fn default() -> Self {
        FollowerConfig {
            network: Network::Bitcoin,
            start_height: Height(0),
            batch_size: 100,
            poll_interval: Duration::from_secs(5),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            progress: true,
        }
    }
}

/// What one [`Follower::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Blocks were committed, after rolling back to `rolled_back_to` when a reorg was seen.
    Applied {
        /// Blocks appended.
        blocks: u32,
        /// The fork point, when blocks above it were replaced.
        rolled_back_to: Option<Height>,
    },
    /// The store is at the source's tip.
    AtTip,
    /// The source changed while being read; nothing was committed, try again.
    Raced,
}

/// Receives [`Follower::sync`]'s progress. The library never touches the terminal: the
/// `indexer` binary implements this with a progress bar, tests and embedders may log or
/// ignore it.
pub trait Progress: Send + Sync {
    /// A sync starts with blocks `from` to `to` (the source's tip) to apply.
    fn start(&mut self, from: Height, to: Height);
    /// `blocks` blocks were committed.
    fn applied(&mut self, blocks: u32);
    /// The sync reached the source's tip or stopped.
    fn finish(&mut self);
}

/// Applies a [`BlockSource`]'s best chain to a store.
pub struct Follower<S, D> {
    source: S,
    store: D,
    pools: PoolSet,
    config: FollowerConfig,
    wake: Option<Arc<Notify>>,
    progress: Option<Box<dyn Progress>>,
}

impl<S, D> Follower<S, D> {
    /// The progress observer, when one is set and reporting is enabled.
    fn reporter(&mut self) -> Option<&mut (dyn Progress + 'static)> {
        if self.config.progress {
            self.progress.as_deref_mut()
        } else {
            None
        }
    }
}

impl<S: BlockSource, D: DbRead + DbWrite> Follower<S, D> {
    /// Creates a follower. `pools` may be empty, in which case no pool is identified.
    pub fn new(source: S, store: D, pools: PoolSet, config: FollowerConfig) -> Self {
        Follower {
            source,
            store,
            pools,
            config,
            wake: None,
            progress: None,
        }
    }

    /// Reports each sync's progress to `progress`.
    pub fn with_progress(mut self, progress: impl Progress + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Also wakes the polling loop of [`Follower::run`] whenever `wake` is notified
    /// (see [`crate::source::zmq::spawn_wake`]).
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Returns the store.
    pub fn store(&self) -> &D {
        &self.store
    }

    /// Returns the store, consuming the follower.
    pub fn into_store(self) -> D {
        self.store
    }

    /// Returns the source, e.g. to rescan a blk directory.
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Finds the highest stored height whose hash the source still has.
    async fn fork_point(&mut self, from: Height) -> Result<Height, FollowError> {
        let mut h = from;
        loop {
            let stored = self
                .store
                .block_hash(h)
                .await
                .map_err(FollowError::Storage)?;
            let Some(stored) = stored else { return Ok(h) };
            if self.source.hash_at(h).await.map_err(FollowError::Source)? == Some(stored) {
                return Ok(h);
            }
            h = h.prev().ok_or(FollowError::DifferentChain)?;
        }
    }

    /// The first height to index on an empty store: the configured start, or the
    /// source's first block when it starts higher (a pruned blk directory).
    fn first_height(&self) -> Height {
        self.config.start_height.max(self.source.first_height())
    }

    /// Sums the work of the stored blocks above `fork`.
    async fn stored_work_above(&self, fork: Height) -> Result<Work, FollowError> {
        let mut total = Work::from_be_bytes([0; 32]);
        let mut from = Height(fork.0 + 1);
        loop {
            let page = self
                .store
                .blocks(from, WORK_PAGE)
                .await
                .map_err(FollowError::Storage)?;
            let Some(last) = page.last() else {
                return Ok(total);
            };
            from = Height(last.height.0 + 1);
            total = page.iter().fold(total, |t, b| t + b.work);
        }
    }

    /// Only a chain with more work than the stored one may replace stored blocks: a
    /// node that is reindexing, or a blk snapshot older than the database, serves a
    /// shorter chain that would otherwise roll the store back.
    ///
    /// # Errors
    ///
    /// [`FollowError::SourceBehind`] when the source's blocks above `fork` have no more
    /// work than the stored ones.
    async fn require_more_work(
        &mut self,
        fork: Height,
        stored_tip: (Height, BlockHash),
        source_tip: (Height, BlockHash),
    ) -> Result<(), FollowError> {
        let stored = self.stored_work_above(fork).await?;
        let mut source = Work::from_be_bytes([0; 32]);
        let mut next = Height(fork.0 + 1);
        while source <= stored && next <= source_tip.0 {
            let events = self
                .source
                .fetch_coinbases(next, self.config.batch_size)
                .await
                .map_err(FollowError::Source)?;
            if events.is_empty() {
                break;
            }
            for event in &events {
                let parsed =
                    parse_coinbase_prefix(&event.prefix, event.size).map_err(|source| {
                        FollowError::Parse {
                            height: event.height,
                            hash: event.hash,
                            source,
                        }
                    })?;
                source = source + parsed.header.work();
            }
            next = Height(next.0 + events.len() as u32);
        }
        if source > stored {
            return Ok(());
        }
        Err(FollowError::SourceBehind {
            stored_height: stored_tip.0,
            stored_hash: stored_tip.1,
            source_height: source_tip.0,
            source_hash: source_tip.1,
            fork,
        })
    }

    /// Rescans the stored blocks, all on the source's best chain, for scripts watched
    /// since they were stored ([`payouts::rescan`]). Returns false when the source moved
    /// meanwhile, so the step is redone.
    async fn rescan(&mut self) -> Result<bool, FollowError> {
        match payouts::rescan(&mut self.source, &self.store).await {
            Ok(()) => Ok(true),
            Err(e) if payouts::source_moved(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn index(&self, event: CoinbaseEvent) -> Result<IndexedBlock, FollowError> {
        let parsed = parse_coinbase_prefix(&event.prefix, event.size).map_err(|source| {
            FollowError::Parse {
                height: event.height,
                hash: event.hash,
                source,
            }
        })?;
        let coinbase = CoinbaseBlock::validate(parsed, event.height, self.config.network)
            .map_err(|e| FollowError::Validate(event.height, e))?;
        let pool = self.pools.identify(&coinbase).map(|p| p.id);
        Ok(IndexedBlock {
            coinbase,
            pool,
            payments: Vec::new(),
        })
    }

    /// Fetches and commits one batch, handling a reorg if the stored tip left the
    /// source's best chain.
    ///
    /// # Errors
    ///
    /// [`FollowError`]; nothing is committed when a step fails.
    pub async fn step(&mut self) -> Result<Step, FollowError> {
        let local = self.store.tip().await.map_err(FollowError::Storage)?;
        let Some(source_tip) = self.source.tip().await.map_err(FollowError::Source)? else {
            return Ok(Step::AtTip);
        };
        let mut rollback = None;
        let (next, mut expected_parent) = match local {
            None => {
                // Nothing stored to rescan: this clears the marks of scripts watched
                // before the first block, which the blocks below are scanned for.
                self.rescan().await?;
                (self.first_height(), None)
            }
            Some((h, hash)) => {
                if self.source.hash_at(h).await.map_err(FollowError::Source)? == Some(hash) {
                    if !self.rescan().await? {
                        return Ok(Step::Raced);
                    }
                    (Height(h.0 + 1), Some(hash))
                } else {
                    let fork = self.fork_point(h).await?;
                    self.require_more_work(fork, (h, hash), source_tip).await?;
                    tracing::warn!(stored_tip = %h, fork = %fork, depth = h.0 - fork.0, "reorg detected");
                    rollback = Some(fork);
                    let parent = self
                        .store
                        .block_hash(fork)
                        .await
                        .map_err(FollowError::Storage)?;
                    (Height(fork.0 + 1), parent)
                }
            }
        };
        if next > source_tip.0 && rollback.is_none() {
            return Ok(Step::AtTip);
        }
        let starts = self
            .store
            .scan_starts()
            .await
            .map_err(FollowError::Storage)?;
        let events = self
            .source
            .fetch_coinbases(next, self.config.batch_size)
            .await
            .map_err(FollowError::Source)?;
        let mut blocks = Vec::with_capacity(events.len());
        for event in events {
            if expected_parent.is_some_and(|p| p != event.parent) {
                tracing::debug!(height = %event.height, "source changed while fetching; retrying");
                return Ok(Step::Raced);
            }
            expected_parent = Some(event.hash);
            let (height, hash) = (event.height, event.hash);
            let mut block = self.index(event)?;
            let scripts = payouts::scanned_at(&starts, height);
            match payouts::payments_of(&mut self.source, height, hash, &scripts).await {
                Ok(found) => block.payments = found,
                Err(e) if payouts::source_moved(&e) => return Ok(Step::Raced),
                Err(e) => return Err(e),
            }
            blocks.push(block);
        }
        if blocks.is_empty() && rollback.is_none() {
            // The source reported a tip at or above `next` but served nothing there.
            return Err(FollowError::Source(SourceError::Missing(next)));
        }
        self.store
            .apply(rollback, &blocks)
            .await
            .map_err(FollowError::Storage)?;
        Ok(Step::Applied {
            blocks: blocks.len() as u32,
            rolled_back_to: rollback,
        })
    }

    /// Steps until the store reaches the source's tip, reporting to the
    /// [`Progress`] set with [`Follower::with_progress`]. Returns the blocks applied.
    ///
    /// # Errors
    ///
    /// The first failed step's error.
    pub async fn sync(&mut self) -> Result<u64, FollowError> {
        if self.reporter().is_some() {
            let local = self.store.tip().await.map_err(FollowError::Storage)?;
            let tip = self.source.tip().await.map_err(FollowError::Source)?;
            let from = local.map_or_else(|| self.first_height(), |(h, _)| Height(h.0 + 1));
            if let (Some(p), Some((to, _))) = (self.reporter(), tip) {
                p.start(from, to);
            }
        }
        let result = self.sync_steps().await;
        if let Some(p) = self.reporter() {
            p.finish();
        }
        result
    }

    async fn sync_steps(&mut self) -> Result<u64, FollowError> {
        let mut applied = 0u64;
        loop {
            match self.step().await? {
                Step::Applied { blocks, .. } => {
                    applied += u64::from(blocks);
                    if let Some(p) = self.reporter() {
                        p.applied(blocks);
                    }
                }
                Step::Raced => continue,
                Step::AtTip => return Ok(applied),
            }
        }
    }

    /// Follows the source until `shutdown` resolves (checked during syncs and waits
    /// alike): syncs, then polls every
    /// `poll_interval`. Transient source and storage errors are logged and retried with
    /// exponential back-off; other errors stop the follower.
    ///
    /// # Errors
    ///
    /// The first non-transient error.
    pub async fn run(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), FollowError> {
        tokio::pin!(shutdown);
        let mut backoff = self.config.min_backoff;
        loop {
            // Shutdown is also honoured mid-sync: dropping a step rolls back its
            // uncommitted transaction, and committed batches are complete.
            let result = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                r = self.sync() => r,
            };
            let wait = match result {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(blocks = n, "caught up with the source");
                    }
                    backoff = self.config.min_backoff;
                    self.config.poll_interval
                }
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), retry_in = ?backoff, "transient error; backing off");
                    let wait = backoff;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    wait
                }
                Err(e) => return Err(e),
            };
            let wake = self.wake.clone();
            let notified = async move {
                match wake {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
                _ = notified => tracing::debug!("woken by a block notification"),
            }
        }
    }
}
