//! One backend's part of the run: build its databases, serve the API over them as the
//! `api` binary does, and load every GET endpoint of its OpenAPI document.

use std::path::Path;
use std::sync::Arc;

use alkahest_api::cache::{CacheLimits, ResponseCache};
use alkahest_api::router_with_sources;
use alkahest_api::server::{serve_layers, Settings};
use alkahest_indexer::storage::{with_store, DbRead, DbWrite, WithStore};
use alkahest_protocol::index::WorkModel;
use alkahest_service::telemetry::Metrics;
use anyhow::{bail, Context};
use sqlx::Connection;

use crate::fixture;
use crate::report::Table;
use crate::stubs::{Governance, Lending, EXPIRIES};
use crate::Config;

/// Where a backend's two databases live.
pub struct Backend {
    /// The indexer's database URL.
    indexer: String,
    /// The chain-state database URL.
    chain: String,
    /// PostgreSQL: the server URL and the databases to drop after the run.
    created: Option<(String, Vec<String>)>,
}

impl Backend {
    /// Two SQLite files in `dir`.
    pub fn sqlite(dir: &Path) -> Backend {
        let file = |name: &str| format!("sqlite://{}", dir.join(name).display());
        Backend {
            indexer: file("indexer.sqlite"),
            chain: file("chain.sqlite"),
            created: None,
        }
    }

    /// Two fresh databases on the server at `server` (no database in the URL).
    ///
    /// # Errors
    /// No server answers, or it refuses to create them.
    pub async fn postgres(server: &str) -> anyhow::Result<Backend> {
        let admin = format!("{server}/postgres");
        let mut conn = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&admin),
        )
        .await
        .context("connecting timed out")??;
        let names: Vec<String> = ["indexer", "chain"]
            .iter()
            .map(|n| format!("alkahest_bench_{}_{n}", std::process::id()))
            .collect();
        for name in &names {
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .with_context(|| format!("creating database {name}"))?;
        }
        Ok(Backend {
            indexer: format!("{server}/{}", names[0]),
            chain: format!("{server}/{}", names[1]),
            created: Some((admin, names)),
        })
    }

    /// Drops the databases [`Backend::postgres`] created; failures are reported, not
    /// fatal.
    pub async fn drop_databases(&self) {
        let Some((admin, names)) = &self.created else {
            return;
        };
        let Ok(mut conn) = sqlx::PgConnection::connect(admin).await else {
            eprintln!("cannot reconnect to drop {names:?}");
            return;
        };
        for name in names {
            if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
            {
                eprintln!("cannot drop {name}: {e}");
            }
        }
    }
}

/// Fills the indexer's database (migrating it), as the `indexer` binary would.
struct Build(u32);

impl WithStore for Build {
    type Output = anyhow::Result<()>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        fixture::index_chain(store, self.0).await.map(drop)
    }
}

/// Serves the API over the indexer's database opened read-side as the `api` binary
/// opens it (no migration), and measures it.
struct Serve<'a> {
    config: &'a Config,
    backend: &'a Backend,
    metrics: &'a Metrics,
    hello: &'a str,
}

impl WithStore for Serve<'_> {
    type Output = anyhow::Result<Table>;
    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<Table> {
        let store = Arc::new(store);
        let chain = Arc::new(fixture::open_chain(&self.backend.chain).await?);
        let cache = ResponseCache::new(CacheLimits::default());
        cache
            .spawn_refresh(store.clone(), Some(chain.clone()))
            .await;
        let api = router_with_sources(
            store,
            Some(chain),
            Arc::new(Governance),
            Arc::new(Lending),
            bitcoin::Network::Regtest,
        );
        let settings = Settings::default();
        let cache = self.config.cache.then_some(&cache);
        let app = serve_layers(api, cache, self.metrics, &settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        // The hello-world behind the same layers: what the layers alone cost.
        // (At /hello: the served stack has the dashboard at /.)
        let layered = serve_layers(crate::hello_router("/hello"), None, self.metrics, &settings);
        let layered = format!("{}/hello", crate::spawn_server(layered).await?);
        let result = async {
            let mut urls = vec![(LAYERED.to_owned(), layered)];
            // The largest answer's exact bytes from a bare axum route: what its size
            // alone costs against the 17-byte hello-world, with no layer and no cache.
            let doc = reqwest::get(format!("{base}/v1/openapi.json"))
                .await?
                .bytes()
                .await?;
            let size = doc.len();
            let bare = axum::Router::new().route(
                "/doc",
                axum::routing::get(move || {
                    let doc = doc.clone();
                    async move {
                        (
                            [(axum::http::header::CONTENT_TYPE, "application/json")],
                            doc,
                        )
                    }
                }),
            );
            let bare = format!("{}/doc", crate::spawn_server(bare).await?);
            urls.push((
                format!("{size} bytes of /v1/openapi.json, bare axum (reference)"),
                bare,
            ));
            urls.extend(
                endpoint_urls(&base)
                    .await?
                    .into_iter()
                    .filter(|(template, _)| self.config.selects(template)),
            );
            let (hello_rps, rows) = crate::measure(self.config, self.hello, &urls).await?;
            anyhow::Ok(Table { hello_rps, rows })
        }
        .await;
        server.abort();
        result
    }
}

/// The reference row: the hello-world route behind `serve_layers`, no cache.
const LAYERED: &str = "hello-world behind serve_layers (reference)";

/// Builds `backend`'s databases, serves them and measures every endpoint.
pub async fn run(
    config: &Config,
    backend: &Backend,
    metrics: &Metrics,
    hello: &str,
) -> anyhow::Result<Table> {
    let spec = fixture::window_spec();
    let started = std::time::Instant::now();
    with_store(
        &backend.indexer,
        spec,
        WorkModel::Header,
        true,
        Build(config.blocks),
    )
    .await??;
    let chain = Arc::new(fixture::open_chain(&backend.chain).await?);
    fixture::ingest_chain_state(chain).await?;
    println!(
        "  built {} blocks, {} Silicas, {} AMM pools in {:.1} s",
        config.blocks,
        fixture::SILICAS,
        fixture::AMM_POOLS,
        started.elapsed().as_secs_f64()
    );
    let serve = Serve {
        config,
        backend,
        metrics,
        hello,
    };
    with_store(&backend.indexer, spec, WorkModel::Header, false, serve).await?
}

/// Every GET path of the served OpenAPI document, as `(template, URL)` with valid
/// parameters; each URL is checked to answer 200 before it is loaded.
async fn endpoint_urls(base: &str) -> anyhow::Result<Vec<(String, String)>> {
    let client = reqwest::Client::new();
    let doc: serde_json::Value = client
        .get(format!("{base}/v1/openapi.json"))
        .send()
        .await?
        .json()
        .await?;
    let paths = doc["paths"]
        .as_object()
        .context("the OpenAPI document has no paths")?;
    let mut out = Vec::new();
    for (template, item) in paths {
        let Some(op) = item.get("get") else { continue };
        let url = format!("{base}{}", fill(template, op)?);
        let status = client.get(&url).send().await?.status();
        if status != reqwest::StatusCode::OK {
            bail!("{url} answers {status}; the benchmark's parameters are out of date");
        }
        out.push((template.clone(), url));
    }
    Ok(out)
}

/// `template` with its path parameters filled and its query: the required parameters
/// plus the page sizes worth measuring. An unknown parameter is an error naming it, so
/// a new endpoint cannot be skipped silently.
fn fill(template: &str, op: &serde_json::Value) -> anyhow::Result<String> {
    let payee = fixture::payee().to_string();
    let last = fixture::WINDOW_LENGTH * 20;
    let path_value = |name: &str| -> Option<String> {
        Some(match name {
            "height" => "1500".into(),
            "addr" => payee.clone(),
            "id" => "1".into(),
            "expiry" => EXPIRIES[0].to_string(),
            _ => return None,
        })
    };
    let query_value = |name: &str| -> Option<String> {
        Some(match name {
            "from_window" => "0".into(),
            "to_window" => "20".into(),
            "from" if template == "/v1/pools" => "1".into(),
            "to" if template == "/v1/pools" => last.to_string(),
            _ => return None,
        })
    };
    let mut path = template.to_owned();
    let mut query = Vec::new();
    if template == "/v1/blocks" {
        query.push("limit=20".to_owned());
    }
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default();
        let required = p["required"].as_bool().unwrap_or(false);
        match p["in"].as_str() {
            Some("path") => {
                let v = path_value(name)
                    .with_context(|| format!("no value for path parameter {name} of {template}"))?;
                path = path.replace(&format!("{{{name}}}"), &v);
            }
            Some("query") => match query_value(name) {
                Some(v) => query.push(format!("{name}={v}")),
                None if required => {
                    bail!("no value for required query parameter {name} of {template}")
                }
                None => {}
            },
            other => bail!("parameter {name} of {template} is in {other:?}"),
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    Ok(path)
}
