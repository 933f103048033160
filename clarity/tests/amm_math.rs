//! amm-math: fixed-point mul/div rounding; ln/exp/pow against an f64 reference over
//! random inputs (proptest), printing the maximum errors; every amm-math error code;
//! the curve equations: the 50/50 and weighted quotes at the reference point
//! (exactness, precision and runtime against ALEX's figures), the weighted quote's
//! rounding against the trader, and the stable curve's invariant.

// These tests also print the measured figures (costs, error bounds) for the issue note.
#![allow(clippy::print_stdout)]

use std::cell::RefCell;

use crate::amm_common::{sim, MATH};
use alkahest_clarity::values::{int, uint, ValueExt};
use alkahest_clarity::{Outcome, Simnet};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const ONE: f64 = 1e8;

fn call_u(s: &mut Simnet, f: &str, args: &[alkahest_clarity::Value]) -> u128 {
    let d = s.deployer();
    s.call(MATH, f, args, &d).expect_ok().to_uint()
}

fn call_i(s: &mut Simnet, f: &str, args: &[alkahest_clarity::Value]) -> i128 {
    let d = s.deployer();
    s.call(MATH, f, args, &d).expect_ok().to_int()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn mul_div_round_down_and_up() {
    let mut s = sim();
    // 1.5 * 0.00000001 = 0.000000015 -> down 1, up 2 (units of 1e-8).
    assert_eq!(call_u(&mut s, "mul-down", &[uint(150_000_000), uint(1)]), 1);
    assert_eq!(call_u(&mut s, "mul-up", &[uint(150_000_000), uint(1)]), 2);
    assert_eq!(call_u(&mut s, "mul-up", &[uint(0), uint(7)]), 0);
    assert_eq!(
        call_u(&mut s, "mul-up", &[uint(200_000_000), uint(300_000_000)]),
        600_000_000
    );
    // 1 / 3 -> 0.33333333 and 0.33333334.
    assert_eq!(
        call_u(&mut s, "div-down", &[uint(100_000_000), uint(300_000_000)]),
        33_333_333
    );
    assert_eq!(
        call_u(&mut s, "div-up", &[uint(100_000_000), uint(300_000_000)]),
        33_333_334
    );
    assert_eq!(call_u(&mut s, "div-up", &[uint(0), uint(3)]), 0);
    assert_eq!(
        call_u(&mut s, "div-up", &[uint(600_000_000), uint(300_000_000)]),
        200_000_000
    );
    // Division by zero and overflow abort (checked arithmetic, never clamped).
    let d = s.deployer();
    s.call(MATH, "div-down", &[uint(1), uint(0)], &d)
        .expect_abort();
    s.call(MATH, "div-up", &[uint(0), uint(0)], &d)
        .expect_abort();
    s.call(MATH, "mul-down", &[uint(u128::MAX), uint(2)], &d)
        .expect_abort();
}

#[test]
fn mul_div_bracket_the_exact_value() {
    let s = RefCell::new(sim());
    runner(64)
        .run(&(1u128..1u128 << 60, 1u128..1u128 << 60), |(a, b)| {
            let mut s = s.borrow_mut();
            let (down, up) = (
                call_u(&mut s, "mul-down", &[uint(a), uint(b)]),
                call_u(&mut s, "mul-up", &[uint(a), uint(b)]),
            );
            prop_assert_eq!(down, a * b / 100_000_000);
            prop_assert_eq!(up, (a * b).div_ceil(100_000_000));
            let (down, up) = (
                call_u(&mut s, "div-down", &[uint(a), uint(b)]),
                call_u(&mut s, "div-up", &[uint(a), uint(b)]),
            );
            prop_assert_eq!(down, a * 100_000_000 / b);
            prop_assert_eq!(up, (a * 100_000_000).div_ceil(b));
            Ok(())
        })
        .unwrap();
}

#[test]
fn error_codes() {
    let mut s = sim();
    let d = s.deployer();
    let code = |s: &Simnet, n: &str| s.err_code(MATH, n);
    s.call(MATH, "ln-fixed", &[uint(0)], &d)
        .expect_err(code(&s, "ERR_LN_OF_ZERO"));
    s.call(MATH, "ln-18", &[uint(0)], &d)
        .expect_err(code(&s, "ERR_LN_OF_ZERO"));
    // e^69 > 3.4e30 does not fit at 8 decimals; e^68 does.
    s.call(MATH, "exp-fixed", &[int(69 * 100_000_000)], &d)
        .expect_err(code(&s, "ERR_EXP_OVERFLOW"));
    s.call(MATH, "exp-fixed", &[int(68 * 100_000_000)], &d)
        .expect_ok();
    s.call(MATH, "exp-18", &[int(47 * 1_000_000_000_000_000_000)], &d)
        .expect_err(code(&s, "ERR_EXP_OVERFLOW"));
    s.call(
        MATH,
        "pow-fixed",
        &[uint(1_000 * 100_000_000), uint(11 * 100_000_000)],
        &d,
    )
    .expect_err(code(&s, "ERR_EXP_OVERFLOW"));
    for args in [
        [0u128, 1, 1, 1, 1],
        [1, 0, 1, 1, 1],
        [1, 1, 0, 1, 1],
        [1, 1, 1, 0, 1],
    ] {
        let v: Vec<_> = args.iter().map(|n| uint(*n)).collect();
        s.call(MATH, "get-y-given-x-weighted", &v, &d)
            .expect_err(code(&s, "ERR_CURVE_DOMAIN"));
    }
    s.call(
        MATH,
        "get-y-given-x-stable",
        &[uint(0), uint(5), uint(1)],
        &d,
    )
    .expect_err(code(&s, "ERR_CURVE_DOMAIN"));
    s.call(
        MATH,
        "get-y-given-x-stable",
        &[uint(5), uint(0), uint(1)],
        &d,
    )
    .expect_err(code(&s, "ERR_CURVE_DOMAIN"));
}

#[test]
fn known_values() {
    let mut s = sim();
    assert_eq!(call_i(&mut s, "ln-fixed", &[uint(100_000_000)]), 0);
    assert_eq!(
        call_i(&mut s, "ln-fixed", &[uint(271_828_183)]),
        100_000_000
    );
    assert_eq!(call_i(&mut s, "ln-fixed", &[uint(1)]), -1_842_068_074); // ln 1e-8 = -18.420680744
    assert_eq!(
        call_u(&mut s, "exp-fixed", &[int(100_000_000)]),
        271_828_183
    );
    assert_eq!(call_u(&mut s, "exp-fixed", &[int(0)]), 100_000_000);
    assert_eq!(call_u(&mut s, "exp-fixed", &[int(-2_000_000_000)]), 0); // e^-20 < 1e-8
                                                                        // ALEX's pow-down(5, 5) = 3124.99930206; ours is exact.
    assert_eq!(
        call_u(&mut s, "pow-fixed", &[uint(500_000_000), uint(500_000_000)]),
        312_500_000_000
    );
    assert_eq!(call_u(&mut s, "pow-fixed", &[uint(0), uint(5)]), 0);
    assert_eq!(
        call_u(&mut s, "pow-fixed", &[uint(0), uint(0)]),
        100_000_000
    );
    assert_eq!(
        call_u(&mut s, "pow-fixed", &[uint(200_000_000), uint(50_000_000)]),
        141_421_356
    );
    let (down, up) = (
        call_u(&mut s, "pow-down", &[uint(500_000_000), uint(500_000_000)]),
        call_u(&mut s, "pow-up", &[uint(500_000_000), uint(500_000_000)]),
    );
    assert!(
        down < 312_500_000_000 && up > 312_500_000_000,
        "{down} {up}"
    );
    assert_eq!(
        call_u(&mut s, "pow-down", &[uint(1), uint(1_000_000_000)]),
        0
    );
}

/// Max error of an 8-decimal result against the real value (in units of 1e-8):
/// `max_rel` is the relative error beyond the unavoidable 0.5-unit rounding to 8
/// decimals (so it measures the computation; f64's own ~1e-16 is its floor), and
/// `max_rel_total` includes that rounding, for results of at least 1.0.
#[derive(Default, Debug)]
struct Errors {
    max_rel: f64,
    max_rel_total: f64,
}

impl Errors {
    fn add(&mut self, got: f64, exact_units: f64) {
        let abs = (got - exact_units).abs();
        if exact_units.abs() >= 1.0 {
            self.max_rel = self.max_rel.max((abs - 0.5).max(0.0) / exact_units.abs());
        }
        if exact_units.abs() >= ONE {
            self.max_rel_total = self.max_rel_total.max(abs / exact_units.abs());
        }
    }
}

#[test]
fn ln_exp_pow_against_f64() {
    let s = RefCell::new(sim());
    let ln = RefCell::new(Errors::default());
    runner(200)
        .run(
            &(1u128..=u128::MAX / 10_000_000_000, 0u32..4),
            |(x, shift)| {
                // Spread inputs over magnitudes: x >> (32 * shift).
                let x = (x >> (32 * shift)).max(1);
                let got = call_i(&mut s.borrow_mut(), "ln-fixed", &[uint(x)]) as f64;
                let exact = (x as f64 / ONE).ln() * ONE;
                ln.borrow_mut().add(got, exact);
                prop_assert!(
                    (got - exact).abs() <= 0.5 + 1e-6,
                    "ln {} = {} vs {}",
                    x,
                    got,
                    exact
                );
                Ok(())
            },
        )
        .unwrap();
    let exp = RefCell::new(Errors::default());
    runner(200)
        .run(&(-2_000_000_000i128..6_800_000_000), |a| {
            let got = call_u(&mut s.borrow_mut(), "exp-fixed", &[int(a)]) as f64;
            let exact = (a as f64 / ONE).exp() * ONE;
            exp.borrow_mut().add(got, exact);
            prop_assert!(
                (got - exact).abs() <= 0.5 + exact * 1e-14,
                "exp {} = {} vs {}",
                a,
                got,
                exact
            );
            Ok(())
        })
        .unwrap();
    let pow = RefCell::new(Errors::default());
    runner(200)
        .run(
            &(1_000_000u128..10_000_000_000, 0u128..800_000_000),
            |(x, y)| {
                let got = call_u(&mut s.borrow_mut(), "pow-fixed", &[uint(x), uint(y)]) as f64;
                let exact = (x as f64 / ONE).powf(y as f64 / ONE) * ONE;
                pow.borrow_mut().add(got, exact);
                prop_assert!(
                    (got - exact).abs() <= 0.5 + exact * 1e-14,
                    "pow {} {} = {} vs {}",
                    x,
                    y,
                    got,
                    exact
                );
                Ok(())
            },
        )
        .unwrap();
    // The 18-decimal kernels, where f64 (about 1.1e-16 relative) is the limit.
    let (ln18, exp18) = (RefCell::new(0f64), RefCell::new(0f64));
    runner(200)
        .run(&(1u128..u128::MAX), |x| {
            let got = call_i(&mut s.borrow_mut(), "ln-18", &[uint(x)]) as f64 / 1e18;
            let exact = (x as f64 / 1e18).ln();
            let e = (got - exact).abs();
            let m = ln18.borrow().max(e / exact.abs().max(1.0));
            *ln18.borrow_mut() = m;
            prop_assert!(
                e <= 4e-16 * exact.abs().max(1.0),
                "ln-18 {} = {} vs {}",
                x,
                got,
                exact
            );
            Ok(())
        })
        .unwrap();
    runner(200)
        .run(
            &(-40_000_000_000_000_000_000i128..46_000_000_000_000_000_000),
            |a| {
                let got = call_u(&mut s.borrow_mut(), "exp-18", &[int(a)]) as f64 / 1e18;
                let af = a as f64 / 1e18;
                let exact = af.exp();
                let e = (got - exact).abs() / exact;
                if exact > 1e-3 {
                    let m = exp18.borrow().max(e);
                    *exp18.borrow_mut() = m;
                    // f64 itself carries |a| * 2.2e-16 of relative error here.
                    prop_assert!(
                        e <= 1e-15 + af.abs() * 2.5e-16,
                        "exp-18 {} = {} vs {}",
                        a,
                        got,
                        exact
                    );
                }
                Ok(())
            },
        )
        .unwrap();
    let report = format!(
        "amm-math vs f64 (200 random inputs each); rel = beyond the 8-decimal rounding, total = including it (results >= 1.0):\n  ln-fixed: rel {:.2e}, total {:.2e}\n  exp-fixed (a in [-20, 68]): rel {:.2e}, total {:.2e}\n  pow-fixed (x in [0.01,100], y in [0,8]): rel {:.2e}, total {:.2e}\n  ln-18: max |err| / max(1, |ln x|) {:.2e}\n  exp-18 (a in [-40, 46]): max rel {:.2e}",
        ln.borrow().max_rel, ln.borrow().max_rel_total,
        exp.borrow().max_rel, exp.borrow().max_rel_total,
        pow.borrow().max_rel, pow.borrow().max_rel_total,
        *ln18.borrow(), *exp18.borrow(),
    );
    println!("{report}");
}

/// The reference point: a 1e14/1e14 pool takes dx = 1e11; exact
/// dy = 99,900,099,900.0999 -> 99,900,099,900. ALEX: simple-equation 28,791 runtime
/// (exact); weighted-equation 547,368 runtime, 99,893,000,000 (0.007% low).
#[test]
fn reference_quotes_exact_and_cheaper_than_alex() {
    let mut s = sim();
    let d = s.deployer();
    let x = 100_000_000_000_000u128;
    let dx = 100_000_000_000u128;
    let exact = x * dx / (x + dx);
    assert_eq!(exact, 99_900_099_900);
    let cp = s.call(MATH, "get-y-given-x-cp", &[uint(x), uint(x), uint(dx)], &d);
    assert_eq!(cp.expect_ok().to_uint(), exact);
    assert!(
        cp.cost.runtime <= 28_791,
        "50/50 quote runtime {}",
        cp.cost.runtime
    );
    let w = s.call(
        MATH,
        "get-y-given-x-weighted",
        &[
            uint(x),
            uint(x),
            uint(50_000_000),
            uint(50_000_000),
            uint(dx),
        ],
        &d,
    );
    let wy = w.expect_ok().to_uint();
    assert_eq!(wy, exact, "weighted (pow) 50/50 quote");
    assert!(
        w.cost.runtime <= 547_368,
        "weighted quote runtime {}",
        w.cost.runtime
    );
    // 80/20: dy = y (1 - (x/(x+dx))^4).
    let w80 = s.call(
        MATH,
        "get-y-given-x-weighted",
        &[
            uint(x),
            uint(x),
            uint(80_000_000),
            uint(20_000_000),
            uint(dx),
        ],
        &d,
    );
    let r = x as f64 / (x + dx) as f64;
    let exact80 = x as f64 * (1.0 - r.powi(4));
    let got80 = w80.expect_ok().to_uint() as f64;
    assert!(
        got80 <= exact80 && exact80 - got80 < 1.0,
        "{got80} vs {exact80}"
    );
    let st = s.call(
        MATH,
        "get-y-given-x-stable",
        &[uint(x), uint(x), uint(dx)],
        &d,
    );
    let sty = st.expect_ok().to_uint();
    assert!(sty > exact && sty < dx, "stable {sty}");
    println!(
        "reference x=y=1e14 dx=1e11: exact {exact}; 50/50 cp {} (runtime {}); weighted pow 50/50 {wy} (runtime {}, rel err {:.2e}); 80/20 {got80} vs {exact80:.4} (runtime {}); stable {sty} (runtime {})",
        exact, cp.cost.runtime, w.cost.runtime, (exact as f64 - wy as f64) / exact as f64, w80.cost.runtime, st.cost.runtime
    );
}

/// With equal weights the pow path must agree with the exact integer formula: never
/// above it (rounding against the trader) and below it by at most one unit plus the
/// error margin (y * 1.3e-16).
#[test]
fn weighted_quote_rounds_against_the_trader() {
    let s = RefCell::new(sim());
    runner(64)
        .run(
            &(
                1_000u128..1u128 << 64,
                1_000u128..1u128 << 64,
                1u128..1_000_000,
            ),
            |(x, y, frac)| {
                let dx = (x / 1_000_000 * frac).max(1);
                let exact = y * dx / (x + dx);
                let got = call_u(
                    &mut s.borrow_mut(),
                    "get-y-given-x-weighted",
                    &[
                        uint(x),
                        uint(y),
                        uint(50_000_000),
                        uint(50_000_000),
                        uint(dx),
                    ],
                );
                prop_assert!(
                    got <= exact && got + 1 + y / 7_000_000_000_000_000 >= exact,
                    "x {} y {} dx {}: {} vs {}",
                    x,
                    y,
                    dx,
                    got,
                    exact
                );
                Ok(())
            },
        )
        .unwrap();
}

/// The stable curve never lets the invariant x^3 y + x y^3 fall (checked exactly in
/// integers on balances up to 3e9, where it fits in 128 bits).
#[test]
fn stable_swap_keeps_the_invariant() {
    let s = RefCell::new(sim());
    runner(64)
        .run(
            &(
                1_000_000u128..3_000_000_000,
                1_000_000u128..3_000_000_000,
                1u128..300,
            ),
            |(x, y, frac)| {
                let dx = (x * frac / 1_000).max(1);
                let d = s.borrow().deployer();
                let r = s.borrow_mut().call(
                    MATH,
                    "get-y-given-x-stable",
                    &[uint(x), uint(y), uint(dx)],
                    &d,
                );
                let dy = match r.outcome {
                    Outcome::Ok(v) => v.to_uint(),
                    other => return Err(TestCaseError::fail(format!("{other:?}"))),
                };
                let k = |a: u128, b: u128| a * a * a * b + a * b * b * b;
                prop_assert!(dy < y);
                prop_assert!(
                    k(x + dx, y - dy) >= k(x, y),
                    "x {} y {} dx {} dy {}",
                    x,
                    y,
                    dx,
                    dy
                );
                // And it is tight: four more units out would break it.
                if y - dy > 4 {
                    prop_assert!(
                        k(x + dx, y - dy - 4) < k(x, y),
                        "not tight: x {} y {} dx {} dy {}",
                        x,
                        y,
                        dx,
                        dy
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}
