//! The demo city: the scenario of the brief, generated deterministically into
//! an empty register (no real person's data), and the synthetic province
//! register the load tests read ([`bulk`]).
//!
//! Production code never needs this crate: the `kangyang demo` and `bench`
//! commands and the integration tests do. Its generators make records the
//! way the use cases make them: where they write through the store for
//! speed, they use the use case's own mapping (sealing a person, pricing a
//! meal, a home-care elder's entitlement, a provider's metrics) from the app
//! crate, never a copy of it, so the demo cannot show what the product could
//! not produce. Each module is named after the concept it fills, as in the
//! other layers.

pub mod bulk;
pub mod canteen;
pub mod capability;
pub mod children;
mod city;
pub mod construction;
pub mod home_care;
pub mod home_modification;
pub mod kangyuan;
pub mod register;
pub mod yunfu;

pub use city::build;

use kangyang_app::register::seal;
use kangyang_app::{audit, App, AppError, Result};
use kangyang_domain::register::PersonRecord;
use kangyang_domain::{RegionCode, UrbanRural};
use kangyang_store::regions;
use register::{generate, generate_kangyuan_trainees, DemoOptions, DemoVillage};

/// Heshan (鹤山市): the disabled persons' federation's Kangyuan scenario.
pub const HESHAN: &str = "440784";
/// Yunfu (云浮市): elderly care, social work and child welfare.
pub const YUNFU: &str = "4453";
/// Trainees of Heshan's 11 Kangyuan centres in 2023.
pub const HESHAN_TRAINEES: usize = 274;

/// A deterministic number in 0..100 for (a, b), one stream per `salt`:
/// the demo is the same every run.
pub(crate) fn roll(a: i64, b: i64, salt: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(salt)).wrapping_mul(2_246_822_519);
    (x >> 7).rem_euclid(100)
}

/// What the demo seeding did.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSummary {
    pub people: u64,
    /// False when the register already had people and was left alone.
    pub seeded: bool,
}

pub(crate) async fn villages(app: &App, code: &str) -> Result<Vec<DemoVillage>> {
    let code = RegionCode::parse(code).map_err(AppError::internal)?;
    let mut conn = app.store().read().await?;
    Ok(regions::villages_under(&mut conn, &code)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(DemoVillage {
                code: RegionCode::parse(&r.code).ok()?,
                urban_rural: r.urban_rural.as_deref().and_then(UrbanRural::parse),
            })
        })
        .collect())
}

/// Fills an empty register with the demo population of Heshan and Yunfu;
/// a register that has people is left as it is (the demo reuses its data).
pub async fn seed_people(app: &App, scale: f64) -> Result<DemoSummary> {
    let mut conn = app.store().read().await?;
    let existing = kangyang_store::register::count(
        &mut conn,
        &kangyang_store::register::PersonScope::from(&kangyang_domain::Scope::Region {
            region: RegionCode::parse("44").map_err(AppError::internal)?,
        }),
    )
    .await?;
    drop(conn);
    if existing > 0 {
        return Ok(DemoSummary {
            people: existing as u64,
            seeded: false,
        });
    }
    let options = DemoOptions {
        seed: 2023,
        scale,
        today: app.today(),
    };
    let heshan = villages(app, HESHAN).await?;
    let mut people: Vec<PersonRecord> = generate(&heshan, &options);
    people.extend(generate_kangyuan_trainees(
        &heshan,
        HESHAN_TRAINEES,
        &options,
    ));
    people.extend(generate(&villages(app, YUNFU).await?, &options));

    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    for chunk in people.chunks(1_000) {
        let sealed = chunk
            .iter()
            .map(|p| seal(app.keys(), p, None))
            .collect::<Result<Vec<_>>>()?;
        kangyang_store::register::insert_many(&mut tx, &sealed, now).await?;
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.seed",
        "person",
        String::new(),
        serde_json::json!({ "people": people.len(), "scale": scale }),
    )
    .await?;
    tx.commit().await?;
    Ok(DemoSummary {
        people: people.len() as u64,
        seeded: true,
    })
}

/// The facility of `kind` named `name` within `region`, if there is one.
pub(crate) async fn facility_named(
    conn: &mut kangyang_store::Conn,
    region: &str,
    kind: kangyang_domain::facility::FacilityKind,
    name: &str,
) -> Result<Option<i64>> {
    let region = RegionCode::parse(region).map_err(AppError::internal)?;
    Ok(kangyang_store::facility::list(
        conn,
        &kangyang_store::facility::FacilityScope::from(&kangyang_domain::Scope::Region { region }),
        Some(kind.as_str()),
        None,
    )
    .await?
    .into_iter()
    .find(|f| f.values.name == name)
    .map(|f| f.id))
}
