// Silica lifecycle with real secp256k1 signatures, replaying clarity/tests/
// silica_lifecycle.rs `finished_pays_buyers_the_due_and_the_miner_the_rest` and
// `default_at_window_one_gives_buyers_everything_left` with their exact figures, on
// both deployments. Signers are the Rust tests' `Signers::new("main", 5, 3)`.
import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { CHAINS, plain, prints, topics } from "../lib/chain.js";
import { errorCode } from "../lib/project.js";
import { DEFAULT_TERMS, FUNDING, SILICA, STATUS, World } from "../lib/silica.js";

const C = 2_000n; // collateral: ceil(100 TH/s * 4 windows * index 50 * 10%)

describe.each(CHAINS)("silica on %s", (_label, makeChain) => {
  it("finished: buyers get the due, the miner the rest (exact sats)", async () => {
    const w = new World(await makeChain());
    const c = w.chain;
    const { alice, bob, miner } = w;
    // The signer set the contract holds is the Rust tests' one.
    const set = plain(c.readOnly("signer-registry", "get-signer-set"));
    expect(set.signers).toEqual(w.signers.keys.map((k) => k.publicKeyHex));
    expect(set.threshold).toBe(3n);
    for (const who of [miner, alice, bob, w.carol]) expect(w.sbtc(who)).toBe(FUNDING);

    const r = w.create(DEFAULT_TERMS);
    expect(topics(r)).toContain("create");
    const id = c.ok(r);
    expect(id).toBe(1n);
    expect(w.sbtc(miner)).toBe(FUNDING - C);

    const b = w.buy(id, alice, 60n);
    expect(c.ok(b)).toBe(14_400n);
    expect(topics(b)).toContain("buy");
    expect(prints(b).some((p) => p.type === "sft_mint" && p.amount === 60n)).toBe(true);
    expect(c.ok(w.buy(id, bob, 40n))).toBe(9_600n);
    expect(w.escrow()).toBe(C + 24_000n);

    // (delivered, index): dues 5,000 5,200 4,900 5,000; locked 2,000 1,500 0 0.
    const windows = [[5_200n, 50n], [4_900n, 52n], [5_100n, 49n], [5_000n, 50n]];
    const unlocked = [0n, 500n, 1_500n, 0n];
    let minerBalance = FUNDING - C;
    windows.forEach(([delivered, index], d) => {
      const a = w.attest(id, delivered, index);
      c.ok(a);
      expect(topics(a)).toEqual(expect.arrayContaining(["attest", "release"]));
      const minted = a.events.filter((e) => e.event === "ft_mint_event").map((e) => BigInt(e.data.amount));
      expect(minted).toContain(delivered);
      minerBalance += 6_000n + unlocked[d];
      expect(w.sbtc(miner), `window ${d}`).toBe(minerBalance);
      const row = plain(c.readOnly(SILICA, "get-window", [Cl.uint(id), Cl.uint(BigInt(d))]));
      expect(row.due).toBe(100n * index);
      expect(row.delivered).toBe(delivered);
      expect(w.status(id)).toBe(d === 3 ? STATUS.FINISHED : STATUS.RUNNING);
      if (d === 3) expect(topics(a)).toContain("finish");
    });
    // Σ due 20,100; Σ delivered 20,200: the miner's 100 excess waits for collect.
    expect(w.escrow()).toBe(20_200n);
    expect(c.view(SILICA, "get-claimable", [Cl.uint(id), Cl.principal(alice)])).toBe(12_060n);
    expect(c.view(SILICA, "get-collectable", [Cl.uint(id)])).toBe(100n);
    const ra = w.redeem(id, alice);
    expect(c.ok(ra)).toBe(12_060n);
    expect(topics(ra)).toContain("redeem");
    expect(prints(ra).some((p) => p.type === "sft_burn" && p.amount === 60n)).toBe(true);
    expect(c.ok(w.redeem(id, bob))).toBe(8_040n);
    const rc = w.collect(id);
    expect(c.ok(rc)).toBe(100n);
    expect(topics(rc)).toContain("collect");
    expect(w.escrow()).toBe(0n);
    expect(w.sbtc(alice)).toBe(FUNDING - 14_400n + 12_060n); // 9,997,660
    expect(w.sbtc(bob)).toBe(FUNDING - 9_600n + 8_040n); // 9,998,440
    expect(w.sbtc(miner)).toBe(FUNDING + 24_000n + 100n); // 10,024,100
    expect(w.shares(id, alice)).toBe(0n);
    expect(c.ok(c.readOnly(SILICA, "get-total-supply", [Cl.uint(id)]))).toBe(0n);
  });

  it("default at window 1 gives buyers everything left (exact sats)", async () => {
    const w = new World(await makeChain());
    const c = w.chain;
    const { alice, miner } = w;
    const id = c.ok(w.create(DEFAULT_TERMS));
    c.ok(w.buy(id, alice, 100n));
    c.ok(w.attest(id, 4_000n, 50n));
    expect(c.view(SILICA, "get-shortfall", [Cl.uint(id)])).toBe(1_000n);
    expect(c.view(SILICA, "get-top-up-needed", [Cl.uint(id)])).toBe(4_500n);
    const r = w.attest(id, 4_000n, 50n);
    expect(c.ok(r)).toBe(STATUS.DEFAULTED);
    const def = prints(r).find((p) => p.topic === "default");
    expect(def.window).toBe(1n);
    expect(topics(r)).not.toContain("release");
    // Buyers: 8,000 delivered + 2,000 collateral + 18,000 unreleased payment.
    expect(def["buyer-pool"]).toBe(28_000n);
    expect(c.err(w.attest(id, 1n, 50n))).toBe(errorCode(SILICA, "ERR_BAD_STATUS"));
    expect(c.ok(w.collect(id))).toBe(0n);
    expect(c.ok(w.redeem(id, alice))).toBe(28_000n);
    expect(w.escrow()).toBe(0n);
    expect(w.sbtc(alice)).toBe(FUNDING - 24_000n + 28_000n);
    expect(w.sbtc(miner)).toBe(FUNDING - C + 6_000n);
  });
});
