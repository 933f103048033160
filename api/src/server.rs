//! The `api` binary's settings and the layers every served router gets: CORS for GET
//! (any origin may read public chain data), gzip/brotli compression, request tracing,
//! a per-request timeout, and Prometheus metrics at `/metrics`.
//!
//! Settings layer as every Alkahest binary's ([`alkahest_service::config`]): defaults <
//! TOML file < `API_` environment < flags. See `api/config/api.example.toml`.

use std::net::SocketAddr;
use std::time::Duration;

use alkahest_indexer::types::{Height, WindowSpec, MAINNET_WINDOW_LENGTH};
use alkahest_service::config::{ConfigError, Layering};
use alkahest_service::telemetry::Metrics;
use axum::http::{HeaderValue, Method};
use axum::Router;
use serde::{Deserialize, Serialize};
use tower::Layer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::bypass::{self, Bypass};
use crate::cache::ResponseCache;

/// How the api's settings are layered.
pub const LAYERS: Layering = Layering {
    env_prefix: "API_",
    path_keys: &["proof_rpc_cookie"],
    db_keys: &["db", "chain_db"],
};

/// Every `api` setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address of the public API.
    pub listen: String,
    /// The indexer's database (`sqlite://…` or `postgres://…`), read only: run the
    /// `indexer` binary to fill it.
    pub db: String,
    /// First height of window 0, as the indexer was configured.
    pub window_origin: u32,
    /// Blocks per window, as the indexer was configured.
    pub window_length: u32,
    /// A request taking longer is answered 408.
    pub request_timeout_ms: u64,
    /// Origins allowed to read the API from a browser; `["*"]` for any.
    pub cors_origins: Vec<String>,
    /// The API's own chain-state database, filled by the event observer
    /// (`sqlite://…` or `postgres://…`); unset: no Silica or AMM state is served.
    pub chain_db: Option<String>,
    /// Address of the event-observer endpoint (`POST /new_block`, as stacks-node's
    /// `[[events_observer]]` sends it). Keep it private: whoever can post to it writes
    /// the chain state the API serves.
    pub observer_listen: String,
    /// The principal that deployed the contracts whose events are followed.
    pub deployer: String,
    /// The Bitcoin network the indexer follows (`bitcoin`, `testnet`, `signet`,
    /// `regtest`): payout scripts are shown as its addresses.
    pub network: bitcoin::Network,
    /// A Bitcoin Core RPC (e.g. `http://127.0.0.1:8332`) the proof route reads full
    /// blocks from (`/v1/blocks/{height}/proof`); unset: the route answers 404.
    pub proof_node_url: Option<String>,
    /// The node's cookie file for `proof_node_url` (relative to the config file).
    pub proof_rpc_cookie: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            db: "sqlite://indexer.sqlite".into(),
            window_origin: 0,
            window_length: MAINNET_WINDOW_LENGTH,
            request_timeout_ms: 5_000,
            cors_origins: vec!["*".into()],
            chain_db: None,
            observer_listen: "127.0.0.1:3700".into(),
            deployer: String::new(),
            network: bitcoin::Network::Bitcoin,
            proof_node_url: None,
            proof_rpc_cookie: None,
        }
    }
}

impl Settings {
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`ConfigError::Value`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen_addr().is_none() {
            return Err(ConfigError::value(
                "listen",
                &self.listen,
                "must be an address and port, e.g. 127.0.0.1:8080",
            ));
        }
        if self.window_length == 0 {
            return Err(ConfigError::value(
                "window_length",
                self.window_length,
                "must be at least 1",
            ));
        }
        if self.request_timeout_ms == 0 {
            return Err(ConfigError::value(
                "request_timeout_ms",
                self.request_timeout_ms,
                "must be at least 1",
            ));
        }
        if self.chain_db.is_some() {
            if self.observer_addr().is_none() {
                return Err(ConfigError::value(
                    "observer_listen",
                    &self.observer_listen,
                    "must be an address and port, e.g. 127.0.0.1:3700",
                ));
            }
            if alkahest_protocol::principal::Principal::parse(&self.deployer).is_err() {
                return Err(ConfigError::value(
                    "deployer",
                    &self.deployer,
                    "must be the Stacks principal that deployed the contracts (with chain_db)",
                ));
            }
        }
        if let Some(url) = &self.proof_node_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::value(
                    "proof_node_url",
                    url,
                    "must be a Bitcoin Core RPC URL, e.g. http://127.0.0.1:8332",
                ));
            }
            if self.proof_rpc_cookie.is_none() {
                return Err(ConfigError::value(
                    "proof_rpc_cookie",
                    "(unset)",
                    "must name the node's .cookie file when proof_node_url is set",
                ));
            }
        }
        if self.cors_layer().is_none() {
            return Err(ConfigError::value(
                "cors_origins",
                &self.cors_origins,
                "each must be \"*\" or an origin such as https://example.org",
            ));
        }
        Ok(())
    }

    /// [`Settings::listen`] parsed.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }

    /// [`Settings::observer_listen`] parsed.
    pub fn observer_addr(&self) -> Option<SocketAddr> {
        self.observer_listen.parse().ok()
    }

    /// The window settings.
    pub fn window_spec(&self) -> WindowSpec {
        WindowSpec {
            origin: Height(self.window_origin),
            length: self.window_length,
        }
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// CORS for reads: GET and HEAD from the configured origins, and how answers to
    /// requests without an `Origin` are finished ([`crate::bypass`]); `None` when an
    /// origin is not a valid header value.
    fn cors_layer(&self) -> Option<Bypass<CorsLayer>> {
        let any = self.cors_origins.iter().any(|o| o == "*");
        let origin = if any {
            AllowOrigin::any()
        } else {
            let list: Option<Vec<HeaderValue>> = self
                .cors_origins
                .iter()
                .map(|o| HeaderValue::from_str(o).ok())
                .collect();
            AllowOrigin::list(list?)
        };
        let cors = CorsLayer::new()
            .allow_methods([Method::GET, Method::HEAD])
            .allow_origin(origin);
        // With any origin allowed every answer is the same for every origin, so caches
        // need no `Vary` (building it cost every request an allocation); a list of
        // origins echoes the request's, so its answers vary by it.
        Some(if any {
            Bypass::new(
                cors.vary(Vec::<axum::http::HeaderName>::new()),
                bypass::has_origin,
                bypass::allow_any_origin,
            )
        } else {
            Bypass::new(cors, bypass::has_origin, bypass::vary_by_origin)
        })
    }
}

/// The public API as served: `api` (its GETs answered through `cache` when given, see
/// [`crate::cache`]) plus `/metrics` (never cached) and the dashboard at `/`
/// ([`crate::dashboard`]), with request metrics and logs and the timeout on every
/// route, then compression and CORS around the whole (applied once, not per route).
/// The cache sits in front of the API's routing and inside compression and CORS, so
/// it holds identity bodies, a hit skips the routes' layers, and every answer still
/// gets its own encoding and CORS headers.
pub fn serve_layers(
    api: Router,
    cache: Option<&ResponseCache>,
    metrics: &Metrics,
    settings: &Settings,
) -> Router {
    let common =
        |r: Router| alkahest_service::http::with_common_layers(r, "api", settings.timeout());
    let api = common(api);
    let api = match cache {
        Some(cache) => cache.layer(api, "api"),
        None => api,
    };
    let router = api.merge(common(metrics.route().merge(crate::dashboard::router())));
    let compressed = Bypass::new(
        CompressionLayer::new(),
        bypass::accepts_encoding,
        bypass::unchanged,
    )
    .layer(router);
    match settings.cors_layer() {
        Some(cors) => Router::new().fallback_service(cors.layer(compressed)),
        None => Router::new().fallback_service(compressed),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use alkahest_indexer::storage::SqliteStore;
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn example_config_parses_and_validates() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/api.example.toml"
        ));
        let s: Settings = LAYERS.load(Some(path), []).unwrap().settings;
        s.validate().unwrap();
        assert_eq!(s.listen, "0.0.0.0:8080");
        assert_eq!(s.window_length, 144);
        assert!(s.db.contains(&path.parent().unwrap().display().to_string()));
        let chain_db = s.chain_db.clone().unwrap();
        assert!(
            chain_db.contains(&path.parent().unwrap().display().to_string()),
            "{chain_db}"
        );
        assert_eq!(s.observer_addr().unwrap().port(), 3700);
    }

    #[test]
    fn validation_names_the_bad_key() {
        for (key, s) in [
            (
                "listen",
                Settings {
                    listen: "x".into(),
                    ..Settings::default()
                },
            ),
            (
                "window_length",
                Settings {
                    window_length: 0,
                    ..Settings::default()
                },
            ),
            (
                "request_timeout_ms",
                Settings {
                    request_timeout_ms: 0,
                    ..Settings::default()
                },
            ),
            (
                "cors_origins",
                Settings {
                    cors_origins: vec!["bad\norigin".into()],
                    ..Settings::default()
                },
            ),
            (
                "deployer",
                Settings {
                    chain_db: Some("sqlite::memory:".into()),
                    ..Settings::default()
                },
            ),
            (
                "observer_listen",
                Settings {
                    chain_db: Some("sqlite::memory:".into()),
                    observer_listen: "x".into(),
                    deployer: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM".into(),
                    ..Settings::default()
                },
            ),
            (
                "proof_node_url",
                Settings {
                    proof_node_url: Some("127.0.0.1:8332".into()),
                    proof_rpc_cookie: Some("/c".into()),
                    ..Settings::default()
                },
            ),
            (
                "proof_rpc_cookie",
                Settings {
                    proof_node_url: Some("http://127.0.0.1:8332".into()),
                    ..Settings::default()
                },
            ),
        ] {
            match s.validate() {
                Err(ConfigError::Value { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}: {other:?}"),
            }
        }
    }

    /// The served API counts requests per route in `/metrics`, answers browsers with
    /// CORS headers for reads only, and compresses when asked.
    #[tokio::test]
    async fn metrics_cors_and_compression() {
        let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
            .await
            .unwrap();
        let metrics = Metrics::install();
        let settings = Settings {
            cors_origins: vec!["https://dash.example".into()],
            ..Settings::default()
        };
        let app = serve_layers(crate::router(Arc::new(store)), None, &metrics, &settings);
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();

        for _ in 0..2 {
            let r = app.clone().oneshot(get("/v1/health")).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        let r = app.clone().oneshot(get("/v1/blocks/99")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app.clone().oneshot(get("/v1/blocks/abc")).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = app.clone().oneshot(get("/metrics")).await.unwrap();
        let text =
            String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        let line = |route: &str, status: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with("http_requests_total{")
                        && l.contains(&format!("route=\"{route}\""))
                        && l.contains(&format!("status=\"{status}\""))
                })
                .map(|l| l.rsplit(' ').next().unwrap_or_default().to_owned())
        };
        assert_eq!(line("/v1/health", "200").as_deref(), Some("2"), "{text}");
        // One route, two statuses: two series.
        for status in ["404", "400"] {
            assert_eq!(
                line("/v1/blocks/{height}", status).as_deref(),
                Some("1"),
                "{text}"
            );
        }
        assert!(
            text.contains("http_request_duration_seconds_bucket"),
            "{text}"
        );

        // CORS: the configured origin may read; another origin gets no grant.
        let req = Request::get("/v1/health")
            .header(header::ORIGIN, "https://dash.example")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(
            r.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .unwrap(),
            "https://dash.example"
        );
        let req = Request::get("/v1/health")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert!(r
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none());
        // A preflight for a write is not granted.
        let req = Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/health")
            .header(header::ORIGIN, "https://dash.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        let allowed = r
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_METHODS)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!allowed.contains("POST"), "{allowed}");

        // Compression, when the client accepts it.
        let req = Request::get("/v1/openapi.json")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(r.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");

        // A request without an Origin skips CORS, but its answer varies by Origin, so a
        // shared cache never hands it (with no grant) to a listed origin's fetch.
        let r = app.clone().oneshot(get("/v1/health")).await.unwrap();
        assert!(r
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none());
        let vary: Vec<_> = r.headers().get_all(header::VARY).iter().collect();
        assert!(vary.iter().any(|v| *v == "origin"), "{vary:?}");
    }

    /// Behind the served layers, a cached answer precompressed by the cache is sent
    /// once compressed (the compression layer leaves an encoded answer alone).
    #[tokio::test]
    async fn cached_answers_are_compressed_once() {
        use std::io::Read;
        let store = Arc::new(
            SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
                .await
                .unwrap(),
        );
        let cache = ResponseCache::new(crate::cache::CacheLimits::default());
        assert!(cache.refresh(store.as_ref(), None).await);
        let app = serve_layers(
            crate::router(store),
            Some(&cache),
            &Metrics::install(),
            &Settings::default(),
        );
        for _ in 0..2 {
            let req = Request::get("/v1/openapi.json")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap();
            let r = app.clone().oneshot(req).await.unwrap();
            assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
            let gz = r.into_body().collect().await.unwrap().to_bytes();
            let mut text = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut text)
                .unwrap();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(doc["paths"].is_object());
        }
        assert_eq!(cache.len(), 1);

        // Hits are answered in front of the routing but counted under their route:
        // a miss, a hit and a 304 of /v1/blocks.
        let get = |etag: Option<&str>| {
            let mut req = Request::get("/v1/blocks?from=7");
            if let Some(tag) = etag {
                req = req.header(header::IF_NONE_MATCH, tag);
            }
            req.body(Body::empty()).unwrap()
        };
        let first = app.clone().oneshot(get(None)).await.unwrap();
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(
            app.clone().oneshot(get(None)).await.unwrap().status(),
            StatusCode::OK
        );
        let r = app.clone().oneshot(get(Some(&tag))).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = app
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let text =
            String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        let count = |status: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with("http_requests_total{")
                        && l.contains("route=\"/v1/blocks\"")
                        && l.contains(&format!("status=\"{status}\""))
                })
                .and_then(|l| l.rsplit(' ').next())
                .map(str::to_owned)
        };
        assert_eq!(count("200").as_deref(), Some("2"), "{text}");
        assert_eq!(count("304").as_deref(), Some("1"), "{text}");
    }

    /// With any origin allowed, every answer grants it (with an Origin or without, so a
    /// cached copy stays readable); without Accept-Encoding the body is sent as is.
    #[tokio::test]
    async fn any_origin_and_identity_answers() {
        let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true)
            .await
            .unwrap();
        let metrics = Metrics::install();
        let app = serve_layers(
            crate::router(Arc::new(store)),
            None,
            &metrics,
            &Settings::default(),
        );
        for origin in [None, Some("https://anyone.example")] {
            let mut req = Request::get("/v1/openapi.json");
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o);
            }
            let r = app
                .clone()
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(
                r.headers()
                    .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                    .unwrap(),
                "*",
                "{origin:?}"
            );
            assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
            let body = r.into_body().collect().await.unwrap().to_bytes();
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(doc["paths"]["/v1/silica/{id}"].is_object());
        }
        // The dashboard is served beside the API, compressed when asked.
        let req = Request::get("/assets/vendor/uPlot.esm.js")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
        let gz = r.into_body().collect().await.unwrap().to_bytes();
        let raw = app
            .clone()
            .oneshot(
                Request::get("/assets/vendor/uPlot.esm.js")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let raw = raw.into_body().collect().await.unwrap().to_bytes();
        assert!(gz.len() * 2 < raw.len(), "{} vs {}", gz.len(), raw.len());
    }
}
