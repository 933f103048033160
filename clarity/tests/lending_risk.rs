//! The CRP through price moves: a one-block push the EMA ignores, a 20% drop it hedges,
//! a conversion that sticks, and a crash whose shortfall the reserve and then the
//! capped ALEX cover pay exactly. Figures are exact on the devnet deployment (see
//! lending_common).

use crate::lending_common::*;
use alkahest_clarity::values::{principal, uint, ValueExt};
use alkahest_clarity::Value;

fn f(v: &Value, name: &str) -> u128 {
    v.field(name).to_uint()
}

/// The borrow itself sold the collateral above the CPPI weight (2 x 25% cushion =
/// 50% at LTV 75%, a little less after the sale's slippage), so the next block's
/// keeper has nothing to do.
fn hedge(sim: &mut alkahest_clarity::Simnet, keeper: &str) {
    let s = state(sim);
    assert_eq!((f(&s, "ltv"), f(&s, "weight")), (75_206_029, 49_587_942));
    next_burn_block(sim);
    sim.call("crp", "rebalance", &[uint(E)], keeper)
        .expect_err(1914);
}

#[test]
fn pushing_the_instant_price_within_one_block_moves_no_weight() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    next_burn_block(&mut sim);
    let before = ema(&mut sim);
    let instant = |sim: &mut alkahest_clarity::Simnet| {
        sim.read_only("amm-pool", "get-oracle-instant", &[uint(AMM_ID)])
            .to_uint()
    };
    let i0 = instant(&mut sim);
    let hedged = state(&mut sim);
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 80 / 100);
    // The instant price is 20% down; the EMA moved once, from the pre-push price.
    assert!(instant(&mut sim) <= PRICE * 801 / 1000);
    let avg = sim
        .read_only("amm-pool", "get-pool", &[uint(AMM_ID)])
        .field("oracle-average")
        .to_uint();
    let one_step = (before * avg + i0 * (ONE_8 - avg)) / ONE_8;
    assert_eq!(ema(&mut sim), one_step);
    // The pool's view moves only by the EMA's one step from the pre-push price.
    let s = state(&mut sim);
    assert_eq!(f(&s, "price"), one_step);
    assert!(f(&s, "weight").abs_diff(f(&hedged, "weight")) < 100_000);
    // So a rebalance in the same block has nothing to do (ERR_NOTHING_TO_DO).
    let held = crp_balances(&mut sim);
    sim.call("crp", "rebalance", &[uint(E)], &a.stranger)
        .expect_err(1914);
    assert_eq!(crp_balances(&mut sim), held);
}

#[test]
fn a_20_percent_drop_in_one_block_is_hedged_and_yield_is_paid_in_full() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    next_burn_block(&mut sim);
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 80 / 100);
    // A keeper rebalances every block while the EMA follows the new price.
    let traded = keep(&mut sim, &a.stranger, 120);
    assert_eq!(traded, 1);
    let s = state(&mut sim);
    assert_eq!((f(&s, "ltv"), f(&s, "weight")), (83_646_158, 32_707_684));
    assert_eq!(
        crp_balances(&mut sim),
        (18_837_215_640, 59_552_877, 75_000_000, 75_000_000)
    );
    mine_to(&mut sim, E);
    let s = settle(&mut sim, &a.stranger);
    // The model's case: the hedge kept the value above the debt.
    assert_eq!(f(&s, "shortfall"), 0);
    assert_eq!(f(&s, "yield-pool"), 75_000_000);
    assert_eq!(f(&s, "key-pool"), 14_523_166);
}

#[test]
fn reaching_conversion_ltv_converts_for_good_and_stops_borrowing() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    next_burn_block(&mut sim);
    // 45% down with half the value in collateral: LTV 0.75 / 0.775 = 97% >= 95%.
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 55 / 100);
    keep(&mut sim, &a.stranger, 150);
    let (collateral, sbtc_held, _, _) = crp_balances(&mut sim);
    assert_eq!(collateral, 0, "a converted pool holds only sBTC");
    assert!(crp_pool(&mut sim).field("converted").to_bool());
    assert_eq!(sbtc_held, 77_095_841);
    // The price recovers: the pool stays in sBTC and refuses new borrowers.
    move_price(&mut sim, &a.stranger, PRICE);
    follow(&mut sim, &a.stranger, 100);
    assert_eq!(f(&state(&mut sim), "weight"), 0);
    assert!(keep(&mut sim, &a.stranger, 3) == 0);
    borrow(&mut sim, &a.bob, COLLATERAL).expect_err(1906);
    // At expiry the sBTC pays every yield token and the keys get the rest.
    mine_to(&mut sim, E);
    let s = settle(&mut sim, &a.stranger);
    assert_eq!(
        (f(&s, "yield-pool"), f(&s, "key-pool")),
        (75_000_000, sbtc_held - 75_000_000)
    );
}

#[test]
fn a_crash_the_pool_cannot_hedge_is_paid_from_the_reserve_exactly() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    fund_reserve(&mut sim, &a.alice, 40_000_000);
    let reserve = reserve_sats(&mut sim);
    next_burn_block(&mut sim);
    // 70% off in one block, beyond the 1/multiplier = 50% the hedge survives: the EMA
    // lags, every sale at the EMA's min-out fails until it has caught up, and the pool
    // converts below its debt.
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 30 / 100);
    keep(&mut sim, &a.stranger, 150);
    mine_to(&mut sim, E);
    let pool_sats = |sim: &mut alkahest_clarity::Simnet| {
        let id = sim.contract_id("crp");
        sbtc(sim, &id)
    };
    let held = crp_balances(&mut sim).1;
    assert_eq!(pool_sats(&mut sim), held);
    let s = settle(&mut sim, &a.stranger);
    let shortfall = f(&s, "shortfall");
    assert_eq!(shortfall, 10_338_256);
    // The reserve pays exactly the shortfall, and yield holders are whole.
    assert_eq!(f(&s, "from-reserve"), shortfall);
    // (The keeper's swaps while settling added 302 sats of AMM fees to the reserve.)
    assert_eq!(reserve_sats(&mut sim), reserve + 302 - shortfall);
    assert_eq!((f(&s, "yield-pool"), f(&s, "key-pool")), (75_000_000, 0));
    assert_eq!(pool_sats(&mut sim), 75_000_000);
}

#[test]
fn a_shortfall_beyond_the_reserve_is_covered_by_capped_alex_minted_and_sold() {
    let (mut sim, a) = lending();
    let d = sim.deployer();
    // ALEX/sBTC pool 1 at 1 ALEX = 100 sats, 50M ALEX deep; a cap of 5M ALEX.
    sim.call("alex-token", "add-minter", &[principal(&a.alice)], &d)
        .expect_ok();
    sim.call(
        "alex-token",
        "mint",
        &[uint(1_000_000_000 * ONE_8), principal(&a.alice)],
        &a.alice,
    )
    .expect_ok();
    let (alex, sb) = (tok(&sim, "alex-token"), tok(&sim, "sbtc-token"));
    let args = [
        uint(1),
        alex.clone(),
        sb.clone(),
        uint(50_000_000 * ONE_8),
        uint(50 * ONE_8),
        uint(0),
        uint(FAR),
    ];
    sim.call("amm-pool", "add-liquidity", &args, &a.alice)
        .expect_ok();
    sim.call(
        "crp",
        "set-amm-pools",
        &[uint(AMM_ID), uint(1), uint(5_000_000 * ONE_8)],
        &d,
    )
    .expect_ok();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    fund_reserve(&mut sim, &a.alice, 2_000_000);
    let reserve = reserve_sats(&mut sim);
    next_burn_block(&mut sim);
    move_price_in_one_block(&mut sim, &a.stranger, PRICE * 30 / 100);
    keep(&mut sim, &a.stranger, 150);
    mine_to(&mut sim, E);
    // Keep the ALEX price fresh too.
    let swap = [uint(1), sb, alex, uint(1_000), uint(0), uint(FAR)];
    sim.call("amm-pool", "swap", &swap, &a.stranger).expect_ok();
    let supply_before = sim
        .read_only("alex-token", "get-total-supply", &[])
        .to_uint();
    let s = settle(&mut sim, &a.stranger);
    let shortfall = f(&s, "shortfall");
    assert_eq!(shortfall, 10_338_256);
    // The whole reserve (with 304 sats of AMM fees booked meanwhile) goes first.
    assert_eq!(f(&s, "from-reserve"), reserve + 304);
    // The rest came from ALEX minted (within the cap) and sold; the surplus of that
    // sale went back to the reserve.
    assert_eq!(f(&s, "from-alex"), shortfall - reserve - 304);
    let minted = f(&s, "alex-minted");
    assert!(minted <= 5_000_000 * ONE_8);
    assert_eq!(
        sim.read_only("alex-token", "get-total-supply", &[])
            .to_uint(),
        supply_before + minted
    );
    assert_eq!(reserve_sats(&mut sim), f(&s, "alex-excess"));
    assert_eq!((f(&s, "yield-pool"), f(&s, "key-pool")), (75_000_000, 0));
    assert_eq!((minted, f(&s, "alex-excess")), (8_508_114_285_715, 130_274));
}

#[test]
fn a_50_percent_decline_over_many_blocks_is_hedged_all_the_way_down() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    hedge(&mut sim, &a.stranger);
    // 5% lower every 20 blocks, 14 times: 0.95^14 = 0.49 of the start price, with a
    // keeper rebalancing every block.
    let mut target = PRICE;
    let mut trades = 0;
    for _ in 0..14 {
        target = target * 95 / 100;
        move_price(&mut sim, &a.stranger, target);
        trades += keep(&mut sim, &a.stranger, 20);
    }
    let s = state(&mut sim);
    assert!(f(&s, "price") < PRICE * 51 / 100);
    assert_eq!(trades, 13);
    assert_eq!((f(&s, "ltv"), f(&s, "weight")), (93_158_457, 13_683_086));
    mine_to(&mut sim, E);
    let s = settle(&mut sim, &a.stranger);
    // The hedge sold STX on the way down: yield holders are paid in full and the keys
    // keep exactly what is left.
    assert_eq!(f(&s, "shortfall"), 0);
    assert_eq!(f(&s, "yield-pool"), 75_000_000);
    assert_eq!(f(&s, "key-pool"), 5_456_432);
}
