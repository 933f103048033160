//! `devnet`: runs the whole Alkahest loop on this machine. `--help` lists the options.
#![allow(clippy::print_stdout)]

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_target(false)
        // Colour codes only on a terminal: piped logs and files stay plain text.
        .with_ansi(std::io::stdout().is_terminal())
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let config = alkahest_devnet::config::DevnetConfig::parse();
    println!(
        "{}",
        alkahest_devnet::deployment_report(false).map_err(anyhow::Error::msg)?
    );
    let summary = alkahest_devnet::run(config, stop_signal()).await?;
    println!("{summary:?}");
    Ok(())
}

/// Ctrl-C, or SIGTERM (a supervisor or `kill`): both stop the devnet cleanly, which
/// also stops the child processes of `--processes`.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
