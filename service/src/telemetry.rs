//! Logs and metrics.
//!
//! Metrics go through the `metrics` facade, so library code records them with
//! `metrics::counter!` and friends without knowing who exports them; each binary
//! installs one Prometheus recorder ([`Metrics::install`]) and serves its text at
//! `/metrics` ([`Metrics::route`]). [`track_requests`] is the axum middleware that
//! counts requests and their latency per matched route (never per raw path, so a
//! client cannot grow the label set).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Logs to stderr, filtered by `RUST_LOG` or else `default_filter`
/// (e.g. `"info,sqlx=warn"`). Safe to call twice (the second call does nothing).
pub fn init_logs(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default_filter.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The request latency buckets, in seconds: the API's budget is milliseconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// A Prometheus registry and its text rendering.
/// How often histogram samples are folded into their buckets.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// One per process: see [`Metrics::install`].
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    fn recorder() -> PrometheusRecorder {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder())
    }

    /// The process's registry: the first call installs it as the global recorder (and
    /// starts its upkeep); every later call returns the same registry, so a binary, a
    /// devnet running many servers, or tests in one process all see one set of metrics.
    /// If another recorder was installed first, the returned registry sees nothing (a
    /// warning says so).
    pub fn install() -> Metrics {
        static INSTALLED: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
        INSTALLED.get_or_init(Metrics::install_once).clone()
    }

    fn install_once() -> Metrics {
        let recorder = Metrics::recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was already installed");
        } else {
            // Histogram samples accumulate until upkeep folds them into the buckets; the
            // exporter leaves running it to its owner, so a process nobody scrapes would
            // otherwise grow without bound.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                });
        }
        Metrics { handle }
    }

    /// The Prometheus text exposition of everything recorded.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// `GET /metrics` serving [`Metrics::render`].
    pub fn route<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let metrics = self.clone();
        Router::new().route(
            "/metrics",
            get(move || {
                let body = metrics.render();
                async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body) }
            }),
        )
    }
}

/// The method as a 'static label (others share one label, so a client cannot grow the
/// label set with made-up methods).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// Name of the request counter: `http_requests_total{route, method, status}`.
pub const REQUESTS: &str = "http_requests_total";
/// Name of the latency histogram: `http_request_duration_seconds{route, method}`.
pub const LATENCY: &str = "http_request_duration_seconds";

/// The metric handles of one `(service, route, method, status)`.
#[derive(Clone)]
struct Handles {
    requests: metrics::Counter,
    latency: metrics::Histogram,
}

/// The labels of [`Handles`] besides the route.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Labels {
    service: &'static str,
    method: &'static str,
    status: u16,
}

/// [`Handles`] by route, then by the other labels.
type HandleMap = std::collections::HashMap<Box<str>, Vec<(Labels, Handles)>>;

thread_local! {
    /// Handles by route, then labels: resolving a handle through the recorder (a label
    /// vector, a hash of every label, the registry's map) cost more per request than
    /// serving a cached answer, so each worker thread resolves each combination once.
    /// Bounded: routes are matched patterns (plus `unmatched`), methods are
    /// [`method_label`]'s eight and statuses at most 1,000.
    static HANDLES: std::cell::RefCell<HandleMap> = std::cell::RefCell::default();
}

fn handles(route: &str, labels: Labels) -> Handles {
    HANDLES.with(|map| {
        let mut map = map.borrow_mut();
        let list = match map.get_mut(route) {
            Some(list) => list,
            None => map.entry(route.into()).or_default(),
        };
        if let Some((_, h)) = list.iter().find(|(l, _)| *l == labels) {
            return h.clone();
        }
        let route = metrics::SharedString::from(route.to_owned());
        let status = metrics::SharedString::from(labels.status.to_string());
        let h = Handles {
            latency: metrics::histogram!(LATENCY, "service" => labels.service,
                "route" => route.clone(), "method" => labels.method),
            requests: metrics::counter!(REQUESTS, "service" => labels.service,
                "route" => route, "method" => labels.method, "status" => status),
        };
        list.push((labels, h.clone()));
        h
    })
}

/// Records one answered request: [`REQUESTS`] and [`LATENCY`] under `service` and
/// `route` (a matched route pattern, or `unmatched`), a `debug` log line, and a `warn`
/// line for a server error (5xx). [`track_requests`] calls it for every routed request;
/// a cache answering in front of the routing calls it for its hits.
pub fn record_request(
    service: &'static str,
    route: &str,
    method: &axum::http::Method,
    status: axum::http::StatusCode,
    elapsed: std::time::Duration,
) {
    let method = method_label(method);
    let h = handles(
        route,
        Labels {
            service,
            method,
            status: status.as_u16(),
        },
    );
    h.latency.record(elapsed.as_secs_f64());
    h.requests.increment(1);
    let millis = elapsed.as_secs_f64() * 1e3;
    if status.is_server_error() {
        tracing::warn!(
            service,
            route,
            method,
            status = status.as_u16(),
            millis,
            "request failed"
        );
    } else {
        tracing::debug!(
            service,
            route,
            method,
            status = status.as_u16(),
            millis,
            "request"
        );
    }
}

/// Axum middleware recording each request ([`record_request`]) under `service` (a
/// label, e.g. `"api"`), keyed by the matched route pattern (`/v1/blocks/{height}`),
/// or `unmatched` for 404s of unknown paths. The matched route is also left in the
/// response's extensions, for layers outside the routing (a response cache).
pub async fn track_requests(
    State(service): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let label = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    record_request(
        service,
        label,
        &method,
        response.status(),
        started.elapsed(),
    );
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every install returns the one registry: what one records, another renders.
    #[test]
    fn a_second_install_is_the_same_registry() {
        let (a, b) = (Metrics::install(), Metrics::install());
        metrics::counter!("install_twice_total").increment(3);
        assert!(
            a.render().contains("install_twice_total 3"),
            "{}",
            a.render()
        );
        assert!(
            b.render().contains("install_twice_total 3"),
            "{}",
            b.render()
        );
    }
}
