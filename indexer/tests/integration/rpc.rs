//! The RPC source against an in-test JSON-RPC server (no bitcoind is installed here)
//! that answers `getblockcount`, `getblockhash` and `getblock <hash> 0` from generated
//! blocks the way Bitcoin Core does, including error -8 above the tip; and the follower's
//! retry loop over a source that fails transiently.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alkahest_indexer::chain::{FollowError, Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::rpc::{RpcAuth, RpcSource};
use alkahest_indexer::source::{BlockEvent, BlockSource, RegtestSource, SourceError};
use alkahest_indexer::storage::{DbRead, DbWrite, SqliteStore};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::{BlockHash, Network};
use serde_json::{json, Value};

use crate::common::{follower_config, fresh_index, memory_follower, snapshot, tagged_chain};

fn answer(chain: &ChainBuilder, method: &str, params: &[Value]) -> (u16, Value) {
    let best = chain.best_chain();
    let ok = |v: Value| (200, json!({"result": v, "error": null}));
    match method {
        "getblockcount" => ok(json!(best.len() - 1)),
        "getblockhash" => match params[0].as_u64().and_then(|h| best.get(h as usize)) {
            Some(b) => ok(json!(b.block_hash().to_string())),
            None => (
                500,
                json!({"result": null, "error": {"code": -8, "message": "Block height out of range"}}),
            ),
        },
        "getblock" => {
            let hash: BlockHash = params[0].as_str().unwrap().parse().unwrap();
            assert_eq!(params[1], json!(0), "verbosity 0");
            ok(json!(hex::encode(block_bytes(chain.block(&hash).unwrap()))))
        }
        // A node without -blockfilterindex.
        "getblockfilter" => (
            500,
            json!({"result": null, "error": {"code": -1, "message": "Index is not enabled for filtertype basic"}}),
        ),
        other => panic!("unexpected rpc {other}"),
    }
}

fn serve(chain: Arc<Mutex<ChainBuilder>>, auths: Arc<Mutex<Vec<String>>>) -> String {
    serve_auth(chain, auths, Arc::new(Mutex::new(None)))
}

/// As [`serve`], answering HTTP 401 (no body, as Bitcoin Core) to requests whose
/// `Authorization` header does not end with `required`, when set.
fn serve_auth(
    chain: Arc<Mutex<ChainBuilder>>,
    auths: Arc<Mutex<Vec<String>>>,
    required: Arc<Mutex<Option<String>>>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (chain, auths, required) = (chain.clone(), auths.clone(), required.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut len = 0usize;
                    let mut auth = String::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                        if lower.starts_with("authorization:") {
                            auth = line.trim().to_owned();
                            auths.lock().unwrap().push(auth.clone());
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; len];
                    reader.read_exact(&mut body).unwrap();
                    let refused = required
                        .lock()
                        .unwrap()
                        .as_ref()
                        .is_some_and(|r| !auth.ends_with(r.as_str()));
                    if refused {
                        let head = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
                        writer.write_all(head.as_bytes()).unwrap();
                        continue;
                    }
                    let req: Value = serde_json::from_slice(&body).unwrap();
                    let params = req["params"].as_array().cloned().unwrap_or_default();
                    let (status, mut resp) = answer(
                        &chain.lock().unwrap(),
                        req["method"].as_str().unwrap(),
                        &params,
                    );
                    resp["id"] = req["id"].clone();
                    let body = resp.to_string();
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    // One write: a split head and body would meet Nagle's algorithm.
                    writer
                        .write_all(format!("{head}{body}").as_bytes())
                        .unwrap();
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Steps: serve 25 generated blocks over JSON-RPC with cookie auth; sync through
/// `RpcSource`; compare with a fresh index; check that the cookie was sent and that
/// -8 above the tip reads as "no block".
#[tokio::test]
async fn rpc_source_indexes_the_served_chain() {
    let chain = Arc::new(Mutex::new(tagged_chain(25)));
    let auths = Arc::new(Mutex::new(Vec::new()));
    let url = serve(chain.clone(), auths.clone());
    let tmp = tempfile::tempdir().unwrap();
    let cookie = tmp.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:s3cret").unwrap();
    let mut source = RpcSource::new(&url, RpcAuth::Cookie(cookie)).unwrap();
    assert_eq!(
        source.tip().await.unwrap(),
        Some(chain.lock().unwrap().tip())
    );
    assert_eq!(source.hash_at(Height(26)).await.unwrap(), None);
    let spec = WindowSpec {
        origin: Height(0),
        length: 10,
    };
    let mut f = memory_follower(source, spec, Network::Regtest).await;
    // A watched script makes the follower ask for filters, which this node refuses
    // (no -blockfilterindex): the source computes them from the blocks instead.
    let watched = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
    f.store()
        .watch_script(&watched, "w", Height(0))
        .await
        .unwrap();
    assert_eq!(f.sync().await.unwrap(), 26);
    let final_chain = chain.lock().unwrap().clone();
    let fresh = fresh_index(&final_chain, spec, &[watched]).await;
    assert_eq!(snapshot(f.store()).await, snapshot(&fresh).await);
    let auths = auths.lock().unwrap();
    // base64("__cookie__:s3cret")
    assert!(
        auths
            .iter()
            .all(|a| a.ends_with("X19jb29raWVfXzpzM2NyZXQ=")),
        "{auths:?}"
    );
}

/// A source whose first `failures` tip requests fail like an unreachable node.
struct Flaky {
    inner: RegtestSource,
    failures: Arc<AtomicU32>,
}

impl BlockSource for Flaky {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(SourceError::HttpStatus {
                url: "http://node/rest/chaininfo.json".into(),
                status: 503,
            });
        }
        self.inner.tip().await
    }
    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        self.inner.hash_at(height).await
    }
    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        self.inner.fetch(from, count).await
    }
}

/// Steps: the source fails 3 times; `Follower::run` logs, backs off and retries, then
/// indexes all 12 blocks; the shutdown future ends the run once the store is at the tip.
#[tokio::test]
async fn run_backs_off_and_recovers() {
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    for _ in 0..12 {
        chain
            .lock()
            .unwrap()
            .mine_on_tip(&CoinbaseSpec::default())
            .unwrap();
    }
    let tip = chain.lock().unwrap().tip();
    let failures = Arc::new(AtomicU32::new(3));
    let source = Flaky {
        inner: RegtestSource::new(chain),
        failures: failures.clone(),
    };
    // A file database, so the watcher below has its own connection.
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("flaky.sqlite").display());
    let store = SqliteStore::open(&url, WindowSpec::default(), true)
        .await
        .unwrap();
    let config = FollowerConfig {
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        poll_interval: Duration::from_millis(1),
        ..follower_config(Network::Regtest)
    };
    let watcher = store.clone();
    let mut f = Follower::new(source, store, PoolSet::default(), config);
    let shutdown = async move {
        while watcher.tip().await.unwrap() != Some(tip) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    f.run(shutdown).await.unwrap();
    assert_eq!(failures.load(Ordering::SeqCst), 0);
    assert_eq!(f.store().tip().await.unwrap(), Some(tip));
}

/// base64 of `__cookie__:<password>`, as the server sees it.
fn basic(password: &str) -> String {
    match password {
        "old" => "X19jb29raWVfXzpvbGQ=",
        "new" => "X19jb29raWVfXzpuZXc=",
        "other" => "X19jb29raWVfXzpvdGhlcg==",
        p => panic!("no fixture for {p}"),
    }
    .to_owned()
}

/// Steps: connect with cookie `old`; bitcoind "restarts" and writes cookie `new`, and
/// the server refuses `old` with 401; the next call re-reads the cookie file and
/// succeeds, and later calls keep the new credentials. (Before, every call failed with
/// the stale cookie until the indexer was restarted.)
#[tokio::test]
async fn rpc_rereads_the_cookie_after_401() {
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    chain
        .lock()
        .unwrap()
        .mine_on_tip(&CoinbaseSpec::default())
        .unwrap();
    let auths = Arc::new(Mutex::new(Vec::new()));
    let required = Arc::new(Mutex::new(Some(basic("old"))));
    let url = serve_auth(chain.clone(), auths.clone(), required.clone());
    let tmp = tempfile::tempdir().unwrap();
    let cookie = tmp.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:old").unwrap();
    let mut source = RpcSource::new(&url, RpcAuth::Cookie(cookie.clone())).unwrap();
    let tip = Some(chain.lock().unwrap().tip());
    assert_eq!(source.tip().await.unwrap(), tip);

    std::fs::write(&cookie, "__cookie__:new").unwrap();
    *required.lock().unwrap() = Some(basic("new"));
    assert_eq!(source.tip().await.unwrap(), tip);
    assert_eq!(source.hash_at(Height(1)).await.unwrap(), tip.map(|t| t.1));
    let auths = auths.lock().unwrap();
    let last = auths.last().unwrap();
    assert!(last.ends_with(&basic("new")), "{auths:?}");
}

/// Steps: a cookie that stays refused, a missing cookie file, and a node that is not
/// listening: each error message names the cookie file.
#[tokio::test]
async fn rpc_errors_name_the_cookie_file() {
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    let required = Arc::new(Mutex::new(Some(basic("other"))));
    let url = serve_auth(chain, Arc::new(Mutex::new(Vec::new())), required);
    let tmp = tempfile::tempdir().unwrap();
    let cookie = tmp.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:stale").unwrap();
    let path = cookie.display().to_string();
    let mut source = RpcSource::new(&url, RpcAuth::Cookie(cookie.clone())).unwrap();
    let err = source.tip().await.unwrap_err();
    assert!(err.to_string().contains(&path), "{err}");

    let missing = tmp.path().join("missing.cookie");
    let err = RpcSource::new(&url, RpcAuth::Cookie(missing.clone())).unwrap_err();
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut source = RpcSource::new(&dead, RpcAuth::Cookie(cookie)).unwrap();
    let err = source.tip().await.unwrap_err();
    assert!(err.to_string().contains(&path), "{err}");
    assert!(err.to_string().contains(&dead), "{err}");
}

/// Steps: index 30 blocks over RPC; the node restarts with `-reindex` and serves only
/// heights 0-12 of the same chain; stepping fails with `SourceBehind` (transient: the
/// follower waits) and the store keeps its 31 blocks; once the node has caught up and
/// mined 2 more, the follower appends them. (Before, the store was rolled back to 12.)
#[tokio::test]
async fn rpc_node_reindexing_does_not_roll_back() {
    let full = tagged_chain(30);
    let chain = Arc::new(Mutex::new(full.clone()));
    let url = serve(chain.clone(), Arc::new(Mutex::new(Vec::new())));
    let source = RpcSource::new(&url, RpcAuth::UserPass("u".into(), "p".into())).unwrap();
    let spec = WindowSpec {
        origin: Height(0),
        length: 10,
    };
    let mut f = memory_follower(source, spec, Network::Regtest).await;
    assert_eq!(f.sync().await.unwrap(), 31);
    let stored = f.store().tip().await.unwrap().unwrap();

    let mut reindexing = ChainBuilder::new();
    for b in full.best_chain()[1..=12].iter() {
        reindexing.import((*b).clone()).unwrap();
    }
    *chain.lock().unwrap() = reindexing;
    let err = f.step().await.unwrap_err();
    assert!(
        matches!(
            err,
            FollowError::SourceBehind {
                source_height: Height(12),
                stored_height: Height(30),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(f.store().tip().await.unwrap(), Some(stored));

    let mut caught_up = full;
    caught_up.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    caught_up.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    let tip = caught_up.tip();
    *chain.lock().unwrap() = caught_up;
    assert_eq!(f.sync().await.unwrap(), 2);
    assert_eq!(f.store().tip().await.unwrap(), Some(tip));
}
