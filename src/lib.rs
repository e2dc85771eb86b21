//! saylau
