//! The checked-in equivalent-mutant list stays true to the contracts: every entry names
//! a mutant `clarity-mutants` generates today, with a reason. (Whether each mutant is
//! really killed is the tool's job, run as documented in docs/mutation.md; this check
//! is cheap enough for every `cargo test`.)

use alkahest_clarity::manifest::{workspace_root, OVERRIDE_VAR};
use alkahest_clarity::mutation::{equivalents, mutants};
use alkahest_clarity::Manifest;

#[test]
fn every_equivalent_entry_names_a_current_mutant() {
    // Under a mutant the mutated source no longer has that mutant's key.
    if std::env::var_os(OVERRIDE_VAR).is_some() {
        return;
    }
    let manifest = Manifest::workspace().unwrap();
    let mut keys = std::collections::BTreeSet::new();
    for c in &manifest.contracts {
        keys.extend(mutants(&c.name, &c.source).unwrap().iter().map(|m| m.key()));
    }
    assert!(
        keys.len() > 300,
        "the contracts have hundreds of guards, found {}",
        keys.len()
    );
    let listed = equivalents(&workspace_root()).unwrap();
    let stale: Vec<_> = listed.keys().filter(|k| !keys.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "equivalent entries that match no mutant: {stale:#?}"
    );
}
