//! The stacks-node event observer endpoint: `POST /new_block` ingests a block into the
//! [`ChainStore`]; every other path stacks-node posts to answers 200 and is ignored.
//!
//! This router is separate from the public API ([`crate::router_with_sources`]) and
//! must be served on its own, private listener: whoever can POST to it writes chain
//! state. Real blocks are large, so its body limit is [`OBSERVER_BODY_LIMIT`], on this
//! router only.

pub mod payload;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use crate::chainstate::{ChainStore, Ingested};
use crate::error::ApiError;
pub use payload::NewBlock;

/// The largest body accepted: a full Stacks block with its events and ABIs.
pub const OBSERVER_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The other paths stacks-node posts to (stacks-core `event_dispatcher.rs`, `PATH_*`).
pub const IGNORED_PATHS: [&str; 10] = [
    "/new_burn_block",
    "/new_mempool_tx",
    "/drop_mempool_tx",
    "/new_microblocks",
    "/attachments/new",
    "/mined_block",
    "/mined_microblock",
    "/mined_nakamoto_block",
    "/stackerdb_chunks",
    "/proposal_response",
];

/// The answer to `/new_block`.
#[derive(Debug, Clone, Serialize)]
pub struct Ack {
    /// `extended`, `duplicate`, `reorg` or `orphan`.
    pub result: &'static str,
    /// Print events of followed contracts stored.
    pub events: usize,
}

/// The observer router over `store`.
pub fn observer_router(store: Arc<ChainStore>) -> Router {
    let mut router = Router::new().route("/new_block", post(new_block));
    for path in IGNORED_PATHS {
        router = router.route(path, post(|| async { Json(serde_json::json!({})) }));
    }
    router
        .fallback(|| async { ApiError::not_found("no such observer path") })
        .layer(DefaultBodyLimit::max(OBSERVER_BODY_LIMIT))
        .with_state(store)
}

async fn new_block(
    State(store): State<Arc<ChainStore>>,
    body: Bytes,
) -> Result<Json<Ack>, ApiError> {
    let block: NewBlock = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("new_block payload: {e}")))?;
    let decoded = block
        .decode(store.contracts())
        .map_err(|e| ApiError::bad_request(format!("new_block payload: {e}")))?;
    let outcome = store.ingest(&decoded).await.map_err(|e| {
        if e.is_client_error() {
            ApiError::bad_request(format!("new_block payload: {e}"))
        } else {
            tracing::error!(error = %e, "ingesting a Stacks block failed");
            ApiError::internal(&e)
        }
    })?;
    if outcome == Ingested::Reorg {
        tracing::info!(
            height = decoded.block_height,
            block = %decoded.index_block_hash,
            "Stacks reorg: derived chain state rebuilt"
        );
    }
    Ok(Json(Ack {
        result: match outcome {
            Ingested::Extended => "extended",
            Ingested::Duplicate => "duplicate",
            Ingested::Reorg => "reorg",
            Ingested::Orphan => "orphan",
        },
        events: decoded.events.len(),
    }))
}
