//! Shared helpers: shared-data lookup, fresh databases, state snapshots.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::payouts::PaymentRecord;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::{BlockSource, RegtestSource};
use alkahest_indexer::storage::{
    BlockRecord, DbRead, DbWrite, Delivery, OutputRecord, SqliteStore, WindowRecord,
};
use alkahest_indexer::types::{Height, WindowId, WindowSpec};
use bitcoin::Network;

/// The shared data folder, or `None` (with a printed skip message) when absent.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if dir.join("bitcoin").is_dir() {
        Some(dir)
    } else {
        println!("SKIP {test}: shared data not found at {}", dir.display());
        None
    }
}

/// Reads a bzip2 file from the shared data.
pub fn bunzip(path: &std::path::Path) -> Vec<u8> {
    let file = std::fs::File::open(path).expect("shared data file opens");
    let mut out = Vec::new();
    bzip2::read::BzDecoder::new(file)
        .read_to_end(&mut out)
        .expect("valid bzip2");
    out
}

/// Every stored row that indexing derives, for comparing two databases.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub blocks: Vec<BlockRecord>,
    pub outputs: Vec<OutputRecord>,
    pub windows: Vec<WindowRecord>,
    pub deliveries: Vec<(bitcoin::ScriptBuf, Vec<Delivery>)>,
    pub payments: Vec<PaymentRecord>,
}

pub async fn snapshot<D: DbRead>(store: &D) -> Snapshot {
    let blocks = store.blocks(Height(0), u32::MAX).await.unwrap();
    let mut outputs = Vec::new();
    for b in &blocks {
        outputs.extend(store.coinbase_outputs(b.height).await.unwrap());
    }
    let windows = store
        .windows(WindowId(0), WindowId(u32::MAX))
        .await
        .unwrap();
    let mut deliveries = Vec::new();
    let mut payments = Vec::new();
    for s in store.watched_scripts().await.unwrap() {
        payments.extend(
            store
                .payments(&s, Height(0), Height(u32::MAX))
                .await
                .unwrap(),
        );
        let d = store
            .deliveries(&s, WindowId(0), WindowId(u32::MAX))
            .await
            .unwrap();
        deliveries.push((s, d));
    }
    Snapshot {
        blocks,
        outputs,
        windows,
        deliveries,
        payments,
    }
}

pub fn follower_config(network: Network) -> FollowerConfig {
    FollowerConfig {
        network,
        batch_size: 7,
        ..FollowerConfig::default()
    }
}

pub async fn sync<S: BlockSource, D: DbRead + DbWrite>(source: S, store: D, network: Network) -> D {
    let mut f = Follower::new(source, store, PoolSet::default(), follower_config(network));
    f.sync().await.unwrap();
    f.into_store()
}

pub async fn memory_store(spec: WindowSpec) -> SqliteStore {
    SqliteStore::open("sqlite::memory:", spec, true)
        .await
        .unwrap()
}

/// A chain of `n` blocks on genesis, block `i` tagged with `i`'s bytes.
pub fn tagged_chain(n: u32) -> ChainBuilder {
    let mut chain = ChainBuilder::new();
    for i in 0..n {
        chain
            .mine_on_tip(&CoinbaseSpec::default().with_tag(&i.to_le_bytes()))
            .unwrap();
    }
    chain
}

/// A follower of `source` into a fresh in-memory store, without pools.
pub async fn memory_follower<S: BlockSource>(
    source: S,
    spec: WindowSpec,
    network: Network,
) -> Follower<S, SqliteStore> {
    Follower::new(
        source,
        memory_store(spec).await,
        PoolSet::default(),
        follower_config(network),
    )
}

/// Indexes the builder's current best chain from scratch.
pub async fn fresh_index(
    chain: &ChainBuilder,
    spec: WindowSpec,
    watched: &[bitcoin::ScriptBuf],
) -> SqliteStore {
    let copy = chain.clone();
    let store = memory_store(spec).await;
    for s in watched {
        store.watch_script(s, "w", Height(0)).await.unwrap();
    }
    sync(
        RegtestSource::new(Arc::new(Mutex::new(copy))),
        store,
        Network::Regtest,
    )
    .await
}

pub use alkahest_testkit::PgTestDb;
