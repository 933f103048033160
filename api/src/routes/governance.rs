//! `GET /v1/governance/proposals` and `GET /v1/governance/proposals/{id}`: the AGPs of
//! `dao-voting` as chain state holds them (status, tallies, heights), read through a
//! [`GovernanceSource`].
//!
//! ALEX amounts (votes, quorum) are Clarity `uint`s in base units (10^-8 ALEX), sent as
//! decimal strings because they exceed the integers JSON readers hold exactly.

use std::future::Future;

use alkahest_indexer::storage::DbRead;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, NotFound};
use crate::error::ApiError;
use crate::params::ApiPath;
use crate::AppState;

/// A proposal as `dao-voting` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProposalView {
    /// Id (1, 2, ...).
    pub id: u64,
    /// The proposal contract's principal.
    pub proposal: String,
    /// Who proposed it.
    pub proposer: String,
    /// `pending`, `active`, `awaiting-conclusion`, `rejected`, `vetoed`, `timelocked`,
    /// `executable` or `executed` (dao-voting's `get-status` at the current burn height).
    pub status: String,
    /// ALEX base units voted for.
    pub votes_for: String,
    /// ALEX base units voted against.
    pub votes_against: String,
    /// The votes (for + against) needed to pass, from the current ALEX supply
    /// (dao-voting's `get-quorum`; `conclude` applies the value of its own block).
    pub quorum: String,
    /// First burn height of the vote.
    pub start_height: u64,
    /// Burn height at which the vote ends (no vote at or after it).
    pub end_height: u64,
    /// Burn height from which a passed proposal may execute; null until concluded.
    #[schema(required = true)]
    pub timelock_end: Option<u64>,
    /// Whether the vote was counted.
    pub concluded: bool,
    /// Whether it passed (quorum and majority), once concluded.
    pub passed: bool,
    /// Whether it was executed.
    pub executed: bool,
    /// Whether the foundation vetoed it.
    pub vetoed: bool,
    /// sha256 of the proposal's source as recorded by the proposer, hex.
    pub source_hash: String,
}

/// One voter's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VoteView {
    /// The voter.
    pub voter: String,
    /// For (true) or against.
    #[serde(rename = "for")]
    pub support: bool,
    /// ALEX base units the vote weighed.
    pub amount: String,
}

/// Where the API reads governance chain state (a Stacks node, or the devnet's simnet).
pub trait GovernanceSource: Send + Sync {
    /// How many proposals exist (ids run 1..=count).
    fn proposal_count(&self) -> impl Future<Output = Result<u64, String>> + Send;
    /// Proposal `id`, if it exists.
    fn proposal(
        &self,
        id: u64,
    ) -> impl Future<Output = Result<Option<ProposalView>, String>> + Send;
    /// The votes cast on proposal `id` that this source can list (dao-voting keeps a
    /// map keyed by voter, not a list, so a source checks the principals it knows).
    fn votes(&self, id: u64) -> impl Future<Output = Result<Vec<VoteView>, String>> + Send;
}

/// A server with no Stacks access: there are no proposals.
pub struct NoGovernance;

impl GovernanceSource for NoGovernance {
    async fn proposal_count(&self) -> Result<u64, String> {
        Ok(0)
    }

    async fn proposal(&self, _id: u64) -> Result<Option<ProposalView>, String> {
        Ok(None)
    }

    async fn votes(&self, _id: u64) -> Result<Vec<VoteView>, String> {
        Ok(Vec::new())
    }
}

/// The list of proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProposalList {
    /// Every proposal, by id.
    pub proposals: Vec<ProposalView>,
}

/// A proposal with the votes cast on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProposalDetail {
    /// The proposal.
    #[serde(flatten)]
    pub proposal: ProposalView,
    /// Votes of the principals the server can list (on the devnet: every account of
    /// `settings/Devnet.toml`, the only keys that can sign there).
    pub votes: Vec<VoteView>,
}

/// Path of `/v1/governance/proposals/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProposalPath {
    /// Proposal id.
    pub id: u32,
}

/// Every proposal, as chain state holds it.
#[utoipa::path(get, path = "/v1/governance/proposals", operation_id = "listProposals", responses(
    (status = 200, description = "Every dao-voting proposal, by id", body = ProposalList),
    Internal))]
pub async fn list<D: DbRead, G: GovernanceSource, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
) -> Result<Json<ProposalList>, ApiError> {
    let source = &state.governance;
    let count = source
        .proposal_count()
        .await
        .map_err(ApiError::internal_message)?;
    let mut proposals = Vec::new();
    for id in 1..=count {
        if let Some(p) = source
            .proposal(id)
            .await
            .map_err(ApiError::internal_message)?
        {
            proposals.push(p);
        }
    }
    Ok(Json(ProposalList { proposals }))
}

/// One proposal, with the votes cast on it.
#[utoipa::path(get, path = "/v1/governance/proposals/{id}", operation_id = "getProposal", params(ProposalPath), responses(
    (status = 200, description = "The proposal and its votes", body = ProposalDetail),
    BadRequest, NotFound, Internal))]
pub async fn one<D: DbRead, G: GovernanceSource, L: Send + Sync>(
    State(state): State<AppState<D, G, L>>,
    ApiPath(path): ApiPath<ProposalPath>,
) -> Result<Json<ProposalDetail>, ApiError> {
    let id = u64::from(path.id);
    let source = &state.governance;
    let proposal = source
        .proposal(id)
        .await
        .map_err(ApiError::internal_message)?
        .ok_or_else(|| ApiError::not_found(format!("no proposal {id}")))?;
    let votes = source.votes(id).await.map_err(ApiError::internal_message)?;
    Ok(Json(ProposalDetail { proposal, votes }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    /// Proposal 1 exists, with one vote for.
    struct One;

    fn sample() -> ProposalView {
        ProposalView {
            id: 1,
            proposal: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.agp001-pool-fee".into(),
            proposer: "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND".into(),
            status: "active".into(),
            votes_for: "1200000000000000".into(),
            votes_against: "0".into(),
            quorum: "1000000000000000".into(),
            start_height: 10,
            end_height: 20,
            timelock_end: None,
            concluded: false,
            passed: false,
            executed: false,
            vetoed: false,
            source_hash: "00".repeat(32),
        }
    }

    impl GovernanceSource for One {
        async fn proposal_count(&self) -> Result<u64, String> {
            Ok(1)
        }

        async fn proposal(&self, id: u64) -> Result<Option<ProposalView>, String> {
            Ok((id == 1).then(sample))
        }

        async fn votes(&self, _id: u64) -> Result<Vec<VoteView>, String> {
            Ok(vec![VoteView {
                voter: "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND".into(),
                support: true,
                amount: "1200000000000000".into(),
            }])
        }
    }

    async fn memory_store() -> alkahest_indexer::storage::SqliteStore {
        alkahest_indexer::storage::SqliteStore::open(
            "sqlite::memory:",
            alkahest_indexer::types::WindowSpec::default(),
            true,
        )
        .await
        .unwrap()
    }

    async fn status(app: axum::Router, uri: &str) -> StatusCode {
        app.oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    }

    async fn get(uri: &str) -> (StatusCode, serde_json::Value) {
        let app = crate::router_with_sources(
            Arc::new(memory_store().await),
            None,
            Arc::new(One),
            Arc::new(crate::routes::lending::NoLending),
            bitcoin::Network::Bitcoin,
        );
        let resp = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_list_and_one_proposal_are_served() {
        let (s, body) = get("/v1/governance/proposals").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["proposals"].as_array().unwrap().len(), 1);
        assert_eq!(body["proposals"][0]["votes_for"], "1200000000000000");
        let (s, body) = get("/v1/governance/proposals/1").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "active");
        assert_eq!(body["timelock_end"], serde_json::Value::Null);
        assert_eq!(body["votes"][0]["for"], true);
    }

    #[tokio::test]
    async fn an_unknown_id_is_404_and_a_bad_one_400_both_json() {
        for (uri, status, mentions) in [
            (
                "/v1/governance/proposals/2",
                StatusCode::NOT_FOUND,
                "proposal 2",
            ),
            (
                "/v1/governance/proposals/0",
                StatusCode::NOT_FOUND,
                "proposal 0",
            ),
            (
                "/v1/governance/proposals/abc",
                StatusCode::BAD_REQUEST,
                "abc",
            ),
            ("/v1/governance/proposals/-1", StatusCode::BAD_REQUEST, "-1"),
            (
                "/v1/governance/proposals/99999999999",
                StatusCode::BAD_REQUEST,
                "99999999999",
            ),
        ] {
            let (s, body) = get(uri).await;
            assert_eq!(s, status, "{uri}: {body}");
            assert!(body["error"].is_string(), "{uri}: {body}");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(mentions), "{uri}: {message}");
        }
    }

    #[tokio::test]
    async fn without_stacks_access_there_are_no_proposals() {
        let app = crate::router(Arc::new(memory_store().await));
        assert_eq!(
            status(app.clone(), "/v1/governance/proposals").await,
            StatusCode::OK
        );
        assert_eq!(
            status(app, "/v1/governance/proposals/1").await,
            StatusCode::NOT_FOUND
        );
    }
}
