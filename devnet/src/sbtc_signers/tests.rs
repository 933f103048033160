//! The stand-in sBTC signers' review and sweep, on regtest blocks.

use super::*;
use crate::emily::{CreateDeposit, Emily};
use alkahest_indexer::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_protocol::principal::Principal;
use bitcoin::consensus::serialize;
use bitcoin::secp256k1::schnorr;

fn silica() -> Principal {
    Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap()
}

fn scripts(key: &XOnlyPublicKey, max_fee: u64) -> DepositScripts {
    DepositScripts::new(&silica(), max_fee, key, 144, &ScriptBuf::new()).unwrap()
}

/// Registers output `vout` of `tx` with a fresh Emily and returns the deposit.
fn registered(tx: &Transaction, vout: u32, s: &DepositScripts) -> emily::Deposit {
    let emily = Emily::new(546, u64::MAX);
    let body = CreateDeposit {
        bitcoin_txid: tx.compute_txid().to_string(),
        bitcoin_tx_output_index: vout,
        reclaim_script: hex::encode(s.reclaim.as_bytes()),
        deposit_script: hex::encode(s.deposit.as_bytes()),
        transaction_hex: hex::encode(serialize(tx)),
    };
    emily.register(&body).unwrap().1
}

fn deposit_tx(seed: &[u8], s: &DepositScripts, amount: u64) -> Transaction {
    payment_tx(
        seed,
        vec![TxOut {
            value: Amount::from_sat(amount),
            script_pubkey: s.output_script(),
        }],
    )
}

#[test]
fn a_confirmed_deposit_on_the_live_key_is_swept_and_each_pays_its_fee_share() {
    let signers = SbtcSigners::from_seed(b"sbtc signers, set 1");
    let (a, b) = (
        scripts(&signers.aggregate_key(), 10_000),
        scripts(&signers.aggregate_key(), 10_000),
    );
    let (ta, tb) = (deposit_tx(b"a", &a, 50_000), deposit_tx(b"b", &b, 20_000));
    let mut chain = ChainBuilder::new();
    chain
        .mine_on_tip(&CoinbaseSpec::default().with_txs(vec![ta.clone(), tb.clone()]))
        .unwrap();
    let best = chain.best_chain();
    let ca = signers.review(&registered(&ta, 0, &a), &best).unwrap();
    let cb = signers.review(&registered(&tb, 0, &b), &best).unwrap();
    assert_eq!((ca.amount, ca.max_fee), (50_000, 10_000));
    assert_eq!(
        ca.recipient,
        alkahest_protocol::consensus::principal(&silica())
    );

    let sweep = signers.sweep(&[ca.clone(), cb.clone()], 10).unwrap();
    let fee = 10 * sweep.tx.vsize() as u64;
    let shares: u64 = sweep.shares.iter().map(|(s, _)| s).sum();
    // Equal-weight inputs split the fee in halves, each rounded up.
    assert_eq!(sweep.shares[0].0, sweep.shares[1].0);
    assert!(shares >= fee && shares <= fee + 1, "{shares} vs {fee}");
    assert_eq!(sweep.shares[0].1, 50_000 - sweep.shares[0].0);
    assert_eq!(sweep.shares[1].1, 20_000 - sweep.shares[1].0);
    // What the deposits held leaves as the signers' UTXO plus the fee they paid.
    assert_eq!(sweep.tx.output[0].value.to_sat(), 70_000 - shares);
    assert_eq!(sweep.tx.output[0].script_pubkey, signers.utxo_script());

    // Each input spends its deposit leaf with a valid signature and control block.
    let secp = Secp256k1::verification_only();
    let prevouts = [&ta.output[0], &tb.output[0]].map(|o| o.clone());
    for (i, c) in [&ca, &cb].into_iter().enumerate() {
        let w = &sweep.tx.input[i].witness;
        assert_eq!(w.len(), 3);
        assert_eq!(w.nth(1).unwrap(), c.scripts.deposit.as_bytes());
        let control = bitcoin::taproot::ControlBlock::decode(w.nth(2).unwrap()).unwrap();
        let output_key = c.scripts.spend_info().output_key().to_x_only_public_key();
        assert!(control.verify_taproot_commitment(&secp, output_key, &c.scripts.deposit));
        let leaf = TapLeafHash::from_script(&c.scripts.deposit, LeafVersion::TapScript);
        let sighash = SighashCache::new(&sweep.tx)
            .taproot_script_spend_signature_hash(
                i,
                &Prevouts::All(&prevouts),
                leaf,
                TapSighashType::Default,
            )
            .unwrap();
        let sig = schnorr::Signature::from_slice(w.nth(0).unwrap()).unwrap();
        secp.verify_schnorr(
            &sig,
            &Message::from_digest(sighash.to_byte_array()),
            &signers.aggregate_key(),
        )
        .unwrap();
    }
}

#[test]
fn a_coinbase_deposit_is_never_swept() {
    let signers = SbtcSigners::from_seed(b"sbtc signers, set 1");
    let s = scripts(&signers.aggregate_key(), 10_000);
    let mut chain = ChainBuilder::new();
    let spec = CoinbaseSpec::default().pay(s.output_script(), Amount::from_sat(60_000));
    let hash = chain.mine_on_tip(&spec).unwrap();
    let coinbase = chain.block(&hash).unwrap().txdata[0].clone();
    let d = registered(&coinbase, 0, &s);
    let best = chain.best_chain();
    assert_eq!(
        signers.review(&d, &best),
        Err(Refusal::Coinbase(OutPoint::new(coinbase.compute_txid(), 0)))
    );
    // However deep it gets buried: there is no maturity path.
    for _ in 0..101 {
        chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    }
    assert!(matches!(
        signers.review(&d, &chain.best_chain()),
        Err(Refusal::Coinbase(_))
    ));
}

#[test]
fn a_deposit_on_a_rotated_out_key_or_not_yet_mined_is_refused() {
    let old = SbtcSigners::from_seed(b"sbtc signers, set 1");
    let new = SbtcSigners::from_seed(b"sbtc signers, set 2");
    let s = scripts(&old.aggregate_key(), 10_000);
    let tx = deposit_tx(b"stale", &s, 40_000);
    let d = registered(&tx, 0, &s);
    let mut chain = ChainBuilder::new();
    assert_eq!(
        new.review(&d, &chain.best_chain()),
        Err(Refusal::Unconfirmed(OutPoint::new(tx.compute_txid(), 0)))
    );
    chain
        .mine_on_tip(&CoinbaseSpec::default().with_txs(vec![tx.clone()]))
        .unwrap();
    let best = chain.best_chain();
    assert_eq!(
        new.review(&d, &best),
        Err(Refusal::StaleKey {
            outpoint: OutPoint::new(tx.compute_txid(), 0),
            found: old.aggregate_key().serialize(),
            current: new.aggregate_key().serialize(),
        })
    );
    // The set that holds the key would sweep it.
    assert!(old.review(&d, &best).is_ok());
}

/// Sweeps one deposit of `amount` capped at `max_fee`, at `rate` sats per vbyte.
fn sweep_one(
    signers: &SbtcSigners,
    amount: u64,
    max_fee: u64,
    rate: u64,
) -> Result<Sweep, Refusal> {
    let s = scripts(&signers.aggregate_key(), max_fee);
    let tx = deposit_tx(
        &[amount.to_le_bytes(), max_fee.to_le_bytes()].concat(),
        &s,
        amount,
    );
    let mut chain = ChainBuilder::new();
    chain
        .mine_on_tip(&CoinbaseSpec::default().with_txs(vec![tx.clone()]))
        .unwrap();
    let c = signers
        .review(&registered(&tx, 0, &s), &chain.best_chain())
        .unwrap();
    signers.sweep(&[c], rate)
}

#[test]
fn a_fee_share_above_max_fee_or_leaving_dust_is_refused() {
    let signers = SbtcSigners::from_seed(b"sbtc signers, set 1");
    // One deposit's sweep at 1 sat/vB: its share is the whole fee (the max fee field
    // has a fixed size, so the cap does not change the weight).
    let share = sweep_one(&signers, 50_000, 100_000, 1).unwrap().shares[0].0;
    assert!(share > 100, "{share}");
    // A cap of exactly the share passes; one sat less is refused.
    assert_eq!(
        sweep_one(&signers, 50_000, share, 1).unwrap().shares[0],
        (share, 50_000 - share)
    );
    assert!(matches!(
        sweep_one(&signers, 50_000, share - 1, 1),
        Err(Refusal::Fee { max_fee, .. }) if max_fee == share - 1
    ));
    // What is minted must be at least dust: exactly 546 passes, 545 is refused.
    assert_eq!(
        sweep_one(&signers, 546 + share, 100_000, 1).unwrap().shares[0].1,
        546
    );
    assert!(matches!(
        sweep_one(&signers, 545 + share, 100_000, 1),
        Err(Refusal::Fee { minted: 545, .. })
    ));
}

/// Issue 16's acceptance: our forward, built on a key the sBTC signers rotated away
/// from, is refused by them and comes back to the Silica's payout script through the
/// reclaim leaf, signed by 2 of our 3 signers after the lock time.
#[test]
fn a_forward_on_a_rotated_out_key_is_refused_and_reclaimed_to_the_payout_script() {
    use alkahest_protocol::sbtc::multisig_reclaim_tail;
    use alkahest_protocol::script::payout_script;
    use alkahest_signer::forward::{build_reclaim, finish_reclaim, sign_reclaim, x_only};

    let ours: Vec<SignerKey> = {
        let mut k: Vec<SignerKey> = (0..3u8).map(|i| SignerKey::from_seed(&[b'o', i])).collect();
        k.sort_by_key(|k| k.public_key());
        k
    };
    let xonly: Vec<XOnlyPublicKey> = ours.iter().map(|k| x_only(&k.public_key())).collect();
    let binding = alkahest_clarity::binding();
    let pubkeys: Vec<_> = ours.iter().map(|k| k.public_key()).collect();
    let payout = ScriptBuf::from_bytes(payout_script(&binding, 1, &pubkeys, 2).unwrap());

    let old = SbtcSigners::from_seed(b"sbtc signers, set 1");
    let new = SbtcSigners::from_seed(b"sbtc signers, set 2");
    let tail = multisig_reclaim_tail(&xonly, 2).unwrap();
    let lock = crate::scenario::settling::RECLAIM_LOCK;
    let s = DepositScripts::new(&silica(), 5_000, &old.aggregate_key(), lock, &tail).unwrap();
    let forward = deposit_tx(b"forward on the old key", &s, 134_500);
    let d = registered(&forward, 0, &s);
    let mut chain = ChainBuilder::new();
    chain
        .mine_on_tip(&CoinbaseSpec::default().with_txs(vec![forward.clone()]))
        .unwrap();
    assert!(matches!(
        new.review(&d, &chain.best_chain()),
        Err(Refusal::StaleKey { .. })
    ));

    let outpoint = OutPoint::new(forward.compute_txid(), 0);
    let value = Amount::from_sat(134_500);
    let mut reclaim = build_reclaim(outpoint, value, lock, &payout, Amount::from_sat(500)).unwrap();
    let signed: Vec<_> = ours[..2]
        .iter()
        .map(|k| sign_reclaim(k, &reclaim, &s, value))
        .collect();
    finish_reclaim(&mut reclaim, &s, value, &xonly, 2, &signed).unwrap();
    assert_eq!(reclaim.input[0].previous_output, outpoint);
    assert_eq!(reclaim.input[0].sequence, Sequence::from_height(lock));
    assert_eq!(reclaim.output.len(), 1);
    assert_eq!(reclaim.output[0].script_pubkey, payout);
    assert_eq!(reclaim.output[0].value.to_sat(), 134_000);
    // The witness spends the reclaim leaf (its control block matches the tree).
    let w: Vec<&[u8]> = reclaim.input[0].witness.iter().collect();
    assert_eq!(w[w.len() - 2], s.reclaim.as_bytes());
    let control = s
        .spend_info()
        .control_block(&(s.reclaim.clone(), bitcoin::taproot::LeafVersion::TapScript))
        .unwrap();
    assert_eq!(w[w.len() - 1], control.serialize().as_slice());
}
