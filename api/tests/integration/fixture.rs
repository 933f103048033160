//! The shared fixture: mine 12 regtest blocks (6 tagged `/TestPool/`; heights 2 and 3
//! pay a watched address 1,000 sats each, height 5 pays it twice, 500 and 700), index
//! them with windows of 4 blocks, and serve them in process (no socket).

use std::sync::{Arc, Mutex};

use alkahest_api::router_with_sources;
use alkahest_api::routes::governance::{GovernanceSource, ProposalView, VoteView};
use alkahest_api::routes::lending::{
    CrpPoolView, CrpSettlementView, CrpStateView, LendingPoolView, LendingSource, YtpPoolView,
};
use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbWrite, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bitcoin::{Address, Amount, CompressedPublicKey, Network};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const POOLS: &str =
    r#"[{"id": 7, "name": "TestPool", "addresses": [], "tags": ["/TestPool/"], "link": ""}]"#;

pub fn payee() -> Address {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let sk = bitcoin::secp256k1::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let pk = CompressedPublicKey(sk.public_key(&secp));
    Address::p2wpkh(&pk, Network::Regtest)
}

pub struct Fixture {
    /// The API over the indexed chain, with Silica 1 and AMM pool 1 ingested from a
    /// `/new_block` payload ([`crate::chain`]), and [`StubGovernance`] and
    /// [`StubLending`] as its other chain-state sources.
    pub app: Router,
    /// The chain.
    pub chain: ChainBuilder,
}

pub async fn fixture() -> Fixture {
    let mut chain = ChainBuilder::new();
    let payee = payee().script_pubkey();
    for h in 1..=12u32 {
        let mut spec = CoinbaseSpec::default().with_fees(Amount::from_sat(500 * h as u64));
        if h <= 6 {
            spec = spec.with_tag(b"/TestPool/");
        }
        if h == 2 || h == 3 {
            spec = spec.pay(payee.clone(), Amount::from_sat(1_000));
        }
        if h == 5 {
            spec = spec
                .pay(payee.clone(), Amount::from_sat(500))
                .pay(payee.clone(), Amount::from_sat(700));
        }
        chain.mine_on_tip(&spec).unwrap();
    }
    let store = index(&chain, PoolSet::from_json(POOLS).unwrap()).await;
    let chainstate = Arc::new(crate::chain::memory_store().await);
    let mut events = crate::chain::silica_events(payee.as_bytes());
    events.extend(crate::chain::amm_events());
    let _ = crate::chain::ingest(chainstate.clone(), &[crate::chain::block(1, 1, 0, events)]).await;
    Fixture {
        app: router_with_sources(
            Arc::new(store),
            Some(chainstate),
            Arc::new(StubGovernance),
            Arc::new(StubLending),
            bitcoin::Network::Regtest,
        ),
        chain,
    }
}

/// `chain` indexed by the production follower into an in-memory SQLite store (windows
/// of 4 blocks from height 0), knowing `pools`.
pub async fn index(chain: &ChainBuilder, pools: PoolSet) -> SqliteStore {
    let spec = WindowSpec {
        origin: Height(0),
        length: 4,
    };
    let store = SqliteStore::open("sqlite::memory:", spec, true)
        .await
        .unwrap();
    store.upsert_pools(&pools).await.unwrap();
    let source = RegtestSource::new(Arc::new(Mutex::new(chain.clone())));
    let config = FollowerConfig {
        network: Network::Regtest,
        ..FollowerConfig::default()
    };
    let mut follower = Follower::new(source, store, pools, config);
    follower.sync().await.unwrap();
    follower.into_store()
}

pub async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{uri}: non-JSON body {:?}", String::from_utf8_lossy(&bytes)));
    (status, json)
}

/// Proposal 1, executed, with one vote for and one against. Every other id is unknown.
pub struct StubGovernance;

impl GovernanceSource for StubGovernance {
    async fn proposal_count(&self) -> Result<u64, String> {
        Ok(1)
    }

    async fn proposal(&self, id: u64) -> Result<Option<ProposalView>, String> {
        Ok((id == 1).then(|| ProposalView {
            id,
            proposal: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.agp001-pool-fee".into(),
            proposer: "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND".into(),
            status: "executed".into(),
            votes_for: "1200000000000000".into(),
            votes_against: "200000000000000".into(),
            quorum: "1000000000000000".into(),
            start_height: 6,
            end_height: 16,
            timelock_end: Some(21),
            concluded: true,
            passed: true,
            executed: true,
            vetoed: false,
            source_hash: "ab".repeat(32),
        }))
    }

    async fn votes(&self, _id: u64) -> Result<Vec<VoteView>, String> {
        Ok(vec![
            VoteView {
                voter: "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND".into(),
                support: true,
                amount: "1200000000000000".into(),
            },
            VoteView {
                voter: "ST2REHHS5J3CERCRBEPMGH7921Q6PYKAADT7JP2VB".into(),
                support: false,
                amount: "200000000000000".into(),
            },
        ])
    }
}

/// Expiry 100, settled (no price any more: state null), and expiry 200, live, with no
/// YTP pool. Every other expiry is unknown.
pub struct StubLending;

impl LendingSource for StubLending {
    async fn expiries(&self) -> Result<Vec<u64>, String> {
        Ok(vec![100, 200])
    }

    async fn pool(&self, expiry: u64) -> Result<Option<LendingPoolView>, String> {
        let crp = CrpPoolView {
            collateral: "0".into(),
            sbtc: "41000000".into(),
            yield_supply: "30000000".into(),
            key_supply: "30000000".into(),
            converted: false,
            traded_at: 100,
        };
        Ok(match expiry {
            100 => Some(LendingPoolView {
                expiry,
                crp,
                state: None,
                settlement: Some(CrpSettlementView {
                    shortfall: "0".into(),
                    from_reserve: "0".into(),
                    alex_minted: "0".into(),
                    from_alex: "0".into(),
                    alex_excess: "0".into(),
                    yield_pool: "30000000".into(),
                    key_pool: "11000000".into(),
                    yield_at_settle: "30000000".into(),
                    key_at_settle: "30000000".into(),
                    yield_paid: "10000000".into(),
                    key_paid: "11000000".into(),
                }),
                ytp: Some(YtpPoolView {
                    balance_x: "470000000".into(),
                    balance_y: "20000000".into(),
                    virtual_y: "500000000".into(),
                    supply: "500000000".into(),
                    fee_rate: "1000000".into(),
                    fee_rebate: "50000000".into(),
                    max_in_ratio: "10000000".into(),
                    max_out_ratio: "10000000".into(),
                    oracle_average: "95000000".into(),
                    oracle_rate: "-5".into(),
                    oracle_height: 9,
                    paused: false,
                    price: "100000000".into(),
                    term_yield: "0".into(),
                    ln_rate: "11000000".into(),
                    t: "0".into(),
                }),
            }),
            200 => Some(LendingPoolView {
                expiry,
                crp,
                state: Some(CrpStateView {
                    price: "200000".into(),
                    value: "40000000".into(),
                    ltv: "75000000".into(),
                    weight: "50000000".into(),
                    collateral_value: "40000000".into(),
                }),
                settlement: None,
                ytp: None,
            }),
            _ => None,
        })
    }
}
