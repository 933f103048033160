//! Unit tests of the CRP rule. Each boundary is tested on both sides, so flipping a
//! comparison or making it (non-)strict fails a test.

use super::*;

/// 1 sat per collateral unit: prices that keep the hand arithmetic short.
const P1: u128 = ONE_8;

fn pool(collateral: u128, sbtc: u128, debt: u128) -> Pool {
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
fn target_weight_is_full_collateral_at_and_below_ltv0() {
    let params = Params::default();
    let p = pool(1, 0, 1);
    assert_eq!(target_weight(&p, Some(params.ltv0), &params), ONE_8);
    // Just above ltv0 the weight falls: 24_999_999 / 25_000_000.
    assert_eq!(
        target_weight(&p, Some(params.ltv0 + 1), &params),
        99_999_996
    );
    // Below ltv0 the CPPI weight would exceed 1: capped.
    assert_eq!(target_weight(&p, Some(50_000_000), &params), ONE_8);
    assert_eq!(target_weight(&p, Some(0), &params), ONE_8);
}

#[test]
fn target_weight_is_zero_from_conversion_ltv() {
    let params = Params::default();
    let p = pool(1, 0, 1);
    assert_eq!(target_weight(&p, Some(params.conversion_ltv), &params), 0);
    // One below: (1 - 0.94999999) / 0.25.
    assert_eq!(
        target_weight(&p, Some(params.conversion_ltv - 1), &params),
        20_000_004
    );
    assert_eq!(target_weight(&p, None, &params), 0);
    let converted = Pool {
        converted: true,
        ..p
    };
    assert_eq!(target_weight(&converted, Some(params.ltv0), &params), 0);
}

#[test]
fn borrow_into_empty_pool_mints_at_ltv0() {
    let params = Params::default();
    let mut p = Pool::default();
    // 1e8 units at 0.001 sat = 100_000 sats; 75% of it.
    assert_eq!(
        borrow(&mut p, 100_000_000, ONE_8 / 1000, &params),
        Ok(75_000)
    );
    assert_eq!(p, pool(100_000_000, 0, 75_000));
}

#[test]
fn borrow_mints_at_the_pools_current_ltv() {
    let params = Params::default();
    let mut p = pool(100_000_000, 0, 50_000_000);
    assert_eq!(borrow(&mut p, 10_000_000, P1, &params), Ok(5_000_000));
    assert_eq!(p, pool(110_000_000, 0, 55_000_000));
}

#[test]
fn borrow_is_refused_exactly_at_conversion_ltv() {
    let params = Params::default();
    let mut at = pool(100, 0, 95);
    assert_eq!(
        borrow(&mut at, 100, P1, &params),
        Err(BorrowError::AtConversion {
            ltv: Some(95_000_000)
        })
    );
    assert_eq!(at, pool(100, 0, 95));
    let mut below = pool(ONE_8, 0, 94_999_999);
    assert_eq!(borrow(&mut below, ONE_8, P1, &params), Ok(94_999_999));
}

#[test]
fn borrow_is_refused_on_converted_worthless_or_dust() {
    let params = Params::default();
    let mut converted = Pool {
        converted: true,
        ..Pool::default()
    };
    assert_eq!(
        borrow(&mut converted, ONE_8, P1, &params),
        Err(BorrowError::Converted)
    );
    let mut worthless = pool(0, 0, 10);
    assert_eq!(
        borrow(&mut worthless, ONE_8, P1, &params),
        Err(BorrowError::AtConversion { ltv: None })
    );
    // 1 unit at 1 sat at 75% mints 0.75, floored to 0; 2 units mint 1.
    let mut empty = Pool::default();
    assert_eq!(
        borrow(&mut empty, 1, P1, &params),
        Err(BorrowError::NothingMinted { dx: 1 })
    );
    assert_eq!(empty, Pool::default());
    assert_eq!(borrow(&mut empty, 2, P1, &params), Ok(1));
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
fn rebalance_band_edge_is_outside_the_band() {
    let params = Params::default();
    // LTV exactly ltv0, so the target is all collateral: tv = v = 1_000_000 and the
    // 10_000 sats held are exactly 1% of the value: diff * ONE_8 == v * band.
    let mut edge = pool(990_000, 10_000, 750_000);
    assert_eq!(ltv(&edge, P1, &params), Some(params.ltv0));
    assert_eq!(
        rebalance_order(&mut edge, P1, &params),
        Order::BuyCollateral {
            sbtc_in: 10_000,
            min_out: 9_800
        }
    );
    // One sat less off target: inside the band.
    let mut inside = pool(990_001, 9_999, 750_000);
    assert_eq!(rebalance_order(&mut inside, P1, &params), Order::None);
    assert!(!inside.converted);
}

#[test]
fn rebalance_converts_exactly_at_conversion_ltv() {
    let params = Params::default();
    let mut at = pool(100, 0, 95);
    assert_eq!(
        rebalance_order(&mut at, P1, &params),
        Order::SellCollateral {
            amount_in: 100,
            min_out: 98
        }
    );
    assert!(at.converted);
    // One below: not converted, sells down to the CPPI weight 0.20000004.
    let mut below = pool(ONE_8, 0, 94_999_999);
    let order = rebalance_order(&mut below, P1, &params);
    assert!(!below.converted);
    assert_eq!(
        order,
        Order::SellCollateral {
            amount_in: 79_999_996,
            min_out: 78_399_996
        }
    );
}

#[test]
fn rebalance_conversion_is_sticky_and_ignores_the_band() {
    let params = Params::default();
    let mut p = Pool {
        converted: true,
        ..pool(1, ONE_8, 1)
    };
    // 1 unit out of 1e8 sats is far inside the band, but a converted pool sells it all.
    assert_eq!(
        rebalance_order(&mut p, P1, &params),
        Order::SellCollateral {
            amount_in: 1,
            min_out: 0
        }
    );
    assert!(p.converted);
    let mut sold = Pool {
        converted: true,
        ..pool(0, ONE_8, 1)
    };
    assert_eq!(rebalance_order(&mut sold, P1, &params), Order::None);
}

#[test]
fn rebalance_of_a_worthless_pool_converts_with_nothing_to_sell() {
    let params = Params::default();
    let mut p = pool(0, 0, 10);
    assert_eq!(rebalance_order(&mut p, P1, &params), Order::None);
    assert!(p.converted);
}

#[test]
fn rebalance_buys_collateral_below_target() {
    let params = Params::default();
    // All in sBTC at LTV ltv0: buy back to all collateral at 2 sats per unit.
    let mut p = pool(0, ONE_8, 75_000_000);
    assert_eq!(
        rebalance_order(&mut p, 2 * P1, &params),
        Order::BuyCollateral {
            sbtc_in: ONE_8,
            min_out: 49_000_000
        }
    );
    // On target: nothing.
    let mut on = pool(ONE_8, 0, 75_000_000);
    assert_eq!(rebalance_order(&mut on, P1, &params), Order::None);
}

#[test]
fn capped_order_recomputes_min_out_on_the_capped_input() {
    let params = Params::default();
    let p = 3 * P1;
    let sell = Order::sell(1_000, p, &params);
    assert_eq!(
        sell,
        Order::SellCollateral {
            amount_in: 1_000,
            min_out: 2_940
        }
    );
    assert_eq!(
        sell.capped(400, p, &params),
        Order::SellCollateral {
            amount_in: 400,
            min_out: 1_176
        }
    );
    assert_eq!(sell.capped(1_000, p, &params), sell);
    assert_eq!(sell.capped(5_000, p, &params), sell);
    assert_eq!(sell.capped(0, p, &params), Order::None);
    let buy = Order::buy(3_000, p, &params);
    assert_eq!(
        buy,
        Order::BuyCollateral {
            sbtc_in: 3_000,
            min_out: 980
        }
    );
    assert_eq!(
        buy.capped(300, p, &params),
        Order::BuyCollateral {
            sbtc_in: 300,
            min_out: 98
        }
    );
    assert_eq!(Order::None.capped(10, p, &params), Order::None);
    assert_eq!(
        (
            buy.input(),
            buy.min_out(),
            Order::None.input(),
            Order::None.min_out()
        ),
        (3_000, 980, 0, 0)
    );
}

#[test]
fn apply_books_the_trade_and_refuses_below_min_out() {
    let sell = Order::SellCollateral {
        amount_in: 40,
        min_out: 30,
    };
    let mut p = pool(100, 5, 50);
    assert_eq!(
        apply(&mut p, &sell, 29),
        Err(ApplyError::BelowMinOut {
            out: 29,
            min_out: 30
        })
    );
    assert_eq!(p, pool(100, 5, 50));
    assert_eq!(apply(&mut p, &sell, 30), Ok(()));
    assert_eq!(p, pool(60, 35, 50));
    let buy = Order::BuyCollateral {
        sbtc_in: 35,
        min_out: 1,
    };
    assert_eq!(apply(&mut p, &buy, 70), Ok(()));
    assert_eq!(p, pool(130, 0, 50));
    assert_eq!(apply(&mut p, &Order::None, 0), Ok(()));
    assert_eq!(p, pool(130, 0, 50));
}

#[test]
fn apply_refuses_spending_more_than_held() {
    let mut p = pool(10, 5, 1);
    let sell = Order::SellCollateral {
        amount_in: 11,
        min_out: 0,
    };
    assert_eq!(
        apply(&mut p, &sell, 1),
        Err(ApplyError::AboveHolding {
            input: 11,
            held: 10
        })
    );
    let buy = Order::BuyCollateral {
        sbtc_in: 6,
        min_out: 0,
    };
    assert_eq!(
        apply(&mut p, &buy, 1),
        Err(ApplyError::AboveHolding { input: 6, held: 5 })
    );
    assert_eq!(p, pool(10, 5, 1));
    let all = Order::BuyCollateral {
        sbtc_in: 5,
        min_out: 0,
    };
    assert_eq!(apply(&mut p, &all, 1), Ok(()));
    assert_eq!(p, pool(11, 0, 1));
}

#[test]
fn settle_covered_pool_pays_key_holders_the_excess() {
    let s = settle(1_000, 750, 750, 99, 99);
    assert_eq!(
        s,
        Settlement {
            shortfall: 0,
            from_reserve: 0,
            from_alex: 0,
            yield_pool: 750,
            key_pool: 250
        }
    );
    let exact = settle(750, 750, 750, 99, 99);
    assert_eq!(
        exact,
        Settlement {
            yield_pool: 750,
            ..Settlement::default()
        }
    );
}

#[test]
fn settle_draws_reserve_first_then_alex() {
    // Shortfall 300: the reserve has 200, ALEX covers the other 100 out of 500.
    let s = settle(450, 750, 750, 200, 500);
    assert_eq!(
        s,
        Settlement {
            shortfall: 300,
            from_reserve: 200,
            from_alex: 100,
            yield_pool: 750,
            key_pool: 0
        }
    );
    // The reserve alone covers it.
    let r = settle(450, 750, 750, 1_000, 500);
    assert_eq!(
        r,
        Settlement {
            shortfall: 300,
            from_reserve: 300,
            from_alex: 0,
            yield_pool: 750,
            key_pool: 0
        }
    );
    // Neither covers it all: yield holders take a loss, key holders nothing.
    let l = settle(450, 750, 750, 100, 50);
    assert_eq!(
        l,
        Settlement {
            shortfall: 300,
            from_reserve: 100,
            from_alex: 50,
            yield_pool: 600,
            key_pool: 0
        }
    );
    let none = settle(450, 750, 750, 0, 0);
    assert_eq!(
        none,
        Settlement {
            shortfall: 300,
            yield_pool: 450,
            ..Settlement::default()
        }
    );
}

#[test]
fn redeem_pays_pro_rata_of_the_settled_supply() {
    let s = settle(1_000, 750, 300, 0, 0);
    assert_eq!(redeem_yield(&s, 750, 1), 1);
    assert_eq!(redeem_yield(&s, 750, 750), 750);
    assert_eq!(redeem_key(&s, 300, 100), 83); // 100 * 250 / 300
    assert_eq!(redeem_key(&s, 300, 300), 250);
    let short = settle(600, 750, 750, 0, 0);
    assert_eq!(redeem_yield(&short, 750, 5), 4); // 5 * 600 / 750
    assert_eq!(redeem_yield(&short, 0, 5), 0);
    assert_eq!(redeem_key(&short, 0, 5), 0);
}

#[test]
#[should_panic(expected = "u128 overflow")]
fn overflow_panics_as_the_contract_aborts() {
    value(&pool(u128::MAX, 0, 0), 2);
}
