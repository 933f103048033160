//! End to end: the devnet runs `lending-demo` in process (fast blocks, a temporary data
//! folder, the API on a free loopback port). Block 1's coinbase pays sBTC deposits to
//! the LP, the lender and the borrower, minted 2-of-3; the LP seeds AMM pool 3 and the
//! YTP of expiry 100; a first swap sets the EMA; the borrower borrows against STX, the
//! lender buys yield tokens; a keeper rebalances every block while a trader drives the
//! price 20% down; at burn height 100 the pool settles; the lender and the borrower
//! redeem.
//!
//! The first run is stopped after the price drop and a second run resumes from the data
//! folder and finishes. The test asks the API over HTTP for `/v1/lending/pools/100`,
//! then reopens the data folder and checks the API's settlement against chain state:
//! yield holders are paid face value, key holders the remainder, and the lender's and
//! borrower's final sBTC are exactly what the logged steps say.

mod common;

use std::time::Duration;

use alkahest_devnet::config::DevnetConfig;
use alkahest_devnet::lending::{
    self, crp_pool, sbtc_of, settlement, BORROWER, COLLATERAL, DEPOSITS, EXPIRY, LEND, LENDER,
    OPEN_PRICE,
};
use alkahest_devnet::{run_with, Devnet, EventLog};
use serde_json::Value;

fn config(dir: &std::path::Path) -> DevnetConfig {
    common::fast_devnet(dir, &["--scenario", "lending-demo"])
}

/// The number that follows `before` in `line` (thousands separators removed).
fn number_after(line: &str, before: &str) -> u128 {
    let rest = line
        .split_once(before)
        .unwrap_or_else(|| panic!("no {before:?} in {line}"))
        .1;
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {before:?} in {line}"))
}

fn one<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    let found: Vec<&String> = lines.iter().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(found.len(), 1, "{prefix}:\n{}", lines.join("\n"));
    found[0]
}

fn deposit_of(name: &str) -> u128 {
    DEPOSITS.iter().find(|d| d.0 == name).unwrap().1
}

/// A decimal-string field of the API's JSON.
fn figure(v: &Value, name: &str) -> u128 {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lending_demo_settles_expiry_100_paying_yield_at_face_and_keys_the_rest() {
    let dir = tempfile::tempdir().unwrap();

    // First run: stop at Bitcoin height 24, after the borrow, the lend and the trader's
    // sales (from burn height 20), long before the expiry.
    let first = EventLog::default();
    let partial = run_with(
        config(dir.path()),
        std::future::pending(),
        first.clone(),
        None,
        Some(24),
    )
    .await
    .unwrap();
    assert_eq!(partial.height, 24);
    let lines = first.lines();
    let text = lines.join("\n");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("[peg-in]")).count(),
        3,
        "{text}"
    );
    one(&lines, "[lend] LP wallet_4 seeded AMM pool 3");
    one(&lines, "[lend] LP wallet_4 seeded the YTP of expiry 100");
    assert!(one(&lines, "[lend] keeper").contains("the first swap sets the EMA to 2,000.00"));
    let borrow = one(&lines, "[lend] borrower").to_string();
    let lend = one(&lines, "[lend] lender").to_string();
    let trades: Vec<&String> = lines.iter().filter(|l| l.starts_with("[trader]")).collect();
    assert_eq!(trades.len(), 3, "{text}");
    assert!(
        trades[2].contains("(80.00% of the opening price)"),
        "{}",
        trades[2]
    );
    assert!(
        lines.iter().any(|l| l.starts_with("[keeper] burn ")),
        "{text}"
    );
    assert!(!text.contains("[settle]"), "{text}");

    // The borrow: 8,000 STX at 2,000 sats/STX and LTV 75% mint about 0.12 BTC of yield
    // and key tokens, sold for slightly less than face (the fixed rate); the pool sells
    // half its collateral at once (CPPI weight 2 x 25% = 50%).
    let minted = number_after(&borrow, ": minted ");
    let face = COLLATERAL * OPEN_PRICE / 100_000_000 * 3 / 4;
    assert_eq!(face, 12_000_000);
    assert!(minted <= face && minted * 1000 >= face * 999, "{borrow}");
    assert!(
        borrow.contains("hedged at once: sold 4,000 STX"),
        "{borrow}"
    );
    let borrowed = number_after(&borrow, "in the YTP for ");
    assert!(
        borrowed < minted && borrowed > minted * 999 / 1000,
        "{borrow}"
    );
    let bought = number_after(&lend, "bought ");
    assert!(
        bought > LEND,
        "a lender gets more yield tokens than sats: {lend}"
    );

    // Second run: resumes from the folder and goes on until the scenario is done.
    let running = common::Running::until_done(config(dir.path()), Duration::from_secs(180)).await;
    let (api, log) = (running.api.clone(), running.log.clone());
    let lines = log.lines();
    let text = lines.join("\n");
    assert!(lines[0].starts_with("resumed from"), "{text}");
    // Nothing before the restart is done twice.
    for done_before in ["[peg-in]", "[lend]", "[trader]"] {
        assert!(
            !lines.iter().any(|l| l.starts_with(done_before)),
            "{done_before} again after the restart:\n{text}"
        );
    }
    // The keeper rebalanced (or said why not) in every block up to the expiry.
    for burn in 25..EXPIRY {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("[keeper] burn {burn}: "))),
            "no keeper step at burn {burn}:\n{text}"
        );
    }
    let settled = lines
        .iter()
        .find(|l| l.starts_with("[settle] keeper wallet_7 settled expiry 100"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(settled.contains("shortfall 0"), "{settled}");
    let redeem_yield = one(&lines, "[settle] lender");
    let redeem_key = one(&lines, "[settle] borrower");
    let done = one(&lines, "[done]");
    assert_eq!(number_after(redeem_yield, "redeemed "), bought);
    let yield_paid = number_after(redeem_yield, "yield tokens for ");
    assert_eq!(yield_paid, bought, "face value: {redeem_yield}");
    assert_eq!(number_after(redeem_key, "redeemed "), minted);
    let key_paid = number_after(redeem_key, "key tokens for ");

    // The API over HTTP.
    let (status, pool) = common::get(&format!("{api}/v1/lending/pools/{EXPIRY}")).await;
    assert_eq!(status, 200, "{pool}");
    assert_eq!(pool["expiry"], 100);
    let s = &pool["settlement"];
    assert!(s.is_object(), "{pool}");
    assert_eq!(figure(s, "yield_pool"), figure(s, "yield_at_settle"), "{s}");
    assert_eq!(figure(s, "yield_at_settle"), minted);
    assert_eq!(figure(s, "key_at_settle"), minted);
    assert_eq!(figure(s, "yield_paid"), yield_paid);
    assert_eq!(figure(s, "key_paid"), key_paid);
    assert_eq!(
        figure(s, "key_pool"),
        key_paid,
        "the borrower holds every key"
    );
    assert_eq!(figure(s, "shortfall"), 0);
    assert_eq!(figure(s, "from_reserve"), 0);
    let crp = &pool["crp"];
    assert_eq!(figure(crp, "collateral"), 0, "all the collateral was sold");
    // Key holders get the remainder: the pool's sBTC at settlement (what it holds now
    // plus what it paid) less the yield holders' face value.
    assert_eq!(
        figure(s, "key_pool"),
        figure(crp, "sbtc") + figure(s, "yield_paid") + figure(s, "key_paid")
            - figure(s, "yield_pool")
    );
    let ytp = &pool["ytp"];
    assert_eq!(ytp["t"], "0", "expired: {ytp}");
    assert!(figure(ytp, "supply") > 0, "{ytp}");
    let (status, list) = common::get(&format!("{api}/v1/lending/pools")).await;
    assert_eq!(status, 200);
    let pools = list["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{list}");
    assert_eq!(pools[0]["settlement"], *s);
    let (status, body) = common::get(&format!("{api}/v1/lending/pools/7")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, body) = common::get(&format!("{api}/v1/lending/pools/x")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    running.stop().await;

    // Chain state, from the data folder (replayed once more).
    let reopened = Devnet::open(config(dir.path()), EventLog::default())
        .await
        .unwrap();
    let stacks = reopened.stacks();
    let chain = settlement(stacks).expect("settled on chain");
    for (field, value) in &chain {
        assert_eq!(
            s[field.replace('-', "_")],
            value.to_string(),
            "settlement {field}"
        );
    }
    let on_chain = crp_pool(stacks);
    assert_eq!(crp["sbtc"], on_chain.sbtc.to_string());
    assert_eq!(crp["yield_supply"], on_chain.yield_supply.to_string());
    let (lender_addr, borrower_addr) = (
        lending::address(LENDER).unwrap(),
        lending::address(BORROWER).unwrap(),
    );
    assert_eq!(lending::yield_of(stacks, &lender_addr), 0, "yield redeemed");
    assert_eq!(lending::keys_of(stacks, &borrower_addr), 0, "keys redeemed");

    // Final sBTC, exactly as the logged steps say.
    let lender = sbtc_of(stacks, &lender_addr);
    let borrower = sbtc_of(stacks, &borrower_addr);
    assert_eq!(lender, deposit_of(LENDER) - LEND + yield_paid);
    assert_eq!(borrower, deposit_of(BORROWER) + borrowed + key_paid);
    assert_eq!(number_after(done, "lender wallet_5 "), lender, "{done}");
    assert_eq!(number_after(done, "borrower wallet_6 "), borrower, "{done}");
}
