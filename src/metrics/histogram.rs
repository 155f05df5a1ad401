//! A bounded histogram of simulated-millisecond samples: memory does not grow with the number
//! of samples, and what it reports depends only on the multiset of samples, never on the order
//! they came in (so not on `--jobs`). Count, sum (so the mean), min and max are exact; values
//! below 128 ms are counted exactly, larger ones in log-linear buckets 1/64 of a power of two
//! wide, so a percentile is within 1/128 (0.8 %) of the true nearest-rank percentile (it is the
//! bucket's midpoint, kept within [min, max]). At most about 3,800 buckets exist, whatever the
//! values.

use std::collections::BTreeMap;

/// Values below this are their own bucket.
const EXACT: u64 = 128;
/// Buckets per power of two above `EXACT` (2^SUB_BITS).
const SUB_BITS: u32 = 6;

/// The histogram.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    buckets: BTreeMap<u32, u64>,
}

/// The bucket of `v`.
fn bucket(v: u64) -> u32 {
    if v < EXACT {
        return v as u32;
    }
    let e = 63 - v.leading_zeros(); // 2^e <= v < 2^(e+1), e >= 7
    let sub = (v >> (e - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    EXACT as u32 + (e - 7) * (1 << SUB_BITS) + sub as u32
}

/// The lowest value and the width of bucket `b`.
fn bounds(b: u32) -> (u64, u64) {
    if u64::from(b) < EXACT {
        return (u64::from(b), 1);
    }
    let i = b - EXACT as u32;
    let e = 7 + i / (1 << SUB_BITS);
    let sub = u64::from(i % (1 << SUB_BITS));
    let width = 1u64 << (e - SUB_BITS);
    (((1 << SUB_BITS) + sub) * width, width)
}

impl Histogram {
    /// Count one sample.
    pub fn add(&mut self, v: u64) {
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.count += 1;
        self.sum += u128::from(v);
        *self.buckets.entry(bucket(v)).or_insert(0) += 1;
    }

    /// Samples counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean (None: no samples).
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// Exact largest sample.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The nearest-rank `p`-th percentile (0 < p <= 100), to within 0.8 %.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                let (low, width) = bounds(*b);
                return Some((low + width / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_values() {
        for v in [
            0,
            1,
            127,
            128,
            129,
            255,
            256,
            1000,
            65_535,
            1 << 40,
            u64::MAX,
        ] {
            let (low, width) = bounds(bucket(v));
            assert!(low <= v && v - low < width, "{v}: {low}+{width}");
        }
        assert_eq!(bucket(128) + 1, bucket(130));
    }

    #[test]
    fn percentiles_are_close_and_order_free() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        let values: Vec<u64> = (1..=1000).map(|i| i * 37).collect();
        for v in &values {
            a.add(*v);
        }
        for v in values.iter().rev() {
            b.add(*v);
        }
        assert_eq!(a, b);
        assert_eq!(a.count(), 1000);
        assert_eq!(a.max(), Some(37_000));
        assert_eq!(a.mean(), Some(37.0 * 500.5));
        for (p, exact) in [(50.0, 500 * 37), (95.0, 950 * 37), (99.0, 990 * 37)] {
            let got = a.percentile(p).unwrap() as f64;
            assert!(
                (got - exact as f64).abs() / (exact as f64) < 0.008,
                "p{p}: {got}"
            );
        }
        assert_eq!(a.percentile(100.0), Some(37_000));
        let mut small = Histogram::default();
        for v in [3, 1, 2, 100] {
            small.add(v);
        }
        assert_eq!(small.percentile(50.0), Some(2), "small values are exact");
        assert_eq!(Histogram::default().percentile(50.0), None);
    }
}
