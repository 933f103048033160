//! Typed path and query parameters: [`ApiPath`] and [`ApiQuery`] deserialize a serde
//! struct from the request and turn every malformed value into [`ParamError`], a 400
//! `{"error", "message"}` naming the parameter and the value, instead of axum's
//! plain-text rejections (which also cover non-UTF-8 path segments).
//!
//! Both extractors feed `(name, text)` pairs through one deserializer ([`de`]), so a
//! `u32` field reads the same from a path segment as from a query value, and a
//! newtype's own checks ([`types`]) report through the same message shape:
//! `NAME must be EXPECTED, got "VALUE"`.

mod de;
pub mod types;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Why a parameter was refused. Every variant is a client mistake (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent.
    #[error("{0} is required")]
    Missing(String),
    /// A value does not parse or is out of range.
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        /// The parameter.
        name: String,
        /// What it must be.
        expected: String,
        /// What it was (percent-decoded).
        value: String,
    },
    /// A percent-encoded name or value is not UTF-8 once decoded.
    #[error("{name} must be UTF-8 text once percent-decoded, got {raw:?}")]
    NotUtf8 {
        /// The parameter (for a non-UTF-8 query name: its raw text).
        name: String,
        /// The value as sent, still percent-encoded.
        raw: String,
    },
    /// A range's lower end is above its upper end.
    #[error("{from} ({from_value}) is above {to} ({to_value})")]
    Reversed {
        /// The lower end's parameter.
        from: &'static str,
        /// Its value.
        from_value: u32,
        /// The upper end's parameter.
        to: &'static str,
        /// Its value.
        to_value: u32,
    },
    /// A range spans more items than one request may.
    #[error("{from}..={to} spans {len}, at most {max} per request")]
    TooLong {
        /// The lower end's parameter.
        from: &'static str,
        /// The upper end's parameter.
        to: &'static str,
        /// How many items the range spans.
        len: u64,
        /// The most allowed.
        max: u32,
    },
    /// Raised by a value's deserializer before its parameter is known: what the value
    /// must be. [`de`] names the parameter and turns it into [`ParamError::Invalid`].
    #[error("{0}")]
    Expected(String),
}

/// Decodes one percent-encoded `raw` text of parameter `name` (a path segment, or a
/// query name or value with `+` already turned into a space).
fn decode(name: &str, raw: &str) -> Result<String, ParamError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| ParamError::NotUtf8 {
            name: name.to_owned(),
            raw: raw.to_owned(),
        })
}

/// The `{name}` parameters of the route `template` (as matched) read from the request
/// `path`: both are split on `/`, so a segment's position says which parameter it is.
/// Routes have no wildcard segments, so the two have as many segments.
fn path_pairs(template: &str, path: &str) -> Result<Vec<(String, String)>, ParamError> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, raw)| Some((t.strip_prefix('{')?.strip_suffix('}')?, raw)))
        .map(|(name, raw)| Ok((name.to_owned(), decode(name, raw)?)))
        .collect()
}

/// The pairs of the form-encoded query `raw` (`a=1&b=2`). A repeated name keeps its
/// last value, so a client appending an override gets it.
fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, ParamError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = decode(name, &name.replace('+', " "))?;
        let value = decode(&name, &value.replace('+', " "))?;
        pairs.retain(|(n, _)| *n != name);
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Path parameters deserialized into `T`; a bad one is a 400 [`ApiError`] naming it.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let template = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str);
        let pairs = path_pairs(template, parts.uri.path())?;
        Ok(ApiPath(de::from_pairs(pairs)?))
    }
}

/// Query parameters deserialized into `T`; a bad one is a 400 [`ApiError`] naming it.
/// Unknown names are ignored.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = query_pairs(parts.uri.query().unwrap_or(""))?;
        Ok(ApiQuery(de::from_pairs(pairs)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_decodes_plus_and_percent_and_keeps_the_last_repeat() {
        let got = query_pairs("a=1&b=x+y%21&a=2&&c").unwrap();
        assert_eq!(got, pairs(&[("b", "x y!"), ("a", "2"), ("c", "")]));
    }

    #[test]
    fn non_utf8_query_value_names_its_parameter_and_raw_text() {
        let err = query_pairs("from=%FF").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"from must be UTF-8 text once percent-decoded, got "%FF""#
        );
    }

    #[test]
    fn path_params_follow_the_template_positions() {
        let got = path_pairs("/v1/blocks/{height}/coinbase", "/v1/blocks/7/coinbase").unwrap();
        assert_eq!(got, pairs(&[("height", "7")]));
        let err = path_pairs("/v1/addresses/{addr}/payouts", "/v1/addresses/%FF/payouts");
        assert!(
            matches!(err, Err(ParamError::NotUtf8 { name, raw }) if name == "addr" && raw == "%FF")
        );
    }
}
