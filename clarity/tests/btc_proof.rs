//! btc-proof: headers against the burn chain, Merkle inclusion with an authenticated
//! depth, coinbases with their BIP34 height, and transaction parsing, on real mainnet
//! blocks from `../shared/data` (header hashes injected through the harness's burn
//! chain at their real heights) and on blocks built here for the edge cases.
//!
//! Every figure the contract returns is compared with rust-bitcoin's reading of the same
//! bytes (txid, output sums, work, witness commitment), not with constants.

use std::io::Read;
use std::path::PathBuf;

use crate::btc_common::{
    block_of, branch, chain_with, coinbase_tx, out, spend, verify_coinbase, BITS,
};
use alkahest_clarity::values::{buff, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet, Value};
use alkahest_protocol::index::WorkModel;
use alkahest_protocol::spv::{display_hash, legacy_bytes, merkle_branch, BlockProof};
use bitcoin::absolute::LockTime;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

const C: &str = "btc-proof";

fn code(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(C, name)
}

// A test that skips says why on stderr.
#[allow(clippy::print_stderr)]
fn data(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/bitcoin")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!(
                "skipped: {} is absent (real blocks live in ../shared/data)",
                path.display()
            );
            None
        }
    }
}

fn mainnet_block(name: &str) -> Option<Block> {
    let raw = data(name)?;
    let bytes = if name.ends_with(".bz2") {
        let mut out = Vec::new();
        bzip2::read::BzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("bzip2");
        // blk framing: magic, 4-byte length, block.
        out[8..].to_vec()
    } else {
        raw
    };
    Some(deserialize(&bytes).expect("a mainnet block"))
}

fn call(sim: &mut Simnet, function: &str, args: &[Value]) -> Receipt {
    let caller = sim.account("wallet_1");
    sim.call(C, function, args, &caller)
}

fn verify_tx(
    sim: &mut Simnet,
    height: u32,
    p: &BlockProof,
    index: usize,
    depth: usize,
    script: &[u8],
) -> Receipt {
    call(
        sim,
        "verify-tx",
        &[
            uint(height.into()),
            buff(&p.header),
            buff(&p.tx),
            uint(index as u128),
            branch(&p.branch),
            uint(depth as u128),
            buff(script),
        ],
    )
}

/// The BIP141 witness commitment of a coinbase: the last output starting 6a24aa21a9ed.
fn witness_commitment(coinbase: &Transaction) -> Option<Vec<u8>> {
    coinbase
        .output
        .iter()
        .rev()
        .map(|o| o.script_pubkey.as_bytes())
        .find(|s| s.len() >= 38 && s[..6] == [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed])
        .map(|s| s[6..38].to_vec())
}

fn total(tx: &Transaction) -> u128 {
    tx.output.iter().map(|o| u128::from(o.value.to_sat())).sum()
}

fn paid_to(tx: &Transaction, script: &[u8]) -> u128 {
    tx.output
        .iter()
        .filter(|o| o.script_pubkey.as_bytes() == script)
        .map(|o| u128::from(o.value.to_sat()))
        .sum()
}

/// The first output script of `tx` short enough to be a payout script (34 bytes).
fn payee(tx: &Transaction) -> Vec<u8> {
    tx.output
        .iter()
        .map(|o| o.script_pubkey.as_bytes())
        .find(|s| s.len() <= 34)
        .unwrap_or_default()
        .to_vec()
}

/// The real-block checks: the coinbase (depth, reward, commitment, work) and a spread of
/// transactions, each equal to rust-bitcoin's reading.
fn check_real_block(sim: &mut Simnet, height: u32, block: &Block) {
    let coinbase = &block.txdata[0];
    let script = payee(coinbase);
    let p = BlockProof::coinbase(block).unwrap();
    let depth = p.coinbase_branch.len();
    assert!(1usize << depth >= block.txdata.len());
    let got = verify_coinbase(sim, height, &p, &script).expect_ok();
    assert_eq!(got.field("depth").to_uint(), depth as u128);
    assert_eq!(
        got.field("reward").to_uint(),
        total(coinbase),
        "coinbase value at {height}"
    );
    assert_eq!(got.field("paid").to_uint(), paid_to(coinbase, &script));
    assert_eq!(
        got.field("txid").to_buff(),
        coinbase.compute_txid().to_byte_array().to_vec()
    );
    assert_eq!(
        got.field("merkle-root").to_buff(),
        block.header.merkle_root.to_byte_array().to_vec()
    );
    let bits = block.header.bits.to_consensus();
    assert_eq!(got.field("bits").to_uint(), u128::from(bits));
    assert_eq!(
        got.field("commitment").to_optional().map(|v| v.to_buff()),
        witness_commitment(coinbase),
        "witness commitment at {height}"
    );
    let work = call(sim, "block-work", &[uint(bits.into())])
        .expect_ok()
        .to_uint();
    assert_eq!(
        work,
        WorkModel::Header.block_work(bits).unwrap(),
        "work of {bits:#x}"
    );

    let n = block.txdata.len();
    for index in [1, 2, n / 2, n - 2, n - 1] {
        let tx = &block.txdata[index];
        let p = BlockProof::build(block, tx.compute_txid()).unwrap();
        let script = payee(tx);
        if !p.fits_contract(block) {
            continue;
        }
        let got = verify_tx(sim, height, &p, index, depth, &script).expect_ok();
        assert_eq!(
            got.field("txid").to_buff(),
            tx.compute_txid().to_byte_array().to_vec()
        );
        assert_eq!(
            got.field("paid").to_uint(),
            paid_to(tx, &script),
            "tx {index} at {height}"
        );
        assert_eq!(got.field("total").to_uint(), total(tx));
        assert_eq!(got.field("coinbase-height").to_optional(), None);
        // Its segwit form proves the same transaction.
        let full = serialize(tx);
        if full != p.tx && full.len() <= alkahest_protocol::spv::MAX_TX_BYTES {
            let segwit = BlockProof {
                tx: full,
                ..p.clone()
            };
            let again = verify_tx(sim, height, &segwit, index, depth, &script).expect_ok();
            assert_eq!(again.field("txid"), got.field("txid"));
        }
        // The proof fixes the index.
        let wrong = if index % 2 == 0 { index + 1 } else { index - 1 };
        if wrong < n {
            verify_tx(sim, height, &p, wrong, depth, &script)
                .expect_err(code(sim, "ERR_MERKLE_MISMATCH"));
        }
    }
}

#[test]
fn real_mainnet_blocks_verify_at_their_heights() {
    let blocks: Vec<(u32, Block)> = [
        (702_861, "mainnet-702861.raw"),
        (574_200, "mainnet-574200.raw"),
        (277_647, "mainnet-277647.blk.bz2"),
    ]
    .into_iter()
    .filter_map(|(h, name)| Some((h, mainnet_block(name)?)))
    .collect();
    if blocks.is_empty() {
        return;
    }
    let refs: Vec<(u32, &Block)> = blocks.iter().map(|(h, b)| (*h, b)).collect();
    let mut sim = chain_with(&refs);
    for (height, block) in &blocks {
        check_real_block(&mut sim, *height, block);
    }
    // The segwit block's coinbase commits to its witnesses; the 2013 block's does not.
    let (_, segwit) = &blocks[0];
    assert!(witness_commitment(&segwit.txdata[0]).is_some() || blocks.len() < 3);
}

#[test]
fn a_real_header_at_another_height_is_refused() {
    let Some(block) = mainnet_block("mainnet-702861.raw") else {
        return;
    };
    // The header is the chain's at 702,861 only; at the next height it is a mismatch,
    // and past the tip there is no block to compare with.
    let mut sim = chain_with(&[(702_861, &block)]);
    let p = BlockProof::coinbase(&block).unwrap();
    let script = block.txdata[0].output[0].script_pubkey.as_bytes().to_vec();
    verify_coinbase(&mut sim, 702_860, &p, &script).expect_err(code(&sim, "ERR_HEADER_MISMATCH"));
    let tip = sim.burn_block_height() as u32;
    verify_coinbase(&mut sim, tip, &p, &script).expect_err(code(&sim, "ERR_UNKNOWN_HEIGHT"));
    // Injected at a height its coinbase does not name: the header passes, BIP34 does not.
    sim.set_burn_header_hash(702_000, display_hash(block.block_hash().to_byte_array()));
    verify_coinbase(&mut sim, 702_000, &p, &script).expect_err(code(&sim, "ERR_BIP34_HEIGHT"));
    verify_coinbase(&mut sim, 702_861, &p, &script).expect_ok();
}

/// A P2WSH-shaped payout script for the built blocks.
const PAYOUT: [u8; 34] = {
    let mut s = [0x11u8; 34];
    s[0] = 0x00;
    s[1] = 0x20;
    s
};

/// The block's txids, internal byte order.
fn txids_of(block: &Block) -> Vec<[u8; 32]> {
    block
        .txdata
        .iter()
        .map(|t| t.compute_txid().to_byte_array())
        .collect()
}

/// Block 20 of two transactions: a coinbase and a spend, each paying PAYOUT.
fn two_tx_block() -> Block {
    block_of(
        vec![
            coinbase_tx(20, vec![out(50, &PAYOUT)], false),
            spend(1, 1, vec![out(9, &PAYOUT)]),
        ],
        BITS,
    )
}

/// A simnet at burn height > 20 with `block` as the chain's block 20.
fn at_20(block: &Block) -> Simnet {
    chain_with(&[(20, block)])
}

#[test]
fn a_large_coinbase_with_many_outputs_and_payouts_in_any_transaction() {
    // 128 outputs, the contract's most (three pay the payout script, one is the witness
    // commitment), a 5.5 kB coinbase in segwit form, in a block of 7 transactions (odd).
    let mut outputs: Vec<TxOut> = (0..124u64)
        .map(|i| {
            out(
                1_000 + i,
                &[[0x51, 0x20].as_slice(), &[i as u8; 32]].concat(),
            )
        })
        .collect();
    outputs.insert(5, out(40_000, &PAYOUT));
    outputs.insert(60, out(2_500, &PAYOUT));
    outputs.push(out(7, &PAYOUT));
    let mut commitment = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
    commitment.extend_from_slice(&[0xcd; 32]);
    outputs.push(out(0, &commitment));
    let coinbase = coinbase_tx(20, outputs, true);
    assert!(
        legacy_bytes(&coinbase).len() >= 4_000,
        "{}",
        legacy_bytes(&coinbase).len()
    );
    let fpps = spend(
        1,
        3,
        vec![out(12_345, &PAYOUT), out(99, &[0x51]), out(1, &PAYOUT)],
    );
    let mut txdata = vec![coinbase.clone(), fpps.clone()];
    txdata.extend((2..7).map(|i| spend(i, 1, vec![out(500, &[0x52])])));
    let block = block_of(txdata, BITS);
    let mut sim = at_20(&block);

    let p = BlockProof::coinbase(&block).unwrap();
    let got = verify_coinbase(&mut sim, 20, &p, &PAYOUT).expect_ok();
    assert_eq!(got.field("paid").to_uint(), 42_507);
    assert_eq!(got.field("reward").to_uint(), total(&coinbase));
    assert_eq!(got.field("depth").to_uint(), 3);
    assert_eq!(
        got.field("commitment").to_optional().unwrap().to_buff(),
        vec![0xcd; 32]
    );
    // The segwit form of the coinbase proves the same.
    let segwit = BlockProof {
        coinbase: serialize(&coinbase),
        ..p.clone()
    };
    assert_ne!(segwit.coinbase, p.coinbase);
    assert_eq!(
        verify_coinbase(&mut sim, 20, &segwit, &PAYOUT).expect_ok(),
        got
    );

    let p = BlockProof::build(&block, fpps.compute_txid()).unwrap();
    let got = verify_tx(&mut sim, 20, &p, 1, 3, &PAYOUT).expect_ok();
    assert_eq!(got.field("paid").to_uint(), 12_346);
    assert_eq!(got.field("inputs").to_uint(), 3);
    assert_eq!(got.field("outputs").to_uint(), 3);
}

#[test]
fn depth_index_and_the_duplicated_last_leaf() {
    let txdata: Vec<Transaction> = std::iter::once(coinbase_tx(20, vec![out(50, &PAYOUT)], false))
        .chain((1..5).map(|i| spend(i, 1, vec![out(100 + u64::from(i), &PAYOUT)])))
        .collect();
    let block = block_of(txdata, BITS);
    let mut sim = at_20(&block);
    let last = &block.txdata[4];
    let p = BlockProof::build(&block, last.compute_txid()).unwrap();
    assert_eq!(p.branch.len(), 3);
    verify_tx(&mut sim, 20, &p, 4, 3, &PAYOUT).expect_ok();
    // Leaf 4 of 5 is paired with itself: index 5 would be the same transaction again.
    assert_eq!(p.branch[0], p.txid);
    verify_tx(&mut sim, 20, &p, 5, 3, &PAYOUT).expect_err(code(&sim, "ERR_DUPLICATE_LEAF"));
    // One level up, 4 and 5 are node 2, paired with itself as node 3: indices 6 and 7.
    verify_tx(&mut sim, 20, &p, 6, 3, &PAYOUT).expect_err(code(&sim, "ERR_DUPLICATE_LEAF"));
    // The depth is the coinbase's: a proof one level short or long is refused, and so is
    // an index the depth cannot hold.
    let short = BlockProof {
        branch: p.branch[..2].to_vec(),
        ..p.clone()
    };
    verify_tx(&mut sim, 20, &short, 4, 3, &PAYOUT).expect_err(code(&sim, "ERR_PROOF_DEPTH"));
    verify_tx(&mut sim, 20, &p, 4, 2, &PAYOUT).expect_err(code(&sim, "ERR_PROOF_DEPTH"));
    verify_tx(&mut sim, 20, &p, 8, 3, &PAYOUT).expect_err(code(&sim, "ERR_INDEX_RANGE"));
    // A transaction of another block.
    let stranger = spend(99, 1, vec![out(1, &PAYOUT)]);
    let fake = BlockProof {
        tx: legacy_bytes(&stranger),
        ..p.clone()
    };
    verify_tx(&mut sim, 20, &fake, 4, 3, &PAYOUT).expect_err(code(&sim, "ERR_MERKLE_MISMATCH"));
}

#[test]
fn an_inner_node_cannot_pass_as_a_transaction() {
    // Two transactions: the root is sha256d(txid0 || txid1). Presented as a "transaction"
    // at depth 0, those 64 bytes would hash to the root.
    let block = two_tx_block();
    let mut sim = at_20(&block);
    let txids = txids_of(&block);
    let inner = [txids[0], txids[1]].concat();
    let p = BlockProof {
        tx: inner,
        branch: vec![],
        ..BlockProof::coinbase(&block).unwrap()
    };
    let r = verify_tx(&mut sim, 20, &p, 0, 0, &PAYOUT);
    assert!(!r.is_ok());
    // A well-formed 64-byte transaction is refused by its size alone: 4 + 1 + 41 + 1 +
    // (8 + 1 + 4) + 4 bytes.
    let tiny = Transaction {
        version: bitcoin::transaction::Version::ONE,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([3; 32]),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![out(1, &[0x51, 0x52, 0x53, 0x54])],
    };
    let bytes = legacy_bytes(&tiny);
    assert_eq!(bytes.len(), 64);
    call(&mut sim, "parse-tx", &[buff(&bytes), buff(&PAYOUT)])
        .expect_err(code(&sim, "ERR_TX_64_BYTES"));
    // One byte more and it parses.
    let mut longer = tiny.clone();
    longer.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x51; 5]);
    call(
        &mut sim,
        "parse-tx",
        &[buff(&legacy_bytes(&longer)), buff(&PAYOUT)],
    )
    .expect_ok();
    // The coinbase's own depth is fixed by the coinbase: a coinbase branch that is not
    // the block's is refused.
    let cb = BlockProof::coinbase(&block).unwrap();
    let wrong = BlockProof {
        coinbase_branch: vec![[0; 32]],
        ..cb
    };
    verify_coinbase(&mut sim, 20, &wrong, &PAYOUT).expect_err(code(&sim, "ERR_MERKLE_MISMATCH"));
}

#[test]
fn coinbases_are_checked_for_what_they_are() {
    let block = two_tx_block();
    let mut sim = at_20(&block);
    let p = BlockProof::coinbase(&block).unwrap();
    verify_coinbase(&mut sim, 20, &p, &PAYOUT).expect_ok();
    // A non-coinbase presented as the coinbase.
    let spender = BlockProof {
        coinbase: legacy_bytes(&block.txdata[1]),
        ..p.clone()
    };
    verify_coinbase(&mut sim, 20, &spender, &PAYOUT).expect_err(code(&sim, "ERR_NOT_COINBASE"));
    // Small heights are OP_1..OP_16 (both ends tested); 17 needs a 1-byte push.
    for height in [1u32, 3, 16, 17, 128, 70_000] {
        let b = block_of(
            vec![coinbase_tx(height, vec![out(1, &PAYOUT)], false)],
            BITS,
        );
        let mut sim = chain_with(&[(height, &b)]);
        let p = BlockProof::coinbase(&b).unwrap();
        assert_eq!(p.coinbase_branch.len(), 0);
        verify_coinbase(&mut sim, height, &p, &PAYOUT).expect_ok();
    }
    // A coinbase naming another height.
    let b = block_of(vec![coinbase_tx(21, vec![out(1, &PAYOUT)], false)], BITS);
    let mut sim = chain_with(&[(20, &b)]);
    verify_coinbase(&mut sim, 20, &BlockProof::coinbase(&b).unwrap(), &PAYOUT)
        .expect_err(code(&sim, "ERR_BIP34_HEIGHT"));
}

#[test]
fn malformed_transactions_are_refused_by_name() {
    let mut sim = Simnet::bare();
    let bad = code(&sim, "ERR_BAD_TX");
    let tx = legacy_bytes(&spend(1, 2, vec![out(5, &PAYOUT), out(6, &[0x51])]));
    let parse =
        |sim: &mut Simnet, bytes: &[u8]| call(sim, "parse-tx", &[buff(bytes), buff(&PAYOUT)]);
    let ok = parse(&mut sim, &tx).expect_ok();
    assert_eq!(ok.field("paid").to_uint(), 5);
    assert_eq!(ok.field("total").to_uint(), 11);
    // Every truncation, and a byte too many.
    for cut in [1, 4, 5, 40, tx.len() - 5, tx.len() - 1] {
        parse(&mut sim, &tx[..cut]).expect_err(bad);
    }
    parse(&mut sim, &[tx.as_slice(), &[0]].concat()).expect_err(bad);
    // A non-canonical input count: 0xfd 0x02 0x00 for 2.
    let noncanonical = [&tx[..4], &[0xfd, 0x02, 0x00], &tx[5..]].concat();
    parse(&mut sim, &noncanonical).expect_err(bad);
    // Past the contract's limits.
    let many_in = legacy_bytes(&spend(2, 65, vec![out(1, &PAYOUT)]));
    parse(&mut sim, &many_in).expect_err(code(&sim, "ERR_TOO_MANY_INPUTS"));
    parse(
        &mut sim,
        &legacy_bytes(&spend(2, 64, vec![out(1, &PAYOUT)])),
    )
    .expect_ok();
    let many_out = legacy_bytes(&spend(3, 1, (0..129).map(|i| out(i, &[0x51])).collect()));
    parse(&mut sim, &many_out).expect_err(code(&sim, "ERR_TOO_MANY_OUTPUTS"));
    parse(
        &mut sim,
        &legacy_bytes(&spend(3, 1, (0..128).map(|i| out(i, &[0x51])).collect())),
    )
    .expect_ok();
}

#[test]
fn size_fields_at_their_bounds() {
    let mut sim = Simnet::bare();
    let bad = code(&sim, "ERR_BAD_TX");
    let parse =
        |sim: &mut Simnet, bytes: &[u8]| call(sim, "parse-tx", &[buff(bytes), buff(&PAYOUT)]);
    // 253 is the smallest length written in 3 bytes (fd fd 00): canonical.
    let mut long_sig = spend(4, 1, vec![out(3, &PAYOUT)]);
    long_sig.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51; 253]);
    let bytes = legacy_bytes(&long_sig);
    assert_eq!(&bytes[4 + 1 + 36..4 + 1 + 36 + 3], &[0xfd, 0xfd, 0x00]);
    assert_eq!(
        parse(&mut sim, &bytes).expect_ok().field("paid").to_uint(),
        3
    );
    // 252 written in 3 bytes is not.
    let mut short_sig = long_sig.clone();
    short_sig.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51; 252]);
    let b = legacy_bytes(&short_sig);
    let noncanonical = [&b[..41], &[0xfd, 0xfc, 0x00], &b[42..]].concat();
    parse(&mut sim, &noncanonical).expect_err(bad);
    // The segwit form needs a witness count per input before the locktime: two inputs
    // with empty witnesses (one 0x00 each) parse, one byte short does not.
    let tx = legacy_bytes(&spend(5, 2, vec![out(8, &PAYOUT)]));
    let body = &tx[4..tx.len() - 4];
    let segwit =
        |witness: &[u8]| [&tx[..4], &[0x00, 0x01], body, witness, &tx[tx.len() - 4..]].concat();
    let ok = parse(&mut sim, &segwit(&[0, 0])).expect_ok();
    assert_eq!(
        ok.field("txid").to_buff(),
        alkahest_protocol::spv::sha256d(&tx).to_vec()
    );
    parse(&mut sim, &segwit(&[0])).expect_err(bad);
}

#[test]
fn work_follows_bitcoin_core_and_refuses_what_does_not_fit() {
    let mut sim = Simnet::bare();
    for bits in [
        0x1d00_ffffu32,
        BITS,
        0x1802_6b5c,
        0x207f_ffff,
        0x1b04_864c,
        0x1400_0001,
        0x1401_0000,
    ] {
        let got = call(&mut sim, "block-work", &[uint(bits.into())])
            .expect_ok()
            .to_uint();
        assert_eq!(
            got,
            WorkModel::Header.block_work(bits).unwrap(),
            "bits {bits:#x}"
        );
    }
    let bad = code(&sim, "ERR_BAD_BITS");
    // Zero mantissa, the sign bit, and targets below 2^128 (work past 128 bits).
    for bits in [
        0x1d00_0000u32,
        0x1d80_ffff,
        0x1300_ffff,
        0x0300_ffff,
        0x2100_ffff,
    ] {
        call(&mut sim, "block-work", &[uint(bits.into())]).expect_err(bad);
    }
}

#[test]
fn a_rust_branch_is_the_contract_branch() {
    // The doc's promise that the Rust builder and the contract agree, on a tree of 11.
    let txdata: Vec<Transaction> = std::iter::once(coinbase_tx(20, vec![out(50, &PAYOUT)], false))
        .chain((1..11).map(|i| spend(i, 1, vec![out(u64::from(i), &PAYOUT)])))
        .collect();
    let block = block_of(txdata, BITS);
    let mut sim = at_20(&block);
    let txids = txids_of(&block);
    // The parts, called alone: the header's fields and root, and inclusion.
    let header = BlockProof::coinbase(&block).unwrap().header;
    let root = call(&mut sim, "verify-header", &[buff(&header), uint(20)]).expect_ok();
    assert_eq!(
        root.to_buff(),
        block.header.merkle_root.to_byte_array().to_vec()
    );
    let fields = call(&mut sim, "parse-header", &[buff(&header)]).expect_ok();
    assert_eq!(fields.field("bits").to_uint(), u128::from(BITS));
    assert_eq!(
        fields.field("time").to_uint(),
        u128::from(block.header.time)
    );
    assert_eq!(fields.field("merkle-root"), root);
    assert_eq!(fields.field("prev").to_buff(), vec![0; 32]);
    for (i, tx) in block.txdata.iter().enumerate().skip(1) {
        let p = BlockProof::build(&block, tx.compute_txid()).unwrap();
        assert_eq!(p.branch, merkle_branch(&txids, i).unwrap());
        let included = call(
            &mut sim,
            "verify-inclusion",
            &[
                buff(&p.txid),
                root.clone(),
                uint(i as u128),
                branch(&p.branch),
                uint(4),
            ],
        );
        assert!(included.expect_ok().to_bool());
        let got = verify_tx(&mut sim, 20, &p, i, 4, &PAYOUT).expect_ok();
        assert_eq!(got.field("paid").to_uint(), i as u128);
    }
}
