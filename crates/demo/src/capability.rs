//! A GB/T 42195-2022 capability assessment behind every demo elderly
//! person's level: deterministic item scores whose total the standard's
//! scoring turns into the level kept on the person.
//!
//! Who gets which level: the register's own tags ("失能", "半失能", which the
//! generated towns keep before any assessment) and age decide the level
//! aimed at; the item scores are then built to reach a total inside that
//! level's band (C.3: 90 完好, 66-89 轻度, 46-65 中度, 30-45 重度, 0-29 完全
//! 丧失), lowering the items elderly people lose first (bathing, stairs,
//! going out) before those they keep longest (eating, orientation,
//! consciousness), and every sheet is scored with
//! [`kangyang_domain::capability::assess`] before it is stored: a sheet whose
//! computed level differs from the one aimed at is an error, not stored.
//!
//! People who already have an assessment are left alone, so a second run
//! adds nothing. A person who already carries a level without an assessment
//! (imported, say) gets a sheet that gives that very level.

use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::capability::{self, capability_template, CapabilityLevel, TEMPLATE_CODE};
use kangyang_domain::register::ELDERLY_AGE;
use kangyang_domain::{RegionCode, Scope};
use kangyang_store::assessment::{self, NewAssessment};
use kangyang_store::register::{self, PersonScope};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The order items are lowered in: what the elderly lose first comes first
/// (instrumental and mobility items, then self-care, senses, cognition), the
/// level of consciousness last.
const DECLINE_ORDER: [&str; 26] = [
    "self_care.bathing",
    "mobility.stairs",
    "perception.transport",
    "mobility.walking",
    "perception.daily_affairs",
    "self_care.dressing_lower",
    "mobility.bed_chair_transfer",
    "self_care.toileting",
    "self_care.dressing_upper",
    "self_care.grooming",
    "mental.memory",
    "perception.hearing",
    "perception.vision",
    "perception.social",
    "self_care.bladder",
    "self_care.bowel",
    "mobility.bed_turning",
    "mental.time_orientation",
    "mental.place_orientation",
    "mental.comprehension",
    "mental.expression",
    "self_care.eating",
    "mental.person_orientation",
    "mental.depression",
    "mental.aggression",
    "mental.consciousness",
];

fn roll(a: i64, b: i64) -> i64 {
    crate::roll(a, b, 92_821)
}

/// The level aimed at for a person of `age` with the register's `tags`.
fn level_for(person: i64, age: u32, tags: &str) -> CapabilityLevel {
    let has = |tag: &str| tags.split(',').any(|t| t.trim() == tag);
    let r = roll(person, 1);
    if has("失能") {
        if r < 65 {
            CapabilityLevel::Severe
        } else {
            CapabilityLevel::Lost
        }
    } else if has("半失能") {
        CapabilityLevel::Moderate
    } else if age >= 80 {
        if r < 55 {
            CapabilityLevel::Mild
        } else {
            CapabilityLevel::Intact
        }
    } else if r < 25 {
        CapabilityLevel::Mild
    } else {
        CapabilityLevel::Intact
    }
}

/// A total inside the level's band (C.3).
fn total_for(person: i64, level: CapabilityLevel) -> u32 {
    let (low, high) = match level {
        CapabilityLevel::Intact => (90, 90),
        CapabilityLevel::Mild => (66, 89),
        CapabilityLevel::Moderate => (46, 65),
        CapabilityLevel::Severe => (30, 45),
        // Nobody in the register is scored 0 on every item.
        CapabilityLevel::Lost => (6, 29),
    };
    let span = high - low + 1;
    low + (roll(person, 2) as u32) % span
}

/// How a person's sheet varies from others of the same total: which of the
/// first eight items of [`DECLINE_ORDER`] is lowered first.
fn variant(person: i64) -> usize {
    (roll(person, 3) % 8) as usize
}

/// Item scores adding up to `total`: every item starts at its maximum and
/// items are lowered two points at a time in [`DECLINE_ORDER`] (the first
/// eight rotated by `variant`, so sheets differ), pass after pass.
fn scores_for(variant: usize, total: u32) -> BTreeMap<String, u32> {
    let template = capability_template();
    let mut scores: BTreeMap<String, u32> = template
        .criteria()
        .map(|c| (c.code.clone(), c.max_score))
        .collect();
    let max: u32 = scores.values().sum();
    let mut deficit = max.saturating_sub(total);
    let mut order: Vec<&str> = DECLINE_ORDER.to_vec();
    order[..8].rotate_left(variant % 8);
    while deficit > 0 {
        let before = deficit;
        for code in &order {
            if let Some(s) = scores.get_mut(*code) {
                let step = (*s).min(2).min(deficit);
                *s -= step;
                deficit -= step;
            }
            if deficit == 0 {
                break;
            }
        }
        if deficit == before {
            break;
        }
    }
    scores
}

/// What seeding did.
#[derive(Debug, Clone, Copy, Default)]
pub struct CapabilitySummary {
    /// Assessments added now.
    pub added: usize,
    /// Elderly people looked at.
    pub elderly: usize,
}

/// Gives every elderly person of `region` without a capability assessment
/// one, and the level it yields. Living people are assessed; the deceased
/// only if they already carry a level.
pub async fn seed_assessments(app: &App, region: &str) -> Result<CapabilitySummary> {
    let region = RegionCode::parse(region).map_err(AppError::internal)?;
    let today = app.today();
    let born_by = civil::years_before(today, ELDERLY_AGE as u16).to_string();
    let mut conn = app.store().read().await?;
    let elderly = register::born_by(
        &mut conn,
        &PersonScope::from(&Scope::Region {
            region: region.clone(),
        }),
        &born_by,
    )
    .await?;
    let assessed: HashSet<i64> = assessment::assessed_subjects(&mut conn, TEMPLATE_CODE, "person")
        .await?
        .into_iter()
        .collect();
    drop(conn);
    let assessor = if region.as_str().starts_with(crate::HESHAN) {
        "鹤山市老年人能力评估中心（演示）"
    } else {
        "云浮市老年人能力评估中心（演示）"
    };
    // A sheet depends only on its total and variant: each of those (at most
    // 91 × 8) is built and scored once, which keeps tens of thousands of
    // people quick.
    let mut scored: HashMap<(u32, usize), (String, CapabilityLevel)> = HashMap::new();
    // (person, village, day, scores JSON, total, level, whether to set the level)
    let mut sheets = Vec::new();
    for p in &elderly {
        if assessed.contains(&p.id) {
            continue;
        }
        let stored = p
            .capability_level
            .as_deref()
            .and_then(CapabilityLevel::parse);
        if stored.is_none() && p.status != "alive" {
            continue;
        }
        let age = kangyang_domain::CivilDate::parse(&p.birth_date)
            .map(|b| b.full_years_until(today))
            .map_err(AppError::internal)?;
        let level = stored.unwrap_or_else(|| level_for(p.id, age, &p.tags));
        let total = total_for(p.id, level);
        let key = (total, variant(p.id));
        let (scores, computed) = match scored.get(&key) {
            Some(sheet) => sheet.clone(),
            None => {
                let scores = scores_for(key.1, total);
                let result = capability::assess(&scores)
                    .map_err(|e| AppError::internal(format!("demo capability sheet: {e:?}")))?;
                if result.total != total {
                    return Err(AppError::internal(format!(
                        "demo capability sheet adds up to {}, not {total}",
                        result.total
                    )));
                }
                let sheet = (
                    serde_json::to_string(&scores).map_err(AppError::internal)?,
                    result.level,
                );
                scored.insert(key, sheet.clone());
                sheet
            }
        };
        if computed != level {
            return Err(AppError::internal(format!(
                "demo capability sheet of {total} scores {computed:?}, not {level:?}"
            )));
        }
        let day = civil::date_of(app.now() - (10 + roll(p.id, 4) * 3) * 86_400).to_string();
        sheets.push((
            p.id,
            p.village_code.clone(),
            day,
            scores,
            total,
            level,
            stored.is_none(),
        ));
    }
    if sheets.is_empty() {
        return Ok(CapabilitySummary {
            added: 0,
            elderly: elderly.len(),
        });
    }
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let rows: Vec<NewAssessment<'_>> = sheets
        .iter()
        .map(
            |(person, village, day, scores, total, level, _)| NewAssessment {
                template_code: TEMPLATE_CODE,
                round_id: None,
                subject_type: "person",
                subject_id: *person,
                region_code: village,
                scores,
                total: i64::from(*total),
                result: Some(level.as_str()),
                evidence: "",
                assessed_on: day,
                assessor,
                by: None,
            },
        )
        .collect();
    assessment::add_assessments(&mut tx, &rows, now).await?;
    let mut by_level: HashMap<&'static str, Vec<i64>> = HashMap::new();
    for (person, _, _, _, _, level, set) in &sheets {
        if *set {
            by_level.entry(level.as_str()).or_default().push(*person);
        }
    }
    for (level, people) in &by_level {
        register::set_capability_levels(&mut tx, level, people, now).await?;
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.capability",
        "person",
        String::new(),
        serde_json::json!({ "region": region.as_str(), "assessments": sheets.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(CapabilitySummary {
        added: sheets.len(),
        elderly: elderly.len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_total_of_every_level_is_reached_and_scored_to_that_level() {
        let codes: HashSet<String> = capability_template()
            .criteria()
            .map(|c| c.code.clone())
            .collect();
        assert_eq!(codes.len(), DECLINE_ORDER.len());
        assert!(DECLINE_ORDER.iter().all(|c| codes.contains(*c)));
        for total in 0..=90 {
            for variant in 0..8 {
                let scores = scores_for(variant, total);
                let result = capability::assess(&scores).unwrap();
                assert_eq!(result.total, total);
                assert_eq!(result.level, CapabilityLevel::from_total(total));
            }
        }
        for level in CapabilityLevel::ALL {
            for person in 0..50 {
                assert_eq!(CapabilityLevel::from_total(total_for(person, level)), level);
            }
        }
    }

    #[test]
    fn the_register_tags_decide_the_level_aimed_at() {
        assert_eq!(level_for(3, 85, "高龄,半失能"), CapabilityLevel::Moderate);
        assert!(matches!(
            level_for(3, 85, "高龄,失能"),
            CapabilityLevel::Severe | CapabilityLevel::Lost
        ));
        assert!(matches!(
            level_for(3, 66, ""),
            CapabilityLevel::Intact | CapabilityLevel::Mild
        ));
    }
}
