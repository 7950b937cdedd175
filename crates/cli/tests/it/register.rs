//! The person register through the API and pages.

use crate::backend_test;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};

/// A valid ID number for a test person: county of `village`, born 1950 + n.
pub fn id_for(village: &str, n: u16) -> String {
    IdNumber::from_parts(
        &village[..6],
        CivilDate::new(1940 + n % 50, 1 + (n % 12) as u8, 1 + (n % 28) as u8).unwrap(),
        100 + n,
    )
    .unwrap()
    .as_str()
    .to_owned()
}

/// A test person's name (names carry no digits).
pub fn name_for(n: u16) -> String {
    const GIVEN: [&str; 10] = [
        "桂芳", "亚妹", "炳", "锦华", "秀英", "伯", "志强", "丽华", "国明", "玉兰",
    ];
    format!("测试{}", GIVEN[usize::from(n % 10)])
}

/// Creates a person through the API and returns its id.
pub async fn create_person(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    village: &str,
    n: u16,
) -> i64 {
    let res = client
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({
            "id_number": id_for(village, n),
            "name": name_for(n),
            "village": village,
            "phone": format!("138{:08}", n),
            "living_situation": "独居",
            "economic_status": "低保",
            "address": "第3村民小组12号",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: serde_json::Value = res.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

/// Uploads a CSV through the import page, waits for it to finish, returns the job.
pub async fn upload_import(t: &TestApp, client: &reqwest::Client, csrf: &str, csv: &str) -> u64 {
    upload_import_with(t, client, csrf, csv, false).await
}

pub async fn upload_import_with(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    csv: &str,
    accept_valid: bool,
) -> u64 {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("名单.csv"),
        );
    if accept_valid {
        form = form.text("accept_valid", "on");
    }
    let res = client
        .post(t.url("/imports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let job: u64 = location.trim_start_matches("/imports/").parse().unwrap();
    for _ in 0..200 {
        let page = client
            .get(t.url(&location))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !page.contains("id=\"import-progress\"") {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

backend_test!(register_search_and_mask_a_person, |b: Backend| async move {
    let t = start_app(b).await;
    t.user("heshan", Role::Official, "440784").await;
    let (c, csrf) = t.login("heshan").await;
    let id = create_person(&t, &c, &csrf, "440784103202", 7).await;
    let full_id = id_for("440784103202", 7);
    create_person(&t, &c, &csrf, "440784105201", 8).await;

    let (status, p) = get_json(&c, &t.url(&format!("/api/v1/persons/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(p["name"], name_for(7));
    assert_eq!(p["id_number"], format!("4407**********{}", &full_id[14..]));
    assert_eq!(p["phone"], "138****0007");
    assert_eq!(
        p["village_name"],
        "广东省 / 江门市 / 鹤山市 / 古劳镇 / 麦水村委会"
    );
    assert_eq!(p["urban_rural"], "rural");
    assert_eq!(
        p["birth_date"],
        full_id[6..14]
            .chars()
            .enumerate()
            .fold(String::new(), |mut s, (i, c)| {
                if i == 4 || i == 6 {
                    s.push('-');
                }
                s.push(c);
                s
            })
    );
    assert!(p["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "elderly"));
    assert!(
        !p.to_string().contains(&full_id),
        "the API never shows the full ID unasked"
    );

    let search = |q: &str| {
        let url = t.url(&format!("/api/v1/persons?{q}"));
        let c = c.clone();
        async move { get_json(&c, &url).await }
    };
    assert_eq!(search("").await.1["total"], 2);
    assert_eq!(search("region=440784103").await.1["total"], 1);
    assert_eq!(
        search(&format!("id_tail={}", &full_id[14..])).await.1["total"],
        1
    );
    assert_eq!(search("name=%E6%B5%8B%E8%AF%95").await.1["total"], 2); // 测试
    assert_eq!(
        search("category=elderly&living_situation=alone").await.1["total"],
        2
    );
    assert_eq!(search("category=disabled").await.1["total"], 0);
    let (status, body) = search("id_tail=12").await;
    assert_eq!((status, body["field"].as_str()), (422, Some("id_tail")));
});

backend_test!(
    bad_records_name_every_field_and_duplicates_are_refused,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (c, csrf) = t.login("heshan").await;
        let mut wrong_check = id_for("440784103202", 3);
        let last = wrong_check.pop().unwrap();
        wrong_check.push(if last == '0' { '1' } else { '0' });
        let res = c
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "id_number": wrong_check, "name": "", "village": "440784103", "living_situation": "独自" }))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for f in ["id_number", "name", "village", "living_situation"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(
            !body.to_string().contains(&wrong_check),
            "error text never repeats the ID number"
        );

        create_person(&t, &c, &csrf, "440784103202", 4).await;
        let res = c
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "id_number": id_for("440784103202", 4), "name": "重复", "village": "440784103201" }))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "id_number");
        // Outside one's scope: refused with the village named.
        let res = c
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "id_number": id_for("445302001009", 5), "name": "外地", "village": "445302001009" }))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 422);
    }
);

backend_test!(
    changes_and_reveals_are_audited_and_shown_in_history,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("viewer", Role::Viewer, "440784").await;
        let (c, csrf) = t.login("heshan").await;
        let id = create_person(&t, &c, &csrf, "440784103202", 9).await;
        let res = c
        .put(t.url(&format!("/api/v1/persons/{id}")))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "name": name_for(9), "village": "440784103202", "living_situation": "空巢", "economic_status": "低保", "address": "第3村民小组12号", "phone": "13900000009" }))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 204);
        let (_, history) = get_json(&c, &t.url(&format!("/api/v1/persons/{id}/history"))).await;
        let history = history.as_array().unwrap();
        assert_eq!(history.len(), 2);
        let changes = history[1]["changes"].as_array().unwrap();
        let change = |field: &str| changes.iter().find(|c| c["field"] == field).cloned();
        assert_eq!(change("居住状况").unwrap()["old"], "alone");
        assert_eq!(change("居住状况").unwrap()["new"], "empty_nest");
        assert_eq!(
            change("联系电话").unwrap()["new"],
            "139****0009",
            "sensitive values masked in the trail"
        );
        assert!(
            change("身份证号").is_none(),
            "unchanged fields are not listed"
        );

        let reveal = |client: reqwest::Client, csrf: String, reason: &'static str| {
            let url = t.url(&format!("/api/v1/persons/{id}/reveal"));
            async move {
                let res = client
                    .post(url)
                    .header("x-csrf-token", csrf)
                    .json(&serde_json::json!({ "field": "id_number", "reason": reason }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (status, res.json::<serde_json::Value>().await.unwrap())
            }
        };
        assert_eq!(
            reveal(c.clone(), csrf.clone(), "").await.0,
            422,
            "a reason is required"
        );
        let (status, body) = reveal(c.clone(), csrf.clone(), "办理补贴需核对").await;
        assert_eq!(
            (status, body["value"].as_str()),
            (200, Some(id_for("440784103202", 9).as_str()))
        );
        let (viewer, viewer_csrf) = t.login("viewer").await;
        assert_eq!(reveal(viewer, viewer_csrf, "想看看").await.0, 403);

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (reveals,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'person.reveal' AND result = 'ok' AND detail LIKE '%办理补贴需核对%'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(reveals, 1);
        drop(conn);
        assert_eq!(
            get_json(&c, &t.url(&format!("/api/v1/persons/{id}")))
                .await
                .0,
            200
        );
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (reads,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'person.read' AND object_id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(reads, 1, "reading the record is audited");
        // Nowhere in the trail is the ID number in clear.
        let (leaks,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE detail LIKE $1 OR object_id LIKE $1")
        .bind(format!("%{}%", id_for("440784103202", 9)))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(leaks, 0);
    }
);

backend_test!(
    people_of_another_region_are_not_found,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (heshan, csrf) = t.login("heshan").await;
        let (yunfu, _) = t.login("yunfu").await;
        let id = create_person(&t, &heshan, &csrf, "440784103202", 11).await;
        assert_eq!(
            get_json(&yunfu, &t.url(&format!("/api/v1/persons/{id}")))
                .await
                .0,
            404
        );
        assert_eq!(
            get_json(&yunfu, &t.url(&format!("/api/v1/persons/{}", id + 1000)))
                .await
                .0,
            404,
            "the same answer as for no one"
        );
        assert_eq!(
            get_json(&yunfu, &t.url("/api/v1/persons")).await.1["total"],
            0
        );
        assert_eq!(
            get_json(&yunfu, &t.url("/api/v1/persons?region=440784"))
                .await
                .0,
            404
        );
    }
);

#[tokio::test]
async fn facility_staff_see_only_their_facilitys_people() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (c, csrf) = t.login("heshan").await;
    let enrolled = create_person(&t, &c, &csrf, "440784103202", 21).await;
    let _other = create_person(&t, &c, &csrf, "440784103202", 22).await;
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (facility,): (i64,) = sqlx::query_as("INSERT INTO facilities (name, kind, region_code, created_at) VALUES ('古劳镇社区康园中心', 'kangyuan_centre', '440784103', 0) RETURNING id")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO enrolments (person_id, facility_id, start_date) VALUES ($1, $2, '2026-01-05')",
    )
    .bind(enrolled)
    .bind(facility)
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    kangyang_app::users::create_from_cli(
        &t.app,
        &kangyang_app::users::NewAccount {
            username: "gulao_staff".into(),
            display_name: String::new(),
            password: kangyang_app::auth::Password(crate::support::PASSWORD.into()),
            role: Role::FacilityStaff,
            region: kangyang_domain::RegionCode::parse("440784103").unwrap(),
            facility_id: Some(facility),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    let (staff, _) = t.login("gulao_staff").await;
    let (_, page) = get_json(&staff, &t.url("/api/v1/persons")).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["persons"][0]["id"], enrolled);
    assert_eq!(
        get_json(&staff, &t.url(&format!("/api/v1/persons/{}", enrolled + 1)))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_database_file_holds_no_id_number_in_clear() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (c, csrf) = t.login("heshan").await;
    let mut ids = Vec::new();
    for n in 0..20 {
        create_person(&t, &c, &csrf, "440784103202", 30 + n).await;
        ids.push(id_for("440784103202", 30 + n));
    }
    let dir = t._db.dir.as_ref().unwrap().path().to_owned();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 100_000);
    for id in &ids {
        assert!(
            !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
            "an ID number is in clear in the database files"
        );
    }
}

backend_test!(
    imports_from_the_page_and_exports_masked_unless_asked,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("viewer", Role::Viewer, "440784").await;
        let (c, csrf) = t.login("heshan").await;
        let good = id_for("440784103202", 41);
        let good2 = id_for("440784103203", 42);
        let csv = format!("姓名,身份证号,居住村（社区）代码,联系电话\n{},{good},440784103202,13800000041\n{},{good2},440784103203,\n错行,{}X,440784103202,\n", name_for(41), name_for(42), &good[..17]);
        let job = upload_import(&t, &c, &csrf, &csv).await;
        let page = c
            .get(t.url(&format!("/imports/{job}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("imported 0, updated 0, unchanged 0, rejected 1"),
            "{page}"
        );
        let book = c
            .get(t.url(&format!("/imports/{job}/errors.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(book.status(), 200);
        let mut reader = kangyang_app::sheet::SheetReader::open(
            book.bytes().await.unwrap().to_vec(),
            kangyang_app::sheet::SheetFormat::Xlsx,
        )
        .unwrap();
        assert_eq!(reader.by_ref().count(), 1);
        assert_eq!(get_json(&c, &t.url("/api/v1/persons")).await.1["total"], 0);

        let job = upload_import_with(&t, &c, &csrf, &csv, true).await;
        let page = c
            .get(t.url(&format!("/imports/{job}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("imported 2, updated 0, unchanged 0, rejected 1"),
            "{page}"
        );
        assert_eq!(get_json(&c, &t.url("/api/v1/persons")).await.1["total"], 2);
        let (viewer, _) = t.login("viewer").await;
        assert_eq!(
            viewer
                .get(t.url(&format!("/imports/{job}")))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "a job is its owner's"
        );

        let csv_out = c
            .get(t.url("/persons/export.csv?region=440784103"))
            .send()
            .await
            .unwrap();
        assert_eq!(csv_out.status(), 200);
        let text = csv_out.text().await.unwrap();
        assert!(text.starts_with("\u{feff}身份证号"));
        assert_eq!(text.lines().count(), 3);
        assert!(!text.contains(&good), "masked by default");
        assert!(text.contains("138****0041"));
        let full = c
            .get(t.url("/persons/export.csv?unmasked=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(full.contains(&good) && full.contains("13800000041"));
        assert_eq!(
            viewer
                .get(t.url("/persons/export.csv"))
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "a viewer may not export"
        );

        let xlsx = c
            .get(t.url("/api/v1/persons/export?format=xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), 200);
        let reader = kangyang_app::sheet::SheetReader::open(
            xlsx.bytes().await.unwrap().to_vec(),
            kangyang_app::sheet::SheetFormat::Xlsx,
        )
        .unwrap();
        assert_eq!(reader.count(), 2);

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (exports,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'person.export' AND result = 'ok'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(exports, 3, "every export is audited");
        let (unmasked,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'person.export' AND detail LIKE '%\"unmasked\":true%'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(unmasked, 1);
    }
);

backend_test!(
    a_capability_assessment_sets_the_level_and_keeps_the_history,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let id = create_person(&t, &client, &csrf, "440784103202", 7).await;
        let template = kangyang_domain::capability::capability_template();
        let assess = |scores: serde_json::Map<String, serde_json::Value>, day: String| {
            client
                .post(t.url(&format!("/api/v1/persons/{id}/capability")))
                .header("x-csrf-token", &csrf)
                .json(&serde_json::json!({ "scores": scores, "assessed_on": day, "assessor": "评估员甲" }))
                .send()
        };
        // Everything at its maximum but the stairs and transport: 90 - 3 - 3 = 84, mildly impaired.
        let scores: serde_json::Map<String, serde_json::Value> = template
            .criteria()
            .map(|c| {
                let s = if c.code == "mobility.stairs" || c.code == "perception.transport" {
                    0
                } else {
                    c.max_score
                };
                (c.code.clone(), s.into())
            })
            .collect();
        let res = assess(scores.clone(), "2026-01-10".into()).await.unwrap();
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            (body["total"].clone(), body["level"].clone()),
            (84.into(), "mild".into())
        );
        let (_, person) = get_json(&client, &t.url(&format!("/api/v1/persons/{id}"))).await;
        assert_eq!(person["capability_level"], "mild");
        assert_eq!(person["capability_level_label"], "能力轻度受损（轻度失能）");

        // A score above an item's maximum is refused naming the item; nothing changes.
        let mut bad = scores.clone();
        bad.insert("self_care.eating".into(), 9.into());
        let res = assess(bad, "2026-02-10".into()).await.unwrap();
        assert_eq!(res.status(), 422);
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("self_care.eating"),
            "{body}"
        );

        // A later assessment with nothing able: completely lost; the history keeps both.
        let none: serde_json::Map<String, serde_json::Value> = template
            .criteria()
            .map(|c| (c.code.clone(), 0.into()))
            .collect();
        assert_eq!(
            assess(none, "2026-03-10".into()).await.unwrap().status(),
            201
        );
        let (_, person) = get_json(&client, &t.url(&format!("/api/v1/persons/{id}"))).await;
        assert_eq!(person["capability_level"], "lost");
        let (_, history) =
            get_json(&client, &t.url(&format!("/api/v1/persons/{id}/capability"))).await;
        let levels: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["lost", "mild"]);
        // The page shows the level and the form.
        let page = client
            .get(t.url(&format!("/persons/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("能力完全丧失"));
        let form = client
            .get(t.url(&format!("/persons/{id}/capability")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            form.matches(" max=\"").count(),
            26,
            "one field per item of the standard"
        );
    }
);

/// People of the register whose village is under `prefix` and who meet
/// `and` (an SQL condition, or TRUE), counted directly.
async fn people_under(t: &TestApp, prefix: &str, and: &str) -> i64 {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM persons WHERE village_code LIKE $1 AND {and}"
    ))
    .bind(format!("{prefix}%"))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    n
}

backend_test!(
    a_search_of_a_city_counts_every_match,
    |b: Backend| async move {
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.08).await.unwrap();
        let yunfu = people_under(&t, "4453", "TRUE").await;
        assert!(
            yunfu > 1_000,
            "the demo at 0.08 has {yunfu} people in Yunfu"
        );
        t.user("yunfu", Role::Official, "4453").await;
        let (client, _) = t.login("yunfu").await;

        let (status, page) = get_json(&client, &t.url("/api/v1/persons")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], yunfu);
        assert_eq!(page["total_is_estimate"], false);
        assert_eq!(page["total_is_lower_bound"], false);
        assert_eq!(page["persons"].as_array().unwrap().len(), 50);
        let html = crate::support::get_text(&client, &t.url("/persons")).await;
        assert!(
            html.contains(&format!("共 {yunfu} 人")),
            "the list says how many"
        );
        assert!(!html.contains("超过"), "no bare lower bound");

        // A narrower search is counted exactly too.
        let county = people_under(&t, "445302", "TRUE").await;
        assert!(county > 0 && county < yunfu, "{county}");
        let (status, page) = get_json(&client, &t.url("/api/v1/persons?region=445302")).await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], county);
        assert_eq!(page["total_is_estimate"], false);

        // The last page is there; the one after it is refused, naming the pages.
        let pages = (yunfu + 49) / 50;
        let (status, page) =
            get_json(&client, &t.url(&format!("/api/v1/persons?page={pages}"))).await;
        assert_eq!(status, 200);
        assert_eq!(
            page["persons"].as_array().unwrap().len() as i64,
            yunfu - (pages - 1) * 50
        );
        let (status, body) = get_json(
            &client,
            &t.url(&format!("/api/v1/persons?page={}", pages + 1)),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("共 {pages} 页")),
            "{body}"
        );
    }
);

backend_test!(
    a_search_past_the_count_limit_shows_an_estimate_near_the_truth,
    |b: Backend| async move {
        const LIMIT: i64 = 300;
        let t = crate::support::start_app_with_clock(
            b,
            kangyang_app::Config {
                search_count_limit: LIMIT,
                ..kangyang_app::Config::default()
            },
        )
        .await;
        kangyang_demo::seed_people(&t.app, 0.08).await.unwrap();
        if b == Backend::Postgres {
            // The planner's estimate reads the statistics autovacuum keeps
            // on a live server; a test's fresh table has none yet.
            sqlx::query("ANALYZE persons")
                .execute(t.app.store().pool())
                .await
                .unwrap();
        }
        let rural = people_under(&t, "4453", "urban_rural = 'rural'").await;
        let town = people_under(&t, "445302", "TRUE").await;
        assert!(rural > LIMIT, "{rural} rural people in Yunfu");
        assert!(town <= LIMIT, "{town} people in the county");
        t.user("yunfu", Role::Official, "4453").await;
        let (client, _) = t.login("yunfu").await;

        // Under the limit: exact.
        let (status, page) = get_json(&client, &t.url("/api/v1/persons?region=445302")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], town);
        assert_eq!(page["total_is_estimate"], false);

        // Over it: an estimate, never the limit itself passed off as a count.
        let (status, page) = get_json(&client, &t.url("/api/v1/persons?urban_rural=rural")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total_is_estimate"], true);
        assert_eq!(page["total_is_lower_bound"], false);
        let estimate = page["total"].as_i64().unwrap();
        assert!(
            estimate > LIMIT && estimate * 2 >= rural && estimate <= rural * 2,
            "estimated {estimate} for {rural}"
        );
        let html = crate::support::get_text(&client, &t.url("/persons?urban_rural=rural")).await;
        let said = html
            .split("约 ")
            .nth(1)
            .and_then(|rest| rest.split(" 人").next())
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("the list says 约 N 人"));
        assert!(
            said * 2 >= rural && said <= rural * 2,
            "约 {said} for {rural}"
        );
        assert!(!html.contains("超过"), "no bare lower bound");

        // Paging through an estimated list works, and past its end is refused.
        let (status, page) =
            get_json(&client, &t.url("/api/v1/persons?urban_rural=rural&page=2")).await;
        assert_eq!(status, 200);
        assert_eq!(page["persons"].as_array().unwrap().len(), 50);
        let (status, _) = get_json(
            &client,
            &t.url(&format!("/api/v1/persons?urban_rural=rural&page={}", rural)),
        )
        .await;
        assert_eq!(status, 422);

        // The region alone, over the limit: SQLite counts it from the village
        // index (exact); PostgreSQL estimates it from its statistics.
        let yunfu = people_under(&t, "4453", "TRUE").await;
        let (status, page) = get_json(&client, &t.url("/api/v1/persons")).await;
        assert_eq!(status, 200);
        let total = page["total"].as_i64().unwrap();
        match b {
            Backend::Sqlite => {
                assert_eq!(total, yunfu);
                assert_eq!(page["total_is_estimate"], false);
            }
            Backend::Postgres => {
                assert!(
                    total * 2 >= yunfu && total <= yunfu * 2,
                    "{total} for {yunfu}"
                );
                assert_eq!(page["total_is_estimate"], true);
            }
        }
    }
);

backend_test!(
    a_person_is_found_by_id_number_in_scope_without_the_number_in_a_url,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (c, csrf) = t.login("heshan").await;
        let id = create_person(&t, &c, &csrf, "440784103202", 7).await;
        let full_id = id_for("440784103202", 7);
        let find = |client: reqwest::Client, csrf: String, number: String| {
            let url = t.url("/api/v1/persons/find");
            async move {
                let res = client
                    .post(url)
                    .header("x-csrf-token", csrf)
                    .json(&serde_json::json!({ "id_number": number }))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (
                    status,
                    res.json::<serde_json::Value>().await.unwrap_or_default(),
                )
            }
        };

        let (status, found) = find(c.clone(), csrf.clone(), full_id.clone()).await;
        assert_eq!((status, found["id"].as_i64()), (200, Some(id)), "{found}");
        // Typed with a lower-case x or spaces around, still found.
        let (status, _) = find(
            c.clone(),
            csrf.clone(),
            format!(" {} ", full_id.to_lowercase()),
        )
        .await;
        assert_eq!(status, 200);
        // A mistyped number names the field; one not registered is not found.
        let mut wrong = full_id.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(17.., last);
        let (status, body) = find(c.clone(), csrf.clone(), wrong).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("id_number")),
            "{body}"
        );
        let (status, _) = find(c.clone(), csrf.clone(), id_for("440784103202", 8)).await;
        assert_eq!(status, 404);
        // Outside one's scope the person is not found either.
        let (yc, ycsrf) = t.login("yunfu").await;
        let (status, _) = find(yc, ycsrf, full_id.clone()).await;
        assert_eq!(status, 404);

        // The page's form opens the person, or says why not.
        let res = c
            .post(t.url("/persons/find"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("id_number", full_id.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], format!("/persons/{id}").as_str());
        let res = c
            .post(t.url("/persons/find"))
            .form(&[("csrf_token", csrf.as_str()), ("id_number", "12345")])
            .send()
            .await
            .unwrap();
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(!location.contains("12345"), "{location}");
        let page = crate::support::get_text(&c, &t.url(&location)).await;
        assert!(page.contains("身份证号格式或校验位不正确"), "{page}");

        // The look-ups are audited by the person found, never by the number.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT action, object_id, result, detail FROM audit_log WHERE action = 'person.find'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert!(rows.iter().any(|r| r.1 == id.to_string() && r.2 == "ok"));
        assert!(rows.iter().any(|r| r.2 != "ok"), "the refused look-ups too");
        let (leaks,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE detail LIKE $1 OR object_id LIKE $1",
        )
        .bind(format!("%{}%", &full_id[6..]))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(leaks, 0);
    }
);
