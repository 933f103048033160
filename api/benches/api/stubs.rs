//! Governance and lending sources for the benchmark. In production they read Clarity
//! state (the devnet's simnet); the api crate has no such source of its own, so these
//! answer from memory, and the benchmark measures the routes, their serialisation and
//! the layers around them.

use alkahest_api::routes::governance::{GovernanceSource, ProposalView, VoteView};
use alkahest_api::routes::lending::{CrpPoolView, CrpStateView, LendingPoolView, LendingSource};

/// Proposals 1 to 3, each with five votes.
pub struct Governance;

/// How many proposals [`Governance`] holds.
pub const PROPOSALS: u64 = 3;

impl GovernanceSource for Governance {
    async fn proposal_count(&self) -> Result<u64, String> {
        Ok(PROPOSALS)
    }

    async fn proposal(&self, id: u64) -> Result<Option<ProposalView>, String> {
        Ok((1..=PROPOSALS).contains(&id).then(|| ProposalView {
            id,
            proposal: format!("{}.agp00{id}", super::fixture::DEPLOYER),
            proposer: super::fixture::DEPLOYER.into(),
            status: "active".into(),
            votes_for: (id * 1_000_000_000_000).to_string(),
            votes_against: "0".into(),
            quorum: "1000000000000000".into(),
            start_height: 10 * id,
            end_height: 10 * id + 1_440,
            timelock_end: None,
            concluded: false,
            passed: false,
            executed: false,
            vetoed: false,
            source_hash: format!("{id:064x}"),
        }))
    }

    async fn votes(&self, id: u64) -> Result<Vec<VoteView>, String> {
        Ok((0..5)
            .map(|n| VoteView {
                voter: super::fixture::DEPLOYER.into(),
                support: n % 2 == 0,
                amount: (id * 100 + n).to_string(),
            })
            .collect())
    }
}

/// Two live expiries, 1,000 and 2,000, without a YTP pool.
pub struct Lending;

/// The expiries [`Lending`] holds.
pub const EXPIRIES: [u64; 2] = [1_000, 2_000];

impl LendingSource for Lending {
    async fn expiries(&self) -> Result<Vec<u64>, String> {
        Ok(EXPIRIES.to_vec())
    }

    async fn pool(&self, expiry: u64) -> Result<Option<LendingPoolView>, String> {
        if !EXPIRIES.contains(&expiry) {
            return Ok(None);
        }
        let amount = |n: u64| (n * expiry).to_string();
        Ok(Some(LendingPoolView {
            expiry,
            crp: CrpPoolView {
                collateral: amount(8_000),
                sbtc: amount(41),
                yield_supply: amount(30),
                key_supply: amount(30),
                converted: false,
                traded_at: expiry / 2,
            },
            state: Some(CrpStateView {
                price: amount(2),
                value: amount(40),
                ltv: "75000000".into(),
                weight: "50000000".into(),
                collateral_value: amount(40),
            }),
            settlement: None,
            ytp: None,
        }))
    }
}
