use std::path::Path;

use super::*;

#[test]
fn example_config_parses_and_validates() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/signer.example.toml"
    ));
    let s: Settings = LAYERS.load(Some(path), []).unwrap().settings;
    s.validate().unwrap();
    assert_eq!(s.threshold, 2);
    assert_eq!(s.peer_list().unwrap().len(), 2);
    assert_eq!(s.indexer.window_length, 144);
    assert_eq!(s.indexer.source, alkahest_indexer::config::SourceKind::Rpc);
    assert!(
        s.key_file.starts_with(path.parent().unwrap()),
        "the key file is relative to the config file: {}",
        s.key_file.display()
    );
    assert!(
        s.indexer
            .db
            .contains(&path.parent().unwrap().display().to_string()),
        "{}",
        s.indexer.db
    );
    assert_eq!(s.own_url(), "http://signer-a.example:18001");
    assert_eq!(
        s.indexer.work_model(),
        alkahest_protocol::index::WorkModel::Header
    );
}

#[test]
fn environment_reaches_nested_indexer_settings() {
    let vars = [
        ("SIGNER_INDEXER__DB", "sqlite://other.sqlite"),
        ("SIGNER_INDEXER__RPC__PASSWORD", "12345"),
        ("SIGNER_THRESHOLD", "1"),
        (
            "SIGNER_DEPLOYER",
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let s: Settings = LAYERS.load(None, vars).unwrap().settings;
    assert_eq!(s.indexer.db, "sqlite://other.sqlite");
    assert_eq!(s.indexer.rpc.password.as_deref(), Some("12345"));
    assert_eq!(s.threshold, 1);
    s.validate().unwrap();
}

/// Each rule of `validate` refuses, naming its key.
#[test]
fn validation_names_the_bad_key() {
    let good = || Settings {
        deployer: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM".into(),
        threshold: 1,
        ..Settings::default()
    };
    good().validate().unwrap();
    type Break = Box<dyn Fn(&mut Settings)>;
    let cases: Vec<(&str, Break)> = vec![
        ("listen", Box::new(|s| s.listen = "nowhere".into())),
        (
            "deployer",
            Box::new(|s| s.deployer = "SP-not-a-principal".into()),
        ),
        (
            "peers",
            Box::new(|s| {
                s.peers = vec![PeerSettings {
                    url: "http://x".into(),
                    public_key: "02ab".into(),
                }]
            }),
        ),
        ("threshold", Box::new(|s| s.threshold = 0)),
        ("threshold", Box::new(|s| s.threshold = 2)),
        ("poll_interval_ms", Box::new(|s| s.poll_interval_ms = 0)),
        ("request_timeout_ms", Box::new(|s| s.request_timeout_ms = 0)),
        (
            "simulated_difficulty",
            Box::new(|s| s.indexer.simulated_difficulty = Some(0)),
        ),
        ("window_length", Box::new(|s| s.indexer.window_length = 0)),
    ];
    for (key, break_it) in cases {
        let mut s = good();
        break_it(&mut s);
        match s.validate() {
            Err(ConfigError::Value { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: expected a refusal, got {other:?}"),
        }
    }
}
