//! amm-router: 2-, 3- and 4-hop routes (both pool orientations, all curves), the
//! per-hop and overall minimums, quotes equal to the chained pool quotes, and the
//! whole-call costs of a 50/50 swap, a weighted swap, a stable swap and a 4-hop
//! route as % of the block limits.

// These tests also print the measured figures (costs, error bounds) for the issue note.
#![allow(clippy::print_stdout)]

use crate::amm_common::*;
use alkahest_clarity::values::{uint, ValueExt};
use alkahest_clarity::{Cost, Simnet};

const BIG: u128 = 1_000_000 * ONE_8;

/// Pools: p[0] a/b 50/50, p[1] c/b 80/20 (reversed orientation, weighted), p[2] c/d
/// stable, p[3] d/e 50/50.
fn route() -> (Simnet, Actors, [u128; 4]) {
    let (mut sim, a) = market();
    let p1 = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    let p2 = create_pool(
        &mut sim, "tok-c", "tok-b", WEIGHTED, 80_000_000, 300_000, 50_000_000,
    );
    let p3 = create_pool(&mut sim, "tok-c", "tok-d", STABLE, HALF, 50_000, 50_000_000);
    let p4 = create_pool(
        &mut sim, "tok-d", "tok-e", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, p1, "tok-a", "tok-b", BIG, BIG).expect_ok();
    add(&mut sim, &a.alice, p2, "tok-c", "tok-b", BIG, BIG / 4).expect_ok();
    add(&mut sim, &a.alice, p3, "tok-c", "tok-d", BIG, BIG).expect_ok();
    add(&mut sim, &a.alice, p4, "tok-d", "tok-e", BIG, BIG).expect_ok();
    (sim, a, [p1, p2, p3, p4])
}

fn chained(sim: &mut Simnet, path: &[&str], pools: &[u128], dx: u128) -> Vec<u128> {
    let mut outs = Vec::new();
    let mut amount = dx;
    for (i, p) in pools.iter().enumerate() {
        amount = quote(sim, *p, path[i], amount).unwrap();
        outs.push(amount);
    }
    outs
}

fn swap4(
    sim: &mut Simnet,
    who: &str,
    p: [u128; 4],
    dx: u128,
    mins: &[u128],
    min_out: u128,
) -> alkahest_clarity::Receipt {
    let t = |n: &str| tok(sim, n);
    let args = [
        t("tok-a"),
        t("tok-b"),
        t("tok-c"),
        t("tok-d"),
        t("tok-e"),
        uint(p[0]),
        uint(p[1]),
        uint(p[2]),
        uint(p[3]),
        uint(dx),
        hop_mins(mins),
        uint(min_out),
        uint(FAR),
    ];
    sim.call(ROUTER, "swap-4", &args, who)
}

#[test]
fn four_hop_route_pays_the_chained_quote() {
    let (mut sim, a, p) = route();
    let path = ["tok-a", "tok-b", "tok-c", "tok-d", "tok-e"];
    let dx = 1_000 * ONE_8;
    let outs = chained(&mut sim, &path, &p, dx);
    let t = |s: &Simnet, n: &str| tok(s, n);
    let q = sim.read_only(
        ROUTER,
        "quote-4",
        &[
            t(&sim, "tok-a"),
            t(&sim, "tok-b"),
            t(&sim, "tok-c"),
            t(&sim, "tok-d"),
            t(&sim, "tok-e"),
            uint(p[0]),
            uint(p[1]),
            uint(p[2]),
            uint(p[3]),
            uint(dx),
        ],
    );
    assert_eq!(q.to_uint(), outs[3]);
    let e0 = sim.ft_balance("tok-e", &a.bob);
    let r = swap4(&mut sim, &a.bob, p, dx, &outs, outs[3]);
    assert_eq!(r.expect_ok().to_uint(), outs[3]);
    assert_eq!(sim.ft_balance("tok-e", &a.bob) - e0, outs[3]);
    let ev = r.print_with_topic("route-swap").unwrap();
    assert_eq!(ev.field("hops").to_uint(), 4);
    assert_eq!(r.topics().iter().filter(|t| *t == "swap").count(), 4);
    // The router never holds tokens.
    for tk in path {
        assert_eq!(sim.ft_balance(tk, &sim.contract_id(ROUTER)), 0);
    }
}

#[test]
fn every_hop_and_the_total_have_minimums() {
    let (mut sim, a, p) = route();
    let path = ["tok-a", "tok-b", "tok-c", "tok-d", "tok-e"];
    let dx = 1_000 * ONE_8;
    let outs = chained(&mut sim, &path, &p, dx);
    let hop = sim.err_code(POOL, "ERR_SLIPPAGE");
    for i in 0..4 {
        let mut mins = outs.clone();
        mins[i] += 1;
        swap4(&mut sim, &a.bob, p, dx, &mins, 0).expect_err(hop);
    }
    swap4(&mut sim, &a.bob, p, dx, &[0, 0, 0, 0], outs[3] + 1)
        .expect_err(sim.err_code(ROUTER, "ERR_SLIPPAGE"));
    // Deadline passes through to every hop.
    sim.mine(3);
    let t = |n: &str| tok(&sim, n);
    let args = [
        t("tok-a"),
        t("tok-b"),
        t("tok-c"),
        uint(p[0]),
        uint(p[1]),
        uint(dx),
        hop_mins(&[0, 0]),
        uint(0),
        uint(1),
    ];
    sim.call(ROUTER, "swap-2", &args, &a.bob)
        .expect_err(sim.err_code(POOL, "ERR_DEADLINE"));
}

#[test]
fn two_and_three_hop_routes_and_quotes() {
    let (mut sim, a, p) = route();
    let dx = 500 * ONE_8;
    let t = |s: &Simnet, n: &str| tok(s, n);
    // e -> d -> c (both pools the other way round).
    let outs = chained(&mut sim, &["tok-e", "tok-d", "tok-c"], &[p[3], p[2]], dx);
    let q = sim.read_only(
        ROUTER,
        "quote-2",
        &[
            t(&sim, "tok-e"),
            t(&sim, "tok-d"),
            t(&sim, "tok-c"),
            uint(p[3]),
            uint(p[2]),
            uint(dx),
        ],
    );
    assert_eq!(q.to_uint(), outs[1]);
    let args = [
        t(&sim, "tok-e"),
        t(&sim, "tok-d"),
        t(&sim, "tok-c"),
        uint(p[3]),
        uint(p[2]),
        uint(dx),
        hop_mins(&outs),
        uint(outs[1]),
        uint(FAR),
    ];
    assert_eq!(
        sim.call(ROUTER, "swap-2", &args, &a.bob)
            .expect_ok()
            .to_uint(),
        outs[1]
    );
    let outs = chained(
        &mut sim,
        &["tok-b", "tok-c", "tok-d", "tok-e"],
        &[p[1], p[2], p[3]],
        dx,
    );
    let q = sim.read_only(
        ROUTER,
        "quote-3",
        &[
            t(&sim, "tok-b"),
            t(&sim, "tok-c"),
            t(&sim, "tok-d"),
            t(&sim, "tok-e"),
            uint(p[1]),
            uint(p[2]),
            uint(p[3]),
            uint(dx),
        ],
    );
    assert_eq!(q.to_uint(), outs[2]);
    let args = [
        t(&sim, "tok-b"),
        t(&sim, "tok-c"),
        t(&sim, "tok-d"),
        t(&sim, "tok-e"),
        uint(p[1]),
        uint(p[2]),
        uint(p[3]),
        uint(dx),
        hop_mins(&outs),
        uint(outs[2]),
        uint(FAR),
    ];
    assert_eq!(
        sim.call(ROUTER, "swap-3", &args, &a.bob)
            .expect_ok()
            .to_uint(),
        outs[2]
    );
    // A quoted hop must be exactly its pool's pair; a missing pool fails as in the pool.
    let d = a.deployer.clone();
    let r = sim.call(
        ROUTER,
        "quote-2",
        &[
            t(&sim, "tok-a"),
            t(&sim, "tok-b"),
            t(&sim, "tok-e"),
            uint(p[0]),
            uint(p[3]),
            uint(dx),
        ],
        &d,
    );
    r.expect_err(sim.err_code(ROUTER, "ERR_BAD_ROUTE"));
    let r = sim.call(
        ROUTER,
        "quote-2",
        &[
            t(&sim, "tok-a"),
            t(&sim, "tok-b"),
            t(&sim, "tok-c"),
            uint(p[0]),
            uint(99),
            uint(dx),
        ],
        &d,
    );
    r.expect_err(sim.err_code(POOL, "ERR_NO_POOL"));
}

fn pct(c: &Cost) -> String {
    let p = c.percent_of_block();
    format!(
        "runtime {} ({:.4}%), read_count {} ({:.3}%), read_length {} ({:.4}%), write_count {} ({:.3}%), write_length {} ({:.5}%)",
        c.runtime, p[0], c.read_count, p[1], c.read_length, p[2], c.write_count, p[3], c.write_length, p[4]
    )
}

/// Whole-call costs (token transfers, fees, reserve booking, oracle) of the swaps the
/// issue asks for. The figures are deterministic VM units; the bounds guard against
/// regressions.
#[test]
fn swap_costs_as_share_of_the_block() {
    let (mut sim, a, p) = route();
    let r50 = swap(&mut sim, &a.bob, p[0], "tok-a", "tok-b", 1_000 * ONE_8);
    r50.expect_ok();
    let rw = swap(&mut sim, &a.bob, p[1], "tok-c", "tok-b", 1_000 * ONE_8);
    rw.expect_ok();
    let rs = swap(&mut sim, &a.bob, p[2], "tok-c", "tok-d", 1_000 * ONE_8);
    rs.expect_ok();
    let r4 = swap4(&mut sim, &a.bob, p, 1_000 * ONE_8, &[0, 0, 0, 0], 0);
    r4.expect_ok();
    println!("swap 50/50:      {}", pct(&r50.cost));
    println!("swap 80/20 (pow): {}", pct(&rw.cost));
    println!("swap stable:     {}", pct(&rs.cost));
    println!("4-hop route:     {}", pct(&r4.cost));
    for (c, max_runtime) in [
        (&r50.cost, 400_000),
        (&rw.cost, 500_000),
        (&rs.cost, 700_000),
        (&r4.cost, 2_500_000),
    ] {
        assert!(c.runtime <= max_runtime, "{}", pct(c));
        assert!(c.percent_of_block().iter().all(|p| *p < 1.0), "{}", pct(c));
    }
}
