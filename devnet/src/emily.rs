//! An in-process Emily: the sBTC deposit registry the sBTC signers poll, with the
//! request and answer shapes of the real Emily API (stacks-network/sbtc `emily`), so
//! the forwarder that registers a Silica's deposits (issue 16) talks to the devnet as
//! it would to mainnet's Emily.
//!
//! Served routes:
//! - `POST /deposit` with `{bitcoinTxid, bitcoinTxOutputIndex, reclaimScript,
//!   depositScript, transactionHex}`: the transaction must decode, have that txid and
//!   output, and the output must be the P2TR of exactly these two leaves
//!   ([`alkahest_protocol::sbtc`]); 201 with the new deposit (`pending`), 200 with the
//!   stored one when it was registered before (repeats are harmless), 400 naming the
//!   field otherwise.
//! - `GET /deposit/{txid}/{index}`: the deposit, or 404.
//! - `GET /deposit?status=pending`: deposits by status.
//! - `GET /limits`: the per-deposit minimum and cap (other limits null, as unset ones
//!   are on Emily).
//!
//! Like Emily, it does not check the key in the deposit script or whether the funding
//! transaction is a coinbase: the sBTC signers do, when they sweep.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alkahest_protocol::sbtc::{parse_deposit_script, DepositScripts};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::consensus::deserialize;
use bitcoin::{ScriptBuf, Transaction, Txid};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A deposit's status, as Emily spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Registered, not yet swept.
    Pending,
    /// The sBTC signers accepted it for a sweep.
    Accepted,
    /// Swept and minted.
    Confirmed,
    /// Refused by the sBTC signers (it may be reclaimed).
    Failed,
}

/// `POST /deposit`'s body.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeposit {
    /// The funding transaction's id (display hex).
    pub bitcoin_txid: String,
    /// The deposit output's index.
    pub bitcoin_tx_output_index: u32,
    /// The reclaim leaf (hex).
    pub reclaim_script: String,
    /// The deposit leaf (hex).
    pub deposit_script: String,
    /// The funding transaction (hex).
    pub transaction_hex: String,
}

/// A registered deposit, as Emily answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    /// Display hex.
    pub bitcoin_txid: String,
    /// Output index.
    pub bitcoin_tx_output_index: u32,
    /// The recipient principal, consensus-serialized, hex.
    pub recipient: String,
    /// Sats in the output.
    pub amount: u64,
    /// Where it stands.
    pub status: Status,
    /// `{maxFee, lockTime}`.
    pub parameters: Parameters,
    /// The reclaim leaf (hex).
    pub reclaim_script: String,
    /// The deposit leaf (hex).
    pub deposit_script: String,
}

/// A deposit's fee cap and reclaim lock time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// The most the sweep fee may take, sats.
    pub max_fee: u64,
    /// The reclaim leaf's relative lock time, blocks.
    pub lock_time: u64,
}

/// Emily's state: deposits by (txid, vout), and the per-deposit limits.
#[derive(Debug, Default)]
pub struct Emily {
    deposits: Mutex<BTreeMap<(Txid, u32), Deposit>>,
    /// Smallest deposit accepted, sats.
    pub per_deposit_minimum: u64,
    /// Largest deposit accepted, sats.
    pub per_deposit_cap: u64,
}

impl Emily {
    /// An empty registry with these per-deposit limits.
    pub fn new(per_deposit_minimum: u64, per_deposit_cap: u64) -> Arc<Emily> {
        Arc::new(Emily {
            deposits: Mutex::default(),
            per_deposit_minimum,
            per_deposit_cap,
        })
    }

    /// The deposits with `status`, in (txid, vout) order.
    pub fn with_status(&self, status: Status) -> Vec<Deposit> {
        let deposits = self.deposits.lock().unwrap_or_else(|p| p.into_inner());
        deposits
            .values()
            .filter(|d| d.status == status)
            .cloned()
            .collect()
    }

    /// Moves a registered deposit to `status` (what the sBTC signers report).
    pub fn set_status(&self, txid: Txid, vout: u32, status: Status) -> bool {
        let mut deposits = self.deposits.lock().unwrap_or_else(|p| p.into_inner());
        deposits
            .get_mut(&(txid, vout))
            .map(|d| d.status = status)
            .is_some()
    }

    /// Validates and registers `req`: `Ok((true, d))` when new, `Ok((false, d))` when
    /// registered before.
    ///
    /// # Errors
    /// A message naming the field that is wrong.
    pub fn register(&self, req: &CreateDeposit) -> Result<(bool, Deposit), String> {
        let hex_field =
            |name: &str, v: &str| hex::decode(v).map_err(|e| format!("{name} is not hex: {e}"));
        let txid: Txid = req
            .bitcoin_txid
            .parse()
            .map_err(|e| format!("bitcoinTxid {:?} is not a txid: {e}", req.bitcoin_txid))?;
        let tx: Transaction = deserialize(&hex_field("transactionHex", &req.transaction_hex)?)
            .map_err(|e| format!("transactionHex is not a transaction: {e}"))?;
        if tx.compute_txid() != txid {
            return Err(format!(
                "transactionHex has txid {}, not bitcoinTxid {txid}",
                tx.compute_txid()
            ));
        }
        let vout = req.bitcoin_tx_output_index;
        let output = tx.output.get(vout as usize).ok_or_else(|| {
            format!(
                "bitcoinTxOutputIndex {vout}: the transaction has {} outputs",
                tx.output.len()
            )
        })?;
        let deposit = ScriptBuf::from_bytes(hex_field("depositScript", &req.deposit_script)?);
        let reclaim = ScriptBuf::from_bytes(hex_field("reclaimScript", &req.reclaim_script)?);
        let parsed = parse_deposit_script(&deposit).map_err(|e| format!("depositScript: {e}"))?;
        let lock_time = reclaim_lock_time(&reclaim)
            .ok_or_else(|| "reclaimScript does not start with <lock time> OP_CSV".to_owned())?;
        let scripts = DepositScripts { deposit, reclaim };
        if output.script_pubkey != scripts.output_script() {
            return Err(format!(
                "output {vout} does not pay the taproot output of depositScript and reclaimScript"
            ));
        }
        let amount = output.value.to_sat();
        if amount < self.per_deposit_minimum || amount > self.per_deposit_cap {
            return Err(format!(
                "amount {amount} is outside the per-deposit limits [{}, {}]",
                self.per_deposit_minimum, self.per_deposit_cap
            ));
        }
        let mut deposits = self.deposits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = deposits.get(&(txid, vout)) {
            return Ok((false, existing.clone()));
        }
        let d = Deposit {
            bitcoin_txid: txid.to_string(),
            bitcoin_tx_output_index: vout,
            recipient: hex::encode(&parsed.recipient),
            amount,
            status: Status::Pending,
            parameters: Parameters {
                max_fee: parsed.max_fee,
                lock_time,
            },
            reclaim_script: req.reclaim_script.clone(),
            deposit_script: req.deposit_script.clone(),
        };
        deposits.insert((txid, vout), d.clone());
        Ok((true, d))
    }

    /// The API; the devnet serves it under `/emily` on its Stacks RPC address.
    pub fn router(self: &Arc<Emily>) -> Router {
        Router::new()
            .route("/deposit", post(create).get(by_status))
            .route("/deposit/{txid}/{index}", get(one))
            .route("/limits", get(limits))
            .with_state(self.clone())
    }
}

/// Reads the `<lock time> OP_CSV` prefix of a reclaim leaf.
fn reclaim_lock_time(reclaim: &ScriptBuf) -> Option<u64> {
    use bitcoin::opcodes::all::OP_CSV;
    use bitcoin::script::Instruction;
    let mut ins = reclaim.instructions_minimal();
    let n = match ins.next()?.ok()? {
        Instruction::PushBytes(p) => bitcoin::script::read_scriptint(p.as_bytes()).ok()?,
        // OP_1..OP_16 (OP_0 reads as an empty push above).
        Instruction::Op(op) if (0x51..=0x60).contains(&op.to_u8()) => i64::from(op.to_u8() - 0x50),
        Instruction::Op(_) => return None,
    };
    match ins.next()?.ok()? {
        Instruction::Op(op) if op == OP_CSV => u64::try_from(n).ok(),
        _ => None,
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
}

async fn create(State(emily): State<Arc<Emily>>, body: axum::body::Bytes) -> Response {
    let req: CreateDeposit = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("body is not a CreateDepositRequestBody: {e}")),
    };
    match emily.register(&req) {
        Ok((true, d)) => (StatusCode::CREATED, Json(d)).into_response(),
        Ok((false, d)) => (StatusCode::OK, Json(d)).into_response(),
        Err(message) => bad_request(message),
    }
}

async fn one(
    State(emily): State<Arc<Emily>>,
    Path((txid, index)): Path<(String, u32)>,
) -> Response {
    let Ok(txid) = txid.parse::<Txid>() else {
        return bad_request(format!("{txid:?} is not a txid"));
    };
    let deposits = emily.deposits.lock().unwrap_or_else(|p| p.into_inner());
    match deposits.get(&(txid, index)) {
        Some(d) => Json(d.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": format!("no deposit {txid}:{index}")})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Status,
}

async fn by_status(State(emily): State<Arc<Emily>>, Query(q): Query<StatusQuery>) -> Response {
    Json(json!({"deposits": emily.with_status(q.status)})).into_response()
}

async fn limits(State(emily): State<Arc<Emily>>) -> Response {
    Json(json!({
        "pegCap": null,
        "perDepositMinimum": emily.per_deposit_minimum,
        "perDepositCap": emily.per_deposit_cap,
        "perWithdrawalCap": null,
        "rollingWithdrawalBlocks": null,
        "rollingWithdrawalCap": null,
        "availableToWithdraw": null,
        "accountCaps": {},
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alkahest_indexer::source::regtest::payment_tx;
    use alkahest_protocol::principal::Principal;
    use bitcoin::consensus::serialize;
    use bitcoin::key::XOnlyPublicKey;
    use bitcoin::{Amount, TxOut};
    use std::str::FromStr;

    fn key() -> XOnlyPublicKey {
        XOnlyPublicKey::from_str("567467ad8005b9a240160b3c8f6cbd229f3e52f100004c138054d4dbae363e5e")
            .unwrap()
    }

    /// A funding transaction paying a deposit to `.silica` at output 1, and its body.
    fn funded(amount: u64) -> (Transaction, CreateDeposit) {
        let silica = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
        let scripts = DepositScripts::new(&silica, 5_000, &key(), 144, &ScriptBuf::new()).unwrap();
        let tx = payment_tx(
            &amount.to_le_bytes(),
            vec![
                TxOut {
                    value: Amount::from_sat(7),
                    script_pubkey: ScriptBuf::new_op_return([1u8; 4]),
                },
                TxOut {
                    value: Amount::from_sat(amount),
                    script_pubkey: scripts.output_script(),
                },
            ],
        );
        let body = CreateDeposit {
            bitcoin_txid: tx.compute_txid().to_string(),
            bitcoin_tx_output_index: 1,
            reclaim_script: hex::encode(scripts.reclaim.as_bytes()),
            deposit_script: hex::encode(scripts.deposit.as_bytes()),
            transaction_hex: hex::encode(serialize(&tx)),
        };
        (tx, body)
    }

    async fn get_json(url: &str) -> serde_json::Value {
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    async fn post(url: &str, body: &CreateDeposit) -> reqwest::Response {
        let http = reqwest::Client::new();
        http.post(format!("{url}/deposit"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn serve(emily: &Arc<Emily>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = emily.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    #[tokio::test]
    async fn a_deposit_registers_once_and_reads_back_as_emily_answers() {
        let emily = Emily::new(1_000, 1_000_000);
        let url = serve(&emily).await;
        let http = reqwest::Client::new();
        let (tx, body) = funded(50_000);
        let r = post(&url, &body).await;
        assert_eq!(r.status(), 201);
        let d: Deposit = r.json().await.unwrap();
        assert_eq!((d.amount, d.status), (50_000, Status::Pending));
        assert_eq!(
            d.parameters,
            Parameters {
                max_fee: 5_000,
                lock_time: 144
            }
        );
        assert!(
            d.recipient.starts_with("06"),
            "a contract recipient: {}",
            d.recipient
        );
        // A repeat is harmless: 200 with the stored deposit.
        let again = post(&url, &body).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Deposit>().await.unwrap(), d);

        let txid = tx.compute_txid();
        let one = http
            .get(format!("{url}/deposit/{txid}/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(one.json::<Deposit>().await.unwrap(), d);
        let none = http
            .get(format!("{url}/deposit/{txid}/0"))
            .send()
            .await
            .unwrap();
        assert_eq!(none.status(), 404);
        let pending = get_json(&format!("{url}/deposit?status=pending")).await;
        assert_eq!(pending["deposits"].as_array().unwrap().len(), 1);
        assert!(emily.set_status(txid, 1, Status::Confirmed));
        assert!(emily.with_status(Status::Pending).is_empty());
        let limits = get_json(&format!("{url}/limits")).await;
        assert_eq!(limits["perDepositMinimum"], 1_000);
        assert_eq!(limits["perDepositCap"], 1_000_000);
        let leaf = ScriptBuf::from_bytes(hex::decode(&body.deposit_script).unwrap());
        assert_eq!(parse_deposit_script(&leaf).unwrap().signers_key, key());
    }

    #[tokio::test]
    async fn a_wrong_deposit_is_a_400_naming_what_is_wrong_and_nothing_is_stored() {
        let emily = Emily::new(1_000, 1_000_000);
        let url = serve(&emily).await;
        let http = reqwest::Client::new();
        let (_, good) = funded(50_000);
        let other_lock = {
            let silica =
                Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.silica").unwrap();
            DepositScripts::new(&silica, 5_000, &key(), 145, &ScriptBuf::new()).unwrap()
        };
        let (_, small) = funded(999);
        let cases: Vec<(CreateDeposit, &str)> = vec![
            (
                CreateDeposit {
                    bitcoin_tx_output_index: 2,
                    ..good.clone()
                },
                "bitcoinTxOutputIndex 2",
            ),
            (
                CreateDeposit {
                    bitcoin_tx_output_index: 0,
                    ..good.clone()
                },
                "does not pay the taproot output",
            ),
            (
                CreateDeposit {
                    reclaim_script: hex::encode(other_lock.reclaim.as_bytes()),
                    ..good.clone()
                },
                "does not pay the taproot output",
            ),
            (
                CreateDeposit {
                    bitcoin_txid: "00".repeat(32),
                    ..good.clone()
                },
                "not bitcoinTxid",
            ),
            (
                CreateDeposit {
                    deposit_script: "zz".into(),
                    ..good.clone()
                },
                "depositScript is not hex",
            ),
            (
                CreateDeposit {
                    deposit_script: "51".into(),
                    ..good.clone()
                },
                "depositScript: not an sBTC deposit script",
            ),
            (
                CreateDeposit {
                    reclaim_script: "51".into(),
                    ..good.clone()
                },
                "reclaimScript does not start",
            ),
            (small, "outside the per-deposit limits"),
        ];
        for (body, expected) in cases {
            let r = post(&url, &body).await;
            assert_eq!(r.status(), 400, "{expected}");
            let msg: serde_json::Value = r.json().await.unwrap();
            let text = msg["message"].as_str().unwrap();
            assert!(text.contains(expected), "{text:?} should name {expected:?}");
        }
        let r = http
            .post(format!("{url}/deposit"))
            .body("{\"bitcoinTxid\": 1}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(
            emily.with_status(Status::Pending).is_empty(),
            "nothing stored"
        );
        let bad = http
            .get(format!("{url}/deposit/xyz/0"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
    }
}
