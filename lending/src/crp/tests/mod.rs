//! Unit tests of the CRP rule. Each boundary is tested on both sides, so flipping a
//! comparison or making it (non-)strict fails a test.

use super::*;

/// 1 sat per collateral unit: prices that keep the hand arithmetic short.
pub(super) const P1: u128 = ONE_8;

/// An AMM so deep that no test pool reaches its capacity (`DEEP * ONE_8` still fits in
/// a `u128`).
pub(super) const DEEP: u128 = u128::MAX / ONE_8;

pub(super) fn pool(collateral: u128, sbtc: u128, debt: u128) -> Pool {
    Pool {
        collateral,
        sbtc,
        yield_supply: debt,
        key_supply: debt,
        converted: false,
    }
}

#[test]
fn default_params_are_alex_production_and_valid() {
    let p = Params::default();
    assert_eq!(
        (p.ltv0, p.conversion_ltv, p.band, p.max_slippage),
        (75_000_000, 95_000_000, 1_000_000, 2_000_000)
    );
    assert_eq!(p.multiplier, 200_000_000);
    assert_eq!(p.capacity, 1_000_000);
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn params_ltv_order_boundaries() {
    let ok = |ltv0, conversion_ltv| {
        Params {
            ltv0,
            conversion_ltv,
            ..Params::default()
        }
        .validate()
    };
    let refused = |ltv0, conversion_ltv| {
        Err(ParamsError::LtvOrder {
            ltv0,
            conversion_ltv,
        })
    };
    assert_eq!(ok(0, 50), refused(0, 50));
    assert_eq!(ok(1, 50), Ok(()));
    assert_eq!(ok(50, 50), refused(50, 50));
    assert_eq!(ok(49, 50), Ok(()));
    assert_eq!(ok(50, ONE_8), refused(50, ONE_8));
    assert_eq!(ok(50, ONE_8 - 1), Ok(()));
}

#[test]
fn params_band_and_slippage_boundaries() {
    let band = |band| {
        Params {
            band,
            ..Params::default()
        }
        .validate()
    };
    assert_eq!(band(10_000_000), Ok(()));
    assert_eq!(band(10_000_001), Err(ParamsError::Band(10_000_001)));
    let slip = |max_slippage| {
        Params {
            max_slippage,
            ..Params::default()
        }
        .validate()
    };
    assert_eq!(slip(10_000_000), Ok(()));
    assert_eq!(slip(10_000_001), Err(ParamsError::MaxSlippage(10_000_001)));
}

#[test]
fn params_multiplier_boundaries() {
    let mult = |multiplier| {
        Params {
            multiplier,
            ..Params::default()
        }
        .validate()
    };
    assert_eq!(mult(0), Err(ParamsError::Multiplier(0)));
    assert_eq!(mult(1), Ok(()));
    assert_eq!(mult(2_000_000_000), Ok(()));
    assert_eq!(
        mult(2_000_000_001),
        Err(ParamsError::Multiplier(2_000_000_001))
    );
    assert!(ParamsError::Multiplier(2_000_000_001)
        .to_string()
        .contains("2000000001"));
}

#[test]
fn params_capacity_boundaries() {
    let cap = |capacity| {
        Params {
            capacity,
            ..Params::default()
        }
        .validate()
    };
    assert_eq!(cap(0), Err(ParamsError::Capacity(0)));
    assert_eq!(cap(1), Ok(()));
    assert_eq!(cap(ONE_8), Ok(()));
    assert_eq!(cap(ONE_8 + 1), Err(ParamsError::Capacity(ONE_8 + 1)));
    assert!(ParamsError::Capacity(ONE_8 + 1)
        .to_string()
        .contains("100000001"));
}

#[test]
fn value_floors_the_collateral_part() {
    // 1_000 units at 0.001_999_99 sats each = 1.99999 sats, floored to 1, plus 7 sats.
    assert_eq!(value(&pool(1_000, 7, 0), 199_999), 8);
    assert_eq!(value(&pool(0, 7, 0), 199_999), 7);
}

#[test]
fn ltv_of_empty_pool_is_ltv0_and_of_worthless_pool_is_infinite() {
    let params = Params::default();
    assert_eq!(ltv(&pool(0, 0, 0), P1, &params), Some(params.ltv0));
    assert_eq!(ltv(&pool(5, 0, 0), P1, &params), Some(params.ltv0));
    assert_eq!(ltv(&pool(0, 0, 1), P1, &params), None);
    // 1 unit at 0.5 sat is worth 0 sats: debt against nothing.
    assert_eq!(ltv(&pool(1, 0, 1), ONE_8 / 2, &params), None);
    // 2 / 3 floored.
    assert_eq!(ltv(&pool(2, 1, 2), P1, &params), Some(66_666_666));
}

#[test]
fn target_weight_is_the_multiplier_times_the_cushion() {
    let params = Params::default();
    let p = pool(1, 0, 1);
    // 2 x (1 - 0.75): half the value in collateral at ALEX's borrowing LTV.
    assert_eq!(target_weight(&p, Some(75_000_000), &params), 50_000_000);
    assert_eq!(target_weight(&p, Some(85_000_000), &params), 30_000_000);
    // ltv0 plays no part: only the multiplier does.
    let low = Params {
        ltv0: 10_000_000,
        ..params
    };
    assert_eq!(target_weight(&p, Some(75_000_000), &low), 50_000_000);
    // The old rule is the multiplier 1 / (1 - ltv0) = 4: all collateral at 75%.
    let four = Params {
        multiplier: 400_000_000,
        ..params
    };
    assert_eq!(target_weight(&p, Some(75_000_000), &four), ONE_8);
    assert_eq!(target_weight(&p, Some(75_000_001), &four), 99_999_996);
    // Floored: 0.25 x 1.50000001 = 0.3750000025.
    let odd = Params {
        multiplier: 150_000_001,
        ..params
    };
    assert_eq!(target_weight(&p, Some(75_000_000), &odd), 37_500_000);
}

#[test]
fn target_weight_is_capped_at_full_collateral() {
    let params = Params::default();
    let p = pool(1, 0, 1);
    // 2 x (1 - 0.5) is exactly 1: the cap's edge.
    assert_eq!(target_weight(&p, Some(50_000_000), &params), ONE_8);
    // One below: 2 x 0.50000001 = 1.00000002, capped.
    assert_eq!(target_weight(&p, Some(50_000_000 - 1), &params), ONE_8);
    // One above: 2 x 0.49999999, just below all collateral.
    assert_eq!(target_weight(&p, Some(50_000_000 + 1), &params), 99_999_998);
    assert_eq!(target_weight(&p, Some(0), &params), ONE_8);
}

#[test]
fn target_weight_is_zero_from_conversion_ltv() {
    let params = Params::default();
    let p = pool(1, 0, 1);
    assert_eq!(target_weight(&p, Some(params.conversion_ltv), &params), 0);
    // One below: 2 x (1 - 0.94999999).
    assert_eq!(
        target_weight(&p, Some(params.conversion_ltv - 1), &params),
        10_000_002
    );
    assert_eq!(target_weight(&p, None, &params), 0);
    let converted = Pool {
        converted: true,
        ..p
    };
    assert_eq!(target_weight(&converted, Some(params.ltv0), &params), 0);
    assert_eq!(target_weight(&converted, Some(0), &params), 0);
}

#[test]
fn borrow_into_empty_pool_mints_at_ltv0() {
    let params = Params::default();
    let mut p = Pool::default();
    // 1e8 units at 0.001 sat = 100_000 sats; 75% of it.
    assert_eq!(
        borrow(&mut p, 100_000_000, ONE_8 / 1000, DEEP, &params),
        Ok(75_000)
    );
    assert_eq!(p, pool(100_000_000, 0, 75_000));
}

#[test]
fn borrow_mints_at_the_pools_current_ltv() {
    let params = Params::default();
    let mut p = pool(100_000_000, 0, 50_000_000);
    assert_eq!(borrow(&mut p, 10_000_000, P1, DEEP, &params), Ok(5_000_000));
    assert_eq!(p, pool(110_000_000, 0, 55_000_000));
}

#[test]
fn borrow_is_refused_exactly_at_conversion_ltv() {
    let params = Params::default();
    let mut at = pool(100, 0, 95);
    assert_eq!(
        borrow(&mut at, 100, P1, DEEP, &params),
        Err(BorrowError::AtConversion {
            ltv: Some(95_000_000)
        })
    );
    assert_eq!(at, pool(100, 0, 95));
    let mut below = pool(ONE_8, 0, 94_999_999);
    assert_eq!(borrow(&mut below, ONE_8, P1, DEEP, &params), Ok(94_999_999));
}

#[test]
fn borrow_is_refused_on_converted_worthless_or_dust() {
    let params = Params::default();
    let mut converted = Pool {
        converted: true,
        ..Pool::default()
    };
    assert_eq!(
        borrow(&mut converted, ONE_8, P1, DEEP, &params),
        Err(BorrowError::Converted)
    );
    let mut worthless = pool(0, 0, 10);
    assert_eq!(
        borrow(&mut worthless, ONE_8, P1, DEEP, &params),
        Err(BorrowError::AtConversion { ltv: None })
    );
    // 1 unit at 1 sat at 75% mints 0.75, floored to 0; 2 units mint 1.
    let mut empty = Pool::default();
    assert_eq!(
        borrow(&mut empty, 1, P1, DEEP, &params),
        Err(BorrowError::NothingMinted { dx: 1 })
    );
    assert_eq!(empty, Pool::default());
    assert_eq!(borrow(&mut empty, 2, P1, DEEP, &params), Ok(1));
}

#[test]
fn within_capacity_accepts_exactly_the_capacity_share() {
    let params = Params::default(); // 1%
                                    // An AMM of 100_000 sats takes a pool worth 1_000 sats, not 1_001.
    assert!(within_capacity(&pool(0, 1_000, 0), P1, 100_000, &params));
    assert!(!within_capacity(&pool(0, 1_001, 0), P1, 100_000, &params));
    assert!(!within_capacity(&pool(0, 1_000, 0), P1, 99_999, &params));
    // The comparison is not floored: 1% of 100_050 sats is 1_000.5.
    assert!(within_capacity(&pool(0, 1_000, 0), P1, 100_050, &params));
    assert!(!within_capacity(&pool(0, 1_001, 0), P1, 100_050, &params));
    // The value counts collateral at p, floored: 2_001 units at 0.5 sat are 1_000 sats.
    assert!(within_capacity(
        &pool(2_001, 0, 0),
        ONE_8 / 2,
        100_000,
        &params
    ));
    assert!(!within_capacity(
        &pool(2_002, 0, 0),
        ONE_8 / 2,
        100_000,
        &params
    ));
    // Capacity 100%: the pool may be as large as the AMM.
    let full = Params {
        capacity: ONE_8,
        ..params
    };
    assert!(within_capacity(&pool(0, 7, 0), P1, 7, &full));
    assert!(!within_capacity(&pool(0, 8, 0), P1, 7, &full));
    assert!(within_capacity(&pool(0, 0, 0), P1, 0, &params));
}

#[test]
fn borrow_is_refused_one_sat_over_capacity() {
    let params = Params::default(); // 1%: 1_000 sats against 100_000
    let mut at = Pool::default();
    assert_eq!(borrow(&mut at, 1_000, P1, 100_000, &params), Ok(750));
    assert_eq!(at, pool(1_000, 0, 750));
    let mut over = Pool::default();
    assert_eq!(
        borrow(&mut over, 1_001, P1, 100_000, &params),
        Err(BorrowError::Capacity {
            value: 1_001,
            amm_sbtc: 100_000
        })
    );
    assert_eq!(over, Pool::default());
    // The value after the borrow counts what the pool held: 900 + 100 fits, 900 + 101
    // does not.
    let mut held = pool(900, 0, 450);
    assert_eq!(borrow(&mut held, 100, P1, 100_000, &params), Ok(50));
    assert_eq!(held, pool(1_000, 0, 500));
    let mut held = pool(900, 0, 450);
    assert_eq!(
        borrow(&mut held, 101, P1, 100_000, &params),
        Err(BorrowError::Capacity {
            value: 1_001,
            amm_sbtc: 100_000
        })
    );
    assert_eq!(held, pool(900, 0, 450));
    // And its sBTC: 500 units and 500 sats fit, 501 units do not.
    let mut mixed = pool(0, 500, 250);
    assert_eq!(borrow(&mut mixed, 500, P1, 100_000, &params), Ok(250));
    let mut mixed = pool(0, 500, 250);
    assert!(matches!(
        borrow(&mut mixed, 501, P1, 100_000, &params),
        Err(BorrowError::Capacity { value: 1_001, .. })
    ));
    // The other refusals come first.
    let mut converted = Pool {
        converted: true,
        ..Pool::default()
    };
    assert_eq!(
        borrow(&mut converted, 1_001, P1, 0, &params),
        Err(BorrowError::Converted)
    );
    assert_eq!(
        borrow(&mut Pool::default(), 1, P1, 0, &params),
        Err(BorrowError::NothingMinted { dx: 1 })
    );
}

#[test]
fn repay_pays_pro_rata_with_the_supply_before_the_burn() {
    let mut p = pool(100, 7, 4);
    // 100 / 4 and 7 / 4 floored; with the supply after the burn it would be 33 and 2.
    assert_eq!(repay(&mut p, 1), Ok((25, 1)));
    assert_eq!(p, pool(75, 6, 3));
    // The last holder takes everything.
    assert_eq!(repay(&mut p, 3), Ok((75, 6)));
    assert_eq!(p, pool(0, 0, 0));
}

#[test]
fn repay_refuses_zero_and_above_either_supply() {
    let mut p = Pool {
        collateral: 100,
        sbtc: 0,
        yield_supply: 10,
        key_supply: 5,
        converted: false,
    };
    let before = p;
    assert_eq!(repay(&mut p, 0), Err(RepayError::Zero));
    assert_eq!(
        repay(&mut p, 11),
        Err(RepayError::AboveYieldSupply { n: 11, supply: 10 })
    );
    assert_eq!(
        repay(&mut p, 6),
        Err(RepayError::AboveKeySupply { n: 6, supply: 5 })
    );
    assert_eq!(p, before);
    assert_eq!(repay(&mut p, 5), Ok((50, 0)));
    let mut q = pool(100, 0, 10);
    assert_eq!(repay(&mut q, 10), Ok((100, 0)));
}

#[test]
#[should_panic(expected = "u128 overflow")]
fn overflow_panics_as_the_contract_aborts() {
    value(&pool(u128::MAX, 0, 0), 2);
}

mod order;
mod settlement;
