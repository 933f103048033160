//! Unit tests of the signer's decisions that run without the `simnet` feature: every
//! refusal in [`crate::attest`] and [`crate::deposit`], each at its boundary, against a
//! real in-memory index of a regtest chain. The simnet integration tests cover the same
//! rules end to end over HTTP; these pin each comparison so that mutation testing
//! (`docs/mutation.md`) sees a failing test for each guard in a default build.

use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbRead, DbWrite, SqliteStore, WatchState};
use alkahest_indexer::types::{Height, WindowSpec};
use alkahest_protocol::index::WorkModel;
use alkahest_protocol::key::SignerKey;
use alkahest_protocol::message::{Binding, Delivery, Deposit};
use alkahest_protocol::principal::Principal;
use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, Network, ScriptBuf};

use crate::attest::{AttestError, Refusal, Signer, SignerConfig};
use crate::deposit::deposit_script;
use crate::observer::{ObserveError, WindowTerms};

/// Window 0 of the test Silica is heights 4..=7, so with 3 confirmations it is final
/// at height 10.
const CONFIRMATIONS: u32 = 3;
const FINAL_AT: u32 = 10;

fn binding() -> Binding {
    Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap()
}

fn payout_script() -> ScriptBuf {
    let mut bytes = vec![0x00, 0x20];
    bytes.extend_from_slice(&[0x5a; 32]);
    ScriptBuf::from_bytes(bytes)
}

fn terms() -> WindowTerms {
    WindowTerms {
        silica_id: 1,
        payout_script: payout_script(),
        start: Height(4),
        window_length: 4,
    }
}

/// Indexes `c` into a fresh in-memory store watching the payout script.
async fn index(c: &ChainBuilder) -> SqliteStore {
    index_watching(c, Some(Height(0))).await
}

/// Indexes `c`, watching the payout script from `watch` (before indexing) if given.
async fn index_watching(c: &ChainBuilder, watch: Option<Height>) -> SqliteStore {
    let payout = payout_script();
    let watched: Vec<(&ScriptBuf, Height)> =
        watch.map(|from| (&payout, from)).into_iter().collect();
    index_scripts(c, &watched).await
}

/// Indexes `c` into a fresh in-memory store watching each `(script, from)` first.
pub(crate) async fn index_scripts(
    c: &ChainBuilder,
    watched: &[(&ScriptBuf, Height)],
) -> SqliteStore {
    let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
        .await
        .unwrap();
    for (script, from) in watched {
        store.watch_script(script, "watched", *from).await.unwrap();
    }
    let source = RegtestSource::new(Arc::new(Mutex::new(c.clone())));
    let config = FollowerConfig {
        network: Network::Regtest,
        progress: false,
        ..FollowerConfig::default()
    };
    let mut f = Follower::new(source, store, PoolSet::default(), config);
    f.sync().await.unwrap();
    f.into_store()
}

/// A signer over a chain of `tip` blocks whose heights 4..=7 pay the payout script
/// `1_000 · h` sats.
async fn window_signer(tip: u32) -> Signer<SqliteStore> {
    let mut c = ChainBuilder::new();
    for h in 1..=tip {
        let mut spec = CoinbaseSpec::default().with_fees(Amount::from_sat(100 + u64::from(h)));
        if (4..=7).contains(&h) {
            spec = spec.pay(payout_script(), Amount::from_sat(1_000 * u64::from(h)));
        }
        c.mine_on_tip(&spec).unwrap();
    }
    signer(SignerKey::from_seed(b"attest unit"), index(&c).await)
}

fn signer(key: SignerKey, store: SqliteStore) -> Signer<SqliteStore> {
    Signer::new(
        key,
        store,
        SignerConfig {
            confirmations: CONFIRMATIONS,
            binding: binding(),
            work_model: WorkModel::Header,
        },
    )
}

/// The hash of this signer's block at `h`, in display order (as the contract has it).
async fn pin(signer: &Signer<SqliteStore>, h: u32) -> [u8; 32] {
    let mut hash = signer
        .store()
        .block(Height(h))
        .await
        .unwrap()
        .unwrap()
        .hash
        .to_byte_array();
    hash.reverse();
    hash
}

async fn refusal(signer: &Signer<SqliteStore>, p: &Delivery) -> Refusal {
    match signer.check(&terms(), p).await {
        Err(AttestError::Refused(r)) => r,
        other => panic!("expected a refusal of {p:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_final_window_is_proposed_with_the_signers_own_numbers_and_signed() {
    let s = window_signer(12).await;
    let hash = pin(&s, 12).await;
    let p = s.propose(&terms(), 0, 12, hash).await.unwrap();
    assert_eq!(
        (
            p.silica_id,
            p.window,
            p.delivered,
            p.burn_height,
            p.burn_hash
        ),
        (1, 0, 1_000 * (4 + 5 + 6 + 7), 12, hash)
    );
    // Heights 4..=7: the regtest subsidy (50 BTC) plus fees of 100 + h sats each, and a
    // regtest block's work of 2 expected hashes each.
    let reward = 4 * 5_000_000_000u128 + (104 + 105 + 106 + 107);
    assert_eq!(
        p.index,
        alkahest_protocol::index::window_index(reward, 4 * 2).unwrap()
    );
    let sig = s.sign(&terms(), &p).await.unwrap();
    assert_eq!(sig.recover(&p.id(&binding())), Some(s.key().public_key()));
}

/// A chain of 12 blocks like [`window_signer`]'s, where ordinary transactions also pay
/// the payout script 777 sats at height 5 (window 0) and 333 at height 8 (window 1).
fn chain_with_ordinary_payouts() -> ChainBuilder {
    let mut c = ChainBuilder::new();
    for h in 1..=12u32 {
        let mut spec = CoinbaseSpec::default().with_fees(Amount::from_sat(100 + u64::from(h)));
        if (4..=7).contains(&h) {
            spec = spec.pay(payout_script(), Amount::from_sat(1_000 * u64::from(h)));
        }
        let paid = match h {
            5 => 777,
            8 => 333,
            _ => 0,
        };
        if paid > 0 {
            let out = bitcoin::TxOut {
                value: Amount::from_sat(paid),
                script_pubkey: payout_script(),
            };
            spec = spec.with_txs(vec![payment_tx(&h.to_le_bytes(), vec![out])]);
        }
        c.mine_on_tip(&spec).unwrap();
    }
    c
}

#[tokio::test]
async fn an_ordinary_payout_in_the_window_counts_as_delivery() {
    let s = signer(
        SignerKey::from_seed(b"ordinary"),
        index(&chain_with_ordinary_payouts()).await,
    );
    let hash = pin(&s, 12).await;
    let p = s.propose(&terms(), 0, 12, hash).await.unwrap();
    assert_eq!(p.delivered, 1_000 * (4 + 5 + 6 + 7) + 777);
    // A proposal that counts coinbases only is refused by a signer that sees both.
    let mut short = p.clone();
    short.delivered -= 777;
    assert!(matches!(
        refusal(&s, &short).await,
        Refusal::Delivered { observed, .. } if observed == p.delivered
    ));
}

#[tokio::test]
async fn a_window_is_not_observed_until_its_payout_script_is_scanned() {
    let c = chain_with_ordinary_payouts();
    // Not watched: its ordinary payouts were never looked for.
    let s = signer(
        SignerKey::from_seed(b"unwatched"),
        index_watching(&c, None).await,
    );
    let hash = pin(&s, 12).await;
    assert!(matches!(
        s.propose(&terms(), 0, 12, hash).await,
        Err(AttestError::Observe(ObserveError::NotScanned(
            WatchState::Unwatched
        )))
    ));
    // Watched after indexing: refused until the follower's rescan has run.
    s.store()
        .watch_script(&payout_script(), "silica-1", Height(4))
        .await
        .unwrap();
    assert!(matches!(
        s.propose(&terms(), 0, 12, hash).await,
        Err(AttestError::Observe(ObserveError::NotScanned(
            WatchState::Rescanning(Height(4))
        )))
    ));
}

#[tokio::test]
async fn a_window_is_final_exactly_at_last_height_plus_confirmations() {
    // Tip at the final height: signed, pinned at the tip.
    let s = window_signer(FINAL_AT).await;
    let p = s
        .propose(&terms(), 0, FINAL_AT.into(), pin(&s, FINAL_AT).await)
        .await
        .unwrap();
    s.sign(&terms(), &p).await.unwrap();
    // One block short: refused with the numbers, whatever the proposal says.
    let short = window_signer(FINAL_AT - 1).await;
    let p = Delivery {
        burn_height: (FINAL_AT - 1).into(),
        burn_hash: pin(&short, FINAL_AT - 1).await,
        ..p
    };
    assert_eq!(
        refusal(&short, &p).await,
        Refusal::NotFinal {
            window: 0,
            last: 7,
            final_at: FINAL_AT.into(),
            tip: FINAL_AT - 1,
        }
    );
}

#[tokio::test]
async fn a_pin_before_finality_is_refused_and_at_finality_accepted() {
    let s = window_signer(12).await;
    let good = s.propose(&terms(), 0, 12, pin(&s, 12).await).await.unwrap();
    let at = Delivery {
        burn_height: FINAL_AT.into(),
        burn_hash: pin(&s, FINAL_AT).await,
        ..good.clone()
    };
    s.check(&terms(), &at).await.unwrap();
    let before = Delivery {
        burn_height: (FINAL_AT - 1).into(),
        burn_hash: pin(&s, FINAL_AT - 1).await,
        ..good
    };
    assert_eq!(
        refusal(&s, &before).await,
        Refusal::BurnHeight {
            burn_height: (FINAL_AT - 1).into(),
            final_at: FINAL_AT.into(),
        }
    );
}

#[tokio::test]
async fn a_pin_must_be_the_signers_own_block_at_or_below_its_tip() {
    let s = window_signer(12).await;
    let good = s.propose(&terms(), 0, 12, pin(&s, 12).await).await.unwrap();
    for burn_height in [13, u128::from(u32::MAX) + 1] {
        let ahead = Delivery {
            burn_height,
            ..good.clone()
        };
        assert_eq!(
            refusal(&s, &ahead).await,
            Refusal::BurnHeightAhead {
                burn_height,
                tip: 12
            }
        );
    }
    let made_up = Delivery {
        burn_hash: [0x11; 32],
        ..good.clone()
    };
    assert!(matches!(
        refusal(&s, &made_up).await,
        Refusal::BurnHash { height: 12, .. }
    ));
    // The stored hash in internal byte order is not what the contract compares.
    let mut internal = good.burn_hash;
    internal.reverse();
    let reversed = Delivery {
        burn_hash: internal,
        ..good.clone()
    };
    assert!(matches!(
        refusal(&s, &reversed).await,
        Refusal::BurnHash { .. }
    ));
    // Below the tip, the signer's own block there is accepted.
    s.check_burn_pin(11, &pin(&s, 11).await, 12).await.unwrap();
}

#[tokio::test]
async fn numbers_that_differ_from_the_signers_index_are_refused() {
    let s = window_signer(12).await;
    let good = s.propose(&terms(), 0, 12, pin(&s, 12).await).await.unwrap();
    let more = Delivery {
        delivered: good.delivered + 1,
        ..good.clone()
    };
    assert_eq!(
        refusal(&s, &more).await,
        Refusal::Delivered {
            proposed: good.delivered + 1,
            observed: good.delivered
        }
    );
    let index = Delivery {
        index: good.index - 1,
        ..good.clone()
    };
    assert_eq!(
        refusal(&s, &index).await,
        Refusal::Index {
            proposed: good.index - 1,
            observed: good.index
        }
    );
    let other = Delivery {
        silica_id: 2,
        ..good.clone()
    };
    assert_eq!(
        refusal(&s, &other).await,
        Refusal::WrongSilica {
            proposed: 2,
            terms: 1
        }
    );
    let far = Delivery {
        window: u128::from(u32::MAX) + 1,
        ..good
    };
    assert!(matches!(
        refusal(&s, &far).await,
        Refusal::WindowOutOfRange(_)
    ));
}

/// Two deposit recipients and a 2-of-2 set, plus a chain of `tip` blocks whose block 2
/// pays alice's deposit script 50,000 sats: final at 2 + 3 = 5.
struct DepositCase {
    signer: Signer<SqliteStore>,
    set: Vec<[u8; 33]>,
    good: Deposit,
    bob: Principal,
}

const DEPOSIT_FINAL_AT: u32 = 5;

async fn deposit_case(tip: u32) -> DepositCase {
    let keys = [
        SignerKey::from_seed(b"dep a"),
        SignerKey::from_seed(b"dep b"),
    ];
    let mut set: Vec<[u8; 33]> = keys.iter().map(SignerKey::public_key).collect();
    set.sort();
    let alice = Principal::parse("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5").unwrap();
    let bob = Principal::parse("ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG").unwrap();
    let script = deposit_script(&binding(), &alice, &set, 2).unwrap();
    let mut c = ChainBuilder::new();
    for h in 1..=tip {
        let mut spec = CoinbaseSpec::default();
        if h == 2 {
            spec = spec.pay(script.clone(), Amount::from_sat(50_000));
        }
        c.mine_on_tip(&spec).unwrap();
    }
    let store = index(&c).await;
    let txid = store
        .block(Height(2))
        .await
        .unwrap()
        .unwrap()
        .coinbase_txid
        .to_byte_array();
    let signer = signer(keys[0].clone(), store);
    let good = Deposit {
        txid,
        vout: 0,
        amount: 50_000,
        recipient: alice,
        burn_height: tip.into(),
        burn_hash: pin(&signer, tip).await,
    };
    DepositCase {
        signer,
        set,
        good,
        bob,
    }
}

impl DepositCase {
    async fn refused(&self, d: &Deposit) -> String {
        match self.signer.sign_deposit(d, &self.set, 2).await {
            Err(AttestError::Refused(r)) => r.to_string(),
            other => panic!("expected a refusal of {d:?}, got {other:?}"),
        }
    }
}

#[test]
fn each_recipient_has_its_own_p2wsh_deposit_script() {
    let case_keys = [[2u8; 33], [3u8; 33]];
    let alice = Principal::parse("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5").unwrap();
    let bob = Principal::parse("ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG").unwrap();
    let a = deposit_script(&binding(), &alice, &case_keys, 2).unwrap();
    assert!(a.is_p2wsh());
    assert_ne!(a, deposit_script(&binding(), &bob, &case_keys, 2).unwrap());
    assert!(deposit_script(&binding(), &alice, &case_keys, 1).is_err());
}

#[tokio::test]
async fn a_final_deposit_to_its_recipient_is_signed_at_the_boundary() {
    let case = deposit_case(DEPOSIT_FINAL_AT).await;
    let sig = case
        .signer
        .sign_deposit(&case.good, &case.set, 2)
        .await
        .unwrap();
    assert_eq!(
        sig.recover(&case.good.id(&binding())),
        Some(case.signer.key().public_key())
    );
    // A pin one block before finality is refused even though the block is final.
    let early = Deposit {
        burn_height: (DEPOSIT_FINAL_AT - 1).into(),
        burn_hash: pin(&case.signer, DEPOSIT_FINAL_AT - 1).await,
        ..case.good.clone()
    };
    let why = case.refused(&early).await;
    assert!(why.contains("before the deposit is final at 5"), "{why}");
}

#[tokio::test]
async fn a_deposit_one_block_short_of_final_is_refused() {
    let case = deposit_case(DEPOSIT_FINAL_AT - 1).await;
    let why = case.refused(&case.good).await;
    assert!(why.contains("is final at 5, local tip 4"), "{why}");
}

#[tokio::test]
async fn a_deposit_that_does_not_match_the_index_is_refused() {
    let case = deposit_case(8).await;
    case.signer
        .sign_deposit(&case.good, &case.set, 2)
        .await
        .unwrap();
    let cases = [
        (
            Deposit {
                recipient: case.bob.clone(),
                ..case.good.clone()
            },
            "no output",
        ),
        (
            Deposit {
                vout: 1,
                ..case.good.clone()
            },
            "no output",
        ),
        (
            Deposit {
                txid: [0x42; 32],
                ..case.good.clone()
            },
            "no output",
        ),
        (
            Deposit {
                amount: 50_001,
                ..case.good.clone()
            },
            "output pays 50000 sats, deposit claims 50001",
        ),
        (
            Deposit {
                burn_hash: [0x11; 32],
                ..case.good.clone()
            },
            "differs from this signer's block",
        ),
    ];
    for (d, want) in cases {
        let why = case.refused(&d).await;
        assert!(why.contains(want), "{want}: {why}");
    }
}
