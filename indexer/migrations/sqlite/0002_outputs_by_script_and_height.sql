-- Payouts and deliveries are read by script over a height range, in (height, vout)
-- order. An index on the script alone made each such query read and sort every output
-- ever paid to the script (the API's /v1/silica and payouts pages were the slowest
-- routes); this one serves the range and the order directly.
DROP INDEX coinbase_outputs_script;
CREATE INDEX coinbase_outputs_script_height ON coinbase_outputs (script_pubkey, height, vout);
