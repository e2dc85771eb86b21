//! Simulations on top of the protocol: the whole election that `saylau demo` runs in one
//! process, and the in-memory ballot workloads of the benches and batch tests.
//!
//! Nothing in the library imports this part; the command line, the tests, the vectors and the
//! benches do.

pub mod demo;
pub mod workload;
