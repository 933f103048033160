//! silica-proof: a Silica's windows settled from Bitcoin proofs alone (blocks built
//! here, their header hashes put on the burn chain), with the index computed on chain
//! exactly as `alkahest_protocol::index` computes it, payouts counted in the coinbase
//! and in any other transaction, each counted once, and the mix with the signers'
//! attestations (whichever records a window first; one mint per window).

use crate::btc_common::{block_of, branch, coinbase_tx, out, put_block, spend, BITS};
use crate::silica_common::{
    bootstrap, burn_tip, delivery_args, settlement_token, Signers, Terms, World, REG, SILICA,
};
use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, principal, uint, ValueExt};
use alkahest_clarity::{Receipt, Simnet};
use alkahest_protocol::index::{due, window_index, WorkModel};
use alkahest_protocol::message::Delivery;
use alkahest_protocol::spv::BlockProof;
use bitcoin::{Block, Transaction};

const P: &str = "silica-proof";
const WINDOW: u128 = 4;

fn err(sim: &Simnet, name: &str) -> u128 {
    sim.err_code(P, name)
}

/// One window's Bitcoin blocks: per block a coinbase paying `cb_paid` to the payout
/// script (and the rest of `reward` elsewhere); block 1 also holds an FPPS payout.
struct Window {
    first: u32,
    blocks: Vec<Block>,
    fpps: Transaction,
}

const REWARD: u64 = 312_500_000;
const CB_PAID: u64 = 3_000;
const FPPS_PAID: u64 = 4_321;

fn window_blocks(first: u32, script: &[u8], salt: u32) -> Window {
    let fpps = spend(salt, 2, vec![out(FPPS_PAID, script), out(77, &[0x51])]);
    let blocks = (0..WINDOW as u32)
        .map(|i| {
            let coinbase = coinbase_tx(
                first + i,
                vec![
                    out(CB_PAID, script),
                    out(
                        REWARD - CB_PAID,
                        &[
                            0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                            18, 19, 20,
                        ],
                    ),
                ],
                true,
            );
            let mut txdata = vec![
                coinbase,
                spend(salt + 100 + i, 1, vec![out(1, &[0x52, 0x53])]),
            ];
            if i == 1 {
                txdata.push(fpps.clone());
            }
            block_of(txdata, BITS)
        })
        .collect();
    Window {
        first,
        blocks,
        fpps,
    }
}

struct Proving {
    w: World,
    id: u128,
    script: Vec<u8>,
}

/// A Silica of `windows` windows of `length` blocks (`confirmations` on top), 100 TH/s
/// listed 5 blocks ahead and 50 bought by alice: the world, its id, payout script and
/// start height.
fn listed(length: u128, confirmations: u128, windows: u128) -> (World, u128, Vec<u8>, u32) {
    let mut w = World::new();
    w.govern("set-window-length", length).expect_ok();
    w.govern("set-confirmations", confirmations).expect_ok();
    w.govern("set-min-sale-window", 0).expect_ok();
    let script = w.next_payout_script();
    let id = w.create(Terms {
        hashrate: 100,
        windows,
        start_in: 5,
        price: 60,
        collateral_bps: 1_000,
    });
    let alice = w.alice.clone();
    w.buy(id, &alice, 50).expect_ok();
    let start = w.field(id, "start") as u32;
    (w, id, script, start)
}

/// A Silica of 2 windows of 4 blocks (confirmations 2), 50 TH/s sold, started, with
/// both windows' blocks on the burn chain.
fn proving() -> (Proving, Vec<Window>) {
    let (mut w, id, script, start) = listed(WINDOW, 2, 2);
    let windows: Vec<Window> = (0..2u32)
        .map(|k| window_blocks(start + k * WINDOW as u32, &script, 10 * k))
        .collect();
    for win in &windows {
        for (i, b) in win.blocks.iter().enumerate() {
            put_block(&mut w.sim, win.first + i as u32, b);
        }
    }
    (Proving { w, id, script }, windows)
}

impl Proving {
    fn prove_block(&mut self, window: u128, height: u32, block: &Block) -> Receipt {
        let p = BlockProof::coinbase(block).unwrap();
        let who = self.w.stranger.clone();
        self.w.sim.call(
            P,
            "prove-block",
            &[
                uint(self.id),
                uint(window),
                uint(height.into()),
                buff(&p.header),
                buff(&p.coinbase),
                branch(&p.coinbase_branch),
            ],
            &who,
        )
    }

    fn prove_payment(
        &mut self,
        window: u128,
        height: u32,
        block: &Block,
        tx: &Transaction,
    ) -> Receipt {
        let p = BlockProof::build(block, tx.compute_txid()).unwrap();
        let who = self.w.stranger.clone();
        self.w.sim.call(
            P,
            "prove-payment",
            &[
                uint(self.id),
                uint(window),
                uint(height.into()),
                buff(&p.header),
                buff(&p.tx),
                uint(p.index as u128),
                branch(&p.branch),
            ],
            &who,
        )
    }

    fn prove_window(&mut self, window: u128) -> Receipt {
        let who = self.w.stranger.clone();
        let token = settlement_token(&self.w.sim);
        self.w.sim.call(
            P,
            "prove-window",
            &[token, uint(self.id), uint(window)],
            &who,
        )
    }

    /// Proves every block of `win` and its FPPS payout.
    fn prove_all(&mut self, window: u128, win: &Window) {
        for (i, b) in win.blocks.iter().enumerate() {
            self.prove_block(window, win.first + i as u32, b)
                .expect_ok();
        }
        self.prove_payment(window, win.first + 1, &win.blocks[1], &win.fpps)
            .expect_ok();
    }

    /// Mines until window `window` is final (its last block has 2 confirmations).
    fn mine_to_final(&mut self, win: &Window) {
        let final_height = u128::from(win.first) + WINDOW + 2 - 1;
        let now = self.w.sim.burn_block_height();
        if now <= final_height {
            self.w.sim.mine((final_height + 1 - now) as u32);
        }
    }
}

/// What a window of these blocks delivers and its index, computed in Rust.
fn expected() -> (u128, u128) {
    let work = WorkModel::Header.block_work(BITS).unwrap() * WINDOW;
    let index = window_index(u128::from(REWARD) * WINDOW, work).unwrap();
    (u128::from(CB_PAID) * WINDOW + u128::from(FPPS_PAID), index)
}

#[test]
fn a_window_settles_from_proofs_with_the_rust_index() {
    let (mut p, wins) = proving();
    p.w.mine_to_start(p.id);
    // Not final yet: the window's blocks are not even on the chain.
    p.prove_block(0, wins[0].first, &wins[0].blocks[0])
        .expect_err(err(&p.w.sim, "ERR_NOT_FINAL"));
    p.mine_to_final(&wins[0]);
    p.prove_all(0, &wins[0]);
    let (delivered, index) = expected();
    let tally = p.w.sim.read_only(P, "get-tally", &[uint(p.id), uint(0)]);
    assert_eq!(tally.field("blocks").to_uint(), WINDOW);
    assert_eq!(tally.field("delivered").to_uint(), delivered);
    let escrow = p.w.escrow();
    let r = p.prove_window(0);
    r.expect_ok();
    let attest = r
        .print_with_topic("attest")
        .expect("recorded like an attestation");
    assert_eq!(attest.field("delivered").to_uint(), delivered);
    assert_eq!(attest.field("index").to_uint(), index);
    assert_eq!(attest.field("due").to_uint(), due(50, index).unwrap());
    assert!(r.topics().contains(&"proven-delivery".to_string()));
    // The delivery was minted into escrow (and the window's payment released from it).
    let released = r
        .print_with_topic("release")
        .expect("passed")
        .field("payment")
        .to_uint()
        + r.print_with_topic("release")
            .unwrap()
            .field("collateral")
            .to_uint();
    let returned = r
        .print_with_topic("start")
        .map_or(0, |s| s.field("returned").to_uint());
    assert_eq!(p.w.escrow(), escrow + delivered - released - returned);
    let window =
        p.w.sim
            .read_only(SILICA, "get-window", &[uint(p.id), uint(0)])
            .to_optional()
            .unwrap();
    assert_eq!(window.field("delivered").to_uint(), delivered);
    assert_eq!(p.w.field(p.id, "next-window"), 1);
}

/// Final means what it means for the signers: the window's last block has
/// `confirmations` blocks on top and is below the burn tip (attestations pin a height
/// strictly below it).
#[test]
fn proofs_are_taken_from_the_first_final_height_not_a_block_earlier() {
    let (mut p, wins) = proving();
    p.w.mine_to_start(p.id);
    let w0 = &wins[0];
    // silica's window-final-height: the last block (first + 3) plus 2 confirmations - 1.
    let final_height = u128::from(w0.first) + WINDOW + 2 - 1;
    assert_eq!(p.w.attestable_height(p.id), final_height);
    let now = p.w.sim.burn_block_height();
    p.w.sim.mine((final_height - now) as u32);
    assert_eq!(p.w.sim.burn_block_height(), final_height);
    p.prove_block(0, w0.first, &w0.blocks[0])
        .expect_err(err(&p.w.sim, "ERR_NOT_FINAL"));
    p.w.sim.mine(1);
    p.prove_block(0, w0.first, &w0.blocks[0]).expect_ok();
}

#[test]
fn each_block_and_payment_counts_once_and_only_in_its_window() {
    let (mut p, wins) = proving();
    p.w.mine_to_start(p.id);
    p.mine_to_final(&wins[0]);
    let sim_err = |p: &Proving, name: &str| err(&p.w.sim, name);
    let w0 = &wins[0];
    // A payment before its block: the depth is unknown.
    p.prove_payment(0, w0.first + 1, &w0.blocks[1], &w0.fpps)
        .expect_err(sim_err(&p, "ERR_BLOCK_NOT_PROVEN"));
    p.prove_block(0, w0.first, &w0.blocks[0]).expect_ok();
    p.prove_block(0, w0.first, &w0.blocks[0])
        .expect_err(sim_err(&p, "ERR_BLOCK_PROVEN"));
    // A block of window 0 claimed for window 1, and a height outside window 0.
    p.prove_block(1, w0.first + 1, &w0.blocks[1])
        .expect_err(sim_err(&p, "ERR_HEIGHT_OUTSIDE_WINDOW"));
    p.prove_block(0, w0.first + 4, &wins[1].blocks[0])
        .expect_err(sim_err(&p, "ERR_HEIGHT_OUTSIDE_WINDOW"));
    // A block at the wrong height is not the chain's block there.
    p.prove_block(0, w0.first + 2, &w0.blocks[1])
        .expect_err(p.w.sim.err_code("btc-proof", "ERR_HEADER_MISMATCH"));
    p.prove_block(0, w0.first + 1, &w0.blocks[1]).expect_ok();
    p.prove_payment(0, w0.first + 1, &w0.blocks[1], &w0.fpps)
        .expect_ok();
    p.prove_payment(0, w0.first + 1, &w0.blocks[1], &w0.fpps)
        .expect_err(sim_err(&p, "ERR_TX_PROVEN"));
    // The coinbase is counted by prove-block, not again as a payment.
    let cb = w0.blocks[1].txdata[0].clone();
    p.prove_payment(0, w0.first + 1, &w0.blocks[1], &cb)
        .expect_err(sim_err(&p, "ERR_COINBASE_INDEX"));
    // A transaction paying something else.
    let other = w0.blocks[1].txdata[1].clone();
    p.prove_payment(0, w0.first + 1, &w0.blocks[1], &other)
        .expect_err(sim_err(&p, "ERR_NOTHING_PAID"));
    // Half the window is not a window.
    p.prove_window(0)
        .expect_err(sim_err(&p, "ERR_WINDOW_INCOMPLETE"));
    for i in 2..WINDOW as u32 {
        p.prove_block(0, w0.first + i, &w0.blocks[i as usize])
            .expect_ok();
    }
    p.prove_window(0).expect_ok();
    // Recorded: no more proofs for window 0, and no second mint or record.
    p.prove_block(0, w0.first + 3, &w0.blocks[3])
        .expect_err(sim_err(&p, "ERR_BAD_WINDOW"));
    p.prove_window(0)
        .expect_err(p.w.reg_err("ERR_WINDOW_MINTED"));
    // Past the last window, and unknown Silicas.
    p.prove_block(2, w0.first, &w0.blocks[0])
        .expect_err(sim_err(&p, "ERR_BAD_WINDOW"));
    let id = p.id;
    p.id = 99;
    p.prove_block(0, w0.first, &w0.blocks[0])
        .expect_err(sim_err(&p, "ERR_UNKNOWN_SILICA"));
    p.prove_window(0)
        .expect_err(sim_err(&p, "ERR_UNKNOWN_SILICA"));
    // A listing nobody bought takes no proofs.
    p.id = p.w.create(Terms::default());
    p.prove_block(0, w0.first, &w0.blocks[0])
        .expect_err(sim_err(&p, "ERR_BAD_STATUS"));
    p.id = id;
}

#[test]
fn proofs_and_attestations_record_each_window_once() {
    let (mut p, wins) = proving();
    p.w.mine_to_start(p.id);
    p.mine_to_final(&wins[0]);
    let (delivered, index) = expected();
    // Half of window 0 proven, then the signers attest it: the rest of its proofs are
    // refused, and the half tally can never record it again.
    p.prove_block(0, wins[0].first, &wins[0].blocks[0])
        .expect_ok();
    p.w.attest(p.id, delivered, index).expect_ok();
    p.prove_block(0, wins[0].first + 1, &wins[0].blocks[1])
        .expect_err(err(&p.w.sim, "ERR_BAD_WINDOW"));
    p.prove_window(0)
        .expect_err(err(&p.w.sim, "ERR_WINDOW_INCOMPLETE"));
    // Window 1 by proofs; a second attestation of window 0 mints nothing.
    p.mine_to_final(&wins[1]);
    p.prove_all(1, &wins[1]);
    let d = p.w.delivery(p.id, 0, delivered, index);
    let sigs = p.w.signers.sign(&d.id(&binding()));
    p.w.submit(&d, sigs)
        .expect_err(p.w.reg_err("ERR_WINDOW_MINTED"));
    let r = p.prove_window(1);
    r.expect_ok();
    let attest = r.print_with_topic("attest").expect("recorded");
    assert_eq!(attest.field("delivered").to_uint(), delivered);
    assert_eq!(p.w.status(p.id), 2, "FINISHED");
    // Both windows counted exactly once.
    assert_eq!(p.w.field(p.id, "cum-delivered"), 2 * delivered);
}

#[test]
fn an_attestation_of_a_proven_window_is_refused_by_the_registry() {
    let (mut p, wins) = proving();
    p.w.mine_to_start(p.id);
    p.mine_to_final(&wins[0]);
    let (delivered, index) = expected();
    p.prove_all(0, &wins[0]);
    p.prove_window(0).expect_ok();
    let d = p.w.delivery(p.id, 0, delivered, index);
    let sigs = p.w.signers.sign(&d.id(&binding()));
    p.w.submit(&d, sigs)
        .expect_err(p.w.reg_err("ERR_WINDOW_MINTED"));
    assert_eq!(p.w.field(p.id, "cum-delivered"), delivered);
}

/// The same Silica settled by the signers (with the figures the proofs give) and by
/// proofs ends with every party's sBTC equal.
#[test]
fn proofs_settle_to_the_same_balances_as_signers() {
    let (delivered, index) = expected();
    let mut finals = Vec::new();
    for by_proofs in [false, true] {
        let (mut p, wins) = proving();
        p.w.mine_to_start(p.id);
        for (k, win) in wins.iter().enumerate() {
            p.mine_to_final(win);
            if by_proofs {
                p.prove_all(k as u128, win);
                p.prove_window(k as u128).expect_ok();
            } else {
                p.w.attest(p.id, delivered, index).expect_ok();
            }
        }
        let alice = p.w.alice.clone();
        p.w.redeem(p.id, &alice).expect_ok();
        p.w.collect(p.id).expect_ok();
        let miner = p.w.miner.clone();
        finals.push((p.w.sbtc(&miner), p.w.sbtc(&alice), p.w.escrow()));
    }
    assert_eq!(finals[0], finals[1]);
    assert_eq!(finals[1].2, 0, "the escrow ends empty");
}

#[test]
fn simulated_work_is_the_deployers_once_and_never_mainnets() {
    let (mut p, wins) = proving();
    let deployer = p.w.sim.deployer();
    let stranger = p.w.stranger.clone();
    let work = WorkModel::SimulatedDifficulty(100_000_000_000_000)
        .block_work(0)
        .unwrap();
    p.w.sim
        .call(P, "set-simulated-work", &[uint(work)], &stranger)
        .expect_err(err(&p.w.sim, "ERR_NOT_AUTHORIZED"));
    p.w.sim
        .call(P, "set-simulated-work", &[uint(0)], &deployer)
        .expect_err(err(&p.w.sim, "ERR_INVALID_PARAMETER"));
    p.w.sim
        .call(P, "set-simulated-work", &[uint(work)], &deployer)
        .expect_ok();
    p.w.sim
        .call(P, "set-simulated-work", &[uint(work)], &deployer)
        .expect_err(err(&p.w.sim, "ERR_ALREADY_SET"));
    // The index then follows the simulated work, as the devnet's indexer and signers.
    p.w.mine_to_start(p.id);
    p.mine_to_final(&wins[0]);
    p.prove_all(0, &wins[0]);
    let r = p.prove_window(0);
    let got = r
        .print_with_topic("attest")
        .expect("recorded")
        .field("index")
        .to_uint();
    assert_eq!(
        got,
        window_index(u128::from(REWARD) * WINDOW, work * WINDOW).unwrap()
    );
    let _ = p.script.len();
}

#[test]
fn only_the_prover_records_and_only_the_consumer_mints_proven_deliveries() {
    let (mut p, _) = proving();
    let stranger = p.w.stranger.clone();
    let token = settlement_token(&p.w.sim);
    p.w.sim
        .call(
            SILICA,
            "record-proven-window",
            &[token, uint(p.id), uint(0), uint(1_000_000), uint(1)],
            &stranger,
        )
        .expect_err(p.w.err("ERR_NOT_AUTHORIZED"));
    p.w.sim
        .call(
            REG,
            "mint-proven-delivery",
            &[uint(p.id), uint(0), uint(1_000_000)],
            &stranger,
        )
        .expect_err(p.w.reg_err("ERR_NOT_AUTHORIZED"));
    let deployer = p.w.sim.deployer();
    let prover = principal(&p.w.sim.contract_id(P));
    p.w.sim
        .call(SILICA, "set-prover", &[prover], &deployer)
        .expect_err(p.w.err("ERR_PROVER_ALREADY_SET"));
}

#[test]
fn the_registry_mints_one_delivery_per_window_across_both_paths() {
    // Before the bootstrap, a plain account as the consumer reaches the registry's own
    // guard (silica's window order stops the second record before it).
    let mut sim = Simnet::bare();
    let deployer = sim.deployer();
    let consumer = sim.account("wallet_5");
    let sbtc = principal(&sim.contract_id("signer-registry"));
    sim.call("sbtc-token", "set-protocol", &[sbtc], &deployer)
        .expect_ok();
    sim.call(REG, "set-consumer", &[principal(&consumer)], &deployer)
        .expect_ok();
    sim.call(
        REG,
        "mint-proven-delivery",
        &[uint(1), uint(0), uint(500)],
        &consumer,
    )
    .expect_ok();
    assert_eq!(sim.ft_balance("sbtc-token", &consumer), 500);
    let code = sim.err_code(REG, "ERR_WINDOW_MINTED");
    sim.call(
        REG,
        "mint-proven-delivery",
        &[uint(1), uint(0), uint(900)],
        &consumer,
    )
    .expect_err(code);
    sim.call(
        REG,
        "mint-proven-delivery",
        &[uint(1), uint(1), uint(900)],
        &consumer,
    )
    .expect_ok();
    assert_eq!(sim.ft_balance("sbtc-token", &consumer), 1_400);
    let minted = sim.read_only(REG, "get-window-mint", &[uint(1), uint(0)]);
    assert!(minted.to_optional().is_some());
    // A signed attestation of a proven window is refused, and a proof of an attested one.
    let signers = Signers::new("proven", 3, 2);
    bootstrap(&mut sim, &signers).expect_ok();
    let attest = |sim: &mut Simnet, window: u128| {
        let (burn_height, burn_hash) = burn_tip(sim);
        let d = Delivery {
            silica_id: 1,
            window,
            delivered: 700,
            index: 1,
            burn_height,
            burn_hash,
        };
        let sigs = signers.sign(&d.id(&binding()));
        sim.call(REG, "attest-delivery", &delivery_args(&d, sigs), &consumer)
    };
    attest(&mut sim, 0).expect_err(code);
    attest(&mut sim, 2).expect_ok();
    sim.call(
        REG,
        "mint-proven-delivery",
        &[uint(1), uint(2), uint(900)],
        &consumer,
    )
    .expect_err(code);
    assert_eq!(sim.ft_balance("sbtc-token", &consumer), 2_100);
    // Deliveries by deposit: a proven window is recorded once, and nothing is minted.
    sim.call(REG, "set-deliveries-by-deposit", &[], &deployer)
        .expect_ok();
    sim.call(
        REG,
        "mint-proven-delivery",
        &[uint(1), uint(3), uint(900)],
        &consumer,
    )
    .expect_ok();
    assert_eq!(sim.ft_balance("sbtc-token", &consumer), 2_100);
    assert!(sim
        .read_only(REG, "get-window-mint", &[uint(1), uint(3)])
        .to_optional()
        .is_some());
}

/// Strangers and malicious contracts (called by the legitimate principal, directly and
/// through `as-contract`) are refused every privileged proof-path function.
#[test]
fn malicious_contracts_cannot_record_mint_or_configure() {
    let (p, _) = proving();
    let deployer = p.w.sim.deployer();
    let silica = p.w.sim.contract_id(SILICA);
    let reg = p.w.sim.contract_id(REG);
    let prover = p.w.sim.contract_id(P);
    let token = p.w.sim.contract_id(crate::silica_common::SBTC);
    let id = p.id;
    let calls = [
        (
            format!("(contract-call? '{silica} record-proven-window '{token} u{id} u0 u1000 u1)"),
            SILICA,
        ),
        (
            format!("(contract-call? '{silica} set-prover tx-sender)"),
            SILICA,
        ),
        (
            format!("(contract-call? '{reg} mint-proven-delivery u{id} u0 u1000)"),
            REG,
        ),
        (
            format!("(contract-call? '{prover} set-simulated-work u5)"),
            P,
        ),
    ];
    for (call, contract) in calls {
        let code = p.w.sim.err_code(contract, "ERR_NOT_AUTHORIZED");
        crate::actors::assert_lured_calls_refused(&p.w.sim, &call, code, &deployer);
    }
}

/// What proofs cost: one block with a 4 kB, 100-output coinbase, and a mainnet-sized
/// window of 144 blocks (each with a 1.6 kB, 44-output coinbase like mainnet block
/// 895,331's) proven and recorded, summed as a share of one Stacks block's limits.
#[test]
#[allow(clippy::print_stderr)] // the figures go to the note
fn a_144_block_window_of_proofs_fits_one_stacks_block() {
    let (mut w, id, script, start) = listed(144, 1, 1);
    // `wide`: P2WSH-sized outputs (43 bytes each), else P2WPKH-sized (31 bytes).
    let coinbase_of = |h: u32, n: u64, wide: bool| {
        let body = if wide { 32 } else { 20 };
        let mut outs: Vec<_> = (1..n)
            .map(|i| {
                out(
                    10_000 + i,
                    &[[0x00, body as u8].as_slice(), &vec![i as u8; body]].concat(),
                )
            })
            .collect();
        outs.insert(0, out(CB_PAID, &script));
        coinbase_tx(h, outs, true)
    };
    let blocks: Vec<Block> = (0..144u32)
        .map(|i| {
            let mut txdata = vec![coinbase_of(
                start + i,
                if i == 0 { 100 } else { 44 },
                i == 0,
            )];
            txdata.extend((0..3).map(|k| spend(1_000 * i + k, 1, vec![out(5, &[0x52, 0x53])])));
            block_of(txdata, BITS)
        })
        .collect();
    // The first coinbase is the 4 kB one (100 outputs of 43 bytes).
    let big = alkahest_protocol::spv::legacy_bytes(&blocks[0].txdata[0]).len();
    assert!(big >= 4_096, "{big}");
    for (i, b) in blocks.iter().enumerate() {
        put_block(&mut w.sim, start + i as u32, b);
    }
    let mut p = Proving {
        w,
        id,
        script: script.clone(),
    };
    let now = p.w.sim.burn_block_height();
    p.w.sim.mine((u128::from(start) + 144 + 1 - now) as u32);
    let mut total = alkahest_clarity::Cost::default();
    let mut add = |c: &alkahest_clarity::Cost| {
        total.runtime += c.runtime;
        total.read_count += c.read_count;
        total.read_length += c.read_length;
        total.write_count += c.write_count;
        total.write_length += c.write_length;
    };
    let mut first = None;
    for (i, b) in blocks.iter().enumerate() {
        let r = p.prove_block(0, start + i as u32, b);
        r.expect_ok();
        first.get_or_insert(r.cost.percent_of_block());
        add(&r.cost);
    }
    let r = p.prove_window(0);
    r.expect_ok();
    add(&r.cost);
    let one = first.unwrap();
    let window = total.percent_of_block();
    // One 4 kB coinbase block: well under 2% of a block on every dimension.
    assert!(one.iter().all(|&x| x < 2.0), "4 kB coinbase: {one:?}");
    // The whole window fits one Stacks block on every dimension.
    assert!(window.iter().all(|&x| x < 100.0), "144 blocks: {window:?}");
    let attest = r.print_with_topic("attest").expect("recorded");
    assert_eq!(
        attest.field("delivered").to_uint(),
        144 * u128::from(CB_PAID)
    );
    eprintln!("prove-block, {big}-byte coinbase: {one:.3?} % of a block (runtime, read count, read length, write count, write length)");
    eprintln!("144 × prove-block + prove-window: {window:.3?} % of a block; {total:?}");
}
