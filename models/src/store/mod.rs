//! Stores: the services' databases.

pub mod gateway;
pub mod holdings;
pub mod local_db;
pub mod outbox;
pub mod topic_log;

pub use local_db::{DbError, LocalDb, TxnId, Xid};
