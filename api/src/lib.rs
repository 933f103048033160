//! Alkahest HTTP API: serves indexed blocks, coinbase payouts, the hashprice index and
//! mining-pool shares over axum; Silicas and AMM pools from the chain-state store that
//! the stacks-node event observer ([`observer`]) fills; governance proposals and
//! lending pools from chain state; with an OpenAPI document at `/v1/openapi.json`. The
//! served stack ([`server::serve_layers`]) adds the response cache, CORS, compression,
//! metrics and the dashboard at `/` ([`dashboard`]), a page that reads only these routes.
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

pub mod bypass;
pub mod cache;
pub mod chainstate;
pub mod dashboard;
mod error;
pub mod observer;
pub mod openapi;
pub mod params;
pub mod routes;
pub mod server;

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::Router;

use chainstate::ChainStore;

pub use error::{ApiError, ErrorBody, ErrorCode};
use openapi::Documented;

/// The largest request body accepted: every route is a GET, so bodies are refused
/// beyond a token size rather than buffered.
pub const BODY_LIMIT: usize = 1024;

/// Shared handler state: the indexer store, the chain-state store (Silicas, AMM
/// pools), the governance and lending chain-state sources and the OpenAPI document.
/// Handlers take the part they need (`State<Arc<D>>`, ...).
pub struct AppState<D, G = routes::governance::NoGovernance, L = routes::lending::NoLending> {
    store: Arc<D>,
    chain: Option<Arc<ChainStore>>,
    governance: Arc<G>,
    lending: Arc<L>,
    openapi: Arc<utoipa::openapi::OpenApi>,
    /// The Bitcoin network, for addresses shown beside scripts.
    network: bitcoin::Network,
}

impl<D, G, L> Clone for AppState<D, G, L> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            chain: self.chain.clone(),
            governance: self.governance.clone(),
            lending: self.lending.clone(),
            openapi: self.openapi.clone(),
            network: self.network,
        }
    }
}

impl<D, G, L> AppState<D, G, L> {
    /// The chain-state store; a server without one answers as if the chain were empty.
    pub(crate) fn chain(&self) -> Option<&ChainStore> {
        self.chain.as_deref()
    }
}

impl<D, G, L> FromRef<AppState<D, G, L>> for Arc<D> {
    fn from_ref(state: &AppState<D, G, L>) -> Arc<D> {
        state.store.clone()
    }
}

impl<D, G, L> FromRef<AppState<D, G, L>> for openapi::Document {
    fn from_ref(state: &AppState<D, G, L>) -> openapi::Document {
        openapi::Document(state.openapi.clone())
    }
}

/// Builds the API over a store, without chain state (no Silicas, no AMM pools).
pub fn router<D: DbRead + 'static>(store: Arc<D>) -> Router {
    router_with_sources(
        store,
        None,
        Arc::new(routes::governance::NoGovernance),
        Arc::new(routes::lending::NoLending),
        bitcoin::Network::Bitcoin,
    )
}

/// Builds the API over a store and the chain-state store, without governance or
/// lending state (no proposals, no lending pools); addresses are of `network`.
pub fn router_with_chain<D: DbRead + 'static>(
    store: Arc<D>,
    chain: Arc<ChainStore>,
    network: bitcoin::Network,
) -> Router {
    router_with_sources(
        store,
        Some(chain),
        Arc::new(routes::governance::NoGovernance),
        Arc::new(routes::lending::NoLending),
        network,
    )
}

/// Builds the API over a store, the chain-state store (fed by the observer router,
/// [`observer::observer_router`], on its own listener) and the governance and lending
/// chain-state sources. Each route is added with its documentation ([`Documented`]),
/// so `/v1/openapi.json` lists exactly the routes served. Payout scripts are shown as
/// addresses of `network`.
pub fn router_with_sources<D, G, L>(
    store: Arc<D>,
    chain: Option<Arc<ChainStore>>,
    governance: Arc<G>,
    lending: Arc<L>,
    network: bitcoin::Network,
) -> Router
where
    D: DbRead + 'static,
    G: routes::governance::GovernanceSource + 'static,
    L: routes::lending::LendingSource + 'static,
{
    use routes::{
        amm, blocks, governance as gov, health, index, lending as lend, payouts, pools, proof,
        silica as si,
    };
    let (router, doc) = Documented::<AppState<D, G, L>>::new()
        .route::<health::__path_health, _, _>(health::health::<D>)
        .route::<blocks::__path_list, _, _>(blocks::list::<D>)
        .route::<blocks::__path_one, _, _>(blocks::one::<D>)
        .route::<blocks::__path_coinbase, _, _>(blocks::coinbase::<D>)
        .route::<proof::__path_proof, _, _>(proof::proof::<D>)
        .route::<payouts::__path_payouts, _, _>(payouts::payouts::<D>)
        .route::<index::__path_index, _, _>(index::index::<D>)
        .route::<pools::__path_pools, _, _>(pools::pools::<D>)
        .route::<si::__path_silica, _, _>(si::silica::<D, G, L>)
        .route::<si::__path_list, _, _>(si::list::<D, G, L>)
        .route::<amm::__path_list, _, _>(amm::list::<D, G, L>)
        .route::<amm::__path_one, _, _>(amm::one::<D, G, L>)
        .route::<gov::__path_list, _, _>(gov::list::<D, G, L>)
        .route::<gov::__path_one, _, _>(gov::one::<D, G, L>)
        .route::<lend::__path_list, _, _>(lend::list::<D, G, L>)
        .route::<lend::__path_one, _, _>(lend::one::<D, G, L>)
        .route::<openapi::__path_serve, _, _>(openapi::serve)
        .finish();
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(AppState {
            store,
            chain,
            governance,
            lending,
            openapi: Arc::new(doc),
            network,
        })
}

/// Gives `router`'s proof route (`/v1/blocks/{height}/proof`) a block source to build
/// proofs from; without one it answers 404 saying so.
pub fn with_proof_source(router: Router, source: routes::proof::ProofSource) -> Router {
    router.layer(axum::Extension(source))
}
