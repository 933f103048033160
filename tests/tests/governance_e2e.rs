//! End to end: the devnet runs `governance-demo` in process (fast blocks, a temporary
//! data folder, the API on a free loopback port). The foundation reserve funds four
//! wallets; wallet_4 seeds pool 2 (ALEX/STX); three wallets lock ALEX; wallet_5
//! proposes `agp001-pool-fee`; two vote for and one against; the proposal is concluded
//! and, after the timelock, executed; wallet_4 swaps under the new fee.
//!
//! The first run is stopped during the vote and a second run resumes from the data
//! folder and finishes. The test then asks the API over HTTP for the proposal (status
//! `executed`, the tallies it derives from the locks) and reopens the data folder to
//! read pool 2 from chain state: the fee is 0.5% and the swap paid exactly
//! ceil(0.5% × the amount sold), split between the LPs and the reserve as the rebate says.

mod common;

use std::time::{Duration, Instant};

use alkahest_devnet::config::DevnetConfig;
use alkahest_devnet::governance::{
    self, alex_balance, pool_state, reserve_balance, LIQUIDITY, LP, SWAP_DX, VOTERS,
};
use alkahest_devnet::{run_with, Devnet, EventLog};

const ALEX: u128 = 100_000_000;

fn config(dir: &std::path::Path) -> DevnetConfig {
    common::fast_devnet(dir, &["--scenario", "governance-demo"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_demo_executes_agp001_and_the_next_swap_pays_half_a_percent() {
    let began = Instant::now();
    let dir = tempfile::tempdir().unwrap();

    // First run: stop at Bitcoin height 10, after the votes (cast at the start height,
    // 2 blocks after the proposal at height 4), before the vote ends at 16.
    let first = EventLog::default();
    let partial = run_with(
        config(dir.path()),
        std::future::pending(),
        first.clone(),
        None,
        Some(10),
    )
    .await
    .unwrap();
    assert_eq!(partial.height, 10);
    let lines = first.lines();
    assert!(
        lines.iter().any(|l| l.contains("votes at burn height")),
        "{}",
        lines.join("\n")
    );
    assert!(!lines.iter().any(|l| l.contains("concluded")));

    // Second run: resumes from the folder and goes on until the scenario is done.
    let running = common::Running::until_done(config(dir.path()), Duration::from_secs(40)).await;
    let (api, log) = (running.api.clone(), running.log.clone());
    let lines = log.lines();
    let text = lines.join("\n");
    assert!(lines[0].starts_with("resumed from"), "{text}");
    // Votes are not cast twice after the restart.
    assert!(
        !lines.iter().any(|l| l.contains("votes at burn height")),
        "{text}"
    );
    let done = lines.iter().find(|l| l.starts_with("[done]")).unwrap();
    assert!(
        done.contains("executed") && done.contains("0.3% → 0.5%"),
        "{done}"
    );
    assert!(
        done.contains("500,000,001") || done.contains("5.00000001"),
        "{done}"
    );

    // The API over HTTP: status, tallies, heights, hash and per-voter votes.
    let (status, p) = common::get(&format!("{api}/v1/governance/proposals/1")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "executed", "{p}");
    let votes_for: u128 = VOTERS.iter().filter(|v| v.2).map(|v| v.1).sum();
    let votes_against: u128 = VOTERS.iter().filter(|v| !v.2).map(|v| v.1).sum();
    assert_eq!(votes_for, 12_000_000 * ALEX);
    assert_eq!(votes_against, 2_000_000 * ALEX);
    assert_eq!(p["votes_for"], votes_for.to_string());
    assert_eq!(p["votes_against"], votes_against.to_string());
    // 1% of the 1,000,000,000 ALEX supply.
    assert_eq!(p["quorum"], (10_000_000 * ALEX).to_string());
    assert_eq!(p["concluded"], true);
    assert_eq!(p["passed"], true);
    assert_eq!(p["executed"], true);
    assert_eq!(p["vetoed"], false);
    assert!(p["proposal"]
        .as_str()
        .unwrap()
        .ends_with(".agp001-pool-fee"));
    assert_eq!(p["proposer"], governance::address("wallet_5").unwrap());
    let start = p["start_height"].as_u64().unwrap();
    let end = p["end_height"].as_u64().unwrap();
    assert_eq!(end, start + 10, "voting period 10");
    assert!(p["timelock_end"].as_u64().unwrap() >= end + 5, "timelock 5");
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../clarity/contracts/agp001-pool-fee.clar"),
    )
    .unwrap();
    assert_eq!(
        p["source_hash"],
        hex_of(&governance::source_hash(&source)),
        "the hash of the contract file"
    );
    let votes = p["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 3, "{p}");
    for (name, amount, support) in VOTERS {
        let who = governance::address(name).unwrap();
        let v = votes.iter().find(|v| v["voter"] == who.as_str()).unwrap();
        assert_eq!(v["for"], support, "{v}");
        assert_eq!(v["amount"], amount.to_string(), "{v}");
    }
    let (status, list) = common::get(&format!("{api}/v1/governance/proposals")).await;
    assert_eq!(status, 200);
    assert_eq!(list["proposals"].as_array().unwrap().len(), 1);
    assert_eq!(list["proposals"][0]["status"], "executed");
    let (status, body) = common::get(&format!("{api}/v1/governance/proposals/2")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, _) = common::get(&format!("{api}/v1/governance/proposals/x")).await;
    assert_eq!(status, 400);
    running.stop().await;

    // Chain state, from the data folder (replayed once more): pool 2 charges 0.5% and
    // the one swap paid exactly ceil(0.5% × dx), rebate 50% to the LPs.
    let reopened = Devnet::open(config(dir.path()), EventLog::default())
        .await
        .unwrap();
    let stacks = reopened.stacks();
    let pool = pool_state(stacks, 2);
    assert_eq!(pool.fee_rate, 500_000, "0.5% of 10^8");
    assert_eq!(pool.fee_rebate, 50_000_000, "rebate unchanged");
    let fee = (SWAP_DX * 5).div_ceil(1_000);
    assert_eq!(fee, 500_000_001);
    let booked = fee - fee / 2;
    assert_eq!(reserve_balance(stacks, "alex-token"), booked);
    assert_eq!(pool.balance_x, LIQUIDITY.0 + SWAP_DX - booked);
    assert_eq!(pool.balance_y + out_of(&text), LIQUIDITY.1);
    let lp = governance::address(LP).unwrap();
    assert_eq!(
        alex_balance(stacks, &lp),
        0,
        "the LP sold all its free ALEX"
    );
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "took {:?}",
        began.elapsed()
    );
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// micro-STX the swap paid out, from its log line (`… for 1,234.567890 STX …`).
fn out_of(text: &str) -> u128 {
    let line = text.lines().find(|l| l.contains(" swapped ")).unwrap();
    let stx = line
        .split(" for ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    stx.replace([',', '.'], "").parse().unwrap()
}
