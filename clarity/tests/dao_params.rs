//! Bounds of the DAO's own parameters, each at and one past its edge. Candidates run
//! as the DAO through `construct` on the chain before the handover (the same `run`
//! path a voted proposal takes), so no vote is needed per case.

use crate::dao_common::proposal_source;
use alkahest_clarity::values::principal;
use alkahest_clarity::{Receipt, Simnet};

/// Runs `body` as the DAO on a fresh pre-handover chain.
fn as_dao(body: &str) -> (Simnet, Receipt) {
    let mut sim = Simnet::deployer_governed();
    let d = sim.deployer();
    let alice = sim.account("wallet_1");
    sim.deploy_contract("candidate", &proposal_source(&d, body), &alice)
        .expect("candidate deploys");
    let r = sim.call(
        "dao-core",
        "construct",
        &[principal(&format!("{alice}.candidate"))],
        &d,
    );
    (sim, r)
}

fn params(
    threshold: u128,
    delay: u128,
    period: u128,
    quorum: u128,
    majority: u128,
    lock: u128,
) -> String {
    format!(
        "(try! (contract-call? .dao-voting set-params u{threshold} u{delay} u{period} u{quorum} u{majority} u{lock}))"
    )
}

#[test]
fn voting_parameters_at_and_past_each_bound() {
    // (period, quorum, majority, accepted)
    let cases = [
        (1, 1, 5_000, true),
        (0, 1, 5_000, false),
        (1, 0, 5_000, false),
        (1, 10_000, 5_000, true),
        (1, 10_001, 5_000, false),
        (1, 100, 4_999, false),
        (1, 100, 9_999, true),
        (1, 100, 10_000, false),
    ];
    for (period, quorum, majority, accepted) in cases {
        let (sim, r) = as_dao(&params(0, 0, period, quorum, majority, 0));
        if accepted {
            r.expect_ok();
        } else {
            r.expect_err(sim.err_code("dao-voting", "ERR_INVALID_PARAMETER"));
        }
    }
}

#[test]
fn the_foundation_expiry_moves_only_earlier() {
    let d = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    let members =
        format!("(try! (contract-call? .dao-foundation set-members (list '{d}) u1 u500))");
    for (until, accepted) in [(500u128, true), (499, true), (0, true), (501, false)] {
        let (sim, r) = as_dao(&format!(
            "{members}\n    (try! (contract-call? .dao-foundation set-expiry u{until}))"
        ));
        if accepted {
            r.expect_ok();
        } else {
            r.expect_err(sim.err_code("dao-foundation", "ERR_EXPIRY_EXTENDED"));
        }
    }
}
