//! [`RpcClient`]: a [`StacksClient`] over a Stacks node's RPC API.
//!
//! - nonce: `GET /v2/accounts/<principal>?proof=0` → `{"nonce": n, …}`;
//! - reads: `POST /v2/contracts/call-read/<address>/<contract>/<function>` with
//!   `{"sender", "arguments": ["0x<consensus-serialised value>", …]}` →
//!   `{"okay": bool, "result": "0x…", "cause": …}`;
//! - submit: `POST /v2/transactions` with the consensus bytes
//!   (`application/octet-stream`) → the txid as a JSON string;
//! - fee rate: `GET /v2/fees/transfer` → µSTX per byte, a bare JSON number.
//!
//! [`RpcClient::sign_and_submit`] is how a signer sends a call: its next nonce from
//! the node, a fee of the node's rate times the transaction's length (what a
//! stacks-node requires at least), signed and broadcast.

use std::time::Duration;

use clarity::codec::StacksMessageCodec;
use clarity::vm::Value;
use clarity_repl::codec::StacksTransaction;
use serde::Deserialize;

use super::{tx, StacksClient, StacksError};
use crate::key::SignerKey;

/// A Stacks node RPC endpoint.
#[derive(Debug, Clone)]
pub struct RpcClient {
    base: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct AccountInfo {
    nonce: u64,
}

#[derive(Deserialize)]
struct ReadOnlyAnswer {
    okay: bool,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

impl RpcClient {
    /// A client for the node at `base` (e.g. `http://127.0.0.1:20443`), with a timeout
    /// per request.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (TLS backend initialisation).
    pub fn new(base: &str, timeout: Duration) -> Result<RpcClient, reqwest::Error> {
        Ok(RpcClient {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
        })
    }

    /// The node's fee rate in µSTX per byte (`GET /v2/fees/transfer`).
    ///
    /// # Errors
    /// [`StacksError`] when the node is unreachable, refuses, or answers a non-number.
    pub async fn fee_rate(&self) -> Result<u64, StacksError> {
        let url = format!("{}/v2/fees/transfer", self.base);
        let body = self.send(url.clone(), self.http.get(&url)).await?;
        decode_json(&url, &body)
    }

    /// Signs `call` as `key` with its next nonce and a fee of the node's rate times the
    /// transaction's length, and broadcasts it; returns the txid (hex).
    ///
    /// # Errors
    /// A malformed call ([`StacksError::Decode`] naming it), or the node refusing or
    /// failing any of the three requests.
    pub async fn sign_and_submit(
        &self,
        call: &tx::ContractCall,
        key: &SignerKey,
        network: tx::Network,
    ) -> Result<String, StacksError> {
        let origin = tx::address_of(key, network).to_string();
        let nonce = self.get_nonce(&origin).await?;
        let rate = self.fee_rate().await?;
        let sign = |fee| {
            tx::sign_contract_call(call, nonce, fee, key, network).map_err(|e| {
                StacksError::Decode {
                    url: call.contract_id.clone(),
                    reason: e.to_string(),
                }
            })
        };
        // The fee is a fixed-width field: the length does not depend on its value.
        let len = tx::encode(&sign(0)?).len() as u64;
        let signed = sign(rate.saturating_mul(len).max(1))?;
        self.submit(&signed).await
    }

    async fn send(&self, url: String, req: reqwest::RequestBuilder) -> Result<String, StacksError> {
        let resp = req.send().await.map_err(|source| StacksError::Http {
            url: url.clone(),
            source,
        })?;
        let status = resp.status();
        let body = resp.text().await.map_err(|source| StacksError::Http {
            url: url.clone(),
            source,
        })?;
        if !status.is_success() {
            return Err(StacksError::Refused {
                url,
                status: status.as_u16(),
                body,
            });
        }
        Ok(body)
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(url: &str, body: &str) -> Result<T, StacksError> {
    serde_json::from_str(body).map_err(|e| StacksError::Decode {
        url: url.to_string(),
        reason: format!("{e}: {body}"),
    })
}

impl StacksClient for RpcClient {
    async fn get_nonce(&self, address: &str) -> Result<u64, StacksError> {
        let url = format!("{}/v2/accounts/{address}?proof=0", self.base);
        let body = self.send(url.clone(), self.http.get(&url)).await?;
        Ok(decode_json::<AccountInfo>(&url, &body)?.nonce)
    }

    async fn call_read_only(
        &self,
        contract_id: &str,
        function: &str,
        args: &[Value],
        sender: &str,
    ) -> Result<Value, StacksError> {
        let (address, name) = contract_id
            .split_once('.')
            .ok_or_else(|| StacksError::Decode {
                url: contract_id.to_string(),
                reason: "contract id must be ADDRESS.name".into(),
            })?;
        let url = format!(
            "{}/v2/contracts/call-read/{address}/{name}/{function}",
            self.base
        );
        let arguments: Vec<String> = args
            .iter()
            .map(|v| format!("0x{}", hex::encode(v.serialize_to_vec())))
            .collect();
        let body = serde_json::json!({ "sender": sender, "arguments": arguments });
        let answer = self
            .send(url.clone(), self.http.post(&url).json(&body))
            .await?;
        let answer: ReadOnlyAnswer = decode_json(&url, &answer)?;
        if !answer.okay {
            return Err(StacksError::ReadOnly {
                function: function.to_string(),
                cause: answer.cause.unwrap_or_default(),
            });
        }
        let hex_result = answer.result.ok_or_else(|| StacksError::Decode {
            url: url.clone(),
            reason: "okay answer without result".into(),
        })?;
        let hex_result = hex_result.trim_start_matches("0x");
        Value::try_deserialize_hex_untyped(hex_result).map_err(|e| StacksError::Decode {
            url,
            reason: e.to_string(),
        })
    }

    async fn submit(&self, transaction: &StacksTransaction) -> Result<String, StacksError> {
        let url = format!("{}/v2/transactions", self.base);
        let req = self
            .http
            .post(&url)
            .header("content-type", "application/octet-stream")
            .body(tx::encode(transaction));
        let body = self.send(url.clone(), req).await?;
        let txid: String = decode_json(&url, &body)?;
        Ok(txid.trim_start_matches("0x").to_string())
    }
}
