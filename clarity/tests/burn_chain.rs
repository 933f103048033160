//! The harness's burn chain and the registry's reorg guard (issue 10, points 4 and 12).
//!
//! clarity-repl 2.0.0 returned one header hash for every height, so a message pinned to
//! a wrong height, a future height or a fork passed the guard. The harness now gives
//! each height its own hash and `none` from `burn-block-height` on, and the registry
//! refuses a burn height that is not below the tip by name.

use crate::silica_common::{
    bootstrap, burn_hash, burn_tip, deposit_args, deposit_message, running, Signers, REG, SAT, SBTC,
};
use alkahest_clarity::binding;
use alkahest_clarity::{Receipt, Simnet};
use alkahest_protocol::message::Deposit;

fn booted() -> (Simnet, Signers) {
    let mut sim = Simnet::new();
    let signers = Signers::new("burn", 3, 2);
    bootstrap(&mut sim, &signers).expect_ok();
    sim.mine(10);
    (sim, signers)
}

fn submit_deposit(sim: &mut Simnet, signers: &Signers, d: &Deposit) -> Receipt {
    let sigs = signers.sign(&d.id(&binding()));
    let caller = sim.account("wallet_8");
    sim.call(REG, "complete-deposit", &deposit_args(d, sigs), &caller)
}

#[test]
fn header_hashes_are_distinct_per_height_and_none_from_the_tip_on() {
    let (mut sim, _) = booted();
    let tip = sim.burn_block_height();
    let hashes: Vec<Vec<u8>> = (0..tip)
        .map(|h| sim.burn_header_hash(h).expect("below the tip"))
        .collect();
    for (i, a) in hashes.iter().enumerate() {
        assert_eq!(a.len(), 32);
        for b in &hashes[i + 1..] {
            assert_ne!(a, b, "two heights share a hash");
        }
    }
    assert_eq!(
        sim.burn_header_hash(tip),
        None,
        "the tip is not visible yet"
    );
    assert_eq!(sim.burn_header_hash(tip + 1), None);
    assert_eq!(sim.burn_header_hash(tip + 1_000), None);
    // Mining changes nothing below the old tip and reveals the old tip.
    sim.mine(3);
    for (h, hash) in hashes.iter().enumerate() {
        assert_eq!(sim.burn_header_hash(h as u128).as_ref(), Some(hash));
    }
    assert!(sim.burn_header_hash(tip).is_some());
}

#[test]
fn the_vm_returns_the_harness_hash_and_an_injected_one() {
    let (mut sim, _) = booted();
    let tip = sim.burn_block_height() as u32;
    for h in 0..tip {
        assert_eq!(
            sim.burn_header_hash(u128::from(h)),
            Some(sim.burn_chain_hash(h).to_vec())
        );
    }
    // Default: sha256("alkahest burn" || height as u64 big-endian).
    let mut preimage = b"alkahest burn".to_vec();
    preimage.extend_from_slice(&3u64.to_be_bytes());
    assert_eq!(sim.burn_chain_hash(3), alkahest_protocol::sha256(&preimage));
    // The devnet injects regtest hashes; clearing returns to the default.
    let regtest = [0xab; 32];
    sim.set_burn_header_hash(4, regtest);
    assert_eq!(sim.burn_header_hash(4), Some(regtest.to_vec()));
    // A hash set ahead of the tip shows once the chain gets there.
    sim.set_burn_header_hash(tip + 2, regtest);
    assert_eq!(sim.burn_header_hash(u128::from(tip + 2)), None);
    sim.mine(3);
    assert_eq!(
        sim.burn_header_hash(u128::from(tip + 2)),
        Some(regtest.to_vec())
    );
    sim.clear_burn_header_hash(4);
    assert_eq!(
        sim.burn_header_hash(4),
        Some(alkahest_clarity::burn::default_hash(4).to_vec())
    );
}

#[test]
fn a_deposit_pinned_to_a_wrong_height_is_refused() {
    let (mut sim, signers) = booted();
    let alice = sim.account("wallet_2");
    // The hash of the newest visible block, claimed for the block before it.
    let mut d = deposit_message(&mut sim, &alice, 10_000);
    d.burn_height -= 1;
    submit_deposit(&mut sim, &signers, &d).expect_err(sim.err_code(REG, "ERR_BURN_HASH_MISMATCH"));
    assert_eq!(sim.ft_balance(SBTC, &alice), 0);
}

#[test]
fn a_deposit_pinned_to_the_tip_or_a_future_height_is_refused_by_name() {
    let (mut sim, signers) = booted();
    let alice = sim.account("wallet_2");
    let tip = sim.burn_block_height();
    for height in [tip, tip + 1, tip + 5] {
        let mut d = deposit_message(&mut sim, &alice, 10_000);
        // Whatever hash is claimed: the newest visible one, as a lying signer might.
        d.burn_height = height;
        submit_deposit(&mut sim, &signers, &d)
            .expect_err(sim.err_code(REG, "ERR_BURN_HEIGHT_NOT_PAST"));
    }
    assert_eq!(sim.ft_balance(SBTC, &alice), 0);
}

#[test]
fn a_deposit_signed_on_a_fork_is_refused_after_the_reorg() {
    let (mut sim, signers) = booted();
    let alice = sim.account("wallet_2");
    let d = deposit_message(&mut sim, &alice, 10_000);
    // A reorg replaces the block the signers saw.
    sim.set_burn_header_hash(d.burn_height as u32, [0x5a; 32]);
    sim.mine(1);
    submit_deposit(&mut sim, &signers, &d).expect_err(sim.err_code(REG, "ERR_BURN_HASH_MISMATCH"));
    assert_eq!(sim.ft_balance(SBTC, &alice), 0);
}

#[test]
fn a_deposit_submitted_blocks_after_signing_still_passes() {
    let (mut sim, signers) = booted();
    let alice = sim.account("wallet_2");
    let d = deposit_message(&mut sim, &alice, 10_000);
    sim.mine(7);
    submit_deposit(&mut sim, &signers, &d).expect_ok();
    assert_eq!(sim.ft_balance(SBTC, &alice), 10_000);
}

#[test]
fn a_delivery_pinned_to_a_wrong_or_future_height_or_a_fork_is_refused() {
    let (mut w, id) = running();
    let escrow = w.escrow();
    let index = 50 * SAT;
    let good = w.delivery(id, 0, 5_000, index);

    // Wrong height: a later visible block's hash claimed for the window's final block.
    w.sim.mine(2);
    let mut wrong = good.clone();
    wrong.burn_hash = burn_hash(&mut w.sim, good.burn_height + 1);
    let sigs = w.signers.sign(&wrong.id(&binding()));
    w.submit(&wrong, sigs)
        .expect_err(w.reg_err("ERR_BURN_HASH_MISMATCH"));

    // Future height, with the newest visible hash.
    let mut future = good.clone();
    future.burn_height = w.sim.burn_block_height() + 3;
    let sigs = w.signers.sign(&future.id(&binding()));
    w.submit(&future, sigs)
        .expect_err(w.reg_err("ERR_BURN_HEIGHT_NOT_PAST"));

    // A fork: the block the signers saw was reorged away.
    let mut fork = w.sim.clone();
    fork.set_burn_header_hash(good.burn_height as u32, [0x77; 32]);
    let sigs = w.signers.sign(&good.id(&binding()));
    let caller = w.stranger.clone();
    crate::silica_common::silica_call(
        &mut fork,
        "attest-window",
        &crate::silica_common::delivery_args(&good, sigs.clone()),
        &caller,
    )
    .expect_err(w.reg_err("ERR_BURN_HASH_MISMATCH"));
    assert_eq!(w.escrow(), escrow, "nothing minted");
    assert_eq!(w.field(id, "next-window"), 0);

    // The honest message, submitted blocks after it was signed, passes.
    w.submit(&good, sigs).expect_ok();
    assert_eq!(w.field(id, "next-window"), 1);
    let (h, _) = burn_tip(&mut w.sim);
    assert!(h > good.burn_height + 1);
}
