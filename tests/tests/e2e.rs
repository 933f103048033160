//! End to end: the devnet runs `silica-demo` in process (fast blocks, a temporary data
//! folder, the API on a free loopback port). Steps: block 1 pays three sBTC deposits;
//! the signer set is installed; deposits are attested and minted; the miner lists a
//! Silica; two wallets buy; the TIDES pool pays the payout script from the start
//! height; each window is attested 2-of-3 over HTTP; the Silica finishes; buyers redeem
//! and the miner collects. The test asserts every party's final sBTC exactly, from
//! numbers it derives itself, and that the API reports the same deliveries, dues and
//! settlement. A second run is stopped half-way and restarted from its data folder and
//! must end in the same state.

mod common;

use std::time::Duration;

use alkahest_devnet::config::DevnetConfig;
use alkahest_devnet::scenario::{BUYS, DEPOSIT, FPPS_PAYOUT, HASHRATE, POOL_PAYOUT, PRICE};
use alkahest_devnet::{run_with, EventLog, Summary};
use serde_json::Value;

use common::{expected, WINDOWS};

fn config(dir: &std::path::Path, extra: &[&str]) -> DevnetConfig {
    let mut flags = common::SILICA_DEMO_FLAGS.to_vec();
    flags.extend_from_slice(extra);
    common::fast_devnet(dir, &flags)
}

async fn get(url: &str) -> Value {
    common::get(url).await.1
}

/// Runs until the API shows silica 1 settled and collected, checks the API, stops;
/// returns the summary, the API's Silica and the devnet's log.
async fn run_to_settlement(dir: &std::path::Path, extra: &[&str]) -> (Summary, Value, Vec<String>) {
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let log = EventLog::default();
    let devnet = tokio::spawn(run_with(
        config(dir, extra),
        async {
            let _ = stop_rx.await;
        },
        log.clone(),
        Some(bound_tx),
        None,
    ));
    let api = format!("http://{}", bound_rx.await.unwrap());
    let mut silica = Value::Null;
    for _ in 0..3_000 {
        silica = reqwest::get(format!("{api}/v1/silica/1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if silica["settlement"]["collected"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        silica["settlement"]["collected"],
        true,
        "never settled:\n{}",
        log.lines().join("\n")
    );
    // Point 3 of the trust holes: the API's window index (its own indexer, the same
    // work formula and simulated difficulty as the signers) is the attested index.
    let index = get(&format!("{api}/v1/index?from_window=1&to_window=3")).await;
    let rows = index["windows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{index}");
    for w in rows {
        let got = w["index"].as_f64().unwrap();
        assert!((got - 1_005.818_061_92).abs() < 1e-6, "{w}");
    }
    for w in silica["per_window"].as_array().unwrap() {
        assert_eq!(w["index"], "100581806192", "{w}");
    }
    let health = get(&format!("{api}/v1/health")).await;
    assert!(health["tip"]["height"].as_u64().unwrap() >= 18);
    // The AMM pools the deployment's bootstrap created reach the API through the
    // event observer like every later transaction: ALEX/sBTC, ALEX/wSTX, wSTX/sBTC.
    let pools = get(&format!("{api}/v1/amm/pools")).await;
    let pairs: Vec<(u64, String, String)> = pools["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = |k: &str| {
                p[k].as_str()
                    .unwrap()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .to_owned()
            };
            (p["id"].as_u64().unwrap(), name("token_x"), name("token_y"))
        })
        .collect();
    let pair = |id, x: &str, y: &str| (id, x.to_owned(), y.to_owned());
    assert_eq!(
        pairs,
        [
            pair(1, "alex-token", "sbtc-token"),
            pair(2, "alex-token", "amm-wstx"),
            pair(3, "amm-wstx", "sbtc-token"),
        ],
        "{pools}"
    );
    assert_eq!(pools["pools"][0]["fee_rate"], "300000", "{pools}");
    // The API serves the SPV proof of each window block's coinbase, for the block it
    // indexed (what the miner submits with --delivery proofs).
    let block = get(&format!("{api}/v1/blocks/9")).await;
    let proof = get(&format!("{api}/v1/blocks/9/proof")).await;
    assert_eq!(proof["hash"], block["hash"], "{proof}");
    assert_eq!(proof["fits_contract"], true, "{proof}");
    stop_tx.send(()).unwrap();
    let summary = devnet.await.unwrap().unwrap();
    (summary, silica, log.lines())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silica_demo_settles_exactly_and_the_api_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, silica, _) = run_to_settlement(dir.path(), &[]).await;
    check_settlement(&summary, &silica);
}

/// `--delivery proofs`: no signature records a window; the miner proves each from its
/// Bitcoin blocks, the contract computes the index, and every balance ends as with
/// the signers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silica_demo_settles_from_proofs_alone_to_the_same_balances() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, silica, log) = run_to_settlement(dir.path(), &["--delivery", "proofs"]).await;
    check_settlement(&summary, &silica);
    // Each window: its 4 blocks, and the FPPS pool's ordinary payout transaction.
    let proven = log
        .iter()
        .filter(|l| l.contains("proven by the miner from its 4 blocks and 1 other payment(s)"))
        .count();
    assert_eq!(proven as u128, WINDOWS, "{log:#?}");
    // No window is attested; our signers still forward the BTC at the payout script
    // (they hold its key) into the sBTC deposits.
    assert!(
        !log.iter()
            .any(|l| l.starts_with("[attest]") && l.contains("signed 2-of-3")),
        "{log:#?}"
    );
    let forwarded = log.iter().filter(|l| l.starts_with("[forward]")).count();
    assert_eq!(forwarded as u128, WINDOWS, "{log:#?}");
}

fn check_settlement(summary: &Summary, silica: &Value) {
    assert_eq!(summary.silica_status, Some(2), "finished");
    assert_eq!(summary.balances, expected().to_vec());

    // The API reports the same numbers: each window's attested delivery equals what
    // the API's own indexer saw paid to the payout script, and the due is sold × index.
    assert_eq!(silica["status"], "FINISHED");
    let windows = silica["per_window"].as_array().unwrap();
    assert_eq!(windows.len() as u128, WINDOWS);
    let mut total_due = 0u128;
    for w in windows {
        let attested: u128 = w["attested_delivered_sats"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            u128::from(w["indexed_delivered_sats"].as_u64().unwrap()),
            attested
        );
        // Two TIDES coinbase payouts and one FPPS payout in an ordinary transaction.
        assert_eq!(
            attested,
            2 * u128::from(POOL_PAYOUT) + u128::from(FPPS_PAYOUT)
        );
        total_due += w["due_sats"].as_str().unwrap().parse::<u128>().unwrap();
    }
    // Everyone redeemed: nothing is left in the buyers' pool, no share is outstanding,
    // and what the buyers received is exactly Σ due (design.md, "Finished").
    let settlement = &silica["settlement"];
    assert_eq!(settlement["buyers_pool"].as_u64(), Some(0));
    assert_eq!(settlement["shares"].as_u64(), Some(0));
    // The miner's amount the API shows is net of the delivery's fees (the contract's
    // `settlement-complete`), what the miner collected: final sBTC − deposit − payment.
    let collected = summary.balances[0].1 - u128::from(DEPOSIT) - PRICE * WINDOWS * HASHRATE;
    assert_eq!(
        settlement["miner_amount"].as_u64().map(u128::from),
        Some(collected),
        "{settlement}"
    );
    let redeemed: u128 = summary.balances[1..]
        .iter()
        .zip(BUYS)
        .map(|((_, b), sold)| b + PRICE * WINDOWS * sold - u128::from(DEPOSIT))
        .sum();
    assert_eq!(redeemed, total_due);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_from_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    // First run: stop at height 9, mid-term (after the buys, before settlement).
    let partial = run_with(
        config(dir.path(), &[]),
        std::future::pending(),
        EventLog::default(),
        None,
        Some(9),
    )
    .await
    .unwrap();
    assert_eq!(partial.height, 9);
    assert_eq!(partial.silica_status, Some(0));
    // Second run: stop at height 113, finished but its delivery in flight, window 0's
    // sweep waiting in the devnet's mempool (<data>/settlement.json) and Emily (in
    // memory) about to be lost.
    let log = EventLog::default();
    let partial = run_with(
        config(dir.path(), &[]),
        std::future::pending(),
        log.clone(),
        None,
        Some(113),
    )
    .await
    .unwrap();
    assert_eq!(partial.silica_status, Some(2));
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("[sbtc] sweeping deposit")),
        "{:#?}",
        log.lines()
    );
    assert!(!log.lines().iter().any(|l| l.starts_with("[record]")));
    // Third run from the same folder finishes with the same exact balances.
    let (summary, _, log) = run_to_settlement(dir.path(), &[]).await;
    assert_eq!(summary.balances, expected().to_vec());
    assert!(summary.height > 113);
    let recorded = log.iter().filter(|l| l.starts_with("[record]")).count();
    assert_eq!(recorded as u128, WINDOWS, "{log:#?}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_refuses_a_signer_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // First start writes the key files with mode 0600 and runs.
    run_with(
        config(dir.path(), &[]),
        std::future::pending(),
        EventLog::default(),
        None,
        Some(1),
    )
    .await
    .unwrap();
    let key = dir.path().join("signer-1.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = run_with(
        config(dir.path(), &[]),
        std::future::pending(),
        EventLog::default(),
        None,
        Some(2),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("signer-1.key"), "{err:#}");
}
