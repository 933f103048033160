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

/// Deploys, on a copy of `base`, an attacker contract that makes `call` (Clarity source)
/// directly and through `as-contract`, lures `victim` into calling each, and checks that
/// both are refused with `code`.
#[track_caller]
pub fn assert_lured_calls_refused(base: &Simnet, call: &str, code: u128, victim: &str) {
    let mut sim = base.clone();
    let evil = sim.account("wallet_7");
    let src = format!(
        "(define-public (direct) (match {call} v (ok true) e (err e)))\n\
         (define-public (wrapped) (match (as-contract {call}) v (ok true) e (err e)))\n"
    );
    sim.deploy_contract("evil", &src, &evil)
        .expect("attacker deploys");
    for f in ["direct", "wrapped"] {
        sim.clone()
            .call(&format!("{evil}.evil"), f, &[], victim)
            .expect_err(code);
    }
}
