//! Contract-call transactions round-trip: build, sign, serialise, decode, and check
//! every field and the signature. No stacks-node runs here, so this is the proof that
//! what the coordinator broadcasts is a well-formed, correctly signed transaction.

use alkahest_clarity::values::{buff, list, principal, tuple, uint};
use alkahest_signer::key::SignerKey;
use alkahest_signer::stacks::tx::{
    address_of, decode, encode, sign_contract_call, verify, ContractCall, Network, TxError,
    CHAIN_ID_MAINNET, CHAIN_ID_TESTNET,
};
use clarity_repl::codec::{
    TransactionAnchorMode, TransactionAuth, TransactionPayload, TransactionPostConditionMode,
    TransactionSpendingCondition, TransactionVersion,
};
use proptest::prelude::*;

const CONTRACT: &str = "ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.silica";

fn key(byte: u8) -> SignerKey {
    SignerKey::from_hex(&format!("{byte:02x}").repeat(32), "test").unwrap()
}

fn attestation_call() -> ContractCall {
    let sigs: Vec<_> = (0..15u8).map(|i| buff(&[i; 65])).collect();
    ContractCall {
        contract_id: CONTRACT.into(),
        function: "attest-window".into(),
        args: vec![
            tuple([
                ("silica-id", uint(7)),
                ("window", uint(3)),
                ("delivered", uint(123_456_789)),
                ("burn-hash", buff(&[0xab; 32])),
            ]),
            list(sigs),
            principal("ST1BE9S8QS0HZ5DXJTG5FQKMQ952VY2N5EP2E9C1E"),
        ],
    }
}

#[test]
fn every_field_survives_the_round_trip_and_the_signature_verifies() {
    let k = key(0x11);
    let call = attestation_call();
    let tx = sign_contract_call(&call, 42, 12_345, &k, Network::Testnet).unwrap();
    let bytes = encode(&tx);
    let back = decode(&bytes).unwrap();
    assert_eq!(back, tx);
    verify(&back).unwrap();

    assert_eq!(back.version, TransactionVersion::Testnet);
    assert_eq!(back.chain_id, CHAIN_ID_TESTNET);
    assert_eq!(back.anchor_mode, TransactionAnchorMode::Any);
    assert_eq!(back.post_condition_mode, TransactionPostConditionMode::Deny);
    assert!(back.post_conditions.is_empty());
    let TransactionAuth::Standard(TransactionSpendingCondition::Singlesig(cond)) = &back.auth
    else {
        panic!("expected a standard single-sig auth: {:?}", back.auth);
    };
    assert_eq!(cond.nonce, 42);
    assert_eq!(cond.tx_fee, 12_345);
    assert_eq!(cond.signer, address_of(&k, Network::Testnet).bytes);
    assert_eq!(
        back.origin_address().to_string(),
        address_of(&k, Network::Testnet).to_string()
    );
    let TransactionPayload::ContractCall(cc) = &back.payload else {
        panic!("expected a contract call");
    };
    assert_eq!(format!("{}.{}", cc.address, cc.contract_name), CONTRACT);
    assert_eq!(cc.function_name.as_str(), "attest-window");
    assert_eq!(cc.function_args, call.args);
}

#[test]
fn mainnet_transactions_carry_mainnet_version_and_chain_id() {
    let k = key(0x22);
    let tx = sign_contract_call(&attestation_call(), 0, 1, &k, Network::Mainnet).unwrap();
    let back = decode(&encode(&tx)).unwrap();
    assert_eq!(back.version, TransactionVersion::Mainnet);
    assert_eq!(back.chain_id, CHAIN_ID_MAINNET);
    assert!(back.origin_address().to_string().starts_with("SP"));
    verify(&back).unwrap();
}

#[test]
fn tampering_breaks_the_signature_and_garbage_is_refused() {
    let k = key(0x33);
    let tx = sign_contract_call(&attestation_call(), 5, 10, &k, Network::Testnet).unwrap();
    let mut bytes = encode(&tx);
    // Flip a byte of the delivered amount inside the payload.
    let needle = 123_456_789u128.to_be_bytes();
    let at = bytes
        .windows(16)
        .position(|w| w == needle)
        .expect("the amount is in the payload");
    bytes[at + 15] ^= 1;
    let tampered = decode(&bytes).unwrap();
    assert!(
        verify(&tampered).is_err(),
        "a tampered payload must not verify"
    );

    let mut trailing = encode(&tx);
    trailing.push(0);
    assert!(matches!(decode(&trailing), Err(TxError::TrailingBytes(1))));
    let full = encode(&tx);
    for cut in [0, 1, 10, full.len() / 2, full.len() - 1] {
        assert!(decode(&full[..cut]).is_err(), "truncated at {cut}");
    }
}

#[test]
fn malformed_calls_are_refused_with_the_bad_value() {
    let k = key(0x44);
    let mut call = attestation_call();
    call.contract_id = "not-a-contract".into();
    let e = sign_contract_call(&call, 0, 0, &k, Network::Testnet).unwrap_err();
    assert!(e.to_string().contains("not-a-contract"));
    let mut call = attestation_call();
    call.function = "bad function".into();
    let e = sign_contract_call(&call, 0, 0, &k, Network::Testnet).unwrap_err();
    assert!(e.to_string().contains("bad function"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn random_calls_round_trip(nonce in any::<u64>(), fee in any::<u64>(), seed in 1u8..=254,
                               amounts in proptest::collection::vec(any::<u128>(), 0..8),
                               blob in proptest::collection::vec(any::<u8>(), 0..200)) {
        let k = key(seed);
        let call = ContractCall {
            contract_id: CONTRACT.into(),
            function: "f".into(),
            args: vec![list(amounts.into_iter().map(uint).collect()), buff(&blob)],
        };
        let tx = sign_contract_call(&call, nonce, fee, &k, Network::Testnet).unwrap();
        let back = decode(&encode(&tx)).unwrap();
        prop_assert_eq!(&back, &tx);
        prop_assert!(verify(&back).is_ok());
        prop_assert_eq!(back.get_origin_nonce(), nonce);
        prop_assert_eq!(back.get_tx_fee(), fee);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }
}
