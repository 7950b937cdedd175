//! Region dashboards, demand mining, coverage and the public portal: every
//! figure checked against a count made here from the records themselves.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// Registers a person born `age` years and a few months ago; `extra` adds
/// fields (disability, living situation…). Returns the id.
async fn person(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    village: &str,
    n: u16,
    age: u16,
    extra: Value,
) -> i64 {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - age - 1, 6, 1 + (n % 28) as u8).unwrap();
    let id = IdNumber::from_parts(&village[..6], birth, 800 + n).unwrap();
    let mut body = json!({
        "id_number": id.as_str(), "name": name_for(n), "village": village, "address": "新村路8号",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, created) = t.post_json(client, csrf, "/api/v1/persons", body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn facility(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    name: &str,
    kind: &str,
    region: &str,
    at: Option<(f64, f64)>,
) -> i64 {
    let mut body = json!({ "name": name, "kind": kind, "region": region,
        "address": "镇中路1号", "opening_hours": "周一至周五 8:30-17:30" });
    if let Some((lon, lat)) = at {
        body["longitude"] = json!(lon.to_string());
        body["latitude"] = json!(lat.to_string());
    }
    let (status, created) = t.post_json(client, csrf, "/api/v1/facilities", body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// One person as the independent count reads them.
struct Row {
    village: String,
    birth: CivilDate,
    alive: bool,
    urban_rural: Option<String>,
    capability: Option<String>,
    disability: Option<String>,
    grade: Option<i64>,
    child: Option<String>,
}

/// The people figures of a region's dashboard, counted here in Rust from the
/// rows: (section, child or the region itself, column) → count.
async fn expected_people(
    t: &TestApp,
    region: &str,
    child_len: usize,
) -> HashMap<(String, String, String), i64> {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT village_code, birth_date, status, urban_rural, capability_level, \
         disability_category, disability_grade, child_category FROM persons",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let today = t.app.today();
    let rows = rows
        .into_iter()
        .filter(|r| r.0.starts_with(region))
        .map(|r| Row {
            village: r.0,
            birth: CivilDate::parse(&r.1).unwrap(),
            alive: r.2 == "alive",
            urban_rural: r.3,
            capability: r.4,
            disability: r.5,
            grade: r.6,
            child: r.7,
        });
    let mut out: HashMap<(String, String, String), i64> = HashMap::new();
    for r in rows.filter(|r| r.alive) {
        let age = r.birth.full_years_until(today);
        let band = match age {
            0..=17 => "0_17",
            18..=59 => "18_59",
            60..=69 => "60_69",
            70..=79 => "70_79",
            _ => "80_plus",
        };
        let mut keys: Vec<(&str, String)> = vec![
            ("category", "total".into()),
            ("age_band", band.into()),
            ("urban_rural", r.urban_rural.clone().unwrap_or_default()),
        ];
        if age >= 60 {
            keys.push(("category", "elderly".into()));
        }
        if let Some(d) = &r.disability {
            keys.push(("category", "disabled".into()));
            keys.push(("disability_category", d.clone()));
        }
        if let Some(g) = r.grade {
            keys.push(("disability_grade", g.to_string()));
        }
        if let Some(c) = &r.child {
            keys.push(("category", "child_in_need".into()));
            keys.push(("child_category", c.clone()));
        }
        if let Some(c) = &r.capability {
            keys.push(("capability", c.clone()));
        }
        let child = r.village[..child_len.min(r.village.len())].to_owned();
        for (section, key) in keys {
            for place in [child.clone(), region.to_owned()] {
                *out.entry((section.to_owned(), place, key.clone()))
                    .or_default() += 1;
            }
        }
    }
    out
}

const PEOPLE_SECTIONS: [&str; 7] = [
    "category",
    "urban_rural",
    "age_band",
    "capability",
    "disability_category",
    "disability_grade",
    "child_category",
];

/// Asserts every people figure of `d` equals the independent count, and
/// returns how many non-zero figures were compared.
fn assert_people_match(d: &Value, expected: &HashMap<(String, String, String), i64>) -> usize {
    let mut nonzero = 0;
    for s in d["sections"].as_array().unwrap() {
        let key = s["key"].as_str().unwrap();
        if !PEOPLE_SECTIONS.contains(&key) {
            continue;
        }
        let columns: Vec<&str> = s["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        for line in s["lines"]
            .as_array()
            .unwrap()
            .iter()
            .chain(std::iter::once(&s["total"]))
        {
            let code = line["code"].as_str().expect("people lie in a child region");
            for (col, cell) in columns.iter().zip(line["cells"].as_array().unwrap()) {
                let want = expected
                    .get(&(key.to_owned(), code.to_owned(), (*col).to_owned()))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(cell["value"], want, "{key} / {code} / {col}");
                if want > 0 {
                    nonzero += 1;
                }
            }
        }
    }
    nonzero
}

/// A service figure counted with plain SQL: rows of `table` whose person
/// lives under `prefix`, with an extra condition.
async fn service_count(t: &TestApp, table: &str, prefix: &str, cond: &str) -> i64 {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} x JOIN persons p ON p.id = x.person_id \
         WHERE p.village_code LIKE '{prefix}%' AND {cond}"
    ))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    n
}

fn cell<'a>(d: &'a Value, section: &str, code: &str, column: &str) -> &'a Value {
    let s = d["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == section)
        .unwrap();
    let col = s["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["key"] == column)
        .unwrap();
    let line = s["lines"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&s["total"]))
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no line {code} in {section}"));
    &line["cells"][col]
}

fn value(d: &Value, section: &str, code: &str, column: &str) -> i64 {
    cell(d, section, code, column)["value"].as_i64().unwrap()
}

backend_test!(
    every_dashboard_figure_is_the_count_of_the_records,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let url = t.url("/api/v1/regions/440784/dashboard");
        let (status, d) = get_json(&client, &url).await;
        assert_eq!(status, 200, "{d}");
        let lines = d["sections"][0]["lines"].as_array().unwrap();
        assert!(lines.len() >= 10, "Heshan's towns: {}", lines.len());
        let compared = assert_people_match(&d, &expected_people(&t, "440784", 9).await);
        assert!(compared > 50, "the demo fills the figures ({compared})");

        // The people behind a number: the register search it links to
        // finds exactly that many.
        for (section, column) in [
            ("category", "elderly"),
            ("category", "disabled"),
            ("urban_rural", "rural"),
            ("age_band", "70_79"),
            ("disability_category", "intellectual"),
            ("disability_grade", "2"),
        ] {
            for code in ["440784", "440784103"] {
                let c = cell(&d, section, code, column);
                let href = c["people_href"].as_str().unwrap();
                assert!(href.starts_with("/persons?"), "{href}");
                let (status, found) = get_json(&client, &t.url(&format!("/api/v1{href}"))).await;
                assert_eq!(status, 200, "{found}");
                assert_eq!(
                    found["total"], c["value"],
                    "{section}/{column} at {code}: {href}"
                );
            }
        }

        // A town's dashboard breaks down by its 13 villages.
        let (status, town) = get_json(&client, &t.url("/api/v1/regions/440784103/dashboard")).await;
        assert_eq!(status, 200);
        assert_eq!(town["sections"][0]["lines"].as_array().unwrap().len(), 13);
        assert_people_match(&town, &expected_people(&t, "440784103", 12).await);

        // A record changes, the figures follow.
        let village = "440784103202";
        let before = town;
        let newcomer = person(
            &t,
            &client,
            &csrf,
            village,
            1,
            45,
            json!({ "disability_category": "肢体", "disability_grade": "2" }),
        )
        .await;
        let elder = person(
            &t,
            &client,
            &csrf,
            village,
            2,
            75,
            json!({ "living_situation": "独居" }),
        )
        .await;
        {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            kangyang_store::register::set_capability_level(&mut conn, elder, "moderate", 0)
                .await
                .unwrap();
        }
        let canteen = facility(
            &t,
            &client,
            &csrf,
            "古劳镇长者饭堂",
            "elder_canteen",
            "440784103",
            None,
        )
        .await;
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/facilities/{canteen}/enrolments"),
                json!({ "person_id": elder }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/persons/{elder}/visits"),
                json!({ "day": t.app.today().to_string(), "mode": "in_person" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");

        let (_, after) = get_json(&client, &t.url("/api/v1/regions/440784103/dashboard")).await;
        assert_people_match(&after, &expected_people(&t, "440784103", 12).await);
        let delta = |s: &str, c: &str| value(&after, s, village, c) - value(&before, s, village, c);
        assert_eq!(delta("category", "total"), 2);
        assert_eq!(delta("category", "disabled"), 1);
        assert_eq!(delta("category", "elderly"), 1);
        assert_eq!(delta("disability_category", "physical"), 1);
        assert_eq!(delta("disability_grade", "2"), 1);
        assert_eq!(delta("age_band", "18_59"), 1);
        assert_eq!(delta("age_band", "70_79"), 1);
        assert_eq!(delta("urban_rural", "rural"), 2);
        assert_eq!(delta("capability", "moderate"), 1);
        assert_eq!(delta("services", "enrolments"), 1);
        assert_eq!(delta("services", "visits"), 1);
        let _ = newcomer;
        // The service figures, counted with plain SQL.
        let month = &t.app.today().to_string()[..7];
        for (column, table, cond) in [
            ("enrolments", "enrolments", "x.end_date IS NULL".to_owned()),
            ("visits", "visits", format!("x.day LIKE '{month}-%'")),
            ("meals", "canteen_meals", format!("x.day LIKE '{month}-%'")),
            (
                "attendance_days",
                "attendance",
                format!("x.present = 1 AND x.day LIKE '{month}-%'"),
            ),
        ] {
            for code in ["440784103", village] {
                assert_eq!(
                    value(&after, "services", code, column),
                    service_count(&t, table, code, &cond).await,
                    "{column} at {code}"
                );
            }
        }

        // Out of scope: not found; the page and the workbook answer in scope.
        let (status, _) = get_json(&client, &t.url("/api/v1/regions/445302/dashboard")).await;
        assert_eq!(status, 404);
        let page = client
            .get(t.url("/regions/440784103/dashboard"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("<svg"), "charts are inline SVG");
        assert!(
            !page.contains("style=") && !page.contains("<script"),
            "CSP-safe"
        );
        let link = format!("/persons?region={village}&#38;status=alive&#38;category=disabled");
        assert!(
            page.contains(&link),
            "{}",
            &page[page.find("/persons?").unwrap_or(0)..][..200]
        );
        let book = client
            .get(t.url("/regions/440784103/dashboard.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(book.status(), 200);
        assert!(book.bytes().await.unwrap().starts_with(b"PK"));
    }
);

/// The links of a page that stay on the portal, unescaped.
fn public_links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
        .filter(|h| h.starts_with("/public"))
        .collect()
}

/// The texts of the cells that hold counts of people.
fn count_cells(page: &str) -> Vec<String> {
    page.split("class=\"num count\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

backend_test!(
    the_public_portal_shows_no_person_and_no_small_count,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        kangyang_demo::kangyuan::seed_centres(&t.app).await.unwrap();
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        // A canteen with this week's menu, typed with markup that must stay text.
        let canteen = facility(
            &t,
            &client,
            &csrf,
            "安塘街长者饭堂",
            "elder_canteen",
            "445302004",
            Some((112.05, 22.95)),
        )
        .await;
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/facilities/{canteen}/menus"),
                json!({ "day": t.app.today().to_string(), "meal": "lunch",
                    "dishes": "<script>alert(1)</script>蒸鱼、炒青菜" }),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        // Three people in one village: a count that must not be shown.
        for n in 0..3 {
            person(&t, &client, &csrf, "445302004001", 40 + n, 70, json!({})).await;
        }

        // What must never appear: the names and ID numbers of the register.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let people: Vec<(String, String)> = sqlx::query_as("SELECT name, id_masked FROM persons")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let places: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM regions WHERE code LIKE '4407%' OR code LIKE '4453%' \
             UNION SELECT name FROM facilities UNION SELECT address FROM facilities",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let places: String = places
            .into_iter()
            .map(|p| p.0)
            .collect::<Vec<_>>()
            .join("|");
        // A name that is also part of a place's name would match the place.
        let names: HashSet<Vec<char>> = people
            .iter()
            .filter(|p| (2..=4).contains(&p.0.chars().count()) && !places.contains(p.0.as_str()))
            .map(|p| p.0.chars().collect())
            .collect();
        assert!(names.len() > 100, "the register has names to look for");

        let anonymous = t.client();
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue = vec!["/public".to_owned()];
        let (mut small, mut large, mut facility_pages, mut town_pages) = (0, 0, 0, 0);
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) {
                continue;
            }
            assert!(seen.len() < 500, "the portal is a bounded set of pages");
            let res = anonymous.get(t.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
            let page = res.text().await.unwrap();
            assert!(
                !page.contains("<script") && !page.contains("style="),
                "{path}"
            );
            // Every run of 2-4 characters of the page, against the names.
            let chars: Vec<char> = page.chars().collect();
            for len in 2..=4 {
                for w in chars.windows(len) {
                    assert!(!names.contains(w), "{path} shows a person's name");
                }
            }
            for (_, masked) in &people {
                assert!(!page.contains(masked.as_str()), "{path} shows an ID number");
            }
            let digits = page
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(digits < 15, "{path} shows a long number (an ID?)");
            for text in count_cells(&page) {
                match text.as_str() {
                    "&lt;5" | "&#60;5" => small += 1,
                    "—" | "0" => {}
                    n => {
                        let n: i64 = n.parse().unwrap_or_else(|_| panic!("{path}: count {n}"));
                        assert!(n >= 5, "{path} shows a count of {n}");
                        large += 1;
                    }
                }
            }
            if path.starts_with("/public/facilities/") {
                facility_pages += 1;
            }
            if path.starts_with("/public/regions/") && path.len() == "/public/regions/".len() + 9 {
                town_pages += 1;
            }
            if path == format!("/public/facilities/{canteen}") {
                // Shown, as text: the page holds no script element (above).
                assert!(
                    page.contains("alert(1)") && page.contains("蒸鱼、炒青菜"),
                    "this week's menu"
                );
            }
            for link in public_links(&page) {
                if !seen.contains(&link) {
                    queue.push(link);
                }
            }
        }
        assert!(small > 0, "small counts were there to suppress");
        assert!(large > 0, "large counts are shown");
        assert!(
            facility_pages >= 12,
            "every facility has a page ({facility_pages})"
        );
        assert!(
            town_pages >= 10,
            "the crawl reached the towns ({town_pages})"
        );
        assert!(seen.contains(&format!("/public/facilities/{canteen}")));
        // Villages have no page of their own; unknown things are not found.
        for path in [
            "/public/regions/445302004001",
            "/public/regions/99",
            "/public/facilities/999999",
            "/public/facilities?kind=nothing",
        ] {
            let res = anonymous.get(t.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
        }
    }
);

/// The ids listed for `need` by a demand answer.
fn listed(d: &Value, need: &str) -> Vec<i64> {
    d["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["need"] == need)
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

fn need<'a>(d: &'a Value, need: &str) -> &'a Value {
    d["needs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["need"] == need)
        .unwrap()
}

fn trend(d: &Value, n: &str) -> Vec<i64> {
    need(d, n)["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_i64().unwrap())
        .collect()
}

backend_test!(
    demand_lists_the_unserved_and_drops_them_once_served,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let (_, villages) = get_json(&client, &t.url("/api/v1/regions/440784103/children")).await;
        let pick = |kind: &str| {
            villages
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["urban_rural"] == kind)
                .unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (urban, rural) = (pick("urban"), pick("rural"));
        let disabled = person(
            &t,
            &client,
            &csrf,
            &rural,
            1,
            40,
            json!({ "disability_category": "肢体", "disability_grade": "2" }),
        )
        .await;
        let alone = person(
            &t,
            &client,
            &csrf,
            &urban,
            2,
            75,
            json!({ "living_situation": "独居" }),
        )
        .await;
        let able = person(
            &t,
            &client,
            &csrf,
            &urban,
            3,
            75,
            json!({ "living_situation": "独居" }),
        )
        .await;
        let child = person(
            &t,
            &client,
            &csrf,
            &rural,
            4,
            10,
            json!({ "child_category": "留守", "guardian_name": "外婆" }),
        )
        .await;
        {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            kangyang_store::register::set_capability_level(&mut conn, alone, "mild", 0)
                .await
                .unwrap();
            kangyang_store::register::set_capability_level(&mut conn, able, "intact", 0)
                .await
                .unwrap();
        }
        let url = t.url("/api/v1/regions/440784103/demand");
        let (status, d) = get_json(&client, &url).await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(listed(&d, "disabled_not_enrolled"), [disabled]);
        assert_eq!(
            listed(&d, "elderly_alone_unserved"),
            [alone],
            "capability intact is no need"
        );
        assert_eq!(listed(&d, "child_without_social_worker"), [child]);
        assert_eq!(
            (
                need(&d, "disabled_not_enrolled")["rural"].as_i64(),
                need(&d, "elderly_alone_unserved")["urban"].as_i64()
            ),
            (Some(1), Some(1))
        );
        assert_eq!(
            d["villages"][0]["code"],
            rural.as_str(),
            "the village with most needs first"
        );
        assert_eq!(d["villages"][0]["total"], 2);
        assert_eq!(d["towns"][0]["total"], 3);
        assert_eq!(
            (
                d["towns"][0]["urban"].as_i64(),
                d["towns"][0]["rural"].as_i64()
            ),
            (Some(1), Some(2))
        );
        for n in [
            "disabled_not_enrolled",
            "elderly_alone_unserved",
            "child_without_social_worker",
        ] {
            assert_eq!(trend(&d, n), [1; 6], "{n}: needs as old as the records say");
        }

        // Served: enrolled since 40 days ago, visited today, a station for the village.
        let today = t.app.today();
        let centre = facility(
            &t,
            &client,
            &csrf,
            "古劳镇长者饭堂",
            "elder_canteen",
            "440784103",
            None,
        )
        .await;
        let (status, body) = t.post_json(&client, &csrf, &format!("/api/v1/facilities/{centre}/enrolments"),
            json!({ "person_id": disabled, "start_date": today.add_days(-40).unwrap().to_string() })).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/persons/{alone}/visits"),
                json!({ "day": today.to_string(), "mode": "in_person" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = t.post_json(&client, &csrf, "/api/v1/facilities", json!({
            "name": "古劳镇社工站", "kind": "social_work_station", "region": "440784103", "villages": rural })).await;
        assert_eq!(status, 201, "{body}");

        let (_, d) = get_json(&client, &url).await;
        for n in [
            "disabled_not_enrolled",
            "elderly_alone_unserved",
            "child_without_social_worker",
        ] {
            assert!(listed(&d, n).is_empty(), "{n} served");
            assert_eq!(need(&d, n)["total"], 0);
        }
        assert!(d["villages"].as_array().unwrap().is_empty());
        // The past is recounted from the dates: the enrolment began 40 days
        // ago (so last month's end already counts it), the visit only today.
        let enrolled = trend(&d, "disabled_not_enrolled");
        assert_eq!((enrolled[0], enrolled[4], enrolled[5]), (1, 0, 0));
        assert_eq!(trend(&d, "elderly_alone_unserved"), [1, 1, 1, 1, 1, 0]);

        let page = client
            .get(t.url("/regions/440784103/demand"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("<svg") && page.contains("trend-note"));
        let (status, _) = get_json(&client, &t.url("/api/v1/regions/445302/demand")).await;
        assert_eq!(status, 404);
    }
);

/// The great-circle distance, written out here to check the app's.
fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.0 - a.0).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

backend_test!(
    coverage_share_on_a_hand_made_example,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        // A canteen in one village, a clinic 0.3° east in another, a third
        // village with no facility at all (a stand-in point near the town's).
        let (near, far, none) = ("440784103202", "440784103203", "440784103204");
        facility(
            &t,
            &client,
            &csrf,
            "麦水长者饭堂",
            "elder_canteen",
            near,
            Some((112.9, 22.7)),
        )
        .await;
        facility(
            &t,
            &client,
            &csrf,
            "东边卫生站",
            "clinic",
            far,
            Some((113.2, 22.7)),
        )
        .await;
        for n in 0..3 {
            person(&t, &client, &csrf, near, 10 + n, 70, json!({})).await;
        }
        person(&t, &client, &csrf, near, 13, 30, json!({})).await; // not elderly
        person(&t, &client, &csrf, far, 14, 80, json!({})).await;
        person(&t, &client, &csrf, none, 15, 65, json!({})).await;

        let at = |radius: &str| {
            t.url(&format!(
                "/api/v1/regions/440784103/coverage?kind=elder_canteen&radius_km={radius}"
            ))
        };
        let (status, c) = get_json(&client, &at("5")).await;
        assert_eq!(status, 200, "{c}");
        assert_eq!(
            (c["people"].as_i64(), c["covered"].as_i64()),
            (Some(5), Some(3))
        );
        assert_eq!(c["share"], "60.0%");
        let village = |c: &Value, code: &str| {
            c["villages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["code"] == code)
                .unwrap()
                .clone()
        };
        assert_eq!(village(&c, near)["distance_km"], 0.0);
        assert_eq!(village(&c, near)["placement"], "facility");
        assert_eq!(village(&c, far)["placement"], "facility");
        assert_eq!(village(&c, none)["placement"], "synthetic");
        let d = village(&c, far)["distance_km"].as_f64().unwrap();
        assert!((d - km((112.9, 22.7), (113.2, 22.7))).abs() < 0.01, "{d}");
        let d = village(&c, none)["distance_km"].as_f64().unwrap();
        assert!(
            (12.0..=19.0).contains(&d),
            "about halfway, give or take 3 km: {d}"
        );
        let uncovered: Vec<&str> = c["uncovered"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap())
            .collect();
        assert_eq!(uncovered, [far, none]);

        let (_, c) = get_json(&client, &at("20")).await;
        assert_eq!(
            (c["covered"].as_i64(), c["share"].as_str()),
            (Some(4), Some("80.0%"))
        );
        let (_, c) = get_json(&client, &at("40")).await;
        assert_eq!(c["share"], "100.0%");
        assert!(c["uncovered"].as_array().unwrap().is_empty());

        let (status, e) = get_json(&client, &at("0")).await;
        assert_eq!((status, e["field"].as_str()), (422, Some("radius_km")));
        let page = client
            .get(t.url("/regions/440784103/coverage?kind=elder_canteen&radius_km=5"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("map-village uncovered") && page.contains("map-facility"));
        assert!(page.contains("示意"), "stand-in points are said to be so");
        assert!(!page.contains("style="));
    }
);

/// One number of the database, by plain SQL.
async fn scalar(t: &TestApp, sql: &str) -> i64 {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.unwrap();
    n
}

backend_test!(
    target_and_fund_figures_are_the_records,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        kangyang_demo::home_modification::seed_modifications(&t.app)
            .await
            .unwrap();
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        // A county project and a town project, each with money in and out.
        let (_, source) = t
            .post_json(
                &client,
                &csrf,
                "/api/v1/funds/sources",
                json!({ "name": "市级福彩公益金", "kind": "lottery", "region": "4453" }),
            )
            .await;
        let source = source["id"].as_i64().unwrap();
        for (region, budget, allocated, spent) in [
            ("445302", "450000", "300000", "120000.50"),
            ("445302004", "200000", "200000", "0"),
        ] {
            let (status, p) = t
                .post_json(
                    &client,
                    &csrf,
                    "/api/v1/funds/projects",
                    json!({
                "name": "康园中心改建", "kind": "construction", "region": region,
                "budget": budget, "started_on": "2026-02-01" }),
                )
                .await;
            assert_eq!(status, 201, "{p}");
            let p = p["id"].as_i64().unwrap();
            for (path, amount) in [("allocations", allocated), ("expenditures", spent)] {
                if amount == "0" {
                    continue;
                }
                let (status, body) = t.post_json(&client, &csrf, &format!("/api/v1/funds/projects/{p}/{path}"),
                    json!({ "source_id": source, "amount": amount, "day": "2026-03-01", "item": "工程款" })).await;
                assert!(status == 201 || status == 204, "{path}: {status} {body}");
            }
        }
        let year = t.app.today().year();
        for (region, len) in [("4453", 6), ("445302", 9)] {
            let (status, d) = get_json(
                &client,
                &t.url(&format!("/api/v1/regions/{region}/dashboard")),
            )
            .await;
            assert_eq!(status, 200, "{d}");
            let s = d["sections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["key"] == "home_modification")
                .unwrap();
            for line in s["lines"].as_array().unwrap() {
                let code = line["code"].as_str().unwrap();
                let cases = |cond: &str| {
                    format!(
                        "SELECT CAST(COUNT(*) AS BIGINT) FROM home_mod_cases WHERE year = {year} \
                     AND SUBSTR(village_code, 1, {len}) = '{code}' AND {cond}"
                    )
                };
                assert_eq!(
                    line["cells"][1]["value"],
                    scalar(&t, &cases("state IN ('accepted', 'paid')")).await,
                    "done {code}"
                );
                assert_eq!(
                    line["cells"][2]["value"],
                    scalar(&t, &cases("state NOT IN ('accepted', 'paid', 'withdrawn')")).await,
                    "in progress {code}"
                );
                let target = scalar(
                    &t,
                    &format!(
                        "SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) \
                    FROM home_mod_targets WHERE year = {year} AND region_code = '{code}'"
                    ),
                )
                .await;
                assert_eq!(line["cells"][0]["value"], target, "target {code}");
            }
            let f = d["sections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["key"] == "funds")
                .unwrap();
            let sum = |table: &str| {
                format!(
                    "SELECT CAST(COALESCE(SUM(x.amount_fen), 0) AS BIGINT) FROM {table} x \
                JOIN projects p ON p.id = x.project_id WHERE p.region_code LIKE '{region}%'"
                )
            };
            assert_eq!(
                f["total"]["cells"][1]["value"],
                scalar(&t, &sum("allocations")).await
            );
            assert_eq!(
                f["total"]["cells"][2]["value"],
                scalar(&t, &sum("expenditures")).await
            );
            assert_eq!(
                f["total"]["cells"][0]["value"], 65_000_000,
                "budgets in fen"
            );
        }
        let (_, d) = get_json(&client, &t.url("/api/v1/regions/4453/dashboard")).await;
        assert_eq!(value(&d, "home_modification", "4453", "target"), 1310);
        assert_eq!(value(&d, "funds", "445302", "spent"), 12_000_050);
        assert_eq!(cell(&d, "funds", "445302", "spent")["text"], "120,000.50");
        // On the county's own dashboard its own project is "本级", the town's is the town's.
        let (_, d) = get_json(&client, &t.url("/api/v1/regions/445302/dashboard")).await;
        let f = d["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == "funds")
            .unwrap();
        let own = f["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "本级")
            .unwrap();
        assert_eq!(own["cells"][0]["value"], 45_000_000);
        assert_eq!(value(&d, "funds", "445302004", "allocated"), 20_000_000);
    }
);

backend_test!(
    a_large_regions_dashboard_reads_the_days_tallies_and_they_match_the_records,
    |b: Backend| async move {
        // Regions of 100 people or more count as large here, so that the
        // small demo exercises what a province of millions does.
        let config = kangyang_app::Config {
            dashboard_live_limit: 100,
            ..Default::default()
        };
        let t = crate::support::start_app_with_clock(b, config).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        t.user("provincial", Role::Official, "44").await;
        let (client, csrf) = t.login("provincial").await;
        let dashboard = |region: &str| {
            let (client, url) = (
                client.clone(),
                t.url(&format!("/api/v1/regions/{region}/dashboard")),
            );
            async move {
                let (status, d) = get_json(&client, &url).await;
                assert_eq!(status, 200, "{d}");
                d
            }
        };

        // Never counted: every dashboard counts live.
        let live = dashboard("4407").await;
        assert_eq!(live["people_counted_at"], Value::Null);

        let report = kangyang_app::dashboards::refresh_tallies(&t.app)
            .await
            .unwrap();
        let everyone = expected_people(&t, "44", 4).await;
        assert_eq!(
            report.people,
            everyone[&("category".to_owned(), "44".to_owned(), "total".to_owned())]
        );
        // The province, a city and a county read the tallies, and every
        // people figure is still the count of the records.
        for (region, child_len) in [("44", 4), ("4407", 6), ("440784", 9), ("4453", 6)] {
            let d = dashboard(region).await;
            assert!(
                d["people_counted_at"].is_string(),
                "{region} reads the tallies: {}",
                d["people_counted_at"]
            );
            let compared = assert_people_match(&d, &expected_people(&t, region, child_len).await);
            assert!(compared > 20, "{region}: {compared} figures");
        }
        // A town is always counted live, and so is a county below the limit.
        for region in ["440784103", "440106"] {
            assert_eq!(
                dashboard(region).await["people_counted_at"],
                Value::Null,
                "{region}"
            );
        }
        let page = crate::support::get_text(&client, &t.url("/regions/440784/dashboard")).await;
        assert!(
            page.contains("id=\"tallied\""),
            "the page says the figures were counted in advance"
        );

        // A new person shows in the tallied figures after the next count,
        // not before; the page says when they were counted.
        let total = |d: &Value| value(d, "category", "440784", "total");
        let before = total(&dashboard("440784").await);
        person(&t, &client, &csrf, "440784103202", 1, 45, json!({})).await;
        assert_eq!(total(&dashboard("440784").await), before);
        kangyang_app::dashboards::refresh_tallies(&t.app)
            .await
            .unwrap();
        let after = dashboard("440784").await;
        assert_eq!(total(&after), before + 1);
        assert_people_match(&after, &expected_people(&t, "440784", 9).await);

        // The next day, until they are counted again, yesterday's tallies
        // stand, with the time they were counted; then today's.
        let counted = after["people_counted_at"].clone();
        t.advance(24 * 3600);
        let (client, _) = t.login("provincial").await;
        let (status, d) = get_json(&client, &t.url("/api/v1/regions/440784/dashboard")).await;
        assert_eq!(status, 200);
        assert_eq!(d["people_counted_at"], counted);
        kangyang_app::dashboards::refresh_tallies(&t.app)
            .await
            .unwrap();
        let (_, d) = get_json(&client, &t.url("/api/v1/regions/440784/dashboard")).await;
        assert_ne!(d["people_counted_at"], counted);
        assert!(d["people_counted_at"].is_string());
        assert_people_match(&d, &expected_people(&t, "440784", 9).await);
    }
);

/// One published people count: a region with a page (its code) or a
/// village line of a town's page (the town's code and the line's name).
type Figure = (String, usize);

/// A region page's people counts: its own total and each line's, as
/// (line id, texts). Unlinked lines (villages) are named within the page.
fn region_figures(code: &str, page: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let table = page
        .split("<table id=\"public-stats\">")
        .nth(1)
        .unwrap_or_else(|| panic!("{code}: no table"));
    let (body, foot) = table.split_once("<tfoot>").unwrap();
    let mut lines = Vec::new();
    for row in body.split("<tr><td>").skip(1) {
        let id = match row.strip_prefix("<a href=\"/public/regions/") {
            Some(rest) => rest.split('"').next().unwrap().to_owned(),
            None => format!("{code}/{}", row.split('<').next().unwrap()),
        };
        lines.push((id, count_cells(row)));
    }
    (count_cells(foot), lines)
}

/// The values a count can take given its text: (lo, hi), hi = None for no
/// limit. "<5" is 1-4, or 0-4 as a part of a "<5" total (the page says so);
/// "—" is a count of 5 or more hidden to protect another.
fn published_range(text: &str, total_is_small: bool) -> (i64, Option<i64>) {
    match text {
        "&lt;5" | "&#60;5" if total_is_small => (0, Some(4)),
        "&lt;5" | "&#60;5" => (1, Some(4)),
        "—" => (5, None),
        n => {
            let n: i64 = n.parse().unwrap_or_else(|_| panic!("count {n}"));
            (n, Some(n))
        }
    }
}

backend_test!(
    no_small_count_can_be_worked_out_from_the_public_pages,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        let anonymous = t.client();
        // Every page the public can reach, and what each prints.
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue = vec!["/public".to_owned()];
        // What each figure reads, wherever it is printed.
        let mut texts: HashMap<Figure, String> = HashMap::new();
        // Each region page: its total = the sum of its lines.
        let mut sums: Vec<(String, Vec<String>)> = Vec::new();
        let mut twice = 0;
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) {
                continue;
            }
            assert!(seen.len() < 1000, "the portal is a bounded set of pages");
            let res = anonymous.get(t.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let page = res.text().await.unwrap();
            for link in public_links(&page) {
                if !seen.contains(&link) {
                    queue.push(link);
                }
            }
            let Some(code) = path.strip_prefix("/public/regions/") else {
                continue;
            };
            let (total, lines) = region_figures(code, &page);
            let mut printed = vec![(code.to_owned(), total)];
            printed.extend(lines.iter().cloned());
            for (id, cells) in printed {
                assert_eq!(cells.len(), 4, "{path}: {id}");
                for (col, text) in cells.into_iter().enumerate() {
                    match texts.entry((id.clone(), col)) {
                        std::collections::hash_map::Entry::Occupied(e) => {
                            // The same figure reached from two pages.
                            assert_eq!(e.get(), &text, "{id} column {col} differs on {path}");
                            twice += 1;
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(text);
                        }
                    }
                }
            }
            sums.push((code.to_owned(), lines.into_iter().map(|l| l.0).collect()));
        }
        assert!(sums.len() > 20, "the crawl reached the region pages");
        assert!(
            twice > 100,
            "figures printed on two pages were compared ({twice})"
        );

        // The attack: for each column, narrow every figure's range by every
        // "total = sum of lines" until nothing changes.
        let mut hidden = 0;
        for col in 0..4 {
            let mut parts_small: HashSet<String> = HashSet::new();
            for (total, lines) in &sums {
                if published_range(&texts[&(total.clone(), col)], false) == (1, Some(4)) {
                    parts_small.extend(lines.iter().cloned());
                }
            }
            let mut range: HashMap<String, (i64, Option<i64>)> = texts
                .iter()
                .filter(|((_, c), _)| *c == col)
                .map(|((id, _), text)| {
                    (id.clone(), published_range(text, parts_small.contains(id)))
                })
                .collect();
            loop {
                let mut changed = false;
                for (total, lines) in &sums {
                    let mut eq: Vec<&String> = lines.iter().collect();
                    eq.push(total);
                    // total - sum(lines) = 0: each term from the others.
                    for (k, id) in eq.iter().enumerate() {
                        let sign = |j: usize| if j == eq.len() - 1 { 1 } else { -1 };
                        // Range of sum over j != k of -sign(k)*sign(j)*x_j.
                        let (mut lo, mut hi) = (0i64, Some(0i64));
                        for (j, other) in eq.iter().enumerate() {
                            if j == k {
                                continue;
                            }
                            let (l, h) = range[*other];
                            if sign(j) == sign(k) {
                                // x_k = -x_j + ...
                                lo = match h {
                                    Some(h) => lo - h,
                                    None => i64::MIN / 4,
                                };
                                hi = hi.map(|hi| hi - l);
                            } else {
                                lo += l;
                                hi = hi.zip(h).map(|(a, b)| a + b);
                            }
                        }
                        let (l, h) = range[*id];
                        let new_lo = l.max(lo);
                        let new_hi = match (h, hi) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        if (new_lo, new_hi) != (l, h) {
                            range.insert((*id).clone(), (new_lo, new_hi));
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            for ((id, c), text) in &texts {
                let exact = published_range(text, false);
                if *c != col || exact.1 == Some(exact.0) {
                    continue;
                }
                hidden += 1;
                let (lo, hi) = range[id];
                assert!(
                    hi.is_none_or(|hi| lo < hi),
                    "column {col}: {id} ({text}) can be worked out: {lo}..={hi:?}"
                );
            }
        }
        assert!(hidden > 50, "there were hidden counts to attack ({hidden})");
    }
);
