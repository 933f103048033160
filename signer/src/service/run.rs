//! Starting and stopping the signer service.

use std::future::Future;
use std::sync::Arc;

use alkahest_indexer::storage::{with_store, DbRead, DbWrite, WithStore};
use alkahest_service::http::with_common_layers;
use alkahest_service::telemetry::Metrics;
use anyhow::Context;
use tokio::sync::watch;

use super::chain::{watch_payouts, ChainTerms};
use super::round::{Outcome, Round, Submission};
use super::Settings;
use crate::attest::{Signer, SignerConfig};
use crate::coordinator::Peer;
use crate::exchange::router;
use crate::key::SignerKey;
use crate::stacks::rpc::RpcClient;

/// Runs the signer until `shutdown` resolves: its follower, its endpoint and its rounds.
/// Every part stops cleanly: the endpoint finishes in-flight requests, the follower
/// its current batch (each batch is one database transaction).
///
/// # Errors
/// Startup failures (key, database, address); a follower or endpoint that fails.
pub async fn run(
    settings: Settings,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    settings.validate()?;
    let key = SignerKey::from_file(&settings.key_file)?;
    let db = settings.indexer.db.clone();
    let spec = settings.indexer.window_spec();
    let settings_work = settings.indexer.work_model();
    let service = Service {
        settings,
        metrics,
        key,
        shutdown: Box::pin(shutdown),
    };
    with_store(&db, spec, settings_work, true, service)
        .await
        .with_context(|| format!("opening the signer's index {db}"))?
}

struct Service {
    settings: Settings,
    metrics: Metrics,
    key: SignerKey,
    shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl WithStore for Service {
    type Output = anyhow::Result<()>;

    async fn run<D: DbRead + DbWrite + Clone + 'static>(self, store: D) -> anyhow::Result<()> {
        let Service {
            settings,
            metrics,
            key,
            shutdown,
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let binding = settings.binding().context("deployer")?;
        let config = SignerConfig {
            confirmations: settings.confirmations,
            binding,
            work_model: settings.indexer.work_model(),
        };
        let public_key = key.public_key();
        let signer = Arc::new(Signer::new(key, store.clone(), config));
        let client = RpcClient::new(&settings.stacks_rpc, settings.timeout())?;
        let chain = ChainTerms::new(client, &settings.deployer);

        // The follower: this signer's own index.
        let indexer = settings.indexer.clone();
        let mut follower = Some(tokio::spawn({
            let store = store.clone();
            let stop = stopped(stop_rx.clone());
            async move { alkahest_indexer::service::follow_source(&indexer, store, stop).await }
        }));

        // The endpoint.
        let app = router(signer.clone(), chain.clone()).merge(metrics.route());
        let app = with_common_layers(app, "signer", settings.timeout());
        let addr = settings.listen_addr().context("listen")?;
        let endpoint = tokio::spawn(alkahest_service::http::serve(
            "signer endpoint",
            addr,
            app,
            stopped(stop_rx.clone()),
        ));

        // Rounds, until shutdown.
        let mut peers = settings.peer_list().context("peers")?;
        peers.push(Peer {
            url: settings.own_url(),
            public_key,
        });
        let submission = Submission {
            deployer: settings.deployer.clone(),
            network: settings.network(),
            fee_ustx: settings.fee_ustx,
        };
        let http = reqwest::Client::builder()
            .timeout(settings.timeout())
            .build()?;
        let watch_chain = chain.clone();
        let mut round = Round::new(signer, peers, settings.threshold, chain, submission, http);
        let mut ticker = tokio::time::interval(settings.poll_interval());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticker.tick() => {
                    if let Err(e) = watch_payouts(&watch_chain, &store).await {
                        tracing::warn!(error = %format!("{e:#}"), "cannot watch payout scripts; retrying next interval");
                    }
                    match round.run().await {
                    Ok(Outcome::Submitted(done)) if !done.is_empty() => {
                        tracing::info!(count = done.len(), "round submitted attestations");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        metrics::counter!("signer_round_errors_total").increment(1);
                        tracing::warn!(error = %format!("{e:#}"), "round failed; retrying next interval");
                    }
                    }
                }
            }
            // A one-shot source (blk, regtest, exit_at_tip) ends at its tip and the
            // signer keeps serving that index; a failing follower stops the signer.
            if let Some(f) = follower.take_if(|f| f.is_finished()) {
                f.await.context("follower task")??;
                tracing::info!("the block source is exhausted; serving the index as it is");
            }
        }
        let _ = stop_tx.send(true);
        endpoint.await.context("signer endpoint task")??;
        if let Some(f) = follower {
            f.await.context("follower task")??;
        }
        tracing::info!("signer stopped");
        Ok(())
    }
}
