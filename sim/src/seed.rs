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

/// The seed of one run. Prints as `0x`-prefixed hex; parses from decimal or `0x` hex. In JSON
/// it is a hex string (`"0x5eed"`): a 64-bit integer loses precision in JavaScript tools. An
/// integer is still read, so older case files load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seed(pub u64);

impl Serialize for Seed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Text(String),
            Number(u64),
            Negative(i64),
            Float(f64),
        }
        let bad = |e: SeedParseError| serde::de::Error::custom(e);
        match Given::deserialize(d)? {
            Given::Number(n) => Ok(Seed(n)),
            Given::Text(t) => t.parse().map_err(bad),
            Given::Negative(n) => Err(bad(SeedParseError::OutOfRange {
                input: n.to_string(),
            })),
            // JSON integers past 2^64 - 1 arrive as floats.
            Given::Float(f) if f.fract() == 0.0 => Err(bad(SeedParseError::OutOfRange {
                input: format!("{f}"),
            })),
            Given::Float(f) => Err(bad(SeedParseError::Malformed {
                input: format!("{f}"),
            })),
        }
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A seed that is neither decimal nor `0x` hex, or does not fit 64 bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedParseError {
    /// Not a number.
    #[error(
        "malformed seed '{input}': expected a decimal number or 0x-prefixed hex (e.g. 42 or 0x2a)"
    )]
    Malformed {
        /// What was given.
        input: String,
    },
    /// A number outside 0 ..= 2^64 - 1.
    #[error(
        "seed '{input}' is out of range: seeds are 0 to 18446744073709551615 (0xffffffffffffffff)"
    )]
    OutOfRange {
        /// What was given.
        input: String,
    },
}

impl FromStr for Seed {
    type Err = SeedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
            None => t.replace('_', "").parse::<u64>(),
        };
        parsed.map(Seed).map_err(|e| {
            let input = s.to_string();
            let digits = t.trim_start_matches(['-', '+']);
            let numeric = !digits.is_empty()
                && (digits.chars().all(|c| c.is_ascii_digit() || c == '_')
                    || digits
                        .strip_prefix("0x")
                        .or_else(|| digits.strip_prefix("0X"))
                        .is_some_and(|h| {
                            !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
                        }));
            if numeric && (t.starts_with('-') || *e.kind() == std::num::IntErrorKind::PosOverflow) {
                SeedParseError::OutOfRange { input }
            } else {
                SeedParseError::Malformed { input }
            }
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
        assert!("".parse::<Seed>().is_err());
        for big in ["-1", "18446744073709551616", "0x1_0000_0000_0000_0000"] {
            let e = big.parse::<Seed>().unwrap_err();
            assert!(matches!(e, SeedParseError::OutOfRange { .. }), "{big}: {e}");
            assert!(e.to_string().contains("out of range"), "{e}");
        }
        assert_eq!(
            "18446744073709551615".parse::<Seed>().unwrap(),
            Seed(u64::MAX)
        );
    }

    #[test]
    fn seeds_are_hex_strings_in_json_and_integers_still_load() {
        let s = Seed(u64::MAX);
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"0xffffffffffffffff\"");
        assert_eq!(
            serde_json::from_str::<Seed>("\"0x5eed\"").unwrap(),
            Seed(0x5eed)
        );
        assert_eq!(serde_json::from_str::<Seed>("24301").unwrap(), Seed(0x5eed));
        assert!(serde_json::from_str::<Seed>("\"-1\"").is_err());
        for (json, says) in [
            ("-1", "seed '-1' is out of range"),
            ("18446744073709551616", "out of range"),
            ("\"0x10000000000000000\"", "out of range"),
            ("1.5", "malformed seed '1.5'"),
        ] {
            let e = serde_json::from_str::<Seed>(json).unwrap_err().to_string();
            assert!(e.contains(says), "{json}: {e}");
        }
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
