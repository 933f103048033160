//! signer-registry: bootstrap, rotation, sBTC peg-ins and signature verification, with
//! every message built and signed in Rust (`alkahest_protocol`).
//!
//! Steps covered:
//! 1. the Rust message bytes equal the contract's `*-message` read-only output
//!    (delivery, deposit, rotation) and the payout script equals `silica-payout`'s;
//! 2. bootstrap: deployer only, once, and every invalid set is refused by name;
//! 3. peg-in: a quorum mints; M-1 signatures, a duplicate signer, an unregistered key,
//!    a garbage or v-first signature, a replay, dust and a wrong burn-hash all fail;
//! 4. rotation: needs M of the current set, refuses a set used before, and the old set
//!    can no longer sign;
//! 5. `attest-delivery` mints only for the consumer, and privileged calls refuse a
//!    malicious contract (direct and through `as-contract`).

use crate::silica_common::{
    bootstrap, burn_tip, delivery_args, deposit_args, deposit_message, peg_in, rotation_args,
    Signers, PAYOUT, REG, SBTC,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, list, principal, uint, ValueExt};
use alkahest_clarity::{Event, Outcome, Simnet};
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::message::Delivery;
use alkahest_protocol::message::Rotation;
use alkahest_protocol::script::payout_script;

fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(REG, name)
}

fn booted(n: usize, m: usize) -> (Simnet, Signers) {
    let mut sim = Simnet::new();
    let signers = Signers::new("reg", n, m);
    bootstrap(&mut sim, &signers).expect_ok();
    sim.mine(3);
    (sim, signers)
}

#[test]
fn rust_messages_are_byte_identical_to_the_contract() {
    let (mut sim, signers) = booted(5, 3);
    let (h, hash) = burn_tip(&mut sim);
    let d = Delivery {
        silica_id: 7,
        window: 3,
        delivered: 1_234_567,
        index: 63,
        burn_height: h,
        burn_hash: hash,
    };
    let args = delivery_args(&d, list(vec![]));
    let onchain = sim.read_only(REG, "delivery-message", &args[..6]).to_buff();
    assert_eq!(onchain, d.message(&binding()));

    let wallet = sim.account("wallet_2");
    for who in [wallet.clone(), format!("{wallet}.some-contract")] {
        let dep = deposit_message(&mut sim, &who, 10_000);
        let args = deposit_args(&dep, list(vec![]));
        let onchain = sim.read_only(REG, "deposit-message", &args[..6]).to_buff();
        assert_eq!(onchain, dep.message(&binding()), "{who}");
    }

    let rot = Rotation {
        version: 1,
        signers: Signers::new("next", 4, 3).pubkeys(),
        threshold: 3,
    };
    let a = rotation_args(&rot, list(vec![]));
    let onchain = sim
        .read_only(
            REG,
            "rotation-message",
            &[uint(1), a[0].clone(), a[1].clone()],
        )
        .to_buff();
    assert_eq!(onchain, rot.message(&binding()));

    let silica = sim.contract_id("silica");
    for id in [1u128, 2, 1_000_000] {
        let onchain = sim
            .read_only(
                PAYOUT,
                "script-for",
                &[principal(&silica), uint(id), signers.keys_value(), uint(3)],
            )
            .to_buff();
        let want = payout_script(&binding(), id, &signers.pubkeys(), 3).unwrap();
        assert_eq!(onchain, want, "silica {id}");
    }
}

/// A second deployment on the same chain with the same signers (a v2, a redeploy)
/// neither accepts the first one's signatures nor shares its payout scripts.
#[test]
fn signatures_and_payout_scripts_are_bound_to_one_deployment() {
    let (mut sim, signers) = booted(5, 3);
    let deployer = sim.deployer();
    let root = alkahest_clarity::manifest::workspace_root();
    let read = |name: &str| std::fs::read_to_string(root.join("clarity/contracts").join(name));
    sim.deploy_contract(
        "signer-registry-v2",
        &read("signer-registry.clar").unwrap(),
        &deployer,
    )
    .unwrap();
    let v2 = "signer-registry-v2";
    sim.call(
        v2,
        "bootstrap-signers",
        &[signers.keys_value(), uint(3)],
        &deployer,
    )
    .expect_ok();

    // A rotation signed for deployment A is refused by v2: the ids differ, so the
    // signatures recover to keys v2 does not know.
    let rot = Rotation {
        version: 1,
        signers: Signers::new("next", 4, 3).pubkeys(),
        threshold: 3,
    };
    let sigs = signers.sign(&rot.id(&binding()));
    let caller = sim.account("wallet_8");
    sim.call(
        v2,
        "rotate-signers",
        &rotation_args(&rot, sigs.clone()),
        &caller,
    )
    .expect_err(code(&sim, "ERR_UNKNOWN_SIGNER"));
    // v2 accepts the same rotation signed for v2, and A still accepts its own.
    let mut b2 = binding();
    b2.registry = b2.registry.deployer().contract(v2).unwrap();
    let sigs2 = signers.sign(&rot.id(&b2));
    sim.call(v2, "rotate-signers", &rotation_args(&rot, sigs2), &caller)
        .expect_ok();
    sim.call(REG, "rotate-signers", &rotation_args(&rot, sigs), &caller)
        .expect_ok();

    // Payout scripts: the same Silica id under another `silica` contract differs, and
    // `derive` binds the calling contract.
    let caller_src =
        "(define-read-only (script (id uint)) (contract-call? .silica-payout derive id))";
    sim.deploy_contract("silica-v2", caller_src, &deployer)
        .unwrap();
    let other = sim.read_only("silica-v2", "script", &[uint(1)]);
    let mut b3 = binding();
    b3.silica = b3.silica.deployer().contract("silica-v2").unwrap();
    let want = payout_script(&b3, 1, &Signers::new("next", 4, 3).pubkeys(), 3).unwrap();
    assert_eq!(other.field("script").to_buff(), want);
    assert_ne!(
        want,
        payout_script(&binding(), 1, &Signers::new("next", 4, 3).pubkeys(), 3).unwrap()
    );
}

#[test]
fn bootstrap_is_deployer_only_once_and_validates_the_set() {
    let mut sim = Simnet::new();
    let d = sim.deployer();
    let w = sim.account("wallet_1");
    let good = Signers::new("boot", 5, 3);
    let r = sim.call(REG, "bootstrap-signers", &[good.keys_value(), uint(3)], &w);
    r.expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));

    let cases: Vec<(Vec<[u8; 33]>, u128, &str)> = {
        let keys = good.pubkeys();
        let mut unsorted = keys.clone();
        unsorted.swap(0, 1);
        let mut dup = keys.clone();
        dup[1] = dup[0];
        let mut bad_prefix = keys.clone();
        bad_prefix[4][0] = 0x04;
        vec![
            (vec![], 0, "ERR_INVALID_SIGNER_COUNT"),
            (keys.clone(), 2, "ERR_INVALID_THRESHOLD"), // 2 is not > 5/2
            (keys.clone(), 6, "ERR_INVALID_THRESHOLD"),
            (keys.clone(), 0, "ERR_INVALID_THRESHOLD"),
            (unsorted, 3, "ERR_INVALID_KEYS"),
            (dup, 3, "ERR_INVALID_KEYS"),
            (bad_prefix, 3, "ERR_INVALID_KEYS"),
        ]
    };
    for (keys, m, err) in cases {
        let v = list(keys.iter().map(|k| buff(k)).collect());
        let r = sim.call(REG, "bootstrap-signers", &[v, uint(m)], &d);
        r.expect_err(code(&sim, err));
    }
    let r = bootstrap(&mut sim, &good);
    assert_eq!(r.expect_ok(), uint(1));
    assert!(r.print_with_topic("bootstrap-signers").is_some());
    let set = sim.read_only(REG, "get-signer-set", &[]);
    assert_eq!(set.field("threshold").to_uint(), 3);
    assert_eq!(set.field("signers").to_list().len(), 5);
    // 1-of-1 is a valid set, but bootstrap happens once.
    bootstrap(&mut sim, &Signers::new("again", 1, 1))
        .expect_err(code(&sim, "ERR_ALREADY_BOOTSTRAPPED"));
}

#[test]
fn a_quorum_pegs_in_and_every_bad_signature_set_fails_by_name() {
    let (mut sim, signers) = booted(5, 3);
    let alice = sim.account("wallet_2");
    let caller = sim.account("wallet_8");
    let outsider = SignerKey::from_seed(b"not a signer");

    let attempt = |sim: &mut Simnet, which: &dyn Fn(&[u8; 32]) -> alkahest_clarity::Value| {
        let dep = deposit_message(sim, &alice, 5_000);
        let sigs = which(&dep.id(&binding()));
        sim.call(REG, "complete-deposit", &deposit_args(&dep, sigs), &caller)
    };
    let s = signers.clone();
    attempt(&mut sim, &|id| s.sign_with(id, &[0, 1]))
        .expect_err(code(&sim, "ERR_THRESHOLD_NOT_MET"));
    attempt(&mut sim, &|id| s.sign_with(id, &[0, 1, 1]))
        .expect_err(code(&sim, "ERR_DUPLICATE_SIGNER"));
    let o = outsider.clone();
    attempt(&mut sim, &|id| {
        let mut v = s.sign_with(id, &[0, 1]).to_list();
        v.push(buff(&o.sign(id).0));
        list(v)
    })
    .expect_err(code(&sim, "ERR_UNKNOWN_SIGNER"));
    // v || r || s (stacks-common's order) recovers some other key or nothing.
    let r = attempt(&mut sim, &|id| {
        list(
            (0..3)
                .map(|i| {
                    let rsv = s.keys[i].sign(id).0;
                    let mut vrs = [0u8; 65];
                    vrs[0] = rsv[64];
                    vrs[1..].copy_from_slice(&rsv[..64]);
                    buff(&vrs)
                })
                .collect(),
        )
    });
    // The last byte is then a byte of s: almost always not a recovery id (bad
    // signature); otherwise it recovers some unrelated key.
    let refused = [
        code(&sim, "ERR_BAD_SIGNATURE"),
        code(&sim, "ERR_UNKNOWN_SIGNER"),
    ];
    assert!(
        matches!(&r.outcome, Outcome::Err(v) if refused.contains(&v.to_uint())),
        "v-first signatures must fail\n{r}"
    );
    attempt(&mut sim, &|_| list(vec![buff(&[0xff; 65])]))
        .expect_err(code(&sim, "ERR_BAD_SIGNATURE"));
    assert_eq!(sim.ft_balance(SBTC, &alice), 0, "no failed attempt minted");

    // All five sign: fine (more than M is allowed).
    let r = attempt(&mut sim, &|id| s.sign_all(id));
    r.expect_ok();
    assert!(r
        .events
        .iter()
        .any(|e| matches!(e, Event::FtMint { amount: 5_000, .. })));
    assert_eq!(sim.ft_balance(SBTC, &alice), 5_000);

    // Replays, dust and a wrong burn hash.
    let dep = deposit_message(&mut sim, &alice, 7_000);
    let sigs = signers.sign(&dep.id(&binding()));
    let lookup = [buff(&dep.txid), uint(dep.vout)];
    assert_eq!(
        sim.read_only(REG, "get-deposit", &lookup).to_optional(),
        None
    );
    sim.call(
        REG,
        "complete-deposit",
        &deposit_args(&dep, sigs.clone()),
        &caller,
    )
    .expect_ok();
    let minted_by = sim.read_only(REG, "get-deposit", &lookup).to_optional();
    assert_eq!(
        minted_by.map(|v| v.to_buff()),
        Some(dep.id(&binding()).to_vec())
    );
    sim.call(REG, "complete-deposit", &deposit_args(&dep, sigs), &caller)
        .expect_err(code(&sim, "ERR_DEPOSIT_REPLAYED"));
    let dust = deposit_message(&mut sim, &alice, 545);
    let sigs = signers.sign(&dust.id(&binding()));
    sim.call(REG, "complete-deposit", &deposit_args(&dust, sigs), &caller)
        .expect_err(code(&sim, "ERR_DEPOSIT_DUST"));
    let mut forked = deposit_message(&mut sim, &alice, 9_000);
    forked.burn_hash[0] ^= 1;
    let sigs = signers.sign(&forked.id(&binding()));
    sim.call(
        REG,
        "complete-deposit",
        &deposit_args(&forked, sigs),
        &caller,
    )
    .expect_err(code(&sim, "ERR_BURN_HASH_MISMATCH"));
    assert_eq!(sim.ft_balance(SBTC, &alice), 12_000);
}

#[test]
fn rotation_needs_a_quorum_of_the_current_set_and_never_reuses_a_set() {
    let (mut sim, old) = booted(5, 3);
    let caller = sim.account("wallet_8");
    let new = Signers::new("rotated", 7, 4);
    let rot = Rotation {
        version: 1,
        signers: new.pubkeys(),
        threshold: 4,
    };
    let id = rot.id(&binding());
    // M-1 of the current set, and a quorum of the *new* set, both fail.
    sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&rot, old.sign_with(&id, &[0, 4])),
        &caller,
    )
    .expect_err(code(&sim, "ERR_THRESHOLD_NOT_MET"));
    sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&rot, new.sign(&id)),
        &caller,
    )
    .expect_err(code(&sim, "ERR_UNKNOWN_SIGNER"));
    let r = sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&rot, old.sign(&id)),
        &caller,
    );
    assert_eq!(r.expect_ok(), uint(2));
    assert!(r.print_with_topic("rotate-signers").is_some());

    // The old set can no longer peg in; the new one can.
    let alice = sim.account("wallet_2");
    let dep = deposit_message(&mut sim, &alice, 1_000);
    let sigs = old.sign(&dep.id(&binding()));
    sim.call(REG, "complete-deposit", &deposit_args(&dep, sigs), &caller)
        .expect_err(code(&sim, "ERR_UNKNOWN_SIGNER"));
    peg_in(&mut sim, &new, &alice, 1_000);
    assert_eq!(sim.ft_balance(SBTC, &alice), 1_000);

    // Rotating back to the first set is refused even with a valid quorum.
    let back = Rotation {
        version: 2,
        signers: old.pubkeys(),
        threshold: 3,
    };
    let id = back.id(&binding());
    sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&back, new.sign(&id)),
        &caller,
    )
    .expect_err(code(&sim, "ERR_SET_REUSED"));
    // A replay of the first rotation is refused: its signers are gone.
    let id1 = rot.id(&binding());
    sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&rot, old.sign(&id1)),
        &caller,
    )
    .expect_err(code(&sim, "ERR_UNKNOWN_SIGNER"));
    assert!(sim
        .read_only(REG, "is-set-used", &[old.keys_value(), uint(3)])
        .to_bool());
}

#[test]
fn attest_delivery_is_for_the_consumer_only() {
    let (mut sim, signers) = booted(3, 2);
    let (h, hash) = burn_tip(&mut sim);
    let d = Delivery {
        silica_id: 1,
        window: 0,
        delivered: 100,
        index: 50,
        burn_height: h,
        burn_hash: hash,
    };
    let sigs = signers.sign(&d.id(&binding()));
    let w = sim.account("wallet_3");
    let deployer = sim.deployer();
    for who in [&w, &deployer] {
        sim.call(
            REG,
            "attest-delivery",
            &delivery_args(&d, sigs.clone()),
            who,
        )
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    }
    let consumer = sim
        .read_only(REG, "get-consumer", &[])
        .to_optional()
        .unwrap();
    assert_eq!(consumer.to_principal(), sim.contract_id("silica"));
    sim.call(REG, "set-consumer", &[principal(&w)], &deployer)
        .expect_err(code(&sim, "ERR_ALREADY_BOOTSTRAPPED"));
}

/// An attacker contract that forwards to `call`, directly and through `as-contract`.
fn attacker(call: &str) -> String {
    format!(
        "(define-public (direct) (match {call} v (ok true) e (err e)))\n\
         (define-public (wrapped) (match (as-contract {call}) v (ok true) e (err e)))\n"
    )
}

#[test]
fn privileged_calls_refuse_a_malicious_contract() {
    let signers = Signers::new("evil", 3, 2);
    let base = Simnet::bare();
    let reg = base.contract_id(REG);
    let d = base.deployer();
    let evil_owner = base.account("wallet_7");
    let keys = alkahest_clarity::values::to_source(&signers.keys_value());
    let (h, hash) = {
        let mut s = Simnet::new();
        s.mine(2);
        burn_tip(&mut s)
    };
    let hash_src = alkahest_clarity::values::to_source(&buff(&hash));
    let calls = [
        (
            true,
            format!("(contract-call? '{reg} bootstrap-signers {keys} u2)"),
        ),
        (
            true,
            format!("(contract-call? '{reg} set-consumer tx-sender)"),
        ),
        (
            false,
            format!("(contract-call? '{reg} attest-delivery u1 u0 u5 u50 u{h} {hash_src} (list))"),
        ),
    ];
    for (bare, call) in calls {
        let mut sim = if bare { base.clone() } else { Simnet::new() };
        sim.mine(2);
        sim.deploy_contract("evil", &attacker(&call), &evil_owner)
            .expect("attacker deploys");
        for f in ["direct", "wrapped"] {
            // The deployer is lured into calling the attacker: tx-sender is the deployer.
            let r = sim.call(&format!("{evil_owner}.evil"), f, &[], &d);
            r.expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
        }
    }
    // The legitimate path still works on the bare chain.
    let mut sim = base.clone();
    bootstrap(&mut sim, &signers).expect_ok();
}

/// The threshold rule at its exact bounds (issue 17): with N = 4, M = 2 is half, not a
/// majority, and M = 5 exceeds N; M = 3 (the smallest majority) and M = 4 (= N) are
/// valid sets, and with M = N all N must sign.
#[test]
fn threshold_is_a_strict_majority_and_at_most_n() {
    let mut sim = Simnet::new();
    let d = sim.deployer();
    let four = Signers::new("bounds", 4, 4);
    for m in [2u128, 5] {
        sim.call(REG, "bootstrap-signers", &[four.keys_value(), uint(m)], &d)
            .expect_err(code(&sim, "ERR_INVALID_THRESHOLD"));
    }
    let set = sim.read_only(REG, "get-signer-set", &[]);
    assert_eq!(set.field("version").to_uint(), 0, "nothing was installed");

    let mut majority = Simnet::new();
    let smallest = Signers::new("bounds", 4, 3);
    assert_eq!(bootstrap(&mut majority, &smallest).expect_ok(), uint(1));

    let mut all = Simnet::new();
    assert_eq!(bootstrap(&mut all, &four).expect_ok(), uint(1));
    let alice = all.account("wallet_2");
    let caller = all.account("wallet_8");
    let dep = deposit_message(&mut all, &alice, 1_000);
    let three = four.sign_with(&dep.id(&binding()), &[0, 1, 2]);
    all.call(REG, "complete-deposit", &deposit_args(&dep, three), &caller)
        .expect_err(code(&all, "ERR_THRESHOLD_NOT_MET"));
    peg_in(&mut all, &four, &alice, 1_000);
    assert_eq!(all.ft_balance(SBTC, &alice), 1_000);
}

/// A key must be exactly 33 bytes: a 32-byte prefix of a valid compressed key (its
/// 0x02/0x03 prefix intact) is refused.
#[test]
fn a_short_key_is_refused() {
    let mut sim = Simnet::new();
    let d = sim.deployer();
    let key = Signers::new("short", 1, 1).pubkeys()[0];
    let short = list(vec![buff(&key[..32])]);
    sim.call(REG, "bootstrap-signers", &[short, uint(1)], &d)
        .expect_err(code(&sim, "ERR_INVALID_KEYS"));
    let whole = list(vec![buff(&key)]);
    assert_eq!(
        sim.call(REG, "bootstrap-signers", &[whole, uint(1)], &d)
            .expect_ok(),
        uint(1)
    );
}

/// Before bootstrap the threshold is 0, so only the version check keeps an unsigned
/// deposit (no signatures at all) from minting.
#[test]
fn an_unsigned_deposit_before_bootstrap_mints_nothing() {
    let mut sim = Simnet::new();
    let alice = sim.account("wallet_2");
    let caller = sim.account("wallet_8");
    let dep = deposit_message(&mut sim, &alice, 10_000);
    sim.call(
        REG,
        "complete-deposit",
        &deposit_args(&dep, list(vec![])),
        &caller,
    )
    .expect_err(code(&sim, "ERR_NOT_BOOTSTRAPPED"));
    let r = Rotation {
        version: 0,
        signers: Signers::new("unsigned", 1, 1).pubkeys(),
        threshold: 1,
    };
    sim.call(
        REG,
        "rotate-signers",
        &rotation_args(&r, list(vec![])),
        &caller,
    )
    .expect_err(code(&sim, "ERR_NOT_BOOTSTRAPPED"));
    assert_eq!(sim.ft_balance(SBTC, &alice), 0);
    let set = sim.read_only(REG, "get-signer-set", &[]);
    assert_eq!(set.field("version").to_uint(), 0);
}

/// The dust limit is inclusive: exactly 546 sats pegs in, 545 does not.
#[test]
fn a_deposit_at_the_dust_limit_pegs_in() {
    let (mut sim, signers) = booted(3, 2);
    let alice = sim.account("wallet_2");
    let caller = sim.account("wallet_8");
    let dust = deposit_message(&mut sim, &alice, 545);
    let sigs = signers.sign(&dust.id(&binding()));
    sim.call(REG, "complete-deposit", &deposit_args(&dust, sigs), &caller)
        .expect_err(code(&sim, "ERR_DEPOSIT_DUST"));
    peg_in(&mut sim, &signers, &alice, 546);
    assert_eq!(sim.ft_balance(SBTC, &alice), 546);
}
