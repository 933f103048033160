// Lending on both deployments, replaying clarity/tests/lending.rs
// `borrow_lend_repay_and_redeem_at_expiry` (setup: lending_common::lending): the figures
// that do not depend on the burn height are exact; the YTP sale, which depends on t,
// must pay exactly the quote the pool gave in the same block. The 18-decimal curve
// (amm-math ln-18 / exp-18) runs on the newest VM too.
import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { PRE_HANDOVER_CHAINS } from "../lib/chain.js";
import { World } from "../lib/silica.js";

const ONE_8 = 100_000_000n;
const E = 2_000n;
const AMM = 3n;
const FAR = 1_000_000n;

describe.each(PRE_HANDOVER_CHAINS)("lending on %s", (_label, makeChain) => {
  it("a borrow of 50,000 STX mints 75,000,000, hedges half and sells the yield at the quote", async () => {
    const chain = await makeChain();
    const d = chain.deployer;
    const w = new World(chain);
    const [lp, lender, borrower] = [w.alice, w.bob, w.carol];
    w.pegIn(lp, 300n * ONE_8);
    w.pegIn(lender, 100n * ONE_8);
    for (const c of ["ytp", "crp"]) chain.ok(chain.call(c, "create-pool", [Cl.uint(E)], d));
    const [wstx, sbtc] = [chain.contract("amm-wstx"), chain.contract("sbtc-token")];
    // 10,000,000 STX / 200 BTC: 0.002 sats per uSTX (200,000 at 8 decimals).
    chain.ok(chain.call("amm-pool", "add-liquidity", [Cl.uint(AMM), wstx, sbtc, Cl.uint(10_000_000_000_000n), Cl.uint(20_000_000_000n), Cl.uint(0n), Cl.uint(FAR)], lp));
    chain.mineBurnBlocks(1);
    chain.ok(chain.call("amm-pool", "swap", [Cl.uint(AMM), wstx, sbtc, Cl.uint(1_000_000n), Cl.uint(0n), Cl.uint(FAR)], lp));
    chain.ok(chain.call("ytp", "add-liquidity", [Cl.uint(E), Cl.uint(1_000_000_000n), Cl.uint(0n), Cl.uint(0n)], lp));
    expect(chain.view("crp", "get-price")).toBe(200_000n);

    const minted = 75_000_000n;
    // The pool's sale of the minted yield tokens, quoted before the borrow (the hedge
    // does not touch the YTP, so the quote stands).
    const quote = chain.view("ytp", "quote-y-for-x", [Cl.uint(E), Cl.uint(minted)]);
    const before = chain.ftBalance("sbtc-token", borrower);
    const b = chain.ok(chain.call("crp", "borrow", [Cl.uint(E), Cl.uint(50_000_000_000n), Cl.uint(0n)], borrower));
    expect(b.minted).toBe(minted);
    expect(chain.ftBalance("sbtc-token", borrower) - before).toBe(b.sbtc);
    // The quote was read at the height the call sees on epoch 3+; on epoch 2.x the call
    // runs one burn block later (t one block smaller, a few sats more for the seller).
    if (chain.burnHeight === chain.txBurnHeight) expect(b.sbtc).toBe(quote.out);
    else expect(b.sbtc >= quote.out && b.sbtc - quote.out < 100n).toBe(true);
    // A discount to face, never a premium (the rate is never negative).
    expect(quote.out < minted).toBe(true);
    // The hedge: half the collateral sold, exactly as on the Rust harness.
    const pool = chain.view("crp", "get-pool", [Cl.uint(E)]);
    expect([pool.collateral, pool.sbtc, pool["yield-supply"], pool["key-supply"]]).toEqual([25_000_000_000n, 49_726_047n, minted, minted]);
    // A lender gets at least one yield token per sat (after the fee).
    const l = chain.ok(chain.call("ytp", "swap-x-for-y", [Cl.uint(E), Cl.uint(50_000_000n), Cl.uint(0n)], lender));
    expect(l.out >= 50_000_000n - l.fee).toBe(true);
    expect(chain.view("ytp", "get-price", [Cl.uint(E)]) >= ONE_8).toBe(true);
  });
});
