//! Contract-call transactions: built with clarity-repl's `codec`, signed with
//! stacks-common's secp256k1, serialised to the consensus bytes a Stacks node accepts
//! on `/v2/transactions`, and decoded back for verification.

use clarity::address::AddressHashMode;
use clarity::codec::StacksMessageCodec;
use clarity::types::chainstate::StacksAddress;
use clarity::util::secp256k1::MessageSignature;
use clarity::vm::types::QualifiedContractIdentifier;
use clarity::vm::{ClarityName, Value};
use clarity_repl::codec::{
    SinglesigHashMode, SinglesigSpendingCondition, StacksTransaction, StacksTransactionSigner,
    TransactionAnchorMode, TransactionAuth, TransactionContractCall, TransactionPayload,
    TransactionPostConditionMode, TransactionPublicKeyEncoding, TransactionSpendingCondition,
    TransactionVersion,
};

use crate::key::{stacks_public, stacks_secret, SignerKey};

/// Chain id of Stacks mainnet.
pub const CHAIN_ID_MAINNET: u32 = 0x0000_0001;
/// Chain id of Stacks testnet, also used by devnets and the simnet.
pub const CHAIN_ID_TESTNET: u32 = 0x8000_0000;

/// Which Stacks network a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// Mainnet: version 0x00, chain id 1, `SP…` addresses.
    Mainnet,
    /// Testnet and devnets: version 0x80, chain id 0x80000000, `ST…` addresses.
    Testnet,
}

impl Network {
    /// The chain id signed into every transaction.
    pub fn chain_id(self) -> u32 {
        match self {
            Network::Mainnet => CHAIN_ID_MAINNET,
            Network::Testnet => CHAIN_ID_TESTNET,
        }
    }

    fn version(self) -> TransactionVersion {
        match self {
            Network::Mainnet => TransactionVersion::Mainnet,
            Network::Testnet => TransactionVersion::Testnet,
        }
    }

    /// The c32 version byte of single-sig addresses.
    pub fn address_version(self) -> u8 {
        match self {
            Network::Mainnet => clarity::address::C32_ADDRESS_VERSION_MAINNET_SINGLESIG,
            Network::Testnet => clarity::address::C32_ADDRESS_VERSION_TESTNET_SINGLESIG,
        }
    }
}

/// A contract call to submit: `contract_id` is `ADDRESS.contract-name`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractCall {
    /// The called contract.
    pub contract_id: String,
    /// The public function.
    pub function: String,
    /// Arguments, in order.
    pub args: Vec<Value>,
}

/// Why a transaction could not be built, decoded or verified.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The contract id is not `ADDRESS.name`.
    #[error("invalid contract id {0}")]
    ContractId(String),
    /// The function name is not a valid Clarity name.
    #[error("invalid function name {0}")]
    FunctionName(String),
    /// The codec refused to sign, serialise or decode.
    #[error("transaction codec: {0}")]
    Codec(String),
    /// Bytes remained after the transaction.
    #[error("{0} trailing bytes after the transaction")]
    TrailingBytes(usize),
}

/// The address that `key` controls on `network`.
pub fn address_of(key: &SignerKey, network: Network) -> StacksAddress {
    StacksAddress::from_public_keys(
        network.address_version(),
        &AddressHashMode::SerializeP2PKH,
        1,
        &vec![stacks_public(key)],
    )
    .expect("a single compressed key always yields a P2PKH address")
}

/// Builds and signs a single-sig (P2PKH) contract-call transaction.
///
/// # Errors
/// [`TxError`] for a malformed contract id or function name, or a signing failure.
pub fn sign_contract_call(
    call: &ContractCall,
    nonce: u64,
    fee: u64,
    key: &SignerKey,
    network: Network,
) -> Result<StacksTransaction, TxError> {
    sign_contract_call_for_chain(call, nonce, fee, key, network, network.chain_id())
}

/// [`sign_contract_call`] with an explicit chain id: a network's own chain id is the
/// only one its nodes accept, so this is for a chain that runs with another (and for
/// checking that a node refuses the wrong one).
///
/// # Errors
/// As [`sign_contract_call`].
pub fn sign_contract_call_for_chain(
    call: &ContractCall,
    nonce: u64,
    fee: u64,
    key: &SignerKey,
    network: Network,
    chain_id: u32,
) -> Result<StacksTransaction, TxError> {
    let contract = QualifiedContractIdentifier::parse(&call.contract_id)
        .map_err(|_| TxError::ContractId(call.contract_id.clone()))?;
    let function_name = ClarityName::try_from(call.function.clone())
        .map_err(|_| TxError::FunctionName(call.function.clone()))?;
    let payload = TransactionPayload::ContractCall(TransactionContractCall {
        address: StacksAddress::from(contract.issuer),
        contract_name: contract.name,
        function_name,
        function_args: call.args.clone(),
    });
    let signer = address_of(key, network);
    let auth = TransactionAuth::Standard(TransactionSpendingCondition::Singlesig(
        SinglesigSpendingCondition {
            signer: signer.bytes,
            nonce,
            tx_fee: fee,
            hash_mode: SinglesigHashMode::P2PKH,
            key_encoding: TransactionPublicKeyEncoding::Compressed,
            signature: MessageSignature::empty(),
        },
    ));
    let unsigned = StacksTransaction {
        version: network.version(),
        chain_id,
        auth,
        anchor_mode: TransactionAnchorMode::Any,
        // Deny mode with no post-conditions: the call may move no asset of the signer.
        post_condition_mode: TransactionPostConditionMode::Deny,
        post_conditions: vec![],
        payload,
    };
    let mut signer = StacksTransactionSigner::new(&unsigned);
    signer
        .sign_origin(&stacks_secret(key))
        .map_err(|e| TxError::Codec(e.to_string()))?;
    signer
        .get_tx()
        .ok_or_else(|| TxError::Codec("signer did not complete the transaction".into()))
}

/// The consensus bytes of a transaction.
pub fn encode(tx: &StacksTransaction) -> Vec<u8> {
    tx.serialize_to_vec()
}

/// Decodes consensus bytes, refusing trailing garbage.
///
/// # Errors
/// [`TxError::Codec`] or [`TxError::TrailingBytes`].
pub fn decode(bytes: &[u8]) -> Result<StacksTransaction, TxError> {
    let mut cursor = bytes;
    let tx = StacksTransaction::consensus_deserialize(&mut cursor)
        .map_err(|e| TxError::Codec(e.to_string()))?;
    if !cursor.is_empty() {
        return Err(TxError::TrailingBytes(cursor.len()));
    }
    Ok(tx)
}

/// Verifies the origin signature of a decoded transaction.
///
/// # Errors
/// [`TxError::Codec`] when the signature does not match the signer.
pub fn verify(tx: &StacksTransaction) -> Result<(), TxError> {
    tx.verify().map_err(|e| TxError::Codec(e.to_string()))
}

/// The transaction id a node reports for `tx` (hex, display order as the node prints).
pub fn txid_hex(tx: &StacksTransaction) -> String {
    hex::encode(tx.txid().0)
}
