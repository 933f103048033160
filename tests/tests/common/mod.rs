//! Helpers shared by the end-to-end test files (each includes this with `mod common;`).

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use alkahest_devnet::config::DevnetConfig;
use alkahest_devnet::scenario::{BUYS, DEPOSIT, FPPS_PAYOUT, HASHRATE, POOL_PAYOUT, PRICE};
use alkahest_protocol::index::{due, window_index, WorkModel};
use clap::Parser;
use serde_json::Value;

/// `silica-demo`'s windows, window length and the devnet's default simulated difficulty.
pub const WINDOWS: u128 = 3;
pub const WINDOW_LENGTH: u128 = 4;
pub const DIFFICULTY: u64 = 100_000_000_000_000;

/// The flags of every `silica-demo` run the balances below are derived for.
pub const SILICA_DEMO_FLAGS: [&str; 6] = [
    "--window-length",
    "4",
    "--windows",
    "3",
    "--confirmations",
    "2",
];

/// `silica-demo`'s final sBTC (miner, wallet_1, wallet_2), from the settlement table
/// of design.md for a finished Silica: the same in process and with `--processes`.
pub fn expected() -> [(String, u128); 3] {
    // Regtest subsidy 50 BTC plus the devnet's 25,000 sats of fees per block; every
    // block has the work of a block at DIFFICULTY (target = max / DIFFICULTY), the same
    // exact formula the signers and the indexer use.
    let reward_per_block: u128 = 5_000_000_000 + 25_000;
    let work = WorkModel::SimulatedDifficulty(DIFFICULTY)
        .block_work(0)
        .unwrap();
    let index = window_index(reward_per_block * WINDOW_LENGTH, work * WINDOW_LENGTH).unwrap();
    // 1005.81806192 sats per TH/s·window in 10^-8 units; whole sats (v1) attested 1005.
    assert_eq!(index, 100_581_806_192);
    // One rounding per window: floor(100 · 1005.81806192) = 100,581.
    let due = due(HASHRATE, index).unwrap();
    assert_eq!(due, 100_581);
    // The TIDES pool finds every even height (2 blocks per 4-block window) and pays in
    // the coinbase; the FPPS pool pays once per window in an ordinary transaction.
    let delivered = 2 * u128::from(POOL_PAYOUT) + u128::from(FPPS_PAYOUT);
    assert!(delivered >= due, "the demo must not default");
    let payment = PRICE * WINDOWS * HASHRATE;
    // The collateral (HASHRATE · WINDOWS · DEFAULT_INDEX · COLLATERAL_BPS / 10^4) comes
    // back in full, so the miner ends with deposit + payment + excess delivery, less
    // what the window's BTC lost on its way into sBTC (charged to the miner's side).
    let excess = WINDOWS * (delivered - due) - WINDOWS * delivery_fees_per_window();
    let deposit = u128::from(DEPOSIT);
    // Buyers share the pool Σ due pro rata; wallet_1 redeems first (floor), wallet_2
    // last and takes the remainder (design.md: dust goes to the last redeemer).
    let pool = WINDOWS * due;
    let first = pool * BUYS[0] / HASHRATE;
    let buyer = |sold: u128, share: u128| deposit - PRICE * WINDOWS * sold + share;
    [
        ("miner (wallet_3)".into(), deposit + payment + excess),
        ("buyer wallet_1".into(), buyer(BUYS[0], first)),
        ("buyer wallet_2".into(), buyer(BUYS[1], pool - first)),
    ]
}

/// Sats each window's delivery loses on its way into sBTC (docs/sbtc-settlement.md):
/// the forward's Bitcoin fee and the deposit's share of the sweep fee. The stand-in
/// sBTC signers sweep each deposit alone, so its share is the whole sweep fee:
/// `SWEEP_FEE_RATE` × the sweep's vsize, counted here byte by byte.
pub fn delivery_fees_per_window() -> u128 {
    use alkahest_devnet::scenario::settling::{FORWARD_FEE, SWEEP_FEE_RATE};
    // The deposit leaf: push(max_fee 8 ‖ `.silica` as 0x06 version hash160 len name),
    // OP_DROP, push(32-byte key), OP_CHECKSIG.
    let recipient = 1 + 1 + 20 + 1 + "silica".len();
    let leaf = 1 + (8 + recipient) + 1 + (1 + 32) + 1;
    // Version, input count, the input (outpoint, empty scriptSig, sequence), output
    // count, the signers' P2TR output, the `OP_RETURN "sBTC sweep"` output, lock time.
    let base = 4 + 1 + (36 + 1 + 4) + 1 + (8 + 1 + 34) + (8 + 1 + 12) + 4;
    // Marker and flag, then the deposit leaf's witness: item count, the 64-byte
    // signature, the leaf, the control block (parity byte, NUMS key, the other leaf).
    let witness = 2 + 1 + (1 + 64) + (1 + leaf) + (1 + 65);
    let vsize = (base * 4 + witness).div_ceil(4) as u128;
    u128::from(FORWARD_FEE) + u128::from(SWEEP_FEE_RATE) * vsize
}

/// A devnet in `dir` with 20 ms blocks and the API on a free port, plus `extra` flags.
pub fn fast_devnet(dir: &std::path::Path, extra: &[&str]) -> DevnetConfig {
    let mut args = vec![
        "devnet",
        "--data-dir",
        dir.to_str().unwrap(),
        "--block-time",
        "20ms",
        "--api-addr",
        "127.0.0.1:0",
        "--stacks-rpc-addr",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    DevnetConfig::parse_from(args)
}

/// GETs `url`: the status and the JSON body.
pub async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A devnet run in the background until its log says `[done]`.
pub struct Running {
    /// The API's base URL.
    pub api: String,
    /// The run's log lines.
    pub log: alkahest_devnet::EventLog,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts `config` and waits for `[done]`; a hang guard of `patience` fails the test
    /// with the log (not a timing assertion).
    pub async fn until_done(config: DevnetConfig, patience: std::time::Duration) -> Running {
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log = alkahest_devnet::EventLog::default();
        let run = alkahest_devnet::run_with(
            config,
            async {
                let _ = stop_rx.await;
            },
            log.clone(),
            Some(bound_tx),
            None,
        );
        let task = tokio::spawn(async move {
            run.await.expect("the devnet ends cleanly");
        });
        let api = format!("http://{}", bound_rx.await.unwrap());
        let deadline = std::time::Instant::now() + patience;
        while !log.lines().iter().any(|l| l.starts_with("[done]")) {
            assert!(
                std::time::Instant::now() < deadline,
                "never done:\n{}",
                log.lines().join("\n")
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Running {
            api,
            log,
            stop,
            task,
        }
    }

    /// Stops the devnet and waits for a clean shutdown.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap();
    }
}
