//! The facility-location planner through the API and its page, and
//! construction projects.

use crate::backend_test;
use crate::register::create_person;
use crate::support::{assert_bad_field, get_json, post_json, start_app, Backend, TestApp};
use kangyang_domain::Role;

const GULAO: &str = "440784103";

/// Heshan's official with elderly people in eight of Gulao's villages (two
/// each), one in Longkou town, and Gulao's elder canteen with coordinates.
async fn seeded(t: &TestApp) -> (reqwest::Client, String) {
    t.user("heshan", Role::Official, "440784").await;
    let (client, csrf) = t.login("heshan").await;
    let mut n = 1;
    for village in 201..=208 {
        for _ in 0..2 {
            // Born 1940 + n: all over 60.
            create_person(t, &client, &csrf, &format!("{GULAO}{village}"), n).await;
            n += 1;
        }
    }
    create_person(t, &client, &csrf, "440784101201", n).await;
    let (status, _) = post_json(
        &client,
        &csrf,
        t.url("/api/v1/facilities"),
        serde_json::json!({ "name": "古劳长者饭堂", "kind": "elder_canteen", "region": GULAO,
            "longitude": "112.9500", "latitude": "22.8000" }),
    )
    .await;
    assert_eq!(status, 201);
    (client, csrf)
}

backend_test!(
    the_planner_adds_coverage_and_says_why,
    |b: Backend| async move {
        let t = start_app(b).await;
        let (client, csrf) = seeded(&t).await;
        let url = t.url(&format!("/api/v1/regions/{GULAO}/plan"));
        let plan = |body: serde_json::Value| post_json(&client, &csrf, url.clone(), body);

        let (status, p) =
            plan(serde_json::json!({ "kind": "elder_canteen", "k": 2, "radius_km": 1.0 })).await;
        assert_eq!(status, 200, "{p}");
        // Gulao's sixteen, not Longkou's one.
        assert_eq!(p["before"]["people"], 16);
        assert_eq!(p["villages"], 13);
        assert_eq!(p["villages_with_need"], 8);
        assert_eq!(p["existing"].as_array().unwrap().len(), 1);
        let before = p["before"]["covered"].as_u64().unwrap();
        let after = p["after"]["covered"].as_u64().unwrap();
        assert!(
            after > before,
            "two new sites cover more ({before} → {after})"
        );
        let chosen = p["chosen"].as_array().unwrap();
        assert_eq!(chosen.len(), 2);
        let gains: u64 = chosen
            .iter()
            .map(|c| c["gain"].as_f64().unwrap() as u64)
            .sum();
        assert_eq!(gains, after - before, "the reasons add up to the gain");
        for c in chosen {
            let why = c["why"].as_str().unwrap();
            assert!(
                why.contains("新增覆盖") && why.contains("受益最多"),
                "{why}"
            );
            assert!(c["site"]["village_code"]
                .as_str()
                .unwrap()
                .starts_with(GULAO));
        }
        assert!(p["bound"].as_f64().unwrap() >= p["value"].as_f64().unwrap());
        assert!(p["gap_percent"].as_f64().unwrap() >= 0.0);
        assert!(p["placement_note"].as_str().unwrap().contains("估算"));

        // K = 0 changes nothing.
        let (status, p0) =
            plan(serde_json::json!({ "kind": "elder_canteen", "k": 0, "radius_km": 1.0 })).await;
        assert_eq!(status, 200);
        assert!(p0["chosen"].as_array().unwrap().is_empty());
        assert_eq!(p0["after"], p0["before"]);
        assert_eq!(p0["before"]["covered"].as_u64().unwrap(), before);

        // The p-median shortens the mean distance.
        let (status, pm) =
            plan(serde_json::json!({ "kind": "elder_canteen", "k": 2, "objective": "median" }))
                .await;
        assert_eq!(status, 200, "{pm}");
        assert!(
            pm["after"]["mean_km"].as_f64().unwrap() < pm["before"]["mean_km"].as_f64().unwrap()
        );

        // Given candidate points, with a capacity (no nursing home yet: all
        // sixteen are within reach, the site serves three).
        let (status, pc) = plan(serde_json::json!({ "kind": "nursing_home", "k": 1, "radius_km": 50.0,
            "use_capacity": true,
            "candidates": [{ "name": "镇中心", "longitude": 112.96, "latitude": 22.81, "capacity": 3 }] }))
        .await;
        assert_eq!(status, 200, "{pc}");
        assert!(pc["capacitated"].as_bool().unwrap());
        assert_eq!(pc["chosen"][0]["site"]["name"], "镇中心");
        assert_eq!(pc["before"]["covered"], 0);
        assert_eq!(pc["after"]["covered"], 3);

        // Bad input: 422 naming the field.
        for (body, field) in [
            (serde_json::json!({}), "kind"),
            (
                serde_json::json!({ "kind": "elder_canteen", "radius_km": 0 }),
                "radius_km",
            ),
            (serde_json::json!({ "kind": "elder_canteen", "k": 14 }), "k"),
            (serde_json::json!({ "kind": "elder_canteen", "k": -1 }), "k"),
            (
                serde_json::json!({ "kind": "elder_canteen", "objective": "fastest" }),
                "objective",
            ),
            (
                serde_json::json!({ "kind": "elder_canteen", "objective": "median", "radius_km": 5, "cutoff_km": 2 }),
                "cutoff_km",
            ),
            (
                serde_json::json!({ "kind": "elder_canteen", "candidates": [{ "name": "x", "longitude": 200.0, "latitude": 22.0 }] }),
                "candidates",
            ),
        ] {
            let (status, e) = plan(body.clone()).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(e["field"], field, "{body}: {e}");
        }

        // Out of scope: not found, for the API and the page, and audited.
        let (status, _) = post_json(
            &client,
            &csrf,
            t.url("/api/v1/regions/445302/plan"),
            serde_json::json!({ "kind": "elder_canteen" }),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = get_json(&client, &t.url("/regions/445302/planner")).await;
        assert_eq!(status, 404);

        // The page: a form, then an answer with the map and the reasons.
        let page = client
            .get(t.url(&format!("/regions/{GULAO}/planner")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("plan-form"));
        let page = client
            .get(t.url(&format!(
                "/regions/{GULAO}/planner?kind=elder_canteen&k=2&radius_km=1"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains("选址及理由") && body.contains("<svg") && body.contains("新增覆盖"));
        assert!(
            body.contains("估算"),
            "the page says positions are approximate"
        );
        let page = client
            .get(t.url(&format!(
                "/regions/{GULAO}/planner?kind=elder_canteen&radius_km=far"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 422);
        assert!(page.text().await.unwrap().contains("服务半径"));

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (plans,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'planning.plan' AND result = 'ok'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(plans >= 4);
    }
);

backend_test!(
    construction_projects_flag_delays_and_add_up_payments,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("heshan").await;
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        // A funds project pays for it.
        let (status, fp) = post_json(&client, &csrf, t.url("/api/v1/funds/projects"),
            serde_json::json!({ "name": "古劳康园中心改建", "kind": "construction", "region": "440784",
                "budget": "470000", "started_on": "2025-01-10" })).await;
        assert_eq!(status, 201, "{fp}");
        let fund_project = fp["id"].as_i64().unwrap();
        let (status, c) = post_json(
            &client,
            &csrf,
            t.url("/api/v1/construction"),
            serde_json::json!({ "name": "古劳镇康园中心新址", "region": GULAO,
                "facility_kind": "kangyuan_centre", "budget": "470000", "floor_area_m2": 350,
                "fund_project_id": fund_project,
                "milestones": [
                    { "stage": "tendering", "name": "招标完成", "planned_on": "2025-02-01" },
                    { "stage": "contract", "name": "合同签订", "planned_on": "2025-03-01" },
                    { "stage": "in_use", "name": "交付使用", "planned_on": "2099-12-31" }
                ] }),
        )
        .await;
        assert_eq!(status, 201, "{c}");
        let id = c["id"].as_i64().unwrap();
        let detail = |client: reqwest::Client| {
            let url = t.url(&format!("/api/v1/construction/{id}"));
            async move { get_json(&client, &url).await }
        };
        let (status, d) = detail(client.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(d["build"]["stage"], "planning");
        let ms = d["build"]["milestones"].as_array().unwrap().clone();
        // Both past planned dates have passed with no actual date: overdue.
        assert_eq!(ms[0]["status"], "overdue");
        assert_eq!(ms[2]["status"], "pending");
        assert!(d["build"]["delayed"].as_bool().unwrap());

        // Tendering done late: still flagged, as "late".
        let url = |tail: &str| t.url(&format!("/api/v1/construction/{id}/{tail}"));
        let (status, _) = post_json(
            &client,
            &csrf,
            url("progress"),
            serde_json::json!({ "milestone_id": ms[0]["id"], "actual_on": "2025-02-11" }),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = post_json(
            &client,
            &csrf,
            url("progress"),
            serde_json::json!({ "milestone_id": ms[1]["id"], "actual_on": "2025-03-01" }),
        )
        .await;
        assert_eq!(status, 204);
        let (_, d) = detail(client.clone()).await;
        let ms = d["build"]["milestones"].as_array().unwrap().clone();
        assert_eq!(
            (ms[0]["status"].as_str(), ms[0]["delay_days"].as_i64()),
            (Some("late"), Some(10))
        );
        assert_eq!(ms[1]["status"], "on_time");
        assert!(d["build"]["delayed"].as_bool().unwrap());

        // Stages move forward one at a time.
        let (status, e) = post_json(
            &client,
            &csrf,
            url("stage"),
            serde_json::json!({ "to": "construction" }),
        )
        .await;
        assert_eq!((status, e["field"].as_str()), (422, Some("to")));
        for to in ["tendering", "contract"] {
            let (status, e) = post_json(&client, &csrf, url("stage"),
                serde_json::json!({ "to": to, "day": "2025-03-01", "contractor": "鹤山市某建筑公司" })).await;
            assert_eq!(status, 204, "{e}");
        }
        // Payments add up, go to the funds project, and cannot pass the budget.
        for (amount, item) in [("141000", "预付款"), ("188000.50", "进度款")] {
            let (status, e) = post_json(
                &client,
                &csrf,
                url("payments"),
                serde_json::json!({ "amount": amount, "day": "2025-04-01", "item": item }),
            )
            .await;
            assert_eq!(status, 201, "{e}");
        }
        let (status, e) = post_json(
            &client,
            &csrf,
            url("payments"),
            serde_json::json!({ "amount": "141000", "day": "2025-05-01", "item": "尾款" }),
        )
        .await;
        assert_eq!((status, e["field"].as_str()), (422, Some("amount")));
        let (status, e) = post_json(
            &client,
            &csrf,
            url("payments"),
            serde_json::json!({ "amount": "", "day": "2025-05-01", "item": "尾款" }),
        )
        .await;
        assert_eq!((status, e["field"].as_str()), (422, Some("amount")));
        let (_, d) = detail(client.clone()).await;
        assert_eq!(d["build"]["stage"], "contract");
        assert_eq!(d["build"]["contractor"], "鹤山市某建筑公司");
        assert_eq!(d["build"]["paid_fen"], 32_900_050);
        assert_eq!(d["payments"].as_array().unwrap().len(), 2);
        let (_, funds) = get_json(&client, &t.url("/api/v1/regions/440784/funds")).await;
        let fund = funds
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == fund_project)
            .unwrap();
        assert_eq!(
            fund["spent_fen"], 32_900_050,
            "payments are the funds project's expenditure"
        );

        // The region list flags it; the page shows the delay.
        let (status, l) = get_json(&client, &t.url("/api/v1/regions/440784/construction")).await;
        assert_eq!(status, 200);
        assert_eq!(l["delayed"], 1);
        assert_eq!(l["builds"][0]["id"], id);
        let page = client
            .get(t.url(&format!("/construction/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains("delay-flag") && body.contains("延期 10 天完成"));
        assert!(
            body.contains("329,000.50") || body.contains("329000.50"),
            "the paid total"
        );

        // Scope: Yunfu sees neither the project nor Heshan's list.
        let (status, _) = detail(yunfu.clone()).await;
        assert_eq!(status, 404);
        let (status, _) = post_json(
            &yunfu,
            &yunfu_csrf,
            url("payments"),
            serde_json::json!({ "amount": "1", "day": "2025-05-01", "item": "x" }),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = get_json(&yunfu, &t.url("/api/v1/regions/440784/construction")).await;
        assert_eq!(status, 404);
        // Nor may Yunfu start one in Heshan, or link Heshan's funds project.
        let (status, e) = post_json(&yunfu, &yunfu_csrf, t.url("/api/v1/construction"),
            serde_json::json!({ "name": "x", "region": GULAO, "facility_kind": "kangyuan_centre", "budget": "1" })).await;
        assert_eq!((status, e["field"].as_str()), (422, Some("region")));
        let (status, e) = post_json(&yunfu, &yunfu_csrf, t.url("/api/v1/construction"),
            serde_json::json!({ "name": "x", "region": "445302001", "facility_kind": "kangyuan_centre",
                "budget": "1", "fund_project_id": fund_project })).await;
        assert_eq!(
            (status, e["field"].as_str()),
            (422, Some("fund_project_id"))
        );

        // Every write is audited.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (writes,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action LIKE 'construction.%' AND result = 'ok'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            writes,
            1 + 2 + 2 + 2,
            "create, two progress, two stages, two payments"
        );
    }
);

/// A request that should be refused at once. While runs are held, one let
/// in would never answer: a minute without an answer fails, rather than hangs.
async fn refused<T>(req: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(60), req)
        .await
        .expect("an answer while another run was in progress")
}

backend_test!(
    the_planner_computes_one_plan_per_user_and_few_at_once,
    |b: Backend| async move {
        let t = start_app(b).await;
        let (client, csrf) = seeded(&t).await;
        let url = t.url(&format!("/api/v1/regions/{GULAO}/plan"));
        let body = serde_json::json!({ "kind": "elder_canteen", "k": 1, "radius_km": 1.0 });

        // Out of range: 422 naming the field and the range allowed.
        for (bad, field, range) in [
            (
                serde_json::json!({ "kind": "elder_canteen", "k": 501 }),
                "k",
                "0 到 500",
            ),
            (
                serde_json::json!({ "kind": "elder_canteen", "radius_km": 50.5 }),
                "radius_km",
                "0.1 到 50",
            ),
            (
                serde_json::json!({ "kind": "elder_canteen", "radius_km": 0.05 }),
                "radius_km",
                "0.1 到 50",
            ),
        ] {
            let (status, e) = post_json(&client, &csrf, url.clone(), bad.clone()).await;
            assert_eq!(status, 422, "{bad}");
            assert_eq!(e["field"], field, "{bad}: {e}");
            assert!(e["message"].as_str().unwrap().contains(range), "{e}");
        }

        let mut others = Vec::new();
        for name in ["heshan2", "heshan3"] {
            t.user(name, Role::Official, "440784").await;
            others.push(t.login(name).await);
        }
        // Runs that have started wait (holding their places) until released.
        let hold = t.app.planner().hold().await;
        let start = |client: reqwest::Client, csrf: String| {
            let (url, body) = (url.clone(), body.clone());
            tokio::spawn(async move { post_json(&client, &csrf, url, body).await })
        };
        let until_running = |n: usize| {
            let app = t.app.clone();
            async move {
                for _ in 0..3000 {
                    if app.planner().running() >= n {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("{n} plans never started");
            }
        };
        let first = start(client.clone(), csrf.clone());
        until_running(1).await;
        // The same user again, by the API and by the page: busy.
        let (status, e) = refused(post_json(&client, &csrf, url.clone(), body.clone())).await;
        assert_eq!(status, 429, "{e}");
        assert!(e["message"].as_str().unwrap().contains("稍后再试"), "{e}");
        let page = refused(
            client
                .get(t.url(&format!(
                    "/regions/{GULAO}/planner?kind=elder_canteen&k=1&radius_km=1"
                )))
                .send(),
        )
        .await
        .unwrap();
        assert_eq!(page.status(), 429);
        // Another user may plan meanwhile; a third finds every place taken.
        let second = start(others[0].0.clone(), others[0].1.clone());
        until_running(2).await;
        let (status, _) = refused(post_json(
            &others[1].0,
            &others[1].1,
            url.clone(),
            body.clone(),
        ))
        .await;
        assert_eq!(status, 429);

        drop(hold);
        for run in [first, second] {
            let (status, plan) = run.await.unwrap();
            assert_eq!(status, 200, "{plan}");
            assert_eq!(plan["k"], 1);
        }
        // Done: the user may plan again.
        assert_eq!(t.app.planner().running(), 0);
        let (status, _) = post_json(&client, &csrf, url.clone(), body.clone()).await;
        assert_eq!(status, 200);
    }
);

backend_test!(
    a_bad_fund_field_is_named_by_its_key_with_the_label_beside,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let project = |body: serde_json::Value| {
            post_json(&client, &csrf, t.url("/api/v1/funds/projects"), body)
        };
        let good = serde_json::json!({ "name": "古劳康园中心改建", "kind": "construction",
            "region": "440784", "budget": "470000", "started_on": "2025-01-10" });
        // Each bad field in turn, as (key, value, label).
        for (key, value, label) in [
            ("name", " ", "项目名称"),
            ("kind", "palace", "项目类别"),
            ("region", "44078", "区划"),
            ("budget", "四十万", "预算"),
            ("started_on", "2025-02-30", "开始日期"),
        ] {
            let mut body = good.clone();
            body[key] = value.into();
            let (status, e) = project(body).await;
            assert_bad_field(status, &e, key, label);
        }
        let (status, p) = project(good).await;
        assert_eq!(status, 201, "{p}");
        let p = p["id"].as_i64().unwrap();
        let (status, e) = post_json(
            &client,
            &csrf,
            t.url(&format!("/api/v1/funds/projects/{p}/allocations")),
            serde_json::json!({ "source_id": 999_999, "amount": "100", "day": "2025-02-01" }),
        )
        .await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
            (e["field"].as_str(), e["label"].as_str()),
            (Some("source_id"), Some("资金来源"))
        );
        // Partner organisations, on the same page of the API.
        for (key, value, label) in [
            ("name", "", "名称"),
            ("kind", "club", "类别"),
            ("region", "4453", "区划"),
        ] {
            let mut body = serde_json::json!({ "name": "古劳镇党委", "kind": "party_branch",
                "region": "440784103", "contact": "" });
            body[key] = value.into();
            let (status, e) = post_json(&client, &csrf, t.url("/api/v1/partner-orgs"), body).await;
            assert_bad_field(status, &e, key, label);
        }
    }
);
