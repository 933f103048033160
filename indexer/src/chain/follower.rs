//! The follower: backfill, reorg handling and tip polling.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::{BlockHash, Network};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Notify;

use crate::coinbase::{
    parse_coinbase_prefix, CoinbaseBlock, CoinbaseParseError, CoinbaseValidationError, PoolSet,
};
use crate::source::{BlockSource, CoinbaseEvent, SourceError};
use crate::storage::{DbRead, DbWrite, IndexedBlock, StorageError};
use crate::types::Height;

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
}

impl FollowError {
    /// Returns true for failures worth retrying after a back-off.
    pub fn is_transient(&self) -> bool {
        match self {
            FollowError::Source(e) => e.is_transient(),
            FollowError::Storage(e) => {
                matches!(e, StorageError::Query { .. } | StorageError::Connect { .. })
            }
            _ => false,
        }
    }
}

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
    /// Draw a progress bar (only when stderr is a terminal).
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

/// Applies a [`BlockSource`]'s best chain to a store.
pub struct Follower<S, D> {
    source: S,
    store: D,
    pools: PoolSet,
    config: FollowerConfig,
    wake: Option<Arc<Notify>>,
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
        }
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
        Ok(IndexedBlock { coinbase, pool })
    }

    /// Fetches and commits one batch, handling a reorg if the stored tip left the
    /// source's best chain.
    ///
    /// # Errors
    ///
    /// [`FollowError`]; nothing is committed when a step fails.
    pub async fn step(&mut self) -> Result<Step, FollowError> {
        let local = self.store.tip().await.map_err(FollowError::Storage)?;
        let Some((source_tip, _)) = self.source.tip().await.map_err(FollowError::Source)? else {
            return Ok(Step::AtTip);
        };
        let mut rollback = None;
        let (next, mut expected_parent) = match local {
            None => (self.config.start_height, None),
            Some((h, hash)) => {
                if self.source.hash_at(h).await.map_err(FollowError::Source)? == Some(hash) {
                    (Height(h.0 + 1), Some(hash))
                } else {
                    let fork = self.fork_point(h).await?;
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
        if next > source_tip && rollback.is_none() {
            return Ok(Step::AtTip);
        }
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
            blocks.push(self.index(event)?);
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

    /// Steps until the store reaches the source's tip, drawing a progress bar when
    /// enabled and stderr is a terminal. Returns the blocks applied.
    ///
    /// # Errors
    ///
    /// The first failed step's error.
    pub async fn sync(&mut self) -> Result<u64, FollowError> {
        let bar = self.progress_bar().await?;
        let mut applied = 0u64;
        loop {
            match self.step().await? {
                Step::Applied { blocks, .. } => {
                    applied += u64::from(blocks);
                    bar.inc(u64::from(blocks));
                }
                Step::Raced => continue,
                Step::AtTip => break,
            }
        }
        bar.finish_and_clear();
        Ok(applied)
    }

    async fn progress_bar(&mut self) -> Result<ProgressBar, FollowError> {
        if !self.config.progress || !std::io::stderr().is_terminal() {
            return Ok(ProgressBar::hidden());
        }
        let local = self.store.tip().await.map_err(FollowError::Storage)?;
        let tip = self.source.tip().await.map_err(FollowError::Source)?;
        let from = local.map_or(self.config.start_height.0, |(h, _)| h.0 + 1);
        let total = tip.map_or(0, |(h, _)| u64::from((h.0 + 1).saturating_sub(from)));
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} blocks  {per_sec}  eta {eta}")
                .expect("the template is valid"),
        );
        Ok(bar)
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
