//! A synthetic register as large as a province's, for load tests: the demo's
//! people generator run over every village, each person sealed exactly as
//! the register stores people (ID number and phones encrypted, blind
//! indexes, content MAC), so that searches, look-ups and dashboards on it
//! do the work they do on real data.

use crate::register::{derive_seed, generate, DemoOptions, DemoVillage};
use crate::villages;
use kangyang_app::register::seal;
use kangyang_app::{App, Result};
use kangyang_domain::capability::CapabilityLevel;
use kangyang_store::register::StoredPerson;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// People per village the demo generator makes at scale 1, on average
/// (rural 20-34, urban a little more): how a wanted total becomes a scale.
const PEOPLE_PER_VILLAGE_AT_SCALE_1: f64 = 28.0;

/// The villages of `region`, one list per county (the first six digits of a
/// village code, which are also the address code of the ID numbers made
/// there: counties never share an ID number).
pub async fn villages_by_county(app: &App, region: &str) -> Result<Vec<Vec<DemoVillage>>> {
    let mut counties: BTreeMap<String, Vec<DemoVillage>> = BTreeMap::new();
    for v in villages(app, region).await? {
        let county = v.code.as_str().get(..6).unwrap_or_default().to_owned();
        counties.entry(county).or_default().push(v);
    }
    Ok(counties.into_values().collect())
}

/// The demo scale that gives about `people` people over `villages` villages.
pub fn scale_for(people: u64, villages: usize) -> f64 {
    people as f64 / (villages.max(1) as f64 * PEOPLE_PER_VILLAGE_AT_SCALE_1)
}

/// One county's people at `scale`, sealed for storage; deterministic in
/// `(county, scale, seed)`. Half the elderly carry a capability level, drawn
/// at random (the demo proper derives levels from assessments; a load test
/// needs the figures, not the forms behind them).
pub fn county_people(
    app: &App,
    county: &[DemoVillage],
    scale: f64,
    seed: u64,
) -> Result<Vec<StoredPerson>> {
    let today = app.today();
    let options = DemoOptions { seed, scale, today };
    // Its own stream per county, apart from the generator's per village.
    let first = county
        .first()
        .map(|v| v.code.to_string())
        .unwrap_or_default();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, &format!("capability {first}")));
    generate(county, &options)
        .iter()
        .map(|p| {
            let level = (p.is_elderly_on(today) && rng.gen_bool(0.5)).then(|| {
                let roll = rng.gen_range(0..100);
                let level = match roll {
                    0..=44 => CapabilityLevel::Intact,
                    45..=69 => CapabilityLevel::Mild,
                    70..=84 => CapabilityLevel::Moderate,
                    85..=94 => CapabilityLevel::Severe,
                    _ => CapabilityLevel::Lost,
                };
                level.as_str().to_owned()
            });
            seal(app.keys(), p, level)
        })
        .collect()
}
