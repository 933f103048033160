//! Shared setup for the AMM tests: the AMM contracts, mintable test tokens, funded
//! traders and pool helpers.

use alkahest_clarity::values::{bool as vbool, principal, tuple, uint, ValueExt};
use alkahest_clarity::Value;
use alkahest_clarity::{Receipt, Simnet};

/// 1.0 at 8 decimals.
pub const ONE_8: u128 = 100_000_000;
/// amm-pool's curve ids.
pub const WEIGHTED: u128 = 1;
pub const STABLE: u128 = 2;
/// 50% weight.
pub const HALF: u128 = 50_000_000;
/// A deadline far in the future (burn height).
pub const FAR: u128 = 1_000_000;
/// Tokens each trader starts with, per test token.
pub const FUNDING: u128 = 1_000_000_000 * ONE_8;

pub const POOL: &str = "amm-pool";
pub const ROUTER: &str = "amm-router";
pub const RESERVE: &str = "amm-reserve";
pub const LP: &str = "amm-lp-token";
pub const MATH: &str = "amm-math";

/// Mintable SIP-010 test tokens (test-only; never in Clarinet.toml).
pub const TOKENS: [&str; 5] = ["tok-a", "tok-b", "tok-c", "tok-d", "tok-e"];

/// A SIP-010 token with an open `mint`, for tests only.
pub const TEST_TOKEN: &str = r#"
(impl-trait .sip-010-trait.sip-010-trait)
(define-fungible-token t)
(define-public (transfer (amount uint) (sender principal) (recipient principal) (memo (optional (buff 34))))
  (begin
    (asserts! (or (is-eq tx-sender sender) (is-eq contract-caller sender)) (err u1))
    (ft-transfer? t amount sender recipient)))
(define-public (mint (amount uint) (recipient principal)) (ft-mint? t amount recipient))
(define-read-only (get-name) (ok "test"))
(define-read-only (get-symbol) (ok "TST"))
(define-read-only (get-decimals) (ok u8))
(define-read-only (get-balance (who principal)) (ok (ft-get-balance t who)))
(define-read-only (get-total-supply) (ok (ft-get-supply t)))
(define-read-only (get-token-uri) (ok none))
"#;

pub use crate::actors::{actors, Actors};

/// A contract's source as the simnet deploys it (for patched test copies): read through
/// the manifest, so a source swapped in by `ALKAHEST_CONTRACT_OVERRIDE` (a mutant) is
/// what the copy is patched from, and a test on a copy still sees the mutant.
pub fn source(name: &str) -> String {
    let manifest = alkahest_clarity::Manifest::workspace().unwrap_or_else(|e| panic!("{e}"));
    manifest
        .contract(name)
        .unwrap_or_else(|| panic!("no contract `{name}` in the manifest"))
        .source
        .clone()
}

/// The booted workspace before the governance handover (the deployer governs, so AMM
/// tests set parameters directly): every AMM contract is deployed and wired by
/// deployments/bootstrap.toml (reserve approval, devnet pools 1 and 2). The DAO path
/// is tested in `dao_*` on the fully bootstrapped chain.
pub fn sim() -> Simnet {
    Simnet::deployer_governed()
}

/// [`sim`] plus the test tokens, approved for pooling and minted to alice, bob and
/// carol, and a 1% max fee bound.
pub fn market() -> (Simnet, Actors) {
    let mut sim = sim();
    let a = actors(&sim);
    for t in TOKENS {
        sim.deploy_contract(t, TEST_TOKEN, &a.deployer)
            .unwrap_or_else(|e| panic!("{e}"));
        let id = sim.contract_id(t);
        sim.call(
            POOL,
            "set-token-approved",
            &[principal(&id), vbool(true)],
            &a.deployer,
        )
        .expect_ok();
        for who in [&a.alice, &a.bob, &a.carol] {
            sim.call(t, "mint", &[uint(FUNDING), principal(who)], who)
                .expect_ok();
        }
    }
    sim.call(POOL, "set-max-fee-rate", &[uint(1_000_000)], &a.deployer)
        .expect_ok();
    (sim, a)
}

/// The token contract as a Clarity value (for trait arguments).
pub fn tok(sim: &Simnet, name: &str) -> Value {
    principal(&sim.contract_id(name))
}

/// Creates a pool as governance and returns its id.
pub fn create_pool(
    sim: &mut Simnet,
    x: &str,
    y: &str,
    curve: u128,
    weight_x: u128,
    fee: u128,
    rebate: u128,
) -> u128 {
    let d = sim.deployer();
    let args = [
        tok(sim, x),
        tok(sim, y),
        uint(curve),
        uint(weight_x),
        uint(fee),
        uint(rebate),
    ];
    sim.call(POOL, "create-pool", &args, &d)
        .expect_ok()
        .to_uint()
}

/// add-liquidity with no slippage limits.
pub fn add(
    sim: &mut Simnet,
    who: &str,
    id: u128,
    x: &str,
    y: &str,
    dx: u128,
    max_dy: u128,
) -> Receipt {
    let args = [
        uint(id),
        tok(sim, x),
        tok(sim, y),
        uint(dx),
        uint(max_dy),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "add-liquidity", &args, who)
}

/// remove-liquidity with no slippage limits.
pub fn remove(sim: &mut Simnet, who: &str, id: u128, x: &str, y: &str, lp: u128) -> Receipt {
    let args = [
        uint(id),
        tok(sim, x),
        tok(sim, y),
        uint(lp),
        uint(0),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "remove-liquidity", &args, who)
}

/// swap with no minimum.
pub fn swap(sim: &mut Simnet, who: &str, id: u128, t_in: &str, t_out: &str, dx: u128) -> Receipt {
    let args = [
        uint(id),
        tok(sim, t_in),
        tok(sim, t_out),
        uint(dx),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "swap", &args, who)
}

/// get-amount-out's dy, or the error code.
pub fn quote(sim: &mut Simnet, id: u128, t_in: &str, dx: u128) -> Result<u128, u128> {
    let d = sim.deployer();
    let r = sim.call(
        POOL,
        "get-amount-out",
        &[uint(id), tok(sim, t_in), uint(dx)],
        &d,
    );
    match r.outcome {
        alkahest_clarity::Outcome::Ok(v) => Ok(v.field("dy").to_uint()),
        alkahest_clarity::Outcome::Err(v) => Err(v.to_uint()),
        alkahest_clarity::Outcome::Aborted(m) => panic!("quote aborted: {m}"),
    }
}

/// The pool's tracked balances (x, y).
pub fn balances(sim: &mut Simnet, id: u128) -> (u128, u128) {
    let p = sim.read_only(POOL, "get-pool", &[uint(id)]);
    (
        p.field("balance-x").to_uint(),
        p.field("balance-y").to_uint(),
    )
}

/// A pool field.
pub fn pool_field(sim: &mut Simnet, id: u128, f: &str) -> Value {
    sim.read_only(POOL, "get-pool", &[uint(id)]).field(f)
}

/// LP supply of a pool.
pub fn lp_supply(sim: &mut Simnet, id: u128) -> u128 {
    sim.read_only(LP, "get-total-supply", &[uint(id)]).to_uint()
}

/// amm-pool's contract principal.
pub fn pool_principal(sim: &Simnet) -> String {
    sim.contract_id(POOL)
}

/// The reserve ledger for a token.
pub fn reserve_of(sim: &mut Simnet, t: &str) -> u128 {
    let v = tok(sim, t);
    sim.read_only(RESERVE, "get-balance", &[v]).to_uint()
}

/// A hop-mins tuple for the router.
pub fn hop_mins(mins: &[u128]) -> Value {
    let names = ["h1", "h2", "h3", "h4"];
    tuple(mins.iter().enumerate().map(|(i, m)| (names[i], uint(*m))))
}

/// Shared by the amm-pool test files.
pub const BIG: u128 = 1_000_000 * ONE_8;

pub fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(POOL, name)
}

/// A funded 50/50 tok-a/tok-b pool (0.3% fee, 50% rebate) with BIG of each from alice.
pub fn pool_ab() -> (Simnet, Actors, u128) {
    let (mut sim, a) = market();
    let id = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    (sim, a, id)
}

/// Mines until `burn-block-height` moves on (the simnet's first block keeps burn
/// height 0, so one block is not always enough).
pub fn next_burn_block(sim: &mut Simnet) {
    let b = sim.burn_block_height();
    while sim.burn_block_height() == b {
        sim.mine(1);
    }
}

/// Claims `who`'s queued withdrawal from pool `id` (tok-a/tok-b) with no minimums.
pub fn claim(sim: &mut Simnet, who: &str, id: u128) -> Receipt {
    let args = [
        uint(id),
        tok(sim, "tok-a"),
        tok(sim, "tok-b"),
        uint(0),
        uint(0),
        uint(FAR),
    ];
    sim.call(POOL, "claim-withdrawal", &args, who)
}
