//! A Bitcoin Core JSON-RPC subset over the devnet's regtest chain, so the production
//! `indexer` and `signer` binaries can follow it with `--source rpc` exactly as they
//! follow a real `bitcoind` (`devnet --processes`).
//!
//! Served on its own loopback port: `POST /` with JSON-RPC 1.0 (legacy) or 2.0 bodies,
//! single or batched, and the read calls an indexer needs: `getblockchaininfo`,
//! `getblockcount`, `getbestblockhash`, `getblockhash`, `getblock` (verbosity 0 and 1),
//! `getblockheader` (verbose and not) and `getblockfilter` (basic, over output scripts),
//! plus `getnetworkinfo` (a node without
//! peers), which `bitcoincore-rpc` asks for the server version. Shapes, error codes and HTTP statuses are
//! Bitcoin Core 28's, so a client that works here works against Core: a legacy error
//! answers HTTP 500 (404 for an unknown method, 400 for an invalid request) with
//! `{result: null, error: {code, message}, id}`, a 2.0 error HTTP 200 without `result`.
//!
//! Authentication is Core's cookie: at start the devnet writes
//! `<data>/bitcoind/.cookie` (`__cookie__:<64 random hex digits>`, mode 0600, new at
//! every start, removed at exit), and every request without matching HTTP Basic
//! credentials gets an empty 401, which the indexer's `RpcSource` answers by re-reading
//! the cookie.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use alkahest_indexer::payouts::output_filter;
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder};
use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use bitcoin::bip158::FilterHeader;
use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash as _;
use bitcoin::{Block, BlockHash, Work};
use serde_json::{json, Map, Value};

/// The user name Bitcoin Core writes in its cookie file.
pub const COOKIE_USER: &str = "__cookie__";

/// Core's `RPC_MISC_ERROR`: also what a call with missing parameters answers.
const RPC_MISC_ERROR: i64 = -1;
/// Core's `RPC_TYPE_ERROR`: a parameter of the wrong JSON type.
const RPC_TYPE_ERROR: i64 = -3;
/// Core's `RPC_INVALID_ADDRESS_OR_KEY`: an unknown block.
const RPC_INVALID_ADDRESS_OR_KEY: i64 = -5;
/// Core's `RPC_INVALID_PARAMETER`: a height out of range or a malformed hash.
const RPC_INVALID_PARAMETER: i64 = -8;
/// JSON-RPC's invalid request.
const RPC_INVALID_REQUEST: i64 = -32600;
/// JSON-RPC's method not found.
const RPC_METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC's parse error.
const RPC_PARSE_ERROR: i64 = -32700;

/// An RPC error object: `{code, message}` as Core sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// Core's error code.
    pub code: i64,
    /// Core's message.
    pub message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

/// The running server; dropping it stops it and removes the cookie file.
pub struct BitcoindRpc {
    url: String,
    cookie: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl BitcoindRpc {
    /// Writes a fresh cookie under `<data_dir>/bitcoind/` and serves `chain` on `addr`.
    ///
    /// # Errors
    /// The cookie cannot be written or the address bound.
    pub async fn start(
        chain: Arc<Mutex<ChainBuilder>>,
        data_dir: &Path,
        addr: SocketAddr,
    ) -> anyhow::Result<BitcoindRpc> {
        let dir = data_dir.join("bitcoind");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let cookie = dir.join(".cookie");
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret)
            .map_err(|e| anyhow::anyhow!("no randomness for the bitcoind cookie: {e}"))?;
        let credentials = format!("{COOKIE_USER}:{}", hex::encode(secret));
        match std::fs::remove_file(&cookie) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing the old {}", cookie.display()))
            }
            _ => {}
        }
        crate::signers::write_private(&cookie, credentials.as_bytes())
            .with_context(|| format!("writing {}", cookie.display()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the bitcoind RPC to {addr}"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = router(chain, &credentials);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the bitcoind RPC stopped");
            }
        });
        Ok(BitcoindRpc { url, cookie, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cookie file clients authenticate with.
    pub fn cookie_file(&self) -> &Path {
        &self.cookie
    }
}

impl Drop for BitcoindRpc {
    fn drop(&mut self) {
        self.task.abort();
        // As bitcoind at shutdown: a stale cookie must not look like a live node.
        let _ = std::fs::remove_file(&self.cookie);
    }
}

#[derive(Clone)]
struct Rpc {
    chain: Arc<Mutex<ChainBuilder>>,
    /// `Basic <base64(user:password)>`, compared as sent.
    authorization: Arc<str>,
}

/// The JSON-RPC router over `chain`, accepting only HTTP Basic `credentials`
/// (`user:password`).
pub fn router(chain: Arc<Mutex<ChainBuilder>>, credentials: &str) -> Router {
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let state = Rpc {
        chain,
        authorization: format!("Basic {encoded}").into(),
    };
    Router::new().route("/", post(handle)).with_state(state)
}

async fn handle(State(rpc): State<Rpc>, headers: HeaderMap, body: Bytes) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == &*rpc.authorization);
    if !authorized {
        tracing::warn!("bitcoind RPC: request without the cookie's credentials refused");
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
        )
            .into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            let e = RpcError::new(RPC_PARSE_ERROR, "Parse error");
            return legacy_reply(Value::Null, Err(e));
        }
    };
    let chain = rpc.chain.lock().unwrap_or_else(|p| p.into_inner());
    let view = View::of(&chain);
    match request {
        Value::Array(batch) => {
            // Core answers a batch with HTTP 200 and one reply per request, notifications
            // (2.0 without an id) omitted.
            let replies: Vec<Value> = batch
                .iter()
                .filter_map(|r| one(&view, r).map(|(_, body)| body))
                .collect();
            (StatusCode::OK, axum::Json(Value::Array(replies))).into_response()
        }
        single => match one(&view, &single) {
            Some((status, body)) => (status, axum::Json(body)).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    }
}

/// Answers one request: the HTTP status and body, or `None` for a 2.0 notification.
fn one(view: &View<'_>, request: &Value) -> Option<(StatusCode, Value)> {
    let Some(obj) = request.as_object() else {
        let e = RpcError::new(RPC_INVALID_REQUEST, "Invalid Request object");
        return Some(legacy_parts(Value::Null, Err(e)));
    };
    let id = obj.get("id").cloned();
    let v2 = obj.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let result = parse_call(obj).and_then(|(method, params)| view.call(method, &params));
    if v2 {
        let id = id?;
        let body = match result {
            Ok(r) => json!({"jsonrpc": "2.0", "result": r, "id": id}),
            Err(e) => json!({"jsonrpc": "2.0", "error": e.to_json(), "id": id}),
        };
        Some((StatusCode::OK, body))
    } else {
        Some(legacy_parts(id.unwrap_or(Value::Null), result))
    }
}

fn legacy_parts(id: Value, result: Result<Value, RpcError>) -> (StatusCode, Value) {
    match result {
        Ok(r) => (
            StatusCode::OK,
            json!({"result": r, "error": null, "id": id}),
        ),
        Err(e) => {
            let status = match e.code {
                RPC_INVALID_REQUEST => StatusCode::BAD_REQUEST,
                RPC_METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                json!({"result": null, "error": e.to_json(), "id": id}),
            )
        }
    }
}

fn legacy_reply(id: Value, result: Result<Value, RpcError>) -> Response {
    let (status, body) = legacy_parts(id, result);
    (status, axum::Json(body)).into_response()
}

/// A call's parameters: positional or named, as Core accepts both.
enum Params<'a> {
    Positional(&'a [Value]),
    Named(&'a Map<String, Value>),
}

impl Params<'_> {
    /// Parameter `i` (named `name`); JSON `null` counts as absent, as in Core.
    fn get(&self, i: usize, name: &str) -> Option<&Value> {
        match self {
            Params::Positional(v) => v.get(i),
            Params::Named(m) => m.get(name),
        }
        .filter(|v| !v.is_null())
    }
}

fn parse_call(obj: &Map<String, Value>) -> Result<(&str, Params<'_>), RpcError> {
    let method = match obj.get("method") {
        None => return Err(RpcError::new(RPC_INVALID_REQUEST, "Missing method")),
        Some(Value::String(m)) => m.as_str(),
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Method must be a string",
            ))
        }
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => Params::Positional(&[]),
        Some(Value::Array(a)) => Params::Positional(a),
        Some(Value::Object(m)) => Params::Named(m),
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Params must be an array or object",
            ))
        }
    };
    Ok((method, params))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(v: &Value, expected: &str) -> RpcError {
    RpcError::new(
        RPC_TYPE_ERROR,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            type_name(v)
        ),
    )
}

/// Core answers a call with missing arguments with its help text and code -1; this is
/// its first line.
fn usage(text: &str) -> RpcError {
    RpcError::new(RPC_MISC_ERROR, text)
}

/// Core's `ParseHashV`.
fn parse_hash(v: &Value, name: &str) -> Result<BlockHash, RpcError> {
    let s = v.as_str().ok_or_else(|| type_error(v, "string"))?;
    if s.len() != 64 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
        ));
    }
    s.parse().map_err(|_| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )
    })
}

fn block_not_found() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}

/// The best chain, borrowed under the chain's lock for one request.
struct View<'a> {
    blocks: Vec<&'a Block>,
}

impl<'a> View<'a> {
    fn of(chain: &'a ChainBuilder) -> View<'a> {
        View {
            blocks: chain.best_chain(),
        }
    }

    fn tip(&self) -> usize {
        self.blocks.len().saturating_sub(1)
    }

    fn height_of(&self, hash: &BlockHash) -> Option<usize> {
        self.blocks.iter().position(|b| b.block_hash() == *hash)
    }

    /// The block a `blockhash` parameter names, with its height.
    fn find(&self, param: Option<&Value>, usage_text: &str) -> Result<usize, RpcError> {
        let hash = parse_hash(param.ok_or_else(|| usage(usage_text))?, "blockhash")?;
        self.height_of(&hash).ok_or_else(block_not_found)
    }

    fn call(&self, method: &str, params: &Params<'_>) -> Result<Value, RpcError> {
        match method {
            "getblockchaininfo" => Ok(self.blockchain_info()),
            "getblockcount" => Ok(json!(self.tip())),
            "getnetworkinfo" => Ok(network_info()),
            "getbestblockhash" => Ok(json!(self.blocks[self.tip()].block_hash().to_string())),
            "getblockhash" => {
                let v = params
                    .get(0, "height")
                    .ok_or_else(|| usage("getblockhash height"))?;
                let height = v.as_i64().ok_or_else(|| type_error(v, "number"))?;
                usize::try_from(height)
                    .ok()
                    .and_then(|h| self.blocks.get(h))
                    .map(|b| json!(b.block_hash().to_string()))
                    .ok_or_else(|| {
                        RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range")
                    })
            }
            "getblock" => {
                let h = self.find(
                    params.get(0, "blockhash"),
                    "getblock \"blockhash\" ( verbosity )",
                )?;
                let verbosity = match params.get(1, "verbosity") {
                    None => 1,
                    Some(Value::Bool(b)) => i64::from(*b),
                    Some(v) => v.as_i64().ok_or_else(|| type_error(v, "number"))?,
                };
                match verbosity {
                    i64::MIN..=0 => Ok(json!(hex::encode(block_bytes(self.blocks[h])))),
                    1 => Ok(self.block_json(h)),
                    other => Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        format!(
                            "verbosity {other} (transaction details) is not served by the devnet's \
                             bitcoind subset: use 0 or 1"
                        ),
                    )),
                }
            }
            "getblockheader" => {
                let h = self.find(
                    params.get(0, "blockhash"),
                    "getblockheader \"blockhash\" ( verbose )",
                )?;
                let verbose = match params.get(1, "verbose") {
                    None => true,
                    Some(v) => v.as_bool().ok_or_else(|| type_error(v, "bool"))?,
                };
                if verbose {
                    Ok(Value::Object(self.header_json(h)))
                } else {
                    Ok(json!(hex::encode(serialize(&self.blocks[h].header))))
                }
            }
            "getblockfilter" => {
                let h = self.find(
                    params.get(0, "blockhash"),
                    "getblockfilter \"blockhash\" ( \"filtertype\" )",
                )?;
                match params.get(1, "filtertype") {
                    None => {}
                    Some(Value::String(t)) if t == "basic" => {}
                    Some(Value::String(_)) => {
                        return Err(RpcError::new(
                            RPC_INVALID_ADDRESS_OR_KEY,
                            "Unknown filtertype",
                        ))
                    }
                    Some(v) => return Err(type_error(v, "string")),
                }
                Ok(self.filter_json(h))
            }
            _ => Err(RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found")),
        }
    }

    /// `getblockfilter`'s answer: the block's BIP158 basic filter over its output scripts
    /// (the devnet keeps no UTXO set, so the scripts its inputs spend are not in it) and
    /// the BIP157 filter header chained from genesis.
    fn filter_json(&self, h: usize) -> Value {
        let mut header = FilterHeader::all_zeros();
        let mut filter = None;
        for b in &self.blocks[..=h] {
            let f = output_filter(b);
            header = f.filter_header(&header);
            filter = Some(f);
        }
        let content = filter.map(|f| f.content).unwrap_or_default();
        json!({"filter": hex::encode(content), "header": header.to_string()})
    }

    /// Core's `GetMedianTimePast`: the median of the last 11 block times.
    fn median_time(&self, h: usize) -> u32 {
        let mut times: Vec<u32> = self.blocks[h.saturating_sub(10)..=h]
            .iter()
            .map(|b| b.header.time)
            .collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Total work of the chain up to `h`, as Core prints it (64 hex digits).
    fn chainwork(&self, h: usize) -> String {
        let total = self.blocks[..=h]
            .iter()
            .map(|b| b.header.work())
            .fold(Work::from_be_bytes([0; 32]), |a, w| a + w);
        hex::encode(total.to_be_bytes())
    }

    /// `getblockheader`'s verbose object (Core 28's fields).
    fn header_json(&self, h: usize) -> Map<String, Value> {
        let b = self.blocks[h];
        let hd = &b.header;
        let mut m = Map::new();
        m.insert("hash".into(), json!(b.block_hash().to_string()));
        m.insert("confirmations".into(), json!(self.tip() - h + 1));
        m.insert("height".into(), json!(h));
        m.insert("version".into(), json!(hd.version.to_consensus()));
        m.insert(
            "versionHex".into(),
            json!(format!("{:08x}", hd.version.to_consensus() as u32)),
        );
        m.insert("merkleroot".into(), json!(hd.merkle_root.to_string()));
        m.insert("time".into(), json!(hd.time));
        m.insert("mediantime".into(), json!(self.median_time(h)));
        m.insert("nonce".into(), json!(hd.nonce));
        m.insert(
            "bits".into(),
            json!(format!("{:08x}", hd.bits.to_consensus())),
        );
        m.insert("difficulty".into(), json!(hd.difficulty_float()));
        m.insert("chainwork".into(), json!(self.chainwork(h)));
        m.insert("nTx".into(), json!(b.txdata.len()));
        if h > 0 {
            m.insert(
                "previousblockhash".into(),
                json!(hd.prev_blockhash.to_string()),
            );
        }
        if let Some(next) = self.blocks.get(h + 1) {
            m.insert("nextblockhash".into(), json!(next.block_hash().to_string()));
        }
        m
    }

    /// `getblock` at verbosity 1: the header object plus sizes and txids.
    fn block_json(&self, h: usize) -> Value {
        let b = self.blocks[h];
        let mut m = self.header_json(h);
        let size = b.total_size();
        let weight = b.weight().to_wu();
        // weight = 3·stripped + total.
        m.insert("strippedsize".into(), json!((weight as usize - size) / 3));
        m.insert("size".into(), json!(size));
        m.insert("weight".into(), json!(weight));
        let txids: Vec<Value> = b
            .txdata
            .iter()
            .map(|t| json!(t.compute_txid().to_string()))
            .collect();
        m.insert("tx".into(), Value::Array(txids));
        Value::Object(m)
    }

    fn blockchain_info(&self) -> Value {
        let h = self.tip();
        let tip = self.blocks[h];
        let size_on_disk: usize = self.blocks.iter().map(|b| b.total_size()).sum();
        json!({
            "chain": "regtest",
            "blocks": h,
            "headers": h,
            "bestblockhash": tip.block_hash().to_string(),
            "difficulty": tip.header.difficulty_float(),
            "time": tip.header.time,
            "mediantime": self.median_time(h),
            "verificationprogress": 1.0,
            "initialblockdownload": false,
            "chainwork": self.chainwork(h),
            "size_on_disk": size_on_disk,
            "pruned": false,
            "warnings": [],
        })
    }
}

/// `getnetworkinfo` of a Core 28.0 node without peers: clients read `version` to pick
/// result shapes (`bitcoincore-rpc` does before `getblockchaininfo`).
fn network_info() -> Value {
    json!({
        "version": 280000,
        "subversion": "/Satoshi:28.0.0(alkahest-devnet)/",
        "protocolversion": 70016,
        "localservices": "0000000000000c09",
        "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"],
        "localrelay": true,
        "timeoffset": 0,
        "networkactive": true,
        "connections": 0,
        "connections_in": 0,
        "connections_out": 0,
        "networks": [],
        "relayfee": 0.00001,
        "incrementalfee": 0.00001,
        "localaddresses": [],
        "warnings": [],
    })
}
