//! Query-string and path parsing that turns every malformed value into a 400 naming
//! the parameter and the value, instead of axum's plain-text rejections.

use std::collections::HashMap;

use crate::error::ApiError;

/// The decoded query string.
pub struct Params(HashMap<String, String>);

impl Params {
    /// Decodes `raw` (`a=1&b=2`); repeated keys keep the last value.
    ///
    /// # Errors
    /// 400 when the string is not valid form encoding.
    pub fn parse(raw: Option<&str>) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
        Ok(Params(pairs.into_iter().collect()))
    }

    /// An optional `u32` parameter.
    ///
    /// # Errors
    /// 400 naming the parameter and value when it is not a non-negative integer.
    pub fn u32(&self, name: &str) -> Result<Option<u32>, ApiError> {
        self.0.get(name).map(|v| parse_u32(name, v)).transpose()
    }
}

/// Parses `value` as a `u32`, naming `what` in the error.
///
/// # Errors
/// 400 when it is not a non-negative integer that fits.
pub fn parse_u32(what: &str, value: &str) -> Result<u32, ApiError> {
    value.parse::<u32>().map_err(|_| {
        ApiError::bad_request(format!(
            "{what} must be a non-negative integer below 2^32, got {value:?}"
        ))
    })
}
