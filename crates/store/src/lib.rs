//! Persistence for kangyang.
//!
//! One query path serves SQLite (the embedded default) and PostgreSQL (for
//! large deployments): every query goes through `sqlx::Any` with `$n`
//! placeholders, which both engines accept. Where the engines differ, the
//! difference has a name in [`Dialect`] and lives in one place. The rules that
//! keep the shared path working:
//! - integers are BIGINT and decode as `i64`; flags are 0/1 integers, not BOOLEAN;
//! - times are Unix seconds, civil dates 'YYYY-MM-DD' text (Any has no date types);
//! - aggregates that PostgreSQL widens to NUMERIC (SUM of BIGINT) are cast back
//!   with `CAST(... AS BIGINT)`;
//! - subtree filters are code ranges (`code >= lo AND code < hi`), never LIKE,
//!   so they use the index on both engines.
//!
//! Functions take a `&mut AnyConnection` so a use case can run several of
//! them, and its audit row, in one transaction.

pub mod assessment;
pub mod audit;
pub mod bulk;
pub mod canteen;
pub mod children;
pub mod construction;
pub mod database_copy;
mod db;
mod error;
pub mod facility;
pub mod funds;
pub mod holidays;
pub mod home_care;
pub mod home_modification;
pub mod kangyuan;
pub mod life;
pub mod medical_care;
mod migrate;
pub mod pairing;
pub mod permissions;
pub mod planning;
pub mod portal;
pub mod regions;
pub mod register;
pub mod sessions;
pub mod settings;
mod sql;
pub mod station;
pub mod stats;
pub mod transfers;
pub mod users;
pub mod visits;

pub use db::{Dialect, SqliteHealth, Store};
pub use error::StoreError;
pub use migrate::{latest_version, MIGRATIONS};
pub use sqlx::AnyConnection as Conn;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
/// A transaction over either engine.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
