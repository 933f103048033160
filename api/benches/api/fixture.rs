//! The benchmark's data, built through the production paths: a regtest chain of real
//! consensus bytes indexed by the production follower (pools, a watched payout
//! script), and Stacks blocks posted to the observer's `/new_block` (Silicas with
//! attested windows, AMM pools with swaps).

use std::sync::{Arc, Mutex};

use alkahest_api::chainstate::{ChainStore, Contracts};
use alkahest_api::observer::observer_router;
use alkahest_api::observer::payload::{ContractEventPayload, EventPayload, NewBlock};
use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::{DbRead, DbWrite};
use alkahest_indexer::types::{Height, WindowSpec};
use anyhow::{ensure, Context};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use bitcoin::{Address, Amount, CompressedPublicKey, Network};
use clarity::codec::StacksMessageCodec;
use clarity::vm::types::{PrincipalData, TupleData};
use clarity::vm::{ClarityName, Value};
use tower::ServiceExt;

/// The contracts' deployer (Clarinet's devnet deployer).
pub const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
const MINER: &str = "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND";

/// Blocks per window of the indexer (and of every Silica).
pub const WINDOW_LENGTH: u32 = 144;
/// Silicas listed, each over [`SILICA_WINDOWS`] windows.
pub const SILICAS: u32 = 40;
const SILICA_WINDOWS: u32 = 6;
/// AMM pools created.
pub const AMM_POOLS: u32 = 3;

/// The window settings of the benchmark's indexer.
pub fn window_spec() -> WindowSpec {
    WindowSpec {
        origin: Height(0),
        length: WINDOW_LENGTH,
    }
}

/// The watched payout address, paid by every third block (1,000 to 1,999 sats).
pub fn payee() -> Address {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[42u8; 32]).expect("a valid key");
    Address::p2wpkh(
        &CompressedPublicKey(key.public_key(&secp)),
        Network::Regtest,
    )
}

/// Four pools identified by coinbase tag; one block in five is untagged.
fn pools() -> anyhow::Result<PoolSet> {
    let list: Vec<serde_json::Value> = (1..=4)
        .map(|id| {
            serde_json::json!({"id": id, "name": format!("Pool{id}"), "addresses": [],
                               "tags": [format!("/Pool{id}/")], "link": ""})
        })
        .collect();
    Ok(PoolSet::from_json(
        &serde_json::Value::Array(list).to_string(),
    )?)
}

/// Mines `blocks` regtest blocks and indexes them into `store` with the production
/// follower, watching [`payee`]'s script.
pub async fn index_chain<D: DbRead + DbWrite>(store: D, blocks: u32) -> anyhow::Result<D> {
    let payee = payee().script_pubkey();
    let mut chain = ChainBuilder::new();
    for h in 1..=blocks {
        // Regtest halves the subsidy every 150 blocks: fees keep every block able to pay.
        let mut spec = CoinbaseSpec::default().with_fees(Amount::from_sat(20_000 + u64::from(h)));
        if h % 5 != 0 {
            spec = spec.with_tag(format!("/Pool{}/", h % 4 + 1).as_bytes());
        }
        if h % 3 == 0 {
            spec = spec.pay(
                payee.clone(),
                Amount::from_sat(1_000 + u64::from(h % 1_000)),
            );
        }
        chain.mine_on_tip(&spec).context("mining a regtest block")?;
    }
    let pools = pools()?;
    store.upsert_pools(&pools).await?;
    store.watch_script(&payee, "bench payee", Height(0)).await?;
    let source = RegtestSource::new(Arc::new(Mutex::new(chain)));
    let config = FollowerConfig {
        network: Network::Regtest,
        progress: false,
        ..FollowerConfig::default()
    };
    let mut follower = Follower::new(source, store, pools, config);
    follower
        .sync()
        .await
        .context("indexing the regtest chain")?;
    Ok(follower.into_store())
}

/// `{topic, fields...}` consensus-serialised, `0x` hex, as a `print` carries it.
fn print_value(topic: &str, fields: &[(&str, Value)]) -> anyhow::Result<String> {
    let mut data = vec![(
        ClarityName::try_from("topic".to_string())?,
        Value::string_ascii_from_bytes(topic.as_bytes().to_vec())?,
    )];
    for (name, value) in fields {
        data.push((ClarityName::try_from(name.to_string())?, value.clone()));
    }
    let mut bytes = Vec::new();
    Value::Tuple(TupleData::from_data(data)?).consensus_serialize(&mut bytes)?;
    Ok(format!("0x{}", hex::encode(bytes)))
}

fn principal(p: &str) -> anyhow::Result<Value> {
    Ok(Value::Principal(PrincipalData::parse(p)?))
}

/// Accumulates one Stacks block's prints.
struct Prints(Vec<EventPayload>);

impl Prints {
    fn add(&mut self, contract: &str, topic: &str, fields: &[(&str, Value)]) -> anyhow::Result<()> {
        self.0.push(EventPayload {
            txid: format!("0x{:064x}", self.0.len() + 1),
            event_index: self.0.len() as u64,
            committed: true,
            kind: "contract_event".into(),
            contract_event: Some(ContractEventPayload {
                contract_identifier: format!("{DEPLOYER}.{contract}"),
                topic: "print".into(),
                raw_value: print_value(topic, fields)?,
            }),
        });
        Ok(())
    }
}

/// Silica `id`'s listing, sale, start and attested windows (all but the last), in one
/// block's prints.
fn silica_life(p: &mut Prints, id: u32, script: &[u8]) -> anyhow::Result<()> {
    let u = |v: u32| Value::UInt(u128::from(v));
    let start = 12 + id * 36;
    p.add(
        "silica",
        "create",
        &[
            ("id", u(id)),
            ("miner", principal(MINER)?),
            ("hashrate", u(10 * id)),
            ("windows", u(SILICA_WINDOWS)),
            ("start", u(start)),
            ("window-length", u(WINDOW_LENGTH)),
            ("price", u(1_000 * id)),
            ("collateral", u(5_000)),
            ("payout-script", Value::buff_from(script.to_vec())?),
        ],
    )?;
    p.add("silica", "buy", &[("id", u(id)), ("sold", u(10 * id))])?;
    p.add(
        "silica",
        "start",
        &[("id", u(id)), ("collateral", u(5_000))],
    )?;
    for w in 0..SILICA_WINDOWS - 1 {
        p.add(
            "silica",
            "attest",
            &[
                ("id", u(id)),
                ("window", u(w)),
                ("delivered", u(480_000 + w)),
                ("due", u(400_000)),
                ("index", Value::UInt(u128::from(u64::MAX) + u128::from(w))),
            ],
        )?;
    }
    Ok(())
}

/// AMM pool `id`: created, seeded, then 20 swaps.
fn amm_life(p: &mut Prints, id: u32) -> anyhow::Result<()> {
    let u = |v: u64| Value::UInt(u128::from(v));
    let (x, y) = (
        format!("{DEPLOYER}.token-x{id}"),
        format!("{DEPLOYER}.token-y{id}"),
    );
    p.add(
        "amm-pool",
        "pool-create",
        &[
            ("id", u(id.into())),
            ("token-x", principal(&x)?),
            ("token-y", principal(&y)?),
            ("curve", u(1)),
            ("weight-x", u(50_000_000)),
            ("fee-rate", u(300_000)),
            ("fee-rebate", u(50_000_000)),
        ],
    )?;
    p.add(
        "amm-pool",
        "pool-add",
        &[
            ("id", u(id.into())),
            ("dx", u(1_000_000)),
            ("dy", u(500_000)),
            ("supply", u(707_106)),
        ],
    )?;
    for s in 0..20u64 {
        p.add(
            "amm-pool",
            "swap",
            &[
                ("id", u(id.into())),
                ("token-in", principal(&y)?),
                ("dx", u(1_000 + s)),
                ("dy", u(1_988)),
                ("to-reserve", u(1)),
                ("price", u(50_000_000)),
                ("ema", u(50_000_000)),
            ],
        )?;
    }
    Ok(())
}

/// A block id: `n` as 32 big-endian bytes, `0x` hex.
fn id32(n: u64) -> String {
    format!("0x{n:064x}")
}

/// Posts one Stacks block per Silica and per AMM pool to the observer router over
/// `chain`, as stacks-node would.
pub async fn ingest_chain_state(chain: Arc<ChainStore>) -> anyhow::Result<()> {
    let observer = observer_router(chain);
    let script = payee().script_pubkey();
    let mut height = 0u64;
    let mut post = |prints: Prints| {
        height += 1;
        let block = NewBlock {
            block_hash: id32(height + 1_000_000),
            block_height: height,
            index_block_hash: id32(height),
            parent_index_block_hash: id32(height - 1),
            parent_block_hash: id32(height + 999_999),
            burn_block_hash: id32(height + 2_000_000),
            burn_block_height: height + 100,
            burn_block_time: 1_700_000_000 + height,
            miner_txid: id32(0),
            transactions: Vec::new(),
            events: prints.0,
        };
        let observer = observer.clone();
        async move {
            let body = serde_json::to_vec(&block)?;
            let request = Request::post("/new_block")
                .header("content-type", "application/json")
                .body(Body::from(body))?;
            let response = observer.oneshot(request).await?;
            let status = response.status();
            ensure!(
                status == StatusCode::OK,
                "/new_block at height {height}: {status}"
            );
            anyhow::Ok(())
        }
    };
    for id in 1..=SILICAS {
        let mut p = Prints(Vec::new());
        silica_life(&mut p, id, script.as_bytes())?;
        post(p).await?;
    }
    for id in 1..=AMM_POOLS {
        let mut p = Prints(Vec::new());
        amm_life(&mut p, id)?;
        post(p).await?;
    }
    Ok(())
}

/// Opens (creating) the chain-state store at `url` for [`DEPLOYER`]'s contracts.
pub async fn open_chain(url: &str) -> anyhow::Result<ChainStore> {
    Ok(ChainStore::open(url, Contracts::of_deployer(DEPLOYER)).await?)
}
