//! Identity and access: second factor, password ageing, idle accounts, rate
//! limits, the auditor's view, CSRF on forms.

use crate::backend_test;
use crate::support::{
    assert_bad_field, get_json, get_text, start_app, start_app_with_clock, Backend, TestApp,
    PASSWORD,
};
use kangyang_app::{totp, Config};
use kangyang_domain::Role;
use kangyang_web::{route_table, Access};

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

#[tokio::test]
async fn a_typed_page_form_is_read_only_with_the_sessions_token() {
    // Page forms taking `CsrfForm` are checked before the handler runs.
    let t = start_app(Backend::Sqlite).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (client, csrf) = t.login("yunfu").await;
    let id_number = crate::register::id_for("440784103202", 41);
    let ask = |token: Option<&str>| {
        let mut form = vec![
            ("id_number", id_number.as_str()),
            ("village", "445302001009"),
            ("reason", "随子女迁居"),
        ];
        form.extend(token.map(|t| ("csrf_token", t)));
        client.post(t.url("/transfers")).form(&form).send()
    };
    for token in [None, Some("forged")] {
        assert_eq!(ask(token).await.unwrap().status(), 403, "token {token:?}");
    }
    let (_, lists) = get_json(&client, &t.url("/api/v1/transfers")).await;
    assert_eq!(lists["outgoing"].as_array().map(Vec::len), Some(0));
    // Signed out, the form sends the browser to the login page instead.
    let anonymous = t.client();
    let res = anonymous
        .post(t.url("/transfers"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    let res = ask(Some(&csrf)).await.unwrap();
    assert_eq!(res.status(), 303, "with the token the request is made");
    let (_, lists) = get_json(&client, &t.url("/api/v1/transfers")).await;
    assert_eq!(lists["outgoing"].as_array().map(Vec::len), Some(1));
}

async fn user_id(t: &TestApp, username: &str) -> i64 {
    kangyang_app::users::find(&t.app, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Audit rows of one action, as (username, object id, result).
async fn audit_rows(t: &TestApp, action: &str) -> Vec<(String, String, String)> {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    sqlx::query_as(
        "SELECT username, object_id, result FROM audit_log WHERE action = $1 ORDER BY id",
    )
    .bind(action)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
}

backend_test!(
    the_system_administrator_opens_accounts_and_only_the_security_administrator_grants,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("sysadmin", Role::SystemAdmin, "440784").await;
        t.user("secadmin", Role::SecurityAdmin, "440784").await;
        t.user("auditor1", Role::Auditor, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (sys, sys_csrf) = t.login_with_totp("sysadmin").await;
        let (sec, sec_csrf) = t.login_with_totp("secadmin").await;

        // The attack: a Heshan system administrator makes an official for
        // Guangdong with a password of their choice. Neither the role, nor the
        // region, nor the password is theirs to give.
        let (status, body) = t
            .post_json(
                &sys,
                &sys_csrf,
                "/api/v1/users",
                serde_json::json!({ "username": "mole", "role": "official", "region": "44",
                "password": "Chosen-By-Admin-42" }),
            )
            .await;
        assert_bad_field(status, &body, "region", "所属区划");
        let (status, body) = t
            .post_json(
                &sys,
                &sys_csrf,
                "/api/v1/users",
                serde_json::json!({ "username": "440784194001011234", "region": "440784" }),
            )
            .await;
        assert_bad_field(status, &body, "username", "用户名");
        let (status, body) = t
            .post_json(
                &sys,
                &sys_csrf,
                "/api/v1/users",
                serde_json::json!({ "username": "mole", "role": "official", "region": "440784",
                "password": "Chosen-By-Admin-42" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let mole = body["id"].as_i64().unwrap();
        let first = body["initial_password"].as_str().unwrap().to_owned();
        assert_ne!(first, "Chosen-By-Admin-42");
        assert_eq!(
            api_login(&t, &t.client(), "mole", "Chosen-By-Admin-42", None)
                .await
                .0,
            401
        );
        // The first password works once, to choose one's own; the account
        // has no role and reads nobody.
        let holder = t.client();
        let (status, body) = api_login(&t, &holder, "mole", &first, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["user"]["role"], "unassigned");
        assert_eq!(body["user"]["must_change_password"], true);
        let holder_csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let (status, body) = get_json(&holder, &t.url("/api/v1/persons")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("password_change_required"))
        );
        let res = holder
            .post(t.url("/password"))
            .form(&[
                ("csrf_token", holder_csrf.as_str()),
                ("current", first.as_str()),
                ("new", "Holder-Chosen-Pass-9"),
                ("confirm", "Holder-Chosen-Pass-9"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let holder = t.client();
        let (status, body) = api_login(&t, &holder, "mole", "Holder-Chosen-Pass-9", None).await;
        assert_eq!(
            (status, body["user"]["must_change_password"].as_bool()),
            (200, Some(false))
        );
        assert_eq!(get_json(&holder, &t.url("/api/v1/persons")).await.0, 403);

        // The system administrator grants nothing; the security administrator
        // opens nothing.
        let grant =
            |role: &str, region: &str| serde_json::json!({ "role": role, "region": region });
        let path = format!("/api/v1/users/{mole}/grant");
        assert_eq!(
            t.post_json(&sys, &sys_csrf, &path, grant("official", "440784"))
                .await
                .0,
            403
        );
        let (status, _) = t
            .post_json(
                &sec,
                &sec_csrf,
                "/api/v1/users",
                serde_json::json!({ "username": "mole2", "region": "440784" }),
            )
            .await;
        assert_eq!(status, 403);
        // Not outside one's own region, not an administrator role, not to oneself,
        // not to an administrator, not to an account of another region.
        let (status, body) = t
            .post_json(&sec, &sec_csrf, &path, grant("official", "4453"))
            .await;
        assert_bad_field(status, &body, "region", "所属区划");
        let (status, body) = t
            .post_json(&sec, &sec_csrf, &path, grant("system_admin", "440784"))
            .await;
        assert_bad_field(status, &body, "role", "角色");
        let own = format!("/api/v1/users/{}/grant", user_id(&t, "secadmin").await);
        assert_eq!(
            t.post_json(&sec, &sec_csrf, &own, grant("official", "440784"))
                .await
                .0,
            403
        );
        let admin = format!("/api/v1/users/{}/grant", user_id(&t, "sysadmin").await);
        assert_eq!(
            t.post_json(&sec, &sec_csrf, &admin, grant("official", "440784"))
                .await
                .0,
            422
        );
        let other = format!("/api/v1/users/{}/grant", user_id(&t, "yunfu").await);
        assert_eq!(
            t.post_json(&sec, &sec_csrf, &other, grant("viewer", "440784"))
                .await
                .0,
            404
        );
        // A facility role is bound to a facility, not a bare region.
        let (status, body) = t
            .post_json(&sec, &sec_csrf, &path, grant("facility_staff", "440784"))
            .await;
        assert_bad_field(status, &body, "facility_id", "所属机构");
        let (status, body) = get_json(&sec, &t.url("/api/v1/users")).await;
        assert_eq!(status, 200);
        let listed: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert!(
            listed.contains(&"mole") && !listed.contains(&"yunfu"),
            "{listed:?}"
        );

        // The grant itself, from the page.
        let page = get_text(&sec, &t.url(&format!("/admin/users/{mole}"))).await;
        assert!(
            page.contains("id=\"grant\""),
            "the security administrator's grant form"
        );
        let res = sec
            .post(t.url(&format!("/admin/users/{mole}/grant")))
            .form(&[
                ("csrf_token", sec_csrf.as_str()),
                ("role", "official"),
                ("region", "440784103"),
                ("facility_id", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(get_json(&holder, &t.url("/api/v1/persons")).await.0, 200);

        // The system administrator disables it (from the page); its session ends.
        let res = sys
            .post(t.url(&format!("/admin/users/{mole}/disable")))
            .form(&[("csrf_token", sys_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(get_json(&holder, &t.url("/api/v1/persons")).await.0, 401);

        // Opening from the page shows the first password once.
        let res = sys
            .post(t.url("/admin/users"))
            .form(&[
                ("csrf_token", sys_csrf.as_str()),
                ("username", "newcomer"),
                ("display_name", "新同事"),
                ("region", "440784"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        let shown = between(&page, "id=\"initial-password\">", "<").to_owned();
        assert_eq!(
            api_login(&t, &t.client(), "newcomer", &shown, None).await.0,
            200
        );
        let again = get_text(&sys, &t.url("/admin/users")).await;
        assert!(
            again.contains("newcomer") && !again.contains(&shown),
            "shown once"
        );

        // Each step is in the trail, for the auditor.
        let (auditor, _) = t.login_with_totp("auditor1").await;
        for action in ["user.create", "user.grant", "user.disable"] {
            let (status, body) =
                get_json(&auditor, &t.url(&format!("/api/v1/audit?action={action}"))).await;
            assert_eq!(status, 200);
            assert!(
                body["total"].as_i64().unwrap() >= 1,
                "{action} audited: {body}"
            );
        }
        let created = audit_rows(&t, "user.create").await;
        assert!(created
            .iter()
            .any(|(who, id, _)| who == "sysadmin" && *id == mole.to_string()));
        let grants = audit_rows(&t, "user.grant").await;
        assert!(grants
            .iter()
            .any(|(who, id, r)| who == "secadmin" && *id == mole.to_string() && r == "ok"));
        assert!(
            grants
                .iter()
                .any(|(who, _, r)| who == "secadmin" && r == "denied"),
            "refusals too"
        );
        assert!(!created.iter().any(|(_, id, _)| id.contains(&first)));
    }
);

/// Creates, as an official, one object of each kind the route table names
/// (a person, an import, a facility and what hangs off it); returns them by
/// route placeholder, with the person's name and ID number.
async fn region_objects(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    town: &str,
    village: &str,
    n: u16,
) -> (Vec<(&'static str, i64)>, [String; 2]) {
    let created = |path: &str, body: serde_json::Value| {
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
    let county = &town[..6];
    let person = crate::register::create_person(t, client, csrf, village, n).await;
    let job = crate::register::upload_import(t, client, csrf, "身份证号,姓名,居住村（社区）代码\n")
        .await as i64;
    let facility = created(
        "/api/v1/facilities",
        serde_json::json!({ "name": "长者饭堂", "kind": "elder_canteen", "region": town }),
    )
    .await;
    let project = created(
        "/api/v1/funds/projects",
        serde_json::json!({ "name": "新址改建", "kind": "construction", "region": county,
            "facility_id": facility, "budget": "470000", "started_on": "2026-02-01" }),
    )
    .await;
    let org = created(
        "/api/v1/partner-orgs",
        serde_json::json!({ "name": "机关党支部", "kind": "party_branch", "region": county }),
    )
    .await;
    let pairing = created(
        "/api/v1/pairings",
        serde_json::json!({ "org_id": org, "facility_id": facility, "started_on": "2026-03-01" }),
    )
    .await;
    let order = created(
        &format!("/api/v1/facilities/{facility}/orders"),
        serde_json::json!({ "company": "某制衣厂", "product": "服装剪线头", "unit_price": "0.08",
            "quantity": "20000", "start_date": "2026-01-05", "due_date": "2026-12-31" }),
    )
    .await;
    let home = created(
        "/api/v1/facilities",
        serde_json::json!({ "name": "敬老院", "kind": "nursing_home", "region": town }),
    )
    .await;
    let clinic = created(
        "/api/v1/facilities",
        serde_json::json!({ "name": "卫生院", "kind": "clinic", "region": town }),
    )
    .await;
    let agreement = created(
        "/api/v1/care-agreements",
        serde_json::json!({ "institution_id": home, "clinic_id": clinic,
            "services": ["green_channel"], "start_date": "2026-01-01" }),
    )
    .await;
    let (case, photo) = crate::home_modification::case_with_photo(t, client, csrf, person).await;
    let provider = created(
        "/api/v1/facilities",
        serde_json::json!({ "name": "居家养老服务中心", "kind": "home_care_centre",
            "region": town, "villages": village, "capacity": "20" }),
    )
    .await;
    let tomorrow = t.app.today().add_days(1).unwrap();
    let care_order = created(
        "/api/v1/home-care/orders",
        serde_json::json!({ "person_id": person, "item": "cleaning",
            "scheduled_at": format!("{tomorrow} 09:00") }),
    )
    .await;
    let complaint = created(
        &format!("/api/v1/home-care/orders/{care_order}/complaints"),
        serde_json::json!({ "text": "护理员迟到" }),
    )
    .await;
    let build = created(
        "/api/v1/construction",
        serde_json::json!({ "name": "康园中心新址", "region": town,
            "facility_kind": "kangyuan_centre", "budget": "470000",
            "milestones": [{ "stage": "tendering", "name": "招标完成", "planned_on": "2026-03-01" }] }),
    )
    .await;
    // A transfer request of the region's own, for a number no one holds.
    let transfer = created(
        "/api/v1/transfers",
        serde_json::json!({ "id_number": crate::register::id_for(village, n + 50),
            "village": village }),
    )
    .await;
    let brand = created(
        &format!("/api/v1/facilities/{facility}/brand-projects"),
        serde_json::json!({ "name": "一康园一品牌", "started_on": "2026-01-10" }),
    )
    .await;
    let objects = vec![
        ("{transfer}", transfer),
        ("{brand}", brand),
        ("{id}", person),
        ("{job}", job),
        ("{facility}", facility),
        ("{project}", project),
        ("{pairing}", pairing),
        ("{order}", order),
        ("{agreement}", agreement),
        ("{case}", case),
        ("{photo}", photo),
        ("{provider}", provider),
        ("{care_order}", care_order),
        ("{complaint}", complaint),
        ("{build}", build),
    ];
    let who = [
        crate::register::name_for(n),
        crate::register::id_for(village, n),
    ];
    (objects, who)
}

fn fill(path: &str, code: &str, user: i64, objects: &[(&'static str, i64)]) -> String {
    let mut out = path
        .replace("{code}", code)
        .replace("{user}", &user.to_string())
        // No break-glass opening exists in either region: any id is another's.
        .replace("{grant}", "999999");
    for (placeholder, id) in objects {
        out = out.replace(placeholder, &id.to_string());
    }
    out
}

/// Routes that carry a person's data: the register, imports and exports,
/// and every route keyed by a person.
fn carries_people(path: &str) -> bool {
    // The import template is a blank sheet of column headings.
    path != "/imports/template.xlsx"
        && (path.starts_with("/persons")
            || path.starts_with("/api/v1/persons")
            || path.starts_with("/imports")
            || path.contains("{id}"))
}

backend_test!(
    county_administrators_reach_no_people_and_nothing_of_another_region,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        for (name, role) in [
            ("sysadmin", Role::SystemAdmin),
            ("secadmin", Role::SecurityAdmin),
            ("auditor1", Role::Auditor),
        ] {
            t.user(name, role, "440784").await;
        }
        let (own, csrf) = t.login("heshan").await;
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        let (own_objects, own_person) =
            region_objects(&t, &own, &csrf, "440784103", "440784103202", 1).await;
        let (other_objects, other_person) =
            region_objects(&t, &yunfu, &yunfu_csrf, "445302001", "445302001009", 2).await;
        let (own_user, other_user) = (user_id(&t, "heshan").await, user_id(&t, "yunfu").await);
        let mut answered = 0;
        for admin in ["sysadmin", "secadmin", "auditor1"] {
            let (client, csrf) = t.login_with_totp(admin).await;
            for route in route_table() {
                // Public routes need no walk; signing out would end the walk.
                if route.access == Access::Public || route.path.ends_with("/logout") {
                    continue;
                }
                let request = |path: &str| {
                    let url = t.url(path);
                    let body = |r: reqwest::RequestBuilder| {
                        if route.path.starts_with("/api/") {
                            // A body the handlers accept, so that what answers is the
                            // use case (its permission and scope), not the parser.
                            r.header("x-csrf-token", &csrf).json(&serde_json::json!({
                                "field": "phone", "reason": "核对信息",
                                "id_number": own_person[1] }))
                        } else {
                            r.form(&[
                                ("csrf_token", csrf.as_str()),
                                ("field", "phone"),
                                ("reason", "核对信息"),
                                ("id_number", own_person[1].as_str()),
                            ])
                        }
                    };
                    match route.method {
                        "GET" => client.get(url),
                        // The upload takes a sheet, as the import page sends it.
                        "POST" if route.path == "/imports" => client.post(url).multipart(
                            reqwest::multipart::Form::new()
                                .text("csrf_token", csrf.clone())
                                .part(
                                    "file",
                                    reqwest::multipart::Part::bytes(
                                        "身份证号,姓名,居住村（社区）代码\n".as_bytes().to_vec(),
                                    )
                                    .file_name("名单.csv"),
                                ),
                        ),
                        "POST" => body(client.post(url)),
                        "PUT" => body(client.put(url)),
                        m => panic!("the walk does not know method {m}"),
                    }
                };
                let what = format!("{admin}: {} {}", route.method, route.path);
                let mut paths = vec![(
                    false,
                    fill(&route.path, "440784103", own_user, &own_objects),
                )];
                if route.path.contains('{') {
                    paths.push((
                        true,
                        fill(&route.path, "445302", other_user, &other_objects),
                    ));
                }
                for (other_region, path) in paths {
                    let res = request(&path).send().await.unwrap();
                    let status = res.status().as_u16();
                    let body = res.text().await.unwrap_or_default();
                    assert!(status < 500, "{what} gave {status}");
                    // The audit trail records what changed, names included (the
                    // auditor's duty is to read it); ID numbers stay masked there too.
                    let audit = route.path.contains("audit");
                    for person in [&own_person, &other_person] {
                        for value in &person[usize::from(audit)..] {
                            assert!(
                                !body.contains(value.as_str()),
                                "{what} shows a person ({value}): {path}"
                            );
                        }
                    }
                    if other_region {
                        assert!(
                            [403, 404].contains(&status),
                            "{what} in Yunfu gave {status}"
                        );
                    } else if carries_people(&route.path) {
                        // Refused outright (or, for a job that is another user's, not found).
                        assert!(
                            [403, 404].contains(&status),
                            "{what}: people are not for administrators ({status})"
                        );
                    } else if status == 200 {
                        answered += 1;
                    }
                }
            }
        }
        // The walk ran signed in, second factor and all: each administrator
        // reached the pages of their duty.
        assert!(
            answered >= 12,
            "administrators answered on {answered} routes"
        );
    }
);

backend_test!(
    a_county_auditor_reads_only_their_countys_trail,
    |b: Backend| async move {
        // Audit scoping is the lead's (crates/app/src/audit.rs); this asserts it.
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("auditor1", Role::Auditor, "440784").await;
        t.login("yunfu").await;
        let (auditor, _) = t.login_with_totp("auditor1").await;
        let (status, body) = get_json(&auditor, &t.url("/api/v1/audit?username=yunfu")).await;
        assert!(
            status == 403 || (status == 200 && body["total"] == 0),
            "a Heshan auditor reads Yunfu's trail: {status} {body}"
        );
    }
);

backend_test!(
    wrong_second_factor_codes_lock_the_account_like_wrong_passwords,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("sysadmin", Role::SystemAdmin, "440784").await;
        t.login_with_totp("sysadmin").await;
        t.advance(30);
        let right = totp::code_at(b"12345678901234567890", totp::step_of(t.app.now()));
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..5 {
            let (status, _) = api_login(&t, &t.client(), "sysadmin", PASSWORD, Some(wrong)).await;
            assert_eq!(status, 401);
        }
        assert_eq!(
            api_login(&t, &t.client(), "sysadmin", PASSWORD, Some(&right))
                .await
                .0,
            401,
            "five wrong codes lock the account, even for the right code"
        );
        t.advance(15 * 60 + 30);
        let later = totp::code_at(b"12345678901234567890", totp::step_of(t.app.now()));
        assert_eq!(
            api_login(&t, &t.client(), "sysadmin", PASSWORD, Some(&later))
                .await
                .0,
            200
        );
    }
);

backend_test!(
    every_failed_login_verifies_one_password_hash,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("heshan", Role::Official, "440784").await;
        let checks = || kangyang_app::auth::password_verifications(&t.app);
        let t = &t;
        let try_login = |name: &'static str, password: &'static str| {
            let client = t.client();
            async move { api_login(t, &client, name, password, None).await.0 }
        };
        for (name, password) in [
            ("nobody", "Wrong-Password-1"),
            ("heshan", "Wrong-Password-1"),
        ] {
            let before = checks();
            assert_eq!(try_login(name, password).await, 401);
            assert_eq!(checks() - before, 1, "{name}: one hash verified");
        }
        for _ in 0..4 {
            try_login("heshan", "Wrong-Password-1").await;
            try_login("nobody", "Wrong-Password-1").await;
        }
        // Locked now; the right password changes nothing, and costs the same.
        let before = checks();
        assert_eq!(try_login("heshan", PASSWORD).await, 401);
        assert_eq!(checks() - before, 1, "a locked account costs one hash too");
        let before = checks();
        assert_eq!(try_login("nobody", PASSWORD).await, 401);
        assert_eq!(checks() - before, 1);
        // An unknown name is "locked" after as many failures as a real one.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let last_reason = |name: &'static str| {
            sqlx::query_as::<_, (String,)>(
                "SELECT detail FROM audit_log WHERE action = 'login' AND username = $1
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(name)
        };
        let (heshan,) = last_reason("heshan").fetch_one(&mut *conn).await.unwrap();
        let (nobody,) = last_reason("nobody").fetch_one(&mut *conn).await.unwrap();
        assert!(
            heshan.contains("locked") && nobody.contains("locked"),
            "{heshan} / {nobody}"
        );
    }
);

backend_test!(
    wrong_current_passwords_lock_the_account_and_are_audited,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (stolen, csrf) = t.login("heshan").await;
        let change = |current: &'static str| {
            stolen
                .post(t.url("/password"))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("current", current),
                    ("new", "Another-Strong-Pass-7"),
                    ("confirm", "Another-Strong-Pass-7"),
                ])
                .send()
        };
        for _ in 0..4 {
            assert_eq!(change("Guess-Password-11").await.unwrap().status(), 422);
        }
        let fifth = change("Guess-Password-11").await.unwrap();
        assert_eq!(fifth.status(), 303, "the lockout ends the stolen session");
        assert_eq!(get_json(&stolen, &t.url("/api/v1/me")).await.0, 401);
        assert_eq!(
            api_login(&t, &t.client(), "heshan", PASSWORD, None).await.0,
            401,
            "locked"
        );
        let failed: Vec<_> = audit_rows(&t, "password.change")
            .await
            .into_iter()
            .filter(|(who, _, result)| who == "heshan" && result == "failed")
            .collect();
        assert_eq!(failed.len(), 5, "each wrong current password is audited");
    }
);

backend_test!(
    the_login_form_needs_the_token_it_was_served_with,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        // Another site posts the form with the attacker's credentials: no token.
        let victim = t.client();
        let res = victim
            .post(t.url("/login"))
            .form(&[("username", "heshan"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(get_json(&victim, &t.url("/api/v1/me")).await.0, 401);
        // A token the attacker read from their own copy of the form does not
        // match the victim's cookie (the victim has none, or another).
        let attacker = t.client();
        let page = get_text(&attacker, &t.url("/login")).await;
        let token = between(&page, "name=\"login_csrf\" value=\"", "\"").to_owned();
        let res = victim
            .post(t.url("/login"))
            .form(&[
                ("username", "heshan"),
                ("password", PASSWORD),
                ("login_csrf", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(get_json(&victim, &t.url("/api/v1/me")).await.0, 401);
        // The API login takes JSON only, which another site's form cannot
        // send (a cross-site JSON request needs a CORS preflight we never grant).
        let res = victim
            .post(t.url("/api/v1/login"))
            .header("content-type", "text/plain")
            .body(format!(
                r#"{{"username":"heshan","password":"{PASSWORD}"}}"#
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415);
        assert_eq!(get_json(&victim, &t.url("/api/v1/me")).await.0, 401);
        // The form as served signs in.
        let res = attacker
            .post(t.url("/login"))
            .form(&[
                ("username", "heshan"),
                ("password", PASSWORD),
                ("login_csrf", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(get_json(&attacker, &t.url("/api/v1/me")).await.0, 200);
    }
);

backend_test!(
    an_id_or_phone_number_typed_as_username_is_kept_masked,
    |b: Backend| async move {
        let t = start_app(b).await;
        let id_number = crate::register::id_for("440784103202", 7);
        for typed in [id_number.as_str(), "13812345678"] {
            assert_eq!(
                api_login(&t, &t.client(), typed, "Wrong-Password-1", None)
                    .await
                    .0,
                401
            );
        }
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let trail: Vec<(String, String)> =
            sqlx::query_as("SELECT username, object_id FROM audit_log WHERE action = 'login'")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let failures: Vec<(String,)> = sqlx::query_as("SELECT username FROM login_failures")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!((trail.len(), failures.len()), (2, 2));
        for (user, object) in &trail {
            for clear in [id_number.as_str(), "13812345678"] {
                assert!(
                    !user.contains(clear) && !object.contains(clear),
                    "{user} {object}"
                );
            }
        }
        assert!(trail.iter().any(|(u, _)| u == "138****5678"), "{trail:?}");
        assert!(failures.iter().all(|(u,)| u.contains('*')), "{failures:?}");
    }
);

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
