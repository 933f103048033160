//! Alkahest HTTP API: serves indexed blocks, coinbase payouts, the hashprice index and
//! mining-pool shares over axum, with an OpenAPI document at `/v1/openapi.json`.
//!
//! [`router`] is the only entry point. Handlers read through the indexer's `DbRead`
//! trait, so API servers are stateless and many can run over one database. Every error
//! is JSON (`{"error", "message"}`); client mistakes get a 4xx that names the bad value,
//! and nothing a client sends produces a 5xx.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use alkahest_indexer::storage::SqliteStore;
//! use alkahest_indexer::types::WindowSpec;
//!
//! let store = SqliteStore::open("sqlite::memory:", WindowSpec::default(), true).await.unwrap();
//! let app = alkahest_api::router(Arc::new(store));
//! // Serve it: axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8080").await?, app)
//! # let _ = app; });
//! ```
#![deny(missing_docs)]

mod error;
pub mod openapi;
mod params;
pub mod routes;

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

pub use error::ApiError;

/// Every route, as documented in the OpenAPI document (checked by a test).
pub const ROUTES: [&str; 9] = [
    "/v1/health",
    "/v1/blocks",
    "/v1/blocks/{height}",
    "/v1/blocks/{height}/coinbase",
    "/v1/addresses/{addr}/payouts",
    "/v1/index",
    "/v1/pools",
    "/v1/openapi.json",
    "/v1/silica/{id}",
];

/// The largest request body accepted: every route is a GET, so bodies are refused
/// beyond a token size rather than buffered.
pub const BODY_LIMIT: usize = 1024;

/// Shared handler state: the indexer store and the Silica chain-state source.
pub struct AppState<D, S> {
    /// The indexer, read side only.
    pub store: Arc<D>,
    /// Silica chain state.
    pub silica: Arc<S>,
}

/// Builds the API over a store, without Stacks access (`/v1/silica/{id}` answers 404).
pub fn router<D: DbRead + 'static>(store: Arc<D>) -> Router {
    router_with_silica(store, Arc::new(routes::silica::NoSilica))
}

/// Builds the API over a store and a Silica chain-state source.
pub fn router_with_silica<D, S>(store: Arc<D>, silica: Arc<S>) -> Router
where
    D: DbRead + 'static,
    S: routes::silica::SilicaSource + 'static,
{
    let by_store = Router::new()
        .route(ROUTES[0], get(routes::health::health::<D>))
        .route(ROUTES[1], get(routes::blocks::list::<D>))
        .route(ROUTES[2], get(routes::blocks::one::<D>))
        .route(ROUTES[3], get(routes::blocks::coinbase::<D>))
        .route(ROUTES[4], get(routes::payouts::payouts::<D>))
        .route(ROUTES[5], get(routes::index::index::<D>))
        .route(ROUTES[6], get(routes::pools::pools::<D>))
        .with_state(store.clone());
    let by_silica = Router::new()
        .route(ROUTES[8], get(routes::silica::silica::<D, S>))
        .with_state(Arc::new(AppState { store, silica }));
    by_store
        .merge(by_silica)
        .route(ROUTES[7], get(openapi::serve))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}
