//! alex-emission: governance-approved releasers with caps, and every error code.

use crate::token_common::{prepared, ONE};
use alkahest_clarity::values::{principal, uint, ValueExt};

const E: &str = "alex-emission";

#[test]
fn releaser_pulls_up_to_its_cap() {
    let (mut sim, a) = prepared();
    let code = |sim: &alkahest_clarity::Simnet, n: &str| sim.err_code(E, n);
    let holdings = sim.read_only(E, "get-holdings", &[]).to_uint();
    let r = sim.call(
        E,
        "release",
        &[uint(400 * ONE), principal(&a.alice)],
        &a.operator,
    );
    assert_eq!(r.expect_ok().to_uint(), 400 * ONE);
    assert!(r.print_with_topic("release").is_some());
    assert_eq!(sim.ft_balance("alex-token", &a.alice), 400 * ONE);
    assert_eq!(
        sim.read_only(E, "get-remaining", &[principal(&a.operator)])
            .to_uint(),
        600 * ONE
    );
    assert_eq!(
        sim.read_only(E, "get-total-released", &[]).to_uint(),
        400 * ONE
    );
    assert_eq!(
        sim.read_only(E, "get-holdings", &[]).to_uint(),
        holdings - 400 * ONE
    );

    sim.call(
        E,
        "release",
        &[uint(600 * ONE + 1), principal(&a.alice)],
        &a.operator,
    )
    .expect_err(code(&sim, "ERR_CAP_EXCEEDED"));
    sim.call(E, "release", &[uint(0), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_INVALID_AMOUNT"));
    sim.call(E, "release", &[uint(1), principal(&a.alice)], &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));

    // Cap changes: never below what was released.
    sim.call(
        E,
        "set-releaser",
        &[principal(&a.operator), uint(400 * ONE - 1)],
        &a.deployer,
    )
    .expect_err(code(&sim, "ERR_CAP_BELOW_RELEASED"));
    // A cap exactly at what was released is allowed and closes the releaser.
    sim.call(
        E,
        "set-releaser",
        &[principal(&a.operator), uint(400 * ONE)],
        &a.deployer,
    )
    .expect_ok();
    sim.call(E, "release", &[uint(1), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_CAP_EXCEEDED"));
    sim.call(
        E,
        "set-releaser",
        &[principal(&a.operator), uint(500 * ONE)],
        &a.alice,
    )
    .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(
        E,
        "set-releaser",
        &[principal(&a.operator), uint(500 * ONE)],
        &a.deployer,
    )
    .expect_ok();
    let rel = sim
        .read_only(E, "get-releaser", &[principal(&a.operator)])
        .to_optional()
        .unwrap();
    assert_eq!(rel.field("cap").to_uint(), 500 * ONE);
    assert_eq!(rel.field("released").to_uint(), 400 * ONE);
    // Releasing exactly up to the cap is allowed (the bound is inclusive).
    sim.call(
        E,
        "release",
        &[uint(100 * ONE), principal(&a.alice)],
        &a.operator,
    )
    .expect_ok();
    assert_eq!(
        sim.read_only(E, "get-remaining", &[principal(&a.operator)])
            .to_uint(),
        0
    );

    // Removal stops further releases.
    sim.call(E, "remove-releaser", &[principal(&a.operator)], &a.alice)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
    sim.call(E, "remove-releaser", &[principal(&a.operator)], &a.deployer)
        .expect_ok();
    sim.call(E, "remove-releaser", &[principal(&a.operator)], &a.deployer)
        .expect_err(code(&sim, "ERR_NOT_LISTED"));
    sim.call(E, "release", &[uint(1), principal(&a.alice)], &a.operator)
        .expect_err(code(&sim, "ERR_NOT_AUTHORIZED"));
}
