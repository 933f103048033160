//! Bitcoin blocks built in Rust for the `btc-proof` and `silica-proof` tests: coinbases
//! with their BIP34 height, spends, blocks with a real Merkle root, and the burn chain
//! set to carry them. Proof of work is not checked by the contracts (the Stacks node
//! did), so the headers need none.

use alkahest_clarity::values::{buff, list, uint};
use alkahest_clarity::{Receipt, Simnet, Value};
use alkahest_protocol::spv::{bip34_push, display_hash, merkle_root, sha256d, BlockProof};
use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};

/// Mainnet-like bits (about 2013's difficulty): work 2^96 / 0x03a30c per block.
pub const BITS: u32 = 0x1703_a30c;

/// A coinbase of `height` with `outputs`; `segwit` adds the witness reserved value.
pub fn coinbase_tx(height: u32, outputs: Vec<TxOut>, segwit: bool) -> Transaction {
    let mut sig = bip34_push(height);
    sig.extend_from_slice(b"/alkahest test/");
    let mut witness = Witness::new();
    if segwit {
        witness.push([0u8; 32]);
    }
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(sig),
            sequence: Sequence::MAX,
            witness,
        }],
        output: outputs,
    }
}

/// A transaction spending `inputs` made-up outpoints (distinct per `seed`).
pub fn spend(seed: u32, inputs: usize, outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: LockTime::ZERO,
        input: (0..inputs)
            .map(|i| TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array(sha256d(
                        &[seed.to_le_bytes(), (i as u32).to_le_bytes()].concat(),
                    )),
                    vout: i as u32,
                },
                script_sig: ScriptBuf::from_bytes(vec![0x51; 3]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

pub fn out(sats: u64, script: &[u8]) -> TxOut {
    TxOut {
        value: Amount::from_sat(sats),
        script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
    }
}

/// A block of `txdata` with their Merkle root; `prev` chains it.
pub fn block_of(txdata: Vec<Transaction>, bits: u32) -> Block {
    let txids: Vec<[u8; 32]> = txdata
        .iter()
        .map(|t| t.compute_txid().to_byte_array())
        .collect();
    let root = merkle_root(&txids).expect("at least the coinbase");
    Block {
        header: Header {
            version: Version::TWO,
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::from_byte_array(root),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(bits),
            nonce: 7,
        },
        txdata,
    }
}

/// Makes `block` the burn chain's block at `height` (visible once the tip passes it).
pub fn put_block(sim: &mut Simnet, height: u32, block: &Block) {
    sim.set_burn_header_hash(height, display_hash(block.block_hash().to_byte_array()));
}

/// A simnet whose burn chain carries `blocks` and has passed them all.
pub fn chain_with(blocks: &[(u32, &Block)]) -> Simnet {
    let mut sim = Simnet::bare();
    for (height, block) in blocks {
        put_block(&mut sim, *height, block);
    }
    let top = u128::from(blocks.iter().map(|(h, _)| *h).max().unwrap_or(0));
    // The first block mined on a fresh chain leaves the burn height where it was.
    while sim.burn_block_height() <= top {
        let tip = sim.burn_block_height();
        sim.mine((top + 1 - tip) as u32);
    }
    sim
}

/// A Merkle branch as the contracts take it.
pub fn branch(hashes: &[[u8; 32]]) -> Value {
    list(hashes.iter().map(|h| buff(h)).collect())
}

/// btc-proof's `verify-coinbase` of `p` at `height`, summing payments to `script`.
pub fn verify_coinbase(sim: &mut Simnet, height: u32, p: &BlockProof, script: &[u8]) -> Receipt {
    let caller = sim.account("wallet_1");
    sim.call(
        "btc-proof",
        "verify-coinbase",
        &[
            uint(height.into()),
            buff(&p.header),
            buff(&p.coinbase),
            branch(&p.coinbase_branch),
            buff(script),
        ],
        &caller,
    )
}
