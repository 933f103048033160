//! `POST /v2/transactions`: a signed transaction is decoded and admitted by
//! stacks-node's mempool rules (network version, signature, chain id, minimum fee,
//! nonce, funds for the fee, the called contract and function exist), then run into
//! the Stacks block being built and logged to txs.log; refusals carry stacks-node's
//! `{error: "transaction rejected", reason, reason_data, txid}` with status 400 and
//! change nothing. `GET /extended/v1/tx/{txid}` reports its status.

use alkahest_clarity::Outcome;
use alkahest_signer::stacks::tx::{self, CHAIN_ID_TESTNET};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use clarity::codec::StacksMessageCodec;
use clarity::vm::Value;
use clarity_repl::codec::{StacksTransaction, TransactionPayload, TransactionVersion};
use serde::Deserialize;
use serde_json::{json, Value as JsonValue};

use super::read::{has_function, next_nonce, MIN_FEE_RATE};
use super::{hex_u128, parse_hex, Refusal};
use crate::stacks::Stacks;

/// stacks-node's mempool rejection body (`MemPoolRejection::into_json`), status 400.
fn rejected(txid: Option<&str>, reason: &str, data: Option<JsonValue>) -> Refusal {
    let mut body = json!({ "error": "transaction rejected", "reason": reason });
    if let Some(txid) = txid {
        body["txid"] = json!(txid);
    }
    if let Some(data) = data {
        body["reason_data"] = data;
    }
    Refusal {
        status: StatusCode::BAD_REQUEST,
        body,
    }
}

/// The JSON form `@stacks/transactions` 7 sends (`{"tx": "<hex>"}`; an attachment is
/// accepted and ignored: the devnet has no Atlas).
#[derive(Deserialize)]
struct TxJson {
    tx: String,
}

/// The raw transaction bytes of the request: `application/octet-stream` bytes, or the
/// JSON `{"tx": "<hex>"}`.
fn raw_bytes(headers: &HeaderMap, body: &Bytes) -> Result<Vec<u8>, Refusal> {
    if body.is_empty() {
        return Err(Refusal::bad_request(
            "empty body: POST /v2/transactions takes a signed transaction",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/octet-stream" => Ok(body.to_vec()),
        "application/json" => {
            let j: TxJson = serde_json::from_slice(body).map_err(|e| {
                Refusal::bad_request(format!("JSON body must be {{\"tx\": \"<hex>\"}}: {e}"))
            })?;
            parse_hex("tx", &j.tx)
        }
        other => Err(Refusal::bad_request(format!(
            "content-type {other:?}: expected application/octet-stream or application/json"
        ))),
    }
}

/// stacks-node's mempool admission, against the state the transaction will run in
/// (the caller holds the gate).
async fn admit(stacks: &Stacks, t: &StacksTransaction, size: u64) -> Result<(), Refusal> {
    let txid = tx::txid_hex(t);
    let reject = |reason: &str, data: Option<JsonValue>| rejected(Some(&txid), reason, data);
    if t.version != TransactionVersion::Testnet {
        return Err(reject("BadTransactionVersion", None));
    }
    if let Err(e) = tx::verify(t) {
        return Err(reject(
            "SignatureValidation",
            Some(json!({ "message": e.to_string() })),
        ));
    }
    if t.chain_id != CHAIN_ID_TESTNET {
        let message = format!(
            "Invalid tx {txid}: invalid chain ID {} (expected {CHAIN_ID_TESTNET})",
            t.chain_id
        );
        return Err(reject(
            "SignatureValidation",
            Some(json!({ "message": message })),
        ));
    }
    let fee = t.get_tx_fee();
    let minimum = (size * MIN_FEE_RATE).max(1);
    if fee < minimum {
        return Err(reject(
            "FeeTooLow",
            Some(json!({ "expected": minimum, "actual": fee })),
        ));
    }
    let origin = t.origin_address().to_string();
    let expected = next_nonce(stacks, &origin).await;
    let actual = t.get_origin_nonce();
    if actual != expected {
        return Err(reject(
            "BadNonce",
            Some(json!({
                "expected": expected, "actual": actual, "principal": origin, "is_origin": true
            })),
        ));
    }
    let payer = t
        .sponsor_address()
        .map_or(origin.clone(), |a| a.to_string());
    let funds = stacks.client().with_sim(|s| s.stx_balance(&payer));
    if funds < u128::from(fee) {
        return Err(reject(
            "NotEnoughFunds",
            Some(json!({ "expected": hex_u128(fee.into()), "actual": hex_u128(funds) })),
        ));
    }
    let TransactionPayload::ContractCall(call) = &t.payload else {
        return Err(reject(
            "NotSupported",
            Some(json!({ "message": "the devnet accepts contract calls only" })),
        ));
    };
    let id = format!("{}.{}", call.address, call.contract_name);
    let abi = stacks.client().with_sim(|s| s.contract_interface(&id));
    let Some(abi) = abi.and_then(|a| serde_json::to_value(a).ok()) else {
        return Err(reject("NoSuchContract", None));
    };
    if !has_function(&abi, call.function_name.as_str(), "public") {
        return Err(reject("NoSuchPublicFunction", None));
    }
    Ok(())
}

/// `POST /v2/transactions`: the txid as a JSON string, or a 400 refusal.
pub async fn post_transaction(
    State(stacks): State<Stacks>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<String>, Refusal> {
    let bytes = raw_bytes(&headers, &body)?;
    let t = tx::decode(&bytes).map_err(|e| {
        rejected(
            None,
            "Deserialization",
            Some(json!({ "message": format!("Failed to deserialize posted transaction: {e}") })),
        )
    })?;
    let txid = tx::txid_hex(&t);
    let _gate = stacks.lock().await;
    admit(&stacks, &t, bytes.len() as u64).await?;
    let height = stacks.burn_height();
    stacks.submit_raw(height, &bytes).await.map_err(|e| {
        rejected(
            Some(&txid),
            "BadFunctionArgument",
            Some(json!({ "message": format!("{e:#}") })),
        )
    })?;
    Ok(Json(txid))
}

/// `GET /extended/v1/tx/{txid}` (the Stacks API's, minimal): `tx_status` is `pending`
/// until the Bitcoin block after the one the transaction ran at is mined, then
/// `success` (`(ok …)`) or `abort_by_response` (`(err …)`, or a runtime abort, whose
/// result is `(err none)` with the VM's message in `vm_error`); `tx_result.hex` is the
/// consensus-serialised result; `block_height` the Stacks block it was mined in.
/// Post-conditions are not enforced, so `abort_by_post_condition` never occurs.
pub async fn tx_status(
    State(stacks): State<Stacks>,
    Path(txid): Path<String>,
) -> Result<Json<JsonValue>, Refusal> {
    let bytes = parse_hex("txid", &txid)?;
    if bytes.len() != 32 {
        return Err(Refusal::bad_request(format!(
            "txid must be 32 bytes of hex, got {} bytes: {txid:?}",
            bytes.len()
        )));
    }
    let id = hex::encode(&bytes);
    let tx_id = format!("0x{id}");
    let (Some(ran_at), Some(receipt)) = (stacks.executed_at(&id), stacks.receipt(&id)) else {
        return Err(Refusal::not_found(format!(
            "could not find transaction by ID {tx_id}"
        )));
    };
    if stacks.burn_height() <= ran_at {
        return Ok(Json(json!({ "tx_id": tx_id, "tx_status": "pending" })));
    }
    let (status, result, vm_error) = match receipt.outcome {
        Outcome::Ok(v) => ("success", Value::okay(v), None),
        Outcome::Err(v) => ("abort_by_response", Value::error(v), None),
        Outcome::Aborted(cause) => (
            "abort_by_response",
            Value::error(Value::none()),
            Some(cause),
        ),
    };
    let hex_result = result
        .map(|v| format!("0x{}", hex::encode(v.serialize_to_vec())))
        .unwrap_or_default();
    // Burn height h ran in Stacks block h + 1's successor: the simnet's block height
    // is the burn height plus one, and the next block mines the transaction.
    Ok(Json(json!({
        "tx_id": tx_id,
        "tx_status": status,
        "tx_type": "contract_call",
        "tx_result": { "hex": hex_result, "repr": result_repr(&hex_result) },
        "vm_error": vm_error,
        "block_height": u64::from(ran_at) + 2,
        "burn_block_height": u64::from(ran_at) + 1,
        "canonical": true,
        "is_unanchored": false,
    })))
}

/// The Clarity text of a serialised result (the API's `repr`).
fn result_repr(hex_result: &str) -> String {
    Value::try_deserialize_hex_untyped(hex_result)
        .map(|v| v.to_string())
        .unwrap_or_default()
}
