//! Fuzzes the coinbase hot-path parser: any input must give `Ok` or a
//! `CoinbaseParseError`, never a panic, and a successful parse must be consistent with
//! itself (a prefix ending at the coinbase parses the same).
#![no_main]

use alkahest_indexer::coinbase::{parse_coinbase, parse_coinbase_prefix, CoinbaseBlock};
use alkahest_indexer::types::Height;
use bitcoin::Network;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse_coinbase(data) {
        assert!(parsed.coinbase_end <= data.len());
        let again = parse_coinbase_prefix(&data[..parsed.coinbase_end], data.len() as u64)
            .expect("the coinbase prefix of a parsed block parses");
        assert_eq!(again, parsed);
        // Validation must not panic either, at any height.
        let _ = CoinbaseBlock::validate(parsed, Height(data.len() as u32), Network::Bitcoin);
    }
});
