use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::*;

fn static_dir() -> PathBuf {
    FsPath::new(env!("CARGO_MANIFEST_DIR")).join("dashboard/static")
}

fn files_under(dir: &FsPath, root: &FsPath, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, root, out);
        } else {
            let rel = path.strip_prefix(root).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

async fn get(path: &str, if_none_match: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let response = router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, body.to_vec())
}

#[test]
fn every_static_file_is_served() {
    let mut on_disk = Vec::new();
    files_under(&static_dir(), &static_dir(), &mut on_disk);
    on_disk.sort();
    let mut served: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
    served.sort();
    assert_eq!(served, on_disk, "ASSETS must list exactly dashboard/static");
}

/// Every `import … from '<relative>'` and `import('<relative>')` of every module, and
/// every `/assets/…` the page names, resolves to an embedded file: a typo would
/// otherwise only show as a blank page.
#[test]
fn every_reference_resolves() {
    let served: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
    let html = std::str::from_utf8(ASSETS[0].body).unwrap();
    for part in html.split("\"/assets/").skip(1) {
        let path = &part[..part.find('"').unwrap()];
        assert!(served.contains(&path), "index.html names /assets/{path}");
    }
    let mut checked = 0;
    for asset in ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".js") && !a.path.starts_with("vendor/"))
    {
        let text = std::str::from_utf8(asset.body).unwrap();
        let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
        for quote in ["from '", "import('"] {
            for part in text.split(quote).skip(1) {
                let spec = &part[..part.find('\'').unwrap()];
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let resolved = parts.join("/");
                assert!(
                    served.contains(&resolved.as_str()),
                    "{} imports {spec} ({resolved}), which is not served",
                    asset.path
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 15,
        "the modules import each other ({checked} imports)"
    );
}

#[tokio::test]
async fn the_page_is_served_at_the_root_with_its_policy() {
    let (status, headers, body) = get("/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("<main id=\"main\""));
}

#[tokio::test]
async fn files_revalidate_by_etag() {
    let (status, headers, body) = get("/assets/app.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], JS);
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(!body.is_empty());
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(etag, get("/assets/style.css", None).await.1[header::ETAG]);

    let (status, headers, body) = get("/assets/app.js", Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    assert!(body.is_empty(), "a 304 has no body");
    let listed = format!("\"other\", W/{etag}");
    assert_eq!(
        get("/assets/app.js", Some(&listed)).await.0,
        StatusCode::NOT_MODIFIED
    );
    let (status, _, body) = get("/assets/app.js", Some("\"other\"")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another version's tag gets the file"
    );
    assert!(!body.is_empty());
}

#[tokio::test]
async fn an_unknown_file_is_a_json_404_naming_it() {
    for path in ["/assets/nope.js", "/assets/../Cargo.toml", "/assets/lib"] {
        let (status, headers, body) = get(path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("no dashboard file"),
            "{path}: {body}"
        );
    }
}
