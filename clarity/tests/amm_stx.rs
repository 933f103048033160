//! Native STX in the AMM through the amm-wstx SIP-010 facade (no wrapping step:
//! the pool holds real STX), and the devnet pools the bootstrap creates
//! (ALEX/sBTC and ALEX/STX).

use crate::amm_common::*;
use alkahest_clarity::values::{none, principal, uint, ValueExt};

#[test]
fn devnet_pools_exist_empty_with_their_tokens_approved() {
    let mut sim = sim();
    let c = |s: &alkahest_clarity::Simnet, n: &str| principal(&s.contract_id(n));
    for t in ["alex-token", "sbtc-token", "amm-wstx"] {
        let v = c(&sim, t);
        assert!(
            sim.read_only(POOL, "is-token-approved", &[v]).to_bool(),
            "{t}"
        );
    }
    for (y, expect) in [("sbtc-token", 1u128), ("amm-wstx", 2)] {
        let key = [
            c(&sim, "alex-token"),
            c(&sim, y),
            uint(WEIGHTED),
            uint(HALF),
        ];
        let id = sim
            .read_only(POOL, "get-pool-id", &key)
            .to_optional()
            .unwrap()
            .to_uint();
        assert_eq!(id, expect);
        assert_eq!(balances(&mut sim, id), (0, 0));
        assert_eq!(pool_field(&mut sim, id, "fee-rate").to_uint(), 300_000);
    }
}

#[test]
fn stx_pool_trades_native_stx() {
    let (mut sim, a) = market();
    let w = "amm-wstx";
    assert_eq!(sim.read_only(w, "get-decimals", &[]).to_uint(), 6);
    assert_eq!(sim.read_only(w, "get-symbol", &[]).to_ascii(), "wSTX");
    assert!(sim.read_only(w, "get-total-supply", &[]).to_uint() > 0);
    assert_eq!(
        sim.read_only(w, "get-balance", &[principal(&a.bob)])
            .to_uint(),
        sim.stx_balance(&a.bob)
    );
    // Only tx-sender's own STX move.
    let t = [uint(5), principal(&a.alice), principal(&a.bob), none()];
    sim.call(w, "transfer", &t, &a.bob)
        .expect_err(sim.err_code(w, "ERR_NOT_OWNER"));
    let id = create_pool(&mut sim, "tok-a", w, WEIGHTED, HALF, 300_000, 50_000_000);
    let stx = 1_000_000 * 1_000_000u128; // 1M STX in micro-STX
    let s0 = sim.stx_balance(&a.alice);
    add(&mut sim, &a.alice, id, "tok-a", w, 1_000_000 * ONE_8, stx).expect_ok();
    assert_eq!(s0 - sim.stx_balance(&a.alice), stx);
    let me = pool_principal(&sim);
    assert_eq!(sim.stx_balance(&me), stx);
    let b0 = sim.stx_balance(&a.bob);
    let dy = swap(&mut sim, &a.bob, id, "tok-a", w, 100 * ONE_8)
        .expect_ok()
        .field("dy")
        .to_uint();
    assert_eq!(sim.stx_balance(&a.bob) - b0, dy);
    let r = swap(&mut sim, &a.bob, id, w, "tok-a", 50 * 1_000_000);
    assert!(r.events.iter().any(|e| matches!(e, alkahest_clarity::Event::StxTransfer { amount, .. } if *amount == 50 * 1_000_000)));
    r.expect_ok();
    let (_, by) = balances(&mut sim, id);
    assert_eq!(sim.stx_balance(&me), by + reserve_of(&mut sim, w));
}
