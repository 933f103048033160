//! What every long-running Alkahest binary (indexer, signer, api) shares, written once:
//! - [`config`]: settings layered defaults < TOML file < `PREFIX_` environment < flags;
//! - [`telemetry`]: logs to stderr through `tracing`, and Prometheus metrics (the
//!   `metrics` facade, rendered by `metrics-exporter-prometheus`) with a per-route HTTP
//!   request counter and latency histogram, and a debug log line per request;
//! - [`http`]: serving an axum router with those request metrics and logs, timeouts and
//!   a clean shutdown on SIGINT or SIGTERM.
//!
//! ```
//! use alkahest_service::{config::Layering, telemetry::Metrics};
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! #[serde(default)]
//! struct Settings { listen: String }
//!
//! const LAYERS: Layering = Layering { env_prefix: "API_", path_keys: &[], db_keys: &[] };
//! let settings: Settings = LAYERS.load(None, [("API_LISTEN".into(), "127.0.0.1:1".into())]).unwrap().settings;
//! assert_eq!(settings.listen, "127.0.0.1:1");
//!
//! let metrics = Metrics::install();
//! metrics::counter!("demo_total").increment(1);
//! assert!(metrics.render().contains("demo_total 1"));
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod http;
pub mod telemetry;
