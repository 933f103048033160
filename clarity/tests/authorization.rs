//! The authorisation matrix of the foundation contracts: every privileged function ×
//! every unauthorised principal.
//!
//! For each function the matrix checks, on a fresh chain each time:
//! 1. the legitimate caller succeeds (so the refusals below are not vacuous);
//! 2. a stranger wallet is refused;
//! 3. a malicious contract, invoked by the legitimate caller, that calls the function
//!    directly (contract-caller = attacker, tx-sender = legitimate caller) is refused;
//! 4. the same contract calling through `as-contract` (tx-sender = attacker) is refused.

use crate::token_common::{actors, fund_alex, prepared, Actors, ONE};
use alkahest_clarity::values::{principal, to_source, uint, ValueExt};
use alkahest_clarity::{Simnet, Value};

/// Who may call a function legitimately.
#[derive(Clone, Copy)]
enum Legit {
    Deployer,
    Operator,
}

struct Entry {
    contract: &'static str,
    function: &'static str,
    /// Runs on the bare chain (one-time bootstrap functions) instead of the prepared one.
    bare: bool,
    legit: Legit,
    args: fn(&Actors) -> Vec<Value>,
}

fn matrix() -> Vec<Entry> {
    fn e(
        contract: &'static str,
        function: &'static str,
        legit: Legit,
        args: fn(&Actors) -> Vec<Value>,
    ) -> Entry {
        Entry {
            contract,
            function,
            bare: false,
            legit,
            args,
        }
    }
    vec![
        Entry {
            contract: "alex-token",
            function: "bootstrap-governance",
            bare: true,
            legit: Legit::Deployer,
            args: |a| vec![principal(&a.deployer)],
        },
        Entry {
            contract: "sbtc-token",
            function: "set-protocol",
            bare: true,
            legit: Legit::Deployer,
            args: |a| vec![principal(&a.operator)],
        },
        e("alex-token", "set-governance", Legit::Deployer, |a| {
            vec![principal(&a.carol)]
        }),
        e("alex-token", "add-minter", Legit::Deployer, |a| {
            vec![principal(&a.carol)]
        }),
        e("alex-token", "remove-minter", Legit::Deployer, |a| {
            vec![principal(&a.operator)]
        }),
        e("alex-token", "add-locker", Legit::Deployer, |a| {
            vec![principal(&a.carol)]
        }),
        e("alex-token", "remove-locker", Legit::Deployer, |a| {
            vec![principal(&a.operator)]
        }),
        e("alex-token", "mint", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.carol)]
        }),
        // Burn and lock act on the caller's own ALEX only (token_trust.rs).
        e("alex-token", "burn", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.operator)]
        }),
        e("alex-token", "lock", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.operator)]
        }),
        e("alex-token", "unlock", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.operator)]
        }),
        e("sbtc-token", "mint", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.carol)]
        }),
        e("sbtc-token", "burn", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.alice)]
        }),
        e("alex-vesting", "add-beneficiary", Legit::Deployer, |a| {
            vec![principal(&a.carol), uint(ONE), uint(1), uint(2), uint(3)]
        }),
        e(
            "alex-vesting",
            "close-registration",
            Legit::Deployer,
            |_| vec![],
        ),
        e("alex-emission", "set-releaser", Legit::Deployer, |a| {
            vec![principal(&a.carol), uint(ONE)]
        }),
        e("alex-emission", "remove-releaser", Legit::Deployer, |a| {
            vec![principal(&a.operator)]
        }),
        e("alex-emission", "release", Legit::Operator, |a| {
            vec![uint(ONE), principal(&a.carol)]
        }),
    ]
}

/// Chain state where every legitimate call in the matrix can succeed.
fn chain_for(entry: &Entry) -> (Simnet, Actors) {
    if entry.bare {
        let sim = Simnet::bare();
        let a = actors(&sim);
        return (sim, a);
    }
    let (mut sim, a) = prepared();
    fund_alex(&mut sim, &a.alice, 5 * ONE);
    fund_alex(&mut sim, &a.operator, 5 * ONE);
    sim.call(
        "alex-token",
        "lock",
        &[uint(2 * ONE), principal(&a.operator)],
        &a.operator,
    )
    .expect_ok();
    sim.call(
        "sbtc-token",
        "mint",
        &[uint(5 * ONE), principal(&a.alice)],
        &a.operator,
    )
    .expect_ok();
    (sim, a)
}

/// An attacker contract with, per matrix entry i, `direct-i` and `as-contract-i`.
fn attacker_source(sim: &Simnet, entries: &[Entry], a: &Actors) -> String {
    let mut src = String::new();
    for (i, e) in entries.iter().enumerate() {
        let target = sim.contract_id(e.contract);
        let args: Vec<String> = (e.args)(a).iter().map(to_source).collect();
        let call = format!(
            "(contract-call? '{target} {} {})",
            e.function,
            args.join(" ")
        );
        src.push_str(&format!(
            "(define-public (direct-{i}) (match {call} ok-val (ok true) err-val (err err-val)))\n\
             (define-public (as-contract-{i}) (match (as-contract {call}) ok-val (ok true) err-val (err err-val)))\n"
        ));
    }
    src
}

#[test]
fn every_privileged_function_refuses_every_unauthorised_caller() {
    let entries = matrix();
    let mut checked = 0;
    for (i, entry) in entries.iter().enumerate() {
        let (base, a) = chain_for(entry);
        let legit = match entry.legit {
            Legit::Deployer => a.deployer.clone(),
            Legit::Operator => a.operator.clone(),
        };
        let args = (entry.args)(&a);
        let label = format!("{}::{}", entry.contract, entry.function);
        let expected = base.err_code(entry.contract, "ERR_NOT_AUTHORIZED");

        // 1. The legitimate caller succeeds.
        let mut sim = base.clone();
        let r = sim.call(entry.contract, entry.function, &args, &legit);
        assert!(r.is_ok(), "{label}: legitimate caller failed\n{r}");

        // 2. A stranger is refused.
        let mut sim = base.clone();
        let r = sim.call(entry.contract, entry.function, &args, &a.stranger);
        assert_eq!(
            r.outcome,
            alkahest_clarity::Outcome::Err(uint(expected)),
            "{label}: stranger\n{r}"
        );

        // 3 and 4. A malicious contract invoked by the legitimate caller is refused.
        let mut sim = base.clone();
        let evil = sim.account("wallet_7");
        sim.deploy_contract("evil", &attacker_source(&sim, &entries, &a), &evil)
            .expect("attacker contract deploys");
        let evil_id = format!("{evil}.evil");
        for f in [format!("direct-{i}"), format!("as-contract-{i}")] {
            let mut s = sim.clone();
            let r = s.call(&evil_id, &f, &[], &legit);
            assert_eq!(
                r.outcome,
                alkahest_clarity::Outcome::Err(uint(expected)),
                "{label} via {f}\n{r}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, entries.len());
}

#[test]
fn matrix_covers_every_privileged_function() {
    // Public functions that need no authorisation beyond owning the tokens moved.
    let open = [
        ("alex-token", "transfer"),
        ("sbtc-token", "transfer"),
        ("alex-vesting", "claim"),
    ];
    let sim = Simnet::new();
    let listed: Vec<(&str, &str)> = matrix().iter().map(|e| (e.contract, e.function)).collect();
    for contract in ["alex-token", "sbtc-token", "alex-vesting", "alex-emission"] {
        let src = &sim.manifest().contract(contract).unwrap().source;
        for line in src.lines() {
            let Some(rest) = line.trim_start().strip_prefix("(define-public (") else {
                continue;
            };
            let name = rest.split([' ', ')']).next().unwrap();
            let covered = listed.contains(&(contract, name)) || open.contains(&(contract, name));
            assert!(
                covered,
                "{contract}::{name} is public but not in the authorisation matrix"
            );
        }
    }
    // Sanity: the matrix's legitimate callers really are privileged.
    let mut sim = Simnet::new();
    let gov = sim
        .read_only("alex-token", "get-governance", &[])
        .to_optional()
        .unwrap();
    assert_eq!(gov.to_principal(), sim.deployer());
}
