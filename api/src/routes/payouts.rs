//! `GET /v1/addresses/{addr}/payouts?from=&to=&limit=&after=`: coinbase outputs paying
//! an address, a page at a time.
//!
//! `DbRead` offers only "every output paying the address in a height range", so the
//! page is cut here: the store is asked from the cursor's height (or `from`) to `to`,
//! and the handler keeps the first `limit` outputs strictly after the cursor. A store
//! method taking the limit would make a page cost `limit` rows instead of the rest of
//! the range; the response would not change.

use std::sync::Arc;

use alkahest_indexer::storage::{DbRead, OutputRecord};
use alkahest_indexer::types::Height;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{BadRequest, Internal, Output};
use crate::error::ApiError;
use crate::params::types::{check_range, AnyAddress, Limit, PayoutCursor, HEIGHTS};
use crate::params::{ApiPath, ApiQuery};

/// Payouts per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest page.
pub const MAX_LIMIT: u32 = 1_000;

/// The `limit` of the payouts route.
pub type PayoutsLimit = Limit<MAX_LIMIT, DEFAULT_LIMIT>;

/// Path of the payouts route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AddressPath {
    /// A Bitcoin address: base58, or bech32/bech32m in all lower or all upper case.
    #[param(value_type = String)]
    pub addr: AnyAddress,
}

/// Query of the payouts route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutsQuery {
    /// First height.
    #[serde(default)]
    #[param(default = 0)]
    pub from: u32,
    /// Last height, inclusive; no bound when absent.
    pub to: Option<u32>,
    /// Payouts per page.
    #[serde(default)]
    #[param(inline)]
    pub limit: PayoutsLimit,
    /// The `next` of the previous page: this page starts right after it.
    #[param(inline)]
    pub after: Option<PayoutCursor>,
}

/// A page of payouts to one address.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutPage {
    /// The address, as the indexer writes it (bech32 in lower case).
    pub address: String,
    /// Σ `value_sats` of the payouts on this page.
    pub total_sats: u64,
    /// Payouts by height and output index.
    pub payouts: Vec<Output>,
    /// Pass as `after` for the next page; null when this page is the last.
    #[schema(required = true)]
    pub next: Option<PayoutCursor>,
}

fn cursor(o: &OutputRecord) -> PayoutCursor {
    PayoutCursor {
        height: o.height.0,
        vout: o.vout,
    }
}

/// Payouts to `addr` over heights `[from, to]`, `limit` at a time from `after`.
#[utoipa::path(get, path = "/v1/addresses/{addr}/payouts", operation_id = "listPayouts", params(AddressPath, PayoutsQuery),
    responses(
        (status = 200, description = "A page of coinbase outputs paying the address", body = PayoutPage),
        BadRequest, Internal))]
pub async fn payouts<D: DbRead>(
    State(store): State<Arc<D>>,
    ApiPath(path): ApiPath<AddressPath>,
    ApiQuery(query): ApiQuery<PayoutsQuery>,
) -> Result<Json<PayoutPage>, ApiError> {
    let address = path.addr.canonical();
    let (from, to) = check_range(HEIGHTS, query.from, query.to.unwrap_or(u32::MAX))?;
    let start = query.after.map_or(from, |c| c.height.max(from));
    let outputs = store
        .outputs_by_address(&address, Height(start), Height(to))
        .await?;
    let limit = query.limit.get() as usize;
    let mut page: Vec<&OutputRecord> = outputs
        .iter()
        .filter(|o| query.after.is_none_or(|after| cursor(o) > after))
        .take(limit + 1)
        .collect();
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|o| cursor(o))
    } else {
        None
    };
    Ok(Json(PayoutPage {
        address,
        total_sats: page.iter().map(|o| o.value.to_sat()).sum(),
        payouts: page.into_iter().map(Output::from).collect(),
        next,
    }))
}
