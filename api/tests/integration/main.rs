//! API integration tests: a regtest chain generated with real consensus bytes is
//! indexed by the production follower into SQLite, then every route is queried in
//! process (no socket) and compared with the chain and with the generated OpenAPI
//! document; bad input gets a 4xx JSON error.

#![allow(clippy::print_stdout)]

mod binary;
mod chain;
mod chainstate;
mod fixture;
mod openapi;
mod payouts;
mod proofs;
mod routes;
