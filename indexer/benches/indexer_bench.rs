//! Indexer benchmarks (not run in CI): `cargo bench -p alkahest-indexer`.
//!
//! 1. Coinbase-only parse vs full `bitcoin::Block` deserialize of mainnet block 702,861,
//!    in the same run (needs `../shared/data`; skipped with a message when absent), and
//!    what a watched script adds per block: matching a served BIP158 filter, computing
//!    one from the block, or decoding the block and scanning its outputs.
//! 2. Backfill from a blk directory of 2,000 generated mainnet-sized blocks (~1.3 MB,
//!    2,500 transactions each) into a SQLite file: blocks/s, MB/s and peak RSS.
//! 3. Tip latency, from a new block being available at the source to its commit, p50/p99.
//!
//! Set `ALKAHEST_BENCH_BLOCKS` to change the backfill size.
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alkahest_indexer::chain::{Follower, FollowerConfig, Step};
use alkahest_indexer::coinbase::{parse_coinbase, PoolSet};
use alkahest_indexer::payouts::{may_pay, output_filter, payments_in};
use alkahest_indexer::source::blk::{write_blk_dir, BlkSource, BlkWriteOptions};
use alkahest_indexer::source::regtest::{block_bytes, build_block, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbRead, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::{Amount, Block, Network, ScriptBuf};

/// ~520-byte filler transactions: 2,499 of them plus the coinbase make a ~1.3 MB block.
fn mainnet_sized_spec() -> CoinbaseSpec {
    let payout = ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
    CoinbaseSpec {
        filler_txs: 2_499,
        filler_script_len: 430,
        ..CoinbaseSpec::default()
            .pay(payout, Amount::from_sat(100_000))
            .with_fees(Amount::from_sat(4_948_405))
            .with_tag(b"/bench/")
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak_rss() {
    // Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn per_op(f: &mut dyn FnMut(), min_time: Duration) -> (Duration, u32) {
    f(); // warm up
    let mut iterations = 0u32;
    let start = Instant::now();
    while start.elapsed() < min_time {
        f();
        iterations += 1;
    }
    (start.elapsed() / iterations, iterations)
}

fn parse_bench() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/bitcoin/mainnet-702861.raw"
    ));
    let Ok(bytes) = std::fs::read(&path) else {
        println!("SKIP parse benchmark: {} not found", path.display());
        return;
    };
    let (cb, n_cb) = per_op(
        &mut || drop(black_box(parse_coinbase(black_box(&bytes)).unwrap())),
        Duration::from_secs(2),
    );
    let (full, n_full) = per_op(
        &mut || {
            drop(black_box(
                bitcoin::consensus::deserialize::<Block>(black_box(&bytes)).unwrap(),
            ))
        },
        Duration::from_secs(3),
    );
    println!(
        "== parse mainnet-702861.raw ({} bytes, 2,500 tx)",
        bytes.len()
    );
    println!(
        "coinbase-only parse : {:>12.3} us/block ({n_cb} iterations)",
        cb.as_secs_f64() * 1e6
    );
    println!(
        "full Block decode   : {:>12.3} us/block ({n_full} iterations)",
        full.as_secs_f64() * 1e6
    );
    println!(
        "ratio               : {:>12.1}x",
        full.as_secs_f64() / cb.as_secs_f64()
    );

    // Payouts outside the coinbase (src/payouts.rs): what one block costs with a
    // watched script, on top of the coinbase parse.
    let block: Block = bitcoin::consensus::deserialize(&bytes).unwrap();
    let hash = block.block_hash();
    let filter = output_filter(&block);
    let watched =
        vec![ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap()];
    let set: std::collections::HashSet<ScriptBuf> = watched.iter().cloned().collect();
    let (matched, n_match) = per_op(
        &mut || {
            black_box(may_pay(black_box(&filter), &hash, &watched));
        },
        Duration::from_secs(2),
    );
    let (local, n_local) = per_op(
        &mut || {
            let b: Block = bitcoin::consensus::deserialize(black_box(&bytes)).unwrap();
            drop(black_box(output_filter(&b)))
        },
        Duration::from_secs(3),
    );
    let (scan, n_scan) = per_op(
        &mut || {
            let b: Block = bitcoin::consensus::deserialize(black_box(&bytes)).unwrap();
            drop(black_box(payments_in(&b, &set)))
        },
        Duration::from_secs(3),
    );
    println!("== payouts outside the coinbase, one watched script, same block");
    for (name, d, n) in [
        ("match a node's filter", matched, n_match),
        ("compute filter locally", local, n_local),
        ("decode + scan outputs", scan, n_scan),
    ] {
        println!(
            "{name:<22}: {:>12.3} us/block ({n} iterations), {:>8.2}x the coinbase parse",
            d.as_secs_f64() * 1e6,
            d.as_secs_f64() / cb.as_secs_f64()
        );
    }
}

async fn backfill_bench(n: u32) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("blocks");
    std::fs::create_dir(&dir).unwrap();
    let spec = mainnet_sized_spec();
    let genesis = bitcoin::constants::genesis_block(Network::Regtest);
    let gen_start = Instant::now();
    let mut parent = genesis.block_hash();
    let mut time = genesis.header.time;
    let mut total_bytes = 0u64;
    let mut tx_per_block = 0usize;
    let blocks = (1..=n).map(|h| {
        time += 1;
        let block = build_block(parent, Height(h), time, u64::from(h), &spec).unwrap();
        parent = block.block_hash();
        tx_per_block = block.txdata.len();
        let bytes = block_bytes(&block);
        total_bytes += bytes.len() as u64;
        bytes
    });
    let options = BlkWriteOptions {
        network: Network::Regtest,
        ..Default::default()
    };
    let files = write_blk_dir(
        &dir,
        std::iter::once(block_bytes(&genesis)).chain(blocks),
        &options,
    )
    .unwrap();
    println!(
        "== backfill: generated {n} blocks, {tx_per_block} tx and {:.2} MB each on average, {} blk files, in {:.1}s",
        total_bytes as f64 / f64::from(n) / 1e6,
        files.len(),
        gen_start.elapsed().as_secs_f64()
    );

    // Three runs into fresh databases: the first may still meet dirty pages from the
    // generation step being flushed, the later ones read from a warm page cache.
    reset_peak_rss();
    for run in 1..=3 {
        let db = format!(
            "sqlite://{}",
            tmp.path().join(format!("bench{run}.sqlite")).display()
        );
        let start = Instant::now();
        let source = BlkSource::open(&dir, Network::Regtest, None).unwrap();
        let scanned = start.elapsed();
        let spec = WindowSpec {
            origin: Height(1),
            length: 144,
        };
        let store = SqliteStore::open(&db, spec, true).await.unwrap();
        let config = FollowerConfig {
            network: Network::Regtest,
            start_height: Height(1),
            batch_size: 500,
            ..FollowerConfig::default()
        };
        let mut follower = Follower::new(source, store, PoolSet::default(), config);
        let applied = follower.sync().await.unwrap();
        let elapsed = start.elapsed();
        assert_eq!(applied, u64::from(n));
        assert_eq!(follower.store().tip().await.unwrap().unwrap().0, Height(n));
        println!(
            "run {run}: scan {:.3}s, total {:.3}s (scan + fetch + parse + commit, batches of 500): \
             {:.0} blocks/s, {:.0} MB/s of blocks covered",
            scanned.as_secs_f64(),
            elapsed.as_secs_f64(),
            f64::from(n) / elapsed.as_secs_f64(),
            total_bytes as f64 / 1e6 / elapsed.as_secs_f64(),
        );
    }
    println!(
        "(the blk reader reads only the first {} KiB of each block)",
        alkahest_indexer::source::blk::COINBASE_PREFIX / 1024
    );
    match peak_rss_kib() {
        Some(k) => println!(
            "peak RSS            : {:.1} MB (VmHWM over the three backfills)",
            k as f64 / 1024.0
        ),
        None => println!("peak RSS            : unavailable"),
    }
}

async fn tip_latency_bench(history: u32, samples: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let spec = mainnet_sized_spec();
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    for _ in 0..history {
        chain.lock().unwrap().mine_on_tip(&spec).unwrap();
    }
    let db = format!("sqlite://{}", tmp.path().join("tip.sqlite").display());
    let store = SqliteStore::open(
        &db,
        WindowSpec {
            origin: Height(1),
            length: 144,
        },
        true,
    )
    .await
    .unwrap();
    let config = FollowerConfig {
        network: Network::Regtest,
        ..FollowerConfig::default()
    };
    let mut follower = Follower::new(
        RegtestSource::new(chain.clone()),
        store,
        PoolSet::default(),
        config,
    );
    follower.sync().await.unwrap();
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        chain.lock().unwrap().mine_on_tip(&spec).unwrap();
        let start = Instant::now();
        loop {
            if let Step::Applied { .. } = follower.step().await.unwrap() {
                break;
            }
        }
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).min(latencies.len()) - 1];
    println!("== tip latency: {samples} mainnet-sized blocks, one at a time, SQLite file, {history} blocks of history");
    println!(
        "p50                 : {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3
    );
    println!(
        "p99                 : {:.3} ms",
        pct(0.99).as_secs_f64() * 1e3
    );
    println!(
        "max                 : {:.3} ms",
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}

fn main() {
    let n: u32 = std::env::var("ALKAHEST_BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    parse_bench();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(backfill_bench(n));
    rt.block_on(tip_latency_bench(50, 200));
}
