// btc-proof on the newest Clarity VM, replaying clarity/tests/btc_proof.rs where no
// burn-chain header hash is needed: transaction parsing (legacy and segwit forms, the
// 64-byte refusal, malformed bytes), Merkle inclusion with the duplicated-leaf refusal,
// and header work against Bitcoin Core's formula. The transactions are built here.
import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { sha256 } from "@noble/hashes/sha2.js";
import { CHAINS, bytesToHex } from "../lib/chain.js";
import { errorCode } from "../lib/project.js";

const C = "btc-proof";
const sha256d = (b) => sha256(sha256(b));
const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
const le = (n, size) => Uint8Array.from({ length: size }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));
const PAYOUT = cat([0x00, 0x20], new Uint8Array(32).fill(0x11));

/** A legacy transaction: `inputs` made-up outpoints, then outputs [sats, script]. */
function legacyTx(seed, inputs, outputs) {
  const ins = Array.from({ length: inputs }, (_, i) =>
    cat(new Uint8Array(32).fill(seed + i), le(i, 4), [3, 0x51, 0x51, 0x51], le(0xffffffff, 4)),
  );
  const outs = outputs.map(([sats, script]) => cat(le(sats, 8), [script.length], script));
  return cat(le(2, 4), [inputs], ...ins, [outputs.length], ...outs, le(0, 4));
}

/** The same transaction in segwit form, one empty witness per input. */
function segwitForm(tx, inputs) {
  return cat(tx.slice(0, 4), [0x00, 0x01], tx.slice(4, tx.length - 4), new Uint8Array(inputs), tx.slice(tx.length - 4));
}

function merkle(leaves, index) {
  let level = leaves;
  let i = index;
  const branch = [];
  while (level.length > 1) {
    branch.push(i % 2 ? level[i - 1] : level[i + 1] ?? level[i]);
    const next = [];
    for (let k = 0; k < level.length; k += 2) next.push(sha256d(cat(level[k], level[k + 1] ?? level[k])));
    level = next;
    i = Math.floor(i / 2);
  }
  return { root: level[0], branch };
}

/** Bitcoin Core's GetBlockProof: floor(2^256 / (target + 1)). */
function work(bits) {
  const e = BigInt(bits >>> 24);
  const m = BigInt(bits & 0x7fffff);
  const target = e <= 3n ? m >> (8n * (3n - e)) : m << (8n * (e - 3n));
  return (1n << 256n) / (target + 1n);
}

describe.each(CHAINS)("btc-proof on %s", (_label, makeChain) => {
  it("parses both forms, sums the payout and refuses what it must", async () => {
    const c = await makeChain();
    const tx = legacyTx(1, 2, [[5, PAYOUT], [6, [0x51]], [7, PAYOUT]]);
    const r = c.view(C, "parse-tx", [Cl.buffer(tx), Cl.buffer(PAYOUT)]);
    expect(r.paid).toBe(12n);
    expect(r.total).toBe(18n);
    expect(r.txid).toBe(bytesToHex(sha256d(tx)));
    expect(r["coinbase-height"]).toBe(null);
    const sw = c.view(C, "parse-tx", [Cl.buffer(segwitForm(tx, 2)), Cl.buffer(PAYOUT)]);
    expect(sw.txid).toBe(r.txid);
    const bad = errorCode(C, "ERR_BAD_TX");
    expect(c.err(c.readOnly(C, "parse-tx", [Cl.buffer(tx.slice(0, tx.length - 1)), Cl.buffer(PAYOUT)]))).toBe(bad);
    expect(c.err(c.readOnly(C, "parse-tx", [Cl.buffer(cat(tx, [0])), Cl.buffer(PAYOUT)]))).toBe(bad);
    // 4 + 1 + 41 + 1 + 13 + 4 = 64 bytes.
    const tiny = cat(le(1, 4), [1], new Uint8Array(32).fill(3), le(0, 4), [0], le(0xffffffff, 4), [1], le(1, 8), [4, 0x51, 0x52, 0x53, 0x54], le(0, 4));
    expect(tiny.length).toBe(64);
    expect(c.err(c.readOnly(C, "parse-tx", [Cl.buffer(tiny), Cl.buffer(PAYOUT)]))).toBe(errorCode(C, "ERR_TX_64_BYTES"));
  });

  it("checks inclusion at the proof's depth and refuses the duplicated leaf", async () => {
    const c = await makeChain();
    const leaves = Array.from({ length: 5 }, (_, i) => sha256d(Uint8Array.of(i)));
    const { root, branch } = merkle(leaves, 4);
    const args = (index, depth, b = branch) => [
      Cl.buffer(leaves[4]), Cl.buffer(root), Cl.uint(index), Cl.list(b.map((h) => Cl.buffer(h))), Cl.uint(depth),
    ];
    expect(c.view(C, "verify-inclusion", args(4, 3))).toBe(true);
    expect(c.err(c.readOnly(C, "verify-inclusion", args(5, 3)))).toBe(errorCode(C, "ERR_DUPLICATE_LEAF"));
    expect(c.err(c.readOnly(C, "verify-inclusion", args(4, 2)))).toBe(errorCode(C, "ERR_PROOF_DEPTH"));
    expect(c.err(c.readOnly(C, "verify-inclusion", args(8, 3)))).toBe(errorCode(C, "ERR_INDEX_RANGE"));
    expect(c.err(c.readOnly(C, "verify-inclusion", args(0, 3)))).toBe(errorCode(C, "ERR_MERKLE_MISMATCH"));
  });

  it("computes header work as Bitcoin Core does", async () => {
    const c = await makeChain();
    for (const bits of [0x1d00ffff, 0x1703a30c, 0x17034219, 0x207fffff]) {
      expect(c.view(C, "block-work", [Cl.uint(bits)])).toBe(work(bits));
    }
    expect(c.err(c.readOnly(C, "block-work", [Cl.uint(0x1d800000)]))).toBe(errorCode(C, "ERR_BAD_BITS"));
  });
});
