//! Alkahest HTTP API: serves indexed blocks, coinbase payouts, the hashprice index and
//! mining-pool shares over axum, and Silicas, governance proposals and lending pools
//! from chain state, with an OpenAPI document at `/v1/openapi.json`.
//!
//! [`router`] is the only entry point. Handlers read through the indexer's `DbRead`
//! trait, so API servers are stateless and many can run over one database. Every error
//! is JSON (`{"error", "message"}`); client mistakes get a 4xx that names the bad value,
//! and nothing a client sends produces a 5xx.
//!
//! Parameters are typed structs read by [`params::ApiPath`] and [`params::ApiQuery`];
//! responses are serde structs. The OpenAPI 3.1 document is generated from both by
//! utoipa ([`openapi`]) and lists exactly the routes the router serves.
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
pub mod params;
pub mod routes;
pub mod server;

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::Router;

pub use error::{ApiError, ErrorBody, ErrorCode};
use openapi::Documented;

/// The largest request body accepted: every route is a GET, so bodies are refused
/// beyond a token size rather than buffered.
pub const BODY_LIMIT: usize = 1024;

/// Shared handler state: the indexer store, the Silica, governance and lending
/// chain-state sources and the OpenAPI document. Handlers take the part they need
/// (`State<Arc<D>>`, ...).
pub struct AppState<D, S, G = routes::governance::NoGovernance, L = routes::lending::NoLending> {
    store: Arc<D>,
    silica: Arc<S>,
    governance: Arc<G>,
    lending: Arc<L>,
    openapi: Arc<utoipa::openapi::OpenApi>,
}

impl<D, S, G, L> Clone for AppState<D, S, G, L> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            silica: self.silica.clone(),
            governance: self.governance.clone(),
            lending: self.lending.clone(),
            openapi: self.openapi.clone(),
        }
    }
}

impl<D, S, G, L> FromRef<AppState<D, S, G, L>> for Arc<D> {
    fn from_ref(state: &AppState<D, S, G, L>) -> Arc<D> {
        state.store.clone()
    }
}

impl<D, S, G, L> FromRef<AppState<D, S, G, L>> for openapi::Document {
    fn from_ref(state: &AppState<D, S, G, L>) -> openapi::Document {
        openapi::Document(state.openapi.clone())
    }
}

/// Builds the API over a store, without Stacks access (`/v1/silica/{id}` answers 404).
pub fn router<D: DbRead + 'static>(store: Arc<D>) -> Router {
    router_with_silica(store, Arc::new(routes::silica::NoSilica))
}

/// Builds the API over a store and a Silica chain-state source, without governance or
/// lending state (no proposals, no lending pools).
pub fn router_with_silica<D, S>(store: Arc<D>, silica: Arc<S>) -> Router
where
    D: DbRead + 'static,
    S: routes::silica::SilicaSource + 'static,
{
    router_with_sources(
        store,
        silica,
        Arc::new(routes::governance::NoGovernance),
        Arc::new(routes::lending::NoLending),
    )
}

/// Builds the API over a store and the Silica, governance and lending chain-state
/// sources. Each route is added with its documentation ([`Documented`]), so
/// `/v1/openapi.json` lists exactly the routes served.
pub fn router_with_sources<D, S, G, L>(
    store: Arc<D>,
    silica: Arc<S>,
    governance: Arc<G>,
    lending: Arc<L>,
) -> Router
where
    D: DbRead + 'static,
    S: routes::silica::SilicaSource + 'static,
    G: routes::governance::GovernanceSource + 'static,
    L: routes::lending::LendingSource + 'static,
{
    use routes::{
        blocks, governance as gov, health, index, lending as lend, payouts, pools, silica as si,
    };
    let (router, doc) = Documented::<AppState<D, S, G, L>>::new()
        .route::<health::__path_health, _, _>(health::health::<D>)
        .route::<blocks::__path_list, _, _>(blocks::list::<D>)
        .route::<blocks::__path_one, _, _>(blocks::one::<D>)
        .route::<blocks::__path_coinbase, _, _>(blocks::coinbase::<D>)
        .route::<payouts::__path_payouts, _, _>(payouts::payouts::<D>)
        .route::<index::__path_index, _, _>(index::index::<D>)
        .route::<pools::__path_pools, _, _>(pools::pools::<D>)
        .route::<si::__path_silica, _, _>(si::silica::<D, S, G, L>)
        .route::<gov::__path_list, _, _>(gov::list::<D, S, G, L>)
        .route::<gov::__path_one, _, _>(gov::one::<D, S, G, L>)
        .route::<lend::__path_list, _, _>(lend::list::<D, S, G, L>)
        .route::<lend::__path_one, _, _>(lend::one::<D, S, G, L>)
        .route::<openapi::__path_serve, _, _>(openapi::serve)
        .finish();
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(AppState {
            store,
            silica,
            governance,
            lending,
            openapi: Arc::new(doc),
        })
}
