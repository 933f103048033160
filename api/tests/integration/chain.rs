//! Builders for stacks-node `/new_block` payloads carrying our contracts' prints, and
//! the chain-state fixture: Silica 1 and AMM pool 1 as a node would announce them.

use alkahest_api::chainstate::{ChainStore, Contracts};
use alkahest_api::observer::observer_router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use clarity::codec::StacksMessageCodec;
use clarity::vm::types::{PrincipalData, TupleData};
use clarity::vm::{ClarityName, Value};
use http_body_util::BodyExt;
use serde_json::{json, Value as Json};
use tower::ServiceExt;

pub const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
pub const MINER: &str = "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND";

pub fn uint(v: u128) -> Value {
    Value::UInt(v)
}

pub fn principal(p: &str) -> Value {
    Value::Principal(PrincipalData::parse(p).unwrap())
}

/// A `{topic: ..., fields}` tuple, consensus-serialised as `0x` hex.
pub fn print_hex(topic: &str, fields: Vec<(&str, Value)>) -> String {
    let mut data = vec![(
        ClarityName::try_from("topic".to_string()).unwrap(),
        Value::string_ascii_from_bytes(topic.as_bytes().to_vec()).unwrap(),
    )];
    for (k, v) in fields {
        data.push((ClarityName::try_from(k.to_string()).unwrap(), v));
    }
    let mut bytes = Vec::new();
    Value::Tuple(TupleData::from_data(data).unwrap())
        .consensus_serialize(&mut bytes)
        .unwrap();
    format!("0x{}", hex::encode(bytes))
}

/// A print event of `deployer.contract`.
pub fn print(contract: &str, topic: &str, fields: Vec<(&str, Value)>) -> Json {
    json!({
        "txid": format!("0x{}", "11".repeat(32)),
        "event_index": 0,
        "committed": true,
        "type": "contract_event",
        "contract_event": {
            "contract_identifier": format!("{DEPLOYER}.{contract}"),
            "topic": "print",
            "raw_value": print_hex(topic, fields),
        }
    })
}

/// A block id: 32 bytes of `tag`, `0x` hex.
pub fn hash(tag: u8) -> String {
    format!("0x{}", hex::encode([tag; 32]))
}

/// A `/new_block` body at `height` with id `hash(id)` on `hash(parent)`, with extra
/// fields a real node sends (ignored) and a stx transfer (not ours, ignored).
pub fn block(height: u64, id: u8, parent: u8, mut events: Vec<Json>) -> Json {
    events.push(json!({
        "txid": format!("0x{}", "22".repeat(32)),
        "event_index": 0, "committed": true, "type": "stx_transfer_event",
        "stx_transfer_event": {"sender": MINER, "recipient": DEPLOYER, "amount": "5", "memo": ""}
    }));
    for (i, e) in events.iter_mut().enumerate() {
        e["event_index"] = json!(i);
    }
    json!({
        "block_hash": hash(id.wrapping_add(100)),
        "block_height": height,
        "block_time": 1_700_000_000u64,
        "burn_block_hash": hash(id.wrapping_add(50)),
        "burn_block_height": height + 100,
        "burn_block_time": 1_700_000_000u64,
        "miner_txid": hash(0),
        "index_block_hash": hash(id),
        "parent_block_hash": hash(parent.wrapping_add(100)),
        "parent_index_block_hash": hash(parent),
        "parent_microblock": hash(0),
        "parent_microblock_sequence": 0,
        "matured_miner_rewards": [],
        "events": events,
        "transactions": [{"txid": format!("0x{}", "11".repeat(32)), "tx_index": 0,
                          "status": "success", "raw_result": "0x03", "raw_tx": "0x00",
                          "contract_abi": null, "execution_cost": {"runtime": 1}}],
        "anchored_cost": {"runtime": 1},
        "reward_set": null,
        "consensus_hash": format!("0x{}", "33".repeat(20)),
    })
}

/// Silica 1's life, as the stub before it: listed (10 TH/s, 3 windows of 4 blocks from
/// 0 at 1,000 sats, collateral 5,000, paying `script`), sold out, windows 0 and 1
/// attested (2,000 delivered, 1,500 due, index 2^64), finished, redeemed, collected.
pub fn silica_events(script: &[u8]) -> Vec<Json> {
    let s = |topic, fields| print("silica", topic, fields);
    let mut out = vec![
        s(
            "create",
            vec![
                ("id", uint(1)),
                ("miner", principal(MINER)),
                ("hashrate", uint(10)),
                ("windows", uint(3)),
                ("start", uint(0)),
                ("window-length", uint(4)),
                ("price", uint(1_000)),
                ("collateral", uint(5_000)),
                ("payout-script", Value::buff_from(script.to_vec()).unwrap()),
            ],
        ),
        s("buy", vec![("id", uint(1)), ("sold", uint(10))]),
        s("start", vec![("id", uint(1)), ("collateral", uint(5_000))]),
    ];
    for w in 0..2 {
        out.push(s(
            "attest",
            vec![
                ("id", uint(1)),
                ("window", uint(w)),
                ("delivered", uint(2_000)),
                ("due", uint(1_500)),
                ("index", uint(u128::from(u64::MAX) + 1)),
            ],
        ));
    }
    out.extend([
        s(
            "finish",
            vec![
                ("id", uint(1)),
                ("buyer-pool", uint(3_000)),
                ("miner-amount", uint(500)),
            ],
        ),
        s(
            "redeem",
            vec![
                ("id", uint(1)),
                ("pool-left", uint(0)),
                ("shares", uint(10)),
            ],
        ),
        s("collect", vec![("id", uint(1))]),
    ]);
    out
}

/// Pool 1 (ALEX/wSTX 50/50, fee 0.3%, half rebated): seeded with 1,000,000 x and
/// 500,000 y, then 1,000 y sold into it.
pub fn amm_events() -> Vec<Json> {
    let x = format!("{DEPLOYER}.alex-token");
    let y = format!("{DEPLOYER}.amm-wstx");
    let a = |topic, fields| print("amm-pool", topic, fields);
    vec![
        a(
            "pool-create",
            vec![
                ("id", uint(1)),
                ("token-x", principal(&x)),
                ("token-y", principal(&y)),
                ("curve", uint(1)),
                ("weight-x", uint(50_000_000)),
                ("fee-rate", uint(300_000)),
                ("fee-rebate", uint(50_000_000)),
            ],
        ),
        a(
            "pool-add",
            vec![
                ("id", uint(1)),
                ("dx", uint(1_000_000)),
                ("dy", uint(500_000)),
                ("supply", uint(707_106)),
            ],
        ),
        a(
            "swap",
            vec![
                ("id", uint(1)),
                ("token-in", principal(&y)),
                ("dx", uint(1_000)),
                ("dy", uint(1_988)),
                ("to-reserve", uint(1)),
                ("price", uint(50_000_000)),
                ("ema", uint(50_000_000)),
            ],
        ),
    ]
}

pub async fn memory_store() -> ChainStore {
    ChainStore::open("sqlite::memory:", Contracts::of_deployer(DEPLOYER))
        .await
        .unwrap()
}

/// POSTs `body` (JSON or raw text) to the observer router at `path`.
pub async fn post(app: &Router, path: &str, body: String) -> (StatusCode, Json) {
    let resp = app
        .clone()
        .oneshot(
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
}

/// The observer router over `store`, and a helper posting blocks to it.
pub async fn ingest(store: std::sync::Arc<ChainStore>, blocks: &[Json]) -> Router {
    let app = observer_router(store);
    for b in blocks {
        let (status, body) = post(&app, "/new_block", b.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    app
}
