//! The named principals every contract test uses, one set for all areas.

use alkahest_clarity::Simnet;

/// Named principals: wallets by role, so tests read as a story.
pub struct Actors {
    /// The deployer (governance before the DAO takes over).
    pub deployer: String,
    /// wallet_1.
    pub alice: String,
    /// wallet_2.
    pub bob: String,
    /// wallet_3.
    pub carol: String,
    /// wallet_5: the approved minter, locker and releaser in the token tests.
    pub operator: String,
    /// wallet_6: holds no role anywhere.
    pub stranger: String,
    /// wallet_8: deploys attack contracts.
    pub mallory: String,
}

/// The actors of `sim`'s accounts.
pub fn actors(sim: &Simnet) -> Actors {
    Actors {
        deployer: sim.deployer(),
        alice: sim.account("wallet_1"),
        bob: sim.account("wallet_2"),
        carol: sim.account("wallet_3"),
        operator: sim.account("wallet_5"),
        stranger: sim.account("wallet_6"),
        mallory: sim.account("wallet_8"),
    }
}
