//! Seeds and the random streams derived from them.
//!
//! One `u64` seed determines a run. Every random choice draws from a ChaCha8 stream derived
//! from the seed and a *purpose* (`"workload"`, `"faults"`, `"duplicate"`, `"host/stock/0"` …),
//! so adding a draw for one purpose never shifts the draws of another.

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::hash::Fnv64;

/// The seed of one run. Prints as `0x`-prefixed hex; parses from decimal or `0x` hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seed(pub u64);

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A seed that is neither decimal nor `0x` hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed seed '{input}': expected a decimal number or 0x-prefixed hex (e.g. 42 or 0x2a)")]
pub struct SeedParseError {
    /// What was given.
    pub input: String,
}

impl FromStr for Seed {
    type Err = SeedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
            None => t.replace('_', "").parse::<u64>(),
        };
        parsed.map(Seed).map_err(|_| SeedParseError {
            input: s.to_string(),
        })
    }
}

impl From<u64> for Seed {
    fn from(v: u64) -> Self {
        Seed(v)
    }
}

/// Derives independent ChaCha8 streams from one seed, one per purpose.
#[derive(Clone, Copy, Debug)]
pub struct Streams {
    seed: Seed,
}

impl Streams {
    /// Streams of `seed`.
    pub fn new(seed: Seed) -> Self {
        Streams { seed }
    }

    /// The seed these streams derive from.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The stream for `purpose`: same seed and purpose, same draws, on every platform.
    pub fn stream(&self, purpose: &str) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.0);
        let mut h = Fnv64::new();
        h.write(purpose.as_bytes());
        rng.set_stream(h.finish());
        rng
    }

    /// The workload generator's stream.
    pub fn workload(&self) -> ChaCha8Rng {
        self.stream("workload")
    }

    /// The fault plan generator's stream.
    pub fn faults(&self) -> ChaCha8Rng {
        self.stream("faults")
    }

    /// The stream of per-datagram fault draws (loss, duplication).
    pub fn datagrams(&self) -> ChaCha8Rng {
        self.stream("datagrams")
    }

    /// The stream that shuffles held datagrams on release (reordering).
    pub fn reorder(&self) -> ChaCha8Rng {
        self.stream("reorder")
    }

    /// The stream of one incarnation of one host (a restarted host draws anew).
    pub fn host(&self, name: &str, incarnation: u32) -> ChaCha8Rng {
        self.stream(&format!("host/{name}/{incarnation}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn seeds_parse_decimal_and_hex_and_print_hex() {
        assert_eq!("42".parse::<Seed>().unwrap(), Seed(42));
        assert_eq!("0x5eed".parse::<Seed>().unwrap(), Seed(0x5eed));
        assert_eq!(Seed(0x5eed).to_string(), "0x5eed");
        let err = "0xzz".parse::<Seed>().unwrap_err();
        assert!(err.to_string().contains("'0xzz'"), "{err}");
        assert!("-1".parse::<Seed>().is_err());
        assert!("".parse::<Seed>().is_err());
    }

    #[test]
    fn streams_are_independent_per_purpose_and_stable_per_seed() {
        let s = Streams::new(Seed(7));
        let a: u64 = s.stream("a").random();
        let b: u64 = s.stream("b").random();
        assert_ne!(a, b);
        assert_eq!(a, Streams::new(Seed(7)).stream("a").random::<u64>());
        assert_ne!(a, Streams::new(Seed(8)).stream("a").random::<u64>());
    }
}
