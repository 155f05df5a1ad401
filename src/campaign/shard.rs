//! `--shard I/N`: which part of a seed range one machine covers (seeds `start + I + k·N`), so
//! the shards of one range are disjoint and together cover it.

use serde::{Deserialize, Serialize};

/// Which part of the seed space a campaign covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole range.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// How many of `seeds` seeds (offsets 0..seeds) fall in this shard.
    pub fn size_of(&self, seeds: u64) -> u64 {
        seeds / self.count + u64::from(seeds % self.count > self.index)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("malformed shard '{s}': expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<u64>().map_err(|_| bad())?,
            n.trim().parse::<u64>().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_bad_ones_are_named() {
        assert_eq!(
            "1/3".parse::<Shard>().unwrap(),
            Shard { index: 1, count: 3 }
        );
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn shard_sizes_add_up_to_the_range() {
        let sizes: Vec<u64> = (0..3)
            .map(|i| Shard { index: i, count: 3 }.size_of(10))
            .collect();
        assert_eq!(sizes, vec![4, 3, 3]);
    }
}
