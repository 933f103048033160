//! The sBTC stand-ins `sbtc-registry` and `sbtc-deposit` (issue 16): the real
//! contracts' completion checks in their order, the registry's record read back by
//! another contract's view, key rotation with its replay guard, and every privileged
//! function refused to strangers and to malicious contracts (directly and through
//! `as-contract`).

use alkahest_clarity::values::{buff, list, principal, uint, ValueExt};
use alkahest_clarity::{Simnet, Value};

const REG: &str = "sbtc-registry";
const DEP: &str = "sbtc-deposit";
const TOKEN: &str = "sbtc-token";

/// The arguments of `complete-deposit-wrapper`: deposit (txid, vout), amount,
/// recipient, the sweep's burn hash and height, the sweep txid.
fn wrapper_args(sim: &mut Simnet, txid: &[u8], vout: u128, amount: u128, to: &str) -> Vec<Value> {
    let h = sim.burn_block_height() - 1;
    let hash = sim.burn_header_hash(h).unwrap();
    vec![
        buff(txid),
        uint(vout),
        uint(amount),
        principal(to),
        buff(&hash),
        uint(h),
        buff(&[0xee; 32]),
    ]
}

fn ready() -> Simnet {
    let mut sim = Simnet::new();
    sim.mine(3);
    sim
}

#[test]
fn the_signer_principal_completes_a_deposit_once_and_a_contract_can_read_it() {
    let mut sim = ready();
    let d = sim.deployer();
    let silica = sim.contract_id("silica");
    let code = |sim: &Simnet, n: &str| sim.err_code(DEP, n);

    // The deployer is the signer principal until the first rotation.
    let args = wrapper_args(&mut sim, &[0x11; 32], 2, 9_500, &silica);
    let r = sim.call(DEP, "complete-deposit-wrapper", &args, &d);
    r.expect_ok();
    let print = r.print_with_topic("completed-deposit").unwrap();
    assert_eq!(print.field("bitcoin-txid").to_buff(), vec![0x11; 32]);
    assert_eq!(print.field("output-index").to_uint(), 2);
    assert_eq!(print.field("amount").to_uint(), 9_500);
    assert_eq!(
        sim.ft_balance(TOKEN, &silica),
        9_500,
        "a contract may receive"
    );
    let rec = sim
        .read_only(REG, "get-completed-deposit", &[buff(&[0x11; 32]), uint(2)])
        .to_optional()
        .unwrap();
    assert_eq!(rec.field("amount").to_uint(), 9_500);
    assert_eq!(rec.field("recipient").to_principal(), silica);
    assert_eq!(rec.field("sweep-txid").to_buff(), vec![0xee; 32]);
    assert_eq!(
        rec.field("sweep-burn-height").to_uint(),
        args[5].clone().to_uint()
    );
    assert!(sim
        .read_only(REG, "get-completed-deposit", &[buff(&[0x11; 32]), uint(3)])
        .to_optional()
        .is_none());

    // The same (txid, vout) again: replay. Another vout of the same txid is new.
    sim.call(DEP, "complete-deposit-wrapper", &args, &d)
        .expect_err(code(&sim, "ERR_DEPOSIT_REPLAY"));
    let other = wrapper_args(&mut sim, &[0x11; 32], 3, 546, &d);
    sim.call(DEP, "complete-deposit-wrapper", &other, &d)
        .expect_ok();

    // Dust: 545 refused, 546 (above) accepted.
    let dust = wrapper_args(&mut sim, &[0x12; 32], 0, 545, &d);
    sim.call(DEP, "complete-deposit-wrapper", &dust, &d)
        .expect_err(code(&sim, "ERR_LOWER_THAN_DUST"));

    // Short txids, deposit and sweep.
    let short = wrapper_args(&mut sim, &[0x13; 31], 0, 600, &d);
    sim.call(DEP, "complete-deposit-wrapper", &short, &d)
        .expect_err(code(&sim, "ERR_TXID_LEN"));
    let mut short_sweep = wrapper_args(&mut sim, &[0x13; 32], 0, 600, &d);
    short_sweep[6] = buff(&[0xee; 31]);
    sim.call(DEP, "complete-deposit-wrapper", &short_sweep, &d)
        .expect_err(code(&sim, "ERR_TXID_LEN"));

    // A sweep on another fork: the burn hash is not the node's at that height.
    let mut forked = wrapper_args(&mut sim, &[0x14; 32], 0, 600, &d);
    forked[4] = buff(&[0x99; 32]);
    sim.call(DEP, "complete-deposit-wrapper", &forked, &d)
        .expect_err(code(&sim, "ERR_INVALID_BURN_HASH"));
    assert!(sim
        .read_only(REG, "get-deposit-status", &[buff(&[0x14; 32]), uint(0)])
        .to_optional()
        .is_none());
}

#[test]
fn only_the_current_signer_principal_completes_and_rotates() {
    let mut sim = ready();
    let (d, w1, w2) = (
        sim.deployer(),
        sim.account("wallet_1"),
        sim.account("wallet_2"),
    );
    let args = wrapper_args(&mut sim, &[0x21; 32], 0, 1_000, &w1);
    sim.call(DEP, "complete-deposit-wrapper", &args, &w1)
        .expect_err(sim.err_code(DEP, "ERR_INVALID_CALLER"));

    let keys = |b: u8| list(vec![buff(&[b; 33]), buff(&[b + 1; 33])]);
    let unauthorized = sim.err_code(REG, "ERR_UNAUTHORIZED");
    let rotate = |to: &str, agg: u8| [keys(agg), principal(to), buff(&[agg; 33]), uint(2)];
    sim.call(REG, "rotate-keys", &rotate(&w1, 2), &w2)
        .expect_err(unauthorized);
    let r = sim.call(REG, "rotate-keys", &rotate(&w1, 2), &d);
    r.expect_ok();
    assert!(r.print_with_topic("key-rotation").is_some());
    let data = sim.read_only(REG, "get-current-signer-data", &[]);
    assert_eq!(data.field("current-signer-principal").to_principal(), w1);
    assert_eq!(
        data.field("current-aggregate-pubkey").to_buff(),
        vec![2; 33]
    );
    assert_eq!(data.field("current-signature-threshold").to_uint(), 2);
    assert_eq!(
        sim.read_only(REG, "get-current-aggregate-pubkey", &[])
            .to_buff(),
        vec![2; 33]
    );

    // The old principal is out; the new one completes and rotates.
    sim.call(DEP, "complete-deposit-wrapper", &args, &d)
        .expect_err(sim.err_code(DEP, "ERR_INVALID_CALLER"));
    sim.call(DEP, "complete-deposit-wrapper", &args, &w1)
        .expect_ok();
    sim.call(REG, "rotate-keys", &rotate(&w2, 4), &d)
        .expect_err(unauthorized);
    // An aggregate key used before is refused, even to the signer principal.
    sim.call(REG, "rotate-keys", &rotate(&w2, 2), &w1)
        .expect_err(sim.err_code(REG, "ERR_AGG_PUBKEY_REPLAY"));
    sim.call(REG, "rotate-keys", &rotate(&w2, 4), &w1)
        .expect_ok();
    assert_eq!(
        sim.read_only(REG, "get-current-signer-principal", &[])
            .to_principal(),
        w2
    );
}

#[test]
fn the_registry_and_the_token_mint_only_for_the_deposit_contract() {
    let mut sim = ready();
    let (d, w1) = (sim.deployer(), sim.account("wallet_1"));
    let record = [
        buff(&[0x31; 32]),
        uint(0),
        uint(1_000),
        principal(&w1),
        buff(&[0; 32]),
        uint(1),
        buff(&[0; 32]),
    ];
    sim.call(REG, "complete-deposit", &record, &d)
        .expect_err(sim.err_code(REG, "ERR_UNAUTHORIZED"));
    sim.call(
        TOKEN,
        "protocol-mint",
        &[uint(5), principal(&w1), buff(&[1])],
        &d,
    )
    .expect_err(sim.err_code(TOKEN, "ERR_NOT_AUTHORIZED"));
    let deposit = sim.contract_id(DEP);
    let unauthorized = sim.err_code(REG, "ERR_UNAUTHORIZED");
    assert!(sim
        .read_only(
            REG,
            "is-protocol-caller",
            &[buff(&[1]), principal(&deposit)]
        )
        .to_bool());
    for (flag, who) in [(2u8, deposit.clone()), (1, d.clone())] {
        sim.call(
            REG,
            "is-protocol-caller",
            &[buff(&[flag]), principal(&who)],
            &d,
        )
        .expect_err(unauthorized);
    }
}

/// A malicious contract the signer principal (the deployer here) is lured into calling
/// cannot complete a deposit, record one, mint, or rotate keys, directly or through
/// `as-contract`.
#[test]
fn malicious_contracts_cannot_complete_mint_or_rotate() {
    let mut base = ready();
    let d = base.deployer();
    let (dep, reg, token) = (
        base.contract_id(DEP),
        base.contract_id(REG),
        base.contract_id(TOKEN),
    );
    let h = base.burn_block_height() - 1;
    let hash: String = base
        .burn_header_hash(h)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let zeros = "0x".to_owned() + &"00".repeat(32);
    let calls = [
        (
            format!(
                "(contract-call? '{dep} complete-deposit-wrapper {zeros} u0 u1000 tx-sender 0x{hash} u{h} {zeros})"
            ),
            DEP,
            "ERR_INVALID_CALLER",
        ),
        (
            format!(
                "(contract-call? '{reg} complete-deposit {zeros} u0 u1000 tx-sender {zeros} u1 {zeros})"
            ),
            REG,
            "ERR_UNAUTHORIZED",
        ),
        (
            format!("(contract-call? '{token} protocol-mint u1000 tx-sender 0x01)"),
            TOKEN,
            "ERR_NOT_AUTHORIZED",
        ),
        (
            format!(
                "(contract-call? '{reg} rotate-keys (list) tx-sender 0x{} u1)",
                "07".repeat(33)
            ),
            REG,
            "ERR_UNAUTHORIZED",
        ),
    ];
    for (call, contract, err) in calls {
        let code = base.err_code(contract, err);
        crate::actors::assert_lured_calls_refused(&base, &call, code, &d);
    }
}
