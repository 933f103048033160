//! Attacks on governance: double votes, late votes, unlocking during a vote, flash
//! locks; the foundation's veto and pause, and their expiry.

use crate::dao_common::{Dao, QUORUM, THRESHOLD};
use alkahest_clarity::values::{ascii, principal, uint, ValueExt};
use alkahest_clarity::Value;

const FEE_BODY: &str = "(try! (contract-call? .amm-pool set-pool-fee u1 u500000 u50000000))";

/// A proposal in its voting period; returns (id, proposal, voter with the quorum).
fn active(d: &mut Dao) -> (u128, String, String) {
    let p = d.proposal("agp-fee", FEE_BODY);
    let (id, voter) = d.open_vote(&p, QUORUM);
    (id, p, voter)
}

#[test]
fn a_voter_votes_once_and_not_after_the_end() {
    let mut d = Dao::new();
    let (id, _, voter) = active(&mut d);
    d.vote(id, &voter, true).expect_ok();
    let code = d.sim.err_code("dao-voting", "ERR_ALREADY_VOTED");
    d.vote(id, &voter, true).expect_err(code);
    d.vote(id, &voter, false).expect_err(code);
    // Locking more does not buy a second vote either.
    d.lock(&voter, 1);
    d.vote(id, &voter, true).expect_err(code);
    assert_eq!(d.field(id, "votes-for").to_uint(), QUORUM);
    // A latecomer at the end height is refused.
    let late = d.sim.account("wallet_5");
    d.lock(&late, QUORUM);
    let end = d.field(id, "end").to_uint();
    d.mine_to(end - 1);
    d.vote(id, &late, false).expect_ok();
    let other = d.sim.account("wallet_1");
    d.lock(&other, QUORUM);
    d.mine_to(end);
    d.vote(id, &other, false)
        .expect_err(d.sim.err_code("dao-voting", "ERR_VOTING_ENDED"));
}

#[test]
fn a_vote_without_locked_alex_has_no_power() {
    let mut d = Dao::new();
    let (id, _, _) = active(&mut d);
    let holder = d.sim.account("wallet_5");
    d.fund(&holder, QUORUM); // held, not locked
    d.vote(id, &holder, true)
        .expect_err(d.sim.err_code("dao-voting", "ERR_NO_VOTING_POWER"));
}

#[test]
fn locked_votes_stay_locked_until_the_end_and_cannot_move() {
    let mut d = Dao::new();
    let (id, _, voter) = active(&mut d);
    d.vote(id, &voter, true).expect_ok();
    let end = d.field(id, "end").to_uint();
    assert_eq!(
        d.sim
            .read_only("dao-voting", "get-lock", &[principal(&voter)])
            .field("until")
            .to_uint(),
        end
    );
    // Unlock during the vote.
    d.sim
        .call("dao-voting", "unlock", &[uint(QUORUM)], &voter)
        .expect_err(d.sim.err_code("dao-voting", "ERR_LOCKED"));
    // The locked ALEX cannot be handed to a second wallet to vote again.
    let friend = d.sim.account("wallet_5");
    d.sim
        .call(
            "alex-token",
            "transfer",
            &[
                uint(QUORUM),
                principal(&voter),
                principal(&friend),
                Value::none(),
            ],
            &voter,
        )
        .expect_err(d.sim.err_code("alex-token", "ERR_INSUFFICIENT_BALANCE"));
    d.mine_to(end - 1);
    d.sim
        .call("dao-voting", "unlock", &[uint(1)], &voter)
        .expect_err(d.sim.err_code("dao-voting", "ERR_LOCKED"));
    d.mine_to(end);
    d.sim
        .call("dao-voting", "unlock", &[uint(QUORUM + 1)], &voter)
        .expect_err(d.sim.err_code("dao-voting", "ERR_INSUFFICIENT_LOCKED"));
    d.sim
        .call("dao-voting", "unlock", &[uint(0)], &voter)
        .expect_err(d.sim.err_code("dao-voting", "ERR_INVALID_AMOUNT"));
    d.sim
        .call("dao-voting", "lock", &[uint(0)], &voter)
        .expect_err(d.sim.err_code("dao-voting", "ERR_INVALID_AMOUNT"));
    assert_eq!(
        d.sim
            .call("dao-voting", "unlock", &[uint(QUORUM)], &voter)
            .expect_ok()
            .to_uint(),
        0
    );
    assert_eq!(
        d.sim
            .read_only("alex-token", "get-locked", &[principal(&voter)])
            .to_uint(),
        0
    );
}

#[test]
fn a_flash_lock_cannot_unlock_in_the_same_block() {
    let mut d = Dao::new();
    let (id, _, _) = active(&mut d);
    let flash = d.sim.account("wallet_5");
    d.fund(&flash, QUORUM);
    // Three calls in one Stacks block: the harness mines only on `mine`.
    let h = d.sim.burn_block_height();
    d.sim
        .call("dao-voting", "lock", &[uint(QUORUM)], &flash)
        .expect_ok();
    d.vote(id, &flash, true).expect_ok();
    d.sim
        .call("dao-voting", "unlock", &[uint(QUORUM)], &flash)
        .expect_err(d.sim.err_code("dao-voting", "ERR_LOCKED"));
    assert_eq!(d.sim.burn_block_height(), h);
}

#[test]
fn the_foundation_vetoes_during_the_timelock_with_two_of_three() {
    let mut d = Dao::new();
    let p = d.proposal("agp-fee", FEE_BODY);
    let id = d.pass(&p);
    // `pass` waited out the timelock; start again one step earlier.
    let mut d2 = Dao::new();
    let (id2, p2, voter) = active(&mut d2);
    d2.vote(id2, &voter, true).expect_ok();
    let end = d2.field(id2, "end").to_uint();
    d2.mine_to(end);
    d2.conclude(id2).expect_ok();
    let [m1, m2, _] = d2.members.clone();
    // A stranger is no member.
    let stranger = d2.a.stranger.clone();
    d2.sim
        .call("dao-foundation", "signal-veto", &[uint(id2)], &stranger)
        .expect_err(d2.sim.err_code("dao-foundation", "ERR_NOT_AUTHORIZED"));
    assert!(!d2
        .sim
        .call("dao-foundation", "signal-veto", &[uint(id2)], &m1)
        .expect_ok()
        .to_bool());
    d2.sim
        .call("dao-foundation", "signal-veto", &[uint(id2)], &m1)
        .expect_err(d2.sim.err_code("dao-foundation", "ERR_ALREADY_SIGNALLED"));
    assert_eq!(d2.status(id2), "timelocked");
    d2.sim
        .call("dao-foundation", "signal-veto", &[uint(id2)], &m2)
        .expect_ok();
    assert_eq!(d2.status(id2), "vetoed");
    d2.mine(10);
    d2.execute(id2, &p2)
        .expect_err(d2.sim.err_code("dao-voting", "ERR_NOT_PASSED"));

    // After the timelock the veto comes too late: the proposal executes.
    let [m1, m2, _] = d.members.clone();
    d.sim
        .call("dao-foundation", "signal-veto", &[uint(id)], &m1)
        .expect_ok();
    d.sim
        .call("dao-foundation", "signal-veto", &[uint(id)], &m2)
        .expect_err(d.sim.err_code("dao-voting", "ERR_VETO_TOO_LATE"));
    d.execute(id, &p).expect_ok();
}

#[test]
fn a_rejected_proposal_cannot_be_vetoed() {
    let mut d = Dao::new();
    let (id, _, voter) = active(&mut d);
    d.vote(id, &voter, false).expect_ok();
    let end = d.field(id, "end").to_uint();
    d.mine_to(end);
    d.conclude(id).expect_ok();
    let [m1, m2, _] = d.members.clone();
    d.sim
        .call("dao-foundation", "signal-veto", &[uint(id)], &m1)
        .expect_ok();
    d.sim
        .call("dao-foundation", "signal-veto", &[uint(id)], &m2)
        .expect_err(d.sim.err_code("dao-voting", "ERR_NOT_PASSED"));
}

#[test]
fn a_dao_vote_ends_the_foundation_powers_and_cannot_extend_them() {
    let mut d = Dao::new();
    let expiry = d
        .sim
        .read_only("dao-foundation", "get-members", &[])
        .field("expiry")
        .to_uint();
    let later = d.proposal(
        "agp-extend",
        &format!(
            "(try! (contract-call? .dao-foundation set-expiry u{}))",
            expiry + 1
        ),
    );
    let id = d.pass(&later);
    d.execute(id, &later)
        .expect_err(d.sim.err_code("dao-foundation", "ERR_EXPIRY_EXTENDED"));
    // Ends them a few blocks from now.
    let cut = d.sim.burn_block_height() + 40;
    let p = d.proposal(
        "agp-sunset",
        &format!("(try! (contract-call? .dao-foundation set-expiry u{cut}))"),
    );
    let id = d.pass(&p);
    d.execute(id, &p).expect_ok();
    let [m1, _, _] = d.members.clone();
    let h = d.sim.burn_block_height();
    assert!(h < cut);
    d.sim
        .call(
            "dao-foundation",
            "signal-pause",
            &[ascii("amm"), Value::Bool(true)],
            &m1,
        )
        .expect_ok();
    d.mine_to(cut);
    let [_, m2, _] = d.members.clone();
    let code = d.sim.err_code("dao-foundation", "ERR_EXPIRED");
    d.sim
        .call(
            "dao-foundation",
            "signal-pause",
            &[ascii("amm"), Value::Bool(true)],
            &m2,
        )
        .expect_err(code);
    d.sim
        .call("dao-foundation", "signal-veto", &[uint(1)], &m2)
        .expect_err(code);
    assert!(!d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    assert!(!d
        .sim
        .read_only("dao-foundation", "get-members", &[])
        .field("active")
        .to_bool());
}

#[test]
fn the_foundation_pauses_and_resumes_the_amm_and_governance() {
    let mut d = Dao::new();
    let [m1, m2, m3] = d.members.clone();
    let sig = |d: &mut Dao, who: &str, sub: &str, on: bool| {
        d.sim.call(
            "dao-foundation",
            "signal-pause",
            &[ascii(sub), Value::Bool(on)],
            who,
        )
    };
    sig(&mut d, &m1, "amm", true).expect_ok();
    assert!(!d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    sig(&mut d, &m2, "amm", true).expect_ok();
    assert!(d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    // A new round: resuming needs two fresh signals.
    sig(&mut d, &m3, "amm", false).expect_ok();
    assert!(d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    sig(&mut d, &m1, "amm", false).expect_ok();
    assert!(!d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    sig(&mut d, &m1, "bridge", true)
        .expect_err(d.sim.err_code("dao-foundation", "ERR_UNKNOWN_SUBSYSTEM"));

    // Governance paused: no proposals, votes or executions.
    let p = d.proposal("agp-fee", FEE_BODY);
    let proposer = d.sim.account("wallet_3");
    d.lock(&proposer, THRESHOLD);
    sig(&mut d, &m2, "governance", true).expect_ok();
    sig(&mut d, &m3, "governance", true).expect_ok();
    assert!(d
        .sim
        .read_only("dao-voting", "get-params", &[])
        .field("paused")
        .to_bool());
    d.propose(&proposer, &p)
        .expect_err(d.sim.err_code("dao-voting", "ERR_PAUSED"));
    sig(&mut d, &m1, "governance", false).expect_ok();
    sig(&mut d, &m2, "governance", false).expect_ok();
    d.propose(&proposer, &p).expect_ok();
}

#[test]
fn dao_core_pauses_only_named_subsystems_for_extensions() {
    let mut d = Dao::new();
    let deployer = d.a.deployer.clone();
    d.sim
        .call(
            "dao-core",
            "pause-subsystem",
            &[ascii("amm"), Value::Bool(true)],
            &deployer,
        )
        .expect_err(d.sim.err_code("dao-core", "ERR_NOT_AUTHORIZED"));
    // A proposal that makes itself an extension may; an unknown name is refused.
    let p = d.proposal(
        "agp-pause",
        "(try! (contract-call? .dao-core set-extension (as-contract tx-sender) true))\n    \
         (try! (contract-call? .dao-core pause-subsystem \"amm\" true))",
    );
    let id = d.pass(&p);
    d.execute(id, &p).expect_ok();
    assert!(d.sim.read_only("amm-pool", "is-paused", &[]).to_bool());
    let q = d.proposal(
        "agp-pause-x",
        "(try! (contract-call? .dao-core set-extension (as-contract tx-sender) true))\n    \
         (try! (contract-call? .dao-core pause-subsystem \"bridge\" true))",
    );
    let id = d.pass(&q);
    d.execute(id, &q)
        .expect_err(d.sim.err_code("dao-core", "ERR_UNKNOWN_SUBSYSTEM"));
}

#[test]
fn paused_governance_takes_no_vote_and_runs_no_proposal() {
    let mut d = Dao::new();
    let a = d.proposal("agp-fee", FEE_BODY);
    let ready = d.pass(&a);
    let b = d.proposal(
        "agp-other",
        "(try! (contract-call? .amm-pool set-pool-fee u2 u400000 u50000000))",
    );
    let proposer = d.sim.account("wallet_3");
    let voter = d.sim.account("wallet_4");
    let open = d.propose(&proposer, &b).expect_ok().to_uint();
    let start = d.field(open, "start").to_uint();
    d.mine_to(start);
    let [m1, m2, _] = d.members.clone();
    for m in [&m1, &m2] {
        d.sim
            .call(
                "dao-foundation",
                "signal-pause",
                &[ascii("governance"), Value::Bool(true)],
                m,
            )
            .expect_ok();
    }
    let paused = d.sim.err_code("dao-voting", "ERR_PAUSED");
    d.vote(open, &voter, true).expect_err(paused);
    d.execute(ready, &a).expect_err(paused);
    for m in [&m1, &m2] {
        d.sim
            .call(
                "dao-foundation",
                "signal-pause",
                &[ascii("governance"), Value::Bool(false)],
                m,
            )
            .expect_ok();
    }
    d.vote(open, &voter, true).expect_ok();
    d.execute(ready, &a).expect_ok();
}
