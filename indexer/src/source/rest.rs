//! Bitcoin Core REST source (`-rest=1`): `/rest/chaininfo.json` for the tip,
//! `/rest/blockhashbyheight/<h>.bin`, `/rest/headers/<n>/<hash>.bin` to list a range
//! and `/rest/block/<hash>.bin` fetched with a configurable number of parallel requests.

use std::time::Duration;

use bitcoin::bip158::BlockFilter;
use bitcoin::block::Header;
use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use serde::Deserialize;
use tokio::task::JoinSet;

use super::{BlockEvent, BlockSource, SourceError};
use crate::types::Height;

/// Bitcoin Core's `MAX_REST_HEADERS_RESULTS`: the most headers one request returns.
const MAX_REST_HEADERS: u32 = 2000;

/// How long one REST request may take, connection to last byte, before it fails as a
/// transient error and the follower retries: a 4 MB block from a busy local node is
/// well within it, and a hung node no longer stalls the follower forever.
pub const REST_TIMEOUT: Duration = Duration::from_secs(60);

/// A [`BlockSource`] over Bitcoin Core's REST interface.
#[derive(Debug, Clone)]
pub struct RestSource {
    base: String,
    client: reqwest::Client,
    parallel: usize,
    timeout: Duration,
}

#[derive(Deserialize)]
struct ChainInfo {
    blocks: u32,
    bestblockhash: String,
}

impl RestSource {
    /// Creates a source for `base` (e.g. `http://127.0.0.1:8332`) fetching up to
    /// `parallel` blocks at once (at least one), each request limited to
    /// [`REST_TIMEOUT`].
    pub fn new(base: &str, parallel: usize) -> RestSource {
        RestSource::with_timeout(base, parallel, REST_TIMEOUT)
    }

    /// As [`RestSource::new`], with another per-request `timeout`.
    pub fn with_timeout(base: &str, parallel: usize, timeout: Duration) -> RestSource {
        RestSource {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            parallel: parallel.max(1),
            timeout,
        }
    }

    async fn get(
        client: &reqwest::Client,
        timeout: Duration,
        url: String,
    ) -> Result<Option<Vec<u8>>, SourceError> {
        let resp = client
            .get(&url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|source| SourceError::Http {
                url: url.clone(),
                source,
            })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::BAD_REQUEST {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(SourceError::HttpStatus {
                url,
                status: status.as_u16(),
            });
        }
        let body = resp
            .bytes()
            .await
            .map_err(|source| SourceError::Http { url, source })?;
        Ok(Some(body.to_vec()))
    }

    async fn headers(&self, from: BlockHash, count: u32) -> Result<Vec<Header>, SourceError> {
        let url = format!(
            "{}/rest/headers/{}/{}.bin",
            self.base,
            count.min(MAX_REST_HEADERS),
            from
        );
        let body = Self::get(&self.client, self.timeout, url)
            .await?
            .unwrap_or_default();
        body.chunks(80)
            .map(|c| {
                deserialize(c).map_err(|source| SourceError::Decode {
                    what: "rest header",
                    source,
                })
            })
            .collect()
    }
}

impl BlockSource for RestSource {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        let url = format!("{}/rest/chaininfo.json", self.base);
        let Some(body) = Self::get(&self.client, self.timeout, url).await? else {
            return Ok(None);
        };
        let info: ChainInfo =
            serde_json::from_slice(&body).map_err(|source| SourceError::Json {
                what: "chaininfo",
                source,
            })?;
        let hash = info
            .bestblockhash
            .parse()
            .map_err(|source| SourceError::BadHash {
                what: "chaininfo",
                source,
            })?;
        Ok(Some((Height(info.blocks), hash)))
    }

    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        let url = format!("{}/rest/blockhashbyheight/{}.bin", self.base, height.0);
        let Some(body) = Self::get(&self.client, self.timeout, url).await? else {
            return Ok(None);
        };
        let bytes: [u8; 32] = body
            .as_slice()
            .try_into()
            .map_err(|_| SourceError::BadLength {
                what: "blockhashbyheight",
                expected: 32,
                found: body.len(),
            })?;
        Ok(Some(BlockHash::from_byte_array(bytes)))
    }

    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        let Some(first) = self.hash_at(from).await? else {
            return Ok(Vec::new());
        };
        let headers = self.headers(first, count).await?;
        let mut out = Vec::with_capacity(headers.len());
        for chunk in headers.chunks(self.parallel) {
            let mut set = JoinSet::new();
            for (i, header) in chunk.iter().enumerate() {
                let hash = header.block_hash();
                let url = format!("{}/rest/block/{}.bin", self.base, hash);
                let client = self.client.clone();
                let timeout = self.timeout;
                set.spawn(async move { (i, Self::get(&client, timeout, url).await) });
            }
            let mut bodies = vec![None; chunk.len()];
            while let Some(joined) = set.join_next().await {
                let (i, body) = joined.map_err(SourceError::Join)?;
                bodies[i] = body?;
            }
            for (header, body) in chunk.iter().zip(bodies) {
                let height = Height(from.0 + out.len() as u32);
                let Some(bytes) = body else { return Ok(out) };
                out.push(BlockEvent {
                    height,
                    hash: header.block_hash(),
                    parent: header.prev_blockhash,
                    bytes,
                });
            }
        }
        Ok(out)
    }

    async fn filter(
        &mut self,
        _height: Height,
        hash: BlockHash,
    ) -> Result<Option<BlockFilter>, SourceError> {
        let url = format!("{}/rest/blockfilter/basic/{}.bin", self.base, hash);
        // Core answers 400 without `-blockfilterindex` and 404 while the index catches
        // up: the follower then reads the block.
        match Self::get(&self.client, self.timeout, url).await? {
            Some(body) => filter_from_rest(&body, &hash).map(Some),
            None => Ok(None),
        }
    }
}

/// Reads Core's binary `blockfilter` answer: the filter type (0, basic), the block hash
/// and the encoded filter as a length-prefixed byte vector.
fn filter_from_rest(body: &[u8], hash: &BlockHash) -> Result<BlockFilter, SourceError> {
    let bad = || SourceError::BadLength {
        what: "blockfilter",
        expected: 34,
        found: body.len(),
    };
    // The first byte is the filter type; the URL asked for basic.
    let (_, rest) = body.split_first().ok_or_else(bad)?;
    let (block, rest) = rest.split_at_checked(32).ok_or_else(bad)?;
    if block != hash.as_byte_array() {
        return Err(SourceError::WrongBlock {
            requested: *hash,
            returned: BlockHash::from_slice(block).unwrap_or(*hash),
        });
    }
    let content: Vec<u8> =
        bitcoin::consensus::deserialize(rest).map_err(|source| SourceError::Decode {
            what: "blockfilter",
            source,
        })?;
    Ok(BlockFilter::new(&content))
}
