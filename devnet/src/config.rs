//! Devnet settings: defaults, overridden by `DEVNET_*` environment variables, then by
//! command-line flags (clap handles both). Values the network cannot run with (a zero
//! block time, a window length outside the contract's 1..=144) are refused here with a
//! message naming the value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// What the devnet does besides mining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// A miner lists a Silica, two wallets buy, the pool pays, windows are attested,
    /// the Silica finishes, buyers redeem and the miner collects.
    SilicaDemo,
    /// As the demo, but the pool stops paying after the first window: default and refunds.
    SilicaDefault,
    /// One governance proposal end to end: wallets lock ALEX, `agp001-pool-fee` is
    /// proposed, voted, concluded and executed (pool 2's fee 0.3% → 0.5%), and a swap
    /// pays the new fee.
    GovernanceDemo,
    /// Fixed-rate lending to expiry 100: sBTC pegged in to an LP, a lender and a
    /// borrower; the LP seeds the wSTX/sBTC AMM pool and the YTP; the borrower borrows
    /// sBTC against STX, the lender buys yield tokens; a keeper rebalances every block
    /// while a trader drives the STX price down 20%; at expiry the pool settles, yield
    /// holders are paid face value and the borrower's keys the rest.
    LendingDemo,
    /// The start of `silica-demo` for real clients: peg-ins, then the miner lists
    /// Silica #1 with a long sale window (open for buys for 1,000 blocks) and seeds
    /// the wSTX/sBTC AMM pool 3, and the devnet logs `[ready]`; nobody buys.
    SilicaOpen,
    /// Only mine, index and serve the API.
    Idle,
}

/// Who records `silica-demo`'s windows on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Delivery {
    /// A 2-of-3 quorum of the devnet's signers attests each final window.
    Signers,
    /// Nobody signs: the miner submits each final window's blocks and payouts to
    /// `silica-proof`, which checks them against the burn chain (docs/delivery-proofs.md).
    Proofs,
}

/// How delivered BTC becomes sBTC in `silica`'s escrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Settlement {
    /// As on mainnet (docs/sbtc-settlement.md): after coinbase maturity the signers
    /// forward each window's payouts into an sBTC deposit to `.silica`, registered with
    /// the in-process Emily; the stand-in sBTC signers sweep it and mint through
    /// `sbtc-deposit`; anyone records it with `silica record-delivery`.
    Deposits,
    /// The devnet shortcut: `signer-registry` mints each recorded window's delivery as
    /// the stand-in sBTC at once (no maturity wait, no fees). Not a mainnet path.
    DirectMint,
}

/// `devnet`: the whole Alkahest loop on one machine.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct DevnetConfig {
    /// Folder for the chain, the indexes and the Stacks transaction log.
    #[arg(long, env = "DEVNET_DATA_DIR", default_value = "./devnet-data")]
    pub data_dir: PathBuf,
    /// Delete `data_dir` first.
    #[arg(long)]
    pub reset: bool,
    /// Time between Bitcoin blocks, e.g. `2s`, `500ms`.
    #[arg(long, env = "DEVNET_BLOCK_TIME", default_value = "2s", value_parser = parse_duration)]
    pub block_time: Duration,
    /// The API's address (loopback only).
    #[arg(long, env = "DEVNET_API_ADDR", default_value = "127.0.0.1:8080")]
    pub api_addr: SocketAddr,
    /// The Stacks node RPC's address (loopback only): `/v2` as a stacks-node, for
    /// wallets, `@stacks/transactions` and the devnet's own signers.
    #[arg(
        long,
        env = "DEVNET_STACKS_RPC_ADDR",
        default_value = "127.0.0.1:20443"
    )]
    pub stacks_rpc_addr: SocketAddr,
    /// The scenario to run.
    #[arg(long, value_enum, default_value = "silica-demo")]
    pub scenario: Scenario,
    /// Blocks per Silica day-window (144 on mainnet; the contract accepts 1..=144).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=144))]
    pub window_length: u32,
    /// Windows in the demo Silica.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=52))]
    pub windows: u32,
    /// Blocks that bury a window before the signers attest it (100 on mainnet).
    #[arg(long, default_value_t = 2)]
    pub confirmations: u32,
    /// Network difficulty the index simulates: regtest proof of work is trivial, so
    /// header work would make the hashprice index ~2e26 sats per TH/s·day.
    #[arg(long, default_value_t = 100_000_000_000_000)]
    pub simulated_difficulty: u64,
    /// Stop once the scenario has settled (the end-to-end test uses this).
    #[arg(long)]
    pub exit_when_done: bool,
    /// Run the indexer, the three signers and the API as separate OS processes (the
    /// `indexer`, `signer` and `api` binaries next to this one), following the chain
    /// through a Bitcoin Core RPC the devnet serves; the signer processes attest the
    /// windows. Their logs go to `<data-dir>/logs/`.
    #[arg(long)]
    pub processes: bool,
    /// Who records the Silica's windows: the signers' attestations, or Bitcoin proofs
    /// submitted by the miner (not with `--processes`, whose signer processes attest).
    #[arg(long, value_enum, default_value = "signers")]
    pub delivery: Delivery,
    /// How delivered BTC reaches the escrow as sBTC: through sBTC deposits, as on
    /// mainnet (100-block coinbase maturity, then forward, sweep and record-delivery),
    /// or the devnet's direct-mint shortcut.
    #[arg(
        long,
        env = "DEVNET_SETTLEMENT",
        value_enum,
        default_value = "deposits"
    )]
    pub settlement: Settlement,
    /// The Bitcoin Core RPC's address with `--processes` (loopback only; cookie auth,
    /// the cookie in `<data-dir>/bitcoind/.cookie`).
    #[arg(
        long,
        env = "DEVNET_BITCOIN_RPC_ADDR",
        default_value = "127.0.0.1:18443"
    )]
    pub bitcoin_rpc_addr: SocketAddr,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 2s or 500ms"))?;
    let d = match unit {
        "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        _ => return Err(format!("invalid duration unit in {s:?}: use s or ms")),
    };
    if d < Duration::from_millis(10) {
        return Err(format!(
            "block time {s:?} is too short: at least 10ms, so the signers and the API keep up"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_bad_values_are_named() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("fast").unwrap_err().contains("fast"));
        assert!(parse_duration("3h").unwrap_err().contains("3h"));
        assert!(parse_duration("0s").unwrap_err().contains("\"0s\""));
        assert!(parse_duration("0ms").is_err());
    }

    #[test]
    fn values_the_network_cannot_run_with_are_refused_by_name() {
        for (flag, value) in [
            ("--block-time", "0s"),
            ("--window-length", "0"),
            ("--window-length", "145"),
            ("--windows", "0"),
        ] {
            let e = DevnetConfig::try_parse_from(["devnet", flag, value]).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(flag) && text.contains(value), "{text}");
        }
    }

    #[test]
    fn flags_override_defaults() {
        let c = DevnetConfig::parse_from([
            "devnet",
            "--scenario",
            "silica-default",
            "--window-length",
            "6",
        ]);
        assert_eq!(c.scenario, Scenario::SilicaDefault);
        assert_eq!(c.window_length, 6);
        assert_eq!(c.api_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.stacks_rpc_addr.to_string(), "127.0.0.1:20443");
        let c = DevnetConfig::parse_from(["devnet", "--stacks-rpc-addr", "127.0.0.1:0"]);
        assert_eq!(c.stacks_rpc_addr.port(), 0);
        let e =
            DevnetConfig::try_parse_from(["devnet", "--stacks-rpc-addr", "node:1"]).unwrap_err();
        assert!(e.to_string().contains("node:1"), "{e}");
        // In process unless asked; the bitcoind RPC on regtest's usual port.
        assert!(!c.processes);
        assert_eq!(c.bitcoin_rpc_addr.to_string(), "127.0.0.1:18443");
        let c = DevnetConfig::parse_from(["devnet", "--processes"]);
        assert!(c.processes);
        let e = DevnetConfig::try_parse_from(["devnet", "--bitcoin-rpc-addr", "btc"]).unwrap_err();
        assert!(e.to_string().contains("btc"), "{e}");
    }

    #[test]
    fn delivery_is_signers_unless_proofs_are_asked_for() {
        assert_eq!(
            DevnetConfig::parse_from(["devnet"]).delivery,
            Delivery::Signers
        );
        let c = DevnetConfig::parse_from(["devnet", "--delivery", "proofs"]);
        assert_eq!(c.delivery, Delivery::Proofs);
        let e = DevnetConfig::try_parse_from(["devnet", "--delivery", "pool"]).unwrap_err();
        assert!(e.to_string().contains("pool"), "{e}");
    }

    #[test]
    fn settlement_is_through_deposits_unless_the_shortcut_is_named() {
        assert_eq!(
            DevnetConfig::parse_from(["devnet"]).settlement,
            Settlement::Deposits
        );
        let c = DevnetConfig::parse_from(["devnet", "--settlement", "direct-mint"]);
        assert_eq!(c.settlement, Settlement::DirectMint);
        let e = DevnetConfig::try_parse_from(["devnet", "--settlement", "mint"]).unwrap_err();
        assert!(e.to_string().contains("mint"), "{e}");
    }

    #[test]
    fn the_lending_demo_is_a_scenario() {
        let c = DevnetConfig::parse_from(["devnet", "--scenario", "lending-demo"]);
        assert_eq!(c.scenario, Scenario::LendingDemo);
        let e = DevnetConfig::try_parse_from(["devnet", "--scenario", "lending"]).unwrap_err();
        assert!(e.to_string().contains("lending-demo"), "{e}");
    }
}
