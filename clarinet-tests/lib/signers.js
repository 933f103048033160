// Signer keys exactly as the Rust tests make them (alkahest_clarity::attestation::
// SignerKey::from_seed): the secret key is sha256(seed), re-hashed while it is not a
// valid secp256k1 scalar. Signatures are 65 bytes r || s || v (v = recovery id), the
// layout `secp256k1-recover?` reads.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Cl } from "@stacks/transactions";
import { bytesToHex } from "./chain.js";

export class SignerKey {
  constructor(secret) {
    this.secret = secret;
    this.publicKey = secp256k1.getPublicKey(secret, true);
    this.publicKeyHex = bytesToHex(this.publicKey);
  }

  static fromSeed(seed) {
    let hash = sha256(new TextEncoder().encode(seed));
    while (!secp256k1.utils.isValidSecretKey(hash)) hash = sha256(hash);
    return new SignerKey(hash);
  }

  /** A recoverable signature over a 32-byte message id, as r || s || v. */
  sign(id) {
    const vrs = secp256k1.sign(id, this.secret, { prehash: false, format: "recovered" });
    const rsv = new Uint8Array(65);
    rsv.set(vrs.subarray(1, 65), 0);
    rsv[64] = vrs[0];
    return rsv;
  }
}

/** The Rust tests' `Signers::new(tag, n, m)`: keys sorted by compressed public key. */
export class Signers {
  constructor(tag, n, m) {
    this.keys = Array.from({ length: n }, (_, i) => SignerKey.fromSeed(`alkahest test signer ${tag} ${i}`));
    this.keys.sort((a, b) => (a.publicKeyHex < b.publicKeyHex ? -1 : a.publicKeyHex > b.publicKeyHex ? 1 : 0));
    this.threshold = m;
  }

  keysValue() {
    return Cl.list(this.keys.map((k) => Cl.buffer(k.publicKey)));
  }

  /** Signatures over `id` by the signers at `which` (default: the first M). */
  sign(id, which = [...Array(this.threshold).keys()]) {
    return Cl.list(which.map((i) => Cl.buffer(this.keys[i].sign(id))));
  }
}

/** sha256 of a message the contract serialized (a hex buffer from a read-only call). */
export function messageId(hex) {
  return sha256(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}
