//! silica guards at their exact boundaries (issue 17: mutants that weakened these
//! guards survived the other tests).
//!
//! Each bounded listing parameter is accepted at its bound and refused one past it;
//! each status guard is hit in the one state where it alone stands between the caller
//! and a second payout (cancel twice, start twice, expire or start a Silica in the
//! wrong sale state), and the sBTC it protects is checked to the sat; the SIP-013
//! transfer refuses zero, self-transfers and overdrafts by name and moves a whole
//! balance.

use crate::silica_common::{
    silica_call, Terms, World, CANCELLED, EXPIRED, FUNDING, OPEN, RUNNING, SAT, SILICA,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{principal, uint, ValueExt};

/// Collateral of the default terms: ceil(100 TH/s · 4 · 50 sats · 10%).
const C: u128 = 2_000;
/// What one share of the default terms costs: price · N = 60 · 4.
const SHARE: u128 = 240;

fn next_id(w: &mut World) -> u128 {
    w.sim
        .read_only(SILICA, "get-params", &[])
        .field("next-id")
        .to_uint()
}

/// `create` with `t` must fail with `err`, taking no collateral and using no id.
fn refused(w: &mut World, t: Terms, err: &str) {
    let miner = w.miner.clone();
    let (before, id) = (w.sbtc(&miner), next_id(w));
    w.create_receipt(t).expect_err(w.err(err));
    assert_eq!(w.sbtc(&miner), before, "{err}: no collateral taken");
    assert_eq!(next_id(w), id, "{err}: no id used");
}

#[test]
fn listing_bounds_accept_the_bound_and_refuse_one_past_it() {
    let mut w = World::new();
    // One year of windows (366) is the longest term; 367 is refused.
    let year = Terms {
        hashrate: 1,
        windows: 366,
        ..Terms::default()
    };
    let id = w.create(year);
    assert_eq!(w.field(id, "windows"), 366);
    refused(
        &mut w,
        Terms {
            windows: 367,
            ..year
        },
        "ERR_INVALID_TERMS",
    );

    // No hashrate, no price or no windows is not a listing (1 of each is).
    for zero in [
        Terms {
            hashrate: 0,
            ..Terms::default()
        },
        Terms {
            price: 0,
            ..Terms::default()
        },
        Terms {
            windows: 0,
            ..Terms::default()
        },
    ] {
        refused(&mut w, zero, "ERR_INVALID_TERMS");
    }
    w.create(Terms {
        hashrate: 1,
        price: 1,
        windows: 1,
        ..Terms::default()
    });

    // start exactly the minimum sale window (144) away is allowed; 143 is too soon.
    let min_sale = w
        .sim
        .read_only(SILICA, "get-params", &[])
        .field("min-sale-window")
        .to_uint();
    assert_eq!(min_sale, 144);
    let now = w.sim.burn_block_height();
    let id = w.create(Terms {
        start_in: min_sale,
        ..Terms::default()
    });
    assert_eq!(w.field(id, "start"), now + min_sale);
    refused(
        &mut w,
        Terms {
            start_in: min_sale - 1,
            ..Terms::default()
        },
        "ERR_START_TOO_SOON",
    );

    // Collateral 10%..100%: both ends are accepted (at 100% C = 100·4·50 = 20,000).
    let miner = w.miner.clone();
    let before = w.sbtc(&miner);
    let full = w.create(Terms {
        collateral_bps: 10_000,
        ..Terms::default()
    });
    assert_eq!(w.field(full, "collateral"), 20_000);
    assert_eq!(w.sbtc(&miner), before - 20_000);
    let tenth = w.create(Terms::default());
    assert_eq!(w.field(tenth, "collateral-bps"), 1_000);
    for bps in [10_001, 999] {
        refused(
            &mut w,
            Terms {
                collateral_bps: bps,
                ..Terms::default()
            },
            "ERR_INVALID_COLLATERAL",
        );
    }
}

/// A second cancel must not run again: it would rewrite the buyers' refund pool
/// after some of them redeemed.
#[test]
fn a_cancelled_silica_cannot_be_cancelled_again() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (miner, alice, bob) = (w.miner.clone(), w.alice.clone(), w.bob.clone());
    w.buy(id, &alice, 10).expect_ok();
    w.buy(id, &bob, 5).expect_ok();
    let cancel = |w: &mut World| silica_call(&mut w.sim, "cancel", &[uint(id)], &miner);
    assert_eq!(cancel(&mut w).expect_ok(), uint(C));
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(10 * SHARE));

    cancel(&mut w).expect_err(w.err("ERR_BAD_STATUS"));
    assert_eq!(w.status(id), CANCELLED);
    assert_eq!(w.sbtc(&miner), FUNDING);
    let st = w
        .sim
        .read_only(SILICA, "get-settlement", &[uint(id)])
        .to_optional()
        .expect("a cancel with sales leaves a refund pool");
    assert_eq!(st.field("pool").to_uint(), 5 * SHARE);
    assert_eq!(st.field("shares").to_uint(), 5);
    assert_eq!(w.redeem(id, &bob).expect_ok(), uint(5 * SHARE));
    assert_eq!(w.escrow(), 0);
}

/// With nothing sold a cancel returns the collateral and leaves nothing to settle:
/// there is no pool and nothing to collect.
#[test]
fn a_cancel_with_nothing_sold_leaves_no_settlement() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let miner = w.miner.clone();
    silica_call(&mut w.sim, "cancel", &[uint(id)], &miner).expect_ok();
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-settlement", &[uint(id)])
            .to_optional(),
        None
    );
    w.collect(id).expect_err(w.err("ERR_NOT_SETTLED"));
    assert_eq!(w.sbtc(&miner), FUNDING);
}

/// Expiring a sold Silica would refund the miner and strand the buyers' payment.
#[test]
fn a_sold_silica_does_not_expire_at_start() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (miner, alice, stranger) = (w.miner.clone(), w.alice.clone(), w.stranger.clone());
    w.buy(id, &alice, 100).expect_ok();
    w.mine_to_start(id);
    silica_call(&mut w.sim, "expire", &[uint(id)], &stranger)
        .expect_err(w.err("ERR_SOMETHING_SOLD"));
    assert_eq!(w.status(id), OPEN);
    assert_eq!(w.field(id, "collateral-held"), C);
    assert_eq!(w.sbtc(&miner), FUNDING - C);
    assert_eq!(w.escrow(), C + 100 * SHARE);
    // It starts instead (fully sold: no collateral comes back).
    assert_eq!(
        silica_call(&mut w.sim, "start", &[uint(id)], &stranger).expect_ok(),
        uint(C)
    );
    assert_eq!(w.status(id), RUNNING);
    assert_eq!(w.sbtc(&miner), FUNDING - C);
}

/// `start` scales the collateral and returns the unsold part once; on a running
/// Silica it would return part of the scaled collateral again, and on an unsold one
/// it would hand back the whole collateral and leave a RUNNING Silica with no buyers.
#[test]
fn start_runs_once_and_only_with_shares_sold() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let (miner, alice, stranger) = (w.miner.clone(), w.alice.clone(), w.stranger.clone());
    w.buy(id, &alice, 30).expect_ok();
    let unsold = w.create(Terms::default());
    w.mine_to_start(unsold);
    let start = |w: &mut World, id| silica_call(&mut w.sim, "start", &[uint(id)], &stranger);
    assert_eq!(start(&mut w, id).expect_ok(), uint(600)); // ceil(2,000 · 30/100)
    assert_eq!(w.sbtc(&miner), FUNDING - 2 * C + 1_400);

    start(&mut w, id).expect_err(w.err("ERR_BAD_STATUS"));
    assert_eq!(w.sbtc(&miner), FUNDING - 2 * C + 1_400);
    assert_eq!(w.field(id, "collateral-held"), 600);

    start(&mut w, unsold).expect_err(w.err("ERR_BAD_STATUS"));
    assert_eq!(w.status(unsold), OPEN);
    assert_eq!(w.sbtc(&miner), FUNDING - 2 * C + 1_400);
    // The unsold listing expires and its collateral comes back once.
    let r = silica_call(&mut w.sim, "expire", &[uint(unsold)], &stranger);
    assert_eq!(r.expect_ok(), uint(C));
    assert_eq!(w.status(unsold), EXPIRED);
    assert_eq!(w.sbtc(&miner), FUNDING - C + 1_400);
    assert_eq!(w.escrow(), 600 + 30 * SHARE);
}

/// An OPEN Silica with nothing sold has nothing to settle or attest, whenever the
/// call comes: it is refused as a bad status, not for being early.
#[test]
fn an_unsold_listing_is_neither_stalled_nor_attested() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let stranger = w.stranger.clone();
    silica_call(&mut w.sim, "settle-stalled", &[uint(id)], &stranger)
        .expect_err(w.err("ERR_BAD_STATUS"));
    let d = w.delivery(id, 0, 0, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    w.submit(&d, sigs).expect_err(w.err("ERR_BAD_STATUS"));
    assert_eq!(w.status(id), OPEN);
    assert_eq!(w.escrow(), C);
}

#[test]
fn top_up_of_zero_is_refused() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    w.top_up(id, 0).expect_err(w.err("ERR_INVALID_AMOUNT"));
    assert_eq!(w.field(id, "topups"), 0);
    w.top_up(id, 1).expect_ok();
    assert_eq!(w.field(id, "topups"), 1);
}

/// The SIP-013 share transfer: zero, self-transfers and more than the id's balance
/// fail by name (alice also holds shares of another id, so the overall balance would
/// cover the overdraft); the whole balance moves.
#[test]
fn share_transfer_refuses_zero_self_and_overdraft_and_moves_a_whole_balance() {
    let mut w = World::new();
    let id = w.create(Terms::default());
    let other = w.create(Terms::default());
    let (alice, bob) = (w.alice.clone(), w.bob.clone());
    w.buy(id, &alice, 10).expect_ok();
    w.buy(other, &alice, 5).expect_ok();
    let transfer = |w: &mut World, amount: u128, to: &str| {
        w.sim.call(
            SILICA,
            "transfer",
            &[uint(id), uint(amount), principal(&alice), principal(to)],
            &alice,
        )
    };
    transfer(&mut w, 0, &bob).expect_err(w.err("ERR_INVALID_AMOUNT"));
    transfer(&mut w, 1, &alice).expect_err(w.err("ERR_SELF_TRANSFER"));
    transfer(&mut w, 11, &bob).expect_err(w.err("ERR_INSUFFICIENT_BALANCE"));
    assert_eq!((w.shares(id, &alice), w.shares(id, &bob)), (10, 0));

    transfer(&mut w, 10, &bob).expect_ok();
    assert_eq!((w.shares(id, &alice), w.shares(id, &bob)), (0, 10));
    assert_eq!(w.shares(other, &alice), 5);
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-overall-balance", &[principal(&alice)]),
        uint(5)
    );
}
