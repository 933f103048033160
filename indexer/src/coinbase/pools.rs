//! Mining-pool identification from mempool.space's `pools-v2.json`.
//!
//! Matching is mempool.space's `PoolsParser.matchBlockMiner`
//! (`backend/src/api/pools-parser.ts` in github.com/mempool/mempool, called from
//! `$findBlockMiner` in `backend/src/api/blocks.ts`): pools are tried in array order,
//! and for each pool first its addresses against the coinbase output addresses, then
//! each of its tags as a case-insensitive regex against the scriptSig decoded one byte
//! per character (`hex2ascii`). The first pool with either match wins, so an earlier
//! pool's tag beats a later pool's address.

use std::path::{Path, PathBuf};

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::types::PoolId;

use super::CoinbaseBlock;

/// Why the pools file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PoolLoadError {
    /// The file could not be read.
    #[error("cannot read pools file {0}")]
    Read(PathBuf, #[source] std::io::Error),
    /// The file is not a JSON array of pools.
    #[error("pools file {0} is not a pools-v2.json array")]
    Json(PathBuf, #[source] serde_json::Error),
}

#[derive(Deserialize)]
struct RawPool {
    id: u32,
    name: String,
    #[serde(default)]
    addresses: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    link: String,
}

/// One pool entry.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The pool's id in the file.
    pub id: PoolId,
    /// The display name.
    pub name: String,
    /// The pool's web site.
    pub link: String,
    /// Payout addresses that identify the pool.
    pub addresses: Vec<String>,
    tags: Vec<Regex>,
}

/// The pools list, in file order.
#[derive(Debug, Clone, Default)]
pub struct PoolSet {
    pools: Vec<Pool>,
}

impl PoolSet {
    /// Loads `pools-v2.json` from `path`.
    ///
    /// # Errors
    ///
    /// [`PoolLoadError`] when the file is unreadable or not the expected JSON.
    pub fn load(path: &Path) -> Result<PoolSet, PoolLoadError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| PoolLoadError::Read(path.to_owned(), e))?;
        PoolSet::from_json(&text).map_err(|e| PoolLoadError::Json(path.to_owned(), e))
    }

    /// Parses the JSON text of a pools-v2 file.
    ///
    /// # Errors
    ///
    /// The JSON error when the text is not an array of pools.
    pub fn from_json(text: &str) -> Result<PoolSet, serde_json::Error> {
        let raw: Vec<RawPool> = serde_json::from_str(text)?;
        let pools = raw
            .into_iter()
            .map(|p| Pool {
                id: PoolId(p.id),
                name: p.name,
                link: p.link,
                addresses: p.addresses,
                tags: p.tags.iter().map(|t| compile_tag(t)).collect(),
            })
            .collect();
        Ok(PoolSet { pools })
    }

    /// Returns the pools in file order.
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Returns the number of pools.
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Returns true when no pools are loaded.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Identifies the pool of a block as mempool.space does (see the module docs).
    pub fn identify(&self, block: &CoinbaseBlock) -> Option<&Pool> {
        let addresses: Vec<&str> = block
            .outputs
            .iter()
            .filter_map(|o| o.address.as_deref())
            .collect();
        self.identify_parts(&addresses, block.script_sig.as_bytes())
    }

    /// Identifies a pool from output addresses and a raw scriptSig: the first pool, in
    /// file order, listing one of `addresses` or having a tag that matches the
    /// scriptSig. This is the loop of mempool.space's `PoolsParser.matchBlockMiner`
    /// (`backend/src/api/pools-parser.ts`): per pool, addresses then regexes.
    pub fn identify_parts(&self, addresses: &[&str], script_sig: &[u8]) -> Option<&Pool> {
        // One char per byte, as mempool.space's `transactionUtils.hex2ascii` does.
        let text: String = script_sig.iter().map(|b| char::from(*b)).collect();
        self.pools.iter().find(|p| {
            p.addresses.iter().any(|a| addresses.contains(&a.as_str()))
                || p.tags.iter().any(|t| t.is_match(&text))
        })
    }
}

/// Compiles a tag as a case-insensitive regex (`new RegExp(tag, 'i')` in mempool.space);
/// a tag that is not a valid regex here is matched literally rather than failing the
/// whole pools file.
fn compile_tag(tag: &str) -> Regex {
    RegexBuilder::new(tag)
        .case_insensitive(true)
        .build()
        .or_else(|_| {
            RegexBuilder::new(&regex::escape(tag))
                .case_insensitive(true)
                .build()
        })
        .expect("an escaped literal is always a valid regex")
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"[
        {"id": 1, "name": "Dotty", "addresses": [], "tags": ["OCEAN.XYZ"], "link": ""},
        {"id": 2, "name": "Addr", "addresses": ["1PzVut5X6Nx7Mv4JHHKPtVM9Jr9LJ4Rbry"], "tags": ["/addr/"], "link": ""},
        {"id": 3, "name": "Later", "addresses": [], "tags": ["ocean"], "link": ""}
    ]"#;

    #[test]
    fn earlier_pool_wins_whether_by_tag_or_address() {
        let set = PoolSet::from_json(JSON).unwrap();
        // Pool 1's tag comes before pool 2's address, as in mempool.space.
        let p = set
            .identify_parts(&["1PzVut5X6Nx7Mv4JHHKPtVM9Jr9LJ4Rbry"], b"ocean.xyz")
            .unwrap();
        assert_eq!(p.id, PoolId(1));
        // Pool 2's address comes before pool 3's tag.
        let p = set
            .identify_parts(&["1PzVut5X6Nx7Mv4JHHKPtVM9Jr9LJ4Rbry"], b"ocean")
            .unwrap();
        assert_eq!(p.id, PoolId(2));
        let p = set.identify_parts(&[], b"\x03abcOcean-xyz").unwrap();
        assert_eq!(p.id, PoolId(1), "the dot is a wildcard and case is ignored");
        let p = set.identify_parts(&[], b"ocean").unwrap();
        assert_eq!(p.id, PoolId(3));
        assert!(set.identify_parts(&[], b"nothing").is_none());
    }

    #[test]
    fn invalid_regex_tag_matches_literally() {
        let set = PoolSet::from_json(r#"[{"id": 9, "name": "x", "tags": ["a(b"]}]"#).unwrap();
        assert!(set.identify_parts(&[], b"..A(B..").is_some());
    }
}
