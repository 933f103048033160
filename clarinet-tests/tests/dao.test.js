// The AGP lifecycle on both deployments (replaying clarity/tests/dao_lifecycle.rs
// `a_passed_proposal_executes_once_after_its_timelock`): after bootstrap.toml's handover
// only dao-core governs; wallets lock ALEX, propose, vote, conclude, wait out the
// timelock and execute a proposal that changes pool 1's fee, exactly once.
import { describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { CHAINS, topics } from "../lib/chain.js";
import { errorCode } from "../lib/project.js";

const ONE_8 = 100_000_000n;
const THRESHOLD = 100_000n * ONE_8; // agp000-bootstrap
const QUORUM = 10_000_000n * ONE_8; // 1% of 1,000,000,000 ALEX

describe.each(CHAINS)("dao on %s", (_label, makeChain) => {
  it("a passed proposal executes once after its timelock; the deployer has no power left", async () => {
    const chain = await makeChain();
    const d = chain.deployer;
    const [proposer, voter, stranger] = ["wallet_3", "wallet_4", "wallet_6"].map((n) => chain.account(n));
    const fee = () => chain.ok(chain.readOnly("amm-pool", "get-pool", [Cl.uint(1n)]))["fee-rate"];

    // The deployer governs nothing any more.
    expect(chain.err(chain.call("amm-pool", "set-pool-fee", [Cl.uint(1n), Cl.uint(500_000n), Cl.uint(0n)], d))).toBe(
      errorCode("amm-pool", "ERR_NOT_AUTHORIZED"),
    );

    chain.deployTestContract(
      "agp-fee",
      `(impl-trait .proposal-trait.proposal-trait)
(define-public (execute (sender principal))
  (begin (try! (contract-call? .amm-pool set-pool-fee u1 u500000 u50000000)) (ok true)))`,
    );
    const proposal = chain.contract("agp-fee");
    for (const [who, amount] of [[proposer, THRESHOLD], [voter, QUORUM]]) {
      chain.ok(chain.call("alex-token", "transfer", [Cl.uint(amount), Cl.principal(d), Cl.principal(who), Cl.none()], d));
      chain.ok(chain.call("dao-voting", "lock", [Cl.uint(amount)], who));
    }
    const id = chain.ok(chain.call("dao-voting", "propose", [proposal, Cl.buffer(new Uint8Array(32))], proposer));
    expect(id).toBe(1n);
    const p = () => chain.view("dao-voting", "get-proposal", [Cl.uint(id)]);
    const mineTo = (h) => {
      while (chain.txBurnHeight < h) chain.mineBurnBlocks(1);
    };
    expect(chain.err(chain.call("dao-voting", "vote", [Cl.uint(id), Cl.bool(true)], voter))).toBe(
      errorCode("dao-voting", "ERR_VOTING_NOT_STARTED"),
    );
    mineTo(p().start);
    expect(chain.ok(chain.call("dao-voting", "vote", [Cl.uint(id), Cl.bool(true)], voter))).toBe(QUORUM);
    // Unlocking during the vote fails.
    expect(chain.err(chain.call("dao-voting", "unlock", [Cl.uint(1n)], voter))).toBe(errorCode("dao-voting", "ERR_LOCKED"));
    mineTo(p().end);
    expect(chain.ok(chain.call("dao-voting", "conclude", [Cl.uint(id)], stranger))).toBe(true);
    const timelockEnd = p()["timelock-end"];
    expect(chain.err(chain.call("dao-voting", "execute", [Cl.uint(id), proposal], stranger))).toBe(
      errorCode("dao-voting", "ERR_TIMELOCKED"),
    );
    mineTo(timelockEnd);
    expect(fee()).toBe(300_000n);
    const r = chain.call("dao-voting", "execute", [Cl.uint(id), proposal], stranger);
    chain.ok(r);
    expect(topics(r)).toEqual(expect.arrayContaining(["dao-executed", "dao-execute", "pool-set-fee"]));
    expect(fee()).toBe(500_000n);
    expect(chain.err(chain.call("dao-voting", "execute", [Cl.uint(id), proposal], stranger))).toBe(
      errorCode("dao-voting", "ERR_ALREADY_EXECUTED"),
    );
  });
});
