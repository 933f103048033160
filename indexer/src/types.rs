//! Newtypes for the consensus and index values that cross module boundaries.

use std::fmt;

/// A block height: the number of blocks between a block and the genesis block.
///
/// Mirrors Bitcoin Core's `int nHeight` in `CBlockIndex`, kept unsigned because the
/// indexer never handles the "no block" sentinel `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Height(pub u32);

impl Height {
    /// Returns the height as `i64`, the integer type both SQL backends store.
    pub fn to_sql(self) -> i64 {
        i64::from(self.0)
    }

    /// Returns the next height, or `None` at `u32::MAX`.
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }

    /// Returns the previous height, or `None` at genesis.
    pub fn prev(self) -> Option<Height> {
        self.0.checked_sub(1).map(Height)
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A day-window number: window `d` covers heights
/// `[origin + length·d, origin + length·(d+1))` (design.md, "Day-window").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WindowId(pub u32);

impl WindowId {
    /// Returns the window id as `i64`, the integer type both SQL backends store.
    pub fn to_sql(self) -> i64 {
        i64::from(self.0)
    }
}

impl fmt::Display for WindowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Mainnet day-window length: 144 blocks at the 600-second target spacing is one day.
pub const MAINNET_WINDOW_LENGTH: u32 = 144;

/// How heights are grouped into day-windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// The first height of window 0. Heights below it belong to no window.
    pub origin: Height,
    /// Blocks per window; [`MAINNET_WINDOW_LENGTH`] on mainnet, shorter on the devnet.
    pub length: u32,
}

impl WindowSpec {
    /// Returns the window holding `height`, or `None` below the origin or when the length
    /// is zero.
    pub fn window_of(&self, height: Height) -> Option<WindowId> {
        if self.length == 0 || height < self.origin {
            return None;
        }
        Some(WindowId((height.0 - self.origin.0) / self.length))
    }

    /// Returns the first height of `window`, or `None` if it overflows `u32`.
    pub fn first_height(&self, window: WindowId) -> Option<Height> {
        window
            .0
            .checked_mul(self.length)
            .and_then(|o| o.checked_add(self.origin.0))
            .map(Height)
    }
}

impl Default for WindowSpec {
    fn default() -> Self {
        WindowSpec {
            origin: Height(0),
            length: MAINNET_WINDOW_LENGTH,
        }
    }
}

/// A pool's id in pools-v2.json (its `id` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolId(pub u32);

impl fmt::Display for PoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_at_the_origin() {
        let spec = WindowSpec {
            origin: Height(100),
            length: 144,
        };
        assert_eq!(spec.window_of(Height(99)), None);
        assert_eq!(spec.window_of(Height(100)), Some(WindowId(0)));
        assert_eq!(spec.window_of(Height(243)), Some(WindowId(0)));
        assert_eq!(spec.window_of(Height(244)), Some(WindowId(1)));
        assert_eq!(spec.first_height(WindowId(2)), Some(Height(388)));
        let zero = WindowSpec {
            origin: Height(0),
            length: 0,
        };
        assert_eq!(zero.window_of(Height(5)), None);
    }
}
