//! silica lifecycles with exact sBTC amounts for every party.
//!
//! Each test starts from a fresh chain with a 3-of-5 signer set and a miner and buyers
//! funded by signed peg-ins (`crate::silica_common::World`), lists a Silica (100 TH/s, 4
//! windows, 60 sats per TH/s·day, 10% collateral at the default index 50 sats
//! (5,000,000,000 index units), so C = 2,000
//! sats), then drives it through the states and checks every balance to the sat:
//! finished with excess delivery; over-delivery; default at window 1; a top-up that
//! cures the same shortfall; expiry; cancellation; a partial sale; and shares moved to a
//! third wallet (transfer and transfer-many) that redeems. Each ends with the
//! contract's sBTC balance at exactly 0.

use crate::silica_common::{
    silica_call, Terms, World, CANCELLED, DEFAULTED, EXPIRED, FINISHED, FUNDING, RUNNING, SAT,
    SILICA,
};
use alkahest_clarity::values::{list, principal, tuple, uint, ValueExt};
use alkahest_clarity::Event;

const C: u128 = 2_000;

#[test]
fn finished_pays_buyers_the_due_and_the_miner_the_rest() {
    let mut w = World::new();
    let r = w.create_receipt(Terms::default());
    assert!(r.print_with_topic("create").is_some());
    let id = r.expect_ok().to_uint();
    assert_eq!(w.sbtc(&w.miner.clone()), FUNDING - C);
    let (alice, bob, miner) = (w.alice.clone(), w.bob.clone(), w.miner.clone());
    let r = w.buy(id, &alice, 60);
    assert_eq!(r.expect_ok(), uint(14_400));
    assert!(r.print_with_topic("buy").is_some());
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Sft { kind, amount: 60, .. } if kind == "sft_mint")));
    assert_eq!(w.buy(id, &bob, 40).expect_ok(), uint(9_600));
    assert_eq!(w.escrow(), C + 24_000);

    // (delivered, index): dues 5,000 5,200 4,900 5,000; locked 2,000 1,500 0 0.
    let windows = [(5_200, 50), (4_900, 52), (5_100, 49), (5_000, 50)];
    let mut miner_balance = FUNDING - C;
    for (d, (delivered, index)) in windows.into_iter().enumerate() {
        let r = w.attest(id, delivered, index * SAT);
        r.expect_ok();
        let topics = r.topics();
        assert!(topics.contains(&"attest".to_string()) && topics.contains(&"release".to_string()));
        assert!(r
            .events
            .iter()
            .any(|e| matches!(e, Event::FtMint { amount, .. } if *amount == delivered)));
        let unlocked = [0, 500, 1_500, 0][d];
        miner_balance += 6_000 + unlocked;
        assert_eq!(w.sbtc(&miner), miner_balance, "window {d}");
        let row = w
            .sim
            .read_only(SILICA, "get-window", &[uint(id), uint(d as u128)]);
        let row = row.to_optional().unwrap();
        assert_eq!(row.field("due").to_uint(), 100 * index);
        assert_eq!(row.field("delivered").to_uint(), delivered);
        let status = if d == 3 { FINISHED } else { RUNNING };
        assert_eq!(w.status(id), status);
        if d == 3 {
            assert!(r.print_with_topic("finish").is_some());
        }
    }
    // Σ due 20,100; Σ delivered 20,200: the miner's 100 excess waits for collect.
    assert_eq!(w.escrow(), 20_200);
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-claimable", &[uint(id), principal(&alice)]),
        uint(12_060)
    );
    assert_eq!(
        w.sim.read_only(SILICA, "get-collectable", &[uint(id)]),
        uint(100)
    );
    let r = w.redeem(id, &alice);
    assert_eq!(r.expect_ok(), uint(12_060));
    assert!(r.print_with_topic("redeem").is_some());
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Sft { kind, amount: 60, .. } if kind == "sft_burn")));
    assert_eq!(w.redeem(id, &bob).expect_ok(), uint(8_040));
    let r = w.collect(id);
    assert_eq!(r.expect_ok(), uint(100));
    assert!(r.print_with_topic("collect").is_some());
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 14_400 + 12_060);
    assert_eq!(w.sbtc(&bob), FUNDING - 9_600 + 8_040);
    assert_eq!(w.sbtc(&miner), FUNDING + 24_000 + 100);
    assert_eq!(w.shares(id, &alice), 0);
    assert_eq!(
        w.sim.read_only(SILICA, "get-total-supply", &[uint(id)]),
        uint(0)
    );
    // Every share is redeemed (0 outstanding): a holder with none is told so by name
    // and the view says 0 — neither divides by the 0 shares left.
    w.redeem(id, &alice)
        .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-claimable", &[uint(id), principal(&alice)]),
        uint(0)
    );
}

#[test]
fn over_delivery_goes_to_the_miner() {
    let mut w = World::new();
    let t = Terms {
        hashrate: 10,
        windows: 2,
        price: 100,
        ..Terms::default()
    };
    let id = w.create(t); // C = ceil(10·2·50·0.1) = 100
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 10).expect_ok(); // 2,000
    w.attest(id, 3_000, 50 * SAT).expect_ok(); // due 500, locked 100: release 1,000
    w.attest(id, 3_000, 50 * SAT).expect_ok(); // release 1,000 + 100 collateral, finish
    assert_eq!(w.status(id), FINISHED);
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(1_000));
    assert_eq!(w.collect(id).expect_ok(), uint(5_000));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 2_000 + 1_000);
    assert_eq!(w.sbtc(&miner), FUNDING + 2_000 + 5_000);
}

/// Window 0 delivers 4,000 of 5,000 (collateral 2,000 covers it); window 1 delivers
/// 4,000 again: 8,000 + 1,500 locked < 10,000.
#[test]
fn default_at_window_one_gives_buyers_everything_left() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 100).expect_ok();
    // Before any attestation the reference index prices window 0: 5,000 due less the
    // 2,000 collateral locked for it.
    assert_eq!(
        w.sim.read_only(SILICA, "get-top-up-needed", &[uint(id)]),
        uint(3_000)
    );
    w.attest(id, 4_000, 50 * SAT).expect_ok();
    assert_eq!(
        w.sim.read_only(SILICA, "get-shortfall", &[uint(id)]),
        uint(1_000)
    );
    assert_eq!(
        w.sim.read_only(SILICA, "get-top-up-needed", &[uint(id)]),
        uint(4_500)
    );
    let r = w.attest(id, 4_000, 50 * SAT);
    assert_eq!(r.expect_ok(), uint(DEFAULTED));
    let default = r.print_with_topic("default").expect("a default event");
    assert_eq!(default.field("window").to_uint(), 1);
    assert!(
        r.print_with_topic("release").is_none(),
        "no payment after a default"
    );
    // Buyers: 8,000 delivered + 2,000 collateral + 18,000 unreleased payment.
    assert_eq!(default.field("buyer-pool").to_uint(), 28_000);
    w.attest(id, 1, 50 * SAT)
        .expect_err(w.err("ERR_BAD_STATUS"));
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(28_000));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 24_000 + 28_000);
    assert_eq!(w.sbtc(&miner), FUNDING - C + 6_000);
}

#[test]
fn a_top_up_before_attestation_cures_the_shortfall() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 100).expect_ok();
    w.attest(id, 4_000, 50 * SAT).expect_ok();
    let r = w.top_up(id, 500);
    r.expect_ok();
    assert!(r.print_with_topic("top-up").is_some());
    // 8,000 + 500 + 1,500 = 10,000: passes exactly; releases 6,000 + 500 collateral.
    assert_eq!(w.attest(id, 4_000, 50 * SAT).expect_ok(), uint(RUNNING));
    w.attest(id, 6_500, 50 * SAT).expect_ok(); // 14,500 + 500 + 0 = 15,000
    assert_eq!(w.attest(id, 5_000, 50 * SAT).expect_ok(), uint(FINISHED));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(20_000));
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 24_000 + 20_000);
    assert_eq!(w.sbtc(&miner), FUNDING - C - 500 + 24_000 + C);
}

#[test]
fn expired_returns_collateral_and_top_ups() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let miner = w.miner.clone();
    w.top_up(id, 300).expect_ok();
    let stranger = w.stranger.clone();
    silica_call(&mut w.sim, "expire", &[uint(id)], &stranger).expect_err(w.err("ERR_NOT_STARTED"));
    w.mine_to_start(id);
    let alice = w.alice.clone();
    w.buy(id, &alice, 1).expect_err(w.err("ERR_SALE_CLOSED"));
    let r = silica_call(&mut w.sim, "expire", &[uint(id)], &stranger);
    assert_eq!(r.expect_ok(), uint(C + 300));
    assert!(r.print_with_topic("expire").is_some());
    assert_eq!(w.status(id), EXPIRED);
    assert_eq!(w.sbtc(&miner), FUNDING);
    assert_eq!(w.escrow(), 0);
    silica_call(&mut w.sim, "expire", &[uint(id)], &stranger).expect_err(w.err("ERR_BAD_STATUS"));
    silica_call(&mut w.sim, "start", &[uint(id)], &stranger).expect_err(w.err("ERR_BAD_STATUS"));
}

#[test]
fn cancelled_before_any_sale_returns_everything() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (miner, alice) = (w.miner.clone(), w.alice.clone());
    let r = silica_call(&mut w.sim, "cancel", &[uint(id)], &miner);
    assert_eq!(r.expect_ok(), uint(C));
    assert!(r.print_with_topic("cancel").is_some());
    assert_eq!(w.status(id), CANCELLED);
    assert_eq!(w.sbtc(&miner), FUNDING);
    w.buy(id, &alice, 1).expect_err(w.err("ERR_BAD_STATUS"));

    // A listing with sales cancels too (buyers are refunded: silica_trust.rs).
    let sold = w.create(Terms::default());
    w.buy(sold, &alice, 1).expect_ok();
    silica_call(&mut w.sim, "cancel", &[uint(sold)], &miner).expect_ok();
    assert_eq!(w.status(sold), CANCELLED);
}

#[test]
fn partial_sale_scales_collateral_and_returns_the_rest() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner, stranger) = (w.alice.clone(), w.miner.clone(), w.stranger.clone());
    w.buy(id, &alice, 30).expect_ok(); // 7,200
    w.buy(id, &alice, 71).expect_err(w.err("ERR_SOLD_OUT"));
    silica_call(&mut w.sim, "start", &[uint(id)], &stranger).expect_err(w.err("ERR_NOT_STARTED"));
    w.mine_to_start(id);
    let r = silica_call(&mut w.sim, "start", &[uint(id)], &stranger);
    assert_eq!(r.expect_ok(), uint(600)); // ceil(2,000 · 30/100)
    assert_eq!(
        r.print_with_topic("start")
            .unwrap()
            .field("returned")
            .to_uint(),
        1_400
    );
    assert_eq!(w.status(id), RUNNING);
    assert_eq!(w.sbtc(&miner), FUNDING - C + 1_400);
    // Due 1,500 per window; locked 600, 450, 0, 0.
    for _ in 0..4 {
        w.attest(id, 1_500, 50 * SAT).expect_ok();
    }
    assert_eq!(w.status(id), FINISHED);
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(6_000));
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 7_200 + 6_000);
    assert_eq!(w.sbtc(&miner), FUNDING + 7_200);
}

#[test]
fn shares_moved_to_a_third_wallet_redeem_pro_rata_with_dust_to_the_last() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, bob, carol) = (w.alice.clone(), w.bob.clone(), w.carol.clone());
    w.buy(id, &alice, 50).expect_ok();
    w.buy(id, &bob, 50).expect_ok();
    let r = w.sim.call(
        SILICA,
        "transfer",
        &[uint(id), uint(17), principal(&alice), principal(&carol)],
        &alice,
    );
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Sft { kind, amount: 17, .. } if kind == "sft_transfer")));
    // Someone else's shares cannot be moved.
    w.sim
        .call(
            SILICA,
            "transfer",
            &[uint(id), uint(1), principal(&bob), principal(&carol)],
            &alice,
        )
        .expect_err(w.err("ERR_NOT_OWNER"));
    let item = |amount| {
        tuple([
            ("token-id", uint(id)),
            ("amount", uint(amount)),
            ("sender", principal(&bob)),
            ("recipient", principal(&carol)),
        ])
    };
    w.sim
        .call(
            SILICA,
            "transfer-many",
            &[list(vec![item(10), item(6)])],
            &bob,
        )
        .expect_ok();
    assert_eq!(
        (
            w.shares(id, &alice),
            w.shares(id, &bob),
            w.shares(id, &carol)
        ),
        (33, 34, 33)
    );
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-overall-balance", &[principal(&carol)]),
        uint(33)
    );

    // Index 37: Σ due = 4 · 3,700 = 14,800, delivered exactly.
    for _ in 0..4 {
        w.attest(id, 3_700, 37 * SAT).expect_ok();
    }
    // 14,800·33/100 = 4,884; then 9,916·33/67 = 4,884.0 (floor); bob gets the rest.
    assert_eq!(w.redeem(id, &carol).expect_ok(), uint(4_884));
    w.redeem(id, &carol)
        .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(4_884));
    assert_eq!(w.redeem(id, &bob).expect_ok(), uint(14_800 - 2 * 4_884));
    assert_eq!(w.sbtc(&carol), FUNDING + 4_884);
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
}

#[test]
fn rounding_dust_goes_to_the_last_redeemer() {
    let mut w = World::new();
    // C = ceil(3·1·50·10%) = 15; payment 3 · 10 = 30.
    let t = Terms {
        hashrate: 3,
        windows: 1,
        price: 10,
        ..Terms::default()
    };
    let id = w.create(t);
    let (alice, bob, carol) = (w.alice.clone(), w.bob.clone(), w.carol.clone());
    for who in [&alice, &bob, &carol] {
        w.buy(id, who, 1).expect_ok();
    }
    // Due 150, delivered 1: 1 + 15 < 150, default. Pool = 1 + 15 + 30 = 46.
    assert_eq!(w.attest(id, 1, 50 * SAT).expect_ok(), uint(DEFAULTED));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(15)); // floor(46/3)
    assert_eq!(w.redeem(id, &bob).expect_ok(), uint(15)); // floor(31/2)
    assert_eq!(w.redeem(id, &carol).expect_ok(), uint(16)); // the rest: 1 sat of dust
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
}
