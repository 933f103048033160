//! The authorisation matrix of the foundation and governance contracts: every
//! privileged function × every unauthorised principal.
//!
//! For each function the matrix checks, on a fresh chain each time:
//! 1. the legitimate caller succeeds (so the refusals below are not vacuous); for the
//!    DAO that is a proposal executed through a full vote, or run by `construct` on
//!    the chain before the handover;
//! 2. a stranger wallet is refused;
//! 3. a malicious contract, invoked by the legitimate caller (or, where that is the
//!    DAO, by a stranger), that calls the function directly (contract-caller =
//!    attacker, tx-sender = its invoker) is refused;
//! 4. the same contract calling through `as-contract` (tx-sender = attacker) is refused.

use crate::dao_common::{proposal_source, Dao};
use crate::token_common::{actors, fund_alex, prepared, Actors, ONE};
use alkahest_clarity::values::{
    ascii, bool as cbool, buff, list, principal, to_source, uint, ValueExt,
};
use alkahest_clarity::{Simnet, Value};

/// Who may call a function legitimately.
#[derive(Clone, Copy)]
enum Legit {
    Deployer,
    Operator,
    /// The DAO itself: a proposal calls the function.
    Dao,
    /// An enabled extension: a proposal enables itself, then calls the function.
    Extension,
    /// A foundation member (the deployer, one of the three).
    Member,
    /// Success needs state the matrix does not build; the named test shows it.
    ShownBy(&'static str),
}

/// The chain an entry runs on.
#[derive(Clone, Copy, PartialEq)]
enum Chain {
    /// Contracts deployed, no bootstrap call run (one-time bootstrap functions).
    Bare,
    /// The pre-handover chain with the token test roles (`token_common::prepared`).
    Prepared,
    /// Bootstrapped except the handover: `dao-core construct` has not run, so a
    /// proposal can be run as the DAO by `construct` (one-time DAO setup functions).
    PreHandover,
    /// The chain as deployed: dao-core governs, extensions enabled.
    Deployed,
}

struct Entry {
    contract: &'static str,
    function: &'static str,
    chain: Chain,
    legit: Legit,
    args: fn(&Actors) -> Vec<Value>,
    /// The contract whose ERR_NOT_AUTHORIZED refuses strangers (the callee by default).
    refused_by: &'static str,
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
            chain: Chain::Prepared,
            legit,
            args,
            refused_by: contract,
        }
    }
    fn dao(
        contract: &'static str,
        function: &'static str,
        chain: Chain,
        legit: Legit,
        args: fn(&Actors) -> Vec<Value>,
    ) -> Entry {
        Entry {
            contract,
            function,
            chain,
            legit,
            args,
            refused_by: contract,
        }
    }
    vec![
        Entry {
            contract: "alex-token",
            function: "bootstrap-governance",
            chain: Chain::Bare,
            legit: Legit::Deployer,
            args: |a| vec![principal(&a.deployer)],
            refused_by: "alex-token",
        },
        Entry {
            contract: "sbtc-token",
            function: "set-protocol",
            chain: Chain::Bare,
            legit: Legit::Deployer,
            args: |a| vec![principal(&a.operator)],
            refused_by: "sbtc-token",
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
        // Only `sbtc-deposit` mints this way, inside a completed deposit.
        e(
            "sbtc-token",
            "protocol-mint",
            Legit::ShownBy(
                "the_signer_principal_completes_a_deposit_once_and_a_contract_can_read_it",
            ),
            |a| vec![uint(ONE), principal(&a.carol), buff(&[1])],
        ),
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
        // Governance (issue 12).
        dao(
            "dao-core",
            "construct",
            Chain::PreHandover,
            Legit::Deployer,
            |a| vec![principal(&format!("{}.agp000-bootstrap", a.deployer))],
        ),
        // An extension calls it from outside: a proposal cannot re-enter `run`.
        dao(
            "dao-core",
            "execute",
            Chain::Deployed,
            Legit::ShownBy("a_passed_proposal_executes_once_after_its_timelock"),
            |a| {
                vec![
                    principal(&format!("{}.agp000-bootstrap", a.deployer)),
                    principal(&a.carol),
                ]
            },
        ),
        dao(
            "dao-core",
            "set-extension",
            Chain::Deployed,
            Legit::Dao,
            |a| vec![principal(&a.carol), cbool(true)],
        ),
        dao(
            "dao-core",
            "pause-subsystem",
            Chain::Deployed,
            Legit::Extension,
            |_| vec![ascii("amm"), cbool(true)],
        ),
        dao(
            "dao-voting",
            "set-paused",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![cbool(true)],
        ),
        dao(
            "dao-voting",
            "set-params",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![uint(ONE), uint(1), uint(5), uint(100), uint(6000), uint(3)],
        ),
        dao(
            "dao-voting",
            "veto",
            Chain::Deployed,
            Legit::ShownBy("the_foundation_vetoes_during_the_timelock_with_two_of_three"),
            |_| vec![uint(1)],
        ),
        dao(
            "dao-foundation",
            "set-members",
            Chain::PreHandover,
            Legit::Dao,
            |a| vec![list(vec![principal(&a.carol)]), uint(1), uint(10_000)],
        ),
        dao(
            "dao-foundation",
            "set-expiry",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![uint(100)],
        ),
        dao(
            "dao-foundation",
            "signal-veto",
            Chain::Deployed,
            Legit::Member,
            |_| vec![uint(1)],
        ),
        dao(
            "dao-foundation",
            "signal-pause",
            Chain::Deployed,
            Legit::Member,
            |_| vec![ascii("amm"), cbool(true)],
        ),
        dao(
            "alex-staking",
            "set-governance",
            Chain::Deployed,
            Legit::Dao,
            |a| vec![principal(&a.carol)],
        ),
        dao(
            "alex-staking",
            "set-emission-per-cycle",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![uint(ONE)],
        ),
        dao(
            "alex-staking",
            "set-cycle-length",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![uint(100)],
        ),
        dao(
            "alex-staking",
            "set-countdown",
            Chain::Deployed,
            Legit::Dao,
            |_| vec![uint(10)],
        ),
        Entry {
            contract: "agp000-bootstrap",
            function: "execute",
            chain: Chain::PreHandover,
            legit: Legit::Dao,
            args: |a| vec![principal(&a.carol)],
            refused_by: "dao-core",
        },
        // Lending (issue 11): the tokens are minted and burned by crp alone, which
        // the lending tests exercise; every parameter is governance's.
        dao(
            "yield-token",
            "mint",
            Chain::PreHandover,
            Legit::ShownBy("borrow_lend_repay_and_redeem_at_expiry"),
            |a| vec![uint(100), uint(1), principal(&a.carol)],
        ),
        dao(
            "yield-token",
            "burn",
            Chain::PreHandover,
            Legit::ShownBy("borrow_lend_repay_and_redeem_at_expiry"),
            |a| vec![uint(100), uint(1), principal(&a.carol)],
        ),
        dao(
            "key-token",
            "mint",
            Chain::PreHandover,
            Legit::ShownBy("borrow_lend_repay_and_redeem_at_expiry"),
            |a| vec![uint(100), uint(1), principal(&a.carol)],
        ),
        dao(
            "key-token",
            "burn",
            Chain::PreHandover,
            Legit::ShownBy("borrow_lend_repay_and_redeem_at_expiry"),
            |a| vec![uint(100), uint(1), principal(&a.carol)],
        ),
        dao(
            "ytp",
            "set-governance",
            Chain::PreHandover,
            Legit::Deployer,
            |a| vec![principal(&a.carol)],
        ),
        dao(
            "ytp",
            "set-paused",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![cbool(true)],
        ),
        dao(
            "ytp",
            "create-pool",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(5_000)],
        ),
        dao(
            "ytp",
            "set-pool-fee",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(100), uint(1), uint(1)],
        ),
        dao(
            "ytp",
            "set-pool-ratios",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(100), uint(1), uint(1)],
        ),
        dao(
            "ytp",
            "set-pool-oracle",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(100), uint(1)],
        ),
        dao(
            "ytp",
            "set-pool-paused",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(100), cbool(true)],
        ),
        dao(
            "crp",
            "set-governance",
            Chain::PreHandover,
            Legit::Deployer,
            |a| vec![principal(&a.carol)],
        ),
        dao(
            "crp",
            "set-paused",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![cbool(true)],
        ),
        dao(
            "crp",
            "set-params",
            Chain::PreHandover,
            Legit::Deployer,
            |_| {
                vec![
                    uint(70_000_000),
                    uint(300_000_000),
                    uint(90_000_000),
                    uint(0),
                    uint(0),
                    uint(10),
                    uint(1_000_000),
                ]
            },
        ),
        dao(
            "crp",
            "set-amm-pools",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(3), uint(1), uint(1)],
        ),
        dao(
            "crp",
            "create-pool",
            Chain::PreHandover,
            Legit::Deployer,
            |_| vec![uint(5_000)],
        ),
        dao(
            "amm-reserve",
            "set-backstop",
            Chain::PreHandover,
            Legit::Deployer,
            |a| vec![principal(&a.carol), cbool(true)],
        ),
        // A stranger is no backstop: amm-pool refuses the draw itself.
        dao(
            "amm-pool",
            "draw-reserve",
            Chain::PreHandover,
            Legit::ShownBy("a_crash_the_pool_cannot_hedge_is_paid_from_the_reserve_exactly"),
            |a| {
                vec![
                    principal(&format!("{}.sbtc-token", a.deployer)),
                    uint(1),
                    principal(&a.carol),
                ]
            },
        ),
    ]
}

/// Chain state where every legitimate call in the matrix can succeed.
fn chain_for(entry: &Entry) -> (Simnet, Actors) {
    let sim = match entry.chain {
        Chain::Bare => Simnet::bare(),
        Chain::PreHandover => Simnet::deployer_governed(),
        Chain::Deployed => Simnet::new(),
        Chain::Prepared => {
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
            return (sim, a);
        }
    };
    let a = actors(&sim);
    (sim, a)
}

/// Runs the legitimate call; `Err` with the receipt when it does not succeed, `None`
/// when another test shows it.
fn legit_call(entry: &Entry, base: &Simnet, a: &Actors) -> Option<Result<(), String>> {
    let mut sim = base.clone();
    let args = (entry.args)(a);
    let direct = |sim: &mut Simnet, who: &str| {
        let r = sim.call(entry.contract, entry.function, &args, who);
        if r.is_ok() {
            Ok(())
        } else {
            Err(r.to_string())
        }
    };
    match entry.legit {
        Legit::Deployer => Some(direct(&mut sim, &a.deployer)),
        Legit::Operator => Some(direct(&mut sim, &a.operator)),
        Legit::Member => Some(direct(&mut sim, &a.deployer)),
        Legit::ShownBy(_) => None,
        Legit::Dao | Legit::Extension => {
            let rendered: Vec<String> = args.iter().map(to_source).collect();
            let mut body = String::new();
            if matches!(entry.legit, Legit::Extension) {
                body.push_str(
                    "(try! (contract-call? .dao-core set-extension (as-contract tx-sender) true))\n    ",
                );
            }
            body.push_str(&format!(
                "(try! (contract-call? '{} {} {}))",
                sim.contract_id(entry.contract),
                entry.function,
                rendered.join(" ")
            ));
            if entry.chain == Chain::PreHandover {
                let src = proposal_source(&a.deployer, &body);
                sim.deploy_contract("legit", &src, &a.alice)
                    .expect("proposal deploys");
                let r = sim.call(
                    "dao-core",
                    "construct",
                    &[principal(&format!("{}.legit", a.alice))],
                    &a.deployer,
                );
                return Some(if r.is_ok() {
                    Ok(())
                } else {
                    Err(r.to_string())
                });
            }
            let mut d = Dao::from_sim(sim);
            let p = d.proposal("legit", &body);
            let id = d.pass(&p);
            let r = d.execute(id, &p);
            Some(if r.is_ok() {
                Ok(())
            } else {
                Err(r.to_string())
            })
        }
    }
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
        // The wallet that invokes the attacker contract.
        let legit = match entry.legit {
            Legit::Deployer | Legit::Member => a.deployer.clone(),
            Legit::Operator => a.operator.clone(),
            Legit::Dao | Legit::Extension | Legit::ShownBy(_) => a.alice.clone(),
        };
        let args = (entry.args)(&a);
        let label = format!("{}::{}", entry.contract, entry.function);
        let expected = base.err_code(entry.refused_by, "ERR_NOT_AUTHORIZED");

        // 1. The legitimate caller succeeds.
        match legit_call(entry, &base, &a) {
            Some(Ok(())) => {}
            Some(Err(r)) => panic!("{label}: legitimate caller failed\n{r}"),
            None => {
                let Legit::ShownBy(test) = entry.legit else {
                    unreachable!()
                };
                let sources = [
                    include_str!("dao_attacks.rs"),
                    include_str!("dao_lifecycle.rs"),
                    include_str!("lending.rs"),
                    include_str!("lending_risk.rs"),
                    include_str!("sbtc_deposit.rs"),
                ];
                assert!(
                    sources.iter().any(|s| s.contains(&format!("fn {test}()"))),
                    "{label}: no test `{test}`"
                );
            }
        }

        // 2. A stranger is refused.
        let mut sim = base.clone();
        let r = sim.call(entry.contract, entry.function, &args, &a.stranger);
        assert_eq!(
            r.outcome,
            alkahest_clarity::Outcome::Err(uint(expected)),
            "{label}: stranger\n{r}"
        );
        alkahest_clarity::receipt::note_asserted_error(expected);

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
        // A holder's own lock and vote; anyone may conclude and execute.
        ("dao-voting", "lock"),
        ("dao-voting", "unlock"),
        ("dao-voting", "propose"),
        ("dao-voting", "vote"),
        ("dao-voting", "conclude"),
        ("dao-voting", "execute"),
        // A holder's own stake; anyone may signal, add sBTC rewards or advance cycles.
        ("alex-staking", "signal"),
        ("alex-staking", "stake"),
        ("alex-staking", "claim"),
        ("alex-staking", "unstake"),
        ("alex-staking", "add-sbtc-rewards"),
        ("alex-staking", "advance"),
        // Token holders' own transfers; borrowers, lenders, LPs and keepers act on
        // their own tokens or on the pool for everyone (rebalance, settle).
        ("yield-token", "transfer"),
        ("yield-token", "transfer-memo"),
        ("yield-token", "transfer-many"),
        ("yield-token", "transfer-many-memo"),
        ("key-token", "transfer"),
        ("key-token", "transfer-memo"),
        ("key-token", "transfer-many"),
        ("key-token", "transfer-many-memo"),
        ("ytp", "add-liquidity"),
        ("ytp", "remove-liquidity"),
        ("ytp", "swap-x-for-y"),
        ("ytp", "swap-y-for-x"),
        ("crp", "borrow"),
        ("crp", "repay"),
        ("crp", "rebalance"),
        ("crp", "settle"),
        ("crp", "redeem-yield"),
        ("crp", "redeem-key"),
    ];
    let sim = Simnet::new();
    let listed: Vec<(&str, &str)> = matrix().iter().map(|e| (e.contract, e.function)).collect();
    for contract in [
        "alex-token",
        "sbtc-token",
        "alex-vesting",
        "alex-emission",
        "dao-core",
        "dao-voting",
        "dao-foundation",
        "agp000-bootstrap",
        "alex-staking",
        "yield-token",
        "key-token",
        "ytp",
        "crp",
    ] {
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
    let (mut sim, _) = prepared();
    let gov = sim
        .read_only("alex-token", "get-governance", &[])
        .to_optional()
        .unwrap();
    assert_eq!(gov.to_principal(), sim.deployer());
}
