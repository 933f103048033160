//! Crash safety: `kill -9` during a backfill, restart, compare with a clean run.

use std::time::Duration;

use alkahest_indexer::source::blk::BlkSource;
use alkahest_indexer::storage::{DbRead, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::Network;

use crate::cli::{db_args, indexer, write_chain, PAYOUT_HEX};
use crate::common::{memory_store, snapshot, sync};

const BLOCKS: u32 = 1_500;
const SPEC: WindowSpec = WindowSpec {
    origin: Height(1),
    length: 6,
};

async fn stored_tip(url: &str) -> Option<Height> {
    let store = SqliteStore::open(url, SPEC, false).await.ok()?;
    let tip = store.tip().await.ok().flatten().map(|t| t.0);
    store.close().await;
    tip
}

/// Steps: write 1,500 blocks; start `indexer run --source blk --batch-size 1`; once at
/// least 100 blocks are stored and before the end, SIGKILL it; restart it to completion;
/// compare every table with an in-process clean index of the same directory.
#[tokio::test]
async fn kill_during_backfill_then_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir(&blocks).unwrap();
    write_chain(&blocks, BLOCKS);
    let db = format!("sqlite://{}", tmp.path().join("killed.sqlite").display());
    let args = |c: &mut std::process::Command| {
        c.args(["run", "--source", "blk", "--blk-dir"])
            .arg(&blocks)
            .args(db_args(&db))
            .args(["--migrate-db", "--batch-size", "1", "--watch", PAYOUT_HEX]);
    };
    let mut cmd = indexer();
    args(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let mut killed_at = None;
    for _ in 0..6_000 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("indexer exited ({status}) before it could be killed; raise BLOCKS");
        }
        if let Some(tip) = stored_tip(&db).await.filter(|t| t.0 >= 100) {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            killed_at = Some(tip);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed_at = killed_at.expect("the indexer stored 100 blocks");
    let after_kill = stored_tip(&db).await.unwrap();
    assert!(
        after_kill >= killed_at && after_kill.0 < BLOCKS,
        "killed mid-backfill at {after_kill}"
    );
    println!("killed at height {after_kill} of {BLOCKS}");

    let mut cmd = indexer();
    args(&mut cmd);
    assert!(cmd.status().unwrap().success());

    let resumed = SqliteStore::open(&db, SPEC, false).await.unwrap();
    let clean_store = memory_store(SPEC).await;
    alkahest_indexer::storage::DbWrite::watch_script(
        &clean_store,
        &bitcoin::ScriptBuf::from_hex(PAYOUT_HEX).unwrap(),
        "clean",
        alkahest_indexer::types::Height(0),
    )
    .await
    .unwrap();
    let clean = sync(
        BlkSource::open(&blocks, Network::Regtest, None).unwrap(),
        clean_store,
        Network::Regtest,
    )
    .await;
    let (a, b) = (snapshot(&resumed).await, snapshot(&clean).await);
    assert_eq!(a.blocks.len(), BLOCKS as usize + 1);
    assert_eq!(a, b);
}
