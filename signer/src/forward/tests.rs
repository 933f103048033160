//! Forwarding payouts: maturity at its boundary, the deposit output, and M-of-N
//! witnesses whose signatures verify against BIP143 in the script's key order.

use super::*;
use alkahest_protocol::message::Binding;
use alkahest_protocol::principal::Principal;
use alkahest_protocol::script::payout_witness_script;
use bitcoin::key::XOnlyPublicKey;
use bitcoin::Txid;
use std::str::FromStr;

fn keys() -> Vec<SignerKey> {
    let mut k: Vec<SignerKey> = (0..3u8).map(|i| SignerKey::from_seed(&[b's', i])).collect();
    k.sort_by_key(|k| k.public_key());
    k
}

fn deposit() -> DepositScripts {
    let key = XOnlyPublicKey::from_str(
        "567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e",
    )
    .unwrap();
    let silica = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
    DepositScripts::new(&silica, 10_000, &key, 144, &ScriptBuf::new()).unwrap()
}

fn utxo(seed: u8, value: u64, height: u32, coinbase: bool) -> PayoutUtxo {
    PayoutUtxo {
        outpoint: OutPoint::new(Txid::from_byte_array([seed; 32]), 0),
        value: Amount::from_sat(value),
        height: Height(height),
        coinbase,
    }
}

#[test]
fn a_coinbase_payout_is_forwarded_only_once_mature_and_an_ordinary_one_at_once() {
    let d = deposit();
    let (fee, min) = (Amount::from_sat(500), Amount::from_sat(546));
    let cb = utxo(1, 60_000, 10, true);
    assert_eq!(cb.spendable_at(), 110);
    assert_eq!(
        build_forward(std::slice::from_ref(&cb), Height(109), &d, fee, min),
        Err(ForwardError::Immature {
            outpoint: cb.outpoint,
            height: 10,
            spendable_at: 110,
            tip: 109
        })
    );
    assert!(build_forward(std::slice::from_ref(&cb), Height(110), &d, fee, min).is_ok());
    let fpps = utxo(2, 15_000, 50, false);
    assert!(build_forward(std::slice::from_ref(&fpps), Height(50), &d, fee, min).is_ok());

    let tx = build_forward(&[fpps.clone(), cb.clone()], Height(110), &d, fee, min).unwrap();
    assert_eq!(tx.output.len(), 1);
    assert_eq!(tx.output[0].script_pubkey, d.output_script());
    assert_eq!(tx.output[0].value.to_sat(), 75_000 - 500);
    // Inputs in outpoint order, whatever the order given.
    assert_eq!(tx.input[0].previous_output, cb.outpoint);
    assert_eq!(
        build_forward(&[], Height(1), &d, fee, min),
        Err(ForwardError::Empty)
    );
    // What is left after the fee must be a depositable amount: 546 passes, 545 not.
    let small = utxo(3, 1_046, 5, false);
    assert!(build_forward(std::slice::from_ref(&small), Height(5), &d, fee, min).is_ok());
    assert!(matches!(
        build_forward(&[utxo(3, 1_045, 5, false)], Height(5), &d, fee, min),
        Err(ForwardError::TooSmall { .. })
    ));
}

#[test]
fn two_of_three_signatures_make_a_witness_in_script_order() {
    let keys = keys();
    let pubs: Vec<CompressedKey> = keys.iter().map(|k| k.public_key()).collect();
    let b = Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    let ws = ScriptBuf::from_bytes(payout_witness_script(&b, 1, &pubs, 2).unwrap());
    let u = utxo(4, 60_000, 10, true);
    let mut tx = build_forward(
        std::slice::from_ref(&u),
        Height(200),
        &deposit(),
        Amount::from_sat(400),
        Amount::from_sat(546),
    )
    .unwrap();
    // Signatures arrive in any order; one is from an unknown key, one is over another
    // value (so over another sighash): neither counts.
    let stranger = SignerKey::from_seed(b"stranger");
    let signed = vec![
        (pubs[2], sign_input(&keys[2], &tx, 0, &ws, u.value)),
        (
            stranger.public_key(),
            sign_input(&stranger, &tx, 0, &ws, u.value),
        ),
        (
            pubs[0],
            sign_input(&keys[0], &tx, 0, &ws, Amount::from_sat(1)),
        ),
    ];
    assert_eq!(
        finish_input(&mut tx, 0, &ws, u.value, &pubs, 2, &signed),
        Err(ForwardError::Quorum {
            found: 1,
            threshold: 2
        })
    );
    let mut signed = signed;
    signed.push((pubs[1], sign_input(&keys[1], &tx, 0, &ws, u.value)));
    let txid = tx.compute_txid();
    finish_input(&mut tx, 0, &ws, u.value, &pubs, 2, &signed).unwrap();
    let w: Vec<&[u8]> = tx.input[0].witness.iter().collect();
    assert_eq!(w.len(), 4);
    assert!(w[0].is_empty(), "OP_CHECKMULTISIG's extra pop");
    assert_eq!(w[3], ws.as_bytes());
    // Key order: keys[1] before keys[2].
    let secp = Secp256k1::verification_only();
    let msg = Message::from_digest(sighash(&tx, 0, &ws, u.value));
    for (sig, key) in [(w[1], pubs[1]), (w[2], pubs[2])] {
        let der = bitcoin::secp256k1::ecdsa::Signature::from_der(&sig[..sig.len() - 1]).unwrap();
        let pk = bitcoin::secp256k1::PublicKey::from_slice(&key).unwrap();
        secp.verify_ecdsa(&msg, &der, &pk).unwrap();
        assert_eq!(*sig.last().unwrap(), 0x01);
    }
    // The witness does not change the txid (what the deposit is registered under).
    assert_eq!(tx.compute_txid(), txid);
}

/// Steps: a deposit whose reclaim leaf our 2-of-3 signers hold (`OP_DROP` then a
/// tapscript multisig) is reclaimed to the payout script after its lock time: the input
/// waits `lock_time` blocks (BIP68), the witness has one element per key, last key
/// first, two valid BIP340 signatures and an empty one, then the leaf and a control
/// block that commits to the deposit's output key.
#[test]
fn a_deposit_comes_back_to_the_payout_script_through_the_reclaim_leaf() {
    use alkahest_protocol::sbtc::multisig_reclaim_tail;
    let keys = keys();
    let secp = Secp256k1::new();
    let xonly: Vec<XOnlyPublicKey> = keys
        .iter()
        .map(|k| {
            Keypair::from_seckey_slice(&secp, &k.secret_bytes())
                .unwrap()
                .x_only_public_key()
                .0
        })
        .collect();
    let stale_key = XOnlyPublicKey::from_str(
        "567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e",
    )
    .unwrap();
    let silica = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
    let tail = multisig_reclaim_tail(&xonly, 2).unwrap();
    let d = DepositScripts::new(&silica, 10_000, &stale_key, 144, &tail).unwrap();
    let payout = ScriptBuf::from_bytes(vec![0x00, 0x20].into_iter().chain([9u8; 32]).collect());
    let outpoint = OutPoint::new(Txid::from_byte_array([5; 32]), 0);
    let value = Amount::from_sat(74_500);
    let mut tx = build_reclaim(outpoint, value, 144, &payout, Amount::from_sat(300)).unwrap();
    assert_eq!(tx.input[0].sequence, Sequence::from_height(144));
    assert_eq!(tx.output[0].script_pubkey, payout);
    assert_eq!(tx.output[0].value.to_sat(), 74_200);
    assert!(build_reclaim(outpoint, value, 144, &payout, Amount::from_sat(74_501)).is_none());

    // The sighash is BIP341's for the reclaim leaf over this output, computed here
    // independently.
    let prevout = TxOut {
        value,
        script_pubkey: d.output_script(),
    };
    let expected = SighashCache::new(&tx)
        .taproot_script_spend_signature_hash(
            0,
            &Prevouts::All(&[prevout]),
            TapLeafHash::from_script(&d.reclaim, LeafVersion::TapScript),
            TapSighashType::Default,
        )
        .unwrap();
    assert_eq!(reclaim_sighash(&tx, &d, value), expected.to_byte_array());
    assert_ne!(
        reclaim_sighash(&tx, &d, value),
        reclaim_sighash(&tx, &d, Amount::from_sat(1))
    );

    let one = [sign_reclaim(&keys[0], &tx, &d, value)];
    assert_eq!(
        finish_reclaim(&mut tx, &d, value, &xonly, 2, &one),
        Err(ForwardError::Quorum {
            found: 1,
            threshold: 2
        })
    );
    // A signature over another amount does not count.
    let wrong = sign_reclaim(&keys[2], &tx, &d, Amount::from_sat(1));
    let signed = [one[0], wrong, sign_reclaim(&keys[1], &tx, &d, value)];
    finish_reclaim(&mut tx, &d, value, &xonly, 2, &signed).unwrap();
    let w: Vec<&[u8]> = tx.input[0].witness.iter().collect();
    assert_eq!(w.len(), 3 + 2);
    // Last key first: keys[2] did not sign validly (empty), then keys[1], keys[0].
    assert!(w[0].is_empty());
    let msg = Message::from_digest(reclaim_sighash(&tx, &d, value));
    for (sig, key) in [(w[1], xonly[1]), (w[2], xonly[0])] {
        let sig = bitcoin::secp256k1::schnorr::Signature::from_slice(sig).unwrap();
        secp.verify_schnorr(&sig, &msg, &key).unwrap();
    }
    assert_eq!(w[3], d.reclaim.as_bytes());
    // An invalid signature from a listed key never completes a quorum.
    let mut other = tx.clone();
    assert_eq!(
        finish_reclaim(&mut other, &d, value, &xonly, 2, &[one[0], wrong]),
        Err(ForwardError::Quorum {
            found: 1,
            threshold: 2
        })
    );
    // Three valid signatures, threshold 2: exactly two go in (the first two keys').
    let all = [0, 1, 2].map(|i| sign_reclaim(&keys[i], &tx, &d, value));
    finish_reclaim(&mut other, &d, value, &xonly, 2, &all).unwrap();
    let w3: Vec<&[u8]> = other.input[0].witness.iter().collect();
    assert_eq!(
        w3[..3].iter().map(|e| e.len()).collect::<Vec<_>>(),
        vec![0, 64, 64]
    );
    let control = bitcoin::taproot::ControlBlock::decode(w[4]).unwrap();
    let output_key = d.spend_info().output_key().to_x_only_public_key();
    assert!(control.verify_taproot_commitment(&secp, output_key, &d.reclaim));
}
