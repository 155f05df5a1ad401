//! Stores: the services' databases. Each reports its own changes to the run's journal, from
//! inside the write that makes them durable.

pub mod fence_tokens;
pub mod gateway;
pub mod holdings;
pub mod local_db;
pub mod orders;
pub mod outbox;
pub mod saga_log;
pub mod topic_log;

pub use local_db::{DbError, LocalDb, TxnId, Xid};
