//! Payouts in ordinary transactions: found through block filters, fetched only on a
//! match, counted in deliveries, rescanned for scripts watched late, rolled back by
//! reorgs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use alkahest_indexer::payouts::PaymentRecord;
use alkahest_indexer::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::{BlockEvent, BlockSource, RegtestSource, SourceError};
use alkahest_indexer::storage::{DbRead, DbWrite, WatchState};
use alkahest_indexer::types::{Height, WindowId, WindowSpec};
use bitcoin::bip158::BlockFilter;
use bitcoin::{Amount, BlockHash, Network, ScriptBuf, TxOut};

use crate::common::{memory_follower, snapshot};

/// A source that counts the filters and whole blocks the follower asks for; with
/// `serves_filters` false it has no filter index (as a blk directory). Its whole-block
/// reads can fail: once as if the chain moved under the follower (`moves_once`), or
/// always with undecodable bytes (`broken`).
#[derive(Clone)]
struct Counting {
    inner: RegtestSource,
    serves_filters: bool,
    filters: Arc<AtomicU32>,
    blocks: Arc<Mutex<Vec<Height>>>,
    moves_once: Option<Arc<std::sync::atomic::AtomicBool>>,
    broken: bool,
}

impl BlockSource for Counting {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        self.inner.tip().await
    }
    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        self.inner.hash_at(height).await
    }
    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        self.inner.fetch(from, count).await
    }
    async fn block(&mut self, height: Height, hash: BlockHash) -> Result<Vec<u8>, SourceError> {
        self.blocks.lock().unwrap().push(height);
        if self.broken {
            let source = bitcoin::consensus::deserialize::<bitcoin::Block>(&[]).unwrap_err();
            return Err(SourceError::Decode {
                what: "block",
                source,
            });
        }
        if let Some(moved) = &self.moves_once {
            if !moved.swap(true, Ordering::SeqCst) {
                return Err(SourceError::WrongBlock {
                    requested: hash,
                    returned: <BlockHash as bitcoin::hashes::Hash>::all_zeros(),
                });
            }
        }
        self.inner.block(height, hash).await
    }
    async fn filter(
        &mut self,
        height: Height,
        hash: BlockHash,
    ) -> Result<Option<BlockFilter>, SourceError> {
        self.filters.fetch_add(1, Ordering::SeqCst);
        if !self.serves_filters {
            return Ok(None);
        }
        self.inner.filter(height, hash).await
    }
}

impl Counting {
    /// The heights of the whole blocks read, in order.
    fn fetched(&self) -> Vec<u32> {
        self.blocks.lock().unwrap().iter().map(|h| h.0).collect()
    }
}

/// A follower of `source` into a fresh store watching `script` from `from`, synced.
async fn synced_watching(
    source: Counting,
    script: &ScriptBuf,
    from: Height,
) -> alkahest_indexer::chain::Follower<Counting, alkahest_indexer::storage::SqliteStore> {
    let mut f = memory_follower(source, SPEC, Network::Regtest).await;
    f.store().watch_script(script, "w", from).await.unwrap();
    f.sync().await.unwrap();
    f
}

/// `silica`'s stored payments, checked against [`chain`]'s: 900 at height 3, two × 300
/// at height 6.
async fn silica_payments<D: DbRead>(store: &D, silica: &ScriptBuf) -> Vec<PaymentRecord> {
    let found = store.payments(silica, Height(0), Height(99)).await.unwrap();
    assert_eq!(
        sats(&found),
        vec![(3, 1, 0, 900), (6, 2, 0, 300), (6, 2, 2, 300)]
    );
    found
}

fn script(b: u8) -> ScriptBuf {
    let mut s = vec![0x00, 0x14];
    s.extend([b; 20]);
    ScriptBuf::from_bytes(s)
}

fn out(value: u64, script_pubkey: &ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script_pubkey.clone(),
    }
}

const SPEC: WindowSpec = WindowSpec {
    origin: Height(1),
    length: 4,
};

/// Heights 1..=12: the coinbase pays `silica` 1,000 at even heights; an ordinary
/// transaction pays `silica` 900 (and `late` 50) at height 3 and 2 × 300 at height 6;
/// another pays only `late` 400 at height 10.
fn chain(silica: &ScriptBuf, late: &ScriptBuf) -> ChainBuilder {
    let mut c = ChainBuilder::new();
    for h in 1..=12u32 {
        let txs = match h {
            3 => vec![payment_tx(b"h3", vec![out(900, silica), out(50, late)])],
            6 => vec![
                payment_tx(b"h6a", vec![out(8, &script(7))]),
                payment_tx(
                    b"h6b",
                    vec![out(300, silica), out(1, &script(8)), out(300, silica)],
                ),
            ],
            10 => vec![payment_tx(b"h10", vec![out(400, late)])],
            _ => Vec::new(),
        };
        let mut spec = CoinbaseSpec::default().with_txs(txs);
        if h.is_multiple_of(2) {
            spec = spec.pay(silica.clone(), Amount::from_sat(1_000));
        }
        c.mine_on_tip(&spec).unwrap();
    }
    c
}

fn counting(c: ChainBuilder) -> (Counting, Arc<Mutex<ChainBuilder>>) {
    let shared = Arc::new(Mutex::new(c));
    let source = Counting {
        inner: RegtestSource::new(shared.clone()),
        serves_filters: true,
        filters: Arc::default(),
        blocks: Arc::default(),
        moves_once: None,
        broken: false,
    };
    (source, shared)
}

fn sats(records: &[PaymentRecord]) -> Vec<(u32, u32, u32, u64)> {
    records
        .iter()
        .map(|r| {
            let p = &r.payment;
            (r.height.0, p.tx_index, p.vout, p.value.to_sat())
        })
        .collect()
}

/// Steps: watch `silica` before indexing 12 blocks; every block's filter is read, and
/// only the blocks whose filter matches are fetched whole: those paying it in an
/// ordinary transaction (3, 6) and those paying it in the coinbase (the filter cannot
/// say which transaction matched); the payments and the windows' deliveries (coinbase +
/// ordinary) are exact; the txid is the transaction's.
#[tokio::test]
async fn ordinary_payouts_are_found_through_filters_and_counted() {
    let (silica, late) = (script(1), script(2));
    let c = chain(&silica, &late);
    let (source, _) = counting(c.clone());
    let f = synced_watching(source.clone(), &silica, Height(1)).await;
    let store = f.store();

    assert_eq!(
        source.filters.load(Ordering::SeqCst),
        12,
        "one filter per block from height 1, where the script is watched from (not genesis)"
    );
    let fetched = source.fetched();
    assert_eq!(fetched, vec![2, 3, 4, 6, 8, 10, 12]);
    let found = silica_payments(store, &silica).await;
    let best = c.best_chain();
    assert_eq!(found[0].payment.txid, best[3].txdata[1].compute_txid());
    assert_eq!(
        store
            .payments(&silica, Height(4), Height(6))
            .await
            .unwrap()
            .len(),
        2,
        "the height range bounds the query"
    );
    let d = store
        .deliveries(&silica, WindowId(0), WindowId(9))
        .await
        .unwrap();
    let by_window: Vec<(u32, u64, u64)> = d
        .iter()
        .map(|d| (d.window.0, d.sats.to_sat(), d.outputs))
        .collect();
    // Window 0 = heights 1..=4, window 1 = 5..=8, window 2 = 9..=12.
    assert_eq!(by_window, vec![(0, 2_900, 3), (1, 2_600, 4), (2, 2_000, 2)]);
    let computed = store
        .delivered_by_window(&silica, Height(1), Height(12))
        .await
        .unwrap();
    assert_eq!(computed, d, "the maintained table equals the computed sums");
    assert_eq!(
        store.watch_state(&silica).await.unwrap(),
        WatchState::Scanned
    );
    assert_eq!(
        store.watch_state(&late).await.unwrap(),
        WatchState::Unwatched
    );
    assert!(store
        .payments(&late, Height(0), Height(99))
        .await
        .unwrap()
        .is_empty());
}

/// Steps: the same chain from a source with no filter index: every block from the
/// watch's start is read whole, and the payments and deliveries are the same.
#[tokio::test]
async fn without_filters_every_watched_height_is_read_and_counts_the_same() {
    let (silica, late) = (script(1), script(2));
    let (mut source, _) = counting(chain(&silica, &late));
    source.serves_filters = false;
    let f = synced_watching(source.clone(), &silica, Height(2)).await;
    let fetched = source.fetched();
    assert_eq!(fetched, (2..=12).collect::<Vec<u32>>());
    silica_payments(f.store(), &silica).await;
}

/// Steps: index with nothing watched (no filter is read); watch `late` from height 4;
/// it is `Rescanning(4)` until the follower's next step, which reads the stored blocks'
/// filters from height 4 and finds only the payment at height 10 (the one at 3 is below
/// the watch's start); then new blocks are scanned for it as they come.
#[tokio::test]
async fn a_script_watched_late_is_rescanned_from_its_start() {
    let (silica, late) = (script(1), script(2));
    let (source, shared) = counting(chain(&silica, &late));
    let mut f = memory_follower(source.clone(), SPEC, Network::Regtest).await;
    f.sync().await.unwrap();
    assert_eq!(
        source.filters.load(Ordering::SeqCst),
        0,
        "nothing watched, no filter read"
    );

    f.store()
        .watch_script(&late, "late", Height(4))
        .await
        .unwrap();
    assert_eq!(
        f.store().watch_state(&late).await.unwrap(),
        WatchState::Rescanning(Height(4))
    );
    assert!(f.store().rescans().await.unwrap().len() == 1);
    f.sync().await.unwrap();
    assert_eq!(
        f.store().watch_state(&late).await.unwrap(),
        WatchState::Scanned
    );
    assert_eq!(source.filters.load(Ordering::SeqCst), 9, "heights 4..=12");
    let found = f
        .store()
        .payments(&late, Height(0), Height(99))
        .await
        .unwrap();
    assert_eq!(sats(&found), vec![(10, 1, 0, 400)]);
    let d = f
        .store()
        .deliveries(&late, WindowId(0), WindowId(9))
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].window, d[0].sats.to_sat()), (WindowId(2), 400));

    // Watching it again neither restarts the rescan nor counts twice.
    f.store()
        .watch_script(&late, "again", Height(0))
        .await
        .unwrap();
    assert_eq!(
        f.store().watch_state(&late).await.unwrap(),
        WatchState::Scanned
    );
    f.sync().await.unwrap();
    assert_eq!(
        f.store()
            .payments(&late, Height(0), Height(99))
            .await
            .unwrap()
            .len(),
        1
    );

    // A new block paying it is found on the way in.
    shared
        .lock()
        .unwrap()
        .mine_on_tip(
            &CoinbaseSpec::default().with_txs(vec![payment_tx(b"h13", vec![out(123, &late)])]),
        )
        .unwrap();
    f.sync().await.unwrap();
    let found = f
        .store()
        .payments(&late, Height(0), Height(99))
        .await
        .unwrap();
    assert_eq!(sats(&found), vec![(10, 1, 0, 400), (13, 1, 0, 123)]);
}

/// Steps: index the chain watching `silica`; fork at height 5 with blocks that pay in no
/// ordinary transaction; the follower reorgs, the payment at 6 is gone and the store
/// equals a fresh index of the new chain, payments and deliveries included.
#[tokio::test]
async fn a_reorg_removes_the_payments_of_the_blocks_it_replaces() {
    let (silica, late) = (script(1), script(2));
    let (source, shared) = counting(chain(&silica, &late));
    let mut f = memory_follower(source, SPEC, Network::Regtest).await;
    f.store()
        .watch_script(&silica, "s", Height(0))
        .await
        .unwrap();
    f.sync().await.unwrap();
    {
        let mut c = shared.lock().unwrap();
        let mut parent = c.best_chain()[5].block_hash();
        for i in 0..9u8 {
            let spec = CoinbaseSpec::default()
                .pay(silica.clone(), Amount::from_sat(1_000))
                .with_tag(&[i]);
            parent = c.mine(parent, &spec).unwrap();
        }
    }
    f.sync().await.unwrap();
    let found = f
        .store()
        .payments(&silica, Height(0), Height(99))
        .await
        .unwrap();
    assert_eq!(sats(&found), vec![(3, 1, 0, 900)]);

    let fresh_chain = shared.lock().unwrap().clone();
    let (fresh_source, _) = counting(fresh_chain);
    let mut fresh = memory_follower(fresh_source, SPEC, Network::Regtest).await;
    fresh
        .store()
        .watch_script(&silica, "s", Height(0))
        .await
        .unwrap();
    fresh.sync().await.unwrap();
    assert_eq!(snapshot(f.store()).await, snapshot(fresh.store()).await);
}

/// Steps: index the chain watching nothing; watch `silica`; commit a rescan by hand
/// whose scanned tip is a block the store does not hold: refused as stale, nothing
/// written, still rescanning; commit the true rescan twice: the second changes nothing
/// (a payment met twice is stored and counted once).
#[tokio::test]
async fn a_rescan_commits_only_over_stored_blocks_and_only_once() {
    use alkahest_indexer::payouts::TxPayment;
    use alkahest_indexer::storage::{Rescan, StorageError};
    use bitcoin::hashes::Hash as _;

    let (silica, late) = (script(1), script(2));
    let c = chain(&silica, &late);
    let (source, _) = counting(c.clone());
    let mut f = memory_follower(source, SPEC, Network::Regtest).await;
    f.sync().await.unwrap();
    let store = f.store();
    store.watch_script(&silica, "s", Height(1)).await.unwrap();
    let best = c.best_chain();
    let tx = &best[3].txdata[1];
    let found = vec![(
        Height(3),
        best[3].block_hash(),
        vec![TxPayment {
            txid: tx.compute_txid(),
            tx_index: 1,
            vout: 0,
            value: Amount::from_sat(900),
            script_pubkey: silica.clone(),
        }],
    )];
    let stale = Rescan {
        scripts: vec![(silica.clone(), Height(1))],
        scanned_to: Some((Height(12), BlockHash::all_zeros())),
        found: found.clone(),
    };
    assert!(matches!(
        store.finish_rescan(&stale).await,
        Err(StorageError::RescanStale {
            height: Height(12),
            ..
        })
    ));
    assert!(store
        .payments(&silica, Height(0), Height(99))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.watch_state(&silica).await.unwrap(),
        WatchState::Rescanning(Height(1))
    );

    let rescan = Rescan {
        scanned_to: Some((Height(12), best[12].block_hash())),
        ..stale
    };
    store.finish_rescan(&rescan).await.unwrap();
    let once = snapshot(store).await;
    assert_eq!(sats(&once.payments), vec![(3, 1, 0, 900)]);
    assert_eq!(
        store.watch_state(&silica).await.unwrap(),
        WatchState::Scanned
    );
    store.finish_rescan(&rescan).await.unwrap();
    assert_eq!(snapshot(store).await, once);
    let d = store
        .deliveries(&silica, WindowId(0), WindowId(0))
        .await
        .unwrap();
    assert_eq!((d[0].sats.to_sat(), d[0].outputs), (2_900, 3));
}

/// Steps: on PostgreSQL, index the chain watching `silica`, watch `late` from height 4
/// (rescanned), then fork at height 5; the store equals a fresh SQLite index of the final
/// chain with the same watches: payments, deliveries and all.
#[tokio::test]
async fn postgres_stores_payouts_as_sqlite_does() {
    use alkahest_indexer::chain::Follower;
    use alkahest_indexer::coinbase::PoolSet;
    use alkahest_indexer::storage::PgStore;

    use crate::common::{follower_config, memory_store, PgTestDb};

    let Some(db) = PgTestDb::create("postgres_payouts").await else {
        return;
    };
    let pg = PgStore::open(&db.url, SPEC, true).await.unwrap();
    let (silica, late) = (script(1), script(2));
    let shared = Arc::new(Mutex::new(chain(&silica, &late)));
    pg.watch_script(&silica, "s", Height(0)).await.unwrap();
    let follower = |store| {
        Follower::new(
            RegtestSource::new(shared.clone()),
            store,
            PoolSet::default(),
            follower_config(Network::Regtest),
        )
    };
    let mut f = follower(pg.clone());
    f.sync().await.unwrap();
    pg.watch_script(&late, "late", Height(4)).await.unwrap();
    f.sync().await.unwrap();
    {
        let mut c = shared.lock().unwrap();
        let mut parent = c.best_chain()[5].block_hash();
        for i in 0..9u8 {
            let txs = vec![payment_tx(&[i], vec![out(10 + u64::from(i), &late)])];
            parent = c
                .mine(
                    parent,
                    &CoinbaseSpec::default().with_tag(&[i]).with_txs(txs),
                )
                .unwrap();
        }
    }
    f.sync().await.unwrap();

    let fresh = memory_store(SPEC).await;
    fresh.watch_script(&silica, "s", Height(0)).await.unwrap();
    fresh.watch_script(&late, "late", Height(4)).await.unwrap();
    let mut g = Follower::new(
        RegtestSource::new(Arc::new(Mutex::new(shared.lock().unwrap().clone()))),
        fresh,
        PoolSet::default(),
        follower_config(Network::Regtest),
    );
    g.sync().await.unwrap();
    let (a, b) = (snapshot(&pg).await, snapshot(g.store()).await);
    // `silica`'s at 3, and `late`'s nine on the fork (its payment at 3 is below the
    // height it is watched from, whether watched before or after indexing).
    assert_eq!(sats(&b.payments).len(), 1 + 9, "{:?}", b.payments);
    assert_eq!(a, b);
    pg.close().await;
}

/// Steps: a whole-block read that finds another block (the chain moved) makes the step
/// start over, and the sync still ends with every payment; a read that cannot be decoded
/// is an error the follower reports (bounded by a timeout, so a follower that retried it
/// forever fails the test).
#[tokio::test]
async fn a_moving_source_is_retried_and_a_broken_one_is_an_error() {
    let (silica, late) = (script(1), script(2));
    let (source, _) = counting(chain(&silica, &late));
    let faulty = |broken| Counting {
        moves_once: Some(Arc::default()),
        broken,
        ..source.clone()
    };
    let mut f = memory_follower(faulty(false), SPEC, Network::Regtest).await;
    f.store()
        .watch_script(&silica, "s", Height(1))
        .await
        .unwrap();
    assert!(matches!(
        f.step().await.unwrap(),
        alkahest_indexer::chain::Step::Raced
    ));
    f.sync().await.unwrap();
    silica_payments(f.store(), &silica).await;

    let mut g = memory_follower(faulty(true), SPEC, Network::Regtest).await;
    g.store()
        .watch_script(&silica, "s", Height(1))
        .await
        .unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(20), g.sync()).await;
    assert!(
        matches!(
            r,
            Ok(Err(alkahest_indexer::chain::FollowError::Source(
                SourceError::Decode { .. }
            )))
        ),
        "{r:?}"
    );
}
