//! Deterministic simulation engine.
