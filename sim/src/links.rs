//! The state of every directed link while faults are active: blocked (partitioned), held,
//! lossy or duplicating. Rebuilt from the active faults whenever one starts or ends.

use crate::trace::HostId;

/// A plan effect with its hosts resolved to ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkEffect {
    /// Block every directed link `from -> to` for `from` in the first set, `to` in the second.
    Block(Vec<HostId>, Vec<HostId>),
    /// Hold both directions between the two hosts.
    Hold(HostId, HostId),
    /// Lose datagrams both ways with this probability (permille).
    Loss(HostId, HostId, u16),
    /// Duplicate datagrams both ways with this probability (permille).
    Duplicate(HostId, HostId, u16),
}

impl LinkEffect {
    /// Does this effect make `from -> to` drop (blocked), hold, lose or duplicate datagrams?
    pub(crate) fn blocks(&self, from: HostId, to: HostId) -> bool {
        matches!(self, LinkEffect::Block(f, t) if f.contains(&from) && t.contains(&to))
    }

    pub(crate) fn holds(&self, from: HostId, to: HostId) -> bool {
        matches!(self, LinkEffect::Hold(a, b) if pair(*a, *b, from, to))
    }

    pub(crate) fn loses(&self, from: HostId, to: HostId) -> bool {
        matches!(self, LinkEffect::Loss(a, b, _) if pair(*a, *b, from, to))
    }

    pub(crate) fn duplicates(&self, from: HostId, to: HostId) -> bool {
        matches!(self, LinkEffect::Duplicate(a, b, _) if pair(*a, *b, from, to))
    }
}

fn pair(a: HostId, b: HostId, from: HostId, to: HostId) -> bool {
    (a, b) == (from, to) || (b, a) == (from, to)
}

/// Per directed link: how many faults block or hold it, and its loss and duplication rates.
#[derive(Clone, Debug)]
pub(crate) struct Links {
    n: usize,
    blocked: Vec<u16>,
    held: Vec<u16>,
    loss: Vec<u16>,
    duplicate: Vec<u16>,
}

impl Links {
    /// All links healthy.
    pub(crate) fn healthy(n: usize) -> Self {
        Links {
            n,
            blocked: vec![0; n * n],
            held: vec![0; n * n],
            loss: vec![0; n * n],
            duplicate: vec![0; n * n],
        }
    }

    /// The links as the given active effects make them.
    pub(crate) fn from_effects<'a>(n: usize, active: impl Iterator<Item = &'a LinkEffect>) -> Self {
        let mut links = Links::healthy(n);
        for effect in active {
            match effect {
                LinkEffect::Block(from, to) => {
                    for f in from {
                        for t in to {
                            if f != t {
                                let i = links.idx(*f, *t);
                                links.blocked[i] += 1;
                            }
                        }
                    }
                }
                LinkEffect::Hold(a, b) => {
                    for (f, t) in [(*a, *b), (*b, *a)] {
                        let i = links.idx(f, t);
                        links.held[i] += 1;
                    }
                }
                LinkEffect::Loss(a, b, p) => {
                    for (f, t) in [(*a, *b), (*b, *a)] {
                        let i = links.idx(f, t);
                        links.loss[i] = links.loss[i].max(*p);
                    }
                }
                LinkEffect::Duplicate(a, b, p) => {
                    for (f, t) in [(*a, *b), (*b, *a)] {
                        let i = links.idx(f, t);
                        links.duplicate[i] = links.duplicate[i].max(*p);
                    }
                }
            }
        }
        links
    }

    fn idx(&self, from: HostId, to: HostId) -> usize {
        usize::from(from.0) * self.n + usize::from(to.0)
    }

    /// Is `from -> to` partitioned?
    pub(crate) fn blocked(&self, from: HostId, to: HostId) -> bool {
        self.blocked[self.idx(from, to)] > 0
    }

    /// Is `from -> to` holding datagrams?
    pub(crate) fn held(&self, from: HostId, to: HostId) -> bool {
        self.held[self.idx(from, to)] > 0
    }

    /// Loss probability of `from -> to`, permille.
    pub(crate) fn loss(&self, from: HostId, to: HostId) -> u16 {
        self.loss[self.idx(from, to)]
    }

    /// Duplication probability of `from -> to`, permille.
    pub(crate) fn duplicate(&self, from: HostId, to: HostId) -> u16 {
        self.duplicate[self.idx(from, to)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_blocks_count_and_oneway_blocks_one_direction() {
        let e = [
            LinkEffect::Block(vec![HostId(0)], vec![HostId(1)]),
            LinkEffect::Block(vec![HostId(0), HostId(1)], vec![HostId(1), HostId(2)]),
        ];
        let l = Links::from_effects(3, e.iter());
        assert!(l.blocked(HostId(0), HostId(1)));
        assert!(!l.blocked(HostId(1), HostId(0)));
        assert!(l.blocked(HostId(1), HostId(2)));
        assert!(!l.blocked(HostId(1), HostId(1)));
        let l = Links::from_effects(3, e[1..].iter());
        assert!(l.blocked(HostId(0), HostId(1)));
        let l = Links::from_effects(3, [].iter());
        assert!(!l.blocked(HostId(0), HostId(1)));
    }
}
