-- Alkahest indexer schema, version 1 (SQLite). Keep in step with ../postgres/0001_init.sql;
-- the two differ only in the byte-string type. Documented in ../../docs/schema.md.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE pools (
    id BIGINT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    link TEXT NOT NULL
);

CREATE TABLE blocks (
    height BIGINT PRIMARY KEY NOT NULL,
    hash BLOB NOT NULL UNIQUE,
    prev_hash BLOB NOT NULL,
    time BIGINT NOT NULL,
    median_time_past BIGINT,
    bits BIGINT NOT NULL,
    difficulty DOUBLE PRECISION NOT NULL,
    work BLOB NOT NULL,
    tx_count BIGINT NOT NULL,
    size BIGINT NOT NULL,
    coinbase_txid BLOB NOT NULL,
    script_sig BLOB NOT NULL,
    tag TEXT NOT NULL,
    bip34_height BIGINT,
    subsidy BIGINT NOT NULL,
    output_total BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    underclaimed BOOLEAN NOT NULL,
    pool_id BIGINT,
    window_id BIGINT
);
CREATE INDEX blocks_window ON blocks (window_id);
CREATE INDEX blocks_pool ON blocks (pool_id);

CREATE TABLE coinbase_outputs (
    height BIGINT NOT NULL,
    vout BIGINT NOT NULL,
    value BIGINT NOT NULL,
    script_pubkey BLOB NOT NULL,
    address TEXT,
    PRIMARY KEY (height, vout)
);
CREATE INDEX coinbase_outputs_script ON coinbase_outputs (script_pubkey);
CREATE INDEX coinbase_outputs_address ON coinbase_outputs (address);

CREATE TABLE watched_scripts (
    script_pubkey BLOB PRIMARY KEY NOT NULL,
    label TEXT NOT NULL
);

CREATE TABLE windows (
    window_id BIGINT PRIMARY KEY NOT NULL,
    first_height BIGINT NOT NULL,
    block_count BIGINT NOT NULL,
    reward BIGINT NOT NULL,
    work DOUBLE PRECISION NOT NULL,
    index_value DOUBLE PRECISION NOT NULL
);

CREATE TABLE deliveries (
    script_pubkey BLOB NOT NULL,
    window_id BIGINT NOT NULL,
    sats BIGINT NOT NULL,
    outputs BIGINT NOT NULL,
    PRIMARY KEY (script_pubkey, window_id)
);
