//! Three signers, 2-of-3, each with its own SQLite index, exchanging attestations over
//! HTTP. Steps: mine 16 regtest blocks where window 0 of a Silica (heights 4..=7)
//! pays its payout script; signers A and B index that chain, signer C indexes a
//! doctored fork that shows a larger delivery. An honest coordinator gets A and B's
//! signatures; the lying signer's proposal is refused by both honest signers; an
//! unfinished window is refused by everyone. The proposal bytes equal the contract's
//! own `delivery-message`.

use bitcoin::hashes::Hash as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, uint, ValueExt};
use alkahest_clarity::Simnet;
use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::SqliteStore;
use alkahest_indexer::storage::{DbRead, DbWrite};
use alkahest_indexer::types::{Height, WindowSpec};
use alkahest_protocol::index::{window_index, WorkModel};
use alkahest_protocol::message::Delivery;
use alkahest_signer::attest::{Signer, SignerConfig};
use alkahest_signer::coordinator::{collect, coordinator_index, Peer};
use alkahest_signer::exchange::{router, StaticTerms};
use alkahest_signer::key::SignerKey;
use alkahest_signer::observer::{observe, WindowTerms};
use bitcoin::{Amount, Network, ScriptBuf};

pub(crate) const CONFIRMATIONS: u32 = 3;

pub(crate) fn payout_script() -> ScriptBuf {
    let mut bytes = vec![0x00, 0x20];
    bytes.extend_from_slice(&[0x5a; 32]);
    ScriptBuf::from_bytes(bytes)
}

pub(crate) fn terms() -> WindowTerms {
    WindowTerms {
        silica_id: 1,
        payout_script: payout_script(),
        start: Height(4),
        window_length: 4,
    }
}

/// Mines 16 blocks; heights 4..=7 pay the payout script `paid(h)` sats.
pub(crate) fn chain(paid: impl Fn(u32) -> u64) -> ChainBuilder {
    chain_of(16, paid)
}

/// The first `blocks` blocks of [`chain`] (the generator is deterministic).
pub(crate) fn chain_of(blocks: u32, paid: impl Fn(u32) -> u64) -> ChainBuilder {
    let mut c = ChainBuilder::new();
    for h in 1..=blocks {
        let mut spec = CoinbaseSpec::default().with_fees(Amount::from_sat(1_000 + u64::from(h)));
        if (4..=7).contains(&h) {
            spec = spec.pay(payout_script(), Amount::from_sat(paid(h)));
        }
        c.mine_on_tip(&spec).unwrap();
    }
    c
}

pub(crate) async fn index(c: &ChainBuilder) -> SqliteStore {
    let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
        .await
        .unwrap();
    store
        .watch_script(&payout_script(), "silica-1", Height(0))
        .await
        .unwrap();
    let source = RegtestSource::new(Arc::new(Mutex::new(c.clone())));
    let config = FollowerConfig {
        network: Network::Regtest,
        ..FollowerConfig::default()
    };
    let mut f = Follower::new(source, store, PoolSet::default(), config);
    f.sync().await.unwrap();
    f.into_store()
}

/// The block hash at `h` in this signer's store, in display byte order (what
/// `get-burn-block-info? header-hash` returns).
async fn pin(signer: &Signer<SqliteStore>, h: u32) -> [u8; 32] {
    let block = signer.store().block(Height(h)).await.unwrap().unwrap();
    let mut hash = block.hash.to_byte_array();
    hash.reverse();
    hash
}

struct Net {
    signers: Vec<Arc<Signer<SqliteStore>>>,
    peers: Vec<Peer>,
}

async fn serve(signer: Arc<Signer<SqliteStore>>, terms: StaticTerms) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(signer, terms);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn network() -> Net {
    let honest = chain(|h| 10_000 * u64::from(h));
    let doctored = chain(|h| 20_000 * u64::from(h));
    let stores = [
        index(&honest).await,
        index(&honest).await,
        index(&doctored).await,
    ];
    let terms_source = StaticTerms::default();
    terms_source.insert(terms());
    let mut signers = Vec::new();
    let mut peers = Vec::new();
    for (i, store) in stores.into_iter().enumerate() {
        let key = SignerKey::from_hex(&format!("{:02x}", 0x21 + i).repeat(32), "test").unwrap();
        let public_key: [u8; 33] = key.public_key();
        let signer = Arc::new(Signer::new(
            key,
            store,
            SignerConfig {
                confirmations: CONFIRMATIONS,
                binding: binding(),
                work_model: WorkModel::Header,
            },
        ));
        let addr = serve(signer.clone(), terms_source.clone()).await;
        signers.push(signer);
        peers.push(Peer {
            url: format!("http://{addr}"),
            public_key,
        });
    }
    Net { signers, peers }
}

#[tokio::test]
async fn observation_is_exact_integer_arithmetic() {
    let c = chain(|h| 10_000 * u64::from(h));
    let store = index(&c).await;
    let obs = observe(&store, &terms(), 0, WorkModel::Header)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(obs.delivered, 10_000 * (4 + 5 + 6 + 7));
    assert_eq!(obs.last_height, Height(7));
    // Regtest blocks each carry 2 expected hashes of work.
    let reward: u128 = (4..=7u128).map(|h| 5_000_000_000 + 1_000 + h).sum();
    assert_eq!(obs.index, window_index(reward, 4 * 2).unwrap());
    // A simulated difficulty replaces header work for the index only.
    let sim = observe(&store, &terms(), 0, WorkModel::SimulatedDifficulty(1_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sim.delivered, obs.delivered);
    let work = WorkModel::SimulatedDifficulty(1_000).block_work(0).unwrap();
    assert_eq!(sim.index, window_index(reward, 4 * work).unwrap());
    // Window 3 (heights 16..=19) is not indexed yet.
    assert!(observe(&store, &terms(), 3, WorkModel::Header)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn honest_quorum_signs_and_the_liar_is_outvoted() {
    let net = network().await;
    let http = reqwest::Client::new();
    let proposal = net.signers[0]
        .propose(&terms(), 0, 16, pin(&net.signers[0], 16).await)
        .await
        .unwrap();
    assert_eq!(proposal.delivered, 220_000);

    let sigs = collect(&http, &net.peers, &proposal, 2, &binding())
        .await
        .unwrap();
    assert_eq!(sigs.len(), 2);
    let id = proposal.id(&binding());
    assert_eq!(sigs[0].recover(&id), Some(net.peers[0].public_key));
    assert_eq!(sigs[1].recover(&id), Some(net.peers[1].public_key));

    // The liar, asked alone, refuses the honest proposal: its own chain (a fork) has
    // another block at the pinned height, so it cannot verify the pin.
    let e = collect(&http, &net.peers[2..], &proposal, 1, &binding())
        .await
        .unwrap_err();
    assert_eq!(e.got, 0);
    assert!(
        e.refusals[0].contains("409") && e.refusals[0].contains("burn hash"),
        "{e}"
    );

    // The liar's numbers, pinned to the honest chain: both honest signers refuse, no
    // quorum. (Pinned to its own fork, they would refuse the burn hash first.)
    let own = pin(&net.signers[2], 16).await;
    let lie = net.signers[2].propose(&terms(), 0, 16, own).await.unwrap();
    assert_eq!(lie.delivered, 440_000);
    let e = collect(&http, &net.peers[..2], &lie, 1, &binding())
        .await
        .unwrap_err();
    assert!(e.refusals.iter().all(|r| r.contains("burn hash")), "{e}");
    let lie = Delivery {
        burn_hash: proposal.burn_hash,
        ..lie
    };
    let e = collect(&http, &net.peers, &lie, 2, &binding())
        .await
        .unwrap_err();
    // Nobody signs: the honest two disagree with the numbers, and the liar cannot
    // verify a pin to a chain it does not hold.
    assert_eq!((e.got, e.needed), (0, 2));
    assert_eq!(e.refusals.len(), 3, "{e}");
    for r in &e.refusals[..2] {
        assert!(r.contains("delivered 440000 sats proposed"), "{r}");
    }
    assert!(e.refusals[2].contains("burn hash"), "{e}");
}

#[tokio::test]
async fn unfinished_windows_and_bad_requests_are_refused() {
    let net = network().await;
    let http = reqwest::Client::new();
    // Window 2 ends at 15; final at 18 > tip 16.
    let early = Delivery {
        silica_id: 1,
        window: 2,
        delivered: 0,
        index: 1,
        burn_height: 18,
        burn_hash: [0; 32],
    };
    let e = collect(&http, &net.peers, &early, 2, &binding())
        .await
        .unwrap_err();
    assert_eq!(e.got, 0);
    assert!(
        e.refusals
            .iter()
            .all(|r| r.contains("not fully indexed") || r.contains("final at")),
        "{e}"
    );

    // A burn height before finality is refused even when the numbers match.
    let mut p = net.signers[0]
        .propose(&terms(), 0, 16, pin(&net.signers[0], 16).await)
        .await
        .unwrap();
    p.burn_hash = pin(&net.signers[0], 9).await;
    p.burn_height = 9;
    let e = net.signers[1].check(&terms(), &p).await.unwrap_err();
    assert!(e.to_string().contains("burn height 9"), "{e}");

    // Unknown silica: 404; malformed JSON: 400 naming the field.
    let url = format!("{}/v1/attestations", net.peers[0].url);
    let mut body = alkahest_signer::exchange::ProposalJson::from_delivery(&p);
    body.silica_id = "99".into();
    let r = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 404);
    body.silica_id = "one".into();
    let r = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("silica_id"));
    let r = http
        .post(&url)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[test]
fn proposal_bytes_equal_the_contracts_delivery_message() {
    let mut sim = Simnet::new();
    let p = Delivery {
        silica_id: 7,
        window: 3,
        delivered: 123_456,
        index: 61,
        burn_height: 900,
        burn_hash: [0xab; 32],
    };
    let from_vm = sim
        .read_only(
            "signer-registry",
            "delivery-message",
            &[
                uint(7),
                uint(3),
                uint(123_456),
                uint(61),
                uint(900),
                buff(&[0xab; 32]),
            ],
        )
        .to_buff();
    assert_eq!(from_vm, p.message(&binding()));
}

#[test]
fn coordinator_choice_is_deterministic_and_spread() {
    let mut seen = [0usize; 3];
    for i in 0..300u32 {
        let mut tip = [0u8; 32];
        tip[..4].copy_from_slice(&i.to_be_bytes());
        let c = coordinator_index(&tip, 3);
        assert_eq!(c, coordinator_index(&tip, 3));
        seen[c] += 1;
    }
    assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
}

/// A signer signs only burn data it verified against its own chain: a height past its
/// tip (even 2^128-1), a made-up hash and another fork's hash are refused with 409s
/// naming both values; its own block at or below the tip is accepted.
#[tokio::test]
async fn burn_pins_are_checked_against_the_signers_own_chain() {
    let net = network().await;
    let http = reqwest::Client::new();
    let good = net.signers[0]
        .propose(&terms(), 0, 16, pin(&net.signers[0], 16).await)
        .await
        .unwrap();
    let honest = &net.peers[..2];
    for (burn_height, burn_hash, want) in [
        (u128::MAX, good.burn_hash, "past this signer's tip 16"),
        (17, good.burn_hash, "burn height 17 is past"),
        (16, [0x11; 32], "differs from this signer's block"),
        (
            16,
            pin(&net.signers[2], 16).await,
            "differs from this signer's block",
        ),
        (15, good.burn_hash, "at height 15"),
    ] {
        let bad = Delivery {
            burn_height,
            burn_hash,
            ..good.clone()
        };
        let e = collect(&http, honest, &bad, 1, &binding())
            .await
            .unwrap_err();
        assert_eq!(e.got, 0);
        for r in &e.refusals {
            assert!(r.contains("409") && r.contains(want), "{burn_height}: {r}");
        }
    }
    // A pin at the tip that matches, and one a few blocks older (still final), sign.
    let older = Delivery {
        burn_height: 11,
        burn_hash: pin(&net.signers[0], 11).await,
        ..good.clone()
    };
    for ok in [good, older] {
        let sigs = collect(&http, honest, &ok, 2, &binding()).await.unwrap();
        assert_eq!(sigs.len(), 2);
    }
}

/// A deposit is signed only for the recipient whose script (derived by the signer from
/// the recipient, never taken from the request) the output pays, once final, and only
/// when the pin is the signer's own block.
#[tokio::test]
async fn deposits_are_checked_against_the_signers_own_chain() {
    use alkahest_indexer::storage::DbRead;
    use alkahest_protocol::message::Deposit;
    use alkahest_protocol::principal::Principal;
    use alkahest_signer::deposit::deposit_script;

    let keys = [
        SignerKey::from_seed(b"dep a"),
        SignerKey::from_seed(b"dep b"),
    ];
    let mut set: Vec<[u8; 33]> = keys.iter().map(|k| k.public_key()).collect();
    set.sort();
    let alice = Principal::parse("ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5").unwrap();
    let bob = Principal::parse("ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG").unwrap();
    let script = deposit_script(&binding(), &alice, &set, 2).unwrap();
    let mut c = ChainBuilder::new();
    for h in 1..=8u32 {
        let mut spec = CoinbaseSpec::default();
        if h == 2 {
            spec = spec.pay(script.clone(), Amount::from_sat(50_000));
        }
        c.mine_on_tip(&spec).unwrap();
    }
    let store = index(&c).await;
    let block = store.block(Height(2)).await.unwrap().unwrap();
    let signer = Signer::new(
        keys[0].clone(),
        store,
        SignerConfig {
            confirmations: CONFIRMATIONS,
            binding: binding(),
            work_model: WorkModel::Header,
        },
    );
    let good = Deposit {
        txid: block.coinbase_txid.to_byte_array(),
        vout: 0,
        amount: 50_000,
        recipient: alice.clone(),
        burn_height: 7,
        burn_hash: pin(&signer, 7).await,
    };
    let sig = signer.sign_deposit(&good, &set, 2).await.unwrap();
    assert_eq!(
        sig.recover(&good.id(&binding())),
        Some(keys[0].public_key())
    );
    let refused = |d: Deposit, want: &'static str| {
        let signer = &signer;
        let set = &set;
        async move {
            let e = signer.sign_deposit(&d, set, 2).await.unwrap_err();
            assert!(e.to_string().contains(want), "{want}: {e}");
        }
    };
    // Another recipient: the output does not pay bob's script.
    refused(
        Deposit {
            recipient: bob,
            ..good.clone()
        },
        "no output",
    )
    .await;
    refused(
        Deposit {
            amount: 60_000,
            ..good.clone()
        },
        "claims 60000",
    )
    .await;
    // Not final yet at the pin (2 + 3 confirmations = 5).
    let early = Deposit {
        burn_height: 4,
        burn_hash: pin(&signer, 4).await,
        ..good.clone()
    };
    refused(early, "before the deposit is final").await;
    // Pins the signer cannot verify.
    refused(
        Deposit {
            burn_hash: [0x11; 32],
            ..good.clone()
        },
        "differs from",
    )
    .await;
    refused(
        Deposit {
            burn_height: 9,
            ..good.clone()
        },
        "past this signer's tip",
    )
    .await;
}
