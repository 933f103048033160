//! The messages M of N signers sign, byte for byte as `signer-registry` hashes them.
//!
//! Every message is a Clarity tuple that carries `domain`, `chain-id` and `registry`
//! (the `signer-registry` contract principal that will accept it); its id, what the
//! signers sign, is `sha256(to-consensus-buff? tuple)`. The `registry` field binds a
//! signature to one deployment: a second deployment on the same chain with the same
//! signers (a v2, a redeploy) computes different ids and refuses the first one's
//! messages, so the same BTC can never be minted twice. The layout and a worked example
//! are in `docs/attestation.md`.

use crate::principal::{Principal, PrincipalError};
use crate::{consensus, sha256, CompressedKey, CHAIN_ID_TESTNET};

/// Domain of a Silica delivery attestation (`signer-registry` `DOMAIN_DELIVERY`).
pub const DOMAIN_DELIVERY: &str = "alkahest-silica-delivery-v2";
/// Domain of an sBTC peg-in deposit (`DOMAIN_DEPOSIT`).
pub const DOMAIN_DEPOSIT: &str = "alkahest-sbtc-deposit-v2";
/// Domain of a signer-set rotation (`DOMAIN_ROTATION`).
pub const DOMAIN_ROTATION: &str = "alkahest-signer-rotation-v2";
/// Domain of a forward attestation (`DOMAIN_FORWARD`): an sBTC deposit carries a
/// Silica's delivered sats (`silica record-delivery`).
pub const DOMAIN_FORWARD: &str = "alkahest-silica-forward-v1";

/// The deployment a message or payout script is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// `chain-id` of the Stacks network.
    pub chain_id: u128,
    /// The `signer-registry` contract that verifies signatures.
    pub registry: Principal,
    /// The `silica` contract whose payout scripts commit to it.
    pub silica: Principal,
}

impl Binding {
    /// The binding of a testnet/devnet deployment by `deployer` (contracts
    /// `signer-registry` and `silica`).
    ///
    /// # Errors
    /// [`PrincipalError`] when `deployer` is not a standard principal.
    pub fn testnet(deployer: &str) -> Result<Binding, PrincipalError> {
        Binding::of_deployer(CHAIN_ID_TESTNET, deployer)
    }

    /// The binding of the contracts `signer-registry` and `silica` deployed by
    /// `deployer` on the chain `chain_id`.
    ///
    /// # Errors
    /// [`PrincipalError`] when `deployer` is not a standard principal.
    pub fn of_deployer(chain_id: u128, deployer: &str) -> Result<Binding, PrincipalError> {
        let d = Principal::parse(deployer)?;
        if d.contract_name().is_some() {
            return Err(PrincipalError::Malformed(deployer.to_string()));
        }
        Ok(Binding {
            chain_id,
            registry: d.contract("signer-registry")?,
            silica: d.contract("silica")?,
        })
    }

    /// The tuple `{domain, chain-id, registry}` plus `payload`, serialized: every
    /// signed message's bytes.
    fn tuple(&self, domain: &str, payload: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut fields = vec![
            ("domain", consensus::ascii(domain)),
            ("chain-id", consensus::uint(self.chain_id)),
            ("registry", consensus::principal(&self.registry)),
        ];
        fields.extend_from_slice(payload);
        consensus::tuple(&fields)
    }
}

/// A Silica delivery attestation for one window (`attest-delivery`, `attest-window`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The Silica id.
    pub silica_id: u128,
    /// The 0-based window: burn heights `[start + L·w, start + L·(w+1))`, L the
    /// Silica's own window length (snapshotted at `create`; 144 on mainnet).
    pub window: u128,
    /// Sats paid to the Silica's payout script in the window.
    pub delivered: u128,
    /// Network index for the window in [`crate::index::INDEX_UNIT`]s
    /// (10^-8 sat per TH/s·day).
    pub index: u128,
    /// The Bitcoin height whose header hash pins the attested chain.
    pub burn_height: u128,
    /// `get-burn-block-info? header-hash burn_height`.
    pub burn_hash: [u8; 32],
}

impl Delivery {
    /// The consensus-serialized message tuple.
    pub fn message(&self, b: &Binding) -> Vec<u8> {
        b.tuple(
            DOMAIN_DELIVERY,
            &[
                ("silica-id", consensus::uint(self.silica_id)),
                ("window", consensus::uint(self.window)),
                ("delivered", consensus::uint(self.delivered)),
                ("index", consensus::uint(self.index)),
                ("burn-height", consensus::uint(self.burn_height)),
                ("burn-hash", consensus::buff(&self.burn_hash)),
            ],
        )
    }

    /// The attestation id the signers sign: `sha256` of [`Delivery::message`].
    pub fn id(&self, b: &Binding) -> [u8; 32] {
        sha256(&self.message(b))
    }
}

/// An sBTC peg-in: output `(txid, vout)` paid `amount` sats to a signer script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// Bitcoin txid (the byte order the signers agree on; the contract only compares).
    pub txid: [u8; 32],
    /// Output index.
    pub vout: u128,
    /// Sats, minted 1:1 as sBTC base units.
    pub amount: u128,
    /// Who receives the sBTC.
    pub recipient: Principal,
    /// The Bitcoin height whose header hash pins the attested chain.
    pub burn_height: u128,
    /// `get-burn-block-info? header-hash burn_height`.
    pub burn_hash: [u8; 32],
}

impl Deposit {
    /// The consensus-serialized message tuple.
    pub fn message(&self, b: &Binding) -> Vec<u8> {
        b.tuple(
            DOMAIN_DEPOSIT,
            &[
                ("txid", consensus::buff(&self.txid)),
                ("vout", consensus::uint(self.vout)),
                ("amount", consensus::uint(self.amount)),
                ("recipient", consensus::principal(&self.recipient)),
                ("burn-height", consensus::uint(self.burn_height)),
                ("burn-hash", consensus::buff(&self.burn_hash)),
            ],
        )
    }

    /// `sha256` of [`Deposit::message`].
    pub fn id(&self, b: &Binding) -> [u8; 32] {
        sha256(&self.message(b))
    }
}

/// The signers' word that sBTC deposit `(txid, vout)`, built by their forward of the
/// payout script's outputs, carries `sats` of Silica `silica_id`'s recorded delivery
/// from windows up to `window` (`attest-forward`, `silica record-delivery`). The
/// deposit's minted amount is read from the sBTC registry, never from this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The Silica id.
    pub silica_id: u128,
    /// The latest window whose payouts the deposit forwards.
    pub window: u128,
    /// Delivered sats (as recorded in the windows) the deposit carries, before the
    /// forward's and the sweep's fees.
    pub sats: u128,
    /// The deposit transaction's txid, in the byte order sBTC's registry keys it.
    pub txid: [u8; 32],
    /// The deposit output's index.
    pub vout: u128,
}

impl Forward {
    /// The consensus-serialized message tuple.
    pub fn message(&self, b: &Binding) -> Vec<u8> {
        b.tuple(
            DOMAIN_FORWARD,
            &[
                ("silica-id", consensus::uint(self.silica_id)),
                ("window", consensus::uint(self.window)),
                ("sats", consensus::uint(self.sats)),
                ("txid", consensus::buff(&self.txid)),
                ("vout", consensus::uint(self.vout)),
            ],
        )
    }

    /// `sha256` of [`Forward::message`].
    pub fn id(&self, b: &Binding) -> [u8; 32] {
        sha256(&self.message(b))
    }
}

/// A signer-set rotation, signed by M of the set it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Version of the set being replaced.
    pub version: u128,
    /// The new keys, strictly ascending.
    pub signers: Vec<CompressedKey>,
    /// The new threshold M.
    pub threshold: u128,
}

impl Rotation {
    /// The consensus-serialized message tuple.
    pub fn message(&self, b: &Binding) -> Vec<u8> {
        let keys: Vec<Vec<u8>> = self.signers.iter().map(|k| consensus::buff(k)).collect();
        b.tuple(
            DOMAIN_ROTATION,
            &[
                ("version", consensus::uint(self.version)),
                ("signers", consensus::list(&keys)),
                ("threshold", consensus::uint(self.threshold)),
            ],
        )
    }

    /// `sha256` of [`Rotation::message`].
    pub fn id(&self, b: &Binding) -> [u8; 32] {
        sha256(&self.message(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap()
    }

    /// The worked example in docs/attestation.md.
    #[test]
    fn documented_example() {
        let d = Delivery {
            silica_id: 1,
            window: 0,
            delivered: 50_000,
            index: 6_000_000_000,
            burn_height: 300,
            burn_hash: [0x11; 32],
        };
        let b = binding();
        let msg = d.message(&b);
        assert_eq!(msg.len(), 294);
        assert_eq!(
            hex::encode(d.id(&b)),
            "f7b5d06d74318dbd5168e5ab4c63cb1c94d5a0c1b5fffb0628313be5ebcea944"
        );
    }

    #[test]
    fn another_deployment_gets_another_id() {
        let d = Delivery {
            silica_id: 1,
            window: 0,
            delivered: 1,
            index: 1,
            burn_height: 1,
            burn_hash: [0; 32],
        };
        let a = binding();
        let mut b = a.clone();
        b.registry = b
            .registry
            .deployer()
            .contract("signer-registry-v2")
            .unwrap();
        assert_ne!(d.id(&a), d.id(&b));
        let mut c = a.clone();
        c.chain_id = crate::CHAIN_ID_MAINNET;
        assert_ne!(d.id(&a), d.id(&c));
    }

    #[test]
    fn binding_needs_a_standard_deployer() {
        assert!(Binding::testnet("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.x").is_err());
        assert!(Binding::testnet("nope").is_err());
    }

    /// One tuple field as docs/attestation.md lays it out: name length, name, value.
    fn field(name: &str, value_hex: &str) -> Vec<u8> {
        let mut out = vec![name.len() as u8];
        out.extend_from_slice(name.as_bytes());
        out.extend(hex::decode(value_hex).unwrap());
        out
    }

    /// A tuple of `fields`, already in ascending name order, written out by hand.
    fn tuple_of(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![0x0c, 0, 0, 0, fields.len() as u8];
        for f in fields {
            out.extend_from_slice(f);
        }
        out
    }

    /// A uint: `0x01` + 16 bytes big-endian, in hex.
    fn uint_hex(n: u128) -> String {
        format!("01{n:032x}")
    }

    /// `ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM`: version 26, its hash160.
    const DEPLOYER_HEX: &str = "1a6d78de7b0625dfbfc16c3a8a5735f6dc3dc3f2ce";

    fn registry_hex() -> String {
        format!("06{DEPLOYER_HEX}0f{}", hex::encode("signer-registry"))
    }

    /// The deposit message byte for byte as the docs list its fields; the recipient is
    /// a standard principal (`0x05`), unlike the registry.
    #[test]
    fn deposit_message_matches_the_documented_layout() {
        let d = Deposit {
            txid: [0x22; 32],
            vout: 1,
            amount: 50_000,
            recipient: Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap(),
            burn_height: 300,
            burn_hash: [0x11; 32],
        };
        let want = tuple_of(&[
            field("amount", &uint_hex(50_000)),
            field("burn-hash", &format!("0200000020{}", "11".repeat(32))),
            field("burn-height", &uint_hex(300)),
            field("chain-id", &uint_hex(0x8000_0000)),
            field(
                "domain",
                &format!("0d00000018{}", hex::encode("alkahest-sbtc-deposit-v2")),
            ),
            field("recipient", &format!("05{DEPLOYER_HEX}")),
            field("registry", &registry_hex()),
            field("txid", &format!("0200000020{}", "22".repeat(32))),
            field("vout", &uint_hex(1)),
        ]);
        let b = binding();
        assert_eq!(hex::encode(d.message(&b)), hex::encode(&want));
        assert_eq!(d.id(&b), sha256(&want));
    }

    /// The rotation message: the new keys as a list of 33-byte buffs.
    #[test]
    fn rotation_message_matches_the_documented_layout() {
        let r = Rotation {
            version: 3,
            signers: vec![[0x02; 33], [0x03; 33]],
            threshold: 2,
        };
        let keys = format!(
            "0b00000002 0200000021{} 0200000021{}",
            "02".repeat(33),
            "03".repeat(33)
        )
        .replace(' ', "");
        let want = tuple_of(&[
            field("chain-id", &uint_hex(0x8000_0000)),
            field(
                "domain",
                &format!("0d0000001b{}", hex::encode("alkahest-signer-rotation-v2")),
            ),
            field("registry", &registry_hex()),
            field("signers", &keys),
            field("threshold", &uint_hex(2)),
            field("version", &uint_hex(3)),
        ]);
        let b = binding();
        assert_eq!(hex::encode(r.message(&b)), hex::encode(&want));
        assert_eq!(r.id(&b), sha256(&want));
    }
}
