//! A serde deserializer over decoded `(name, text)` parameter pairs. Values are text;
//! a field asks for the type it wants and the text is parsed then, so the error can
//! name the parameter, say what it must be and quote what it was. serde's derive
//! handles missing and defaulted fields ([`ParamError::Missing`] for a required one).

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::ParamError;

impl de::Error for ParamError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ParamError::Expected(msg.to_string())
    }

    fn invalid_type(_: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        ParamError::Expected(exp.to_string())
    }

    fn invalid_value(_: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        ParamError::Expected(exp.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        ParamError::Missing(field.to_owned())
    }
}

/// Deserializes `T` (a struct of named parameters) from `pairs`.
pub(super) fn from_pairs<T: DeserializeOwned>(
    pairs: Vec<(String, String)>,
) -> Result<T, ParamError> {
    T::deserialize(Pairs {
        rest: pairs.into_iter(),
        current: None,
    })
}

/// The parameters as a map, each value handed to [`Text`] under its name.
struct Pairs {
    rest: std::vec::IntoIter<(String, String)>,
    current: Option<(String, String)>,
}

impl<'de> de::Deserializer<'de> for Pairs {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Pairs {
    type Error = ParamError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ParamError> {
        let Some((name, value)) = self.rest.next() else {
            return Ok(None);
        };
        let key: StringDeserializer<ParamError> = name.clone().into_deserializer();
        self.current = Some((name, value));
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ParamError> {
        let (name, value) = self
            .current
            .take()
            .ok_or_else(|| ParamError::Expected("a value after its name".into()))?;
        seed.deserialize(Text(&value)).map_err(|e| match e {
            ParamError::Expected(expected) => ParamError::Invalid {
                name,
                expected,
                value,
            },
            named => named,
        })
    }
}

/// One parameter's text, parsed into whatever type its field asks for.
struct Text<'a>(&'a str);

/// Parses the text as an unsigned integer type, or says which range it must be in.
macro_rules! unsigned {
    ($($method:ident $visit:ident $ty:ty, $bits:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
            let n = self.0.parse::<$ty>().map_err(|_| {
                ParamError::Expected(concat!("a non-negative integer below 2^", $bits).into())
            })?;
            visitor.$visit(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Text<'_> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.0)
    }

    unsigned! {
        deserialize_u8 visit_u8 u8, "8";
        deserialize_u16 visit_u16 u16, "16";
        deserialize_u32 visit_u32 u32, "32";
        deserialize_u64 visit_u64 u64, "64";
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(ParamError::Expected("true or false".into())),
        }
    }

    /// A parameter that is present is `Some`, even when empty.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Q {
        from: u32,
        to: Option<u32>,
        #[serde(default)]
        flag: bool,
    }

    fn q(v: &[(&str, &str)]) -> Result<Q, String> {
        let pairs = v
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        from_pairs(pairs).map_err(|e| e.to_string())
    }

    #[test]
    fn typed_fields_parse_from_text_and_unknown_names_are_ignored() {
        assert_eq!(
            q(&[("from", "3"), ("flag", "true"), ("x", "y")]),
            Ok(Q {
                from: 3,
                to: None,
                flag: true
            })
        );
        assert_eq!(q(&[("from", "3"), ("to", "9")]).unwrap().to, Some(9));
    }

    #[test]
    fn errors_name_the_parameter_and_quote_the_value() {
        assert_eq!(q(&[]), Err("from is required".into()));
        assert_eq!(
            q(&[("from", "-1")]),
            Err(r#"from must be a non-negative integer below 2^32, got "-1""#.into())
        );
        assert_eq!(
            q(&[("from", "1"), ("to", "")]),
            Err(r#"to must be a non-negative integer below 2^32, got """#.into())
        );
        assert_eq!(
            q(&[("from", "1"), ("flag", "yes")]),
            Err(r#"flag must be true or false, got "yes""#.into())
        );
    }
}
