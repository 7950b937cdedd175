//! Synthetic demo people (being written).
