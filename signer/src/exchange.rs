//! The signer's HTTP endpoint, `POST /v1/attestations`: a coordinator sends a proposed
//! delivery attestation; the signer answers with its signature, or refuses (409) with
//! the disagreement. The Silica's terms come from the signer's own [`TermsSource`]
//! (the chain), never from the request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use alkahest_indexer::storage::DbRead;
use alkahest_protocol::message::Delivery;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::attest::{AttestError, Signer};
use crate::observer::WindowTerms;

/// Where a signer learns a Silica's terms.
pub trait TermsSource: Send + Sync {
    /// The terms of `silica_id`, if it exists.
    fn terms(&self, silica_id: u128) -> impl Future<Output = Option<WindowTerms>> + Send;
}

/// Terms held in memory, filled by whoever watches the chain (the devnet, tests).
#[derive(Clone, Default)]
pub struct StaticTerms(Arc<RwLock<HashMap<u128, WindowTerms>>>);

impl StaticTerms {
    /// Records `terms`.
    pub fn insert(&self, terms: WindowTerms) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(terms.silica_id, terms);
    }
}

impl TermsSource for StaticTerms {
    async fn terms(&self, silica_id: u128) -> Option<WindowTerms> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&silica_id)
            .cloned()
    }
}

/// The wire form of a proposal. 128-bit numbers travel as decimal strings because
/// JSON numbers lose precision above 2^53.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProposalJson {
    /// Silica id.
    pub silica_id: String,
    /// Window.
    pub window: String,
    /// Delivered sats.
    pub delivered: String,
    /// Network index.
    pub index: String,
    /// Pinning burn height.
    pub burn_height: String,
    /// Pinning burn hash, 64 hex digits.
    pub burn_hash: String,
}

impl ProposalJson {
    /// The wire form of `d`.
    pub fn from_delivery(d: &Delivery) -> ProposalJson {
        ProposalJson {
            silica_id: d.silica_id.to_string(),
            window: d.window.to_string(),
            delivered: d.delivered.to_string(),
            index: d.index.to_string(),
            burn_height: d.burn_height.to_string(),
            burn_hash: hex::encode(d.burn_hash),
        }
    }

    /// Parses the wire form, naming the first bad field.
    ///
    /// # Errors
    /// A message naming the field and its value.
    pub fn to_delivery(&self) -> Result<Delivery, String> {
        let num = |name: &str, v: &str| {
            v.parse::<u128>()
                .map_err(|_| format!("{name} must be a decimal integer, got {v:?}"))
        };
        let hash = hex::decode(&self.burn_hash)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| format!("burn_hash must be 64 hex digits, got {:?}", self.burn_hash))?;
        Ok(Delivery {
            silica_id: num("silica_id", &self.silica_id)?,
            window: num("window", &self.window)?,
            delivered: num("delivered", &self.delivered)?,
            index: num("index", &self.index)?,
            burn_height: num("burn_height", &self.burn_height)?,
            burn_hash: hash,
        })
    }
}

/// A signature answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureJson {
    /// The signer's compressed public key, hex.
    pub signer: String,
    /// `r || s || v`, hex.
    pub signature: String,
}

#[derive(Serialize)]
struct ErrorJson {
    error: &'static str,
    message: String,
}

fn error(status: StatusCode, code: &'static str, message: String) -> Response {
    (
        status,
        Json(ErrorJson {
            error: code,
            message,
        }),
    )
        .into_response()
}

struct ExchangeState<D, T> {
    signer: Arc<Signer<D>>,
    terms: T,
}

/// The largest proposal body: six short fields.
pub const BODY_LIMIT: usize = 4 * 1024;

/// The router serving `POST /v1/attestations` for `signer`.
pub fn router<D, T>(signer: Arc<Signer<D>>, terms: T) -> Router
where
    D: DbRead + 'static,
    T: TermsSource + 'static,
{
    Router::new()
        .route("/v1/attestations", post(handle::<D, T>))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::new(ExchangeState { signer, terms }))
}

async fn handle<D: DbRead, T: TermsSource>(
    State(state): State<Arc<ExchangeState<D, T>>>,
    body: Result<Json<ProposalJson>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", e.body_text()),
    };
    let proposal = match body.to_delivery() {
        Ok(p) => p,
        Err(m) => return error(StatusCode::BAD_REQUEST, "bad_request", m),
    };
    let Some(terms) = state.terms.terms(proposal.silica_id).await else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("unknown silica {}", proposal.silica_id),
        );
    };
    match state.signer.sign(&terms, &proposal).await {
        Ok(sig) => Json(SignatureJson {
            signer: hex::encode(state.signer.key().public_key()),
            signature: hex::encode(sig.0),
        })
        .into_response(),
        Err(AttestError::Refused(r)) => {
            tracing::info!(silica = proposal.silica_id, window = proposal.window, reason = %r, "refused to sign");
            error(StatusCode::CONFLICT, "refused", r.to_string())
        }
        Err(AttestError::Observe(e)) => {
            tracing::error!(error = %e, "could not read own index");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "signer index unavailable".into(),
            )
        }
    }
}
