//! The system under test: order-flow services, stores and protocols.
