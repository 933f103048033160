//! Each signer's review of a forward against its own index of a regtest chain: the
//! proposal is signed only when identical to its own rebuild, the attestation only for
//! the deposit as built, confirmed, with the sats its index counts.

use std::str::FromStr;

use alkahest_indexer::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::storage::{DbWrite, SqliteStore};
use alkahest_indexer::types::WindowSpec;
use alkahest_protocol::index::WorkModel;
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::message::Binding;
use alkahest_protocol::principal::Principal;
use alkahest_protocol::script::payout_script;
use bitcoin::key::XOnlyPublicKey;
use bitcoin::TxOut;

use super::*;
use crate::attest::SignerConfig;
use crate::forward::finish_input;
use crate::tests::index_scripts;

fn binding() -> Binding {
    Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap()
}

fn keys() -> Vec<SignerKey> {
    let mut k: Vec<SignerKey> = (0..3u8).map(|i| SignerKey::from_seed(&[b'r', i])).collect();
    k.sort_by_key(|k| k.public_key());
    k
}

fn pubkeys() -> Vec<CompressedKey> {
    keys().iter().map(|k| k.public_key()).collect()
}

fn payout() -> ScriptBuf {
    ScriptBuf::from_bytes(payout_script(&binding(), 1, &pubkeys(), 2).unwrap())
}

fn sbtc_key(hex: &str) -> XOnlyPublicKey {
    XOnlyPublicKey::from_str(hex).unwrap()
}

const LIVE: &str = "567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e";
const OTHER: &str = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

/// Window 0 (heights 4..=7, length 4) of Silica 1.
fn plan(key: &str) -> ForwardPlan {
    let silica = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
    ForwardPlan {
        terms: WindowTerms {
            silica_id: 1,
            payout_script: payout(),
            start: Height(4),
            window_length: 4,
        },
        first: 0,
        last: 0,
        deposit: DepositScripts::new(&silica, 5_000, &sbtc_key(key), 50, &ScriptBuf::new())
            .unwrap(),
        fee: Amount::from_sat(500),
        minimum: Amount::from_sat(10_000),
    }
}

/// Heights 4..=7 pay P `1,000·h` in the coinbase, height 5 also 777 in an ordinary
/// transaction and height 8 (window 1) 333; mined to `tip`, then `extra` in one more block.
fn chain(tip: u32, extra: Option<Transaction>) -> ChainBuilder {
    let mut c = ChainBuilder::new();
    for h in 1..=tip {
        let mut spec = CoinbaseSpec::default();
        if (4..=7).contains(&h) {
            spec = spec.pay(payout(), Amount::from_sat(1_000 * u64::from(h)));
        }
        let paid = match h {
            5 => 777,
            8 => 333,
            _ => 0,
        };
        if paid > 0 {
            let out = TxOut {
                value: Amount::from_sat(paid),
                script_pubkey: payout(),
            };
            spec = spec.with_txs(vec![payment_tx(&h.to_le_bytes(), vec![out])]);
        }
        c.mine_on_tip(&spec).unwrap();
    }
    if let Some(tx) = extra {
        c.mine_on_tip(&CoinbaseSpec::default().with_txs(vec![tx]))
            .unwrap();
    }
    c
}

/// Signer `i` over its own index of `c`, watching P and the plan's deposit output.
async fn signer(i: usize, c: &ChainBuilder) -> Signer<SqliteStore> {
    let deposit = plan(LIVE).deposit.output_script();
    let store = index_scripts(c, &[(&payout(), Height(0)), (&deposit, Height(0))]).await;
    signer_on(i, store)
}

fn signer_on(i: usize, store: SqliteStore) -> Signer<SqliteStore> {
    Signer::new(
        keys()[i].clone(),
        store,
        SignerConfig {
            confirmations: 3,
            binding: binding(),
            work_model: WorkModel::Header,
        },
    )
}

fn refusal(r: Result<impl std::fmt::Debug, AttestError>) -> String {
    match r {
        Err(AttestError::Refused(Refusal::Forward(why))) => why,
        other => panic!("expected a forward refusal, got {other:?}"),
    }
}

/// The forward of window 0, signed by signers 0 and 2 (a 2-of-3 quorum).
async fn signed_forward(c: &ChainBuilder) -> Transaction {
    let p = plan(LIVE);
    let coordinator = signer(1, c).await;
    let (mut tx, utxos) = coordinator.build_forward(&p).await.unwrap();
    let mut signed = vec![Vec::new(); tx.input.len()];
    for i in [0, 2] {
        let s = signer(i, c).await;
        let sigs = s.sign_forward_tx(&p, &tx, &pubkeys(), 2).await.unwrap();
        for (n, sig) in sigs.into_iter().enumerate() {
            signed[n].push((pubkeys()[i], sig));
        }
    }
    let witness = ScriptBuf::from_bytes(
        alkahest_protocol::script::payout_witness_script(&binding(), 1, &pubkeys(), 2).unwrap(),
    );
    for (n, u) in utxos.iter().enumerate() {
        finish_input(&mut tx, n, &witness, u.value, &pubkeys(), 2, &signed[n]).unwrap();
    }
    tx
}

#[tokio::test]
async fn the_forward_spends_the_windows_payouts_from_the_signers_own_index() {
    let c = chain(107, None);
    let s = signer(0, &c).await;
    let utxos = s.payout_utxos(&plan(LIVE)).await.unwrap();
    // Four coinbase outputs and the ordinary payment; not window 1's 333.
    let mut values: Vec<(u64, bool)> = utxos
        .iter()
        .map(|u| (u.value.to_sat(), u.coinbase))
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            (777, false),
            (4_000, true),
            (5_000, true),
            (6_000, true),
            (7_000, true)
        ]
    );
    let (tx, spent) = s.build_forward(&plan(LIVE)).await.unwrap();
    assert_eq!(tx.input.len(), 5);
    assert_eq!(spent.len(), 5);
    assert_eq!(tx.output[0].value.to_sat(), 22_777 - 500);
    assert_eq!(
        tx.output[0].script_pubkey,
        plan(LIVE).deposit.output_script()
    );
    // Inputs are in outpoint order, and so are the outputs the signatures commit to.
    for (input, u) in tx.input.iter().zip(&spent) {
        assert_eq!(input.previous_output, u.outpoint);
    }
    // One block earlier, height 7's coinbase output is not yet spendable.
    let early = signer(0, &chain(106, None)).await;
    assert!(matches!(
        refusal(early.build_forward(&plan(LIVE)).await),
        why if why.contains("spendable from tip 107")
    ));
    // An index that has not scanned P's ordinary transactions refuses to build.
    let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
        .await
        .unwrap();
    store
        .watch_script(&payout(), "silica-1", Height(0))
        .await
        .unwrap();
    let blind = signer_on(0, store);
    assert!(matches!(
        blind.payout_utxos(&plan(LIVE)).await,
        Err(AttestError::Observe(ObserveError::NotScanned(_)))
    ));
}

#[tokio::test]
async fn a_signer_signs_only_the_forward_it_builds_itself() {
    let c = chain(107, None);
    let p = plan(LIVE);
    let s = signer(0, &c).await;
    let (tx, _) = s.build_forward(&p).await.unwrap();
    assert_eq!(
        s.sign_forward_tx(&p, &tx, &pubkeys(), 2)
            .await
            .unwrap()
            .len(),
        5
    );
    let mut more = tx.clone();
    more.output[0].value = Amount::from_sat(more.output[0].value.to_sat() + 1);
    let mut fewer = tx.clone();
    fewer.input.pop();
    let mut elsewhere = tx.clone();
    elsewhere.output[0].script_pubkey = plan(OTHER).deposit.output_script();
    let mut change = tx.clone();
    change.output.push(TxOut {
        value: Amount::from_sat(1),
        script_pubkey: ScriptBuf::new(),
    });
    for bad in [more, fewer, elsewhere, change] {
        let why = refusal(s.sign_forward_tx(&p, &bad, &pubkeys(), 2).await);
        assert!(why.contains("is not the forward"), "{why}");
    }
    // A set that does not hold P (another threshold makes another script).
    let why = refusal(s.sign_forward_tx(&p, &tx, &pubkeys(), 3).await);
    assert!(why.contains("does not control"), "{why}");
    // Witnesses are not part of what is compared.
    let signed = signed_forward(&c).await;
    assert!(s.sign_forward_tx(&p, &signed, &pubkeys(), 2).await.is_ok());
}

#[tokio::test]
async fn the_forward_attestation_names_the_deposit_as_built_and_confirmed() {
    let before = chain(107, None);
    let tx = signed_forward(&before).await;
    let txid = tx.compute_txid();
    let p = plan(LIVE);
    let good = Forward {
        silica_id: 1,
        window: 0,
        sats: 22_777,
        txid: txid.to_byte_array(),
        vout: 0,
    };
    // Not yet in this signer's chain.
    let why = refusal(signer(0, &before).await.sign_forward(&p, &tx, &good).await);
    assert!(why.contains("not confirmed"), "{why}");
    // Another transaction paying the same deposit output (at vout 0) is not this one.
    let copycat = payment_tx(
        b"someone else pays the deposit script",
        vec![TxOut {
            value: tx.output[0].value,
            script_pubkey: p.deposit.output_script(),
        }],
    );
    let why = refusal(
        signer(0, &chain(107, Some(copycat)))
            .await
            .sign_forward(&p, &tx, &good)
            .await,
    );
    assert!(why.contains("not confirmed"), "{why}");

    let after = chain(107, Some(tx.clone()));
    let s = signer(0, &after).await;
    let sig = s.sign_forward(&p, &tx, &good).await.unwrap();
    assert_eq!(
        sig.recover(&good.id(&binding())).unwrap(),
        pubkeys()[0],
        "a signature over the forward id"
    );
    let variants = [
        Forward {
            silica_id: 2,
            ..good.clone()
        },
        Forward {
            window: 1,
            ..good.clone()
        },
        Forward {
            sats: 22_776,
            ..good.clone()
        },
        Forward {
            sats: 22_277,
            ..good.clone()
        },
        Forward {
            txid: [0; 32],
            ..good.clone()
        },
        Forward {
            vout: 1,
            ..good.clone()
        },
    ];
    for bad in variants {
        let why = refusal(s.sign_forward(&p, &tx, &bad).await);
        assert!(why.contains("differs"), "{why}");
    }
    let mut other = tx.clone();
    other.output[0].value = Amount::from_sat(1);
    let why = refusal(s.sign_forward(&p, &other, &good).await);
    assert!(why.contains("is not the forward"), "{why}");
}
