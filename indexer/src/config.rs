//! Settings: built-in defaults, then an optional TOML file, then `INDEXER_`-prefixed
//! environment variables (`__` separates nesting: `INDEXER_RPC__URL`), then command-line
//! flags applied by the binary, and only then [`Settings::validate`], so a flag can
//! complete what a layer below left invalid. The layering is the one every Alkahest
//! binary shares ([`alkahest_service::config`]); this module only says which keys hold
//! paths. Every key is documented in `indexer/README.md` and in
//! `indexer/config/indexer.example.toml`. Secrets (the RPC password) are accepted from
//! the file or the environment only, never from flags.
//!
//! Relative paths in the file (`pools_file`, `blk.dir`, `rpc.cookie_file`, a `sqlite://`
//! database) are relative to the file's directory, not to wherever the indexer is
//! started. An `INDEXER_` variable that names no setting is reported as a warning, since
//! the environment is shared with other programs.

use std::path::{Path, PathBuf};

use alkahest_service::config::Layering;

use bitcoin::Network;
use serde::{Deserialize, Serialize};

use alkahest_protocol::index::WorkModel;

use crate::types::{Height, WindowSpec};

/// The environment prefix.
pub const ENV_PREFIX: &str = "INDEXER_";

pub use alkahest_service::config::{ConfigError, ConfigWarning};

/// How the indexer's settings are layered: its prefix and the keys holding paths.
pub const LAYERS: Layering = Layering {
    env_prefix: ENV_PREFIX,
    path_keys: &["pools_file", "blk.dir", "rpc.cookie_file"],
    db_keys: &["db"],
};

/// Which block source to use (also a command-line value: `--source rpc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Bitcoin Core JSON-RPC.
    #[default]
    Rpc,
    /// Bitcoin Core REST.
    Rest,
    /// A `blk*.dat` directory.
    Blk,
    /// The built-in regtest generator.
    Regtest,
}

/// Bitcoin Core RPC settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcSettings {
    /// RPC URL.
    pub url: String,
    /// Cookie file; used when set.
    pub cookie_file: Option<PathBuf>,
    /// RPC user, with `password`.
    pub user: Option<String>,
    /// RPC password (file or environment only).
    pub password: Option<String>,
}

impl Default for RpcSettings {
    fn default() -> Self {
        RpcSettings {
            url: "http://127.0.0.1:8332".into(),
            cookie_file: None,
            user: None,
            password: None,
        }
    }
}

/// Bitcoin Core REST settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestSettings {
    /// Base URL of a node started with `-rest=1`.
    pub url: String,
    /// Blocks fetched in parallel.
    pub parallel: usize,
}

impl Default for RestSettings {
    fn default() -> Self {
        // electrs also fetches 10 blocks at a time (research/indexers.md).
        RestSettings {
            url: "http://127.0.0.1:8332".into(),
            parallel: 10,
        }
    }
}

/// blk directory settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlkSettings {
    /// The `blocks/` directory.
    pub dir: Option<PathBuf>,
}

/// Regtest generator settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegtestSettings {
    /// Blocks to generate before indexing.
    pub blocks: u32,
    /// Hex scriptPubKeys each block pays, with `payout_sats`.
    pub payout_scripts: Vec<String>,
    /// Sats each payout script receives per block.
    pub payout_sats: u64,
    /// Fees each block claims (see the generator's docs).
    pub fees_sats: u64,
}

/// All indexer settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Database URL: `sqlite://path` or `postgres://…`.
    pub db: String,
    /// `bitcoin`, `testnet`, `signet` or `regtest`.
    pub network: Network,
    /// Which source to read.
    pub source: SourceKind,
    /// First height to index on an empty database.
    pub start_height: u32,
    /// First height of window 0.
    pub window_origin: u32,
    /// Blocks per window.
    pub window_length: u32,
    /// Path to `pools-v2.json`; no pool identification when unset.
    pub pools_file: Option<PathBuf>,
    /// Blocks per transaction while backfilling.
    pub batch_size: u32,
    /// Tip polling interval in milliseconds.
    pub poll_interval_ms: u64,
    /// Exit once the source's tip is reached instead of polling.
    pub exit_at_tip: bool,
    /// Bitcoin Core's `-zmqpubhashblock` endpoint; wakes the follower early when set.
    pub zmq_hashblock: Option<String>,
    /// Hex scriptPubKeys or addresses to watch for deliveries.
    pub watch: Vec<String>,
    /// Count every block's work as a block at this difficulty instead of its header's
    /// (the devnet: regtest headers have trivial work). Unset on real networks. The
    /// window index is computed with it, and a signer signs with it.
    pub simulated_difficulty: Option<u64>,
    /// RPC settings.
    pub rpc: RpcSettings,
    /// REST settings.
    pub rest: RestSettings,
    /// blk settings.
    pub blk: BlkSettings,
    /// Regtest generator settings.
    pub regtest: RegtestSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            db: "sqlite://indexer.sqlite".into(),
            network: Network::Bitcoin,
            source: SourceKind::Rpc,
            start_height: 0,
            window_origin: 0,
            window_length: crate::types::MAINNET_WINDOW_LENGTH,
            pools_file: None,
            batch_size: 100,
            poll_interval_ms: 5_000,
            exit_at_tip: false,
            zmq_hashblock: None,
            watch: Vec::new(),
            simulated_difficulty: None,
            rpc: RpcSettings::default(),
            rest: RestSettings::default(),
            blk: BlkSettings::default(),
            regtest: RegtestSettings::default(),
        }
    }
}

impl Settings {
    /// Loads defaults, then `file` when given, then the environment `vars` (pass
    /// `std::env::vars()`), logging a warning for each `INDEXER_` variable that names
    /// no setting. The caller applies its own overrides (flags), then calls
    /// [`Settings::validate`].
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an unreadable or invalid file or a value of the wrong type.
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        LAYERS.load_logged(file, vars)
    }

    /// As [`Settings::load`], returning the warnings instead of logging them.
    ///
    /// # Errors
    ///
    /// As [`Settings::load`].
    pub fn load_with_warnings(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Settings, Vec<ConfigWarning>), ConfigError> {
        let loaded = LAYERS.load(file, vars)?;
        Ok((loaded.settings, loaded.warnings))
    }

    /// Checks ranges and combinations.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Value`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.window_length == 0 {
            return Err(ConfigError::value(
                "window_length",
                self.window_length,
                "must be at least 1",
            ));
        }
        if self.batch_size == 0 {
            return Err(ConfigError::value(
                "batch_size",
                self.batch_size,
                "must be at least 1",
            ));
        }
        if self.simulated_difficulty == Some(0) {
            return Err(ConfigError::value(
                "simulated_difficulty",
                0,
                "must be at least 1 (or unset for header work)",
            ));
        }
        if self.source == SourceKind::Blk && self.blk.dir.is_none() {
            return Err(ConfigError::value(
                "blk.dir",
                &self.blk.dir,
                "required with source = blk",
            ));
        }
        Ok(())
    }

    /// How block work is counted: header work, or the simulated difficulty.
    pub fn work_model(&self) -> WorkModel {
        self.simulated_difficulty
            .map_or(WorkModel::Header, WorkModel::SimulatedDifficulty)
    }

    /// Returns the window settings.
    pub fn window_spec(&self) -> WindowSpec {
        WindowSpec {
            origin: Height(self.window_origin),
            length: self.window_length,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_nests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "db = \"sqlite://a\"\nwindow_length = 10\n[rpc]\nuser = \"u\"\n",
        )
        .unwrap();
        let vars = [
            ("INDEXER_WINDOW_LENGTH".to_owned(), "6".to_owned()),
            ("INDEXER_RPC__PASSWORD".to_owned(), "123".to_owned()),
            ("INDEXER_NETWORK".to_owned(), "regtest".to_owned()),
            ("OTHER".to_owned(), "x".to_owned()),
            ("INDEXER_WATCH".to_owned(), r#"["00", "51"]"#.to_owned()),
        ];
        let s = Settings::load(Some(&path), vars).unwrap();
        assert_eq!(
            s.db,
            format!("sqlite://{}", dir.path().join("a").display()),
            "relative to the file"
        );
        assert_eq!(s.window_length, 6);
        assert_eq!(s.rpc.user.as_deref(), Some("u"));
        assert_eq!(
            s.rpc.password.as_deref(),
            Some("123"),
            "passwords stay strings"
        );
        assert_eq!(s.network, Network::Regtest);
        assert_eq!(s.watch, vec!["00".to_owned(), "51".to_owned()]);
    }

    #[test]
    fn example_config_parses() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/indexer.example.toml"
        ));
        let s = Settings::load(Some(path), []).unwrap();
        assert_eq!(s.window_length, 144);
        assert_eq!(s.source, SourceKind::Rpc);
        assert_eq!(s.rest.parallel, 10);
        let pools = s.pools_file.unwrap();
        assert!(pools.ends_with("pools-v2.json"));
        assert!(
            pools.starts_with(path.parent().unwrap()),
            "relative to the file: {}",
            pools.display()
        );
    }

    #[test]
    fn rejects_zero_window_and_unknown_file_keys() {
        let vars = [("INDEXER_WINDOW_LENGTH".to_owned(), "0".to_owned())];
        assert!(matches!(
            Settings::load(None, vars).unwrap().validate(),
            Err(ConfigError::Value {
                key: "window_length",
                ..
            })
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bogus = 1\n").unwrap();
        assert!(matches!(
            Settings::load(Some(&path), []),
            Err(ConfigError::Invalid(_))
        ));
    }

    /// An unknown `INDEXER_` variable is a warning naming it; the known ones still
    /// apply, nested keys included.
    #[test]
    fn unknown_env_var_is_a_warning() {
        let vars = [
            ("INDEXER_BOGUS".to_owned(), "1".to_owned()),
            ("INDEXER_RPC__NOPE".to_owned(), "x".to_owned()),
            ("INDEXER_RPC__COOKIE_FILE".to_owned(), "/c".to_owned()),
            ("INDEXER_POOLS_FILE".to_owned(), "/p.json".to_owned()),
            ("INDEXER_BATCH_SIZE".to_owned(), "9".to_owned()),
        ];
        let (s, warnings) = Settings::load_with_warnings(None, vars).unwrap();
        assert_eq!(s.batch_size, 9);
        assert_eq!(s.rpc.cookie_file, Some(PathBuf::from("/c")));
        assert_eq!(s.pools_file, Some(PathBuf::from("/p.json")));
        let names: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].contains("INDEXER_BOGUS"), "{names:?}");
        assert!(names[1].contains("INDEXER_RPC__NOPE"), "{names:?}");
    }

    /// Validation runs on the merged layers, so a later layer can complete an earlier
    /// one: `source = blk` from the environment, the directory set afterwards.
    #[test]
    fn validation_waits_for_all_layers() {
        let vars = [("INDEXER_SOURCE".to_owned(), "blk".to_owned())];
        let mut s = Settings::load(None, vars).unwrap();
        assert!(matches!(
            s.validate(),
            Err(ConfigError::Value { key: "blk.dir", .. })
        ));
        s.blk.dir = Some(PathBuf::from("/blocks"));
        s.validate().unwrap();
    }

    /// The indexer's path keys resolve against the file (how is alkahest-service's,
    /// tested there): the database, the pools file, the blk directory and the cookie.
    #[test]
    fn its_path_keys_resolve_against_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "db = \"sqlite://i.sqlite\"\npools_file = \"p.json\"\n\
             [blk]\ndir = \"b\"\n[rpc]\ncookie_file = \"c\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), []).unwrap();
        let base = dir.path();
        assert_eq!(
            s.db,
            format!("sqlite://{}", base.join("i.sqlite").display())
        );
        assert_eq!(
            (s.pools_file, s.blk.dir, s.rpc.cookie_file),
            (
                Some(base.join("p.json")),
                Some(base.join("b")),
                Some(base.join("c"))
            )
        );
    }
}
