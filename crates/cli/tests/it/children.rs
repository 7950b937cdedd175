//! Children in care: a child's file is open to the staff assigned to the
//! child; anyone else in scope must give a reason (break-glass), which is
//! audited and waits for the auditor; outside one's scope the child is 404.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{get_json, post_json, start_app_with_clock, Backend, TestApp, PASSWORD};
use kangyang_app::auth::Password;
use kangyang_app::{users, Config};
use kangyang_domain::{CivilDate, IdNumber, RegionCode, Role};
use serde_json::json;

async fn staff(t: &TestApp, username: &str, facility: i64, region: &str) {
    users::create_from_cli(
        &t.app,
        &users::NewAccount {
            username: username.into(),
            display_name: format!("保育员{}", name_for(username.len() as u16)),
            password: Password(PASSWORD.to_owned()),
            role: Role::FacilityStaff,
            region: RegionCode::parse(region).unwrap(),
            facility_id: Some(facility),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
}

/// A welfare home in Yuncheng with one child placed in it: (home, child).
async fn home_with_child(t: &TestApp, official: &reqwest::Client, csrf: &str) -> (i64, i64) {
    let (status, home) = post_json(
        official,
        csrf,
        &t.url("/api/v1/facilities"),
        json!({ "name": "云浮市儿童福利院", "kind": "welfare_home", "region": "445302" }),
    )
    .await;
    assert_eq!(status, 201, "{home}");
    let home = home["id"].as_i64().unwrap();
    let today = t.app.today();
    let born = CivilDate::new(today.year() - 10, 5, 12).unwrap();
    let (status, child) = post_json(
        official,
        csrf,
        &t.url("/api/v1/persons"),
        json!({
            "id_number": IdNumber::from_parts("445302", born, 512).unwrap().as_str(),
            "name": name_for(4), "village": "445302004001", "address": "福利院路1号",
            "child_category": "集中供养",
        }),
    )
    .await;
    assert_eq!(status, 201, "{child}");
    let child = child["id"].as_i64().unwrap();
    let (status, body) = post_json(
        official,
        csrf,
        &t.url(&format!("/api/v1/facilities/{home}/enrolments")),
        json!({ "person_id": child }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (home, child)
}

backend_test!(
    a_childs_file_is_for_its_carers_and_others_must_give_a_reason,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("auditor", Role::Auditor, "44").await;
        let (official, csrf) = t.login("yunfu").await;
        let (home, child) = home_with_child(&t, &official, &csrf).await;
        staff(&t, "carer", home, "445302").await;
        staff(&t, "colleague", home, "445302").await;
        let file_url = t.url(&format!("/api/v1/children/{child}"));

        // Before anyone is assigned, not even the home's staff read the file.
        let (carer, carer_csrf) = t.login("carer").await;
        let (status, body) = get_json(&carer, &file_url).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("reason_required"))
        );

        // The official assigns the carer; only the home's own staff can be.
        let carers = t.url(&format!("/api/v1/children/{child}/carers"));
        let (status, body) =
            post_json(&official, &csrf, &carers, json!({ "username": "heshan" })).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("username")));
        let (status, _) =
            post_json(&official, &csrf, &carers, json!({ "username": "carer" })).await;
        assert_eq!(status, 204);

        // The carer writes the file and records an activity.
        let (status, body) = post_json(
            &carer,
            &carer_csrf,
            &file_url,
            json!({ "guardianship": "state_long_term", "schooling": "primary",
                    "school": "云城区第二小学四年级", "health": "对青霉素过敏",
                    "allowance": "2000", "guardian": "云浮市民政局" }),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let (status, body) = post_json(
            &carer,
            &carer_csrf,
            &file_url,
            json!({ "guardianship": "grandma", "schooling": "primary" }),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("guardianship"))
        );
        let (status, _) = post_json(
            &carer,
            &carer_csrf,
            &t.url(&format!("/api/v1/children/{child}/activities")),
            json!({ "day": t.app.today().to_string(), "kind": "health_check", "notes": "体检正常" }),
        )
        .await;
        assert_eq!(status, 201);
        let (status, file) = get_json(&carer, &file_url).await;
        assert_eq!(status, 200, "{file}");
        assert_eq!(file["access"], "assigned");
        assert_eq!(file["file"]["guardianship_label"], "民政部门长期监护");
        assert_eq!(file["file"]["details"]["health"], "对青霉素过敏");
        assert_eq!(file["file"]["allowance"], "2,000.00");
        assert_eq!(file["activities"][0]["kind_label"], "健康检查");

        // A colleague at the same home: a reason first, then read-only.
        let (colleague, colleague_csrf) = t.login("colleague").await;
        let (status, body) = get_json(&colleague, &file_url).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("reason_required"))
        );
        assert!(
            !body.to_string().contains("青霉素"),
            "nothing of the file in the refusal"
        );
        let glass = t.url(&format!("/api/v1/children/{child}/break-glass"));
        let (status, body) = post_json(
            &colleague,
            &colleague_csrf,
            &glass,
            json!({ "reason": "看看" }),
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("reason")));
        assert_eq!(
            get_json(&colleague, &file_url).await.0,
            403,
            "a bad reason opens nothing"
        );
        let (status, opened) = post_json(
            &colleague,
            &colleague_csrf,
            &glass,
            json!({ "reason": "夜间急诊，需核对过敏史" }),
        )
        .await;
        assert_eq!(status, 200, "{opened}");
        let (status, file) = get_json(&colleague, &file_url).await;
        assert_eq!(status, 200);
        assert_eq!(file["access"], "break_glass");
        assert_eq!(file["file"]["details"]["health"], "对青霉素过敏");
        let (status, _) = post_json(
            &colleague,
            &colleague_csrf,
            &file_url,
            json!({ "guardianship": "family", "schooling": "primary" }),
        )
        .await;
        assert_eq!(status, 403, "a break-glass look does not change the file");

        // Another city's official: the child does not exist for them.
        let (heshan, heshan_csrf) = t.login("heshan").await;
        assert_eq!(get_json(&heshan, &file_url).await.0, 404);
        let (status, _) = post_json(
            &heshan,
            &heshan_csrf,
            &glass,
            json!({ "reason": "核对信息需要" }),
        )
        .await;
        assert_eq!(status, 404);

        // The auditor sees the opening with its reason and reviews it.
        let (status, body) = get_json(&official, &t.url("/api/v1/audit/break-glass")).await;
        assert_eq!(status, 403, "officials do not review break-glass: {body}");
        let (auditor, auditor_csrf) = t.login_with_totp("auditor").await;
        let (status, report) = get_json(&auditor, &t.url("/api/v1/audit/break-glass")).await;
        assert_eq!(status, 200);
        assert_eq!(report["awaiting_review"], 1);
        let entry = &report["entries"][0];
        assert_eq!(entry["username"], "colleague");
        assert_eq!(entry["reason"], "夜间急诊，需核对过敏史");
        assert_eq!(entry["person_id"], child);
        assert_eq!(entry["facility"], "云浮市儿童福利院");
        let review = t.url(&format!(
            "/api/v1/audit/break-glass/{}/review",
            entry["id"].as_i64().unwrap()
        ));
        let (status, _) = post_json(
            &auditor,
            &auditor_csrf,
            &review,
            json!({ "note": "理由属实" }),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) =
            post_json(&auditor, &auditor_csrf, &review, json!({ "note": "改写" })).await;
        assert_eq!(status, 404, "a review is not overwritten");
        let (_, report) = get_json(&auditor, &t.url("/api/v1/audit/break-glass")).await;
        assert_eq!(report["awaiting_review"], 0);
        assert_eq!(report["entries"][0]["review_note"], "理由属实");

        // The trail: the colleague's reading says how it was allowed.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT action, result, detail FROM audit_log WHERE username = 'colleague' \
             AND action LIKE 'child.%' ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let actions: Vec<(&str, &str)> = rows
            .iter()
            .map(|(a, r, _)| (a.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("child.read", "denied"),
                ("child.read", "denied"),
                ("child.break_glass", "ok"),
                ("child.read", "ok"),
                ("child.write", "denied"),
            ]
        );
        assert!(rows[2].2.contains("夜间急诊"), "the reason is in the trail");
        assert!(rows[3].2.contains("break_glass"), "{}", rows[3].2);

        // The opening lasts half an hour; then a new reason is needed.
        t.advance(31 * 60);
        let (colleague, _) = t.login("colleague").await;
        let (status, body) = get_json(&colleague, &file_url).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("reason_required"))
        );
        let (carer, _) = t.login("carer").await;
        assert_eq!(
            get_json(&carer, &file_url).await.0,
            200,
            "carers keep their access"
        );

        // Taken off the child, the carer is like anyone else.
        let (official, csrf) = t.login("yunfu").await;
        let (status, _) = post_json(
            &official,
            &csrf,
            &carers,
            json!({ "username": "carer", "remove": true }),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(get_json(&carer, &file_url).await.0, 403);
    }
);

backend_test!(
    the_homes_list_shows_names_and_whose_child_but_nothing_from_files,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let (home, child) = home_with_child(&t, &official, &csrf).await;
        staff(&t, "carer", home, "445302").await;
        staff(&t, "colleague", home, "445302").await;
        let (status, _) = post_json(
            &official,
            &csrf,
            &t.url(&format!("/api/v1/children/{child}/carers")),
            json!({ "username": "carer" }),
        )
        .await;
        assert_eq!(status, 204);
        let list = t.url(&format!("/api/v1/facilities/{home}/children"));
        let (carer, _) = t.login("carer").await;
        let (status, mine) = get_json(&carer, &list).await;
        assert_eq!(status, 200);
        assert_eq!(mine[0]["person_id"], child);
        assert_eq!(mine[0]["mine"], true);
        assert_eq!(mine[0]["age"], 10);
        let (colleague, _) = t.login("colleague").await;
        let (_, theirs) = get_json(&colleague, &list).await;
        assert_eq!(theirs[0]["mine"], false);

        // The page: a carer's link opens the file; a colleague's asks why.
        let page = carer
            .get(t.url(&format!("/facilities/{home}/children")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("我负责"), "{page}");
        let res = colleague
            .get(t.url(&format!("/children/{child}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("须先说明理由") || page.contains("说明理由"),
            "{page}"
        );
        assert!(page.contains("id=\"reason-form\""));
    }
);

backend_test!(
    an_auditor_bound_to_a_county_reads_only_that_countys_trail,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("heshan_auditor", Role::Auditor, "440784").await;
        t.user("yunfu_auditor", Role::Auditor, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let (home, child) = home_with_child(&t, &official, &csrf).await;
        staff(&t, "colleague", home, "445302").await;
        let (colleague, colleague_csrf) = t.login("colleague").await;
        let reason = "夜间急诊，需核对过敏史";
        let glass = t.url(&format!("/api/v1/children/{child}/break-glass"));
        let (status, _) = post_json(
            &colleague,
            &colleague_csrf,
            &glass,
            json!({ "reason": reason }),
        )
        .await;
        assert_eq!(status, 200);
        // Heshan's official does something of their own, to be found.
        let (heshan, heshan_csrf) = t.login("heshan").await;
        let (status, _) = post_json(
            &heshan,
            &heshan_csrf,
            &t.url("/api/v1/facilities"),
            json!({ "name": "古劳镇康园中心", "kind": "kangyuan_centre", "region": "440784103" }),
        )
        .await;
        assert_eq!(status, 201);

        // Heshan's auditor: neither Yunfu's break-glass opening nor its
        // rows of the trail, in the list, the search or the export.
        let (auditor, auditor_csrf) = t.login_with_totp("heshan_auditor").await;
        let (status, report) = get_json(&auditor, &t.url("/api/v1/audit/break-glass")).await;
        assert_eq!(status, 200);
        assert_eq!(report["awaiting_review"], 0, "{report}");
        assert_eq!(report["entries"].as_array().unwrap().len(), 0, "{report}");
        let (status, found) = get_json(&auditor, &t.url("/api/v1/audit")).await;
        assert_eq!(status, 200, "{found}");
        let text = found.to_string();
        assert!(!text.contains("夜间急诊"), "Yunfu's reason leaked: {text}");
        assert!(
            !text.contains("colleague") && !text.contains("\"yunfu\""),
            "{text}"
        );
        assert!(
            text.contains("facility.create") || text.contains("heshan"),
            "{text}"
        );
        let export = auditor
            .get(t.url("/audit/export.csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!export.contains("夜间急诊") && !export.contains("colleague"));
        assert!(export.contains("heshan"), "own rows are exported");
        let page = auditor
            .get(t.url("/audit?username=colleague"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains("夜间急诊"));

        // Nor may they mark Yunfu's opening reviewed: it is not there for them.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (grant,): (i64,) = sqlx::query_as("SELECT id FROM break_glass")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let review = t.url(&format!("/api/v1/audit/break-glass/{grant}/review"));
        let (status, _) =
            post_json(&auditor, &auditor_csrf, &review, json!({ "note": "已核" })).await;
        assert_eq!(status, 404);

        // Yunfu's auditor sees the opening and its reason, and reviews it.
        let (yunfu_auditor, yunfu_csrf) = t.login_with_totp("yunfu_auditor").await;
        let (_, report) = get_json(&yunfu_auditor, &t.url("/api/v1/audit/break-glass")).await;
        assert_eq!(report["awaiting_review"], 1, "{report}");
        assert_eq!(report["entries"][0]["reason"], reason);
        let (_, found) = get_json(&yunfu_auditor, &t.url("/api/v1/audit?username=colleague")).await;
        assert!(found.to_string().contains("夜间急诊"), "{found}");
        let (_, found) = get_json(&yunfu_auditor, &t.url("/api/v1/audit?username=heshan")).await;
        assert_eq!(found["total"], 0, "Heshan's rows are not Yunfu's: {found}");
        let (status, _) = post_json(
            &yunfu_auditor,
            &yunfu_csrf,
            &review,
            json!({ "note": "理由属实" }),
        )
        .await;
        assert_eq!(status, 204);
    }
);
