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
