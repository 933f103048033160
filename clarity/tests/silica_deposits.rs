//! Deliveries settled in real sBTC (issue 16): with signer-registry out of the minting
//! path (`set-deliveries-by-deposit`), a recorded window owes its delivered sats until
//! an sBTC deposit the signers forwarded is minted to `silica` and recorded with
//! `record-delivery`. The fees between delivered and received fall on the miner's side;
//! a settled Silica pays out only once its delivery arrived or was written off; a
//! deposit credits once, only to `.silica`, only with the signers' forward attestation.

use alkahest_clarity::binding;
use alkahest_clarity::values::{buff, list, none, principal, to_source, uint, ValueExt};
use alkahest_clarity::{Receipt, Value};
use alkahest_protocol::message::Forward;

use crate::actors::assert_lured_calls_refused;
use crate::silica_common::*;

const DEP: &str = "sbtc-deposit";

/// A deposit output as the sBTC signers complete it: (txid, vout), minted amount,
/// recipient.
struct Swept {
    txid: [u8; 32],
    vout: u128,
}

impl World {
    /// Takes signer-registry out of the minting path, as a mainnet deployment does.
    fn by_deposit(&mut self) {
        let d = self.sim.deployer();
        self.sim
            .call(REG, "set-deliveries-by-deposit", &[], &d)
            .expect_ok();
    }

    /// The sBTC signers (the stand-in's signer principal: the deployer) sweep deposit
    /// `tag` and mint `amount` to `recipient`.
    fn sweep(&mut self, tag: u8, amount: u128, recipient: &str) -> Swept {
        let d = self.sim.deployer();
        let h = self.sim.burn_block_height() - 1;
        let hash = self.sim.burn_header_hash(h).unwrap();
        let swept = Swept {
            txid: [tag; 32],
            vout: 1,
        };
        self.sim
            .call(
                DEP,
                "complete-deposit-wrapper",
                &[
                    buff(&swept.txid),
                    uint(swept.vout),
                    uint(amount),
                    principal(recipient),
                    buff(&hash),
                    uint(h),
                    buff(&[0xee; 32]),
                ],
                &d,
            )
            .expect_ok();
        swept
    }

    fn forward(&self, id: u128, window: u128, sats: u128, swept: &Swept) -> Forward {
        Forward {
            silica_id: id,
            window,
            sats,
            txid: swept.txid,
            vout: swept.vout,
        }
    }

    /// `record-delivery` of `f` with `sigs`, by a stranger (anyone may submit).
    fn record_signed(&mut self, f: &Forward, sigs: Value) -> Receipt {
        let who = self.stranger.clone();
        let token = settlement_token(&self.sim);
        self.sim.call(
            SILICA,
            "record-delivery",
            &[
                token,
                uint(f.silica_id),
                uint(f.window),
                uint(f.sats),
                buff(&f.txid),
                uint(f.vout),
                sigs,
            ],
            &who,
        )
    }

    /// `record-delivery` of `f` signed by a quorum of the signers.
    fn record(&mut self, f: &Forward) -> Receipt {
        let sigs = self.signers.sign(&f.id(&binding()));
        self.record_signed(f, sigs)
    }

    fn ledger(&mut self, id: u128, name: &str) -> u128 {
        self.sim
            .read_only(SILICA, "get-delivery-ledger", &[uint(id)])
            .field(name)
            .to_uint()
    }
}

/// Default terms (100 TH/s, 4 windows, price 60, due 5,000 a window at the reference
/// index), fully sold to alice, deliveries by deposit, at window 0's attestable height.
fn running_by_deposit() -> (World, u128) {
    let (mut w, id) = running();
    w.by_deposit();
    (w, id)
}

const INDEX: u128 = 50 * SAT;

#[test]
fn a_finished_silica_settles_through_deposits_with_the_fees_on_the_miner() {
    let (mut w, id) = running_by_deposit();
    let silica = w.escrow_principal();
    let (miner, alice) = (w.miner.clone(), w.alice.clone());
    let miner_before = w.sbtc(&miner);

    // Windows 0 and 1 deliver 6,000 sats each: nothing is minted, the escrow only
    // holds the buyers' payment and the collateral.
    let escrow_before = w.escrow();
    w.attest(id, 6_000, INDEX).expect_ok();
    assert_eq!(w.ledger(id, "delivered"), 6_000);
    assert_eq!(w.ledger(id, "in-flight"), 6_000);
    w.attest(id, 6_000, INDEX).expect_ok();
    let released = 2 * 60 * 100 + 2_000 - locked(2_000, 4, 1);
    assert_eq!(w.escrow(), escrow_before - released, "no delivery minted");

    // Their payouts arrive as one deposit: 12,000 sats less a 100-sat forward fee and a
    // 200-sat sweep fee. A forward naming a window not recorded yet is refused.
    let first = w.sweep(0xa1, 11_700, &silica);
    let early = w.forward(id, 2, 12_000, &first);
    w.record(&early)
        .expect_err(w.err("ERR_WINDOW_NOT_RECORDED"));
    let r = w.record(&w.forward(id, 1, 12_000, &first));
    r.expect_ok();
    let p = r.print_with_topic("delivery-received").unwrap();
    assert_eq!(p.field("amount").to_uint(), 11_700);
    assert_eq!(p.field("in-flight").to_uint(), 0);
    assert_eq!(w.ledger(id, "received"), 11_700);

    // Windows 2 and 3: the Silica finishes, but its last delivery is in flight.
    w.attest(id, 6_000, INDEX).expect_ok();
    let r = w.attest(id, 6_000, INDEX);
    r.expect_ok();
    assert_eq!(w.status(id), FINISHED);
    assert_eq!(
        r.print_with_topic("finish")
            .unwrap()
            .field("in-flight")
            .to_uint(),
        12_000
    );
    w.redeem(id, &alice)
        .expect_err(w.err("ERR_DELIVERY_IN_FLIGHT"));
    w.collect(id).expect_err(w.err("ERR_DELIVERY_IN_FLIGHT"));
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-collectable", &[uint(id)])
            .to_uint(),
        0
    );
    let claim = |w: &mut World| {
        w.sim
            .read_only(SILICA, "get-claimable", &[uint(id), principal(&alice)])
            .to_uint()
    };
    assert_eq!(claim(&mut w), 0, "nothing is claimable while in flight");

    // The second deposit completes the settlement: 650 sats of fees in all, charged to
    // the miner's 4,000 excess delivery; the buyers' due is whole.
    let second = w.sweep(0xa2, 11_650, &silica);
    let r = w.record(&w.forward(id, 3, 12_000, &second));
    r.expect_ok();
    let done = r.print_with_topic("settlement-complete").unwrap();
    assert_eq!(done.field("reason").to_ascii(), "delivered");
    assert_eq!(done.field("buyer-pool").to_uint(), 20_000);
    assert_eq!(done.field("miner-amount").to_uint(), 4_000 - 650);
    assert_eq!(claim(&mut w), 20_000);
    assert_eq!(
        w.sim
            .read_only(SILICA, "get-collectable", &[uint(id)])
            .to_uint(),
        3_350
    );
    assert_eq!(w.redeem(id, &alice).expect_ok().to_uint(), 20_000);
    assert_eq!(w.collect(id).expect_ok().to_uint(), 3_350);

    // Every sat of this Silica left the escrow to a defined party.
    assert_eq!(w.escrow(), 0);
    assert_eq!(
        w.sbtc(&miner) - miner_before,
        24_000 + 2_000 + 3_350,
        "payment, collateral and the delivery net of fees beyond the due"
    );
}

#[test]
fn a_default_pool_bears_the_fees_and_keeps_a_surplus() {
    for (amount, pool_change) in [(900_i128, -100_i128), (1_100, 100)] {
        let (mut w, id) = running_by_deposit();
        let silica = w.escrow_principal();
        let alice = w.alice.clone();
        // Window 0 delivers 1,000 (due 5,000, 2,000 collateral locked): defaulted, the
        // miner's amount is 0, so a fee comes out of the buyers' pool.
        w.attest(id, 1_000, INDEX).expect_ok();
        assert_eq!(w.status(id), DEFAULTED);
        let settlement = w.sim.read_only(SILICA, "get-settlement", &[uint(id)]);
        let gross = settlement.to_optional().unwrap().field("pool").to_uint();
        assert_eq!(gross, 1_000 + 2_000 + 24_000);
        let swept = w.sweep(0xb1, amount as u128, &silica);
        w.record(&w.forward(id, 0, 1_000, &swept)).expect_ok();
        let redeemed = w.redeem(id, &alice).expect_ok().to_uint();
        assert_eq!(redeemed as i128, gross as i128 + pool_change);
        assert_eq!(w.escrow(), 0);
    }
}

#[test]
fn a_finished_silica_gives_a_surplus_to_the_miner() {
    let (mut w, id) = running_by_deposit();
    let silica = w.escrow_principal();
    let alice = w.alice.clone();
    for _ in 0..4 {
        w.attest(id, 5_000, INDEX).expect_ok();
    }
    assert_eq!(w.status(id), FINISHED);
    let swept = w.sweep(0xb2, 20_010, &silica);
    w.record(&w.forward(id, 3, 20_000, &swept)).expect_ok();
    assert_eq!(w.redeem(id, &alice).expect_ok().to_uint(), 20_000);
    assert_eq!(w.collect(id).expect_ok().to_uint(), 10);
    assert_eq!(w.escrow(), 0);
}

#[test]
fn a_deposit_credits_once_only_to_silica_and_only_with_the_signers_word() {
    let (mut w, id) = running_by_deposit();
    let silica = w.escrow_principal();
    let stranger = w.stranger.clone();
    w.attest(id, 6_000, INDEX).expect_ok();

    // Only the settlement token.
    let (swept, alex) = (
        w.sweep(0xbf, 5_800, &silica),
        principal(&w.sim.contract_id("alex-token")),
    );
    let f = w.forward(id, 0, 6_000, &swept);
    let sigs = w.signers.sign(&f.id(&binding()));
    let who = w.stranger.clone();
    w.sim
        .call(
            SILICA,
            "record-delivery",
            &[
                alex,
                uint(id),
                uint(0),
                uint(6_000),
                buff(&f.txid),
                uint(f.vout),
                sigs,
            ],
            &who,
        )
        .expect_err(w.err("ERR_WRONG_TOKEN"));

    // Not swept (yet): nothing to read in sbtc-registry.
    let pending = Swept {
        txid: [0xc0; 32],
        vout: 1,
    };
    w.record(&w.forward(id, 0, 6_000, &pending))
        .expect_err(w.err("ERR_DEPOSIT_NOT_COMPLETED"));

    // A deposit whose recipient is another contract (here the registry itself).
    let elsewhere = w.sweep(0xc1, 5_800, &w.sim.contract_id(REG));
    w.record(&w.forward(id, 0, 6_000, &elsewhere))
        .expect_err(w.err("ERR_DEPOSIT_NOT_FOR_SILICA"));
    // ... or a person.
    let to_person = w.sweep(0xc2, 5_800, &stranger);
    w.record(&w.forward(id, 0, 6_000, &to_person))
        .expect_err(w.err("ERR_DEPOSIT_NOT_FOR_SILICA"));

    // An unrelated sender's deposit to silica: minted, but our signers never
    // forwarded it. Signed by other keys, by too few of ours, or not at all: refused.
    let unrelated = w.sweep(0xc3, 5_800, &silica);
    let f = w.forward(id, 0, 6_000, &unrelated);
    let outsiders = Signers::new("outsiders", 5, 3);
    w.record_signed(&f, outsiders.sign(&f.id(&binding())))
        .expect_err(w.reg_err("ERR_UNKNOWN_SIGNER"));
    w.record_signed(&f, w.signers.sign_with(&f.id(&binding()), &[0, 1]))
        .expect_err(w.reg_err("ERR_THRESHOLD_NOT_MET"));
    w.record_signed(&f, list(vec![]))
        .expect_err(w.reg_err("ERR_THRESHOLD_NOT_MET"));
    // sBTC anyone sends to silica directly is not delivery either.
    w.sim
        .call(
            SBTC,
            "transfer",
            &[uint(500), principal(&stranger), principal(&silica), none()],
            &stranger,
        )
        .expect_ok();
    assert_eq!(w.ledger(id, "received"), 0);
    assert_eq!(w.ledger(id, "covered"), 0);

    // More sats than the recorded, uncovered delivery; zero sats.
    let real = w.sweep(0xc4, 5_800, &silica);
    w.record(&w.forward(id, 0, 6_001, &real))
        .expect_err(w.err("ERR_DELIVERY_EXCEEDED"));
    w.record(&w.forward(id, 0, 0, &real))
        .expect_err(w.err("ERR_INVALID_AMOUNT"));

    // Recorded once: the same (txid, vout) again, even under another message, is refused.
    w.record(&w.forward(id, 0, 3_000, &real)).expect_ok();
    w.record(&w.forward(id, 0, 3_000, &real))
        .expect_err(w.reg_err("ERR_REPLAYED"));
    w.record(&w.forward(id, 0, 2_999, &real))
        .expect_err(w.err("ERR_DEPOSIT_RECORDED"));
    let credit = w
        .sim
        .read_only(
            SILICA,
            "get-deposit-credit",
            &[buff(&real.txid), uint(real.vout)],
        )
        .to_optional()
        .unwrap();
    assert_eq!(credit.field("id").to_uint(), id);
    assert_eq!(credit.field("amount").to_uint(), 5_800);
    assert_eq!(w.ledger(id, "received"), 5_800);

    // Another Silica cannot take the unrelated deposit's sats: it delivered nothing.
    let other = w.create(Terms::default());
    w.record(&w.forward(other, 0, 1, &unrelated))
        .expect_err(w.err("ERR_WINDOW_NOT_RECORDED"));
    w.record(&w.forward(999, 0, 1, &unrelated))
        .expect_err(w.err("ERR_UNKNOWN_SILICA"));
}

#[test]
fn while_the_registry_mints_deliveries_deposits_credit_nothing() {
    let (mut w, id) = running();
    let silica = w.escrow_principal();
    w.attest(id, 6_000, INDEX).expect_ok();
    // The direct mint credited the window at once.
    assert_eq!(w.ledger(id, "covered"), 6_000);
    assert_eq!(w.ledger(id, "received"), 6_000);
    let swept = w.sweep(0xd1, 5_800, &silica);
    w.record(&w.forward(id, 0, 6_000, &swept))
        .expect_err(w.err("ERR_DELIVERIES_MINTED"));
}

#[test]
fn a_delivery_that_never_arrives_is_written_off_after_the_grace_and_a_late_one_pays_the_miner() {
    let (mut w, id) = running_by_deposit();
    let silica = w.escrow_principal();
    let (miner, alice) = (w.miner.clone(), w.alice.clone());
    w.govern("set-delivery-grace", 50).expect_ok();
    for _ in 0..4 {
        w.attest(id, 6_000, INDEX).expect_ok();
    }
    assert_eq!(w.status(id), FINISHED);
    let since = w
        .sim
        .read_only(SILICA, "get-delivery-ledger", &[uint(id)])
        .field("awaiting-since")
        .to_optional()
        .unwrap()
        .to_uint();
    // Half arrived in time.
    let first = w.sweep(0xe1, 11_900, &silica);
    w.record(&w.forward(id, 1, 12_000, &first)).expect_ok();
    let stranger = w.stranger.clone();
    let write_off = |w: &mut World| {
        w.sim
            .call(SILICA, "write-off-delivery", &[uint(id)], &stranger)
    };
    let now = w.sim.burn_block_height();
    w.sim.mine((since + 50 - now - 1) as u32);
    write_off(&mut w).expect_err(w.err("ERR_DELIVERY_GRACE"));
    w.sim.mine(1);
    let r = write_off(&mut w);
    r.expect_ok();
    let done = r.print_with_topic("settlement-complete").unwrap();
    assert_eq!(done.field("reason").to_ascii(), "write-off");
    // 12,100 sats lost: the miner's 4,000, then 8,100 of the buyers' 20,000.
    assert_eq!(done.field("miner-amount").to_uint(), 0);
    assert_eq!(done.field("buyer-pool").to_uint(), 20_000 - 8_100);
    write_off(&mut w).expect_err(w.err("ERR_NOTHING_IN_FLIGHT"));
    assert_eq!(w.redeem(id, &alice).expect_ok().to_uint(), 11_900);

    // The rest arrives late: straight to the miner.
    let before = w.sbtc(&miner);
    let late = w.sweep(0xe2, 11_800, &silica);
    let r = w.record(&w.forward(id, 3, 12_000, &late));
    r.expect_ok();
    assert!(r.print_with_topic("late-delivery").is_some());
    assert_eq!(w.sbtc(&miner) - before, 11_800);
    assert_eq!(w.escrow(), 0);
}

#[test]
fn write_off_waits_for_a_settled_silica_in_flight() {
    let (mut w, id) = running_by_deposit();
    let stranger = w.stranger.clone();
    // RUNNING: nothing is awaited yet.
    w.attest(id, 6_000, INDEX).expect_ok();
    w.sim
        .call(SILICA, "write-off-delivery", &[uint(id)], &stranger)
        .expect_err(w.err("ERR_NOTHING_IN_FLIGHT"));
}

#[test]
fn only_the_deployer_switches_to_deposits_once_and_only_silica_submits_forwards() {
    let (mut w, id) = running();
    let (d, stranger) = (w.sim.deployer(), w.stranger.clone());
    let auth = w.reg_err("ERR_NOT_AUTHORIZED");
    w.sim
        .call(REG, "set-deliveries-by-deposit", &[], &stranger)
        .expect_err(auth);
    assert_lured_calls_refused(
        &w.sim,
        &format!("(contract-call? '{}.{REG} set-deliveries-by-deposit)", d),
        auth,
        &d,
    );
    let r = w.sim.call(REG, "set-deliveries-by-deposit", &[], &d);
    r.expect_ok();
    assert!(r.print_with_topic("set-deliveries-by-deposit").is_some());
    w.sim
        .call(REG, "set-deliveries-by-deposit", &[], &d)
        .expect_err(w.reg_err("ERR_ALREADY_BOOTSTRAPPED"));
    assert!(!w.sim.read_only(REG, "get-mints-deliveries", &[]).to_bool());

    // A valid forward attestation submitted to the registry by anyone but silica.
    w.attest(id, 6_000, INDEX).expect_ok();
    let f = Forward {
        silica_id: id,
        window: 0,
        sats: 6_000,
        txid: [0xf1; 32],
        vout: 0,
    };
    let sigs = w.signers.sign(&f.id(&binding()));
    let args = [
        uint(id),
        uint(0),
        uint(6_000),
        buff(&f.txid),
        uint(0),
        sigs.clone(),
    ];
    w.sim
        .call(REG, "attest-forward", &args, &stranger)
        .expect_err(auth);
    let call = format!(
        "(contract-call? '{d}.{REG} attest-forward u{id} u0 u6000 {} u0 {})",
        to_source(&buff(&f.txid)),
        to_source(&sigs)
    );
    assert_lured_calls_refused(&w.sim, &call, auth, &stranger);
}
