//! The storage suite, run against SQLite and PostgreSQL alike.

use alkahest_protocol::index::WorkModel;
use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{coinbase_proof_at, Follower};
use alkahest_indexer::coinbase::{parse_coinbase, CoinbaseBlock, PoolSet};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{
    index_value, DbRead, DbWrite, IndexedBlock, OutputCursor, PgStore, SqliteStore, StorageError,
};
use alkahest_indexer::types::{Height, PoolId, WindowId, WindowSpec};
use bitcoin::{Address, Amount, Network, ScriptBuf};

use crate::common::{follower_config, fresh_index, snapshot, PgTestDb};

const SPEC: WindowSpec = WindowSpec {
    origin: Height(5),
    length: 6,
};
const POOLS: &str = r#"[{"id": 7, "name": "Alkahest Test Pool", "addresses": [], "tags": ["/alk.hest/"], "link": ""}]"#;

fn payout() -> ScriptBuf {
    ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap()
}

fn other() -> ScriptBuf {
    ScriptBuf::from_hex("00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")
        .unwrap()
}

fn block_spec(h: u32) -> CoinbaseSpec {
    let mut spec = CoinbaseSpec::default()
        .pay(payout(), Amount::from_sat(u64::from(h) * 1_000))
        .pay(other(), Amount::from_sat(500))
        .with_fees(Amount::from_sat(u64::from(h) * 10));
    if h & 1 == 0 {
        spec = spec.with_tag(b"/alk-hest/");
    }
    spec
}

fn indexed(chain: &ChainBuilder, hash: &bitcoin::BlockHash) -> IndexedBlock {
    let block = chain.block(hash).unwrap();
    let height = chain.height_of(hash).unwrap();
    let parsed = parse_coinbase(&block_bytes(block)).unwrap();
    IndexedBlock {
        coinbase: CoinbaseBlock::validate(parsed, height, Network::Regtest).unwrap(),
        pool: None,
        payments: Vec::new(),
    }
}

/// Steps: generate 30 blocks paying `payout` h·1000 sats at height h; index them with
/// `payout` watched; check every query against values computed from the generator;
/// watch `other` late and check its backfilled deliveries; reject a non-extending
/// batch atomically; reorg at depth 10 and compare with a fresh index.
async fn suite<D: DbRead + DbWrite + Clone>(store: D) {
    let pools = PoolSet::from_json(POOLS).unwrap();
    store.upsert_pools(&pools).await.unwrap();
    store
        .watch_script(&payout(), "silica-1", Height(0))
        .await
        .unwrap();
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    for h in 1..=30 {
        chain.lock().unwrap().mine_on_tip(&block_spec(h)).unwrap();
    }
    let mut f = Follower::new(
        RegtestSource::new(chain.clone()),
        store.clone(),
        pools,
        follower_config(Network::Regtest),
    );
    assert_eq!(f.sync().await.unwrap(), 31, "heights 0 (genesis) to 30");

    let tip = store.tip().await.unwrap().unwrap();
    assert_eq!(tip, chain.lock().unwrap().tip());
    let page = store.blocks(Height(10), 5).await.unwrap();
    assert_eq!(
        page.iter().map(|b| b.height.0).collect::<Vec<_>>(),
        vec![10, 11, 12, 13, 14]
    );
    let b12 = store.block(Height(12)).await.unwrap().unwrap();
    assert_eq!(b12.subsidy, Amount::from_sat(5_000_000_000));
    assert_eq!(b12.fees, Amount::from_sat(120));
    assert_eq!(b12.output_total, Amount::from_sat(5_000_000_120));
    assert_eq!(b12.pool, Some(PoolId(7)), "the tag regex's dot matches '-'");
    assert_eq!(store.block(Height(13)).await.unwrap().unwrap().pool, None);
    assert_eq!(b12.window, Some(WindowId(1)));
    assert_eq!(b12.bip34_height, Some(12));
    assert!(b12.median_time_past.is_some());
    let outs = store.coinbase_outputs(Height(12)).await.unwrap();
    assert_eq!(
        outs.len(),
        4,
        "payout, other, remainder, witness commitment"
    );
    assert_eq!(outs[0].value, Amount::from_sat(12_000));
    assert_eq!(store.block(Height(31)).await.unwrap(), None);

    let by_script = store
        .outputs_by_script(&payout(), Height(1), Height(30))
        .await
        .unwrap();
    assert_eq!(by_script.len(), 30);
    // The same outputs paged 7 at a time, resuming after each page's last record.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .outputs_by_script_page(&payout(), Height(1), Height(30), after, 7)
            .await
            .unwrap();
        after = page.last().map(OutputCursor::of);
        let last = page.len() < 7;
        paged.extend(page);
        if last {
            break;
        }
    }
    assert_eq!(paged, by_script);
    let tail = store
        .outputs_by_script_page(
            &payout(),
            Height(1),
            Height(30),
            Some(OutputCursor {
                height: Height(28),
                vout: 0,
            }),
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        tail.iter().map(|o| o.height.0).collect::<Vec<_>>(),
        vec![29, 30],
        "strictly after the cursor"
    );
    let address = Address::from_script(&payout(), Network::Regtest)
        .unwrap()
        .to_string();
    assert_eq!(
        store
            .outputs_by_address(&address, Height(5), Height(9))
            .await
            .unwrap()
            .len(),
        5
    );

    // Deliveries per window: window d covers heights 5+6d ..= 10+6d.
    let expected = |w: u32| -> u64 {
        (5 + 6 * w..=10 + 6 * w)
            .filter(|h| *h <= 30)
            .map(|h| u64::from(h) * 1_000)
            .sum()
    };
    let deliveries = store
        .deliveries(&payout(), WindowId(0), WindowId(100))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 5);
    for d in &deliveries {
        assert_eq!(d.sats.to_sat(), expected(d.window.0), "window {}", d.window);
    }
    assert_eq!(
        store
            .delivered_by_window(&payout(), Height(0), Height(30))
            .await
            .unwrap(),
        deliveries
    );

    // The index per window, recomputed from the stored blocks.
    let windows = store.windows(WindowId(0), WindowId(100)).await.unwrap();
    assert_eq!(windows.len(), 5);
    let blocks = store.blocks(Height(0), 100).await.unwrap();
    for w in &windows {
        let members: Vec<_> = blocks
            .iter()
            .filter(|b| b.window == Some(w.window))
            .collect();
        let reward: u64 = members
            .iter()
            .map(|b| b.subsidy.to_sat() + b.fees.to_sat())
            .sum();
        // The signers' exact work formula, summed in height order as the store does.
        let work: f64 = members
            .iter()
            .map(|b| WorkModel::Header.block_work(b.bits).unwrap() as f64)
            .sum();
        assert_eq!(w.block_count as usize, members.len());
        assert_eq!(w.reward.to_sat(), reward);
        assert_eq!(w.work, work);
        assert_eq!(w.index, index_value(reward as i64, work));
        assert_eq!(w.first_height, Height(5 + 6 * w.window.0));
    }
    let shares = store.pool_shares(Height(1), Height(30)).await.unwrap();
    assert_eq!(shares.len(), 2);
    assert_eq!((shares[0].blocks, shares[1].blocks), (15, 15));
    assert!(shares
        .iter()
        .any(|s| s.name == "Alkahest Test Pool" && s.pool == Some(PoolId(7))));

    // The coinbase Merkle proof, on demand from the source.
    let mut source = RegtestSource::new(chain.clone());
    let proof = coinbase_proof_at(&mut source, Height(12)).await.unwrap();
    assert!(proof.verify());
    assert_eq!(proof.txid, b12.coinbase_txid);
    assert!(coinbase_proof_at(&mut source, Height(99)).await.is_err());

    // Watching a script late backfills its deliveries.
    store
        .watch_script(&other(), "late", Height(0))
        .await
        .unwrap();
    let late = store
        .deliveries(&other(), WindowId(0), WindowId(100))
        .await
        .unwrap();
    assert_eq!(late.iter().map(|d| d.sats.to_sat()).sum::<u64>(), 26 * 500);

    // A batch whose second block does not extend the first is rejected whole.
    let before = snapshot(&store).await;
    let (next_a, next_b) = {
        let mut c = chain.lock().unwrap();
        let t = c.tip().1;
        let a = c.mine(t, &block_spec(31)).unwrap();
        let b = c.mine(t, &block_spec(32)).unwrap();
        (indexed(&c, &a), indexed(&c, &b))
    };
    let err = store.apply(None, &[next_a, next_b]).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotNext {
                height: Height(31),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(snapshot(&store).await, before, "nothing was committed");

    // Reorg: a branch from height 20 overtakes.
    {
        let mut c = chain.lock().unwrap();
        let mut parent = c.best_chain()[20].block_hash();
        for h in 21..=33 {
            parent = c.mine(parent, &block_spec(h + 100)).unwrap();
        }
    }
    f.sync().await.unwrap();
    assert_eq!(
        store.tip().await.unwrap(),
        Some(chain.lock().unwrap().tip())
    );
    let final_chain = chain.lock().unwrap().clone();
    let fresh = fresh_index(&final_chain, SPEC, &[other(), payout()]).await;
    fresh
        .upsert_pools(&PoolSet::from_json(POOLS).unwrap())
        .await
        .unwrap();
    let mut ours = snapshot(&store).await;
    let mut theirs = snapshot(&fresh).await;
    // Pool ids are identified by the follower; the fresh index ran without pools.
    ours.blocks.iter_mut().for_each(|b| b.pool = None);
    theirs.blocks.iter_mut().for_each(|b| b.pool = None);
    assert_eq!(ours, theirs);
}

#[tokio::test]
async fn sqlite_suite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("suite.sqlite").display());
    let store = SqliteStore::open(&url, SPEC, true).await.unwrap();
    suite(store.clone()).await;
    store.close().await;
    // Reopening checks the stored window settings and the schema version.
    let other_spec = WindowSpec {
        origin: Height(5),
        length: 7,
    };
    assert!(matches!(
        SqliteStore::open(&url, other_spec, false).await,
        Err(StorageError::SettingsMismatch { .. })
    ));
    assert!(SqliteStore::open(&url, SPEC, false).await.is_ok());
    let fresh = format!("sqlite://{}", dir.path().join("fresh.sqlite").display());
    assert!(matches!(
        SqliteStore::open(&fresh, SPEC, false).await,
        Err(StorageError::SchemaVersion { found: None, .. })
    ));
}

#[tokio::test]
async fn postgres_suite() {
    let Some(db) = PgTestDb::create("postgres_suite").await else {
        return;
    };
    let store = PgStore::open(&db.url, SPEC, true).await.unwrap();
    suite(store.clone()).await;
    store.close().await;
    let other_spec = WindowSpec {
        origin: Height(6),
        length: 6,
    };
    assert!(matches!(
        PgStore::open(&db.url, other_spec, false).await,
        Err(StorageError::SettingsMismatch { .. })
    ));
    let reopened = PgStore::open(&db.url, SPEC, false).await.unwrap();
    reopened.close().await;
}
