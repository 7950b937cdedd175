//! Reading and writing spreadsheets (being written).
