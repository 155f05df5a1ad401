//! The protocols that drive an order, each a [`crate::services::order::Flow`] with its
//! [`crate::system::ProtocolSpec`].

pub mod driver;
pub mod one_pc;
pub mod saga_choreo;
pub mod saga_orch;
pub mod tcc;
pub mod two_pc;
