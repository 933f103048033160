//! Payouts in ordinary transactions: outputs of non-coinbase transactions that pay a
//! watched script.
//!
//! Most miners are paid by FPPS pools in a daily ordinary transaction, not in the
//! coinbase, and a miner may top a delivery up with a transaction of its own. Decoding
//! every transaction of every block to find those would throw away the coinbase-only hot
//! path ([`crate::coinbase`]), so the follower asks the source for the block's BIP158
//! basic filter first and decodes the whole block only when the filter matches a watched
//! script (a false positive costs one block fetch, with probability 1/784,931 per script
//! and block). A block whose coinbase pays a watched script matches too, since a filter
//! does not say which transaction matched, so it is read whole as well: on mainnet, the
//! blocks a coinbase-paying pool finds for that Silica.
//!
//! Bitcoin Core serves filters that hold every output script and every spent script
//! (`getblockfilter`, REST `blockfilter`) when it runs `-blockfilterindex=1`; the regtest
//! generator and the devnet's bitcoind serve [`output_filter`], the same Golomb-coded set
//! over the output scripts only (they keep no UTXO set, and only outputs pay anyway). A
//! source with no filter index (a `blk*.dat` directory, a node without the index) has
//! the follower read the whole block at every height a watched script may be paid:
//! computing a filter there would cost twice the decode it saves (`cargo bench -p
//! alkahest-indexer`, mainnet block 702,861: filter from the block 3,074 µs, decode and
//! scan 1,583 µs, matching a served filter 47 µs, coinbase-only parse 0.48 µs).

use std::collections::HashSet;

use bitcoin::bip158::{BlockFilter, BlockFilterWriter};
use bitcoin::consensus::encode::{deserialize_partial, VarInt};
use bitcoin::{Amount, Block, BlockHash, ScriptBuf, Txid};

use crate::types::Height;

/// One output of a non-coinbase transaction paying a watched script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxPayment {
    /// The paying transaction's id.
    pub txid: Txid,
    /// Its position in the block (never 0: the coinbase is indexed apart).
    pub tx_index: u32,
    /// The output's index in the transaction.
    pub vout: u32,
    /// Sats paid.
    pub value: Amount,
    /// The watched script it pays.
    pub script_pubkey: ScriptBuf,
}

/// A stored [`TxPayment`] with the height of its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// The block's height.
    pub height: Height,
    /// The payment.
    pub payment: TxPayment,
}

/// Builds the BIP158 basic filter of `block` over its output scripts (empty and
/// `OP_RETURN` scripts excluded, as BIP158 says); see the module docs for why the spent
/// scripts are left out.
pub fn output_filter(block: &Block) -> BlockFilter {
    let mut content = Vec::new();
    let mut writer = BlockFilterWriter::new(&mut content, block);
    writer.add_output_scripts();
    // Writing to a Vec cannot fail.
    let _ = writer.finish();
    BlockFilter::new(&content)
}

/// Whether `filter` (of the block `hash`) may hold one of `scripts`. A filter that does
/// not decode answers true, so a corrupt filter costs a block fetch, never a payment.
pub fn may_pay(filter: &BlockFilter, hash: &BlockHash, scripts: &[ScriptBuf]) -> bool {
    if scripts.is_empty() {
        return false;
    }
    // rust-bitcoin reads an undecodable element count as an empty filter (no match), so
    // the count is checked here first.
    if deserialize_partial::<VarInt>(&filter.content).is_err() {
        return true;
    }
    filter
        .match_any(hash, scripts.iter().map(|s| s.as_bytes()))
        .unwrap_or(true)
}

/// Returns the outputs of `block`'s non-coinbase transactions that pay one of `watched`,
/// in block order.
pub fn payments_in(block: &Block, watched: &HashSet<ScriptBuf>) -> Vec<TxPayment> {
    let mut found = Vec::new();
    for (i, tx) in block.txdata.iter().enumerate().skip(1) {
        let mut txid = None;
        for (vout, out) in tx.output.iter().enumerate() {
            if watched.contains(&out.script_pubkey) {
                found.push(TxPayment {
                    txid: *txid.get_or_insert_with(|| tx.compute_txid()),
                    tx_index: i as u32,
                    vout: vout as u32,
                    value: out.value,
                    script_pubkey: out.script_pubkey.clone(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::regtest::{payment_tx, ChainBuilder, CoinbaseSpec};
    use bitcoin::hashes::Hash;
    use bitcoin::{Transaction, TxOut};

    fn pay(to: &ScriptBuf, value: u64, seed: u8) -> Transaction {
        let out = |value, script_pubkey| TxOut {
            value: Amount::from_sat(value),
            script_pubkey,
        };
        payment_tx(
            &[seed],
            vec![
                out(5, ScriptBuf::from_bytes(vec![0x51])),
                out(value, to.clone()),
            ],
        )
    }

    fn script(b: u8) -> ScriptBuf {
        let mut s = vec![0x00, 0x14];
        s.extend([b; 20]);
        ScriptBuf::from_bytes(s)
    }

    #[test]
    fn the_filter_finds_ordinary_payments_and_only_them_are_returned() {
        let (watched, other, coinbase_payee) = (script(1), script(2), script(3));
        let mut chain = ChainBuilder::new();
        let spec = CoinbaseSpec::default()
            .pay(coinbase_payee.clone(), Amount::from_sat(7))
            .with_txs(vec![pay(&watched, 900, 1), pay(&other, 400, 2)]);
        let hash = chain.mine_on_tip(&spec).unwrap();
        let block = chain.block(&hash).unwrap().clone();
        let filter = output_filter(&block);
        assert!(may_pay(&filter, &hash, std::slice::from_ref(&watched)));
        assert!(may_pay(&filter, &hash, std::slice::from_ref(&other)));
        // The coinbase's outputs are in the filter too: the coinbase is a transaction.
        assert!(may_pay(
            &filter,
            &hash,
            std::slice::from_ref(&coinbase_payee)
        ));
        assert!(!may_pay(&filter, &hash, &[script(9)]));
        assert!(!may_pay(&filter, &hash, &[]));
        // Queried under another block's hash the filter's keys differ.
        let other_hash = chain.mine_on_tip(&CoinbaseSpec::default()).unwrap();
        assert!(!may_pay(
            &filter,
            &other_hash,
            std::slice::from_ref(&watched)
        ));

        let set: HashSet<ScriptBuf> = [watched.clone(), coinbase_payee].into_iter().collect();
        let found = payments_in(&block, &set);
        assert_eq!(
            found,
            vec![TxPayment {
                txid: block.txdata[1].compute_txid(),
                tx_index: 1,
                vout: 1,
                value: Amount::from_sat(900),
                script_pubkey: watched,
            }],
            "the coinbase's payout is indexed by the hot path, not here"
        );
    }

    #[test]
    fn a_corrupt_filter_means_fetch_the_block() {
        let hash = BlockHash::all_zeros();
        // An element count that does not decode, and a count of 3 with no elements.
        assert!(may_pay(&BlockFilter::new(&[0xff]), &hash, &[script(1)]));
        assert!(may_pay(&BlockFilter::new(&[0x03]), &hash, &[script(1)]));
        // A well-formed empty filter matches nothing.
        assert!(!may_pay(&BlockFilter::new(&[0x00]), &hash, &[script(1)]));
    }
}
