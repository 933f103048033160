//! The devnet's Bitcoin Core RPC subset (`alkahest_devnet::bitcoind`): the production
//! indexer's `RpcSource` indexes the devnet's chain through it with the cookie;
//! `bitcoincore-rpc` parses its answers into Core's result types (so the shapes are
//! Core's); requests without the cookie get 401; and bad parameters get Core's error
//! objects and HTTP statuses.

use alkahest_devnet::bitcoind::BitcoindRpc;
use alkahest_devnet::chain::Bitcoin;
use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{block_bytes, CoinbaseSpec};
use alkahest_indexer::source::rpc::{RpcAuth, RpcSource};
use alkahest_indexer::source::BlockSource;
use alkahest_indexer::storage::{DbRead, DbWrite, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, ScriptBuf};
use bitcoincore_rpc::RpcApi;
use serde_json::{json, Value};

const BLOCKS: u32 = 12;

/// A P2WPKH-shaped output script filled with `byte`.
fn script(byte: u8) -> ScriptBuf {
    ScriptBuf::from_bytes([0x00, 0x14].into_iter().chain([byte; 20]).collect())
}

/// A devnet chain of [`BLOCKS`] blocks (every block paying `payout` 1,000 sats) served
/// on a free port.
async fn served(dir: &std::path::Path, payout: &ScriptBuf) -> (Bitcoin, BitcoindRpc) {
    let btc = Bitcoin::open(dir).unwrap();
    let spec = CoinbaseSpec::default()
        .with_tag(b"/devnet/")
        .pay(payout.clone(), Amount::from_sat(1_000));
    for _ in 0..BLOCKS {
        btc.mine(&spec).unwrap();
    }
    let rpc = BitcoindRpc::start(btc.shared(), dir, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (btc, rpc)
}

fn cookie(rpc: &BitcoindRpc) -> (String, String) {
    let text = std::fs::read_to_string(rpc.cookie_file()).unwrap();
    let (user, pass) = text.split_once(':').unwrap();
    (user.to_string(), pass.to_string())
}

/// POSTs `body` with `auth` (user, password): the status and JSON body (null if none).
async fn post(rpc: &BitcoindRpc, auth: Option<(&str, &str)>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(rpc.url()).json(&body);
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexers_rpc_source_indexes_the_devnet_chain() {
    let dir = tempfile::tempdir().unwrap();
    let payout = script(7);
    let (btc, rpc) = served(dir.path(), &payout).await;
    let (tip, tip_hash) = btc.tip();

    let mut source = RpcSource::new(rpc.url(), RpcAuth::Cookie(rpc.cookie_file().into())).unwrap();
    assert_eq!(source.tip().await.unwrap(), Some((tip, tip_hash)));
    // Above the tip: Core's -8, which the source reads as "no block there".
    assert_eq!(source.hash_at(Height(BLOCKS + 1)).await.unwrap(), None);
    let fetched = source.fetch(Height(1), 3).await.unwrap();
    assert_eq!(fetched.len(), 3);
    let chain = btc.shared();
    for event in &fetched {
        let chain = chain.lock().unwrap();
        let block = chain.block(&event.hash).unwrap();
        assert_eq!(event.bytes, block_bytes(block), "consensus bytes");
        assert_eq!(chain.height_of(&event.hash), Some(event.height));
    }

    // The production follower over it: the whole chain indexed, every payout seen.
    let spec = WindowSpec {
        origin: Height(0),
        length: 4,
    };
    let store = SqliteStore::open(
        &format!("sqlite://{}", dir.path().join("index.sqlite").display()),
        spec,
        true,
    )
    .await
    .unwrap();
    store
        .watch_script(&payout, "payout", Height(0))
        .await
        .unwrap();
    let config = FollowerConfig {
        network: bitcoin::Network::Regtest,
        ..FollowerConfig::default()
    };
    let mut follower = Follower::new(source, store.clone(), PoolSet::default(), config);
    follower.sync().await.unwrap();
    assert_eq!(store.tip().await.unwrap(), Some((tip, tip_hash)));
    let delivered = store
        .delivered_by_window(&payout, Height(0), Height(BLOCKS))
        .await
        .unwrap();
    let total: u64 = delivered.iter().map(|d| d.sats.to_sat()).sum();
    assert_eq!(total, 1_000 * u64::from(BLOCKS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_clients_parse_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (btc, rpc) = served(dir.path(), &script(1)).await;
    let (tip, tip_hash) = btc.tip();
    let (user, pass) = cookie(&rpc);
    let url = rpc.url().to_string();
    let chain = btc.shared();
    // The blocking client on the blocking pool, as the indexer runs it.
    tokio::task::spawn_blocking(move || {
        let client =
            bitcoincore_rpc::Client::new(&url, bitcoincore_rpc::Auth::UserPass(user, pass))
                .unwrap();
        assert_eq!(client.get_network_info().unwrap().version, 280_000);
        let info = client.get_blockchain_info().unwrap();
        assert_eq!(info.chain, bitcoin::Network::Regtest);
        assert_eq!(info.blocks, u64::from(tip.0));
        assert_eq!(info.best_block_hash, tip_hash);
        assert_eq!(client.get_best_block_hash().unwrap(), tip_hash);
        assert_eq!(client.get_block_count().unwrap(), u64::from(tip.0));

        let hash = client.get_block_hash(5).unwrap();
        // Copies taken, the lock released: the server needs it to answer.
        let (block, next, genesis_hash) = {
            let chain = chain.lock().unwrap();
            let next = chain.best_chain()[6].block_hash();
            (
                chain.block(&hash).unwrap().clone(),
                next,
                chain.genesis_hash(),
            )
        };
        assert_eq!(client.get_block(&hash).unwrap(), block);
        assert_eq!(client.get_block_header(&hash).unwrap(), block.header);

        let header = client.get_block_header_info(&hash).unwrap();
        assert_eq!(header.height, 5);
        assert_eq!(header.confirmations, (tip.0 - 5 + 1) as i32);
        assert_eq!(
            header.previous_block_hash,
            Some(block.header.prev_blockhash)
        );
        assert_eq!(header.next_block_hash, Some(next));
        assert_eq!(header.n_tx, block.txdata.len());
        // Six blocks of regtest work (2 each), as Core prints the total.
        assert_eq!(header.chainwork.last(), Some(&12));

        // BIP158: the block's filter over its outputs, and the BIP157 header chain.
        let filter = client.get_block_filter(&hash).unwrap();
        assert_eq!(
            filter.to_filter(),
            alkahest_indexer::payouts::output_filter(&block)
        );
        let mut expected = bitcoin::bip158::FilterHeader::all_zeros();
        for b in chain.lock().unwrap().best_chain().iter().take(6) {
            expected = alkahest_indexer::payouts::output_filter(b).filter_header(&expected);
        }
        assert_eq!(filter.header.to_raw_hash(), expected.to_raw_hash());

        let info = client.get_block_info(&hash).unwrap();
        assert_eq!(info.tx, vec![block.txdata[0].compute_txid()]);
        assert_eq!(info.size, block.total_size());
        assert_eq!(info.weight, block.weight().to_wu() as usize);
        let genesis = client.get_block_header_info(&genesis_hash).unwrap();
        assert_eq!(genesis.previous_block_hash, None);
        let tip_info = client.get_block_header_info(&tip_hash).unwrap();
        assert_eq!(
            (tip_info.next_block_hash, tip_info.confirmations),
            (None, 1)
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_cookie_get_401_and_bad_parameters_cores_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_btc, rpc) = served(dir.path(), &script(2)).await;
    let (user, pass) = cookie(&rpc);
    assert_eq!(user, "__cookie__");
    assert_eq!(pass.len(), 64, "32 random bytes in hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(rpc.cookie_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let call = |method: &str, params: Value| json!({"id": 1, "method": method, "params": params});

    // No credentials, a wrong password, the wrong user: 401 with no body, as bitcoind.
    let wrong_pass = "0".repeat(64);
    for auth in [
        None,
        Some((user.as_str(), wrong_pass.as_str())),
        Some(("alice", pass.as_str())),
    ] {
        let (status, body) = post(&rpc, auth, call("getblockcount", json!([]))).await;
        assert_eq!((status, body), (401, Value::Null), "{auth:?}");
    }
    let auth = Some((user.as_str(), pass.as_str()));
    let (status, body) = post(&rpc, auth, call("getblockcount", json!([]))).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"result": BLOCKS, "error": null, "id": 1}));

    // JSON-RPC 1.0: errors with HTTP 500 (404 for an unknown method), result null.
    let cases = [
        (
            call("getblockhash", json!([BLOCKS + 1])),
            500,
            -8,
            "Block height out of range",
        ),
        (
            call("getblockhash", json!([-1])),
            500,
            -8,
            "Block height out of range",
        ),
        (
            call("getblockhash", json!(["7"])),
            500,
            -3,
            "JSON value of type string is not of expected type number",
        ),
        (
            call("getblock", json!(["00".repeat(32)])),
            500,
            -5,
            "Block not found",
        ),
        (
            call("getblockheader", json!(["11".repeat(32), true])),
            500,
            -5,
            "Block not found",
        ),
        (
            call("getblock", json!(["abc"])),
            500,
            -8,
            "blockhash must be of length 64 (not 3, for 'abc')",
        ),
        (
            call("getnewaddress", json!([])),
            404,
            -32601,
            "Method not found",
        ),
    ];
    for (request, http, code, message) in cases {
        let (status, body) = post(&rpc, auth, request.clone()).await;
        assert_eq!(status, http, "{request} → {body}");
        assert_eq!(
            body,
            json!({"result": null, "error": {"code": code, "message": message}, "id": 1}),
            "{request}"
        );
    }

    // JSON-RPC 2.0: HTTP 200, no `result` beside the error; named parameters.
    let (status, body) = post(
        &rpc,
        auth,
        json!({"jsonrpc": "2.0", "id": "a", "method": "getblockhash", "params": {"height": 99}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "error": {"code": -8, "message": "Block height out of range"}, "id": "a"})
    );
    // A batch: one answer each, in order.
    let (status, body) = post(
        &rpc,
        auth,
        json!([call("getblockcount", json!([])), call("nope", json!([]))]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["result"], json!(BLOCKS));
    assert_eq!(body[1]["error"]["code"], json!(-32601));
    // Not JSON: Core's parse error.
    let r = reqwest::Client::new()
        .post(rpc.url())
        .basic_auth(&user, Some(&pass))
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!(-32700));

    // Dropping the server removes its cookie, as bitcoind does at shutdown.
    let cookie_file = rpc.cookie_file().to_path_buf();
    drop(rpc);
    assert!(!cookie_file.exists());
}
