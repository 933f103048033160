//! amm-math guards at their exact boundaries (issue 17, mutation testing): each test
//! calls a function right on a guard's bound and asserts the exact result or error
//! code, so moving the bound by one (`<=` for `<`) or dropping the assert changes
//! what the test sees. The expected values come from an exact integer model of the
//! contract's ln/exp kernels (same truncating division) and are checked against f64.
//! Guards whose two branches agree at the bound are listed as equivalent instead.

use crate::amm_common::{sim, MATH};
use alkahest_clarity::values::{int, uint, ValueExt};
use alkahest_clarity::{Simnet, Value};

/// ln 2 at 18 decimals, as in the contract.
const LN2_18: i128 = 693_147_180_559_945_309;
/// 1.0 at 18 and 8 decimals.
const ONE_18: u128 = 1_000_000_000_000_000_000;
const ONE_8: i128 = 100_000_000;

fn ok_u(s: &mut Simnet, f: &str, args: &[Value]) -> u128 {
    let d = s.deployer();
    s.call(MATH, f, args, &d).expect_ok().to_uint()
}

fn expect_err(s: &mut Simnet, f: &str, args: &[Value], name: &str) {
    let d = s.deployer();
    let code = s.err_code(MATH, name);
    s.call(MATH, f, args, &d).expect_err(code);
}

/// `|got - want| / want`, for the f64 sanity check of the exact constants.
fn rel(got: u128, want: f64) -> f64 {
    ((got as f64) - want).abs() / want
}

/// exp-18's overflow guard `(<= k 66)`: a = 66 ln 2 reduces to k = 66 with r = 0, so
/// the mantissa is exactly 1e18 and the largest allowed shift gives exactly 2^66.
/// With `(< k 66)` this input fails with ERR_EXP_OVERFLOW; one step of k higher
/// (a = 67 ln 2) must fail, and without the assert it would wrap silently.
#[test]
fn exp_18_at_the_largest_shift() {
    let mut s = sim();
    assert_eq!(ok_u(&mut s, "exp-18", &[int(66 * LN2_18)]), ONE_18 << 66);
    expect_err(&mut s, "exp-18", &[int(67 * LN2_18)], "ERR_EXP_OVERFLOW");
}

/// exp-to-8's exact-shift branch `(<= k 66)`: e^46 reduces to k = 66, where the
/// result is rounded to nearest; the k > 66 branch floors instead. (m << 66) mod 1e10
/// is above 1e10/2 here, so the rounded value is one unit above the floor and a
/// `(< k 66)` mutant returns ...396 instead of ...397.
#[test]
fn exp_fixed_rounds_at_k_66() {
    let mut s = sim();
    let got = ok_u(&mut s, "exp-fixed", &[int(46 * ONE_8)]);
    assert_eq!(got, 9_496_119_420_602_449_133_844_040_397);
    assert!(rel(got, 46f64.exp() * 1e8) < 1e-15, "{got}");
    // Same at e^45.5 (also k = 66, fraction above one half).
    let got = ok_u(&mut s, "exp-fixed", &[int(4_550_000_000)]);
    assert_eq!(got, 5_759_687_576_887_953_748_651_277_125);
    assert!(rel(got, 45.5f64.exp() * 1e8) < 1e-15, "{got}");
}

/// exp-to-8's overflow guard `(<= k 99)`: e^68.6 reduces to k = 99, the largest
/// shift that still fits, and must succeed (a `(< k 99)` mutant fails it); e^69 has
/// k = 100 and must fail (without the assert the shift would wrap to garbage).
#[test]
fn exp_fixed_at_the_largest_shift() {
    let mut s = sim();
    let got = ok_u(&mut s, "exp-fixed", &[int(6_860_000_000)]);
    assert_eq!(got, 62_029_953_922_997_637_326_027_656_583_136_149_504);
    assert!(rel(got, 68.6f64.exp() * 1e8) < 1e-14, "{got}");
    expect_err(&mut s, "exp-fixed", &[int(69 * ONE_8)], "ERR_EXP_OVERFLOW");
}

/// ln-18's `(> x u0)`: 0 is the domain error, not a VM abort from log2 of zero; the
/// smallest positive input, 1e-18, is accepted (ln 1e-18 = -41.446531673892822312...).
/// The error there is 23e-18, slightly above the 2e-17 the contract header states: the
/// range reduction adds k * LN2_18 with k = -60, and LN2_18 is ln 2 truncated by
/// 0.42e-18.
#[test]
fn ln_18_at_zero_and_one_unit() {
    let mut s = sim();
    expect_err(&mut s, "ln-18", &[uint(0)], "ERR_LN_OF_ZERO");
    let d = s.deployer();
    let got = s.call(MATH, "ln-18", &[uint(1)], &d).expect_ok().to_int();
    assert!((got - -41_446_531_673_892_822_312).abs() <= 25, "{got}");
}

/// The curve solvers' domain guards `(> v u0)`: each argument at 0 returns
/// ERR_CURVE_DOMAIN (under `(>= v u0)` or a dropped assert, 0 either aborts on an
/// underflow / division by zero or quotes 0), and the same call with every argument at
/// the smallest positive value, 1, is accepted.
#[test]
fn curve_domains_at_zero_and_one() {
    let mut s = sim();
    let weighted =
        |i: usize| -> Vec<Value> { (0..5).map(|j| uint(if j == i { 0 } else { 1 })).collect() };
    for i in 0..4 {
        expect_err(
            &mut s,
            "get-y-given-x-weighted",
            &weighted(i),
            "ERR_CURVE_DOMAIN",
        );
    }
    // dx = 0 is not guarded: an empty trade quotes 0.
    assert_eq!(ok_u(&mut s, "get-y-given-x-weighted", &weighted(4)), 0);
    assert_eq!(ok_u(&mut s, "get-y-given-x-weighted", &weighted(9)), 0);
    for args in [[0u128, 1, 1], [1, 0, 1]] {
        let v: Vec<Value> = args.iter().map(|n| uint(*n)).collect();
        expect_err(&mut s, "get-y-given-x-stable", &v, "ERR_CURVE_DOMAIN");
    }
    assert_eq!(
        ok_u(&mut s, "get-y-given-x-stable", &[uint(1), uint(1), uint(1)]),
        0
    );
}
