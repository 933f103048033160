//! The cache against a real indexer store: fresh data after a refresh, errors never
//! stored, one entry per path and query, the byte bound, and ETags.

use std::sync::{Arc, Mutex};

use alkahest_indexer::chain::{Follower, FollowerConfig};
use alkahest_indexer::coinbase::PoolSet;
use alkahest_indexer::source::regtest::{ChainBuilder, CoinbaseSpec};
use alkahest_indexer::source::RegtestSource;
use alkahest_indexer::storage::SqliteStore;
use alkahest_indexer::types::WindowSpec;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use bitcoin::Network;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

type Chain = Arc<Mutex<ChainBuilder>>;

/// An in-memory store indexing `blocks` regtest blocks, and the follower to add more.
async fn indexed(blocks: u32) -> (Chain, Follower<RegtestSource, SqliteStore>) {
    let chain = Arc::new(Mutex::new(ChainBuilder::new()));
    let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
        .await
        .unwrap();
    let config = FollowerConfig {
        network: Network::Regtest,
        progress: false,
        ..FollowerConfig::default()
    };
    let source = RegtestSource::new(chain.clone());
    let mut follower = Follower::new(source, store, PoolSet::default(), config);
    mine(&chain, blocks);
    follower.sync().await.unwrap();
    (chain, follower)
}

fn mine(chain: &Chain, blocks: u32) {
    let mut c = chain.lock().unwrap();
    for _ in 0..blocks {
        c.mine_on_tip(&CoinbaseSpec::default()).unwrap();
    }
}

async fn get(app: &Router, uri: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::get(uri);
    if let Some(tag) = etag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into(),
    )
}

fn tip_height(body: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["tip"]["height"].as_u64().unwrap()
}

/// The API over `store` behind `cache`.
fn app(store: &SqliteStore, cache: &ResponseCache) -> Router {
    cache.layer(crate::router(Arc::new(store.clone())), "api")
}

/// `blocks` indexed, served behind a cache with `limits` that knows their version.
async fn served(blocks: u32, limits: CacheLimits) -> (ResponseCache, Router) {
    let (_, follower) = indexed(blocks).await;
    let cache = ResponseCache::new(limits);
    assert!(cache.refresh(follower.store(), None).await);
    let app = app(follower.store(), &cache);
    (cache, app)
}

#[tokio::test]
async fn a_new_block_is_served_after_the_refresh() {
    let (chain, mut follower) = indexed(2).await;
    let cache = ResponseCache::new(CacheLimits::default());
    assert!(cache.refresh(follower.store(), None).await);
    let app = app(follower.store(), &cache);
    let (status, _, body) = get(&app, "/v1/health", None).await;
    assert_eq!((status, tip_height(&body)), (StatusCode::OK, 2));
    assert_eq!(cache.len(), 1);

    mine(&chain, 1);
    follower.sync().await.unwrap();
    // Until the refresh the stored answer is served: this is the bounded staleness.
    assert_eq!(tip_height(&get(&app, "/v1/health", None).await.2), 2);
    let generation = cache.generation();
    assert!(cache.refresh(follower.store(), None).await);
    assert!(cache.generation() > generation);
    assert_eq!(tip_height(&get(&app, "/v1/health", None).await.2), 3);
    // The same tips again start no new generation: the new answer stays cached.
    assert!(!cache.refresh(follower.store(), None).await);
    assert_eq!(cache.len(), 1);
    assert_eq!(tip_height(&get(&app, "/v1/health", None).await.2), 3);
}

#[tokio::test]
async fn errors_are_never_cached() {
    let (cache, app) = served(2, CacheLimits::default()).await;
    for uri in [
        "/v1/blocks/99",
        "/v1/blocks?limit=0",
        "/v1/blocks/x",
        "/nope",
    ] {
        for _ in 0..2 {
            let (status, headers, _) = get(&app, uri, None).await;
            assert!(status.is_client_error(), "{uri}: {status}");
            assert!(headers.get(header::ETAG).is_none(), "{uri}");
        }
    }
    assert!(cache.is_empty(), "{} entries", cache.len());
}

#[tokio::test]
async fn each_path_and_query_is_its_own_entry() {
    let (cache, app) = served(3, CacheLimits::default()).await;
    let one = get(&app, "/v1/blocks?limit=1", None).await.2;
    let two = get(&app, "/v1/blocks?limit=2", None).await.2;
    let block = get(&app, "/v1/blocks/1", None).await.2;
    assert_eq!(cache.len(), 3);
    assert_ne!(one, two);
    // Hits give back each query's own answer.
    assert_eq!(get(&app, "/v1/blocks?limit=2", None).await.2, two);
    assert_eq!(get(&app, "/v1/blocks?limit=1", None).await.2, one);
    assert_eq!(get(&app, "/v1/blocks/1", None).await.2, block);
    assert_eq!(cache.len(), 3);
}

#[tokio::test]
async fn the_byte_bound_holds() {
    let limits = CacheLimits {
        max_bytes: 8 * 1024,
        max_entry_bytes: 4 * 1024,
    };
    let (cache, app) = served(40, limits).await;
    for h in 0..40 {
        let (status, _, _) = get(&app, &format!("/v1/blocks/{h}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(cache.weight() <= limits.max_bytes, "{}", cache.weight());
    }
    assert!(
        cache.len() >= 2 && cache.len() < 40,
        "{} entries",
        cache.len()
    );
    // An answer above the per-entry cap is served whole but not kept.
    let before = cache.len();
    let (status, _, body) = get(&app, "/v1/blocks?limit=40", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.len() > limits.max_entry_bytes, "{}", body.len());
    assert_eq!(body.matches("\"hash\"").count(), 40);
    assert!(cache.len() <= before);
    assert!(get(&app, "/v1/blocks?limit=40", None)
        .await
        .1
        .get(header::ETAG)
        .is_none());
}

#[tokio::test]
async fn nothing_is_cached_without_a_known_version() {
    let (_, follower) = indexed(1).await;
    let cache = ResponseCache::new(CacheLimits::default());
    let app = app(follower.store(), &cache);
    assert_eq!(get(&app, "/v1/health", None).await.0, StatusCode::OK);
    assert!(cache.is_empty());
    cache.set_version(Some("a".into()));
    get(&app, "/v1/health", None).await;
    assert_eq!(cache.len(), 1);
    // A failed refresh (unknown version) drops everything and stops caching.
    cache.set_version(None);
    get(&app, "/v1/health", None).await;
    assert!(cache.is_empty());
}

#[tokio::test]
async fn a_matching_etag_gets_304() {
    let (cache, app) = served(2, CacheLimits::default()).await;
    let (_, headers, body) = get(&app, "/v1/blocks/1", None).await;
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    let (status, headers, empty) = get(&app, "/v1/blocks/1", Some(&tag)).await;
    assert_eq!((status, empty.as_str()), (StatusCode::NOT_MODIFIED, ""));
    assert_eq!(headers[header::ETAG], tag.as_str());
    // Another block's tag, or a list without ours, gets the body.
    let other = get(&app, "/v1/blocks/2", None).await.1[header::ETAG].clone();
    let (status, _, again) = get(&app, "/v1/blocks/1", Some(other.to_str().unwrap())).await;
    assert_eq!((status, again), (StatusCode::OK, body));
    let list = format!("\"x\", {}", tag.trim_start_matches("W/"));
    assert_eq!(
        get(&app, "/v1/blocks/1", Some(&list)).await.0,
        StatusCode::NOT_MODIFIED
    );
    // A 304 is answered from the entry and stores nothing of its own.
    assert_eq!(cache.len(), 2);
}

/// GETs `uri` with `Accept-Encoding: accept`; the raw body.
async fn get_encoded(app: &Router, uri: &str, accept: &str) -> (HeaderMap, Bytes) {
    let req = Request::get(uri)
        .header(header::ACCEPT_ENCODING, accept)
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    let (parts, body) = resp.into_parts();
    (parts.headers, body.collect().await.unwrap().to_bytes())
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn negotiation_prefers_brotli_and_honours_q_zero() {
    let pick = |s: &str| negotiate(Some(&HeaderValue::from_str(s).unwrap()));
    assert_eq!(negotiate(None), None);
    assert_eq!(pick("gzip, deflate, br, zstd"), Some(Coding::Br));
    assert_eq!(pick("GZIP"), Some(Coding::Gzip));
    assert_eq!(pick("br;q=0, gzip;q=0.5"), Some(Coding::Gzip));
    assert_eq!(pick("br;q=0, gzip;q=0"), None);
    assert_eq!(pick("br;q=oops, gzip"), Some(Coding::Gzip));
    assert_eq!(pick("identity, deflate"), None);
}

/// A client accepting brotli or gzip gets the cached body compressed, once per
/// entry: the same bytes each time, decoding to the identity answer, with the coding
/// named, `Vary: Accept-Encoding` and the entry's ETag.
#[tokio::test]
async fn hits_are_served_precompressed() {
    let (_cache, app) = served(30, CacheLimits::default()).await;
    let uri = "/v1/blocks?limit=30";
    let (plain_headers, plain) = get_encoded(&app, uri, "identity").await;
    assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
    let plain = String::from_utf8(plain.to_vec()).unwrap();
    for (accept, coding, decode) in [
        ("gzip", "gzip", gunzip as fn(&[u8]) -> String),
        ("gzip, br", "br", unbrotli),
    ] {
        let (headers, first) = get_encoded(&app, uri, accept).await;
        assert_eq!(headers[header::CONTENT_ENCODING], coding, "{accept}");
        assert!(headers
            .get_all(header::VARY)
            .iter()
            .any(|v| v == "accept-encoding"));
        assert_eq!(headers[header::ETAG], plain_headers[header::ETAG]);
        assert!(
            first.len() < plain.len() / 2,
            "{accept}: {} bytes",
            first.len()
        );
        assert_eq!(decode(&first), plain, "{accept}");
        let (_, second) = get_encoded(&app, uri, accept).await;
        assert_eq!(first, second);
    }
    // A body too short to gain is sent as it is.
    let (headers, _) = get_encoded(&app, "/v1/blocks?from=999", "gzip").await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
}
