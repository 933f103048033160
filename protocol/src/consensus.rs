//! Clarity consensus serialization (`to-consensus-buff?`) of the value kinds signer
//! messages use, written out so that no Clarity VM is needed to build a message. The
//! layout is documented in `docs/attestation.md`; the contract harness checks these
//! bytes against the VM's serializer and the contracts' own `*-message` functions.
//!
//! - uint: `0x01` + 16 bytes BE; buff: `0x02` + length (u32 BE) + bytes;
//! - string-ascii: `0x0d` + length (u32 BE) + bytes; list: `0x0b` + count (u32 BE) + items;
//! - standard principal: `0x05` + version + hash160; contract principal: `0x06` + version
//!   + hash160 + name length (u8) + name;
//! - tuple: `0x0c`, field count (u32 BE), then per field in ascending byte order of the
//!   name: name length (u8), name, value.

use crate::principal::Principal;

/// `uint`: `0x01` + 16 bytes big-endian.
pub fn uint(n: u128) -> Vec<u8> {
    let mut out = vec![0x01];
    out.extend_from_slice(&n.to_be_bytes());
    out
}

/// `buff`: `0x02` + length (u32 BE) + bytes.
pub fn buff(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02];
    out.extend_from_slice(&len_u32(bytes.len()).to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

/// `string-ascii`: `0x0d` + length (u32 BE) + bytes.
pub fn ascii(s: &str) -> Vec<u8> {
    let mut out = vec![0x0d];
    out.extend_from_slice(&len_u32(s.len()).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    out
}

/// `list`: `0x0b` + item count (u32 BE) + each serialized item.
pub fn list(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0x0b];
    out.extend_from_slice(&len_u32(items.len()).to_be_bytes());
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

/// A principal: standard `0x05` + version + hash160; contract `0x06` + version +
/// hash160 + name length (u8) + name.
pub fn principal(p: &Principal) -> Vec<u8> {
    let (version, hash) = p.issuer();
    let mut out = vec![
        if p.contract_name().is_some() {
            0x06
        } else {
            0x05
        },
        version,
    ];
    out.extend_from_slice(hash);
    if let Some(name) = p.contract_name() {
        // Principal::contract refuses names over 128 bytes.
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
    }
    out
}

/// Reads a principal serialized by [`principal`] (a deposit script's recipient); `None`
/// for any other bytes, including trailing ones.
pub fn parse_principal(bytes: &[u8]) -> Option<Principal> {
    let (&kind, rest) = bytes.split_first()?;
    let (&version, rest) = rest.split_first()?;
    let hash: [u8; 20] = rest.get(..20)?.try_into().ok()?;
    let standard = Principal::standard(version, hash);
    match (kind, &rest[20..]) {
        (0x05, []) => Some(standard),
        (0x06, [len, name @ ..]) if usize::from(*len) == name.len() => {
            standard.contract(std::str::from_utf8(name).ok()?).ok()
        }
        _ => None,
    }
}

/// A tuple: `0x0c` + field count (u32 BE) + per field, in ascending byte order of the
/// names, name length (u8) + name + serialized value. Field names are the protocol's
/// own constants, all shorter than Clarity's 128-byte limit.
pub fn tuple(fields: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut sorted: Vec<&(&str, Vec<u8>)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = vec![0x0c];
    out.extend_from_slice(&len_u32(sorted.len()).to_be_bytes());
    for (name, value) in sorted {
        debug_assert!(name.len() <= 128, "Clarity names are at most 128 bytes");
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value);
    }
    out
}

fn len_u32(n: usize) -> u32 {
    // Clarity values are at most 1 MiB, and every message here is a few hundred bytes.
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_sorts_names_bytewise() {
        let t = tuple(&[("b", uint(1)), ("a-b", uint(2)), ("a", uint(3))]);
        assert_eq!(&t[..5], &[0x0c, 0, 0, 0, 3]);
        assert_eq!(&t[5..7], b"\x01a");
        assert_eq!(&t[24..28], b"\x03a-b");
    }

    #[test]
    fn principals() {
        let p = Principal::parse("SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-token").unwrap();
        let b = principal(&p);
        assert_eq!(b[0], 0x06);
        assert_eq!(b[1], 20); // SM = mainnet multisig
        assert_eq!(b[22], 10);
        assert_eq!(&b[23..], b"sbtc-token");
        assert_eq!(parse_principal(&b), Some(p.clone()));
        let standard = p.deployer();
        assert_eq!(parse_principal(&principal(&standard)), Some(standard));
        // Truncated, trailing, a wrong name length, an unknown kind, a bad name.
        assert_eq!(parse_principal(&b[..b.len() - 1]), None);
        let mut trailing = b.clone();
        trailing.push(0);
        assert_eq!(parse_principal(&trailing), None);
        let mut kind = b.clone();
        kind[0] = 0x07;
        assert_eq!(parse_principal(&kind), None);
        let mut bad = b.clone();
        bad[23] = b'-';
        assert_eq!(parse_principal(&bad), None);
        assert_eq!(parse_principal(&[0x05, 26]), None);
        assert_eq!(parse_principal(&[]), None);
    }
}
