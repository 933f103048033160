//! Reads Bitcoin Core's `blk*.dat` block files directly, and writes such directories.
//!
//! Each frame is the network magic, a little-endian `u32` length and the block. Bitcoin
//! Core 28+ obfuscates the files with the 8-byte key in `xor.dat`, applied by position
//! within each file; the key is used when the file is present. Blocks may be stored out
//! of order and include orphans, so the reader indexes every header and resolves the best
//! chain from a known anchor (genesis by default) with [`HeaderTree`]. A pruned node's
//! directory lacks genesis: then the chain is anchored at the BIP-0034 height that the
//! first block's coinbase declares. A file ends at a zero-filled tail (preallocated
//! space) or at a frame cut short by a crash.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bitcoin::block::Header;
use bitcoin::consensus::deserialize;
use bitcoin::constants::genesis_block;
use bitcoin::{BlockHash, Network};

use super::{BlockEvent, BlockSource, CoinbaseEvent, SourceError};
use crate::chain::HeaderTree;
use crate::coinbase::{decode_bip34_height, parse_coinbase_prefix, CoinbaseParseError};
use crate::types::Height;

/// Bytes read per block by [`BlkSource`]'s `fetch_coinbases`: enough for a coinbase
/// with dozens of outputs; a longer coinbase triggers a full read.
pub const COINBASE_PREFIX: usize = 8 * 1024;

/// Bitcoin Core's maximum blk file size (`MAX_BLOCKFILE_SIZE`, 128 MiB).
pub const MAX_BLOCKFILE_SIZE: u64 = 128 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct Location {
    file: usize,
    offset: u64,
    len: u32,
}

/// A [`BlockSource`] over a directory of `blk*.dat` files, as scanned at
/// [`BlkSource::open`] or the last [`BlkSource::rescan`].
#[derive(Debug)]
pub struct BlkSource {
    dir: PathBuf,
    magic: [u8; 4],
    /// The caller's anchor; `None` means genesis, or the BIP-0034 anchor without it.
    explicit_anchor: Option<(Height, BlockHash)>,
    genesis: BlockHash,
    xor: Option<[u8; 8]>,
    files: Vec<PathBuf>,
    locations: HashMap<BlockHash, Location>,
    tree: HeaderTree,
}

fn xor_at(buf: &mut [u8], key: Option<&[u8; 8]>, position: u64) {
    if let Some(key) = key {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[((position + i as u64) % 8) as usize];
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_owned(),
        source,
    }
}

impl BlkSource {
    /// The best-chain block at `height` and its parent, or `None` above the tip.
    fn located(&self, height: Height) -> Result<Option<(BlockHash, BlockHash)>, SourceError> {
        let Some(hash) = self.tree.hash_at(height) else {
            return Ok(None);
        };
        let parent = self
            .tree
            .header(&hash)
            .map(|h| h.prev_blockhash)
            .ok_or(SourceError::Missing(height))?;
        Ok(Some((hash, parent)))
    }

    /// Scans `dir` for `network`'s blocks. `anchor` is a trusted `(height, hash)` the
    /// chain descends from; `None` means the network's genesis at height 0 or, when no
    /// block descends from genesis (a pruned node), the parent of the first block at
    /// the height its coinbase declares (BIP-0034).
    ///
    /// # Errors
    ///
    /// [`SourceError::Io`] for unreadable files, [`SourceError::BadMagic`] for a frame
    /// with another network's or garbage magic, [`SourceError::BadHeader`] for an
    /// undecodable header, [`SourceError::BadXorKey`] for a bad `xor.dat`.
    pub fn open(
        dir: &Path,
        network: Network,
        anchor: Option<(Height, BlockHash)>,
    ) -> Result<BlkSource, SourceError> {
        let genesis = genesis_block(network).block_hash();
        let mut source = BlkSource {
            dir: dir.to_owned(),
            magic: network.magic().to_bytes(),
            explicit_anchor: anchor,
            genesis,
            xor: None,
            files: Vec::new(),
            locations: HashMap::new(),
            tree: HeaderTree::build(anchor.unwrap_or((Height(0), genesis)), []),
        };
        source.rescan()?;
        Ok(source)
    }

    /// Re-reads the directory, picking up new files and blocks.
    ///
    /// # Errors
    ///
    /// As [`BlkSource::open`].
    pub fn rescan(&mut self) -> Result<(), SourceError> {
        let xor_path = self.dir.join("xor.dat");
        self.xor = match std::fs::read(&xor_path) {
            Ok(bytes) => {
                let key: [u8; 8] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| SourceError::BadXorKey {
                            path: xor_path.clone(),
                            len: bytes.len(),
                        })?;
                (key != [0; 8]).then_some(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(SourceError::Io {
                    path: xor_path,
                    source: e,
                })
            }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(io_err(&self.dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("blk") && n.ends_with(".dat"))
            })
            .collect();
        files.sort();
        let mut headers = Vec::new();
        let mut locations = HashMap::new();
        for (file_idx, path) in files.iter().enumerate() {
            self.scan_file(file_idx, path, &mut headers, &mut locations)?;
        }
        self.files = files;
        self.locations = locations;
        self.tree = match self.explicit_anchor {
            Some(anchor) => HeaderTree::build(anchor, headers),
            None => self.genesis_or_bip34_tree(headers)?,
        };
        tracing::info!(
            dir = %self.dir.display(),
            files = self.files.len(),
            blocks = self.locations.len(),
            anchor = ?self.tree.anchor(),
            orphans = self.tree.orphans(),
            tip = ?self.tree.tip(),
            "scanned blk directory"
        );
        Ok(())
    }

    /// Builds the tree from genesis; when nothing descends from it, from the parent of
    /// each block whose parent is absent (a root), at the height the root's coinbase
    /// declares, keeping the tree whose tip has the most work.
    fn genesis_or_bip34_tree(&self, headers: Vec<Header>) -> Result<HeaderTree, SourceError> {
        let from_genesis = HeaderTree::build((Height(0), self.genesis), headers.iter().copied());
        if from_genesis.tip().is_some() {
            return Ok(from_genesis);
        }
        let mut best: Option<HeaderTree> = None;
        for root in headers
            .iter()
            .filter(|h| !self.locations.contains_key(&h.prev_blockhash))
        {
            let hash = root.block_hash();
            let prefix = self.read_block_prefix(&hash, COINBASE_PREFIX)?;
            let size = self.locations.get(&hash).map_or(0, |l| u64::from(l.len));
            let height = parse_coinbase_prefix(&prefix, size)
                .ok()
                .and_then(|p| decode_bip34_height(p.script_sig.as_bytes()))
                .and_then(|h| u32::try_from(h).ok())
                .filter(|h| *h > 0);
            let Some(height) = height else {
                tracing::debug!(block = %hash, "root block declares no BIP-0034 height");
                continue;
            };
            let tree = HeaderTree::build(
                (Height(height - 1), root.prev_blockhash),
                headers.iter().copied(),
            );
            if best.as_ref().is_none_or(|b| tree.tip_work() > b.tip_work()) {
                best = Some(tree);
            }
        }
        Ok(match best {
            Some(tree) => {
                tracing::info!(anchor = ?tree.anchor(), "no genesis block: anchored at the first block's BIP-0034 height");
                tree
            }
            None => from_genesis,
        })
    }

    fn scan_file(
        &self,
        file_idx: usize,
        path: &Path,
        headers: &mut Vec<Header>,
        locations: &mut HashMap<BlockHash, Location>,
    ) -> Result<(), SourceError> {
        let file = File::open(path).map_err(io_err(path))?;
        let file_len = file.metadata().map_err(io_err(path))?.len();
        let mut pos = 0u64;
        let mut frame = [0u8; 8 + 80];
        while pos + 8 <= file_len {
            file.read_exact_at(&mut frame[..8], pos)
                .map_err(io_err(path))?;
            // Preallocated space is raw zeros on disk, whether or not the file is
            // obfuscated.
            let raw_zero = frame[..4] == [0; 4];
            xor_at(&mut frame[..8], self.xor.as_ref(), pos);
            if raw_zero || frame[..4] == [0; 4] {
                break; // zero-filled tail
            }
            if frame[..4] != self.magic {
                return Err(SourceError::BadMagic {
                    path: path.to_owned(),
                    offset: pos,
                    found: [frame[0], frame[1], frame[2], frame[3]],
                });
            }
            let len = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
            if len < 80 || pos + 8 + u64::from(len) > file_len {
                tracing::warn!(file = %path.display(), offset = pos, len, "incomplete frame ends the file");
                break;
            }
            file.read_exact_at(&mut frame[8..], pos + 8)
                .map_err(io_err(path))?;
            xor_at(&mut frame[8..], self.xor.as_ref(), pos + 8);
            let header: Header =
                deserialize(&frame[8..]).map_err(|source| SourceError::BadHeader {
                    path: path.to_owned(),
                    offset: pos,
                    source,
                })?;
            let hash = header.block_hash();
            locations.entry(hash).or_insert(Location {
                file: file_idx,
                offset: pos + 8,
                len,
            });
            headers.push(header);
            pos += 8 + u64::from(len);
        }
        Ok(())
    }

    /// Returns the header tree of the last scan.
    pub fn tree(&self) -> &HeaderTree {
        &self.tree
    }

    /// Reads the first `max` bytes (or fewer) of a scanned block.
    ///
    /// # Errors
    ///
    /// [`SourceError::UnknownBlock`] when the block was not scanned, I/O errors.
    pub fn read_block_prefix(&self, hash: &BlockHash, max: usize) -> Result<Vec<u8>, SourceError> {
        let loc = self
            .locations
            .get(hash)
            .ok_or(SourceError::UnknownBlock(*hash))?;
        let path = &self.files[loc.file];
        let file = File::open(path).map_err(io_err(path))?;
        let mut buf = vec![0u8; (loc.len as usize).min(max)];
        file.read_exact_at(&mut buf, loc.offset)
            .map_err(io_err(path))?;
        xor_at(&mut buf, self.xor.as_ref(), loc.offset);
        Ok(buf)
    }

    /// Reads the raw bytes of a scanned block.
    ///
    /// # Errors
    ///
    /// As [`BlkSource::read_block_prefix`].
    pub fn read_block(&self, hash: &BlockHash) -> Result<Vec<u8>, SourceError> {
        self.read_block_prefix(hash, usize::MAX)
    }
}

impl BlockSource for BlkSource {
    async fn tip(&mut self) -> Result<Option<(Height, BlockHash)>, SourceError> {
        Ok(self.tree.tip())
    }

    fn first_height(&self) -> Height {
        self.tree.first_height().unwrap_or(Height(0))
    }

    async fn hash_at(&mut self, height: Height) -> Result<Option<BlockHash>, SourceError> {
        Ok(self.tree.hash_at(height))
    }

    /// Reads only the first [`COINBASE_PREFIX`] bytes of each block, and the whole block
    /// only when its coinbase is longer.
    async fn fetch_coinbases(
        &mut self,
        from: Height,
        count: u32,
    ) -> Result<Vec<CoinbaseEvent>, SourceError> {
        let mut out = Vec::new();
        for i in 0..count {
            let height = Height(from.0.saturating_add(i));
            let Some((hash, parent)) = self.located(height)? else {
                break;
            };
            let size = self.locations.get(&hash).map_or(0, |l| u64::from(l.len));
            let mut prefix = self.read_block_prefix(&hash, COINBASE_PREFIX)?;
            if (prefix.len() as u64) < size
                && matches!(
                    parse_coinbase_prefix(&prefix, size),
                    Err(CoinbaseParseError::Truncated { .. })
                )
            {
                prefix = self.read_block(&hash)?;
            }
            out.push(CoinbaseEvent {
                height,
                hash,
                parent,
                prefix,
                size,
            });
        }
        Ok(out)
    }

    async fn fetch(&mut self, from: Height, count: u32) -> Result<Vec<BlockEvent>, SourceError> {
        let mut out = Vec::new();
        for i in 0..count {
            let height = Height(from.0.saturating_add(i));
            let Some((hash, parent)) = self.located(height)? else {
                break;
            };
            let bytes = self.read_block(&hash)?;
            out.push(BlockEvent {
                height,
                hash,
                parent,
                bytes,
            });
        }
        Ok(out)
    }
}

/// Options for [`write_blk_dir`].
#[derive(Debug, Clone)]
pub struct BlkWriteOptions {
    /// The network whose magic frames the blocks.
    pub network: Network,
    /// Start a new file once the current one reaches this size.
    pub max_file_size: u64,
    /// Obfuscate the files with this key and write it to `xor.dat`, as Core 28+ does.
    pub xor_key: Option<[u8; 8]>,
    /// Zero bytes appended to the last file, as Core's preallocation leaves.
    pub zero_tail: usize,
}

impl Default for BlkWriteOptions {
    fn default() -> Self {
        BlkWriteOptions {
            network: Network::Regtest,
            max_file_size: MAX_BLOCKFILE_SIZE,
            xor_key: None,
            zero_tail: 0,
        }
    }
}

/// Writes serialized blocks, in the given order, as `blk00000.dat`, `blk00001.dat`, …
/// in `dir`, which must exist. Returns the files written.
///
/// # Errors
///
/// The I/O error of the first failed write.
pub fn write_blk_dir<B: AsRef<[u8]>>(
    dir: &Path,
    blocks: impl IntoIterator<Item = B>,
    options: &BlkWriteOptions,
) -> Result<Vec<PathBuf>, std::io::Error> {
    if let Some(key) = options.xor_key {
        std::fs::write(dir.join("xor.dat"), key)?;
    }
    let magic = options.network.magic().to_bytes();
    let mut files = Vec::new();
    let mut current: Option<(std::io::BufWriter<File>, u64)> = None;
    for block in blocks {
        let block = block.as_ref();
        let needs_new = current
            .as_ref()
            .is_none_or(|(_, pos)| *pos >= options.max_file_size);
        if needs_new {
            if let Some((mut w, _)) = current.take() {
                w.flush()?;
            }
            let path = dir.join(format!("blk{:05}.dat", files.len()));
            current = Some((std::io::BufWriter::new(File::create(&path)?), 0));
            files.push(path);
        }
        let (w, pos) = current.as_mut().expect("a file was just opened");
        let mut frame = Vec::with_capacity(8 + block.len());
        frame.extend_from_slice(&magic);
        frame.extend_from_slice(&(block.len() as u32).to_le_bytes());
        frame.extend_from_slice(block);
        xor_at(&mut frame, options.xor_key.as_ref(), *pos);
        w.write_all(&frame)?;
        *pos += frame.len() as u64;
    }
    if let Some((mut w, _)) = current.take() {
        // Preallocated space is raw zeros, not obfuscated.
        w.write_all(&vec![0u8; options.zero_tail])?;
        w.flush()?;
    }
    Ok(files)
}
