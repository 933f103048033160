//! Reorgs: the btcd fixture and generated chains with reorgs at random depths. In each,
//! the final state must equal a fresh index of the winning chain.

use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{Follower, Step};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::blk::BlkSource;
use alkahest_indexer::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::{BlockSource, RegtestSource};
use alkahest_indexer::storage::{DbRead, DbWrite};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::{Amount, Network, ScriptBuf, TxOut};
use proptest::prelude::*;

use crate::common::{bunzip, data_dir, follower_config, fresh_index, memory_store, snapshot, sync};

/// Steps: index blk_0_to_4 (genesis + 4 blocks); add blk_3A, 4A, 5A as new files and
/// rescan; the 5A branch has more work, so the follower rolls back to height 2 and
/// applies 3A-5A in one transaction. Compare with a fresh index of all four files.
#[tokio::test]
async fn btcd_fixture_5a_overtakes() {
    let Some(dir) = data_dir("btcd_fixture_5a_overtakes") else {
        return;
    };
    let spec = WindowSpec {
        origin: Height(0),
        length: 2,
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("blk00000.dat"),
        bunzip(&dir.join("bitcoin/blk_0_to_4.dat.bz2")),
    )
    .unwrap();
    let source = BlkSource::open(tmp.path(), Network::Bitcoin, None).unwrap();
    assert_eq!(source.tree().tip().unwrap().0, Height(4));
    let mut f = Follower::new(
        source,
        memory_store(spec).await,
        PoolSet::default(),
        follower_config(Network::Bitcoin),
    );
    f.sync().await.unwrap();
    let old_tip = f.store().tip().await.unwrap().unwrap();
    assert_eq!(old_tip.0, Height(4));
    let old_3 = f.store().block_hash(Height(3)).await.unwrap();

    for (i, name) in ["blk_3A", "blk_4A", "blk_5A"].iter().enumerate() {
        let bytes = bunzip(&dir.join(format!("bitcoin/{name}.dat.bz2")));
        std::fs::write(tmp.path().join(format!("blk{:05}.dat", i + 1)), bytes).unwrap();
    }
    f.source_mut().rescan().unwrap();
    let new_tip = f.source_mut().tip().await.unwrap().unwrap();
    assert_eq!(new_tip.0, Height(5));
    let step = f.step().await.unwrap();
    assert_eq!(
        step,
        Step::Applied {
            blocks: 3,
            rolled_back_to: Some(Height(2))
        }
    );
    assert_eq!(f.store().tip().await.unwrap(), Some(new_tip));
    assert_ne!(f.store().block_hash(Height(3)).await.unwrap(), old_3);

    let fresh_source = BlkSource::open(tmp.path(), Network::Bitcoin, None).unwrap();
    let fresh = sync(fresh_source, memory_store(spec).await, Network::Bitcoin).await;
    assert_eq!(snapshot(f.store()).await, snapshot(&fresh).await);
    assert_eq!(snapshot(&fresh).await.blocks.len(), 6);
}

#[derive(Debug, Clone)]
enum Op {
    Extend(u8),
    Fork { depth: u8, length: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..4).prop_map(Op::Extend),
        (1u8..7, 1u8..4).prop_map(|(depth, extra)| Op::Fork {
            depth,
            length: depth + extra
        }),
    ]
}

fn spec_for(i: u32, payout: &ScriptBuf) -> CoinbaseSpec {
    // Vary the payout so that forks change deliveries, and claim fees on some blocks.
    CoinbaseSpec::default()
        .pay(
            payout.clone(),
            Amount::from_sat(1_000 + u64::from(i % 7) * 100),
        )
        .with_fees(Amount::from_sat(u64::from(i % 3) * 50))
        .pay(ScriptBuf::new_op_return([i as u8]), Amount::from_sat(10))
        // Every third block also pays in an ordinary transaction (an FPPS payout), so
        // forks add and remove stored payments too.
        .with_txs(if i.is_multiple_of(3) {
            vec![payment_tx(
                &i.to_le_bytes(),
                vec![TxOut {
                    value: Amount::from_sat(700 + u64::from(i)),
                    script_pubkey: payout.clone(),
                }],
            )]
        } else {
            Vec::new()
        })
}

async fn run_ops(ops: Vec<Op>) {
    let payout = ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
    let spec = WindowSpec {
        origin: Height(3),
        length: 4,
    };
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    let store = memory_store(spec).await;
    store.watch_script(&payout, "p", Height(0)).await.unwrap();
    let source = RegtestSource::new(chain.clone());
    let mut f = Follower::new(
        source,
        store,
        PoolSet::default(),
        follower_config(Network::Regtest),
    );
    let mut n = 0u32;
    for _ in 0..5 {
        n += 1;
        chain
            .lock()
            .unwrap()
            .mine_on_tip(&spec_for(n, &payout))
            .unwrap();
    }
    f.sync().await.unwrap();
    for op in ops {
        {
            let mut c = chain.lock().unwrap();
            match op {
                Op::Extend(k) => {
                    for _ in 0..k {
                        n += 1;
                        c.mine_on_tip(&spec_for(n, &payout)).unwrap();
                    }
                }
                Op::Fork { depth, length } => {
                    let (tip_h, _) = c.tip();
                    let base_h = tip_h.0.saturating_sub(u32::from(depth));
                    let best: Vec<_> = c.best_chain().iter().map(|b| b.block_hash()).collect();
                    let mut parent = best[base_h as usize];
                    for _ in 0..length {
                        n += 1;
                        parent = c.mine(parent, &spec_for(n, &payout)).unwrap();
                    }
                }
            }
        }
        f.sync().await.unwrap();
        let tip = chain.lock().unwrap().tip();
        assert_eq!(f.store().tip().await.unwrap(), Some(tip));
    }
    let final_chain = chain.lock().unwrap().clone();
    let fresh = fresh_index(&final_chain, spec, &[payout]).await;
    assert_eq!(snapshot(f.store()).await, snapshot(&fresh).await);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn generated_reorgs_match_a_fresh_index(ops in proptest::collection::vec(op(), 1..6)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_ops(ops));
    }
}

/// Records what the follower reports.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl alkahest_indexer::chain::Progress for Recorder {
    fn start(&mut self, from: Height, to: Height) {
        self.0.lock().unwrap().push(format!("start {from} {to}"));
    }
    fn applied(&mut self, blocks: u32) {
        self.0.lock().unwrap().push(format!("applied {blocks}"));
    }
    fn finish(&mut self) {
        self.0.lock().unwrap().push("finish".into());
    }
}

/// Steps: sync 20 generated blocks in batches of 7 with a recording `Progress`: it
/// hears the range 0-20, three batches (7, 7, 7 = genesis + 20) and the end; with
/// `progress: false` it hears nothing. The library draws nothing itself.
#[tokio::test]
async fn sync_reports_progress_to_the_observer() {
    let mut chain = ChainBuilder::new();
    for _ in 0..20 {
        chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    }
    let chain = Arc::new(Mutex::new(chain));
    let recorder = Recorder::default();
    let spec = WindowSpec::default();
    let mut f = Follower::new(
        RegtestSource::new(chain.clone()),
        memory_store(spec).await,
        PoolSet::default(),
        follower_config(Network::Regtest),
    )
    .with_progress(recorder.clone());
    f.sync().await.unwrap();
    assert_eq!(
        *recorder.0.lock().unwrap(),
        vec![
            "start 0 20",
            "applied 7",
            "applied 7",
            "applied 7",
            "finish"
        ]
    );
    // A later sync reports the range above the stored tip: 21-25.
    recorder.0.lock().unwrap().clear();
    for _ in 0..5 {
        chain
            .lock()
            .unwrap()
            .mine_on_tip(&CoinbaseSpec::default())
            .unwrap();
    }
    assert_eq!(f.sync().await.unwrap(), 5);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        vec!["start 21 25", "applied 5", "finish"]
    );

    let quiet = Recorder::default();
    let config = alkahest_indexer::chain::FollowerConfig {
        progress: false,
        ..follower_config(Network::Regtest)
    };
    let mut f = Follower::new(
        RegtestSource::new(chain),
        memory_store(spec).await,
        PoolSet::default(),
        config,
    )
    .with_progress(quiet.clone());
    f.sync().await.unwrap();
    assert!(quiet.0.lock().unwrap().is_empty());
}
