//! Parameter types that check themselves while deserializing, so a handler only ever
//! sees valid values: page limits, Bitcoin addresses, payout cursors, and the one
//! from/to range check every ranged route shares.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use bitcoin::address::NetworkUnchecked;
use bitcoin::Address;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::ParamError;

/// A page size from 1 to `MAX`, `DEFAULT` when absent; the bounds appear in the
/// OpenAPI document from these same constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<const MAX: u32, const DEFAULT: u32>(u32);

impl<const MAX: u32, const DEFAULT: u32> Limit<MAX, DEFAULT> {
    /// The limit.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<const MAX: u32, const DEFAULT: u32> Default for Limit<MAX, DEFAULT> {
    fn default() -> Self {
        Limit(DEFAULT)
    }
}

impl<'de, const MAX: u32, const DEFAULT: u32> Deserialize<'de> for Limit<MAX, DEFAULT> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        match text.parse::<u32>() {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Limit(n)),
            _ => Err(D::Error::custom(format!("an integer from 1 to {MAX}"))),
        }
    }
}

impl<const MAX: u32, const DEFAULT: u32> PartialSchema for Limit<MAX, DEFAULT> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX))
            .default(Some(DEFAULT.into()))
            .into()
    }
}

impl<const MAX: u32, const DEFAULT: u32> ToSchema for Limit<MAX, DEFAULT> {}

/// A Bitcoin address in any valid form: base58, or bech32/bech32m in all lower or all
/// upper case (BIP 173 makes them case-insensitive, and QR codes carry them in upper
/// case). Mixed case is refused, as BIP 173 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyAddress(Address<NetworkUnchecked>);

impl AnyAddress {
    /// The address as the indexer stores it: bech32 in lower case.
    pub fn canonical(&self) -> String {
        self.0.assume_checked_ref().to_string()
    }
}

impl FromStr for AnyAddress {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<Self, ParamError> {
        let mixed_bech32 = || {
            s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes().any(|b| b.is_ascii_lowercase())
                && bitcoin::bech32::segwit::decode(&s.to_ascii_lowercase()).is_ok()
        };
        match Address::from_str(s) {
            Ok(address) => Ok(AnyAddress(address)),
            Err(_) if mixed_bech32() => Err(ParamError::Expected(
                "a Bitcoin address; bech32 is all lower or all upper case (BIP 173)".into(),
            )),
            Err(e) => Err(ParamError::Expected(format!("a Bitcoin address ({e})"))),
        }
    }
}

impl<'de> Deserialize<'de> for AnyAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(d)?
            .parse()
            .map_err(|e: ParamError| D::Error::custom(e))
    }
}

/// Where a page of payouts ends: the `(height, vout)` of its last output, written
/// `HEIGHT:VOUT`. The next page starts strictly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayoutCursor {
    /// Height of the last output returned.
    pub height: u32,
    /// Its output index.
    pub vout: u32,
}

impl fmt::Display for PayoutCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.height, self.vout)
    }
}

impl Serialize for PayoutCursor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PayoutCursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        text.split_once(':')
            .and_then(|(h, v)| {
                Some(PayoutCursor {
                    height: h.parse().ok()?,
                    vout: v.parse().ok()?,
                })
            })
            .ok_or_else(|| D::Error::custom("HEIGHT:VOUT, the `next` of a previous page"))
    }
}

impl PartialSchema for PayoutCursor {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(CURSOR_PATTERN))
            .description(Some(
                "HEIGHT:VOUT of the last payout of a page; pass it as `after` for the next page",
            ))
            .into()
    }
}

impl ToSchema for PayoutCursor {}

/// The shape of a [`PayoutCursor`] in the OpenAPI document.
const CURSOR_PATTERN: &str = "^[0-9]+:[0-9]+$";

/// How a route names the two ends of an inclusive range, and how long it may be.
#[derive(Debug, Clone, Copy)]
pub struct RangeRule {
    /// The lower end's parameter.
    pub from: &'static str,
    /// The upper end's parameter.
    pub to: &'static str,
    /// The most items one request may span, if bounded.
    pub max_len: Option<u32>,
}

/// Heights `from..=to`, unbounded (`/v1/pools`, `/v1/addresses/{addr}/payouts`).
pub const HEIGHTS: RangeRule = RangeRule {
    from: "from",
    to: "to",
    max_len: None,
};

/// Checks `from <= to` and the rule's length bound: the one range check of the API.
///
/// # Errors
/// [`ParamError::Reversed`] or [`ParamError::TooLong`], naming the parameters.
pub fn check_range(rule: RangeRule, from: u32, to: u32) -> Result<(u32, u32), ParamError> {
    if from > to {
        return Err(ParamError::Reversed {
            from: rule.from,
            from_value: from,
            to: rule.to,
            to_value: to,
        });
    }
    match rule.max_len {
        Some(max) if u64::from(to) - u64::from(from) + 1 > u64::from(max) => {
            Err(ParamError::TooLong {
                from: rule.from,
                to: rule.to,
                len: u64::from(to) - u64::from(from) + 1,
                max,
            })
        }
        _ => Ok((from, to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS: RangeRule = RangeRule {
        from: "from_window",
        to: "to_window",
        max_len: Some(10),
    };

    #[test]
    fn ranges_are_ordered_and_bounded_with_one_message_shape() {
        assert_eq!(check_range(WINDOWS, 3, 12), Ok((3, 12)));
        assert_eq!(
            check_range(WINDOWS, 3, 13).unwrap_err().to_string(),
            "from_window..=to_window spans 11, at most 10 per request"
        );
        assert_eq!(
            check_range(HEIGHTS, 5, 1).unwrap_err().to_string(),
            "from (5) is above to (1)"
        );
        assert_eq!(check_range(HEIGHTS, 0, u32::MAX), Ok((0, u32::MAX)));
    }

    #[test]
    fn addresses_parse_in_either_case_but_not_mixed() {
        let lower = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
        let upper = lower.to_ascii_uppercase();
        let a: AnyAddress = lower.parse().unwrap();
        let b: AnyAddress = upper.parse().unwrap();
        assert_eq!(a.canonical(), lower);
        assert_eq!(b.canonical(), lower);
        let mixed = format!("BCRT1Q{}", &lower[6..]);
        let err = mixed.parse::<AnyAddress>().unwrap_err().to_string();
        assert!(err.contains("BIP 173"), "{err}");
        assert!("not-an-address".parse::<AnyAddress>().is_err());
    }

    #[test]
    fn cursors_round_trip_as_height_colon_vout() {
        let c = PayoutCursor { height: 7, vout: 2 };
        assert_eq!(c.to_string(), "7:2");
        let back: PayoutCursor = serde_json::from_str("\"7:2\"").unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<PayoutCursor>("\"7\"").is_err());
    }
}

/// A Silica status name, as `/v1/silica?status=` filters by it: one of the statuses
/// the contract defines, in upper case (`OPEN`, `RUNNING`, ...), lower case accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SilicaStatus(&'static str);

impl SilicaStatus {
    /// The status name as stored.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl<'de> Deserialize<'de> for SilicaStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        crate::chainstate::model::STATUSES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(&text))
            .map(|s| SilicaStatus(s))
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "one of {}",
                    crate::chainstate::model::STATUSES.join(", ")
                ))
            })
    }
}

impl PartialSchema for SilicaStatus {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::chainstate::model::STATUSES))
            .into()
    }
}

impl ToSchema for SilicaStatus {}
