//! `GET /v1/health`: liveness plus the indexed tip.

use std::sync::Arc;

use alkahest_indexer::storage::DbRead;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::Internal;
use crate::error::ApiError;

/// Liveness and the indexed tip.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: the server answered and read its database.
    pub status: HealthStatus,
    /// The highest indexed block; null before the first.
    #[schema(required = true)]
    pub tip: Option<Tip>,
}

/// The only status a server that can answer reports.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Serving.
    Ok,
}

/// A block's position.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tip {
    /// Height.
    pub height: u32,
    /// Block hash, hex.
    pub hash: String,
}

/// Liveness and the indexed tip.
#[utoipa::path(get, path = "/v1/health", operation_id = "getHealth", responses(
    (status = 200, description = "Serving, with the indexed tip", body = Health), Internal))]
pub async fn health<D: DbRead>(State(store): State<Arc<D>>) -> Result<Json<Health>, ApiError> {
    let tip = store.tip().await?;
    Ok(Json(Health {
        status: HealthStatus::Ok,
        tip: tip.map(|(h, hash)| Tip {
            height: h.0,
            hash: hash.to_string(),
        }),
    }))
}
