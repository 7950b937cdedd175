//! The pure heart of kangyang: the standards' types and rules, with no I/O.
//!
//! Everything here can be unit-tested without a database or a server. The
//! other crates depend on this one; it depends on nothing of ours.

pub mod access;
pub mod assessment;
pub mod audit;
pub mod canteen;
pub mod capability;
pub mod children;
mod coded;
pub mod construction;
pub mod date;
pub mod disability;
pub mod facility;
pub mod geo;
pub mod holidays;
pub mod home_care;
pub mod home_modification;
pub mod id_number;
pub mod kangyuan;
pub mod life;
pub mod mask;
pub mod medical_care;
pub mod money;
pub mod password;
pub mod planning;
pub mod regions;
pub mod register;
pub mod station;
pub mod stats;
pub mod visits;

pub use access::{Action, Role, Scope};
pub use date::CivilDate;
pub use disability::{DisabilityCategory, DisabilityCert, DisabilityGrade};
pub use id_number::{IdNumber, IdNumberError, Sex};
pub use mask::Phone;
pub use regions::{RegionCode, RegionCodeError, RegionLevel, UrbanRural};
