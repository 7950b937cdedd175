//! The demo city: the scenario of the brief, generated deterministically into
//! an empty register (no real person's data).

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::demo_people::{generate, generate_kangyuan_trainees, DemoOptions, DemoVillage};
use crate::register::seal;
use crate::{App, Result};
use kangyang_domain::register::PersonRecord;
use kangyang_domain::{RegionCode, UrbanRural};
use kangyang_store::{regions, register};

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
    let code = RegionCode::parse(code).map_err(crate::AppError::internal)?;
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
    let existing = register::count(
        &mut conn,
        &register::PersonScope::from(&kangyang_domain::Scope::Region {
            region: RegionCode::parse("44").map_err(crate::AppError::internal)?,
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
        register::insert_many(&mut tx, &sealed, now).await?;
    }
    app.audit_in(
        &mut tx,
        &Who::cli(),
        Event {
            action: "demo.seed",
            object_type: "person",
            object_id: String::new(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "people": people.len(), "scale": scale }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DemoSummary {
        people: people.len() as u64,
        seeded: true,
    })
}
