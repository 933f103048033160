// The private keys of settings/Devnet.toml's accounts, derived as Clarinet and the Rust
// harness (clarity/src/accounts.rs) derive them: BIP39 seed of the mnemonic (empty
// passphrase), then BIP32 down `derivation` (Clarinet's default m/44'/5757'/0'/0/0).
// These are public test keys. The result is checked against the file's `address`, so a
// wrong derivation fails loudly instead of signing as somebody else.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hmac } from "@noble/hashes/hmac.js";
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { getAddressFromPrivateKey } from "@stacks/transactions";
import { bytesToHex } from "./chain.js";
import { devnetSettings } from "./project.js";

const N = secp256k1.Point.Fn.ORDER;
const utf8 = (s) => new TextEncoder().encode(s);
const toBig = (bytes) => BigInt(`0x${bytesToHex(bytes) || "0"}`);
const to32 = (n) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, "0"), "hex"));

function child({ key, chain }, index) {
  const data = new Uint8Array(37);
  if (index >= 0x80000000) data.set(key, 1);
  else data.set(secp256k1.getPublicKey(key, true), 0);
  new DataView(data.buffer).setUint32(33, index);
  const i = hmac(sha512, chain, data);
  const k = (toBig(i.subarray(0, 32)) + toBig(key)) % N;
  return { key: to32(k), chain: i.subarray(32) };
}

/** `{ address, privateKey }` of a Devnet.toml account; `privateKey` is hex with the
 * compressed-key suffix `01`, as @stacks/transactions takes it. */
export function devnetAccount(name) {
  const a = devnetSettings.accounts[name];
  if (!a) throw new Error(`settings/Devnet.toml has no account \`${name}\``);
  const seed = pbkdf2(sha512, utf8(a.mnemonic.normalize("NFKD")), utf8("mnemonic"), { c: 2048, dkLen: 64 });
  const master = hmac(sha512, utf8("Bitcoin seed"), seed);
  let node = { key: master.subarray(0, 32), chain: master.subarray(32) };
  const path = a.derivation ?? "m/44'/5757'/0'/0/0";
  for (const part of path.split("/").slice(1)) {
    const hardened = part.endsWith("'");
    node = child(node, Number.parseInt(part, 10) + (hardened ? 0x80000000 : 0));
  }
  const privateKey = `${bytesToHex(node.key)}01`;
  const address = getAddressFromPrivateKey(privateKey, "testnet");
  if (address !== a.address) {
    throw new Error(`${name}: derived ${address}, but settings/Devnet.toml says ${a.address}`);
  }
  return { address, privateKey };
}
