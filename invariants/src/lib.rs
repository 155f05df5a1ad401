//! The specification: ledger vocabulary and invariant checkers.
