//! The reorder buffer: outcomes arrive from the workers nearly in seed order; the campaign
//! folds them strictly in order (the campaign hash, the failure groups and the
//! `--max-failures` cut are over seeds in order, so they do not depend on `--jobs`). Only the
//! outcomes that overtook a slower seed wait here: memory stays flat however many seeds run.

use std::collections::BTreeMap;

/// Items numbered 0, 1, 2, … pushed in any order, popped in order.
#[derive(Debug)]
pub struct Reorder<T> {
    next: u64,
    waiting: BTreeMap<u64, T>,
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Reorder {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }
}

impl<T> Reorder<T> {
    /// Item `k` arrived.
    pub fn push(&mut self, k: u64, item: T) {
        self.waiting.insert(k, item);
    }

    /// The next item in order, if it has arrived.
    pub fn pop(&mut self) -> Option<T> {
        let item = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order_whatever_the_arrival_order() {
        let mut r = Reorder::default();
        r.push(1, 'b');
        assert_eq!(r.pop(), None);
        r.push(2, 'c');
        r.push(0, 'a');
        let got: Vec<char> = std::iter::from_fn(|| r.pop()).collect();
        assert_eq!(got, vec!['a', 'b', 'c']);
        assert!(r.waiting.is_empty());
    }
}
