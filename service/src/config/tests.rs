use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Rpc {
    url: String,
    password: Option<String>,
    user: String,
    cookie_file: Option<PathBuf>,
}

impl Default for Rpc {
    fn default() -> Self {
        Rpc {
            url: "http://127.0.0.1:8332".into(),
            password: None,
            user: String::new(),
            cookie_file: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Demo {
    db: String,
    window_length: u32,
    exit_at_tip: bool,
    pools_file: Option<PathBuf>,
    watch: Vec<String>,
    rpc: Rpc,
}

impl Default for Demo {
    fn default() -> Self {
        Demo {
            db: "sqlite://demo.sqlite".into(),
            window_length: 144,
            exit_at_tip: false,
            pools_file: None,
            watch: Vec::new(),
            rpc: Rpc::default(),
        }
    }
}

const LAYERS: Layering = Layering {
    env_prefix: "DEMO_",
    path_keys: &["pools_file", "rpc.cookie_file"],
    db_keys: &["db"],
};

fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("c.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn defaults_then_file_then_env() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "window_length = 10\nexit_at_tip = true\n[rpc]\nuser = \"u\"\n",
    );
    let env = vars(&[
        ("DEMO_WINDOW_LENGTH", "6"),
        ("DEMO_RPC__PASSWORD", "123"),
        ("DEMO_RPC__USER", "42"),
        ("OTHER", "x"),
        ("DEMO_WATCH", r#"["00", "51"]"#),
    ]);
    let s: Demo = LAYERS.load(Some(&path), env).unwrap().settings;
    assert_eq!(s.window_length, 6, "the environment beats the file");
    assert!(s.exit_at_tip, "the file beats the defaults");
    assert_eq!(s.rpc.url, "http://127.0.0.1:8332", "defaults fill the rest");
    assert_eq!(s.rpc.user, "42", "a string setting stays a string");
    assert_eq!(
        s.rpc.password.as_deref(),
        Some("123"),
        "an unset optional string takes a number as a string"
    );
    assert_eq!(s.watch, vec!["00".to_owned(), "51".to_owned()]);
}

#[test]
fn unknown_env_is_a_warning_and_the_rest_applies() {
    let env = vars(&[
        ("DEMO_BOGUS", "1"),
        ("DEMO_RPC__NOPE", "x"),
        ("DEMO_RPC__COOKIE_FILE", "/c"),
        ("DEMO_POOLS_FILE", "rel.json"),
    ]);
    let loaded = LAYERS.load::<Demo>(None, env).unwrap();
    assert_eq!(loaded.settings.rpc.cookie_file, Some(PathBuf::from("/c")));
    assert_eq!(
        loaded.settings.pools_file,
        Some(PathBuf::from("rel.json")),
        "environment paths are kept as given"
    );
    let names: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].contains("DEMO_BOGUS"), "{names:?}");
    assert!(names[1].contains("DEMO_RPC__NOPE"), "{names:?}");
}

#[test]
fn unknown_file_key_and_wrong_types_are_errors_naming_key_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "bogus = 1\n");
    let e = LAYERS
        .load::<Demo>(Some(&path), [])
        .unwrap_err()
        .to_string();
    assert!(e.contains("bogus") && e.contains("c.toml"), "{e}");

    let env = vars(&[("DEMO_WINDOW_LENGTH", "many")]);
    let e = LAYERS.load::<Demo>(None, env).unwrap_err().to_string();
    assert!(
        e.contains("DEMO_WINDOW_LENGTH") && e.contains("many"),
        "names the variable and the value: {e}"
    );

    let path = file(dir.path(), "window_length = \"x\"\n");
    let e = LAYERS
        .load::<Demo>(Some(&path), [])
        .unwrap_err()
        .to_string();
    assert!(e.contains("window_length") && e.contains("c.toml"), "{e}");

    let missing = dir.path().join("missing.toml");
    let e = LAYERS.load::<Demo>(Some(&missing), []).unwrap_err();
    assert!(matches!(e, ConfigError::Read(p, _) if p == missing));
}

#[test]
fn file_paths_resolve_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "db = \"sqlite://data/idx.sqlite?mode=rwc\"\npools_file = \"pools.json\"\n\
         [rpc]\ncookie_file = \"../node/.cookie\"\n",
    );
    let s: Demo = LAYERS.load(Some(&path), []).unwrap().settings;
    let base = dir.path();
    assert_eq!(
        s.db,
        format!(
            "sqlite://{}",
            base.join("data/idx.sqlite?mode=rwc").display()
        )
    );
    assert_eq!(s.pools_file, Some(base.join("pools.json")));
    assert_eq!(s.rpc.cookie_file, Some(base.join("../node/.cookie")));

    // Absolute paths, in-memory databases and other schemes are kept.
    let path = file(
        dir.path(),
        "db = \"sqlite::memory:\"\npools_file = \"/abs/pools.json\"\n",
    );
    let s: Demo = LAYERS.load(Some(&path), []).unwrap().settings;
    assert_eq!(s.db, "sqlite::memory:");
    assert_eq!(s.pools_file, Some(PathBuf::from("/abs/pools.json")));
    let path = file(dir.path(), "db = \"postgres://u@h/db\"\n");
    let s: Demo = LAYERS.load(Some(&path), []).unwrap().settings;
    assert_eq!(s.db, "postgres://u@h/db");

    // A path the environment overrides is the environment's, unresolved.
    let path = file(dir.path(), "pools_file = \"pools.json\"\n");
    let env = vars(&[("DEMO_POOLS_FILE", "rel.json")]);
    let s: Demo = LAYERS.load(Some(&path), env).unwrap().settings;
    assert_eq!(s.pools_file, Some(PathBuf::from("rel.json")));
}
