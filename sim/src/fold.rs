//! Folding a Mermaid diagram to size: an [`Item`] is one line of the diagram that may stand
//! for `×N` like ones (same place, same text, or same text whatever its numbers); repeated
//! runs fold into one run ([`fold_runs`]), and between two landmarks every kind of line is
//! drawn once ([`fold_between_landmarks`]). `mermaid` decides when to fold and draws.

use crate::mermaid::esc;

/// The longest repeated block [`fold_runs`] recognises.
pub(crate) const PERIOD: usize = 4;

/// Where a line goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// An arrow; `lost`: crossed.
    Arrow { from: u16, to: u16, lost: bool },
    /// A note over one host.
    Over(u16),
    /// A note over every host.
    All,
}

/// One line of the diagram, possibly standing for `times` like ones.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) first: u64,
    last: u64,
    times: u32,
    pub(crate) place: Place,
    /// The text, unescaped, without time or datagram id.
    text: String,
    /// What makes items alike: the text, or (in the last folding) the text with its numbers
    /// left out.
    key: String,
    /// The datagram it names (`duplicated #341`), not part of what makes items alike.
    pub(crate) uid: Option<u64>,
    /// Landmarks (faults, crashes, violations …) are never folded and bound the folding.
    landmark: bool,
    pub(crate) violation: bool,
}

impl Item {
    pub(crate) fn new(at: u64, place: Place, text: String) -> Self {
        Item {
            first: at,
            last: at,
            times: 1,
            place,
            key: text.clone(),
            text,
            uid: None,
            landmark: false,
            violation: false,
        }
    }

    pub(crate) fn landmark(mut self) -> Self {
        self.landmark = true;
        self
    }

    fn alike(&self, o: &Item) -> bool {
        !self.landmark && !o.landmark && self.place == o.place && self.key == o.key
    }

    fn absorb(&mut self, o: &Item) {
        if self.text != o.text {
            self.text = self.key.clone();
        }
        self.times += o.times;
        self.last = self.last.max(o.last);
    }

    /// Alike whatever their numbers (`Status { order: … }`).
    pub(crate) fn numberless(mut self) -> Self {
        let mut key = String::with_capacity(self.text.len());
        let mut digits = false;
        for c in self.text.chars() {
            if c.is_ascii_digit() {
                if !digits {
                    key.push('…');
                }
                digits = true;
            } else {
                key.push(c);
                digits = false;
            }
        }
        self.key = key;
        self
    }

    pub(crate) fn line(&self, span: &str) -> String {
        let mut text = if self.times == 1 {
            format!("{}ms ", self.first)
        } else {
            format!("{}..{}ms ×{} ", self.first, self.last, self.times)
        };
        text.push_str(&self.text);
        if let Some(uid) = self.uid {
            if self.times == 1 {
                text.push_str(&format!(" #{uid}"));
            } else {
                text.push_str(&format!(" (first #{uid})"));
            }
        }
        let text = esc(&text);
        match self.place {
            Place::Arrow { from, to, lost } => {
                let arrow = if lost { "-x" } else { "->>" };
                format!("    h{from}{arrow}h{to}: {text}\n")
            }
            Place::Over(h) => format!("    Note over h{h}: {text}\n"),
            Place::All => format!("    Note over {span}: {text}\n"),
        }
    }
}

/// Fold repetitions of a run of alike items (period 1 to [`PERIOD`]) into one run.
pub(crate) fn fold_runs(items: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    let mut i = 0;
    while i < items.len() {
        let (mut period, mut reps) = (1, 1);
        for p in 1..=PERIOD.min(items.len() - i) {
            let mut r = 1;
            while i + (r + 1) * p <= items.len()
                && (0..p).all(|k| items[i + k].alike(&items[i + r * p + k]))
            {
                r += 1;
            }
            if r > 1 && p * r > period * reps {
                (period, reps) = (p, r);
            }
        }
        for k in 0..period {
            let mut item = items[i + k].clone();
            for r in 1..reps {
                item.absorb(&items[i + r * period + k]);
            }
            out.push(item);
        }
        i += period * reps;
    }
    out
}

/// Between two landmarks, draw every kind of item once (where it first occurred), `×N`.
pub(crate) fn fold_between_landmarks(items: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::new();
    let mut stretch: Vec<Item> = Vec::new();
    for item in items {
        if item.landmark {
            out.append(&mut stretch);
            out.push(item);
        } else if let Some(same) = stretch.iter_mut().find(|s| s.alike(&item)) {
            same.absorb(&item);
        } else {
            stretch.push(item);
        }
    }
    out.extend(stretch);
    out
}
