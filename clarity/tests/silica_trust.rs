//! silica (issue 10): a stalled Silica settles, a cancel with sales refunds the buyers,
//! and the index is carried in 1e-8 sat units, each with exact balances.
//!
//! Terms::default(): 100 TH/s, 4 windows of 144 blocks, 60 sats per TH/s·day, 10%
//! collateral at the default index 50 sats (5,000,000,000 units), so C = 2,000 sats.

use crate::silica_common::{
    silica_call, Terms, World, CANCELLED, DEFAULTED, FINISHED, FUNDING, RUNNING, SAT, SILICA,
};
use alkahest_clarity::values::{uint, ValueExt};

const C: u128 = 2_000;

fn stall_height(w: &mut World, id: u128) -> u128 {
    w.sim
        .read_only(SILICA, "get-stall-height", &[uint(id)])
        .to_uint()
}

fn settle_stalled(w: &mut World, id: u128) -> alkahest_clarity::Receipt {
    let stranger = w.stranger.clone();
    silica_call(&mut w.sim, "settle-stalled", &[uint(id)], &stranger)
}

fn mine_to(w: &mut World, height: u128) {
    let now = w.sim.burn_block_height();
    if now < height {
        w.sim.mine((height - now) as u32);
    }
}

#[test]
fn a_stalled_silica_settles_as_a_default_after_the_grace_not_before() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 100).expect_ok(); // 24,000
    w.attest(id, 5_000, 50 * SAT).expect_ok(); // passes: 6,000 released
    assert_eq!(w.status(id), RUNNING);
    // The signers stop. Stall height = end + confirmations + grace (144).
    let start = w.field(id, "start");
    assert_eq!(stall_height(&mut w, id), start + 4 * 144 + 100 + 144);

    settle_stalled(&mut w, id).expect_err(w.err("ERR_NOT_STALLED"));
    let stall = stall_height(&mut w, id);
    mine_to(&mut w, stall - 1);
    settle_stalled(&mut w, id).expect_err(w.err("ERR_NOT_STALLED"));
    w.redeem(id, &alice).expect_err(w.err("ERR_NOT_SETTLED"));
    w.sim.mine(1);
    let r = settle_stalled(&mut w, id);
    assert_eq!(r.expect_ok(), uint(DEFAULTED));
    let stalled = r.print_with_topic("stalled").expect("a stalled event");
    assert_eq!(stalled.field("window").to_uint(), 1);
    let default = r.print_with_topic("default").expect("a default event");
    assert_eq!(default.field("window").to_uint(), 1);
    // Pool: delivered 5,000 + collateral held 2,000 + unreleased 18,000.
    assert_eq!(default.field("buyer-pool").to_uint(), 25_000);
    assert_eq!(w.status(id), DEFAULTED);
    settle_stalled(&mut w, id).expect_err(w.err("ERR_BAD_STATUS"));
    w.attest(id, 5_000, 50 * SAT)
        .expect_err(w.err("ERR_BAD_STATUS"));

    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(25_000));
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 24_000 + 25_000);
    assert_eq!(w.sbtc(&miner), FUNDING - C + 6_000);
}

#[test]
fn a_never_attested_silica_starts_and_defaults_at_window_zero() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 30).expect_ok(); // 7,200
                                       // A shorter grace (governance) moves the stall height of running Silicas too.
    w.govern("set-stall-grace", 10).expect_ok();
    let start = w.field(id, "start");
    let stall = stall_height(&mut w, id);
    assert_eq!(stall, start + 4 * 144 + 100 + 10);
    mine_to(&mut w, stall);
    let r = settle_stalled(&mut w, id);
    assert_eq!(r.expect_ok(), uint(DEFAULTED));
    // Collateral scaled to ceil(2,000 · 30/100) = 600, 1,400 back to the miner.
    assert_eq!(
        r.print_with_topic("start")
            .expect("activated")
            .field("returned")
            .to_uint(),
        1_400
    );
    let default = r.print_with_topic("default").expect("a default event");
    assert_eq!(default.field("window").to_uint(), 0);
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(600 + 7_200));
    assert_eq!(w.collect(id).expect_ok(), uint(0));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&miner), FUNDING - C + 1_400);
    assert_eq!(w.sbtc(&alice), FUNDING + 600);
}

#[test]
fn only_a_live_silica_can_be_settled_as_stalled() {
    let mut w = World::new();
    let unsold = w.create(Terms::default());
    let finished = w.create(Terms {
        windows: 1,
        ..Terms::default()
    });
    let alice = w.alice.clone();
    w.buy(finished, &alice, 100).expect_ok();
    w.attest(finished, 6_000, 50 * SAT).expect_ok();
    assert_eq!(w.status(finished), FINISHED);
    let stall = stall_height(&mut w, unsold);
    mine_to(&mut w, stall);
    settle_stalled(&mut w, unsold).expect_err(w.err("ERR_BAD_STATUS"));
    settle_stalled(&mut w, finished).expect_err(w.err("ERR_BAD_STATUS"));
    settle_stalled(&mut w, 999).expect_err(w.err("ERR_UNKNOWN_SILICA"));
}

#[test]
fn a_small_purchase_no_longer_pins_a_large_listing() {
    let mut w = World::new();
    // 1,000 TH/s: C = ceil(1,000 · 4 · 50 · 10%) = 20,000.
    let id = w.create(Terms {
        hashrate: 1_000,
        ..Terms::default()
    });
    let (alice, bob, carol, miner) = (
        w.alice.clone(),
        w.bob.clone(),
        w.carol.clone(),
        w.miner.clone(),
    );
    w.top_up(id, 300).expect_ok();
    w.buy(id, &alice, 1).expect_ok(); // 240
    w.buy(id, &bob, 2).expect_ok(); // 480
    w.sim
        .call(
            SILICA,
            "transfer",
            &[
                uint(id),
                uint(1),
                alkahest_clarity::values::principal(&bob),
                alkahest_clarity::values::principal(&carol),
            ],
            &bob,
        )
        .expect_ok();
    let r = silica_call(&mut w.sim, "cancel", &[uint(id)], &miner);
    assert_eq!(r.expect_ok(), uint(20_000 + 300));
    let event = r.print_with_topic("cancel").expect("a cancel event");
    assert_eq!(event.field("buyer-refund").to_uint(), 720);
    assert_eq!(event.field("shares").to_uint(), 3);
    assert_eq!(w.status(id), CANCELLED);
    assert_eq!(w.sbtc(&miner), FUNDING);
    w.buy(id, &alice, 1).expect_err(w.err("ERR_BAD_STATUS"));
    w.top_up(id, 1).expect_err(w.err("ERR_BAD_STATUS"));
    settle_stalled(&mut w, id).expect_err(w.err("ERR_BAD_STATUS"));
    // Every holder pulls back exactly what the shares cost.
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(240));
    assert_eq!(w.redeem(id, &bob).expect_ok(), uint(240));
    assert_eq!(w.redeem(id, &carol).expect_ok(), uint(240));
    w.redeem(id, &alice)
        .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    // The miner has nothing to collect from a cancelled listing.
    w.collect(id).expect_err(w.err("ERR_ALREADY_COLLECTED"));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING);
    assert_eq!(w.sbtc(&bob), FUNDING - 480 + 240);
    assert_eq!(w.sbtc(&carol), FUNDING + 240);
}

#[test]
fn a_listing_with_sales_cannot_be_cancelled_from_start() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 1).expect_ok();
    w.mine_to_start(id);
    silica_call(&mut w.sim, "cancel", &[uint(id)], &miner).expect_err(w.err("ERR_SALE_CLOSED"));
    // Nor expire: it starts instead.
    let stranger = w.stranger.clone();
    silica_call(&mut w.sim, "expire", &[uint(id)], &stranger)
        .expect_err(w.err("ERR_SOMETHING_SOLD"));
    assert_eq!(w.status(id), crate::silica_common::OPEN);
}

#[test]
fn the_index_is_carried_in_hundred_millionths_of_a_sat() {
    let mut w = World::new();
    // C = ceil(3 · 2 · 5e9 · 10,000 / (10,000 · 1e8)) = 300.
    let t = Terms {
        hashrate: 3,
        windows: 2,
        price: 100,
        collateral_bps: 10_000,
        ..Terms::default()
    };
    let id = w.create(t);
    assert_eq!(w.field(id, "collateral"), 300);
    assert_eq!(w.field(id, "reference-index"), 5_000_000_000);
    let (alice, miner) = (w.alice.clone(), w.miner.clone());
    w.buy(id, &alice, 3).expect_ok(); // 600
                                      // 42.38 sats per TH/s·day: due = floor(3 · 4,238,000,000 / 1e8) = floor(127.14) = 127.
    let index = 4_238_000_000;
    let r = w.attest(id, 127, index);
    r.expect_ok();
    let event = r.print_with_topic("attest").expect("an attest event");
    assert_eq!(event.field("index").to_uint(), index);
    assert_eq!(event.field("due").to_uint(), 127);
    let row = w
        .sim
        .read_only(SILICA, "get-window", &[uint(id), uint(0)])
        .to_optional()
        .expect("window 0");
    assert_eq!(row.field("index").to_uint(), index);
    assert_eq!(row.field("due").to_uint(), 127);
    // Window 1 locks nothing: the top-up needed at the last index is 254 - 127 = 127.
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-top-up-needed", &[uint(id)])
            .to_uint(),
        127
    );
    // 128 delivered against 127 due: finished, 1 sat over-delivered (the 0.28 sat of
    // rounding over both windows stayed with the miner).
    assert_eq!(w.attest(id, 128, index).expect_ok(), uint(FINISHED));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(254));
    assert_eq!(w.collect(id).expect_ok(), uint(1));
    assert_eq!(w.escrow(), 0);
    assert_eq!(w.sbtc(&alice), FUNDING - 600 + 254);
    assert_eq!(w.sbtc(&miner), FUNDING + 600 + 1);

    // The next listing's collateral uses the attested fine index:
    // ceil(10 · 2 · 4,238,000,000 · 1,000 / (10,000 · 1e8)) = ceil(84.76) = 85.
    let next = w.create(Terms {
        hashrate: 10,
        windows: 2,
        ..Terms::default()
    });
    assert_eq!(w.field(next, "reference-index"), index);
    assert_eq!(w.field(next, "collateral"), 85);
}
