//! The use cases of kangyang: everything a user can do.
//!
//! Each use case takes the acting user ([`Actor`]), checks the permission its
//! action needs, limits what it reads and writes to the actor's scope, and
//! writes the audit trail in the same transaction as the change. Handlers in
//! the web crate and commands in the CLI only translate to and from these calls.

mod actor;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod canteen;
pub mod capability;
pub mod children;
pub mod civil;
mod clock;
mod config;
pub mod construction;
pub mod coverage;
pub mod crypto;
pub mod dashboards;
pub mod demand;
mod error;
pub mod export;
pub mod facility;
pub mod funds;
pub mod holidays;
pub mod home_care;
pub mod home_modification;
pub mod import;
pub mod kangyuan;
pub mod life;
pub mod medical_care;
pub mod pairing;
pub mod planning;
pub mod portal;
pub mod regions;
pub mod register;
mod report_sheet;
pub mod sheet;
pub mod station;
pub mod totp;
pub mod transfers;
pub mod users;
pub mod visits;
pub mod workbench;

pub use actor::{Actor, Origin};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::AppError;

use kangyang_store::Store;
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The application: the store, the clock and the settings every use case shares.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
    login_limiter: Arc<auth::LoginRateLimiter>,
    keys: crypto::Keys,
    imports: import::ImportJobs,
    audit_writer: audit::AuditWriter,
    published: Arc<portal::PublishedCounts>,
    planner: Arc<planning::PlannerGate>,
}

impl App {
    /// Prepares a migrated store for use: seeds the permission table and, on a
    /// new database, the embedded region tree of Guangdong.
    pub async fn start(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        keys: crypto::Keys,
    ) -> Result<App> {
        let app = App {
            audit_writer: audit::AuditWriter::start(store.clone(), keys.audit_chain_key()),
            store,
            clock,
            keys,
            imports: import::ImportJobs::default(),
            published: Arc::default(),
            planner: Arc::default(),
            login_limiter: Arc::new(auth::LoginRateLimiter::new(
                config.login_attempts_per_ip_per_minute,
            )),
            config: Arc::new(config),
        };
        let mut conn = app.store.read().await?;
        crypto::check_key_belongs(&mut conn, &app.keys).await?;
        kangyang_store::audit::start_keyed_chain(&app.store, &app.keys.audit_chain_key()).await?;
        kangyang_store::permissions::seed_defaults(&mut conn).await?;
        drop(conn);
        regions::seed_embedded(&app).await?;
        assessment::seed_templates(&app).await?;
        visits::seed_rules(&app).await?;
        canteen::seed_tiers(&app).await?;
        home_care::seed(&app).await?;
        Ok(app)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The planner's runs in progress (see [`planning::PlannerGate`]).
    pub fn planner(&self) -> &planning::PlannerGate {
        &self.planner
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The field-encryption and blind-index keys.
    pub fn keys(&self) -> &crypto::Keys {
        &self.keys
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Today's civil date in Asia/Shanghai.
    pub fn today(&self) -> kangyang_domain::CivilDate {
        civil::date_of(self.now())
    }
}
