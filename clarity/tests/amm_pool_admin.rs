//! amm-pool administration: the oracle rules, pause, fee bounds and token revocation,
//! governance (including a malicious contract using `as-contract`), and the SIP-013 LP
//! token.

use crate::amm_common::*;
use alkahest_clarity::values::{bool as vbool, list, none, principal, tuple, uint, ValueExt};
use alkahest_clarity::{Event, Simnet};

#[test]
fn oracle_instant_and_resilient_update_rules() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        0
    );
    let p0 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    assert_eq!(p0, ONE_8);
    // The first swap initialises the EMA to the pre-trade price.
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 10_000 * ONE_8).expect_ok();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        p0
    );
    let (x, y) = balances(&mut sim, id);
    let p1 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    assert_eq!(p1, y * ONE_8 / x);
    assert!(p1 < p0);
    // The first swap of each later burn block: R = avg * R + (1 - avg) * pre-trade
    // price (avg = 0.95).
    next_burn_block(&mut sim);
    let r = swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 10_000 * ONE_8);
    assert_eq!(
        r.print_with_topic("swap").unwrap().field("price").to_uint(),
        p1
    );
    let r1 = (p0 * 95_000_000 + p1 * 5_000_000) / ONE_8;
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        r1
    );
    // Governance sets the average; 1.0 and above are refused.
    sim.call(POOL, "set-pool-oracle", &[uint(id), uint(ONE_8)], &d)
        .expect_err(code(&sim, "ERR_INVALID_PARAM"));
    sim.call(POOL, "set-pool-oracle", &[uint(id), uint(0)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-pool-oracle", &[uint(id), uint(0)], &d)
        .print_with_topic("pool-set-oracle")
        .is_some());
    next_burn_block(&mut sim);
    let p2 = sim
        .read_only(POOL, "get-oracle-instant", &[uint(id)])
        .to_uint();
    swap(&mut sim, &a.bob, id, "tok-b", "tok-a", 10_000 * ONE_8).expect_ok();
    assert_eq!(
        sim.read_only(POOL, "get-oracle-resilient", &[uint(id)])
            .to_uint(),
        p2,
        "avg 0 tracks the pre-trade price"
    );
    sim.call(POOL, "get-oracle-instant", &[uint(99)], &d)
        .expect_err(code(&sim, "ERR_NO_POOL"));
}

#[test]
fn pause_blocks_everything_until_unpaused() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    sim.call(POOL, "set-paused", &[vbool(true)], &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-paused", &[vbool(true)], &d)
        .print_with_topic("amm-set-paused")
        .is_some());
    assert!(sim.read_only(POOL, "is-paused", &[]).to_bool());
    let paused = code(&sim, "ERR_PAUSED");
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    add(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8, BIG).expect_err(paused);
    remove(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    sim.call(POOL, "set-paused", &[vbool(false)], &d)
        .expect_ok();
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_ok();
    // Per pool.
    sim.call(POOL, "set-pool-paused", &[uint(id), vbool(true)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-pool-paused", &[uint(id), vbool(true)], &d)
        .print_with_topic("pool-set-paused")
        .is_some());
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_err(paused);
    sim.call(POOL, "set-pool-paused", &[uint(id), vbool(false)], &d)
        .expect_ok();
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", ONE_8).expect_ok();
}

#[test]
fn fee_bounds_and_token_revocation() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    sim.call(POOL, "set-max-fee-rate", &[uint(10_000_001)], &d)
        .expect_err(code(&sim, "ERR_INVALID_PARAM"));
    sim.call(POOL, "set-max-fee-rate", &[uint(2_000_000)], &a.bob)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-max-fee-rate", &[uint(2_000_000)], &d)
        .print_with_topic("amm-set-max-fee-rate")
        .is_some());
    assert_eq!(
        sim.read_only(POOL, "get-max-fee-rate", &[]).to_uint(),
        2_000_000
    );
    let fee = |sim: &mut Simnet, who: &str, rate: u128, rebate: u128| {
        sim.call(
            POOL,
            "set-pool-fee",
            &[uint(id), uint(rate), uint(rebate)],
            who,
        )
    };
    fee(&mut sim, &d, 2_000_001, 0).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    fee(&mut sim, &d, 0, ONE_8 + 1).expect_err(code(&sim, "ERR_INVALID_PARAM"));
    fee(&mut sim, &a.bob, 0, 0).expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(fee(&mut sim, &d, 2_000_000, ONE_8)
        .print_with_topic("pool-set-fee")
        .is_some());
    // A 100% rebate books nothing to the reserve.
    swap(&mut sim, &a.bob, id, "tok-a", "tok-b", 100 * ONE_8).expect_ok();
    assert_eq!(reserve_of(&mut sim, "tok-a"), 0);
    sim.call(POOL, "set-pool-fee", &[uint(99), uint(0), uint(0)], &d)
        .expect_err(code(&sim, "ERR_NO_POOL"));
    // Revoking a token stops every call into it.
    let ta = tok(&sim, "tok-a");
    sim.call(
        POOL,
        "set-token-approved",
        &[ta.clone(), vbool(false)],
        &a.bob,
    )
    .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    assert!(sim
        .call(POOL, "set-token-approved", &[ta.clone(), vbool(false)], &d)
        .print_with_topic("amm-set-token-approved")
        .is_some());
    let na = code(&sim, "ERR_TOKEN_NOT_APPROVED");
    swap(&mut sim, &a.bob, id, "tok-b", "tok-a", ONE_8).expect_err(na);
    remove(&mut sim, &a.alice, id, "tok-a", "tok-b", ONE_8).expect_err(na);
    sim.call(
        POOL,
        "withdraw-reserve",
        &[ta, uint(1), principal(&a.bob)],
        &d,
    )
    .expect_err(na);
}

/// Every privileged amm-pool and amm-reserve function refuses a stranger and a
/// malicious contract that calls it under `as-contract` (and even when governance
/// itself is tricked into calling that contract), since authority is checked on
/// contract-caller.
#[test]
fn governance_is_checked_on_contract_caller() {
    let (mut sim, a, id) = pool_ab();
    let d = a.deployer.clone();
    let evil = r#"
(define-public (hijack-pool) (as-contract (contract-call? .amm-pool set-governance tx-sender)))
(define-public (pause-pool) (contract-call? .amm-pool set-paused true))
(define-public (list-token (t principal)) (as-contract (contract-call? .amm-pool set-token-approved t true)))
(define-public (hijack-reserve) (as-contract (contract-call? .amm-reserve set-governance tx-sender)))
(define-public (credit (t principal)) (as-contract (contract-call? .amm-reserve add-to-balance t u1000)))
(define-public (debit (t principal)) (as-contract (contract-call? .amm-reserve remove-from-balance t u1)))
(define-public (mint-lp) (as-contract (contract-call? .amm-lp-token mint u1 u1000 tx-sender)))
"#;
    let evil = evil.replace(" .amm-", &format!(" '{d}.amm-"));
    sim.deploy_contract("evil", &evil, &a.mallory).unwrap();
    let e = format!("{}.evil", a.mallory);
    let no = code(&sim, "ERR_NOT_AUTHORIZED");
    let rno = sim.err_code(RESERVE, "ERR_NOT_AUTHORIZED");
    for who in [&a.mallory, &d] {
        sim.call(&e, "hijack-pool", &[], who).expect_err(no);
        sim.call(&e, "pause-pool", &[], who).expect_err(no);
        sim.call(&e, "list-token", &[principal(&e)], who)
            .expect_err(no);
        sim.call(&e, "hijack-reserve", &[], who).expect_err(rno);
        sim.call(&e, "credit", &[tok(&sim, "tok-a")], who)
            .expect_err(rno);
        sim.call(&e, "debit", &[tok(&sim, "tok-a")], who)
            .expect_err(rno);
        sim.call(&e, "mint-lp", &[], who)
            .expect_err(sim.err_code(LP, "ERR_NOT_AUTHORIZED"));
    }
    // Strangers directly.
    let calls: Vec<(&str, Vec<alkahest_clarity::Value>)> = vec![
        ("set-governance", vec![principal(&a.mallory)]),
        ("set-pool-pld", vec![uint(id), uint(0), uint(0), uint(10)]),
    ];
    for (f, args) in calls {
        sim.call(POOL, f, &args, &a.mallory).expect_err(no);
    }
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &a.mallory,
    )
    .expect_err(rno);
    sim.call(
        RESERVE,
        "set-governance",
        &[principal(&a.mallory)],
        &a.mallory,
    )
    .expect_err(rno);
    sim.call(
        LP,
        "burn",
        &[uint(id), uint(1), principal(&a.alice)],
        &a.mallory,
    )
    .expect_err(sim.err_code(LP, "ERR_NOT_AUTHORIZED"));
    // Governance hands over: the old one loses power, the new one has it.
    let r = sim.call(POOL, "set-governance", &[principal(&a.carol)], &d);
    assert!(r.print_with_topic("amm-set-governance").is_some());
    assert_eq!(
        sim.read_only(POOL, "get-governance", &[]).to_principal(),
        a.carol
    );
    sim.call(POOL, "set-paused", &[vbool(true)], &d)
        .expect_err(no);
    sim.call(POOL, "set-paused", &[vbool(true)], &a.carol)
        .expect_ok();
    let r = sim.call(RESERVE, "set-governance", &[principal(&a.carol)], &d);
    assert!(r.print_with_topic("reserve-set-governance").is_some());
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &d,
    )
    .expect_err(rno);
    let r = sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e), vbool(true)],
        &a.carol,
    );
    assert!(r.print_with_topic("reserve-set-approved").is_some());
    // Approved now: the ledger takes credits and refuses zero and overdrafts.
    sim.call(&e, "credit", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_ok();
    assert_eq!(reserve_of(&mut sim, "tok-e"), 1000);
    sim.call(&e, "debit", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_ok();
    let zero = "(define-public (z (t principal)) (as-contract (contract-call? .amm-reserve add-to-balance t u0)))\n(define-public (big (t principal)) (as-contract (contract-call? .amm-reserve remove-from-balance t u1000000)))";
    let zero = zero.replace(" .amm-", &format!(" '{d}.amm-"));
    sim.deploy_contract("evil2", &zero, &a.mallory).unwrap();
    let e2 = format!("{}.evil2", a.mallory);
    sim.call(
        RESERVE,
        "set-approved-contract",
        &[principal(&e2), vbool(true)],
        &a.carol,
    )
    .expect_ok();
    sim.call(&e2, "z", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_err(sim.err_code(RESERVE, "ERR_INVALID_AMOUNT"));
    sim.call(&e2, "big", &[tok(&sim, "tok-e")], &a.mallory)
        .expect_err(sim.err_code(RESERVE, "ERR_INSUFFICIENT_RESERVE"));
}

#[test]
fn lp_token_is_sip013_and_transferable() {
    let (mut sim, a, id) = pool_ab();
    let lpc = |s: &Simnet, n: &str| s.err_code(LP, n);
    let bal = sim.sft_balance(LP, id, &a.alice);
    assert_eq!(sim.read_only(LP, "get-decimals", &[uint(id)]).to_uint(), 8);
    assert_eq!(
        sim.read_only(LP, "get-overall-balance", &[principal(&a.alice)])
            .to_uint(),
        bal
    );
    assert_eq!(
        sim.read_only(LP, "get-overall-supply", &[]).to_uint(),
        bal + 1_000
    );
    assert!(sim
        .read_only(LP, "get-token-uri", &[uint(id)])
        .to_optional()
        .is_none());
    let t = |id: u128, amt: u128, from: &str, to: &str| {
        vec![uint(id), uint(amt), principal(from), principal(to)]
    };
    sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.bob), &a.bob)
        .expect_err(lpc(&sim, "ERR_NOT_OWNER"));
    sim.call(LP, "transfer", &t(id, 0, &a.alice, &a.bob), &a.alice)
        .expect_err(lpc(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.alice), &a.alice)
        .expect_err(lpc(&sim, "ERR_SELF_TRANSFER"));
    sim.call(LP, "transfer", &t(id, bal + 1, &a.alice, &a.bob), &a.alice)
        .expect_err(lpc(&sim, "ERR_INSUFFICIENT_BALANCE"));
    let r = sim.call(LP, "transfer", &t(id, 10, &a.alice, &a.bob), &a.alice);
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::Sft { kind, amount: 10, .. } if kind == "sft_transfer")));
    let mut memo = t(id, 5, &a.alice, &a.bob);
    memo.push(alkahest_clarity::values::buff(b"hi"));
    sim.call(LP, "transfer-memo", &memo, &a.alice).expect_ok();
    let item = |amt: u128| {
        tuple([
            ("token-id", uint(id)),
            ("amount", uint(amt)),
            ("sender", principal(&a.alice)),
            ("recipient", principal(&a.carol)),
        ])
    };
    sim.call(
        LP,
        "transfer-many",
        &[list(vec![item(1), item(2)])],
        &a.alice,
    )
    .expect_ok();
    sim.call(
        LP,
        "transfer-many",
        &[list(vec![item(1), item(bal * 2)])],
        &a.alice,
    )
    .expect_err(lpc(&sim, "ERR_INSUFFICIENT_BALANCE"));
    let item_m = |amt: u128| {
        tuple([
            ("token-id", uint(id)),
            ("amount", uint(amt)),
            ("sender", principal(&a.alice)),
            ("recipient", principal(&a.carol)),
            ("memo", alkahest_clarity::values::buff(b"m")),
        ])
    };
    sim.call(LP, "transfer-many-memo", &[list(vec![item_m(4)])], &a.alice)
        .expect_ok();
    assert_eq!(sim.sft_balance(LP, id, &a.bob), 15);
    assert_eq!(sim.sft_balance(LP, id, &a.carol), 7);
    let _ = none();
}
