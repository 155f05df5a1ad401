//! Bug knobs as the services see them: the one bug turned on for a run (if any), by name.
//! Each name is documented where the code it changes lives and listed in the registry.

/// The bug knob turned on for a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Knobs(pub Option<&'static str>);

impl Knobs {
    /// No bug: the correct protocol.
    pub const NONE: Knobs = Knobs(None);

    /// True when bug `name` is on.
    pub fn on(self, name: &str) -> bool {
        self.0 == Some(name)
    }
}

/// A named bug that reintroduces a catalogue failure mode on purpose.
#[derive(Debug)]
pub struct BugKnob {
    /// CLI name (`--bug NAME`).
    pub name: &'static str,
    /// The rows of the failure-mode catalogue (`docs/catalogue.md`, `#N`) it reintroduces;
    /// empty for a knob of a harness self-test.
    pub rows: &'static [u32],
    /// What it breaks and how, in one line.
    pub about: &'static str,
    /// The invariants whose violation shows the bug was found.
    pub breaks: &'static [&'static str],
}
