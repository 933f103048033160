//! The REST source against an in-test HTTP server that implements the four Bitcoin Core
//! REST endpoints the source uses, serving generated blocks. (No bitcoind is available
//! here; this checks the client's requests, parsing and parallel fetch ordering.)

use std::sync::{Arc, Mutex};

use alkahest_indexer::payouts::{may_pay, output_filter};
use alkahest_indexer::source::regtest::{block_bytes, ChainBuilder};
use alkahest_indexer::source::rest::RestSource;
use alkahest_indexer::source::{BlockSource, SourceError};
use alkahest_indexer::types::{Height, WindowSpec};
use bitcoin::bip158::{BlockFilter, BlockFilterWriter};
use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network, ScriptBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{fresh_index, memory_follower, snapshot, tagged_chain};

fn respond(chain: &ChainBuilder, path: &str) -> (u16, Vec<u8>) {
    let best = chain.best_chain();
    let height_of = |hash: &str| best.iter().position(|b| b.block_hash().to_string() == hash);
    if path == "/rest/chaininfo.json" {
        let (h, hash) = chain.tip();
        return (
            200,
            format!("{{\"blocks\":{},\"bestblockhash\":\"{}\"}}", h.0, hash).into_bytes(),
        );
    }
    if let Some(h) = path
        .strip_prefix("/rest/blockhashbyheight/")
        .and_then(|p| p.strip_suffix(".bin"))
    {
        return match h.parse::<usize>().ok().and_then(|h| best.get(h)) {
            Some(b) => (200, b.block_hash().to_byte_array().to_vec()),
            None => (404, Vec::new()),
        };
    }
    if let Some(rest) = path
        .strip_prefix("/rest/headers/")
        .and_then(|p| p.strip_suffix(".bin"))
    {
        let (n, hash) = rest.split_once('/').unwrap();
        let start = height_of(hash).unwrap();
        let n: usize = n.parse().unwrap();
        let body = best[start..]
            .iter()
            .take(n)
            .flat_map(|b| serialize(&b.header))
            .collect();
        return (200, body);
    }
    if let Some(hash) = path
        .strip_prefix("/rest/block/")
        .and_then(|p| p.strip_suffix(".bin"))
    {
        let hash: BlockHash = hash.parse().unwrap();
        return match chain.block(&hash) {
            Some(b) => (200, block_bytes(b)),
            None => (404, Vec::new()),
        };
    }
    if let Some(hash) = path
        .strip_prefix("/rest/blockfilter/basic/")
        .and_then(|p| p.strip_suffix(".bin"))
    {
        // Filters for even heights only, as a node whose index is still catching up;
        // Core's 404 for the rest.
        let mut hash: BlockHash = hash.parse().unwrap();
        if hash == BlockHash::all_zeros() {
            // A confused node: genesis's filter for any unknown hash.
            hash = best[0].block_hash();
        }
        return match height_of(&hash.to_string()) {
            Some(h) if h % 2 == 0 => {
                let mut body = vec![0u8];
                body.extend_from_slice(hash.as_byte_array());
                body.extend(serialize(&served_filter(best[h]).content));
                (200, body)
            }
            _ => (404, Vec::new()),
        };
    }
    (503, Vec::new())
}

/// What the test node serves as a block's filter: its output scripts plus the element
/// `served`, so a test can tell a served filter from one computed locally.
fn served_filter(block: &bitcoin::Block) -> BlockFilter {
    let mut content = Vec::new();
    let mut w = BlockFilterWriter::new(&mut content, block);
    w.add_output_scripts();
    w.add_element(b"served");
    w.finish().unwrap();
    BlockFilter::new(&content)
}

/// Steps: the node serves filters at even heights: the source returns the served one
/// (it holds the element only the node adds); at odd heights the node answers 404 and
/// the source has no filter (the follower reads the block); a body for another block is
/// refused as `WrongBlock`.
#[tokio::test]
async fn rest_filters_come_from_the_node_or_from_the_block() {
    let chain = Arc::new(Mutex::new(tagged_chain(6)));
    let url = serve(chain.clone()).await;
    let mut source = RestSource::new(&url, 2);
    let best: Vec<bitcoin::Block> = chain
        .lock()
        .unwrap()
        .best_chain()
        .into_iter()
        .cloned()
        .collect();
    let marker = ScriptBuf::from_bytes(b"served".to_vec());
    for (h, block) in best.iter().enumerate() {
        let hash = block.block_hash();
        let filter = source.filter(Height(h as u32), hash).await.unwrap();
        if h % 2 == 0 {
            let filter = filter.unwrap();
            assert_eq!(filter, served_filter(block), "height {h}");
            assert!(may_pay(&filter, &hash, std::slice::from_ref(&marker)));
            assert!(!may_pay(
                &output_filter(block),
                &hash,
                std::slice::from_ref(&marker)
            ));
        } else {
            assert_eq!(filter, None, "height {h}");
        }
    }
    let err = source
        .filter(Height(1), BlockHash::all_zeros())
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::WrongBlock { .. }), "{err}");
}

async fn serve(chain: Arc<Mutex<ChainBuilder>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let chain = chain.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = sock.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let req = String::from_utf8_lossy(&buf);
                let path = req.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (status, body) = respond(&chain.lock().unwrap(), &path);
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                sock.write_all(head.as_bytes()).await.unwrap();
                sock.write_all(&body).await.unwrap();
            });
        }
    });
    format!("http://{addr}")
}

/// Steps: serve 30 generated blocks; sync through `RestSource` fetching 4 in parallel
/// in batches of 7; compare with a fresh index; a path the server does not know gives a
/// transient HTTP status error.
#[tokio::test]
async fn rest_source_indexes_the_served_chain() {
    let chain = Arc::new(Mutex::new(tagged_chain(30)));
    let url = serve(chain.clone()).await;
    let spec = WindowSpec {
        origin: Height(0),
        length: 10,
    };
    let mut source = RestSource::new(&url, 4);
    assert_eq!(
        source.tip().await.unwrap(),
        Some(chain.lock().unwrap().tip())
    );
    assert_eq!(source.hash_at(Height(31)).await.unwrap(), None);
    let mut f = memory_follower(source, spec, Network::Regtest).await;
    assert_eq!(f.sync().await.unwrap(), 31);
    let final_chain = chain.lock().unwrap().clone();
    let fresh = fresh_index(&final_chain, spec, &[]).await;
    assert_eq!(snapshot(f.store()).await, snapshot(&fresh).await);

    let mut broken = RestSource::new(&format!("{url}/nothing"), 2);
    let err = broken.tip().await.unwrap_err();
    assert!(
        matches!(err, SourceError::HttpStatus { status: 503, .. }) && err.is_transient(),
        "{err}"
    );
}

/// Steps: a node that accepts the connection and never answers; a REST call with a
/// 200 ms timeout fails with a transient `Http` error well within 10 s instead of
/// hanging the follower. (Before, the client had no timeout.)
#[tokio::test]
async fn rest_request_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut source = RestSource::with_timeout(&url, 1, std::time::Duration::from_millis(200));
    let result = tokio::time::timeout(std::time::Duration::from_secs(10), source.tip())
        .await
        .expect("the request must time out by itself");
    let err = result.unwrap_err();
    assert!(matches!(err, SourceError::Http { .. }), "{err:?}");
    assert!(err.is_transient());
    hold.abort();
}
