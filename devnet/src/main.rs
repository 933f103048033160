//! `devnet`: deploys the contracts and prints what was deployed and the cost table.
#![allow(clippy::print_stdout)]

fn main() -> anyhow::Result<()> {
    let report = alkahest_devnet::deployment_report().map_err(anyhow::Error::msg)?;
    println!("{report}");
    Ok(())
}
