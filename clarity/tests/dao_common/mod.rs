//! Shared setup for the governance tests: the fully bootstrapped chain (dao-core
//! governs every contract), proposal contracts written inline, and the AGP lifecycle
//! driven step by step.

use crate::actors::{actors, Actors};
use alkahest_clarity::values::{buff, principal, to_source, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};

/// 10^8 base units per ALEX.
pub const ONE: u128 = 100_000_000;
/// agp000-bootstrap's devnet parameters.
pub const THRESHOLD: u128 = 100_000 * ONE;
pub const DELAY: u32 = 2;
pub const PERIOD: u32 = 10;
pub const TIMELOCK: u32 = 5;
/// 1% of the 1,000,000,000 ALEX supply.
pub const QUORUM: u128 = 10_000_000 * ONE;

pub struct Dao {
    pub sim: Simnet,
    pub a: Actors,
    /// Foundation members: deployer, wallet_7, wallet_8 (2 of 3).
    pub members: [String; 3],
    /// sha256 of each deployed proposal's source, by principal.
    pub hashes: std::collections::HashMap<String, [u8; 32]>,
}

impl Dao {
    /// The chain as deployed: bootstrap with the handover.
    pub fn new() -> Dao {
        Dao::from_sim(Simnet::new())
    }

    /// Governance helpers over a given chain (one bootstrapped with the handover).
    pub fn from_sim(sim: Simnet) -> Dao {
        let a = actors(&sim);
        let members = [
            a.deployer.clone(),
            sim.account("wallet_7"),
            sim.account("wallet_8"),
        ];
        Dao {
            sim,
            a,
            members,
            hashes: Default::default(),
        }
    }

    /// Sends `amount` ALEX from the foundation reserve (the deployer) to `to`.
    pub fn fund(&mut self, to: &str, amount: u128) {
        let d = self.a.deployer.clone();
        self.sim
            .call(
                "alex-token",
                "transfer",
                &[uint(amount), principal(&d), principal(to), Value::none()],
                &d,
            )
            .expect_ok();
    }

    /// Funds `who` with `amount` ALEX and locks it in dao-voting.
    pub fn lock(&mut self, who: &str, amount: u128) {
        self.fund(who, amount);
        self.sim
            .call("dao-voting", "lock", &[uint(amount)], who)
            .expect_ok();
    }

    /// Deploys a proposal contract `name` (by wallet_6) whose `execute` runs `body`
    /// (Clarity expressions, each returning a response) under the DAO; `.x` in `body`
    /// means the deployer's contract `x`. Returns its principal.
    pub fn proposal(&mut self, name: &str, body: &str) -> String {
        let d = self.a.deployer.clone();
        let src = proposal_source(&d, body);
        let owner = self.a.stranger.clone();
        self.sim
            .deploy_contract(name, &src, &owner)
            .unwrap_or_else(|e| panic!("proposal {name} deploys: {e}"));
        let id = format!("{owner}.{name}");
        self.hashes.insert(id.clone(), source_hash(&src));
        id
    }

    pub fn propose(&mut self, proposer: &str, proposal: &str) -> Receipt {
        self.sim.call(
            "dao-voting",
            "propose",
            &[principal(proposal), buff(&self.hashes[proposal])],
            proposer,
        )
    }

    pub fn vote(&mut self, id: u128, voter: &str, for_: bool) -> Receipt {
        self.sim
            .call("dao-voting", "vote", &[uint(id), Value::Bool(for_)], voter)
    }

    pub fn conclude(&mut self, id: u128) -> Receipt {
        let who = self.a.stranger.clone();
        self.sim.call("dao-voting", "conclude", &[uint(id)], &who)
    }

    pub fn execute(&mut self, id: u128, proposal: &str) -> Receipt {
        let who = self.a.stranger.clone();
        self.sim.call(
            "dao-voting",
            "execute",
            &[uint(id), principal(proposal)],
            &who,
        )
    }

    /// Mines until the burn height is at least `height`.
    pub fn mine_to(&mut self, height: u128) {
        // The first block after genesis leaves the burn height at 0, so loop.
        loop {
            let now = self.sim.burn_block_height();
            if now >= height {
                break;
            }
            self.sim.mine(u32::try_from(height - now).unwrap());
        }
    }

    pub fn field(&mut self, id: u128, name: &str) -> Value {
        self.sim
            .read_only("dao-voting", "get-proposal", &[uint(id)])
            .to_optional()
            .unwrap_or_else(|| panic!("no proposal {id}"))
            .field(name)
    }

    pub fn status(&mut self, id: u128) -> String {
        self.sim
            .read_only("dao-voting", "get-status", &[uint(id)])
            .to_ascii()
    }

    /// Proposes `proposal` (wallet_3 holding the threshold) after locking `voting` ALEX
    /// for wallet_4, and mines to the start of the vote. Returns (id, wallet_4).
    pub fn open_vote(&mut self, proposal: &str, voting: u128) -> (u128, String) {
        let proposer = self.sim.account("wallet_3");
        let voter = self.sim.account("wallet_4");
        self.lock(&proposer, THRESHOLD);
        self.lock(&voter, voting);
        let id = self.propose(&proposer, proposal).expect_ok().to_uint();
        let start = self.field(id, "start").to_uint();
        self.mine_to(start);
        (id, voter)
    }

    /// Proposes `proposal` with a fresh proposer holding the threshold, has a voter
    /// with the quorum vote for it, concludes it and waits out the timelock. Returns
    /// the proposal id, ready to execute.
    pub fn pass(&mut self, proposal: &str) -> u128 {
        let proposer = self.sim.account("wallet_3");
        let voter = self.sim.account("wallet_4");
        if self.lock_of(&proposer) < THRESHOLD {
            self.lock(&proposer, THRESHOLD);
        }
        if self.lock_of(&voter) < QUORUM {
            self.lock(&voter, QUORUM);
        }
        let id = self.propose(&proposer, proposal).expect_ok().to_uint();
        let start = self.field(id, "start").to_uint();
        self.mine_to(start);
        self.vote(id, &voter, true).expect_ok();
        let end = self.field(id, "end").to_uint();
        self.mine_to(end);
        assert!(self.conclude(id).expect_ok().to_bool(), "proposal passes");
        let t = self.field(id, "timelock-end").to_uint();
        self.mine_to(t);
        id
    }

    pub fn lock_of(&mut self, who: &str) -> u128 {
        self.sim
            .read_only("dao-voting", "get-lock", &[principal(who)])
            .field("amount")
            .to_uint()
    }
}

/// A proposal contract's source: `execute` runs `body` under the DAO.
pub fn proposal_source(deployer: &str, body: &str) -> String {
    let body = body.replace(
        "(contract-call? .",
        &format!("(contract-call? '{deployer}."),
    );
    format!(
        "(impl-trait '{deployer}.proposal-trait.proposal-trait)\n\
         (define-public (execute (sender principal))\n  (begin\n    {body}\n    (ok true)))\n"
    )
}

/// sha256 of a contract's source: what a proposer records and voters check.
pub fn source_hash(src: &str) -> [u8; 32] {
    use bitcoin::hashes::{sha256, Hash};
    sha256::Hash::hash(src.as_bytes()).to_byte_array()
}

/// `(try! (contract-call? .contract function args...))` for a proposal body.
pub fn call(contract: &str, function: &str, args: &[Value]) -> String {
    let args: Vec<String> = args.iter().map(to_source).collect();
    format!(
        "(try! (contract-call? .{contract} {function} {}))",
        args.join(" ")
    )
}
