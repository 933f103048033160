//! A source that is behind the store (a blk snapshot older than the database, a node
//! that is reindexing) must not roll stored blocks back: only a chain with more work
//! may replace them. And a pruned blk directory, without genesis, is anchored at its
//! first block's BIP-0034 height.

use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{FollowError, Follower, Step};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::blk::{write_blk_dir, BlkSource, BlkWriteOptions};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::{BlockSource, RegtestSource};
use alkahest_indexer::storage::DbRead;
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::Network;

use crate::common::{follower_config, memory_follower, memory_store, tagged_chain};

const SPEC: WindowSpec = WindowSpec {
    origin: Height(0),
    length: 10,
};

/// Writes the best-chain blocks at heights `from..=to` as a blk directory.
fn write_range(dir: &std::path::Path, chain: &ChainBuilder, from: usize, to: usize) {
    let blocks: Vec<Vec<u8>> = chain.best_chain()[from..=to]
        .iter()
        .map(|b| block_bytes(b))
        .collect();
    write_blk_dir(
        dir,
        blocks.iter().map(Vec::as_slice),
        &BlkWriteOptions::default(),
    )
    .unwrap();
}

/// Steps: index a blk directory of heights 0-60; open the same database against a
/// directory holding only heights 0-25 (a stale snapshot); sync fails with
/// `SourceBehind` naming both tips, and the stored tip stays at 60. (Before the fix the
/// follower logged "reorg detected" and rolled back to 25.)
#[tokio::test]
async fn blk_snapshot_behind_the_store_keeps_stored_blocks() {
    let chain = tagged_chain(60);
    let full = tempfile::tempdir().unwrap();
    write_range(full.path(), &chain, 0, 60);
    let source = BlkSource::open(full.path(), Network::Regtest, None).unwrap();
    let config = follower_config(Network::Regtest);
    let mut f = Follower::new(
        source,
        memory_store(SPEC).await,
        PoolSet::default(),
        config.clone(),
    );
    assert_eq!(f.sync().await.unwrap(), 61);
    let store = f.into_store();
    let stored_tip = store.tip().await.unwrap().unwrap();
    assert_eq!(stored_tip.0, Height(60));

    let short = tempfile::tempdir().unwrap();
    write_range(short.path(), &chain, 0, 25);
    let source = BlkSource::open(short.path(), Network::Regtest, None).unwrap();
    let source_tip = source.tree().tip().unwrap();
    let mut f = Follower::new(source, store, PoolSet::default(), config);
    let err = f.sync().await.unwrap_err();
    match &err {
        FollowError::SourceBehind {
            stored_height,
            source_height,
            fork,
            ..
        } => {
            assert_eq!(*stored_height, Height(60));
            assert_eq!(*source_height, Height(25));
            assert_eq!(*fork, Height(25));
        }
        other => panic!("expected SourceBehind, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains(&stored_tip.1.to_string()) && msg.contains(&source_tip.1.to_string()),
        "{msg}"
    );
    assert!(err.is_transient(), "follow mode waits for the source");
    assert_eq!(f.store().tip().await.unwrap(), Some(stored_tip));
    assert_eq!(f.store().blocks(Height(0), 100).await.unwrap().len(), 61);
}

/// Steps: index 30 blocks; the source then serves a shorter fork (heights 0-20 shared,
/// then 3 other blocks: less work); stepping fails with `SourceBehind` and keeps the
/// store; once the fork outgrows the stored chain (12 blocks past the fork), the
/// follower replaces the stored blocks above height 20.
#[tokio::test]
async fn shorter_fork_waits_until_it_has_more_work() {
    let shared = Arc::new(Mutex::new(tagged_chain(30)));
    let source = RegtestSource::new(shared.clone());
    let mut f = memory_follower(source, SPEC, Network::Regtest).await;
    f.sync().await.unwrap();
    let stored = f.store().tip().await.unwrap().unwrap();

    // The source now follows a fork from height 20 (the builder's best chain is the
    // one with most work, so serve a separate builder holding only the fork).
    let mut fork = ChainBuilder::new();
    for b in shared.lock().unwrap().best_chain()[1..=20].iter() {
        fork.import((*b).clone()).unwrap();
    }
    for i in 0..3u8 {
        fork.mine_on_tip(&CoinbaseSpec::default().with_tag(&[0xf0, i]))
            .unwrap();
    }
    *shared.lock().unwrap() = fork;
    assert!(matches!(
        f.step().await,
        Err(FollowError::SourceBehind {
            fork: Height(20),
            ..
        })
    ));
    assert_eq!(f.store().tip().await.unwrap(), Some(stored));

    let mine = |from: u8, to: u8| {
        for i in from..to {
            shared
                .lock()
                .unwrap()
                .mine_on_tip(&CoinbaseSpec::default().with_tag(&[0xf0, i]))
                .unwrap();
        }
    };
    // 10 fork blocks above height 20 carry exactly the stored chain's work above it
    // (regtest blocks all weigh the same): a tie keeps the stored chain. The fork
    // block itself (height 20, shared) must not be counted on the source's side.
    mine(3, 10);
    assert!(matches!(
        f.step().await,
        Err(FollowError::SourceBehind {
            fork: Height(20),
            ..
        })
    ));
    assert_eq!(f.store().tip().await.unwrap(), Some(stored));

    mine(10, 12);
    let step = f.step().await.unwrap();
    assert!(
        matches!(
            step,
            Step::Applied {
                rolled_back_to: Some(Height(20)),
                ..
            }
        ),
        "{step:?}"
    );
    f.sync().await.unwrap();
    assert_eq!(
        f.store().tip().await.unwrap(),
        Some(shared.lock().unwrap().tip())
    );
}

/// Steps: write a blk directory of heights 10-30 only (a pruned node: no genesis);
/// the reader anchors at the BIP-0034 height of the first block, reports height 10 as
/// its first, and the follower indexes heights 10-30 exactly as the chain has them.
/// (Before, every block was an orphan and nothing was indexed.)
#[tokio::test]
async fn pruned_blk_dir_is_anchored_by_bip34_height() {
    let chain = tagged_chain(30);
    let tmp = tempfile::tempdir().unwrap();
    write_range(tmp.path(), &chain, 10, 30);
    let source = BlkSource::open(tmp.path(), Network::Regtest, None).unwrap();
    assert_eq!(source.tree().tip(), Some(chain.tip()));
    assert_eq!(source.first_height(), Height(10));
    assert_eq!(source.tree().orphans(), 0);
    let mut f = memory_follower(source, SPEC, Network::Regtest).await;
    assert_eq!(f.sync().await.unwrap(), 21);
    let stored = f.store().blocks(Height(0), 100).await.unwrap();
    assert_eq!(stored.first().unwrap().height, Height(10));
    let best = chain.best_chain();
    for b in &stored {
        assert_eq!(b.hash, best[b.height.0 as usize].block_hash());
    }
}

/// Database failures that a retry can cure (a failed query, a lost connection) are
/// transient for the follower's back-off; a schema mismatch is not.
#[test]
fn storage_query_and_connection_failures_are_transient() {
    use alkahest_indexer::storage::StorageError;
    let query = FollowError::Storage(StorageError::Query {
        op: "test",
        source: sqlx::Error::PoolTimedOut,
    });
    let connect = FollowError::Storage(StorageError::Connect {
        url: "sqlite::memory:".into(),
        source: sqlx::Error::PoolClosed,
    });
    let schema = FollowError::Storage(StorageError::SchemaVersion {
        found: Some(1),
        expected: 2,
    });
    assert!(query.is_transient());
    assert!(connect.is_transient());
    assert!(!schema.is_transient());
}
