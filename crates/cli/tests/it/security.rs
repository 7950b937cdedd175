//! Identity and access: second factor, password ageing, idle accounts, rate
//! limits, the auditor's view, CSRF on forms.

use crate::backend_test;
use crate::support::{
    get_json, get_text, start_app, start_app_with_clock, Backend, TestApp, PASSWORD,
};
use kangyang_app::{totp, Config};
use kangyang_domain::Role;

async fn api_login(
    t: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> (u16, serde_json::Value) {
    let res = client
        .post(t.url("/api/v1/login"))
        .json(&serde_json::json!({ "username": username, "password": password, "totp": code }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    let to = html[from..].find(end).unwrap() + from;
    &html[from..to]
}

backend_test!(
    administrators_must_bind_and_then_use_a_second_factor,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("sysadmin", Role::SystemAdmin, "44").await;
        let client = t.client();
        let (status, body) = api_login(&t, &client, "sysadmin", PASSWORD, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["must_enroll_totp"], true);
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let (status, body) = get_json(&client, &t.url("/api/v1/regions/44")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("totp_enrollment_required"))
        );
        let res = client.get(t.url("/")).send().await.unwrap();
        assert_eq!(res.headers()["location"], "/account/totp");

        let page = client
            .get(t.url("/account/totp"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let secret = totp::decode_base32(between(&page, "id=\"totp-secret\">", "<")).unwrap();
        let now = t.app.now();
        let res = client
            .post(t.url("/account/totp"))
            .form(&[("csrf_token", csrf.as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "a wrong code does not bind");
        // The failed attempt issued a new secret: read it again.
        let page = res.text().await.unwrap();
        let secret_b32 = between(&page, "id=\"totp-secret\">", "<").to_owned();
        let secret = if secret_b32.is_empty() {
            secret
        } else {
            totp::decode_base32(&secret_b32).unwrap()
        };
        let code = totp::code_at(&secret, totp::step_of(now));
        let res = client
            .post(t.url("/account/totp"))
            .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(get_json(&client, &t.url("/api/v1/regions/44")).await.0, 200);

        // From now on the password alone is not enough, and no code works twice.
        let fresh = t.client();
        assert_eq!(
            api_login(&t, &fresh, "sysadmin", PASSWORD, None).await.0,
            401
        );
        assert_eq!(
            api_login(&t, &fresh, "sysadmin", PASSWORD, Some(&code))
                .await
                .0,
            401,
            "replayed code"
        );
        t.advance(30);
        let next = totp::code_at(&secret, totp::step_of(t.app.now()));
        let (status, body) = api_login(&t, &fresh, "sysadmin", PASSWORD, Some(&next)).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["must_enroll_totp"], false);
        assert_eq!(body["user"]["totp_enabled"], true);

        // The secret is stored encrypted, not in clear.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (sealed,): (Vec<u8>,) =
            sqlx::query_as("SELECT totp_secret FROM users WHERE username = 'sysadmin'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
    }
);

backend_test!(
    an_expired_password_must_be_changed_and_not_to_a_recent_one,
    |b: Backend| async move {
        let config = Config {
            password_max_age_days: 30,
            ..Config::default()
        };
        let t = start_app_with_clock(b, config).await;
        t.user("heshan", Role::Official, "440784").await;
        t.advance(31 * 86_400);
        let client = t.client();
        let (status, body) = api_login(&t, &client, "heshan", PASSWORD, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["must_change_password"], true);
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let (status, body) = get_json(&client, &t.url("/api/v1/regions/440784")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("password_change_required"))
        );
        assert_eq!(
            client
                .get(t.url("/regions/440784"))
                .send()
                .await
                .unwrap()
                .headers()["location"],
            "/password"
        );

        let change = |new: &'static str| {
            let client = client.clone();
            let url = t.url("/password");
            let csrf = csrf.clone();
            async move {
                client
                    .post(url)
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("current", PASSWORD),
                        ("new", new),
                        ("confirm", new),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = change(PASSWORD).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("不能使用最近用过的密码"));
        let res = change("short").await;
        assert_eq!(res.status(), 422);
        let res = change("Another-Strong-Pass-7").await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            get_json(&client, &t.url("/api/v1/me")).await.0,
            401,
            "the change ends the session"
        );
        let (status, body) =
            api_login(&t, &t.client(), "heshan", "Another-Strong-Pass-7", None).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["must_change_password"], false);
    }
);

backend_test!(
    accounts_idle_ninety_days_are_disabled,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        t.advance(89 * 86_400);
        assert_eq!(
            api_login(&t, &t.client(), "yunfu", PASSWORD, None).await.0,
            200
        );
        t.advance(2 * 86_400);
        assert_eq!(
            api_login(&t, &t.client(), "heshan", PASSWORD, None).await.0,
            401
        );
        assert_eq!(
            api_login(&t, &t.client(), "yunfu", PASSWORD, None).await.0,
            200,
            "used two days ago"
        );
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (disabled,): (Option<i64>,) =
            sqlx::query_as("SELECT disabled_at FROM users WHERE username = 'heshan'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert!(disabled.is_some());
    }
);

#[tokio::test]
async fn one_address_may_try_only_so_many_logins_a_minute() {
    let config = Config {
        login_attempts_per_ip_per_minute: 3,
        ..Config::default()
    };
    let t = start_app_with_clock(Backend::Sqlite, config).await;
    t.user("heshan", Role::Official, "440784").await;
    let client = t.client();
    for username in ["a1", "a2", "a3"] {
        assert_eq!(
            api_login(&t, &client, username, "Wrong-Password-1", None)
                .await
                .0,
            401
        );
    }
    let (status, body) = api_login(&t, &client, "heshan", PASSWORD, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("rate_limited"))
    );
    t.advance(60);
    assert_eq!(
        api_login(&t, &client, "heshan", PASSWORD, None).await.0,
        200
    );
}

backend_test!(
    only_the_auditor_reads_and_exports_the_trail,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("auditor1", Role::Auditor, "44").await;
        let (heshan, _) = t.login("heshan").await;
        assert_eq!(get_json(&heshan, &t.url("/api/v1/audit")).await.0, 403);
        assert_eq!(
            heshan.get(t.url("/audit")).send().await.unwrap().status(),
            403
        );

        // The auditor is an administrator: give the account its second factor first.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        sqlx::query(
            "UPDATE users SET totp_enabled = 1, totp_secret = $1 WHERE username = 'auditor1'",
        )
        .bind(
            t.app
                .keys()
                .encrypt("3132333435363738393031323334353637383930")
                .unwrap(),
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let code = totp::code_at(b"12345678901234567890", totp::step_of(t.app.now()));
        let auditor = t.client();
        assert_eq!(
            api_login(&t, &auditor, "auditor1", PASSWORD, Some(&code))
                .await
                .0,
            200
        );

        let (status, body) = get_json(
            &auditor,
            &t.url("/api/v1/audit?username=heshan&action=login"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 1);
        assert_eq!(body["entries"][0]["result"], "ok");
        let (status, body) = get_json(&auditor, &t.url("/api/v1/audit?from=2020-13-01")).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("from")));

        let page = auditor
            .get(t.url("/audit?username=heshan"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(
            page.text().await.unwrap().contains("共 3 条"),
            "the login and the two refused views of the trail"
        );
        let csv = auditor
            .get(t.url("/audit/export.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let text = csv.text().await.unwrap();
        assert!(text.contains("\"heshan\""));
        assert!(!text.contains(PASSWORD), "no password reaches the trail");
        let (_, body) = get_json(&auditor, &t.url("/api/v1/audit?action=audit.export")).await;
        assert_eq!(body["total"], 1, "the export itself is audited");
    }
);

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (client, csrf) = t.login("heshan").await;
    let res = client
        .post(t.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        get_json(&client, &t.url("/api/v1/me")).await.0,
        200,
        "still signed in"
    );
    let res = client
        .post(t.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(get_json(&client, &t.url("/api/v1/me")).await.0, 401);
}

backend_test!(
    a_region_code_that_does_not_exist_is_refused_naming_the_field,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("jiangmen", Role::Official, "4407").await;
        let (client, csrf) = t.login("jiangmen").await;
        let today = t.app.today().to_string();
        // Well-formed codes inside the user's city that the tree lacks.
        for missing in ["440799", "440784999"] {
            let bodies = [
                (
                    "/api/v1/funds/sources",
                    serde_json::json!({ "name": "市福彩公益金", "kind": "lottery", "region": missing }),
                ),
                (
                    "/api/v1/funds/projects",
                    serde_json::json!({ "name": "康园中心改造", "kind": "equipment", "region": missing,
                        "budget": "10000", "started_on": today }),
                ),
                (
                    "/api/v1/partner-orgs",
                    serde_json::json!({ "name": "志愿服务队", "kind": "volunteer_team", "region": missing,
                        "contact": "" }),
                ),
                (
                    "/api/v1/construction",
                    serde_json::json!({ "name": "康园中心新建", "region": missing,
                        "facility_kind": "kangyuan_centre", "budget": "470000", "contractor": "",
                        "milestones": [] }),
                ),
                (
                    "/api/v1/rating-rounds",
                    serde_json::json!({ "template": "kangyuan_star", "name": "年度星级评定",
                        "region": missing, "opened_on": today }),
                ),
                (
                    "/api/v1/modification-targets",
                    serde_json::json!({ "region": missing, "households": 10 }),
                ),
            ];
            for (path, body) in bodies {
                let res = client
                    .post(t.url(path))
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 422, "{path} with {missing}");
                let err: serde_json::Value = res.json().await.unwrap();
                assert_eq!(err["field"], "region", "{path}: {err}");
            }
        }
    }
);

backend_test!(
    a_page_past_the_end_is_refused_not_wrapped,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("auditor", Role::Auditor, "44").await;
        let (official, _) = t.login("heshan").await;
        // The auditor is an administrator: with its second factor.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        sqlx::query(
            "UPDATE users SET totp_enabled = 1, totp_secret = $1 WHERE username = 'auditor'",
        )
        .bind(
            t.app
                .keys()
                .encrypt("3132333435363738393031323334353637383930")
                .unwrap(),
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let code = totp::code_at(b"12345678901234567890", totp::step_of(t.app.now()));
        let auditor = t.client();
        let login = api_login(&t, &auditor, "auditor", PASSWORD, Some(&code)).await;
        assert_eq!(login.0, 200);
        let huge = i64::MAX;
        // The register is empty: page 1 is the only page.
        let (status, first) = get_json(&official, &t.url("/api/v1/persons?page=1")).await;
        assert_eq!(status, 200, "{first}");
        for (client, path) in [(&official, "/api/v1/persons"), (&auditor, "/api/v1/audit")] {
            for page in [huge, huge / 50 + 2, 3, 0] {
                let (status, err) = get_json(client, &t.url(&format!("{path}?page={page}"))).await;
                assert_eq!(status, 422, "{path} page {page}: {err}");
                assert_eq!(err["field"], "page", "{path} page {page}");
            }
        }
        // The pages say so, rather than show page 1 again.
        let list = get_text(&official, &t.url(&format!("/persons?page={huge}"))).await;
        assert!(list.contains("页码超出范围"), "the register's list");
        let res = auditor
            .get(t.url(&format!("/audit?page={huge}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("页码超出范围"));
    }
);
