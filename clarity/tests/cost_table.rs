//! The cost table lists every function of the foundation contracts: this test calls
//! each public and read-only function once, checks that the in-process cost collector
//! holds an entry for every one of them, and checks the figures are plausible (a state
//! change writes; nothing exceeds the block limit).

use crate::token_common::{fund_alex, prepared, ONE};
use alkahest_clarity::costs;
use alkahest_clarity::values::{buff, none, principal, uint};

fn functions(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix("(define-public (")
                .or_else(|| l.strip_prefix("(define-read-only ("))
        })
        .map(|rest| rest.split([' ', ')']).next().unwrap().to_string())
        .collect()
}

#[test]
fn every_token_function_is_in_the_cost_table() {
    let (mut sim, a) = prepared();
    fund_alex(&mut sim, &a.alice, 10 * ONE);
    fund_alex(&mut sim, &a.operator, 10 * ONE);
    let p = |s: &str| principal(s);
    let calls: Vec<(&str, &str, Vec<alkahest_clarity::Value>, String)> = vec![
        (
            "alex-token",
            "transfer",
            vec![uint(1), p(&a.alice), p(&a.bob), none()],
            a.alice.clone(),
        ),
        (
            "alex-token",
            "mint",
            vec![uint(1), p(&a.alice)],
            a.operator.clone(),
        ),
        (
            "alex-token",
            "burn",
            vec![uint(1), p(&a.operator)],
            a.operator.clone(),
        ),
        (
            "alex-token",
            "lock",
            vec![uint(2), p(&a.operator)],
            a.operator.clone(),
        ),
        (
            "alex-token",
            "unlock",
            vec![uint(1), p(&a.operator)],
            a.operator.clone(),
        ),
        (
            "alex-token",
            "add-minter",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "remove-minter",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "add-locker",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "remove-locker",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "bootstrap-governance",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "is-minter",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "is-locker",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "get-locked",
            vec![p(&a.alice)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "get-available",
            vec![p(&a.alice)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "get-balance",
            vec![p(&a.alice)],
            a.deployer.clone(),
        ),
        (
            "sbtc-token",
            "mint",
            vec![uint(5), p(&a.alice)],
            a.operator.clone(),
        ),
        (
            "sbtc-token",
            "transfer",
            vec![uint(1), p(&a.alice), p(&a.bob), none()],
            a.alice.clone(),
        ),
        (
            "sbtc-token",
            "burn",
            vec![uint(1), p(&a.alice)],
            a.operator.clone(),
        ),
        (
            "sbtc-token",
            "protocol-mint",
            vec![uint(5), p(&a.alice), buff(&[1])],
            a.deployer.clone(),
        ),
        (
            "sbtc-token",
            "set-protocol",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "sbtc-token",
            "get-balance",
            vec![p(&a.alice)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "add-beneficiary",
            vec![p(&a.bob), uint(ONE), uint(0), uint(0), uint(10)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "get-beneficiary",
            vec![p(&a.bob)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "vested-at",
            vec![p(&a.bob), uint(5)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "get-vested",
            vec![p(&a.bob)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "get-claimable",
            vec![p(&a.bob)],
            a.deployer.clone(),
        ),
        (
            "alex-vesting",
            "close-registration",
            vec![],
            a.deployer.clone(),
        ),
        (
            "alex-emission",
            "release",
            vec![uint(1), p(&a.bob)],
            a.operator.clone(),
        ),
        (
            "alex-emission",
            "set-releaser",
            vec![p(&a.carol), uint(1)],
            a.deployer.clone(),
        ),
        (
            "alex-emission",
            "remove-releaser",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
        (
            "alex-emission",
            "get-releaser",
            vec![p(&a.operator)],
            a.deployer.clone(),
        ),
        (
            "alex-emission",
            "get-remaining",
            vec![p(&a.operator)],
            a.deployer.clone(),
        ),
        (
            "alex-token",
            "set-governance",
            vec![p(&a.carol)],
            a.deployer.clone(),
        ),
    ];
    for (c, f, args, sender) in &calls {
        sim.call(c, f, args, sender);
    }
    sim.mine(5);
    sim.call("alex-vesting", "claim", &[], &a.bob);
    // Argument-free views.
    for c in ["alex-token", "sbtc-token", "alex-vesting", "alex-emission"] {
        let src = sim.manifest().contract(c).unwrap().source.clone();
        for f in functions(&src) {
            if src.contains(&format!("(define-read-only ({f})")) {
                sim.call(c, &f, &[], &a.deployer);
            }
        }
    }

    let table = costs::collected();
    for c in ["alex-token", "sbtc-token", "alex-vesting", "alex-emission"] {
        let src = sim.manifest().contract(c).unwrap().source.clone();
        for f in functions(&src) {
            let key = format!("{c}::{f}");
            let entry = table
                .get(&key)
                .unwrap_or_else(|| panic!("{key} missing from the cost table"));
            assert!(entry.calls >= 1);
            for (dim, max) in entry.max.iter().enumerate() {
                let limit = [5_000_000_000u64, 15_000, 100_000_000, 15_000, 15_000_000][dim];
                assert!(
                    *max < limit,
                    "{key} dimension {dim} = {max} exceeds the block limit"
                );
            }
        }
    }
    let transfer = &table["alex-token::transfer"];
    assert!(transfer.max[3] > 0, "a transfer writes state");
    assert!(transfer.max[0] > 0);
    let md = costs::render_markdown(&table);
    assert!(md.contains("| alex-token::transfer |"));
}
