//! The environment layer: `PREFIX_A__B=v` sets `a.b`. Built from an explicit list of
//! variables (the binary passes `std::env::vars()`, tests pass their own), so tests
//! never touch the process environment.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

use super::ConfigWarning;

/// A figment provider over the prefixed variables that name a setting.
pub struct EnvVars {
    prefix: &'static str,
    values: Dict,
    unknown: Vec<String>,
}

impl EnvVars {
    /// Keeps the variables of `vars` that start with `prefix` and name a key of
    /// `defaults` (the settings' defaults, serialized with every key present).
    pub fn new(
        prefix: &'static str,
        vars: impl IntoIterator<Item = (String, String)>,
        defaults: &serde_json::Value,
    ) -> EnvVars {
        let mut values = Dict::new();
        let mut unknown = Vec::new();
        let mut vars: Vec<(String, String)> = vars.into_iter().collect();
        vars.sort();
        for (name, raw) in vars {
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            let Some(default) = lookup(defaults, &path) else {
                unknown.push(name);
                continue;
            };
            // Kept as text, which the lossy extraction turns into the number or bool
            // the setting wants, and leaves as text for a string (a numeric password
            // stays a string). Only a list is parsed here: `["a", "b"]`.
            let value = if raw.trim_start().starts_with('[') && !default.is_string() {
                raw.parse::<Value>().unwrap_or_else(|_| Value::from(raw))
            } else {
                Value::from(raw)
            };
            insert(&mut values, &path, value);
        }
        EnvVars {
            prefix,
            values,
            unknown,
        }
    }

    /// The variables that named no setting.
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        self.unknown
            .iter()
            .map(|name| ConfigWarning::UnknownEnv { name: name.clone() })
            .collect()
    }
}

fn lookup<'a>(node: &'a serde_json::Value, path: &[String]) -> Option<&'a serde_json::Value> {
    path.iter()
        .try_fold(node, |node, part| node.get(part.as_str()))
}

fn insert(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry(first.clone())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        let prefix = self.prefix;
        // Errors name the variable, as the user wrote it.
        Metadata::named("environment variable").interpolater(move |_, keys| {
            let keys: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
            format!("{prefix}{}", keys.join("__"))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}
