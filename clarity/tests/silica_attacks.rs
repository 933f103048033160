//! silica attacks, authorisation and cost budgets.
//!
//! Steps covered:
//! 1. attestation attacks on `attest-window`, each refused by its named error code and
//!    leaving no trace (no mint, window not advanced): M-1 signatures, the same signer
//!    twice, an unregistered key, a tampered amount, a wrong burn-hash, a replay, an
//!    out-of-order window, attesting before confirmations, an unknown Silica id;
//! 2. market misuse: buying after start or beyond the listing, bad listings, collect
//!    twice, redeem twice, settlement calls before settlement;
//! 3. every privileged silica function refuses a stranger and a malicious contract
//!    invoked by the legitimate caller (direct call and `as-contract`), and the list of
//!    privileged functions is checked against the contract source;
//! 4. cost budgets from the VM's deterministic cost units: `attest-window` with 15
//!    signatures < 0.5% of block runtime and < 1% of the read and write counts; `buy`
//!    and `redeem` < 0.2% of runtime.

use crate::silica_common::{running, silica_call, with_token, Signers, Terms, World, SAT, SILICA};
use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, list, principal, to_source, uint, ValueExt};
use alkahest_clarity::{Outcome, Simnet, Value};
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::script::payout_script;

#[test]
fn attestation_attacks_fail_by_name_and_leave_no_trace() {
    let (mut w, id) = running();
    let escrow = w.escrow();
    let outsider = SignerKey::from_seed(b"outsider");
    let d = w.delivery(id, 0, 5_000, 50 * SAT);
    let msg = d.id(&binding());
    let s = w.signers.clone();

    let m_minus_1 = s.sign_with(&msg, &[0, 1]);
    w.submit(&d, m_minus_1)
        .expect_err(w.reg_err("ERR_THRESHOLD_NOT_MET"));
    let twice = s.sign_with(&msg, &[0, 1, 1]);
    w.submit(&d, twice)
        .expect_err(w.reg_err("ERR_DUPLICATE_SIGNER"));
    let mut with_outsider = s.sign_with(&msg, &[0, 1]).to_list();
    with_outsider.push(buff(&outsider.sign(&msg).0));
    w.submit(&d, list(with_outsider))
        .expect_err(w.reg_err("ERR_UNKNOWN_SIGNER"));
    // A valid quorum for 5,000 sats does not authorise 50,000.
    let mut inflated = d.clone();
    inflated.delivered = 50_000;
    w.submit(&inflated, s.sign(&msg))
        .expect_err(w.reg_err("ERR_UNKNOWN_SIGNER"));
    // A fork: the signers signed a header hash this chain does not have.
    let mut forked = d.clone();
    forked.burn_hash[31] ^= 0xff;
    let sigs = s.sign(&forked.id(&binding()));
    w.submit(&forked, sigs)
        .expect_err(w.reg_err("ERR_BURN_HASH_MISMATCH"));
    assert_eq!(w.escrow(), escrow, "no refused attestation minted");
    assert_eq!(w.field(id, "next-window"), 0);

    w.submit(&d, s.sign(&msg)).expect_ok();
    assert_eq!(w.escrow(), escrow + 5_000 - 6_000);
    // The same signed message again, by anyone: refused by the registry's replay map.
    w.submit(&d, s.sign_all(&msg))
        .expect_err(w.reg_err("ERR_REPLAYED"));
    assert_eq!(w.field(id, "next-window"), 1);
}

#[test]
fn windows_go_in_order_and_only_after_confirmations() {
    let (mut w, id) = running();
    let final_height = w
        .sim
        .read_only(SILICA, "get-attestable-height", &[uint(id)])
        .to_uint();
    let params = w.sim.read_only(SILICA, "get-params", &[]);
    let start = w.field(id, "start");
    let confirmations = params.field("confirmations").to_uint();
    assert_eq!(final_height, start + 144 - 1 + confirmations);

    // Pinned one block too early.
    let mut early = w.delivery(id, 0, 5_000, 50 * SAT);
    early.burn_height = final_height - 1;
    early.burn_hash = crate::silica_common::burn_hash(&mut w.sim, final_height - 1);
    let sigs = w.signers.sign(&early.id(&binding()));
    w.submit(&early, sigs)
        .expect_err(w.err("ERR_NOT_CONFIRMED"));

    // Window 1 before window 0, even once window 1 is final.
    w.sim.mine(144);
    let skip = w.delivery(id, 1, 5_000, 50 * SAT);
    let sigs = w.signers.sign(&skip.id(&binding()));
    w.submit(&skip, sigs)
        .expect_err(w.err("ERR_WINDOW_OUT_OF_ORDER"));

    let unknown = w.delivery(999, 0, 5_000, 50 * SAT);
    let sigs = w.signers.sign(&unknown.id(&binding()));
    w.submit(&unknown, sigs)
        .expect_err(w.err("ERR_UNKNOWN_SILICA"));

    w.attest(id, 5_000, 50 * SAT).expect_ok();
    w.attest(id, 5_000, 50 * SAT).expect_ok();
    assert_eq!(w.field(id, "next-window"), 2);
}

#[test]
fn market_misuse_fails_by_name() {
    let mut w = World::new();
    let (alice, miner, stranger) = (w.alice.clone(), w.miner.clone(), w.stranger.clone());
    // Listings.
    let mut bad = Terms {
        windows: 0,
        ..Terms::default()
    };
    w.create_receipt(bad).expect_err(w.err("ERR_INVALID_TERMS"));
    bad = Terms {
        start_in: 10,
        ..Terms::default()
    };
    w.create_receipt(bad)
        .expect_err(w.err("ERR_START_TOO_SOON"));
    bad = Terms {
        collateral_bps: 999,
        ..Terms::default()
    };
    w.create_receipt(bad)
        .expect_err(w.err("ERR_INVALID_COLLATERAL"));
    let wrong_script = payout_script(&binding(), 77, &w.signers.pubkeys(), 3).unwrap();
    let start = w.sim.burn_block_height() + 200;
    let args = [
        uint(100),
        uint(4),
        uint(start),
        uint(60),
        uint(1_000),
        buff(&wrong_script),
    ];
    silica_call(&mut w.sim, "create", &args, &miner)
        .expect_err(w.err("ERR_PAYOUT_SCRIPT_MISMATCH"));

    let id = w.create(Terms::default());
    w.buy(id, &alice, 0).expect_err(w.err("ERR_INVALID_AMOUNT"));
    w.buy(id, &alice, 101).expect_err(w.err("ERR_SOLD_OUT"));
    w.buy(999, &alice, 1)
        .expect_err(w.err("ERR_UNKNOWN_SILICA"));
    w.buy(id, &alice, 100).expect_ok();
    w.redeem(id, &alice).expect_err(w.err("ERR_NOT_SETTLED"));
    w.collect(id).expect_err(w.err("ERR_NOT_SETTLED"));
    w.mine_to_start(id);
    let bob = w.bob.clone();
    w.buy(id, &bob, 1).expect_err(w.err("ERR_SALE_CLOSED"));
    let other = w.create(Terms::default());
    w.mine_to_start(other);
    w.buy(other, &bob, 1).expect_err(w.err("ERR_SALE_CLOSED"));
    // Nothing sold: attestation is refused; the listing can only expire.
    let d = w.delivery(other, 0, 1, 50 * SAT);
    let sigs = w.signers.sign(&d.id(&binding()));
    w.submit(&d, sigs).expect_err(w.err("ERR_BAD_STATUS"));

    for _ in 0..4 {
        w.attest(id, 5_000, 50 * SAT).expect_ok();
    }
    w.collect(id).expect_ok();
    w.collect(id).expect_err(w.err("ERR_ALREADY_COLLECTED"));
    w.redeem(id, &alice).expect_ok();
    w.redeem(id, &alice)
        .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    w.redeem(id, &stranger)
        .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    w.top_up(id, 1).expect_err(w.err("ERR_BAD_STATUS"));
    silica_call(&mut w.sim, "expire", &[uint(other)], &stranger).expect_ok();
    assert_eq!(w.escrow(), 0);
}

#[test]
fn listing_needs_a_signer_set() {
    let mut sim = Simnet::new();
    let miner = sim.account("wallet_1");
    let start = sim.burn_block_height() + 200;
    let args = [
        uint(1),
        uint(1),
        uint(start),
        uint(1),
        uint(1_000),
        buff(&[0; 34]),
    ];
    let r = silica_call(&mut sim, "create", &args, &miner);
    r.expect_err(sim.err_code("silica-payout", "ERR_NO_SIGNER_SET"));
}

/// Who may call a privileged function.
#[derive(Clone, Copy)]
enum Legit {
    Miner,
    Governance,
}

struct Entry {
    function: &'static str,
    legit: Legit,
    /// Whether the Silica must be settled first (collect).
    settled: bool,
    args: fn(u128, &World) -> Vec<Value>,
}

fn matrix() -> Vec<Entry> {
    let e = |function, legit, settled, args| Entry {
        function,
        legit,
        settled,
        args,
    };
    vec![
        e("cancel", Legit::Miner, false, |id, _| vec![uint(id)]),
        e("top-up", Legit::Miner, false, |id, _| {
            vec![uint(id), uint(10)]
        }),
        e("collect", Legit::Miner, true, |id, _| vec![uint(id)]),
        e("set-governance", Legit::Governance, false, |_, w| {
            vec![principal(&w.carol)]
        }),
        e("set-confirmations", Legit::Governance, false, |_, _| {
            vec![uint(6)]
        }),
        e("set-min-sale-window", Legit::Governance, false, |_, _| {
            vec![uint(10)]
        }),
        e("set-default-index", Legit::Governance, false, |_, _| {
            vec![uint(60)]
        }),
        e("set-window-length", Legit::Governance, false, |_, _| {
            vec![uint(6)]
        }),
        e("set-stall-grace", Legit::Governance, false, |_, _| {
            vec![uint(6)]
        }),
        e("set-delivery-grace", Legit::Governance, false, |_, _| {
            vec![uint(6)]
        }),
    ]
}

/// A listing (unsold, for cancel/top-up) or a settled one (for collect).
fn chain_for(settled: bool) -> (World, u128) {
    let mut w = World::new();
    let t = Terms {
        windows: 1,
        ..Terms::default()
    };
    let id = w.create(t);
    if settled {
        let alice = w.alice.clone();
        w.buy(id, &alice, 100).expect_ok();
        w.attest(id, 5_000, 50 * SAT).expect_ok();
    }
    (w, id)
}

#[test]
fn privileged_functions_refuse_strangers_and_malicious_contracts() {
    for entry in matrix() {
        let (base, id) = chain_for(entry.settled);
        let legit = match entry.legit {
            Legit::Miner => base.miner.clone(),
            Legit::Governance => base.sim.deployer(),
        };
        let args = with_token(&base.sim, entry.function, &(entry.args)(id, &base));
        let label = entry.function;
        let denied = Outcome::Err(uint(base.err("ERR_NOT_AUTHORIZED")));

        let mut sim = base.sim.clone();
        let r = sim.call(SILICA, entry.function, &args, &legit);
        assert!(r.is_ok(), "{label}: the legitimate caller failed\n{r}");

        let mut sim = base.sim.clone();
        let r = sim.call(SILICA, entry.function, &args, &base.stranger);
        assert_eq!(r.outcome, denied, "{label}: stranger\n{r}");

        let mut sim = base.sim.clone();
        let target = sim.contract_id(SILICA);
        let rendered: Vec<String> = args.iter().map(to_source).collect();
        let call = format!(
            "(contract-call? '{target} {} {})",
            entry.function,
            rendered.join(" ")
        );
        let src = format!(
            "(define-public (direct) (match {call} v (ok true) e (err e)))\n\
             (define-public (wrapped) (match (as-contract {call}) v (ok true) e (err e)))\n"
        );
        let evil = sim.account("wallet_7");
        sim.deploy_contract("evil", &src, &evil)
            .expect("attacker deploys");
        for f in ["direct", "wrapped"] {
            let r = sim.clone().call(&format!("{evil}.evil"), f, &[], &legit);
            assert_eq!(r.outcome, denied, "{label} via {f}\n{r}");
        }
    }
}

#[test]
fn a_malicious_contract_cannot_redeem_a_holders_shares() {
    let (mut w, id) = chain_for(true);
    let alice = w.alice.clone();
    let target = w.sim.contract_id(SILICA);
    let token = w.sim.contract_id(crate::silica_common::SBTC);
    let src = format!(
        "(define-public (steal) (as-contract (contract-call? '{target} redeem '{token} u{id})))\n\
         (define-public (pass) (contract-call? '{target} redeem '{token} u{id}))\n"
    );
    let evil = w.sim.account("wallet_7");
    w.sim
        .deploy_contract("evil", &src, &evil)
        .expect("attacker deploys");
    for f in ["steal", "pass"] {
        w.sim
            .call(&format!("{evil}.evil"), f, &[], &alice)
            .expect_err(w.err("ERR_NOTHING_TO_REDEEM"));
    }
    assert_eq!(w.shares(id, &alice), 100);
    assert_eq!(w.redeem(id, &alice).expect_ok(), uint(5_000));
}

#[test]
fn the_matrix_covers_every_privileged_silica_function() {
    // Open to anyone, or authorised by the caller's own funds or shares.
    let open = [
        "create",
        "buy",
        "expire",
        "start",
        "attest-window",
        "settle-stalled",
        // Credits only with the sBTC registry's record and our signers' forward
        // attestation; write-off only after the grace (silica_deposits.rs).
        "record-delivery",
        "write-off-delivery",
        "redeem",
        "transfer",
        "transfer-memo",
        "transfer-many",
        "transfer-many-memo",
    ];
    // Deployer-only, once, at bootstrap: tested in silica_token.rs and silica_proof.rs.
    // record-proven-window is silica-proof's only: tested in silica_proof.rs.
    let bootstrap = ["set-settlement-token", "set-prover", "record-proven-window"];
    let listed: Vec<&str> = matrix().iter().map(|e| e.function).collect();
    let sim = Simnet::new();
    let src = &sim.manifest().contract(SILICA).unwrap().source;
    for line in src.lines() {
        let Some(rest) = line.trim_start().strip_prefix("(define-public (") else {
            continue;
        };
        let name = rest.split([' ', ')']).next().unwrap();
        assert!(
            listed.contains(&name) || open.contains(&name) || bootstrap.contains(&name),
            "silica::{name} is public but neither privileged-tested nor listed as open"
        );
    }
}

#[test]
fn costs_stay_within_budget() {
    let mut w = World::with_signers(Signers::new("costs", 15, 8));
    let id = w.create(Terms::default());
    let (alice, bob) = (w.alice.clone(), w.bob.clone());
    let buy = w.buy(id, &alice, 60);
    buy.expect_ok();
    w.buy(id, &bob, 40).expect_ok();
    let mut attests = Vec::new();
    for _ in 0..4 {
        w.mine_to_attestable(id);
        let window = w.field(id, "next-window");
        let d = w.delivery(id, window, 5_100, 50 * SAT);
        let sigs = w.signers.sign_all(&d.id(&binding()));
        assert_eq!(sigs.to_list().len(), 15);
        let r = w.submit(&d, sigs);
        r.expect_ok();
        attests.push(r.cost);
    }
    let redeem = w.redeem(id, &alice);
    redeem.expect_ok();
    for (i, cost) in attests.iter().enumerate() {
        let pct = cost.percent_of_block();
        assert!(
            pct[0] < 0.5,
            "attest-window {i}: runtime {:.4}% ({cost:?})",
            pct[0]
        );
        assert!(pct[1] < 1.0, "attest-window {i}: read_count {:.4}%", pct[1]);
        assert!(
            pct[3] < 1.0,
            "attest-window {i}: write_count {:.4}%",
            pct[3]
        );
        // 15 recoveries at ~9.6k each are in there: the figure is not vacuous.
        assert!(cost.runtime > 15 * 9_000, "attest-window {i}: {cost:?}");
    }
    for (name, cost) in [("buy", buy.cost), ("redeem", redeem.cost)] {
        let pct = cost.percent_of_block();
        assert!(pct[0] < 0.2, "{name}: runtime {:.4}% ({cost:?})", pct[0]);
        assert!(cost.runtime > 0);
    }
}
