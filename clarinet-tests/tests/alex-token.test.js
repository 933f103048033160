// alex-token transfer, replaying clarity/tests/alex_token.rs
// `transfer_success_events_and_errors` with its exact figures, on both deployments.
// (The Rust test starts from Simnet::bare() plus its own wiring; the transfer path
// touches none of that wiring, so the bootstrapped chain gives the same figures.)
import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { CHAINS, prints, topics } from "../lib/chain.js";
import { errorCode } from "../lib/project.js";

const T = "alex-token";
const ONE = 100_000_000n; // 10^8 base units per ALEX

describe.each(CHAINS)("alex-token on %s", (_label, makeChain) => {
  it("transfer: 10 ALEX funded, 4 ALEX moved with memo, balances 6 / 4, every error", async () => {
    const chain = await makeChain();
    const deployer = chain.deployer;
    const alice = chain.account("wallet_1");
    const bob = chain.account("wallet_2");
    const transfer = (amount, from, to, memo, sender) =>
      chain.call(T, "transfer", [Cl.uint(amount), Cl.principal(from), Cl.principal(to), memo], sender);

    // fund_alex: the deployer (foundation reserve) sends alice 10 ALEX.
    expect(chain.ok(transfer(10n * ONE, deployer, alice, Cl.none(), deployer))).toBe(true);
    expect(chain.ftBalance(T, alice)).toBe(10n * ONE);

    const r = transfer(4n * ONE, alice, bob, Cl.some(Cl.bufferFromAscii("memo")), alice);
    expect(chain.ok(r)).toBe(true);
    const ft = r.events.filter((e) => e.event === "ft_transfer_event");
    expect(ft.map((e) => BigInt(e.data.amount))).toEqual([4n * ONE]);
    expect(prints(r)[0]).toBe(Buffer.from("memo").toString("hex"));
    expect(topics(r)).toContain("transfer");
    expect(chain.ftBalance(T, alice)).toBe(6n * ONE); // 600,000,000
    expect(chain.ftBalance(T, bob)).toBe(4n * ONE); // 400,000,000

    const code = (name) => errorCode(T, name);
    expect(chain.err(transfer(1n, alice, bob, Cl.none(), bob))).toBe(code("ERR_NOT_OWNER"));
    expect(chain.err(transfer(0n, alice, bob, Cl.none(), alice))).toBe(code("ERR_INVALID_AMOUNT"));
    expect(chain.err(transfer(1n, alice, alice, Cl.none(), alice))).toBe(code("ERR_SELF_TRANSFER"));
    expect(chain.err(transfer(6n * ONE + 1n, alice, bob, Cl.none(), alice))).toBe(
      code("ERR_INSUFFICIENT_BALANCE"),
    );
    expect(chain.ftBalance(T, alice)).toBe(6n * ONE);
  });
});
