-- Payouts in ordinary transactions (FPPS pools pay daily, a miner may top up): the outputs
-- of non-coinbase transactions that pay a watched script. Found through BIP158 filters,
-- so only watched scripts are stored. Keep in step with ../postgres/0003_tx_outputs.sql.

CREATE TABLE tx_outputs (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    vout BIGINT NOT NULL,
    txid BLOB NOT NULL,
    value BIGINT NOT NULL,
    script_pubkey BLOB NOT NULL,
    PRIMARY KEY (height, tx_index, vout)
);
CREATE INDEX tx_outputs_script_height ON tx_outputs (script_pubkey, height, tx_index, vout);

-- A script's payouts outside coinbases are looked for from `scan_from` (the first height
-- that may pay it: a Silica's start), whenever the script was watched. One watched after
-- blocks were stored is rescanned from `rescan_from` by the follower; NULL once every
-- stored block was scanned for it.
ALTER TABLE watched_scripts ADD COLUMN scan_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE watched_scripts ADD COLUMN rescan_from BIGINT;
-- Scripts watched before this schema were never scanned beyond coinbases.
UPDATE watched_scripts SET rescan_from = (SELECT MIN(height) FROM blocks);
