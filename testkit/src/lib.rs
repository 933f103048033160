//! Dev-only helpers shared by the test suites (a dev-dependency only, never linked
//! into a binary). Today: [`PgTestDb`], a fresh PostgreSQL database per test on the
//! machine's server, dropped afterwards, or a skip message when no server answers.
//!
//! ```no_run
//! # async fn demo() {
//! if let Some(db) = alkahest_testkit::PgTestDb::create("my_test").await {
//!     // connect to db.url; the database is dropped with `db`
//! }
//! # }
//! ```
#![deny(missing_docs)]
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// The server and database the machine provides (trust auth); each test gets its own
/// database on it.
pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh PostgreSQL database, dropped when this value is dropped.
pub struct PgTestDb {
    /// Its URL.
    pub url: String,
    name: String,
}

impl PgTestDb {
    /// Creates `alkahest_test_<pid>_<n>`, or prints `SKIP <test>: …` and returns
    /// `None` when no server answers at [`ADMIN_URL`].
    ///
    /// # Panics
    /// When the server answers but refuses to create the database.
    pub async fn create(test: &str) -> Option<PgTestDb> {
        let mut admin = match sqlx::PgConnection::connect(ADMIN_URL).await {
            Ok(c) => c,
            Err(e) => {
                println!("SKIP {test}: no PostgreSQL at {ADMIN_URL} ({e})");
                return None;
            }
        };
        let name = format!(
            "alkahest_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let _ = admin.close().await;
        Some(PgTestDb {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        })
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee, so use a private one on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}
