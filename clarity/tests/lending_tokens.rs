//! yield-token and key-token as SIP-013 tokens (one ledger per expiry), and every bad
//! input of the pools getting its named error.

use crate::lending_common::*;
use alkahest_clarity::values::{list, principal, tuple, uint, ValueExt};

#[test]
fn yield_and_key_tokens_move_per_expiry_and_refuse_bad_transfers() {
    let (mut sim, a) = lending();
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    lend(&mut sim, &a.carol, 10_000_000).expect_ok();
    for (token, base) in [("yield-token", 1700u128), ("key-token", 1720)] {
        let held = sim.sft_balance(token, E, &a.carol);
        assert!(held > 0, "{token}");
        let (carol, bob) = (principal(&a.carol), principal(&a.bob));
        let t = |sim: &mut alkahest_clarity::Simnet, n: u128, from: &str, to: &str, who: &str| {
            sim.call(
                token,
                "transfer",
                &[uint(E), uint(n), principal(from), principal(to)],
                who,
            )
        };
        t(&mut sim, 1, &a.carol, &a.bob, &a.bob).expect_err(base + 1); // not the owner
        t(&mut sim, 0, &a.carol, &a.bob, &a.carol).expect_err(base + 2); // zero
        t(&mut sim, held + 1, &a.carol, &a.bob, &a.carol).expect_err(base + 3); // too much
        t(&mut sim, 1, &a.carol, &a.carol, &a.carol).expect_err(base + 4); // to oneself
                                                                           // The ledger is per expiry: carol holds nothing of another id.
        let other = [uint(E + 1), uint(1), carol.clone(), bob.clone()];
        sim.call(token, "transfer", &other, &a.carol)
            .expect_err(base + 3);
        t(&mut sim, 1_000, &a.carol, &a.bob, &a.carol).expect_ok();
        let one = |n: u128| {
            tuple([
                ("token-id", uint(E)),
                ("amount", uint(n)),
                ("sender", carol.clone()),
                ("recipient", bob.clone()),
            ])
        };
        sim.call(
            token,
            "transfer-many",
            &[list(vec![one(1), one(2)])],
            &a.carol,
        )
        .expect_ok();
        // A failing item fails the whole batch.
        sim.call(
            token,
            "transfer-many",
            &[list(vec![one(1), one(0)])],
            &a.carol,
        )
        .expect_err(base + 2);
        assert_eq!(sim.sft_balance(token, E, &a.bob), 1_003, "{token}");
        assert_eq!(sim.sft_balance(token, E, &a.carol), held - 1_003, "{token}");
        let total = sim
            .read_only(token, "get-total-supply", &[uint(E)])
            .to_uint();
        assert_eq!(
            sim.read_only(token, "get-overall-supply", &[]).to_uint(),
            total
        );
        // Nobody but crp mints or burns.
        sim.call(token, "mint", &[uint(E), uint(1), bob.clone()], &a.bob)
            .expect_err(base);
        sim.call(token, "burn", &[uint(E), uint(1), bob.clone()], &a.bob)
            .expect_err(base);
    }
}

#[test]
fn bad_inputs_to_the_pools_get_named_errors() {
    let (mut sim, a) = lending();
    let missing = 4_000;
    // No such pool.
    sim.call(
        "ytp",
        "swap-x-for-y",
        &[uint(missing), uint(1), uint(0)],
        &a.bob,
    )
    .expect_err(1801);
    sim.call("crp", "borrow", &[uint(missing), uint(1), uint(0)], &a.bob)
        .expect_err(1901);
    // Zero amounts.
    lend(&mut sim, &a.bob, 0).expect_err(1804);
    borrow(&mut sim, &a.carol, 0).expect_err(1905);
    // One uSTX mints nothing at 0.002 sats per uSTX.
    borrow(&mut sim, &a.carol, 1).expect_err(1905);
    // Above the YTP's 10% max-in.
    lend(&mut sim, &a.bob, YTP_SATS / 10 + 1).expect_err(1806);
    // More yield tokens than the pool holds (only virtual liquidity yet).
    lend(&mut sim, &a.bob, 1_000_000).expect_err(1807);
    // More LP than held.
    remove_liquidity(&mut sim, &a.bob, 1).expect_err(1810);
    // A slippage floor above the quote.
    borrow(&mut sim, &a.carol, COLLATERAL).expect_ok();
    sim.call(
        "ytp",
        "swap-x-for-y",
        &[uint(E), uint(1_000_000), uint(u128::MAX)],
        &a.bob,
    )
    .expect_err(1805);
}
