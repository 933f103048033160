//! The node's reads: chain info, accounts, read-only calls, contract ABI and source,
//! fee rates, and the Stacks API's nonce summary.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use clarity::codec::StacksMessageCodec;
use clarity::vm::types::QualifiedContractIdentifier;
use clarity::vm::Value;
use clarity_repl::codec::TransactionPayload;
use serde::Deserialize;
use serde_json::{json, Value as JsonValue};

use alkahest_signer::stacks::tx::CHAIN_ID_TESTNET;
use alkahest_signer::stacks::{StacksClient, StacksError};

use super::{hex_u128, parse_contract, parse_hex, parse_principal, Refusal};
use crate::stacks::Stacks;

/// stacks-node's `peer_version` on testnets (`0x18000000` | minor version).
pub const PEER_VERSION: u32 = 0x1800_000c;
/// The parent (Bitcoin) network id stacks-node reports on regtest: its magic bytes.
pub const PARENT_NETWORK_ID: u32 = 0xdab5_bffa;
/// The minimum fee rate (µSTX per byte) every stacks-node enforces; the devnet has no
/// fee market, so it is also the rate it quotes.
pub const MIN_FEE_RATE: u64 = 1;

/// A 32-byte id derived from `tag` and a height, hex: the simnet has no block hashes,
/// so the tip's are synthesised (stable per height).
fn synthetic_hash(tag: &str, height: u64, len: usize) -> String {
    let mut bytes = tag.as_bytes().to_vec();
    bytes.extend_from_slice(&height.to_be_bytes());
    hex::encode(&alkahest_protocol::sha256(&bytes)[..len])
}

/// `GET /v2/info`: stacks-node's `RPCPeerInfoData`.
pub async fn info(State(stacks): State<Stacks>) -> Json<JsonValue> {
    let (tip, burn) = stacks
        .client()
        .with_sim(|s| (u64::from(s.block_height()), s.burn_block_height()));
    let burn = u64::try_from(burn).unwrap_or(u64::MAX);
    let stable = burn.saturating_sub(7);
    Json(json!({
        "peer_version": PEER_VERSION,
        "pox_consensus": synthetic_hash("alkahest consensus", burn, 20),
        "burn_block_height": burn,
        "stable_pox_consensus": synthetic_hash("alkahest consensus", stable, 20),
        "stable_burn_block_height": stable,
        "server_version": format!(
            "stacks-node alkahest-devnet {} (Clarity simnet, epoch 2.4)",
            env!("CARGO_PKG_VERSION")
        ),
        "network_id": CHAIN_ID_TESTNET,
        "parent_network_id": PARENT_NETWORK_ID,
        "stacks_tip_height": tip,
        "stacks_tip": synthetic_hash("alkahest stacks block", tip, 32),
        "stacks_tip_consensus_hash": synthetic_hash("alkahest consensus", burn, 20),
        "genesis_chainstate_hash": synthetic_hash("alkahest genesis", 0, 32),
        "unanchored_tip": null,
        "unanchored_seq": null,
        "tenure_height": burn,
        "exit_at_block_height": null,
        "is_fully_synced": true,
    }))
}

/// The `?proof=` query: stacks-node includes proofs unless `proof=0`.
#[derive(Deserialize)]
pub struct ProofQuery {
    proof: Option<String>,
}

/// `GET /v2/accounts/{principal}`: `balance` and `locked` as 0x-hex u128, the nonce,
/// and (unless `proof=0`) empty proofs: the simnet keeps no MARF.
pub async fn account(
    State(stacks): State<Stacks>,
    Path(principal): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<JsonValue>, Refusal> {
    let p = parse_principal(&principal)?;
    let text = p.to_string();
    let balance = stacks.client().with_sim(|s| s.stx_balance(&text));
    let nonce = next_nonce(&stacks, &text).await;
    let mut body = json!({
        "balance": hex_u128(balance),
        "locked": hex_u128(0),
        "unlock_height": 0,
        "nonce": nonce,
    });
    if q.proof.as_deref() != Some("0") {
        body["balance_proof"] = json!("");
        body["nonce_proof"] = json!("");
    }
    Ok(Json(body))
}

/// The next nonce of `principal` (0 for one that never sent a transaction).
pub(crate) async fn next_nonce(stacks: &Stacks, principal: &str) -> u64 {
    // The simnet client's nonce lookup cannot fail.
    stacks.client().get_nonce(principal).await.unwrap_or(0)
}

/// `GET /extended/v1/address/{principal}/nonces`: the Stacks API's summary, which
/// `@stacks/transactions` asks first. Without a mempool, the next nonce is final.
pub async fn nonces(
    State(stacks): State<Stacks>,
    Path(principal): Path<String>,
) -> Result<Json<JsonValue>, Refusal> {
    let p = parse_principal(&principal)?;
    let nonce = next_nonce(&stacks, &p.to_string()).await;
    Ok(Json(json!({
        "last_mempool_tx_nonce": null,
        "last_executed_tx_nonce": nonce.checked_sub(1),
        "possible_next_nonce": nonce,
        "detected_missing_nonces": [],
        "detected_mempool_nonces": [],
    })))
}

/// The body of a read-only call.
#[derive(Deserialize)]
pub struct CallReadBody {
    sender: String,
    arguments: Vec<String>,
}

/// The ABI of `id`, or a 404 naming it.
fn interface_of(stacks: &Stacks, id: &QualifiedContractIdentifier) -> Result<JsonValue, Refusal> {
    let text = id.to_string();
    let abi = stacks
        .client()
        .with_sim(|s| s.contract_interface(&text))
        .ok_or_else(|| Refusal::not_found(format!("no contract {text}")))?;
    serde_json::to_value(abi).map_err(|e| Refusal {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: json!({ "error": format!("ABI of {text} does not serialise: {e}") }),
    })
}

/// Whether the ABI has a function `name` with the access `access` (`read_only`,
/// `public`).
pub(crate) fn has_function(abi: &JsonValue, name: &str, access: &str) -> bool {
    abi["functions"].as_array().is_some_and(|fs| {
        fs.iter()
            .any(|f| f["name"] == name && f["access"] == access)
    })
}

/// Whether the ABI declares `name`'s output a response.
fn returns_response(abi: &JsonValue, name: &str) -> bool {
    abi["functions"].as_array().is_some_and(|fs| {
        fs.iter()
            .any(|f| f["name"] == name && f["outputs"]["type"].get("response").is_some())
    })
}

/// `POST /v2/contracts/call-read/{address}/{contract}/{function}`.
pub async fn call_read(
    State(stacks): State<Stacks>,
    Path((address, contract, function)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<JsonValue>, Refusal> {
    let id = parse_contract(&address, &contract)?;
    let body: CallReadBody = serde_json::from_slice(&body).map_err(|e| {
        Refusal::bad_request(format!(
            "call-read body must be {{\"sender\", \"arguments\": [\"0x…\"]}}: {e}"
        ))
    })?;
    let sender = parse_principal(&body.sender)?;
    let mut args = Vec::new();
    for (i, a) in body.arguments.iter().enumerate() {
        let bytes = parse_hex(&format!("arguments[{i}]"), a)?;
        let not_value = |why: String| {
            Refusal::bad_request(format!(
                "arguments[{i}] is not a Clarity value ({why}): {a:?}"
            ))
        };
        let (v, used) = Value::deserialize_read_count(&mut bytes.as_slice(), None)
            .map_err(|e| not_value(e.to_string()))?;
        if used as usize != bytes.len() {
            return Err(not_value(format!(
                "{} trailing bytes",
                bytes.len() - used as usize
            )));
        }
        args.push(v);
    }
    let abi = interface_of(&stacks, &id).map_err(|_| Refusal {
        status: StatusCode::NOT_FOUND,
        body: json!({ "okay": false, "cause": format!("Unchecked(NoSuchContract(\"{id}\"))") }),
    })?;
    if !has_function(&abi, &function, "read_only") {
        let cause = if has_function(&abi, &function, "public") {
            "NotReadOnly".to_string()
        } else {
            format!("Unchecked(NoSuchPublicFunction(\"{id}\", \"{function}\"))")
        };
        return Err(Refusal {
            status: StatusCode::NOT_FOUND,
            body: json!({ "okay": false, "cause": cause }),
        });
    }
    let answer = stacks
        .client()
        .call_read_only(&id.to_string(), &function, &args, &sender.to_string())
        .await;
    // The simnet client reports every value as a response; a function whose declared
    // output is not one returns its value bare, as on a node.
    let answer = answer.map(|v| match v {
        Value::Response(r) if r.committed && !returns_response(&abi, &function) => *r.data,
        other => other,
    });
    Ok(Json(match answer {
        Ok(v) => {
            json!({ "okay": true, "result": format!("0x{}", hex::encode(v.serialize_to_vec())) })
        }
        Err(StacksError::ReadOnly { cause, .. }) => json!({ "okay": false, "cause": cause }),
        Err(e) => json!({ "okay": false, "cause": e.to_string() }),
    }))
}

/// `GET /v2/contracts/interface/{address}/{contract}`: the ABI as stacks-node prints it
/// (clarity-vm's `ContractInterface`).
pub async fn interface(
    State(stacks): State<Stacks>,
    Path((address, contract)): Path<(String, String)>,
) -> Result<Json<JsonValue>, Refusal> {
    let id = parse_contract(&address, &contract)?;
    interface_of(&stacks, &id).map(Json)
}

/// `GET /v2/contracts/source/{address}/{contract}`: every contract is deployed before
/// the first block, so `publish_height` is 0; the simnet keeps no MARF, so `proof`
/// is empty.
pub async fn source(
    State(stacks): State<Stacks>,
    Path((address, contract)): Path<(String, String)>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<JsonValue>, Refusal> {
    let id = parse_contract(&address, &contract)?;
    let deployer = stacks.deployer().to_string();
    let text = (id.issuer.to_string() == deployer)
        .then(|| {
            stacks.client().with_sim(|s| {
                s.manifest()
                    .contract(id.name.as_str())
                    .map(|c| c.source.clone())
            })
        })
        .flatten()
        .ok_or_else(|| Refusal::not_found(format!("no contract {id}")))?;
    let mut body = json!({ "source": text, "publish_height": 0 });
    if q.proof.as_deref() != Some("0") {
        body["proof"] = json!("");
    }
    Ok(Json(body))
}

/// `GET /v2/fees/transfer`: the fee rate, a bare JSON number (µSTX per byte).
pub async fn transfer_fee() -> Json<u64> {
    Json(MIN_FEE_RATE)
}

/// The body of `POST /v2/fees/transaction`.
#[derive(Deserialize)]
pub struct FeeBody {
    transaction_payload: String,
    estimated_len: Option<u64>,
}

/// `POST /v2/fees/transaction`: three estimates at 1, 2 and 3 µSTX per byte of the
/// estimated length (the lowest is stacks-node's minimum, so any of them is accepted).
pub async fn fee_estimate(body: Bytes) -> Result<Json<JsonValue>, Refusal> {
    let body: FeeBody = serde_json::from_slice(&body).map_err(|e| {
        Refusal::bad_request(format!(
            "fee body must be {{\"transaction_payload\": \"0x…\", \"estimated_len\": n}}: {e}"
        ))
    })?;
    let bytes = parse_hex("transaction_payload", &body.transaction_payload)?;
    TransactionPayload::consensus_deserialize(&mut bytes.as_slice()).map_err(|e| {
        Refusal::bad_request(format!(
            "transaction_payload is not a transaction payload ({e}): {:?}",
            body.transaction_payload
        ))
    })?;
    let len = body.estimated_len.unwrap_or(0).max(bytes.len() as u64);
    let estimations: Vec<JsonValue> = (1..=3u64)
        .map(|rate| json!({ "fee_rate": (rate * MIN_FEE_RATE) as f64, "fee": rate * MIN_FEE_RATE * len }))
        .collect();
    Ok(Json(json!({
        "estimated_cost": {
            "write_length": 0, "write_count": 0, "read_length": 0, "read_count": 0, "runtime": 0
        },
        "estimated_cost_scalar": len,
        "estimations": estimations,
        "cost_scalar_change_by_byte": 1.0,
    })))
}
