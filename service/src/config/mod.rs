//! Settings, layered one way:
//! built-in defaults, then an optional TOML file, then `PREFIX_` environment variables
//! (`__` separates nesting: `INDEXER_RPC__URL` is `rpc.url`), then the binary's
//! command-line flags, and only then the binary's validation, so a flag can complete
//! what a lower layer left invalid.
//!
//! The merge is [figment]'s; this crate adds what every binary here needs on top and
//! would otherwise write three times:
//! - relative paths (and relative `sqlite://` URLs) written in the file resolve against
//!   the file's directory, not wherever the binary was started ([`Layering::path_keys`]);
//! - an environment variable with the prefix that names no setting is a warning, not
//!   an error, since the environment is shared with other programs, while an unknown
//!   key in the file is an error (the settings structs deny unknown fields);
//! - variables are text that becomes the number or bool a setting wants, so a numeric
//!   password stays a string (`INDEXER_RPC__PASSWORD=123`), and `[a, b]` is a list;
//! - errors name the key and the layer it came from.
//!
//! ```
//! use alkahest_service::config::Layering;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Default, Serialize, Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Settings { listen: String, workers: u32 }
//!
//! const LAYERS: Layering = Layering { env_prefix: "DEMO_", path_keys: &[], db_keys: &[] };
//! let vars = [("DEMO_WORKERS".to_owned(), "4".to_owned()), ("DEMO_NOPE".to_owned(), "x".to_owned())];
//! let loaded = LAYERS.load::<Settings>(None, vars).unwrap();
//! assert_eq!(loaded.settings.workers, 4);
//! assert!(loaded.warnings[0].to_string().contains("DEMO_NOPE"));
//! ```

mod env;

use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::{Figment, Source};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use env::EnvVars;

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {0}")]
    Read(PathBuf, #[source] std::io::Error),
    /// A layer does not fit the settings: a value of the wrong type, an unknown key in
    /// the file, invalid TOML. The message names the key and the layer.
    #[error("invalid settings: {0}")]
    Invalid(String),
    /// A value is out of range or inconsistent (from a binary's validation).
    #[error("invalid setting {key} = {value}: {reason}")]
    Value {
        /// The key.
        key: &'static str,
        /// The value given, as the user would write it.
        value: String,
        /// Why.
        reason: &'static str,
    },
}

impl ConfigError {
    /// A refused `value` of `key`, shown with `{:?}` (strings quoted, as in TOML).
    pub fn value(
        key: &'static str,
        value: impl std::fmt::Debug,
        reason: &'static str,
    ) -> ConfigError {
        ConfigError::Value {
            key,
            value: format!("{value:?}"),
            reason,
        }
    }
}

/// Something in the settings that was ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigWarning {
    /// A prefixed environment variable that names no setting.
    #[error("ignoring environment variable {name}: it names no setting")]
    UnknownEnv {
        /// The variable.
        name: String,
    },
}

/// Settings with what was ignored while loading them.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The merged settings.
    pub settings: T,
    /// Ignored inputs; [`Layering::load_logged`] logs them.
    pub warnings: Vec<ConfigWarning>,
}

/// How one binary's settings are layered.
#[derive(Debug, Clone, Copy)]
pub struct Layering {
    /// The environment prefix, with its underscore: `INDEXER_`.
    pub env_prefix: &'static str,
    /// Dotted keys holding file paths (`rpc.cookie_file`).
    pub path_keys: &'static [&'static str],
    /// Dotted keys holding database URLs, whose relative `sqlite://` path resolves
    /// like a path key.
    pub db_keys: &'static [&'static str],
}

impl Layering {
    /// Loads `T`'s defaults, then `file`, then the prefixed variables of `vars` (pass
    /// `std::env::vars()`). The caller applies its flags to the result, then validates.
    ///
    /// # Errors
    /// [`ConfigError::Read`] for a file that cannot be read, [`ConfigError::Invalid`]
    /// naming the key and layer of a value that does not fit.
    pub fn load<T>(
        &self,
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded<T>, ConfigError>
    where
        T: Default + Serialize + DeserializeOwned,
    {
        let defaults = serde_json::to_value(T::default())
            .map_err(|e| ConfigError::Invalid(format!("defaults: {e}")))?;
        let mut figment = Figment::from(Serialized::defaults(T::default()));
        if let Some(path) = file {
            // Read it here rather than through figment's file search, which would look
            // for a relative name in every parent directory.
            std::fs::metadata(path).map_err(|e| ConfigError::Read(path.to_owned(), e))?;
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = EnvVars::new(self.env_prefix, vars, &defaults);
        let warnings = env.warnings();
        figment = figment.merge(env);
        figment = self.resolve_relative(figment);
        let settings = figment
            .extract_lossy::<T>()
            .map_err(|e| ConfigError::Invalid(join_errors(e)))?;
        Ok(Loaded { settings, warnings })
    }

    /// [`Layering::load`], logging each warning through `tracing`.
    ///
    /// # Errors
    /// As [`Layering::load`].
    pub fn load_logged<T>(
        &self,
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<T, ConfigError>
    where
        T: Default + Serialize + DeserializeOwned,
    {
        let loaded = self.load(file, vars)?;
        for w in &loaded.warnings {
            tracing::warn!("{w}");
        }
        Ok(loaded.settings)
    }

    /// Rewrites each path and database key whose winning value came from a file and is
    /// relative, to be relative to that file's directory.
    fn resolve_relative(&self, mut figment: Figment) -> Figment {
        let keys = self
            .path_keys
            .iter()
            .map(|k| (*k, false))
            .chain(self.db_keys.iter().map(|k| (*k, true)));
        for (key, is_db) in keys {
            let Some(Source::File(file)) =
                figment.find_metadata(key).and_then(|m| m.source.clone())
            else {
                continue;
            };
            let Ok(value) = figment.extract_inner::<String>(key) else {
                continue;
            };
            let base = file.parent().unwrap_or(Path::new("."));
            let resolved = if is_db {
                resolve_sqlite_url(&value, base)
            } else if Path::new(&value).is_relative() {
                Some(base.join(&value).display().to_string())
            } else {
                None
            };
            if let Some(resolved) = resolved {
                figment = figment.merge(Serialized::default(key, resolved));
            }
        }
        figment
    }
}

/// `sqlite://rel/path?opts` relative to `base`; `None` for absolute paths, in-memory
/// databases and other schemes.
fn resolve_sqlite_url(url: &str, base: &Path) -> Option<String> {
    let path = url.strip_prefix("sqlite://")?;
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file.starts_with(':') || Path::new(file).is_absolute() {
        return None;
    }
    Some(format!("sqlite://{}", base.join(path).display()))
}

/// figment keeps every error of an extraction; show them all, each naming its key and
/// the layer (file or environment variable) it came from.
fn join_errors(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
