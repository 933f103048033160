//! Settlement and redemption.

use super::*;

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
