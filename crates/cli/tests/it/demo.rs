//! What the demo seeds for Yunfu: canteens of every mode with a settled
//! month, and a capability assessment behind every elderly person's level.

use crate::backend_test;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_demo::YUNFU;
use kangyang_domain::capability::{self, CapabilityLevel, TEMPLATE_CODE};
use kangyang_domain::Role;
use std::collections::{BTreeMap, HashMap};

/// Yunfu's elderly people with a capability level whose latest GB/T 42195
/// assessment does not give that level (or who have none), the level being
/// recomputed from the stored item scores; and how many have a level.
async fn levels_without_their_assessment(t: &TestApp) -> (usize, usize) {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let born_by = kangyang_app::civil::years_before(t.app.today(), 60).to_string();
    let people: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, capability_level FROM persons WHERE village_code >= '4453' \
         AND village_code < '4454' AND birth_date <= $1 AND capability_level IS NOT NULL",
    )
    .bind(&born_by)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let sheets: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT subject_id, scores, result FROM assessments WHERE template_code = $1 \
         AND subject_type = 'person' ORDER BY assessed_on, id",
    )
    .bind(TEMPLATE_CODE)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    // Later rows replace earlier ones: the latest assessment of each person.
    let latest: HashMap<i64, (String, Option<String>)> = sheets
        .into_iter()
        .map(|(person, scores, result)| (person, (scores, result)))
        .collect();
    let mismatches = people
        .iter()
        .filter(|(person, level)| {
            let Some((scores, result)) = latest.get(person) else {
                return true;
            };
            let scores: BTreeMap<String, u32> = serde_json::from_str(scores).unwrap();
            let computed = capability::assess(&scores).unwrap().level;
            Some(computed) != CapabilityLevel::parse(level)
                || result.as_deref() != Some(computed.as_str())
        })
        .count();
    (mismatches, people.len())
}

backend_test!(
    every_elderly_persons_level_has_an_assessment_that_gives_it,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        let seeded = kangyang_demo::capability::seed_assessments(&t.app, YUNFU)
            .await
            .unwrap();
        assert!(seeded.added > 100, "{seeded:?}");
        let (mismatches, levelled) = levels_without_their_assessment(&t).await;
        assert_eq!(mismatches, 0, "of {levelled} levels");
        // Every living elderly person was assessed.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let born_by = kangyang_app::civil::years_before(t.app.today(), 60).to_string();
        let (alive,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM persons WHERE village_code >= '4453' \
             AND village_code < '4454' AND birth_date <= $1 AND status = 'alive'",
        )
        .bind(&born_by)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(
            levelled as i64 >= alive && alive > 100,
            "{levelled} of {alive}"
        );
        // More than one level: the register's tags and ages spread them.
        let levels: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT capability_level FROM persons WHERE capability_level IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert!(levels.len() >= 3, "{levels:?}");

        // A second run adds nothing.
        let again = kangyang_demo::capability::seed_assessments(&t.app, YUNFU)
            .await
            .unwrap();
        assert_eq!(again.added, 0);

        // The check finds a level with nothing behind it.
        let (person,): (i64,) =
            sqlx::query_as("SELECT MIN(subject_id) FROM assessments WHERE template_code = $1")
                .bind(TEMPLATE_CODE)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        sqlx::query("DELETE FROM assessments WHERE template_code = $1 AND subject_id = $2")
            .bind(TEMPLATE_CODE)
            .bind(person)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        assert_eq!(levels_without_their_assessment(&t).await.0, 1);
        // Seeding again gives that person a sheet for the level they carry.
        let level: (String,) = {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            sqlx::query_as("SELECT capability_level FROM persons WHERE id = $1")
                .bind(person)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        let repaired = kangyang_demo::capability::seed_assessments(&t.app, YUNFU)
            .await
            .unwrap();
        assert_eq!(repaired.added, 1);
        assert_eq!(levels_without_their_assessment(&t).await.0, 0);
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let after: (String,) = sqlx::query_as("SELECT capability_level FROM persons WHERE id = $1")
            .bind(person)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(after, level, "the level carried is kept");
    }
);

backend_test!(
    yunfus_demo_canteens_cover_every_mode_with_a_settled_month_and_a_double_claim,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.02).await.unwrap();
        let antang = kangyang_demo::canteen::seed_canteens(&t.app).await.unwrap();
        let count = || async {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            let mut n = Vec::new();
            for table in ["facilities", "enrolments", "canteen_meals", "canteen_menus"] {
                let (c,): (i64,) =
                    sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
                        .fetch_one(&mut *conn)
                        .await
                        .unwrap();
                n.push(c);
            }
            n
        };
        let before = count().await;
        assert_eq!(
            kangyang_demo::canteen::seed_canteens(&t.app).await.unwrap(),
            antang
        );
        assert_eq!(count().await, before, "a second run adds nothing");

        t.user("yunfu", Role::Official, YUNFU).await;
        let (client, _) = t.login("yunfu").await;
        let (_, canteens) =
            get_json(&client, &t.url("/api/v1/facilities?type=elder_canteen")).await;
        let canteens = canteens.as_array().unwrap();
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let modes: Vec<(i64, String)> =
            sqlx::query_as("SELECT facility_id, mode FROM canteen_modes")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        drop(conn);
        let mut towns: HashMap<String, Vec<String>> = HashMap::new();
        for c in canteens {
            let mode = &modes
                .iter()
                .find(|(id, _)| *id == c["id"].as_i64().unwrap())
                .unwrap()
                .1;
            towns
                .entry(mode.clone())
                .or_default()
                .push(c["region_code"].as_str().unwrap().to_owned());
        }
        let all = ["own_kitchen", "delivery", "charity", "neighbour_help"];
        for mode in all {
            assert!(towns.contains_key(mode), "a canteen of mode {mode}");
        }
        // Some choice of one canteen per mode puts each in a town of its own.
        let mut choices: Vec<Vec<&String>> = vec![Vec::new()];
        for mode in all {
            let mut next = Vec::new();
            for chosen in &choices {
                for town in towns[mode].iter().filter(|t| !chosen.contains(t)) {
                    let mut more = chosen.clone();
                    more.push(town);
                    next.push(more);
                }
            }
            choices = next;
        }
        assert!(
            !choices.is_empty(),
            "each mode in a town of its own: {towns:?}"
        );

        let today = t.app.today();
        let last = today.add_days(-i64::from(today.day())).unwrap();
        let month = format!("{:04}-{:02}", last.year(), last.month());
        let mut flagged = 0;
        for c in canteens {
            let id = c["id"].as_i64().unwrap();
            let (status, s) = get_json(
                &client,
                &t.url(&format!("/api/v1/facilities/{id}/settlement?month={month}")),
            )
            .await;
            assert_eq!(status, 200);
            assert!(s["meals"].as_u64().unwrap() > 0, "{}: {s}", c["name"]);
            let lines: i64 = s["diners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["subsidy_fen"].as_i64().unwrap())
                .sum();
            assert_eq!(lines, s["subsidy_fen"].as_i64().unwrap());
            flagged += s["flagged"].as_array().unwrap().len();
            // This week's menu has a lunch on every weekday.
            let (_, week) =
                get_json(&client, &t.url(&format!("/api/v1/facilities/{id}/menus"))).await;
            for day in &week["days"].as_array().unwrap()[..5] {
                assert!(!day["lunch"].as_str().unwrap().is_empty(), "{week}");
            }
        }
        assert!(flagged >= 1, "a double claim is flagged");
        let (_, s) = get_json(
            &client,
            &t.url(&format!(
                "/api/v1/facilities/{antang}/settlement?month={month}"
            )),
        )
        .await;
        assert!(!s["flagged"].as_array().unwrap().is_empty(), "{s}");
        assert!(s["held_fen"].as_i64().unwrap() > 0);
    }
);
