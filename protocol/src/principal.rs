//! Stacks principals in their c32check text form (`ST…`, `SP…`, `ST….name`), parsed
//! and printed without the Clarity VM: a version byte and a hash160, plus a contract
//! name for contract principals.
//!
//! c32check (SIP-005): the text is `S`, the version as one c32 character, then the c32
//! encoding of `hash160 ‖ checksum`, where the checksum is the first 4 bytes of
//! `sha256(sha256(version ‖ hash160))`. c32 is Crockford's base 32 without `I L O U`.

use std::fmt;

use crate::sha256;

const C32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a principal's text was refused. The text itself is in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    /// Not `S` + version + c32 data (+ `.name`).
    #[error("{0:?} is not a Stacks principal (S<version><c32 data>[.contract-name])")]
    Malformed(String),
    /// A character outside the c32 alphabet.
    #[error("{text:?} has a character outside the c32 alphabet: {bad:?}")]
    Alphabet {
        /// The whole text.
        text: String,
        /// The offending character.
        bad: char,
    },
    /// The checksum does not match: a typo.
    #[error("{0:?} has a bad c32check checksum")]
    Checksum(String),
    /// The contract name is empty, longer than 40 characters or not a Clarity name.
    #[error("{0:?} has an invalid contract name")]
    ContractName(String),
}

/// A Stacks principal: standard (`issuer` only) or contract (`issuer.name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    version: u8,
    hash160: [u8; 20],
    name: Option<String>,
}

impl Principal {
    /// A standard principal from its version (26 testnet single-sig, 22 mainnet) and hash.
    pub fn standard(version: u8, hash160: [u8; 20]) -> Principal {
        Principal {
            version,
            hash160,
            name: None,
        }
    }

    /// The contract principal `self.name`.
    ///
    /// # Errors
    /// [`PrincipalError::ContractName`] for a name Clarity would refuse.
    pub fn contract(&self, name: &str) -> Result<Principal, PrincipalError> {
        let ok = !name.is_empty()
            && name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(PrincipalError::ContractName(format!("{self}.{name}")));
        }
        Ok(Principal {
            version: self.version,
            hash160: self.hash160,
            name: Some(name.to_string()),
        })
    }

    /// Parses `ST…` or `ST….contract-name`.
    ///
    /// # Errors
    /// [`PrincipalError`] naming the text.
    pub fn parse(text: &str) -> Result<Principal, PrincipalError> {
        let (addr, name) = match text.split_once('.') {
            Some((a, n)) => (a, Some(n)),
            None => (text, None),
        };
        let malformed = || PrincipalError::Malformed(text.to_string());
        let mut chars = addr.chars();
        if chars.next() != Some('S') {
            return Err(malformed());
        }
        let version = chars.next().ok_or_else(malformed)?;
        let version = c32_value(version).ok_or_else(|| PrincipalError::Alphabet {
            text: text.to_string(),
            bad: version,
        })?;
        let data = c32_decode(&addr[2..]).map_err(|bad| PrincipalError::Alphabet {
            text: text.to_string(),
            bad,
        })?;
        if data.len() != 24 {
            return Err(malformed());
        }
        let mut hash160 = [0u8; 20];
        hash160.copy_from_slice(&data[..20]);
        if checksum(version, &hash160) != data[20..] {
            return Err(PrincipalError::Checksum(text.to_string()));
        }
        let p = Principal::standard(version, hash160);
        if c32_address(version, &hash160) != addr {
            // A non-canonical encoding of the same bytes (extra leading zeros).
            return Err(malformed());
        }
        match name {
            Some(n) => p.contract(n),
            None => Ok(p),
        }
    }

    /// The issuer's version byte and hash160.
    pub fn issuer(&self) -> (u8, &[u8; 20]) {
        (self.version, &self.hash160)
    }

    /// The contract name, for a contract principal.
    pub fn contract_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The standard principal that deployed a contract principal (itself if standard).
    pub fn deployer(&self) -> Principal {
        Principal::standard(self.version, self.hash160)
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&c32_address(self.version, &self.hash160))?;
        if let Some(n) = &self.name {
            write!(f, ".{n}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Principal {
    type Err = PrincipalError;
    fn from_str(s: &str) -> Result<Principal, PrincipalError> {
        Principal::parse(s)
    }
}

fn checksum(version: u8, hash160: &[u8; 20]) -> [u8; 4] {
    let mut buf = vec![version];
    buf.extend_from_slice(hash160);
    let h = sha256(&sha256(&buf));
    [h[0], h[1], h[2], h[3]]
}

fn c32_address(version: u8, hash160: &[u8; 20]) -> String {
    let mut data = hash160.to_vec();
    data.extend_from_slice(&checksum(version, hash160));
    format!(
        "S{}{}",
        C32[usize::from(version & 31)] as char,
        c32_encode(&data)
    )
}

fn c32_value(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    C32.iter().position(|&x| x as char == c).map(|i| i as u8)
}

/// c32 of `bytes`: the big-endian number in base 32, one `0` per leading zero byte.
fn c32_encode(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    let (mut carry, mut carry_bits) = (0u32, 0u32);
    for &b in bytes.iter().rev() {
        carry |= u32::from(b) << carry_bits;
        carry_bits += 8;
        while carry_bits >= 5 {
            out.push(C32[(carry & 31) as usize]);
            carry >>= 5;
            carry_bits -= 5;
        }
    }
    if carry_bits > 0 {
        out.push(C32[(carry & 31) as usize]);
    }
    while out.last() == Some(&b'0') {
        out.pop();
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    out.extend(std::iter::repeat_n(b'0', zeros));
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Inverse of [`c32_encode`]; `Err(c)` names a character outside the alphabet.
fn c32_decode(text: &str) -> Result<Vec<u8>, char> {
    let mut out = Vec::new();
    let (mut carry, mut carry_bits) = (0u32, 0u32);
    for c in text.chars().rev() {
        carry |= u32::from(c32_value(c).ok_or(c)?) << carry_bits;
        carry_bits += 5;
        if carry_bits >= 8 {
            out.push((carry & 0xff) as u8);
            carry >>= 8;
            carry_bits -= 8;
        }
    }
    if carry_bits > 0 && carry > 0 {
        out.push(carry as u8);
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    let zeros = text.chars().take_while(|&c| c == '0').count();
    out.extend(std::iter::repeat_n(0, zeros));
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_addresses_round_trip() {
        for text in [
            "ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y",
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
            "SM3VDXK3WZZSA84XXFKAFAF15NNZX32CTSG82JFQ4.sbtc-token",
            "SP000000000000000000002Q6VF78.pox",
        ] {
            let p = Principal::parse(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        let p = Principal::parse("SP000000000000000000002Q6VF78").unwrap();
        assert_eq!(p.issuer(), (22, &[0u8; 20]));
        assert_eq!(
            Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
                .unwrap()
                .issuer()
                .0,
            26
        );
    }

    #[test]
    fn bad_text_is_named() {
        let e = Principal::parse("ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Z").unwrap_err();
        assert!(matches!(e, PrincipalError::Checksum(_)), "{e}");
        assert!(e.to_string().contains("ST37ZX"));
        assert!(Principal::parse("").is_err());
        assert!(Principal::parse("XT37").is_err());
        assert!(Principal::parse("ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.").is_err());
        assert!(Principal::parse("ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHE7Y.9x").is_err());
        assert!(matches!(
            Principal::parse("ST37ZXAWCBKQB09TX4FKGR1SM1B6WF42QGD0WHEUY"),
            Err(PrincipalError::Alphabet { bad: 'U', .. })
        ));
    }

    proptest! {
        #[test]
        fn any_principal_round_trips(version in 0u8..32, hash in any::<[u8; 20]>()) {
            let p = Principal::standard(version, hash);
            prop_assert_eq!(Principal::parse(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            let _ = Principal::parse(&s);
        }
    }
}
