//! The `indexer` binary end to end: `run --source blk` completes over a blk directory
//! and `verify` prints per-window deliveries.

use std::path::Path;
use std::process::Command;

use alkahest_indexer::source::blk::{write_blk_dir, BlkWriteOptions};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use bitcoin::{Address, Amount, Network, ScriptBuf};

pub const PAYOUT_HEX: &str = "0014751e76e8199196d454941c45d1b3a323f1433bd6";

/// Writes `n` regtest blocks paying `PAYOUT_HEX` h·100 sats at height h.
pub fn write_chain(dir: &Path, n: u32) {
    let payout = ScriptBuf::from_hex(PAYOUT_HEX).unwrap();
    let mut chain = ChainBuilder::new();
    for h in 1..=n {
        let spec =
            CoinbaseSpec::default().pay(payout.clone(), Amount::from_sat(u64::from(h) * 100));
        chain.mine_on_tip(&spec).unwrap();
    }
    let blocks: Vec<Vec<u8>> = chain.best_chain().iter().map(|b| block_bytes(b)).collect();
    let options = BlkWriteOptions {
        xor_key: Some([9, 8, 7, 6, 5, 4, 3, 2]),
        zero_tail: 1024,
        ..Default::default()
    };
    write_blk_dir(dir, blocks.iter().map(Vec::as_slice), &options).unwrap();
}

/// The database flags of the CLI tests: regtest, windows of 6 from height 1.
pub fn db_args(db: &str) -> [&str; 8] {
    [
        "--db",
        db,
        "--network",
        "regtest",
        "--window-origin",
        "1",
        "--window-length",
        "6",
    ]
}

pub fn indexer() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_indexer"));
    c.env("RUST_LOG", "warn");
    c
}

/// Steps: write 40 blocks; `indexer run --source blk` with windows of 6 from height 1;
/// `indexer verify` by hex script and by address; check every printed window's sats.
#[test]
fn run_blk_then_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir(&blocks).unwrap();
    write_chain(&blocks, 40);
    let db = format!("sqlite://{}", tmp.path().join("idx.sqlite").display());
    let common = db_args(&db);
    let status = indexer()
        .args(["run", "--source", "blk", "--blk-dir"])
        .arg(&blocks)
        .args(common)
        .args(["--migrate-db", "--watch", PAYOUT_HEX])
        .status()
        .unwrap();
    assert!(status.success());

    let address =
        Address::from_script(&ScriptBuf::from_hex(PAYOUT_HEX).unwrap(), Network::Regtest).unwrap();
    for target in [PAYOUT_HEX.to_owned(), address.to_string()] {
        let out = indexer()
            .args(["verify", &target, "--from", "1", "--to", "40"])
            .args(common)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        println!("{text}");
        let rows: Vec<Vec<u64>> = text
            .lines()
            .filter_map(|l| {
                l.split_whitespace()
                    .map(|w| w.parse().ok())
                    .collect::<Option<Vec<u64>>>()
            })
            .collect();
        assert_eq!(rows.len(), 7, "windows 0-6 cover heights 1-40");
        for row in &rows {
            let (w, first, sats, outputs) = (row[0], row[1], row[2], row[3]);
            assert_eq!(first, 1 + 6 * w);
            let heights: Vec<u64> = (first..first + 6).filter(|h| *h <= 40).collect();
            assert_eq!(sats, heights.iter().map(|h| h * 100).sum::<u64>());
            assert_eq!(outputs, heights.len() as u64);
        }
        assert!(text.contains(&format!(
            "total {} sats in 7 windows",
            (1..=40u64).map(|h| h * 100).sum::<u64>()
        )));
    }
}

/// `indexer run --source blk` over `dir` into `db` on regtest, default windows.
fn run_blk(db: &str, dir: &Path) -> std::process::Output {
    indexer()
        .args(["run", "--source", "blk", "--network", "regtest"])
        .args(["--migrate-db", "--db", db, "--blk-dir"])
        .arg(dir)
        .output()
        .unwrap()
}

/// Steps: `INDEXER_SOURCE=blk` from the environment with `--blk-dir` as a flag (the
/// environment layer alone is invalid: blk needs a directory), plus an unknown
/// `INDEXER_BOGUS`; the run succeeds and warns naming the unknown variable. (Before,
/// validation of the environment layer failed first, and an unknown variable was fatal.)
#[test]
fn flags_complete_the_environment_before_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir(&blocks).unwrap();
    write_chain(&blocks, 5);
    let db = format!("sqlite://{}", tmp.path().join("idx.sqlite").display());
    let out = indexer()
        .env("INDEXER_SOURCE", "blk")
        .env("INDEXER_NETWORK", "regtest")
        .env("INDEXER_BOGUS", "1")
        .args(["run", "--migrate-db", "--db", &db, "--blk-dir"])
        .arg(&blocks)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INDEXER_BOGUS"), "{stderr}");
}

/// Steps: a blk directory with no block connected to genesis or to a BIP-0034 height
/// (here: empty); `indexer run` exits non-zero and says nothing could be indexed.
/// (Before, it exited 0 having indexed 0 blocks.)
#[test]
fn blk_dir_with_nothing_to_index_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let blocks = tmp.path().join("blocks");
    std::fs::create_dir(&blocks).unwrap();
    let db = format!("sqlite://{}", tmp.path().join("idx.sqlite").display());
    let out = run_blk(&db, &blocks);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("nothing can be indexed"), "{stderr}");
}

/// Steps: index 30 blocks from a blk directory, then run the same database against a
/// directory of the first 10; the run exits non-zero naming both tips, and `verify`
/// still sees all 30 blocks.
#[test]
fn blk_snapshot_behind_the_database_exits_naming_both_tips() {
    let tmp = tempfile::tempdir().unwrap();
    let (full, short) = (tmp.path().join("full"), tmp.path().join("short"));
    std::fs::create_dir(&full).unwrap();
    std::fs::create_dir(&short).unwrap();
    write_chain(&full, 30);
    write_chain(&short, 10);
    let db = format!("sqlite://{}", tmp.path().join("idx.sqlite").display());
    assert!(run_blk(&db, &full).status.success());
    let out = run_blk(&db, &short);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("source is behind")
            && stderr.contains("tip 10 ")
            && stderr.contains("stored tip 30 "),
        "{stderr}"
    );
    let out = indexer()
        .args(["verify", PAYOUT_HEX, "--from", "0", "--to", "30"])
        .args(["--db", &db, "--network", "regtest"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let total: u64 = (1..=30u64).map(|h| h * 100).sum();
    assert!(text.contains(&format!("total {total} sats")), "{text}");
}
