//! API integration tests: a regtest chain generated with real consensus bytes is
//! indexed by the production follower into SQLite, then every route is queried in
//! process (no socket) and compared with the chain; bad input gets a 4xx JSON error.

mod routes;
