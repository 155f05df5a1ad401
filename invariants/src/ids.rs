//! Entity ids of the ledgers.

/// An order.
pub type OrderId = u64;
/// A stock-keeping unit.
pub type Sku = u32;
/// A user (who holds points).
pub type UserId = u32;
/// A charge or authorization at the card gateway.
pub type ChargeId = u64;
/// A client host of the workload.
pub type ClientId = u32;
