//! Rebalancing orders, capping and booking.

use super::*;

#[test]
fn rebalance_band_edge_is_outside_the_band() {
    let params = Params::default();
    // LTV 50%, so the target is all collateral: tv = v = 1_000_000 and the 10_000 sats
    // held are exactly 1% of the value: diff * ONE_8 == v * band.
    let mut edge = pool(990_000, 10_000, 500_000);
    assert_eq!(ltv(&edge, P1, &params), Some(50_000_000));
    assert_eq!(
        rebalance_order(&mut edge, P1, &params),
        Order::BuyCollateral {
            sbtc_in: 10_000,
            min_out: 9_800
        }
    );
    // One sat less off target: inside the band.
    let mut inside = pool(990_001, 9_999, 500_000);
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
    // One below: not converted, sells down to the CPPI weight 2 x 0.05000001.
    let mut below = pool(ONE_8, 0, 94_999_999);
    let order = rebalance_order(&mut below, P1, &params);
    assert!(!below.converted);
    assert_eq!(
        order,
        Order::SellCollateral {
            amount_in: 89_999_998,
            min_out: 88_199_998
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
    // All in sBTC at LTV 50%: buy back to all collateral at 2 sats per unit.
    let mut p = pool(0, ONE_8, 50_000_000);
    assert_eq!(
        rebalance_order(&mut p, 2 * P1, &params),
        Order::BuyCollateral {
            sbtc_in: ONE_8,
            min_out: 49_000_000
        }
    );
    // On target: nothing.
    let mut on = pool(ONE_8, 0, 50_000_000);
    assert_eq!(rebalance_order(&mut on, P1, &params), Order::None);
    // At LTV 75% half the value is on target, whatever the price.
    let mut half = pool(ONE_8 / 4, ONE_8 / 2, 75_000_000);
    assert_eq!(rebalance_order(&mut half, 2 * P1, &params), Order::None);
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
fn rebalance_buys_only_up_to_the_cppi_weight() {
    let params = Params::default();
    // All in sBTC at LTV 85%: the weight is 2 x (1 - 0.85) = 30%, so buy 3e7 of the
    // 1e8 sats' worth, not all of it.
    let mut p = pool(0, ONE_8, 85_000_000);
    assert_eq!(
        rebalance_order(&mut p, P1, &params),
        Order::BuyCollateral {
            sbtc_in: 30_000_000,
            min_out: 29_400_000
        }
    );
}

#[test]
fn converted_dust_worth_nothing_is_not_sold() {
    let params = Params::default();
    // 1 unit at half a sat is worth 0 sats: cv == tv == 0, so no order even converted.
    let mut p = Pool {
        converted: true,
        ..pool(1, ONE_8, 1)
    };
    assert_eq!(rebalance_order(&mut p, P1 / 2, &params), Order::None);
}

#[test]
fn borrow_and_hedge_sells_exactly_the_cppi_excess() {
    let params = Params::default();
    // 1e8 units at 0.001 sat: 100_000 sats at LTV 75%, target weight 2 x 25% = 50%, so
    // the excess is 50_000 sats of collateral, 5e7 units; min_out 2% below fair.
    let mut p = Pool::default();
    let price = ONE_8 / 1_000;
    assert_eq!(
        borrow_and_hedge(&mut p, 100_000_000, price, DEEP, &params),
        Ok((
            75_000,
            Order::SellCollateral {
                amount_in: 50_000_000,
                min_out: 49_000
            }
        ))
    );
    // The pool is left after the deposit, before the hedge.
    assert_eq!(p, pool(100_000_000, 0, 75_000));
    // Executed at the fair price, the hedge leaves the pool exactly on target.
    let order = Order::sell(50_000_000, price, &params);
    apply(&mut p, &order, 50_000).unwrap();
    assert_eq!(p, pool(50_000_000, 50_000, 75_000));
    assert_eq!(
        target_weight(&p, ltv(&p, price, &params), &params),
        50_000_000
    );
    assert_eq!(rebalance_order(&mut p, price, &params), Order::None);
}

#[test]
fn borrow_and_hedge_floors_as_rebalance_order_does() {
    // Multiplier 3 and a price that floors everywhere: value 1_234_570 sats, minted
    // 925_927 (of 925_927.5), LTV 74_999_959, weight 3 x 25_000_041 = 75_000_123,
    // target 925_929 sats, excess 308_641 sats = 249_998_785 units (floored), which
    // pay 308_640 fair, min_out 302_467.
    let params = Params {
        multiplier: 300_000_000,
        ..Params::default()
    };
    let price = 123_457;
    let mut p = Pool::default();
    let (minted, hedge) = borrow_and_hedge(&mut p, ONE_8 * 10, price, DEEP, &params).unwrap();
    assert_eq!(minted, 925_927);
    assert_eq!(
        hedge,
        Order::SellCollateral {
            amount_in: 249_998_785,
            min_out: 302_467
        }
    );
    // The same order rebalance_order asks of the pool after the deposit.
    let mut after = p;
    assert_eq!(rebalance_order(&mut after, price, &params), hedge);
    assert_eq!(after, p);
}

#[test]
fn borrow_and_hedge_ignores_buys_and_trades_inside_the_band() {
    let params = Params::default();
    // LTV 50%: the target is all collateral, nothing to sell.
    let mut empty = Pool::default();
    let params_half = Params {
        ltv0: 50_000_000,
        ..params
    };
    assert_eq!(
        borrow_and_hedge(&mut empty, 1_000, P1, DEEP, &params_half),
        Ok((500, Order::None))
    );
    // All in sBTC at LTV 50%: the pool after the deposit would buy; the borrow does not.
    let mut sbtc = pool(0, 1_000_000, 500_000);
    assert_eq!(
        borrow_and_hedge(&mut sbtc, 10, P1, DEEP, &params),
        Ok((5, Order::None))
    );
    assert_eq!(sbtc, pool(10, 1_000_000, 500_005));
    let mut again = sbtc;
    assert!(matches!(
        rebalance_order(&mut again, P1, &params),
        Order::BuyCollateral { .. }
    ));
    // On target at LTV 75%; a deposit of 1% leaves the excess (5_000 sats) inside the
    // 1% band of 1_010_000 sats.
    let mut on_target = pool(500_000, 500_000, 750_000);
    assert_eq!(
        borrow_and_hedge(&mut on_target, 10_000, P1, DEEP, &params),
        Ok((7_500, Order::None))
    );
    // A refused borrow hedges nothing and leaves the pool unchanged.
    let mut full = Pool::default();
    assert_eq!(
        borrow_and_hedge(&mut full, 1_001, P1, 100_000, &params),
        Err(BorrowError::Capacity {
            value: 1_001,
            amm_sbtc: 100_000
        })
    );
    assert_eq!(full, Pool::default());
}
