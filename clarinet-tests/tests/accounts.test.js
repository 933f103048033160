// settings/Devnet.toml is one file for both worlds: clarinet-sdk derives each account
// from its mnemonic, and the Rust harness (clarity/src/accounts.rs) derives the same
// key and checks it against the file's `address` entry. Here clarinet-sdk's addresses
// must equal those entries, so harness and SDK act as the same principals.
import { describe, expect, it } from "vitest";
import { initSimnet } from "@stacks/clarinet-sdk";
import { MANIFEST_PATH, devnetSettings } from "../lib/project.js";

// Clarinet's default devnet accounts (public test mnemonics), as its template prints them.
const EXPECTED = {
  deployer: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
  wallet_1: "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5",
  wallet_2: "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG",
  wallet_3: "ST2JHG361ZXG51QTKY2NQCVBPPRRE2KZB1HR05NNC",
  wallet_4: "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND",
  wallet_5: "ST2REHHS5J3CERCRBEPMGH7921Q6PYKAADT7JP2VB",
  wallet_6: "ST3AM1A56AK2C1XAFJ4115ZSV26EB49BVQ10MGCS0",
  wallet_7: "ST3PF13W7Z0RRM42A8VZRVFQ75SV1K26RXEP8YGKJ",
  wallet_8: "ST3NBRSFKX28FQ2ZJ1MAKX58HKHSDGNV5N7R21XCP",
};

describe("settings/Devnet.toml accounts", () => {
  it("clarinet-sdk derives the addresses the Rust harness checks", async () => {
    const simnet = await initSimnet(MANIFEST_PATH);
    const sdk = Object.fromEntries([...simnet.getAccounts()].sort());
    console.log("clarinet-sdk accounts:", sdk);
    const written = Object.fromEntries(
      Object.entries(devnetSettings.accounts).map(([name, a]) => [name, a.address]).sort(),
    );
    expect(sdk).toEqual(written);
    expect(sdk).toEqual(EXPECTED);
    expect(simnet.deployer).toBe(EXPECTED.deployer);
    for (const [name, a] of Object.entries(devnetSettings.accounts)) {
      expect(a.derivation ?? "m/44'/5757'/0'/0/0", name).toBe("m/44'/5757'/0'/0/0");
      const stx = simnet.getAssetsMap().get("STX").get(EXPECTED[name]);
      expect(stx, name).toBe(BigInt(a.balance));
    }
  });

  it("bootstrap.toml's governance literal is the deployer", async () => {
    const { bootstrapCalls } = await import("../lib/project.js");
    const gov = bootstrapCalls.find((c) => c.function === "bootstrap-governance");
    expect(gov.args).toEqual([`'${EXPECTED.deployer}`]);
  });
});
