//! The HTTP API and pages, through a real server on a loopback port.

use crate::backend_test;
use crate::support::{get_json, start_app, start_app_with_clock, Backend, PASSWORD};
use kangyang_app::Config;
use kangyang_domain::Role;
use kangyang_web::{route_table, Access};

backend_test!(
    gulao_has_thirteen_villages_with_urban_rural,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, _) = t.login("heshan").await;
        let (status, body) = get_json(&client, &t.url("/api/v1/regions/440784103/children")).await;
        assert_eq!(status, 200);
        let children = body.as_array().unwrap();
        assert_eq!(children.len(), 13);
        for c in children {
            assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()));
            assert!(
                matches!(c["urban_rural"].as_str(), Some("urban" | "rural")),
                "{c}"
            );
        }
        assert_eq!(
            children
                .iter()
                .filter(|c| c["urban_rural"] == "urban")
                .count(),
            1
        );

        let (status, region) = get_json(&client, &t.url("/api/v1/regions/440784103202")).await;
        assert_eq!(status, 200);
        assert_eq!(
            region["full_name"],
            "广东省 / 江门市 / 鹤山市 / 古劳镇 / 麦水村委会"
        );
        assert_eq!(region["level"], "village");

        let (status, found) =
            get_json(&client, &t.url("/api/v1/regions?q=%E5%8F%A4%E5%8A%B3")).await;
        assert_eq!(status, 200);
        assert!(found
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "440784103"));
    }
);

backend_test!(
    unauthenticated_requests_get_401_and_bad_logins_one_message,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let client = t.client();
        let (status, body) = get_json(&client, &t.url("/api/v1/regions/440784103")).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "unauthenticated");

        let attempt = |username: &'static str, password: &'static str| {
            let client = client.clone();
            let url = t.url("/api/v1/login");
            async move {
                let res = client
                    .post(url)
                    .json(&serde_json::json!({ "username": username, "password": password }))
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        let wrong_password = attempt("heshan", "Not-The-Password-1").await;
        let unknown_user = attempt("nobody", "Not-The-Password-1").await;
        assert_eq!(wrong_password.0, 401);
        assert_eq!(
            wrong_password, unknown_user,
            "a failed login must not tell which part was wrong"
        );
        assert!(!wrong_password.1.contains("heshan"));
    }
);

backend_test!(
    another_regions_records_are_not_found_and_the_denial_audited,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (heshan, _) = t.login("heshan").await;
        let (yunfu, _) = t.login("yunfu").await;
        let (status, _) = get_json(&heshan, &t.url("/api/v1/regions/445302/children")).await;
        assert_eq!(status, 404);
        let (status, _) = get_json(&yunfu, &t.url("/api/v1/regions/445302/children")).await;
        assert_eq!(status, 200);
        // The path above one's region shows, but only one's own branch of it.
        let (status, body) = get_json(&heshan, &t.url("/api/v1/regions/4407/children")).await;
        assert_eq!(status, 200);
        let codes: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["440784"]);
        let (_, found) = get_json(&heshan, &t.url("/api/v1/regions?q=%E5%AE%89%E5%A1%98")).await; // 安塘
        assert_eq!(found.as_array().unwrap().len(), 0);

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (denials,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE username = 'heshan' AND result = 'denied' AND object_id = '445302'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
        assert_eq!(denials, 1);
    }
);

backend_test!(
    five_failures_lock_the_account_for_fifteen_minutes,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("heshan", Role::Official, "440784").await;
        let client = t.client();
        let login = |password: &'static str| {
            let client = client.clone();
            let url = t.url("/api/v1/login");
            async move {
                client
                    .post(url)
                    .json(&serde_json::json!({ "username": "heshan", "password": password }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        for _ in 0..5 {
            assert_eq!(login("Wrong-Password-99").await, 401);
            t.advance(30);
        }
        assert_eq!(
            login(PASSWORD).await,
            401,
            "locked: even the right password is refused"
        );
        t.advance(14 * 60);
        assert_eq!(
            login(PASSWORD).await,
            401,
            "still within 15 minutes of the last failure"
        );
        t.advance(60);
        assert_eq!(login(PASSWORD).await, 200, "unlocked after 15 minutes");
    }
);

backend_test!(
    sessions_end_at_logout_and_when_idle,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let me = t.url("/api/v1/me");
        assert_eq!(get_json(&client, &me).await.0, 200);

        // A state-changing call without the CSRF token is refused.
        let res = client.post(t.url("/api/v1/logout")).send().await.unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(get_json(&client, &me).await.0, 200);

        // Logout ends the session on the server: replaying its cookie fails.
        let cookie = format!("kangyang_session={}", fresh_session_token(&t).await);
        let replay = || t.client().get(&me).header("cookie", &cookie).send();
        assert_eq!(replay().await.unwrap().status(), 200);
        let res = client
            .post(t.url("/api/v1/logout"))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(get_json(&client, &me).await.0, 401);
        let res = t
            .client()
            .post(t.url("/api/v1/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            403,
            "the other session's logout also needs its CSRF token"
        );
        assert_eq!(
            replay().await.unwrap().status(),
            200,
            "the other session lives on"
        );

        let (client, _) = t.login("heshan").await;
        t.advance(14 * 60);
        assert_eq!(get_json(&client, &me).await.0, 200);
        t.advance(16 * 60);
        assert_eq!(get_json(&client, &me).await.0, 401, "idle for 16 minutes");
    }
);

/// Logs in without a cookie jar and returns the session token from Set-Cookie.
async fn fresh_session_token(t: &crate::support::TestApp) -> String {
    let res = reqwest::Client::new()
        .post(t.url("/api/v1/login"))
        .json(&serde_json::json!({ "username": "heshan", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Strict"));
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

backend_test!(
    every_route_checks_session_and_scope,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (own, csrf) = t.login("heshan").await;
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        let own_person = crate::register::create_person(&t, &own, &csrf, "440784103202", 1).await;
        let other_person =
            crate::register::create_person(&t, &yunfu, &yunfu_csrf, "445302001009", 2).await;
        let empty_sheet = "身份证号,姓名,居住村（社区）代码\n";
        let own_job = crate::register::upload_import(&t, &own, &csrf, empty_sheet).await;
        let other_job = crate::register::upload_import(&t, &yunfu, &yunfu_csrf, empty_sheet).await;
        let facility = |client: &reqwest::Client, csrf: &str, region: &str| {
            let req = client
                .post(t.url("/api/v1/facilities"))
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({ "name": "长者饭堂", "kind": "elder_canteen", "region": region }));
            async move {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 201);
                res.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let own_facility = facility(&own, &csrf, "440784103").await;
        let other_facility = facility(&yunfu, &yunfu_csrf, "445302001").await;
        let create = |client: &reqwest::Client, csrf: &str, path: &str, body: serde_json::Value| {
            let req = client
                .post(t.url(path))
                .header("x-csrf-token", csrf)
                .json(&body);
            async move {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 201);
                res.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let project = |client, csrf, region: &str, facility: i64| {
            create(
                client,
                csrf,
                "/api/v1/funds/projects",
                serde_json::json!({
                "name": "新址改建", "kind": "construction", "region": region,
                "facility_id": facility, "budget": "470000", "started_on": "2026-02-01" }),
            )
        };
        let own_project = project(&own, &csrf, "440784", own_facility).await;
        let other_project = project(&yunfu, &yunfu_csrf, "4453", other_facility).await;
        let pairing = |client: &reqwest::Client, csrf: &str, region: &str, facility: i64| {
            let (client, csrf, region) = (client.clone(), csrf.to_owned(), region.to_owned());
            async move {
                let org = create(
                    &client,
                    &csrf,
                    "/api/v1/partner-orgs",
                    serde_json::json!({
                    "name": "机关党支部", "kind": "party_branch", "region": region }),
                )
                .await;
                create(
                    &client,
                    &csrf,
                    "/api/v1/pairings",
                    serde_json::json!({
                    "org_id": org, "facility_id": facility, "started_on": "2026-03-01" }),
                )
                .await
            }
        };
        let order = |client, csrf, facility: i64| {
            let path = format!("/api/v1/facilities/{facility}/orders");
            create(
                client,
                csrf,
                &path,
                serde_json::json!({
                "company": "某制衣厂", "product": "服装剪线头", "unit_price": "0.08",
                "quantity": "20000", "start_date": "2026-01-05", "due_date": "2026-12-31" }),
            )
        };
        let brand = |client, csrf, facility: i64| {
            let path = format!("/api/v1/facilities/{facility}/brand-projects");
            create(
                client,
                csrf,
                &path,
                serde_json::json!({ "name": "一康园一品牌", "started_on": "2026-01-10" }),
            )
        };
        let own_brand = brand(&own, &csrf, own_facility).await;
        let other_brand = brand(&yunfu, &yunfu_csrf, other_facility).await;
        let own_order = order(&own, &csrf, own_facility).await;
        let other_order = order(&yunfu, &yunfu_csrf, other_facility).await;
        let own_pairing = pairing(&own, &csrf, "440784", own_facility).await;
        let other_pairing = pairing(&yunfu, &yunfu_csrf, "4453", other_facility).await;
        // A nursing home and its clinic, paired by a medical-care agreement.
        let agreement = |client: &reqwest::Client, csrf: &str, town: &str| {
            let (client, csrf, town) = (client.clone(), csrf.to_owned(), town.to_owned());
            async move {
                let mut ids = Vec::new();
                for (name, kind) in [("敬老院", "nursing_home"), ("卫生院", "clinic")] {
                    ids.push(
                        create(
                            &client,
                            &csrf,
                            "/api/v1/facilities",
                            serde_json::json!({ "name": name, "kind": kind, "region": town }),
                        )
                        .await,
                    );
                }
                create(
                    &client,
                    &csrf,
                    "/api/v1/care-agreements",
                    serde_json::json!({ "institution_id": ids[0], "clinic_id": ids[1],
                        "services": ["green_channel"], "start_date": "2026-01-01" }),
                )
                .await
            }
        };
        let own_agreement = agreement(&own, &csrf, "440784103").await;
        let other_agreement = agreement(&yunfu, &yunfu_csrf, "445302001").await;
        let (own_case, own_photo) =
            crate::home_modification::case_with_photo(&t, &own, &csrf, own_person).await;
        let (other_case, other_photo) =
            crate::home_modification::case_with_photo(&t, &yunfu, &yunfu_csrf, other_person).await;
        // Home care: a provider, an order and a complaint on each side.
        let provider = |client: &reqwest::Client, csrf: &str, region: &str, village: &str| {
            let req = client
                .post(t.url("/api/v1/facilities"))
                .header("x-csrf-token", csrf)
                .json(
                    &serde_json::json!({ "name": "居家养老服务中心", "kind": "home_care_centre",
                    "region": region, "villages": village, "capacity": "20" }),
                );
            async move {
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), 201);
                res.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let own_provider = provider(&own, &csrf, "440784103", "440784103202").await;
        let other_provider = provider(&yunfu, &yunfu_csrf, "445302001", "445302001009").await;
        let tomorrow = t.app.today().add_days(1).unwrap();
        let care_order = |client, csrf, person: i64| {
            create(
                client,
                csrf,
                "/api/v1/home-care/orders",
                serde_json::json!({ "person_id": person, "item": "cleaning",
                    "scheduled_at": format!("{tomorrow} 09:00") }),
            )
        };
        let own_care_order = care_order(&own, &csrf, own_person).await;
        let other_care_order = care_order(&yunfu, &yunfu_csrf, other_person).await;
        let complaint = |client, csrf, order: i64| {
            let path = format!("/api/v1/home-care/orders/{order}/complaints");
            create(
                client,
                csrf,
                &path,
                serde_json::json!({ "text": "护理员迟到" }),
            )
        };
        let own_complaint = complaint(&own, &csrf, own_care_order).await;
        let other_complaint = complaint(&yunfu, &yunfu_csrf, other_care_order).await;
        let build = |client, csrf, region: &str| {
            create(
                client,
                csrf,
                "/api/v1/construction",
                serde_json::json!({ "name": "康园中心新址", "region": region,
                    "facility_kind": "kangyuan_centre", "budget": "470000",
                    "milestones": [{ "stage": "tendering", "name": "招标完成", "planned_on": "2026-03-01" }] }),
            )
        };
        let own_build = build(&own, &csrf, "440784103").await;
        let other_build = build(&yunfu, &yunfu_csrf, "445302001").await;
        let user_id = |name: &'static str| {
            let app = t.app.clone();
            async move {
                kangyang_app::users::find(&app, name)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let (own_user, other_user) = (user_id("heshan").await, user_id("yunfu").await);
        // Transfer requests: Yunfu asks for a Heshan person, so Heshan holds
        // it (reads and decides it); another names a number Heshan does not
        // hold, to a Yunfu village: not Heshan's to see.
        crate::register::create_person(&t, &own, &csrf, "440784103202", 41).await;
        let own_transfer = create(
            &yunfu,
            &yunfu_csrf,
            "/api/v1/transfers",
            serde_json::json!({ "id_number": crate::register::id_for("440784103202", 41),
                "village": "445302001009" }),
        )
        .await;
        let other_transfer = create(
            &yunfu,
            &yunfu_csrf,
            "/api/v1/transfers",
            serde_json::json!({ "id_number": crate::register::id_for("445302001009", 42),
                "village": "445302001009" }),
        )
        .await;
        let anonymous = t.client();
        let mut scoped = 0;
        for route in route_table() {
            let fill = |code: &str, id: i64, job: u64, facility: i64| {
                route
                    .path
                    .replace("{code}", code)
                    .replace("{id}", &id.to_string())
                    .replace("{job}", &job.to_string())
                    .replace("{facility}", &facility.to_string())
            };
            let path_own = fill("440784103", own_person, own_job, own_facility)
                .replace("{project}", &own_project.to_string())
                .replace("{pairing}", &own_pairing.to_string())
                .replace("{order}", &own_order.to_string())
                .replace("{brand}", &own_brand.to_string())
                .replace("{grant}", "1")
                .replace("{agreement}", &own_agreement.to_string())
                .replace("{case}", &own_case.to_string())
                .replace("{photo}", &own_photo.to_string())
                .replace("{care_order}", &own_care_order.to_string())
                .replace("{provider}", &own_provider.to_string())
                .replace("{complaint}", &own_complaint.to_string())
                .replace("{build}", &own_build.to_string())
                .replace("{user}", &own_user.to_string())
                .replace("{transfer}", &own_transfer.to_string());
            let path_other = fill("445302", other_person, other_job, other_facility)
                .replace("{project}", &other_project.to_string())
                .replace("{pairing}", &other_pairing.to_string())
                .replace("{order}", &other_order.to_string())
                .replace("{brand}", &other_brand.to_string())
                .replace("{grant}", "2")
                .replace("{agreement}", &other_agreement.to_string())
                .replace("{case}", &other_case.to_string())
                .replace("{photo}", &other_photo.to_string())
                .replace("{care_order}", &other_care_order.to_string())
                .replace("{provider}", &other_provider.to_string())
                .replace("{complaint}", &other_complaint.to_string())
                .replace("{build}", &other_build.to_string())
                .replace("{user}", &other_user.to_string())
                .replace("{transfer}", &other_transfer.to_string());
            let request = |client: &reqwest::Client, path: &str| {
                let url = t.url(path);
                let api = route.path.starts_with("/api/");
                let body = |r: reqwest::RequestBuilder| {
                    if api {
                        r.header("x-csrf-token", &csrf)
                            .json(&serde_json::json!({ "field": "phone", "reason": "核对信息" }))
                    } else {
                        r.form(&[
                            ("csrf_token", csrf.as_str()),
                            ("field", "phone"),
                            ("reason", "核对信息"),
                        ])
                    }
                };
                match route.method {
                    "GET" => client.get(url),
                    "POST" => body(client.post(url)),
                    "PUT" => body(client.put(url)),
                    m => panic!("the walk does not know method {m}"),
                }
            };
            let res = request(&anonymous, &path_own).send().await.unwrap();
            let status = res.status().as_u16();
            match route.access {
                Access::Public => assert!(
                    status < 500,
                    "{} {} gave {status}",
                    route.method,
                    route.path
                ),
                Access::SignedIn if route.path.starts_with("/api/") => {
                    assert_eq!(
                        status, 401,
                        "{} {} without a session",
                        route.method, route.path
                    )
                }
                Access::SignedIn => {
                    assert_eq!(
                        status, 303,
                        "{} {} without a session",
                        route.method, route.path
                    );
                    assert_eq!(res.headers()["location"], "/login");
                }
            }
            // Counselling notes are for counsellors alone: an official is refused
            // them outright, in scope or not (facility.rs walks a counsellor).
            if route.path.ends_with("/counselling") {
                for path in [&path_own, &path_other] {
                    let res = request(&own, path).send().await.unwrap();
                    assert_eq!(res.status(), 403, "{} {path}", route.method);
                }
                continue;
            }
            // Accounts are the administrators' (security.rs walks them): an
            // official is refused every one, their own included.
            if route.path.contains("/users/{user}") {
                for path in [&path_own, &path_other] {
                    let res = request(&own, path).send().await.unwrap();
                    assert_eq!(res.status(), 403, "{} {path}", route.method);
                }
                continue;
            }
            // Break-glass openings are reviewed by the auditor alone.
            if route.path.contains("/break-glass/{grant}") {
                for path in [&path_own, &path_other] {
                    let res = request(&own, path).send().await.unwrap();
                    assert_eq!(res.status(), 403, "{} {path}", route.method);
                }
                continue;
            }
            // A child's file: an official in scope is not the child's carer,
            // so it asks for a reason (403) or refuses a change (403); out of
            // scope the child does not exist (children.rs walks the rest).
            if route.path.contains("/children/{id}") {
                let res = request(&own, &path_own).send().await.unwrap();
                let status = res.status().as_u16();
                assert!(
                    ![401, 404].contains(&status) && status < 500,
                    "{} {} in scope gave {status}",
                    route.method,
                    route.path
                );
                let res = request(&own, &path_other).send().await.unwrap();
                assert_eq!(
                    res.status(),
                    404,
                    "{} {} out of scope",
                    route.method,
                    route.path
                );
                scoped += 1;
                continue;
            }
            if route.access == Access::SignedIn && route.path.contains('{') {
                let res = request(&own, &path_own).send().await.unwrap();
                let status = res.status().as_u16();
                if route.method == "GET" {
                    assert_eq!(status, 200, "{} {} in scope", route.method, route.path);
                } else {
                    assert!(
                        ![401, 403, 404].contains(&status) && status < 500,
                        "{} {} in scope gave {status}",
                        route.method,
                        route.path
                    );
                }
                let res = request(&own, &path_other).send().await.unwrap();
                assert_eq!(
                    res.status(),
                    404,
                    "{} {} out of scope",
                    route.method,
                    route.path
                );
                scoped += 1;
            }
        }
        assert!(
            scoped >= 10,
            "the walk reached the scoped routes ({scoped})"
        );
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (denials,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE username = 'heshan' AND result = 'denied'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
        assert!(
            denials >= scoped,
            "each denial is audited ({denials} of {scoped})"
        );
    }
);

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let t = start_app(Backend::Sqlite).await;
    let (status, doc) = get_json(&t.client(), &t.url("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let op = &doc["paths"][&route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from openapi.json",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_healthz_answers() {
    let t = start_app(Backend::Sqlite).await;
    let res = t.client().get(t.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let body = res.text().await.unwrap();
    assert!(body.contains("登录"));
    assert!(
        !body.contains("http://") && !body.contains("https://"),
        "no external asset"
    );
    let (status, health) = get_json(&t.client(), &t.url("/healthz")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}
