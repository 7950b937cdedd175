//! kangyang's integration tests: one binary (link time adds up per binary).
//!
//! Most tests run once per backend: `backend_test!` makes a `sqlite` and a
//! `postgres` test of the same body, each on a fresh database of its own.
//! PostgreSQL is reached at `KANGYANG_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432`); `.ci/run` starts the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod api;
mod browser;
mod canteen;
mod children;
mod cli;
mod conformance;
mod dashboards;
mod demo;
mod durability;
mod facility;
mod home_care;
mod home_modification;
mod import;
mod life;
mod medical_care;
mod planning;
mod regions;
mod register;
mod round_trip;
mod security;
mod station;
mod transfers;
mod visits;
mod workbench;
