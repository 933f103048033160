//! A response cache for the public GETs, valid for one *data version*.
//!
//! Every GET answer is a function of the path, the query and the data behind the API.
//! The data only changes when the indexer stores a Bitcoin block or the observer stores
//! a Stacks block, so the cache keys each `200` by `(generation, path?query)` where the
//! generation counts changes of the *data version*: the indexer's tip hash plus the
//! chain-state store's tip hash. A background task ([`ResponseCache::spawn_refresh`])
//! re-reads both tips every [`REFRESH_INTERVAL`] (250 ms) and starts a new generation
//! when either moved, so:
//!
//! - **Staleness is bounded**: a response can be served at most one refresh interval
//!   (plus one tip query) after the block that changed it was committed; after that
//!   every request misses and reads the new data.
//! - A response computed while the version moves is stored under the generation read
//!   *before* it was computed, so it can never be served as the newer version's answer.
//! - Only `200` answers with a known, bounded body are stored: errors (a 404 for a
//!   block not yet indexed, every 4xx) always reach the handler.
//! - Memory is bounded ([`CacheLimits`]): total cached body bytes, and a per-entry cap
//!   above which a response is served but not kept.
//!
//! A change that moves neither tip is seen at the next block: today that is only a
//! pools-file update at indexer start (pool names in `/v1/pools` and blocks).
//!
//! Each cached answer carries a weak `ETag` (a hash of its body); a request whose
//! `If-None-Match` lists it gets `304 Not Modified` without the body. A client that
//! accepts brotli or gzip gets the body compressed once per entry and coding, not per
//! request (compressing a 37 kB answer on every request cost more than serving it);
//! compressed forms are kept only when smaller, so they add at most twice the identity
//! bytes that [`CacheLimits::max_bytes`] bounds. Chain-state
//! sources that are neither tip (the governance and lending sources of the devnet read
//! the Clarity simnet) change with Stacks blocks, which move the chain-state tip.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use alkahest_indexer::storage::DbRead;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::chainstate::ChainStore;

/// How often the background task re-reads the tips: the bound on staleness.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(250);

/// Bounds of a [`ResponseCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Σ cached body and key bytes (plus a fixed overhead per entry).
    pub max_bytes: u64,
    /// A body larger than this is served but not cached.
    pub max_entry_bytes: usize,
}

impl Default for CacheLimits {
    /// 64 MiB in all, 1 MiB per answer: the largest pages (500 blocks, 1,000 payouts)
    /// fit, and a server keeps thousands of distinct answers.
    fn default() -> Self {
        CacheLimits {
            max_bytes: 64 << 20,
            max_entry_bytes: 1 << 20,
        }
    }
}

/// Bytes counted per entry beyond key and body: the headers and bookkeeping.
const ENTRY_OVERHEAD: u64 = 256;

/// A cached `200`: its headers, body and weak ETag, and its compressed forms, each
/// made by the first request that asks for it.
#[derive(Clone)]
struct Entry {
    headers: HeaderMap,
    body: Bytes,
    etag: HeaderValue,
    encoded: Arc<Encoded>,
    /// The route pattern the answer was routed to, for the metrics of hits.
    route: Option<MatchedPath>,
}

/// The compressed forms of a body: `None` once tried and found no smaller.
#[derive(Default)]
struct Encoded {
    br: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

/// A content coding the cache serves precompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Br,
    Gzip,
}

impl Coding {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        })
    }
}

/// Bodies shorter than this are sent as they are (as the compression layer does).
const MIN_COMPRESS: usize = 32;

/// The coding to answer with for an `Accept-Encoding`: brotli, else gzip, when
/// accepted with a non-zero q; else none (identity).
fn negotiate(accept: Option<&HeaderValue>) -> Option<Coding> {
    let text = accept?.to_str().ok()?;
    let (mut br, mut gzip) = (false, false);
    for item in text.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        if !q.is_some_and(|q| q > 0.0) {
            continue;
        }
        br |= name.eq_ignore_ascii_case("br");
        gzip |= name.eq_ignore_ascii_case("gzip");
    }
    if br {
        Some(Coding::Br)
    } else if gzip {
        Some(Coding::Gzip)
    } else {
        None
    }
}

/// `body` compressed with `coding`, or `None` when that is not smaller.
fn compress(coding: Coding, body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let out = match coding {
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(body).ok()?;
            e.finish().ok()?
        }
        Coding::Br => {
            let mut out = Vec::new();
            {
                // Quality 5 of 11: most of brotli's gain at a fraction of its top cost,
                // paid once per answer and data version.
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                w.write_all(body).ok()?;
            }
            out
        }
    };
    (out.len() < body.len()).then(|| Bytes::from(out))
}

impl Entry {
    /// The body in `coding`, compressed on first use.
    fn encoded(&self, coding: Coding) -> Option<Bytes> {
        if self.body.len() < MIN_COMPRESS {
            return None;
        }
        let slot = match coding {
            Coding::Br => &self.encoded.br,
            Coding::Gzip => &self.encoded.gzip,
        };
        slot.get_or_init(|| compress(coding, &self.body)).clone()
    }
}

type Key = (u64, String);

#[derive(Clone)]
struct ByteWeight;

impl Weighter<Key, Entry> for ByteWeight {
    fn weight(&self, key: &Key, entry: &Entry) -> u64 {
        (key.1.len() + entry.body.len()) as u64 + ENTRY_OVERHEAD
    }
}

struct Inner {
    entries: Cache<Key, Entry, ByteWeight>,
    generation: AtomicU64,
    limits: CacheLimits,
    /// The data version of the current generation; `None` before the first refresh
    /// and after a failed one.
    version: std::sync::Mutex<Option<String>>,
    /// Whether `version` is `Some`, readable without the lock on every request.
    known: AtomicBool,
}

/// The response cache; cheap to clone (all clones share the entries).
#[derive(Clone)]
pub struct ResponseCache {
    inner: Arc<Inner>,
}

impl ResponseCache {
    /// An empty cache with these bounds, at generation 0 with no version known yet.
    pub fn new(limits: CacheLimits) -> ResponseCache {
        // quick_cache sizes its tables from an item estimate: assume 4 KiB answers.
        let estimated_items = usize::try_from(limits.max_bytes / 4096)
            .unwrap_or(usize::MAX)
            .max(16);
        ResponseCache {
            inner: Arc::new(Inner {
                entries: Cache::with_weighter(estimated_items, limits.max_bytes, ByteWeight),
                generation: AtomicU64::new(0),
                limits,
                version: std::sync::Mutex::new(None),
                known: AtomicBool::new(false),
            }),
        }
    }

    /// The current generation; it grows by one each time the data version changes.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// Σ weights of the entries held (bytes, see [`CacheLimits::max_bytes`]).
    pub fn weight(&self) -> u64 {
        self.inner.entries.weight()
    }

    /// Records the data version: a different one (or `None`, an unknown version) starts
    /// a new generation and drops every entry. Returns whether it did.
    pub fn set_version(&self, version: Option<String>) -> bool {
        let mut current = self
            .inner
            .version
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if version.is_some() && *current == version {
            return false;
        }
        self.inner.known.store(version.is_some(), Ordering::Release);
        *current = version;
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.entries.clear();
        true
    }

    /// Reads the data version from the stores once and records it
    /// ([`ResponseCache::set_version`]); a failed read records an unknown version, so
    /// nothing cached is served until the stores answer again. Returns whether a new
    /// generation started.
    pub async fn refresh<D: DbRead>(&self, store: &D, chain: Option<&ChainStore>) -> bool {
        let version = data_version(store, chain).await;
        if let Err(e) = &version {
            tracing::warn!(error = %e, "response cache: cannot read the data version");
        }
        self.set_version(version.ok())
    }

    /// Refreshes now, then every [`REFRESH_INTERVAL`] on a task that ends when the last
    /// clone of this cache is dropped.
    pub async fn spawn_refresh<D: DbRead + 'static>(
        &self,
        store: Arc<D>,
        chain: Option<Arc<ChainStore>>,
    ) {
        self.refresh(store.as_ref(), chain.as_deref()).await;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(REFRESH_INTERVAL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let cache = ResponseCache { inner };
                cache.refresh(store.as_ref(), chain.as_deref()).await;
            }
        });
    }

    /// `router` with every GET answered through this cache, which sits in front of
    /// the routing: a hit is answered without routing or running the routes' layers
    /// (axum applies `Router::layer` to each route, each layer costing a boxed clone
    /// per request). Hits are counted in the request metrics under `service` with the
    /// route their miss matched (`alkahest_service::telemetry::track_requests` leaves
    /// it in the response; without it, `unmatched`).
    pub fn layer(&self, router: Router, service: &'static str) -> Router {
        let cached = axum::middleware::from_fn_with_state(
            Front {
                cache: self.clone(),
                service,
            },
            respond,
        );
        Router::new().fallback_service(tower::Layer::layer(&cached, router))
    }

    /// Whether the data version is known: before the first refresh, or after a failed
    /// one, nothing is cached or served from the cache.
    fn knows_version(&self) -> bool {
        self.inner.known.load(Ordering::Acquire)
    }

    fn get(&self, key: &Key) -> Option<Entry> {
        self.inner.entries.get(key)
    }

    fn insert(&self, key: Key, entry: Entry) {
        // A generation that ended while the answer was computed is never read again.
        if key.0 == self.generation() {
            self.inner.entries.insert(key, entry);
        }
    }
}

/// The indexer tip and the chain-state tip, as one string.
async fn data_version<D: DbRead>(store: &D, chain: Option<&ChainStore>) -> Result<String, String> {
    let indexer = store.tip().await.map_err(|e| e.to_string())?;
    let chain_tip = match chain {
        Some(c) => c.tip().await.map_err(|e| e.to_string())?,
        None => None,
    };
    Ok(format!(
        "{}/{}",
        indexer.map_or_else(String::new, |(h, hash)| format!("{}:{hash}", h.0)),
        chain_tip.map_or_else(String::new, |(h, hash)| format!("{h}:{hash}"))
    ))
}

/// The cache in front of a router, and the metrics' service label for its hits.
#[derive(Clone)]
struct Front {
    cache: ResponseCache,
    service: &'static str,
}

/// The middleware: serves hits, stores fresh `200`s, passes everything else through.
async fn respond(State(front): State<Front>, request: Request, next: Next) -> Response {
    let cache = front.cache;
    if request.method() != Method::GET || !cache.knows_version() {
        return next.run(request).await;
    }
    let started = std::time::Instant::now();
    let generation = cache.generation();
    let uri = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let coding = negotiate(request.headers().get(header::ACCEPT_ENCODING));
    let key = (generation, uri);
    if let Some(entry) = cache.get(&key) {
        let route = entry.route.clone();
        let response = answer(entry, if_none_match.as_ref(), coding);
        alkahest_service::telemetry::record_request(
            front.service,
            route.as_ref().map_or("unmatched", MatchedPath::as_str),
            &Method::GET,
            response.status(),
            started.elapsed(),
        );
        return response;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let route = response.extensions().get::<MatchedPath>().cloned();
    let (parts, body) = response.into_parts();
    let size = axum::body::HttpBody::size_hint(&body).exact();
    let Some(size) = size.filter(|&n| n <= cache.inner.limits.max_entry_bytes as u64) else {
        return Response::from_parts(parts, body);
    };
    let bytes = match axum::body::to_bytes(body, size as usize).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "response cache: cannot read a response body");
            return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
        }
    };
    let entry = Entry {
        etag: etag(&bytes),
        headers: parts.headers,
        body: bytes,
        encoded: Arc::default(),
        route,
    };
    cache.insert(key, entry.clone());
    answer(entry, if_none_match.as_ref(), coding)
}

/// A weak ETag from the body's hash and length: equal bodies, equal tags.
fn etag(body: &[u8]) -> HeaderValue {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    let tag = format!("W/\"{:016x}-{:x}\"", h.finish(), body.len());
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
}

/// Whether `If-None-Match` lists `etag` (weak comparison) or is `*`.
fn matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = strip(etag.to_str().unwrap_or_default());
    list.split(',').any(|t| t.trim() == "*" || strip(t) == ours)
}

/// A hit: `304` when the client holds this version, else the body, precompressed in
/// `coding` when it is smaller that way. A compressed answer names its coding and
/// varies by `Accept-Encoding` (the compression layer leaves an encoded answer alone);
/// the weak ETag is the same for every coding of one body.
fn answer(entry: Entry, if_none_match: Option<&HeaderValue>, coding: Option<Coding>) -> Response {
    if if_none_match.is_some_and(|v| matches(v, &entry.etag)) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, entry.etag);
        return r;
    }
    let compressed = coding.and_then(|c| Some((c, entry.encoded(c)?)));
    let mut headers = entry.headers;
    headers.insert(header::ETAG, entry.etag);
    let body = match compressed {
        Some((coding, bytes)) => {
            headers.insert(header::CONTENT_ENCODING, coding.header());
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
            bytes
        }
        None => entry.body,
    };
    let mut r = Response::new(Body::from(body));
    *r.headers_mut() = headers;
    r
}

#[cfg(test)]
mod tests;
