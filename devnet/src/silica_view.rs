//! The API's view of Silicas on the devnet: read from the simnet's contract state.

use alkahest_api::routes::silica::{AttestedWindow, Settlement, SilicaSource, SilicaView};
use alkahest_clarity::values::{uint, ValueExt};
use alkahest_clarity::Value;
use alkahest_signer::stacks::simnet::SimnetClient;

/// Reads `silica` views through the simnet client.
pub struct SimnetSilica {
    client: SimnetClient,
    contract: String,
}

impl SimnetSilica {
    /// Views of `deployer.silica`.
    pub fn new(client: SimnetClient, deployer: &str) -> SimnetSilica {
        SimnetSilica {
            client,
            contract: format!("{deployer}.silica"),
        }
    }

    fn read(&self, function: &str, args: &[Value]) -> Value {
        self.client
            .with_sim(|s| s.read_only(&self.contract, function, args))
    }
}

fn status_name(code: u128) -> &'static str {
    match code {
        0 => "OPEN",
        1 => "RUNNING",
        2 => "FINISHED",
        3 => "DEFAULTED",
        4 => "EXPIRED",
        5 => "CANCELLED",
        _ => "UNKNOWN",
    }
}

impl SilicaSource for SimnetSilica {
    async fn silica(&self, id: u128) -> Result<Option<SilicaView>, String> {
        let Some(s) = self.read("get-silica", &[uint(id)]).to_optional() else {
            return Ok(None);
        };
        let small = |name: &str| u32::try_from(s.field(name).to_uint()).map_err(|e| e.to_string());
        let next = small("next-window")?;
        let mut attested = Vec::new();
        for w in 0..next {
            if let Some(rec) = self
                .read("get-window", &[uint(id), uint(w.into())])
                .to_optional()
            {
                attested.push(AttestedWindow {
                    window: w,
                    delivered: rec.field("delivered").to_uint(),
                    due: rec.field("due").to_uint(),
                    index: rec.field("index").to_uint(),
                });
            }
        }
        let settlement = self
            .read("get-settlement", &[uint(id)])
            .to_optional()
            .map(|st| Settlement {
                buyers_pool: st.field("pool").to_uint(),
                shares: st.field("shares").to_uint(),
                miner_amount: st.field("miner-amount").to_uint(),
                collected: st.field("collected").to_bool(),
            });
        Ok(Some(SilicaView {
            id,
            status: status_name(s.field("status").to_uint()).to_string(),
            miner: s.field("miner").to_principal(),
            hashrate: s.field("hashrate").to_uint(),
            sold: s.field("sold").to_uint(),
            windows: small("windows")?,
            start: small("start")?,
            window_length: small("window-length")?,
            price: s.field("price").to_uint(),
            collateral: s.field("collateral").to_uint(),
            payout_script: hex::encode(s.field("payout-script").to_buff()),
            attested,
            settlement,
        }))
    }
}
