//! Yunfu's age-friendly home modification for the demo: this year's target
//! of 1,310 households of elderly in special difficulty (BRIEF.md), split
//! across the city's five counties, and cases on the demo register's elderly
//! in special difficulty in every step of the course, some stuck, with
//! items, costs and a few before/after photos. Deterministic, and seeded
//! once: a second run finds the cases and leaves them alone.

use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::home_modification::{recommended_items, CaseState, PhotoPhase};
use kangyang_domain::money::Fen;
use kangyang_domain::register::{EconomicStatus, ELDERLY_AGE};
use kangyang_domain::{CivilDate, RegionCode, Scope};
use kangyang_store::home_modification::{self as store, ItemRow, NewCase, NewPhoto, NewStep};
use kangyang_store::register::{self, PersonFilter, PersonScope};

/// Yunfu city (云浮市).
pub const YUNFU: &str = "4453";
/// The households Yunfu is to modify this year.
pub const YUNFU_TARGET: i64 = 1_310;

/// The counties' shares of the target, roughly by their elderly population,
/// and how far each has got (per mille of its cases accepted or paid): our
/// figures for the demo, the source gives only the city's target. The shares
/// sum to [`YUNFU_TARGET`]; the paces come to about 65% for the city.
pub const COUNTY_TARGETS: [(&str, &str, i64, i64); 5] = [
    ("445302", "云城区", 200, 720),
    ("445303", "云安区", 180, 580),
    ("445321", "新兴县", 260, 680),
    ("445322", "郁南县", 250, 610),
    ("445381", "罗定市", 420, 660),
];

/// How the cases not yet done are spread over the other steps (weights).
const UNDER_WAY: [(CaseState, i64); 5] = [
    (CaseState::Works, 110),
    (CaseState::Designed, 70),
    (CaseState::Assessed, 60),
    (CaseState::Applied, 70),
    (CaseState::Withdrawn, 40),
];

/// What the demo has of the programme.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoModifications {
    pub target: i64,
    pub cases: i64,
    pub done: i64,
    /// False when the cases were there already.
    pub seeded: bool,
}

/// A deterministic number in 0..m for (a, b).
fn roll(a: i64, b: i64, m: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
    (x >> 9).rem_euclid(m.max(1))
}

/// Seeds the programme once; returns what is there.
pub async fn seed_modifications(app: &App) -> Result<DemoModifications> {
    let today = app.today();
    let year = i64::from(today.year());
    let city = RegionCode::parse(YUNFU).map_err(AppError::internal)?;
    let (lo, hi) = city.subtree_range();
    let mut conn = app.store().read().await?;
    if store::any_case(&mut conn, year, &lo, &hi).await? {
        drop(conn);
        return existing(app, year).await;
    }
    let scope = PersonScope::from(&Scope::Region {
        region: city.clone(),
    });
    let born_by = civil::years_before(today, ELDERLY_AGE as u16).to_string();
    // The elderly in special difficulty of each county (特困, 低保, 低保边缘, 困难).
    let mut candidates: Vec<Vec<(i64, String)>> = vec![Vec::new(); COUNTY_TARGETS.len()];
    let filter = PersonFilter {
        born_on_or_before: Some(born_by),
        status: Some("alive".to_owned()),
        ..PersonFilter::default()
    };
    let mut after = 0;
    loop {
        let page = register::search_after(&mut conn, &scope, &filter, after, 2_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for p in page {
            let special = p
                .economic_status
                .as_deref()
                .and_then(EconomicStatus::parse)
                .is_some_and(|e| e != EconomicStatus::Ordinary);
            if let Some(i) = COUNTY_TARGETS
                .iter()
                .position(|(c, _, _, _)| p.village_code.starts_with(c))
                .filter(|_| special)
            {
                candidates[i].push((p.id, p.village_code.clone()));
            }
        }
    }
    drop(conn);

    let now = app.now();
    let year_start = CivilDate::new(today.year(), 1, 1).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_target(&mut tx, YUNFU, year, YUNFU_TARGET, None, now).await?;
    let mut summary = DemoModifications {
        target: YUNFU_TARGET,
        seeded: true,
        ..DemoModifications::default()
    };
    for ((county, _, target, pace), mut people) in COUNTY_TARGETS.iter().zip(candidates) {
        store::set_target(&mut tx, county, year, *target, None, now).await?;
        // A fixed shuffle, so the steps are spread over the county's villages.
        people.sort_by_key(|(id, _)| (roll(*id, 7, 1_000_003), *id));
        people.truncate(usize::try_from(*target).unwrap_or(0));
        let n = people.len() as i64;
        for (i, (person, village)) in people.iter().enumerate() {
            let state = state_at(i as i64, n, *pace);
            seed_case(
                &mut tx, *person, village, year, state, today, year_start, now,
            )
            .await?;
            summary.cases += 1;
            if state.is_done() {
                summary.done += 1;
            }
        }
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.modifications",
        "region",
        YUNFU.to_owned(),
        serde_json::json!({ "year": year, "cases": summary.cases, "done": summary.done }),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// The state of the `i`-th of `n` cases of a county whose cases are done
/// `done` per mille: seven in ten of the done ones paid, the rest accepted;
/// the others spread over the steps by [`UNDER_WAY`].
fn state_at(i: i64, n: i64, done: i64) -> CaseState {
    let at = i * 1000 / n.max(1);
    let paid = done * 7 / 10;
    if at < paid {
        return CaseState::Paid;
    }
    if at < done {
        return CaseState::Accepted;
    }
    let weights: i64 = UNDER_WAY.iter().map(|(_, w)| w).sum();
    let mut upto = done;
    for (state, weight) in UNDER_WAY {
        upto += (1000 - done) * weight / weights;
        if at < upto {
            return state;
        }
    }
    CaseState::Withdrawn
}

/// The steps a case went through to reach `state` (a withdrawn case was
/// withdrawn during application, assessment or design).
fn path_to(state: CaseState, person: i64) -> Vec<CaseState> {
    let last = if state == CaseState::Withdrawn {
        [CaseState::Applied, CaseState::Assessed, CaseState::Designed]
            [usize::try_from(roll(person, 5, 3)).unwrap_or(0)]
    } else {
        state
    };
    let mut path = vec![CaseState::Applied];
    while let Some(next) = path.last().and_then(|s| s.next()) {
        if path.last() == Some(&last) {
            break;
        }
        path.push(next);
    }
    if state == CaseState::Withdrawn {
        path.push(CaseState::Withdrawn);
    }
    path
}

#[allow(clippy::too_many_arguments)]
async fn seed_case(
    tx: &mut kangyang_store::Tx,
    person: i64,
    village: &str,
    year: i64,
    state: CaseState,
    today: CivilDate,
    year_start: CivilDate,
    now: i64,
) -> Result<()> {
    let path = path_to(state, person);
    // Days each step has lasted, counted back from today: the last one
    // within its limit, or past it for about one open case in five (stuck).
    let mut ages = vec![0i64; path.len()];
    let last = path.len() - 1;
    ages[last] = match state.default_limit_days() {
        Some(limit) if roll(person, 11, 5) == 0 => i64::from(limit) + 3 + roll(person, 12, 40),
        Some(limit) => roll(person, 13, i64::from(limit)),
        None => 3 + roll(person, 14, 60),
    };
    for (k, step) in path.iter().enumerate().take(last) {
        let limit = i64::from(step.default_limit_days().unwrap_or(15));
        ages[k] = 4 + roll(person, 20 + k as i64, limit - 4);
    }
    // Entry days, latest step first; nothing before the year began.
    let mut days = vec![today; path.len()];
    let mut day = today;
    for k in (0..path.len()).rev() {
        day = day.add_days(-ages[k]).unwrap_or(day).max(year_start);
        days[k] = day;
    }
    let applied_on = days[0].to_string();
    let id = store::insert_case(
        tx,
        &NewCase {
            person_id: person,
            village_code: village,
            year,
            state: state.as_str(),
            since: &days[last].to_string(),
            applied_on: &applied_on,
            by: None,
        },
        now,
    )
    .await?;
    for (k, step) in path.iter().enumerate() {
        let note = match (step, k) {
            (CaseState::Withdrawn, _) => "老人家属决定暂不改造",
            (CaseState::Applied, 0) => "村（居）委会代为申请",
            _ => "",
        };
        store::add_step(
            tx,
            &NewStep {
                case_id: id,
                from: k.checked_sub(1).map(|j| path[j].as_str()),
                to: step.as_str(),
                day: &days[k].to_string(),
                by: None,
                note,
            },
            now,
        )
        .await?;
    }
    if path.contains(&CaseState::Designed) {
        for item in design(person) {
            store::set_item(tx, id, &item, now).await?;
        }
        store::recompute_totals(tx, id, now).await?;
    }
    // A photo or two on one case in eight of those far enough along.
    if roll(person, 30, 8) == 0 {
        let phases: &[PhotoPhase] = match state {
            CaseState::Designed => &[PhotoPhase::Before],
            CaseState::Works | CaseState::Accepted | CaseState::Paid => {
                &[PhotoPhase::Before, PhotoPhase::After]
            }
            _ => &[],
        };
        for phase in phases {
            store::add_photo(
                tx,
                &NewPhoto {
                    case_id: id,
                    phase: phase.as_str(),
                    content_type: "image/png",
                    bytes: &demo_png(*phase == PhotoPhase::After),
                    by: None,
                },
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// A household's design: most of the seven basic items (at least three) and
/// up to two optional ones, at the typical cost give or take 15%.
fn design(person: i64) -> Vec<ItemRow> {
    let mut out = Vec::new();
    let mut basic = 0;
    for (k, item) in recommended_items().iter().enumerate() {
        let k = k as i64;
        let take = if item.basic {
            // The first three basic items always; the rest seven times in ten.
            basic += 1;
            basic <= 3 || roll(person, 40 + k, 10) < 7
        } else {
            roll(person, 40 + k, 23) < 2
        };
        if !take {
            continue;
        }
        let quantity = match item.code {
            "bath_handrail" | "floor_handrail" => 2 + roll(person, 80 + k, 2),
            "env_sensor_light" => 2 + roll(person, 80 + k, 3),
            _ => 1,
        };
        let percent = 85 + roll(person, 120 + k, 31);
        let yuan = item.typical_cost.0 / 100 * percent / 100;
        out.push(ItemRow {
            item_code: item.code.to_owned(),
            basic: i64::from(item.basic),
            quantity,
            unit_cost_fen: Fen::from_yuan(yuan).0,
        });
    }
    out
}

async fn existing(app: &App, year: i64) -> Result<DemoModifications> {
    let mut conn = app.store().read().await?;
    let city = RegionCode::parse(YUNFU).map_err(AppError::internal)?;
    let (lo, hi) = city.subtree_range();
    let mut summary = DemoModifications {
        target: store::target(&mut conn, YUNFU, year).await?.unwrap_or(0),
        ..DemoModifications::default()
    };
    for (_, state, n) in store::counts(&mut conn, year, &lo, &hi, 4).await? {
        summary.cases += n;
        if CaseState::parse(&state).is_some_and(CaseState::is_done) {
            summary.done += n;
        }
    }
    Ok(summary)
}

// ---- a small picture for the demo photos ----

/// A 64×48 PNG: a room's floor and wall, bare before the works, with a green
/// grab bar and a light floor after. Drawn here so the demo ships no binary
/// file; uncompressed (stored deflate blocks), about 9 KB.
fn demo_png(after: bool) -> Vec<u8> {
    const W: usize = 64;
    const H: usize = 48;
    let mut raw = Vec::with_capacity((W * 3 + 1) * H);
    for y in 0..H {
        raw.push(0); // filter: none
        for x in 0..W {
            let rgb: [u8; 3] = if y >= 32 {
                if after {
                    [214, 204, 180] // anti-slip floor
                } else {
                    [120, 110, 100]
                }
            } else if after && (14..=16).contains(&y) && (8..56).contains(&x) {
                [15, 118, 110] // grab bar
            } else if (40..52).contains(&x) && (6..32).contains(&y) {
                [150, 120, 90] // door
            } else {
                [236, 232, 224]
            };
            raw.extend_from_slice(&rgb);
        }
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(W as u32).to_be_bytes());
    ihdr.extend_from_slice(&(H as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 as PNG uses it (ISO 3309 polynomial, PNG specification §5.5).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zlib stream of stored (uncompressed) deflate blocks (RFC 1950, RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    // Adler-32 of the uncompressed data.
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kangyang_domain::home_modification::photo_kind;

    #[test]
    fn county_targets_sum_to_the_city_target_at_about_two_thirds_done() {
        let sum: i64 = COUNTY_TARGETS.iter().map(|(_, _, n, _)| n).sum();
        assert_eq!(sum, YUNFU_TARGET);
        let done: i64 = COUNTY_TARGETS
            .iter()
            .map(|(_, _, n, pace)| n * pace / 1000)
            .sum();
        assert!((800..=880).contains(&done), "{done}");
    }

    #[test]
    fn every_state_is_reached_at_the_countys_pace() {
        for (_, _, n, pace) in COUNTY_TARGETS {
            let states: Vec<CaseState> = (0..n).map(|i| state_at(i, n, pace)).collect();
            for s in CaseState::ALL {
                assert!(states.contains(s), "{s:?}");
            }
            let done = states.iter().filter(|s| s.is_done()).count() as i64;
            // Within a case of the pace, by rounding.
            assert!((done - n * pace / 1000).abs() <= 1, "{done} of {n}");
        }
    }

    #[test]
    fn paths_follow_the_steps() {
        for (i, &state) in CaseState::ALL.iter().enumerate() {
            let path = path_to(state, i as i64 * 7 + 1);
            assert_eq!(path.first(), Some(&CaseState::Applied));
            assert_eq!(path.last(), Some(&state));
            for pair in path.windows(2) {
                assert_eq!(pair[0].can_move_to(pair[1]), Ok(()), "{path:?}");
            }
        }
    }

    #[test]
    fn designs_have_basic_items_at_sensible_costs() {
        for person in 1..50 {
            let items = design(person);
            assert!(items.iter().filter(|i| i.basic == 1).count() >= 3);
            assert!(items.iter().all(|i| i.unit_cost_fen > 0 && i.quantity >= 1));
        }
    }

    #[test]
    fn the_demo_picture_is_a_png() {
        let png = demo_png(true);
        assert_eq!(photo_kind(&png), Some("image/png"));
        assert!(png.len() < 12_000);
        assert_ne!(png, demo_png(false));
        // The CRC of the IEND chunk is the well-known constant.
        assert_eq!(&png[png.len() - 4..], &[0xAE, 0x42, 0x60, 0x82]);
    }
}
