//! Stores: the services' databases.

pub mod local_db;

pub use local_db::{DbError, LocalDb, TxnId, Xid};
