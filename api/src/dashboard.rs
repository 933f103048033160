//! The dashboard: a static web page at `/` that reads only the public API.
//!
//! Its files (`api/dashboard/static/`: HTML, CSS, JavaScript modules and the vendored
//! uPlot chart library) are compiled into the binary, so an `api` or `devnet` binary
//! serves the page it was built with, wherever it runs. The page is a client of the
//! same `/v1` routes as any other, so every figure on it can be checked against the API.
//!
//! Caching: the file names carry no content hash, so every answer says `no-cache` with
//! a strong `ETag` (sha256 of the bytes): a browser revalidates each file and gets a
//! `304` with no body until the binary changes, and never mixes modules of two
//! versions. Compression is the served stack's ([`crate::server::serve_layers`]).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bitcoin::hashes::{sha256, Hash};

use crate::ApiError;

/// One embedded file.
struct Asset {
    /// Its path under `/assets/` (`index.html` is served at `/`).
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/dashboard/static/",
                $path
            )),
            content_type: $type,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of the page. A file in `dashboard/static` that is not listed here is not
/// served: the test `every_static_file_is_served` keeps the two in step.
static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", CSS),
    asset!("app.js", JS),
    asset!("lib/api.js", JS),
    asset!("lib/chart.js", JS),
    asset!("lib/format.js", JS),
    asset!("pages/network.js", JS),
    asset!("pages/silica.js", JS),
    asset!("pages/amm.js", JS),
    asset!("pages/lending.js", JS),
    asset!("pages/governance.js", JS),
    asset!("vendor/uPlot.esm.js", JS),
    asset!("vendor/uPlot.min.css", CSS),
];

/// The page's content security policy: its own scripts and styles only (uPlot sets
/// inline style attributes), data only from this origin, no frames.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn etags() -> &'static [HeaderValue] {
    static ETAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let hash = sha256::Hash::hash(a.body);
                HeaderValue::from_str(&format!("\"{}\"", &hash.to_string()[..32]))
                    .expect("hex is a valid header value")
            })
            .collect()
    })
}

/// Serves the asset at `path`, or `None` when there is none.
fn serve(path: &str, request: &HeaderMap) -> Option<Response> {
    let i = ASSETS.iter().position(|a| a.path == path)?;
    let (asset, etag) = (&ASSETS[i], &etags()[i]);
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag.to_str().unwrap_or_default()
        });
    if fresh {
        return Some((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if asset.path == "index.html" {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    Some((headers, asset.body).into_response())
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
        .unwrap_or_else(|| ApiError::not_found("no dashboard").into_response())
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match serve(&path, &headers) {
        Some(response) => response,
        None => ApiError::not_found(format!("no dashboard file {path:?}")).into_response(),
    }
}

/// `GET /` (the page) and `GET /assets/{path}` (its files); merge it beside the API.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(file))
}

#[cfg(test)]
mod tests;
