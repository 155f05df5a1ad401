//! The protocols that drive an order, each a [`crate::services::order::Flow`].

pub mod driver;
