//! How the devnet log prints amounts.

/// `n` with thousands separators: `1,328,257`.
pub fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `units` of a token with `digits` decimals: whole units with thousands separators,
/// and the fraction only when there is one (`1,000`, `81.325537`).
pub fn decimal(units: u128, digits: u32) -> String {
    let one = 10u128.pow(digits);
    let whole = thousands(units / one);
    match units % one {
        0 => whole,
        frac => format!("{whole}.{frac:0width$}", width = digits as usize),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_by_three() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(1_328_257), "1,328,257");
    }

    #[test]
    fn decimals_only_when_there_is_a_fraction() {
        assert_eq!(super::decimal(8_000_000_000, 6), "8,000");
        assert_eq!(super::decimal(81_325_537, 6), "81.325537");
        assert_eq!(super::decimal(100_000_001, 8), "1.00000001");
    }
}
