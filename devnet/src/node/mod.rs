//! The devnet's Stacks node RPC: the subset of a stacks-node's `/v2` API that wallets,
//! `@stacks/transactions` and the signers' [`RpcClient`](alkahest_signer::stacks::rpc::RpcClient)
//! use, answered from the devnet's Clarity simnet with the JSON shapes a stacks-node
//! gives (stacks-core `stackslib/src/net/api/*.rs`), plus the two Stacks API
//! (`/extended`) reads clients poll, since a stacks-node has no transaction status.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /v2/info` | chain tip and burn heights, network ids ([`read::info`]) |
//! | `GET /v2/accounts/{principal}` | STX `balance`/`locked` (0x-hex u128), `nonce`, proofs |
//! | `POST /v2/contracts/call-read/{address}/{contract}/{function}` | `{okay, result}` or `{okay: false, cause}` |
//! | `GET /v2/contracts/interface/{address}/{contract}` | the contract's ABI |
//! | `GET /v2/contracts/source/{address}/{contract}` | `{source, publish_height, proof}` |
//! | `GET /v2/fees/transfer` | the fee rate in µSTX per byte (1, stacks-node's minimum) |
//! | `POST /v2/fees/transaction` | `{estimated_cost, estimated_cost_scalar, estimations, cost_scalar_change_by_byte}` |
//! | `POST /v2/transactions` | the txid, or stacks-node's `{error, reason, reason_data, txid}` with 400 |
//! | `GET /extended/v1/tx/{txid}` | `{tx_id, tx_status, tx_result, block_height, …}` (Stacks API) |
//! | `GET /extended/v1/address/{principal}/nonces` | `{possible_next_nonce, …}` (Stacks API) |
//!
//! How the devnet differs from a stacks-node, on purpose:
//! - there is no mempool: an accepted transaction runs at once into the Stacks block
//!   being built (its effects are visible to reads, like a node's unconfirmed state)
//!   and is mined with the next Bitcoin block; its status is `pending` until then.
//!   So a nonce must be exactly the account's next one (no chaining: `BadNonce`);
//! - fees are checked (at least 1 µSTX per byte, and the payer must hold them) but not
//!   charged, so STX balances move only by what contracts move;
//! - only contract calls are accepted (`reason: "NotSupported"` for other payloads),
//!   and post-conditions are not enforced;
//! - client mistakes are JSON 4xx naming the bad value (a stacks-node answers some in
//!   plain text), and `call-read` of an unknown contract or function is a 404 with
//!   `{okay: false, cause}` rather than a 200.

pub mod read;
pub mod submit;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clarity::vm::types::{PrincipalData, QualifiedContractIdentifier};
use serde_json::{json, Value as JsonValue};

use crate::stacks::Stacks;

/// A refusal: an HTTP status and a JSON body.
#[derive(Debug)]
pub struct Refusal {
    /// 4xx for client mistakes.
    pub status: StatusCode,
    /// The JSON body.
    pub body: JsonValue,
}

impl Refusal {
    /// A 400 `{"error": message}`.
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": message.into() }),
        }
    }

    /// A 404 `{"error": message}`.
    pub fn not_found(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::NOT_FOUND,
            body: json!({ "error": message.into() }),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The routes, over `stacks` (a clone sharing the devnet's chain).
pub fn router(stacks: Stacks) -> Router {
    Router::new()
        .route("/v2/info", get(read::info))
        .route("/v2/accounts/{principal}", get(read::account))
        .route(
            "/v2/contracts/call-read/{address}/{contract}/{function}",
            post(read::call_read),
        )
        .route(
            "/v2/contracts/interface/{address}/{contract}",
            get(read::interface),
        )
        .route(
            "/v2/contracts/source/{address}/{contract}",
            get(read::source),
        )
        .route("/v2/fees/transfer", get(read::transfer_fee))
        .route("/v2/fees/transaction", post(read::fee_estimate))
        .route("/v2/transactions", post(submit::post_transaction))
        .route("/extended/v1/tx/{txid}", get(submit::tx_status))
        .route("/extended/v1/address/{principal}/nonces", get(read::nonces))
        .fallback(|uri: axum::http::Uri| async move {
            Refusal::not_found(format!("no such endpoint {uri} on the devnet's Stacks RPC"))
        })
        .with_state(stacks)
}

/// Serves [`router`] on `listener` until the task is aborted.
///
/// # Errors
/// The listener failing.
pub async fn serve(listener: tokio::net::TcpListener, stacks: Stacks) -> std::io::Result<()> {
    axum::serve(listener, router(stacks)).await
}

/// [`serve`], with sBTC's Emily API (`crate::emily`) under `/emily` beside the node.
pub async fn serve_with_emily(
    listener: tokio::net::TcpListener,
    stacks: Stacks,
    emily: std::sync::Arc<crate::emily::Emily>,
) -> std::io::Result<()> {
    axum::serve(listener, router(stacks).nest("/emily", emily.router())).await
}

/// A principal from a path segment, or a 400 naming it.
pub(crate) fn parse_principal(text: &str) -> Result<PrincipalData, Refusal> {
    PrincipalData::parse(text)
        .map_err(|e| Refusal::bad_request(format!("malformed principal {text:?}: {e}")))
}

/// `address.contract` from path segments, or a 400 naming the bad part.
pub(crate) fn parse_contract(
    address: &str,
    contract: &str,
) -> Result<QualifiedContractIdentifier, Refusal> {
    PrincipalData::parse_standard_principal(address)
        .map_err(|e| Refusal::bad_request(format!("malformed address {address:?}: {e}")))?;
    QualifiedContractIdentifier::parse(&format!("{address}.{contract}"))
        .map_err(|e| Refusal::bad_request(format!("malformed contract name {contract:?}: {e}")))
}

/// Hex with or without `0x`, or a 400 naming the field and the text.
pub(crate) fn parse_hex(field: &str, text: &str) -> Result<Vec<u8>, Refusal> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text))
        .map_err(|e| Refusal::bad_request(format!("{field} is not hex ({e}): {text:?}")))
}

/// A u128 as stacks-node prints balances: `0x` and 32 hex digits, big-endian.
pub(crate) fn hex_u128(v: u128) -> String {
    format!("0x{}", hex::encode(v.to_be_bytes()))
}

#[cfg(test)]
mod tests;
