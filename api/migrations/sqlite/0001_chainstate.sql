-- Chain state ingested from the stacks-node event observer (api/src/chainstate).
-- Clarity uints can exceed BIGINT, so they are stored as decimal TEXT.

-- Every Stacks block announced, canonical or not (a reorg flips the flag).
CREATE TABLE stacks_blocks (
    index_block_hash TEXT PRIMARY KEY,
    parent_index_block_hash TEXT NOT NULL,
    block_hash TEXT NOT NULL,
    block_height BIGINT NOT NULL,
    burn_block_hash TEXT NOT NULL,
    burn_block_height BIGINT NOT NULL,
    burn_block_time BIGINT NOT NULL,
    canonical BOOLEAN NOT NULL
);
CREATE INDEX stacks_blocks_canonical_height ON stacks_blocks (canonical, block_height);

-- The raw `print` events of the followed contracts, as the node sent them.
CREATE TABLE contract_events (
    index_block_hash TEXT NOT NULL REFERENCES stacks_blocks (index_block_hash),
    event_index BIGINT NOT NULL,
    txid TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    raw_value BLOB NOT NULL,
    PRIMARY KEY (index_block_hash, event_index)
);

-- Derived from the canonical events only; rebuilt on a reorg.
CREATE TABLE silicas (
    id BIGINT PRIMARY KEY,
    status TEXT NOT NULL,
    miner TEXT NOT NULL,
    hashrate TEXT NOT NULL,
    sold TEXT NOT NULL,
    windows BIGINT NOT NULL,
    start_height BIGINT NOT NULL,
    window_length BIGINT NOT NULL,
    price TEXT NOT NULL,
    collateral TEXT NOT NULL,
    payout_script TEXT NOT NULL
);
CREATE INDEX silicas_status ON silicas (status, id);

CREATE TABLE silica_windows (
    silica_id BIGINT NOT NULL,
    window_number BIGINT NOT NULL,
    delivered TEXT NOT NULL,
    due TEXT NOT NULL,
    index_value TEXT NOT NULL,
    PRIMARY KEY (silica_id, window_number)
);

CREATE TABLE silica_settlements (
    silica_id BIGINT PRIMARY KEY,
    buyers_pool TEXT NOT NULL,
    shares TEXT NOT NULL,
    miner_amount TEXT NOT NULL,
    collected BOOLEAN NOT NULL
);

CREATE TABLE amm_pools (
    id BIGINT PRIMARY KEY,
    token_x TEXT NOT NULL,
    token_y TEXT NOT NULL,
    curve BIGINT NOT NULL,
    weight_x TEXT NOT NULL,
    fee_rate TEXT NOT NULL,
    fee_rebate TEXT NOT NULL,
    balance_x TEXT NOT NULL,
    balance_y TEXT NOT NULL,
    lp_supply TEXT NOT NULL,
    last_price TEXT NOT NULL,
    ema_price TEXT NOT NULL,
    reserve_x TEXT NOT NULL,
    reserve_y TEXT NOT NULL,
    paused BOOLEAN NOT NULL,
    swaps BIGINT NOT NULL
);
