//! Integration tests for `alkahest-indexer`, one module per area. Tests that read
//! `../shared/data` skip with a printed message when it is absent; Postgres tests skip
//! when no server answers at `postgres://postgres@127.0.0.1:5432/test`.
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

mod behind;
mod cli;
mod common;
mod crash;
mod malformed;
mod payouts;
mod pools;
mod real_blocks;
mod reorg;
mod rest;
mod rpc;
mod storage;
mod zmq;
