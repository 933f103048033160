//! Every `ERR_*` constant of every manifest contract is named by at least one test
//! (tests look codes up by name, so a name that appears nowhere was never exercised),
//! and error codes are unique across contracts, each inside its contract's block.

use std::collections::BTreeMap;

use alkahest_clarity::Manifest;

fn test_sources() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut all = String::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("error_coverage.rs")
            {
                all.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    all
}

#[test]
fn every_error_code_is_exercised_by_name_and_codes_are_unique() {
    let manifest = Manifest::workspace().unwrap();
    let tests = test_sources();
    let mut owner: BTreeMap<u128, String> = BTreeMap::new();
    let mut missing = Vec::new();
    for c in &manifest.contracts {
        for (name, &code) in &c.error_codes {
            if let Some(prev) = owner.insert(code, format!("{}::{name}", c.name)) {
                panic!(
                    "error code u{code} is used by both {prev} and {}::{name}",
                    c.name
                );
            }
            if !tests.contains(&format!("\"{name}\"")) {
                missing.push(format!("{}::{name}", c.name));
            }
        }
    }
    assert!(missing.is_empty(), "error codes no test names: {missing:?}");
    assert!(owner.len() > 30, "expected the foundation's codes at least");
}
