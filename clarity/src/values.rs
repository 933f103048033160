//! Typed builders for Clarity values, and rendering of values as Clarity literals.
//!
//! Tests and services build arguments with these functions and never write Clarity
//! source by hand; [`to_source`] is the single place that turns a value into the
//! literal the VM parses, so escaping rules live in one file.
//!
//! ```
//! use alkahest_clarity::values::{uint, tuple, some, to_source, buff};
//! let v = tuple([("amount", uint(5)), ("memo", some(buff(&[0xab])))]);
//! assert_eq!(to_source(&v), "(tuple (amount u5) (memo (some 0xab)))");
//! ```

use clarity::vm::types::{
    CharType, PrincipalData, QualifiedContractIdentifier, SequenceData, StandardPrincipalData,
    TupleData,
};
use clarity::vm::{ClarityName, Value};

use crate::HarnessError;

/// `uN`.
pub fn uint(n: u128) -> Value {
    Value::UInt(n)
}

/// A signed integer.
pub fn int(n: i128) -> Value {
    Value::Int(n)
}

/// `true` / `false`.
pub fn bool(b: bool) -> Value {
    Value::Bool(b)
}

/// `none`.
pub fn none() -> Value {
    Value::none()
}

/// `(some v)`.
///
/// # Panics
/// Only if `v` is deeper than Clarity's nesting limit, which no test value reaches.
pub fn some(v: Value) -> Value {
    Value::some(v).expect("an optional of a well-formed value is well-formed")
}

/// `(ok v)`.
pub fn ok(v: Value) -> Value {
    Value::okay(v).expect("a response of a well-formed value is well-formed")
}

/// `(err v)`.
pub fn err(v: Value) -> Value {
    Value::error(v).expect("a response of a well-formed value is well-formed")
}

/// A buffer.
///
/// # Panics
/// If `bytes` exceeds Clarity's 1 MiB value limit; use [`try_buff`] for untrusted input.
pub fn buff(bytes: &[u8]) -> Value {
    try_buff(bytes).expect("buffer within Clarity's size limit")
}

/// A buffer, or an error naming the size when it exceeds the VM's limit.
pub fn try_buff(bytes: &[u8]) -> Result<Value, HarnessError> {
    Value::buff_from(bytes.to_vec()).map_err(|e| HarnessError::Value {
        value: format!("buffer of {} bytes", bytes.len()),
        reason: e.to_string(),
    })
}

/// A `string-ascii`.
///
/// # Panics
/// If `s` holds a non-ASCII or control character; use [`try_ascii`] for untrusted input.
pub fn ascii(s: &str) -> Value {
    try_ascii(s).expect("printable ASCII string")
}

/// A `string-ascii`, or an error naming the string.
pub fn try_ascii(s: &str) -> Result<Value, HarnessError> {
    Value::string_ascii_from_bytes(s.as_bytes().to_vec()).map_err(|e| HarnessError::Value {
        value: s.to_string(),
        reason: e.to_string(),
    })
}

/// A `string-utf8`.
///
/// # Panics
/// Never for valid Rust strings within the size limit.
pub fn utf8(s: &str) -> Value {
    Value::string_utf8_from_bytes(s.as_bytes().to_vec()).expect("valid UTF-8 within size limit")
}

/// A standard (`ST…`/`SP…`) or contract (`ST….name`) principal.
///
/// # Panics
/// If `s` is not a valid principal; use [`try_principal`] for untrusted input.
pub fn principal(s: &str) -> Value {
    try_principal(s).unwrap_or_else(|e| panic!("{e}"))
}

/// A principal, or an error naming the bad string.
pub fn try_principal(s: &str) -> Result<Value, HarnessError> {
    let s = s.strip_prefix('\'').unwrap_or(s);
    PrincipalData::parse(s)
        .map(Value::Principal)
        .map_err(|e| HarnessError::Value {
            value: s.to_string(),
            reason: e.to_string(),
        })
}

/// A value from the literal forms `deployments/bootstrap.toml` uses: `uN`, `N`, `true`,
/// `false`, `'PRINCIPAL` (standard or contract) and `.name` (a contract of
/// `deployer`). Lets a client that signs real transactions (the devnet) replay
/// bootstrap calls; anything else is an error naming the literal.
pub fn from_literal(literal: &str, deployer: &str) -> Result<Value, HarnessError> {
    let bad = |reason: &str| HarnessError::Value {
        value: literal.to_string(),
        reason: reason.to_string(),
    };
    let s = literal.trim();
    if let Some(name) = s.strip_prefix('.') {
        return try_principal(&format!("{deployer}.{name}"));
    }
    if s.starts_with('\'') {
        return try_principal(s);
    }
    match s {
        "true" => return Ok(bool(true)),
        "false" => return Ok(bool(false)),
        _ => {}
    }
    if let Some(digits) = s.strip_prefix('u') {
        return digits
            .parse::<u128>()
            .map(uint)
            .map_err(|_| bad("not a uint literal"));
    }
    s.parse::<i128>()
        .map(int)
        .map_err(|_| bad("unsupported literal (uN, N, true, false, 'principal, .contract)"))
}

/// The contract principal `deployer.name`.
///
/// # Panics
/// If `deployer` or `name` is malformed.
pub fn contract_principal(deployer: &str, name: &str) -> Value {
    principal(&format!("{deployer}.{name}"))
}

/// A tuple from `(key, value)` pairs.
///
/// # Panics
/// If a key is not a valid Clarity name or is repeated.
pub fn tuple<'a>(fields: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let data = fields
        .into_iter()
        .map(|(k, v)| {
            let name = ClarityName::try_from(k.to_string())
                .unwrap_or_else(|_| panic!("`{k}` is not a valid Clarity tuple key"));
            (name, v)
        })
        .collect();
    Value::Tuple(TupleData::from_data(data).expect("distinct tuple keys"))
}

/// A list. Elements must share one type.
///
/// # Panics
/// If the elements have different types.
pub fn list(items: Vec<Value>) -> Value {
    Value::list_from(items).expect("list elements of one type")
}

/// Renders `v` as a Clarity literal that the parser reads back as the same value.
pub fn to_source(v: &Value) -> String {
    let mut out = String::new();
    write_source(v, &mut out);
    out
}

fn write_source(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::UInt(n) => {
            let _ = write!(out, "u{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Principal(p) => {
            let _ = write!(out, "'{p}");
        }
        Value::CallableContract(c) => {
            let _ = write!(out, "'{}", c.contract_identifier);
        }
        Value::Optional(o) => match &o.data {
            Some(inner) => {
                out.push_str("(some ");
                write_source(inner, out);
                out.push(')');
            }
            None => out.push_str("none"),
        },
        Value::Response(r) => {
            out.push_str(if r.committed { "(ok " } else { "(err " });
            write_source(&r.data, out);
            out.push(')');
        }
        Value::Tuple(t) => {
            out.push_str("(tuple");
            for (k, v) in t.data_map.iter() {
                let _ = write!(out, " ({k} ");
                write_source(v, out);
                out.push(')');
            }
            out.push(')');
        }
        Value::Sequence(SequenceData::Buffer(b)) => {
            out.push_str("0x");
            for byte in &b.data {
                let _ = write!(out, "{byte:02x}");
            }
        }
        Value::Sequence(SequenceData::List(l)) => {
            out.push_str("(list");
            for item in &l.data {
                out.push(' ');
                write_source(item, out);
            }
            out.push(')');
        }
        Value::Sequence(SequenceData::String(CharType::ASCII(s))) => {
            out.push('"');
            for &c in &s.data {
                escape_char(c as char, out);
            }
            out.push('"');
        }
        Value::Sequence(SequenceData::String(CharType::UTF8(s))) => {
            out.push_str("u\"");
            for c in &s.data {
                let ch = std::str::from_utf8(c)
                    .ok()
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{fffd}');
                if ch.is_ascii() {
                    escape_char(ch, out);
                } else {
                    let _ = write!(out, "\\u{{{:x}}}", ch as u32);
                }
            }
            out.push('"');
        }
    }
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\0' => out.push_str("\\0"),
        c => out.push(c),
    }
}

/// Readers for values coming back from the VM. Each `expect_*` panics with the actual
/// value, which is what a failing test should show.
pub trait ValueExt {
    /// The `uint`.
    fn to_uint(&self) -> u128;
    /// The `int`.
    fn to_int(&self) -> i128;
    /// The `bool`.
    fn to_bool(&self) -> bool;
    /// The principal, as its string form.
    fn to_principal(&self) -> String;
    /// The buffer bytes.
    fn to_buff(&self) -> Vec<u8>;
    /// The ASCII string.
    fn to_ascii(&self) -> String;
    /// The list items.
    fn to_list(&self) -> Vec<Value>;
    /// The inner value of `(some v)`; `None` for `none`.
    fn to_optional(&self) -> Option<Value>;
    /// A tuple field.
    fn field(&self, name: &str) -> Value;
}

impl ValueExt for Value {
    fn to_uint(&self) -> u128 {
        match self {
            Value::UInt(n) => *n,
            other => panic!("expected a uint, got {other}"),
        }
    }
    fn to_int(&self) -> i128 {
        match self {
            Value::Int(n) => *n,
            other => panic!("expected an int, got {other}"),
        }
    }
    fn to_bool(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            other => panic!("expected a bool, got {other}"),
        }
    }
    fn to_principal(&self) -> String {
        match self {
            Value::Principal(p) => p.to_string(),
            other => panic!("expected a principal, got {other}"),
        }
    }
    fn to_buff(&self) -> Vec<u8> {
        match self {
            Value::Sequence(SequenceData::Buffer(b)) => b.data.clone(),
            other => panic!("expected a buffer, got {other}"),
        }
    }
    fn to_ascii(&self) -> String {
        match self {
            Value::Sequence(SequenceData::String(CharType::ASCII(s))) => {
                String::from_utf8_lossy(&s.data).into_owned()
            }
            other => panic!("expected a string-ascii, got {other}"),
        }
    }
    fn to_list(&self) -> Vec<Value> {
        match self {
            Value::Sequence(SequenceData::List(l)) => l.data.clone(),
            other => panic!("expected a list, got {other}"),
        }
    }
    fn to_optional(&self) -> Option<Value> {
        match self {
            Value::Optional(o) => o.data.as_deref().cloned(),
            other => panic!("expected an optional, got {other}"),
        }
    }
    fn field(&self, name: &str) -> Value {
        match self {
            Value::Tuple(t) => t
                .get(name)
                .cloned()
                .unwrap_or_else(|_| panic!("tuple has no field `{name}`: {self}")),
            other => panic!("expected a tuple with `{name}`, got {other}"),
        }
    }
}

/// Parses a standard principal string into the VM's type.
pub(crate) fn standard_principal(s: &str) -> Result<StandardPrincipalData, HarnessError> {
    PrincipalData::parse_standard_principal(s).map_err(|e| HarnessError::Value {
        value: s.to_string(),
        reason: e.to_string(),
    })
}

/// Parses `deployer.name` into a contract identifier.
pub(crate) fn contract_id(s: &str) -> Result<QualifiedContractIdentifier, HarnessError> {
    QualifiedContractIdentifier::parse(s).map_err(|e| HarnessError::Value {
        value: s.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_and_backslashes() {
        assert_eq!(to_source(&ascii("a\"b\\c\n")), r#""a\"b\\c\n""#);
        assert_eq!(to_source(&utf8("é")), r#"u"\u{e9}""#);
    }

    #[test]
    fn bootstrap_literals_parse_and_bad_ones_are_named() {
        let d = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
        assert_eq!(
            from_literal(".dao-core", d).unwrap(),
            contract_principal(d, "dao-core")
        );
        assert_eq!(from_literal(&format!("'{d}"), d).unwrap(), principal(d));
        assert_eq!(from_literal("u50000000", d).unwrap(), uint(50_000_000));
        assert_eq!(from_literal("-3", d).unwrap(), int(-3));
        assert_eq!(from_literal("true", d).unwrap(), bool(true));
        for bad in ["u-1", "(list u1)", "\"x\"", "'nope"] {
            let e = from_literal(bad, d).unwrap_err();
            assert!(e.to_string().contains(bad.trim_start_matches('\'')), "{e}");
        }
    }

    #[test]
    fn bad_principal_names_the_input() {
        let e = try_principal("not-a-principal").unwrap_err();
        assert!(e.to_string().contains("not-a-principal"), "{e}");
    }

    #[test]
    fn nested_values_render() {
        let v = ok(list(vec![some(uint(1)), none()]));
        assert_eq!(to_source(&v), "(ok (list (some u1) none))");
        assert_eq!(to_source(&err(int(-3))), "(err -3)");
    }
}
