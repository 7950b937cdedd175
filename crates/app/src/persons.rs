//! The person register (being written).
