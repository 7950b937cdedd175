//! The web pages in a real browser: Debian's headless chromium, driven over
//! WebDriver (chromedriver) with plain HTTP calls.

use crate::support::{start_app, Backend, PASSWORD};
use kangyang_domain::Role;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session, both ended on drop.
pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromedriver).exists()
                && std::path::Path::new(&chromium).exists(),
            "browser tests need Debian's chromium and chromium-driver (.ci/run installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{root}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        // The flags keep chromium from reaching out to the network at start.
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ] } } } });
        let res: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused a session: {res}"))
            .to_owned();
        Browser {
            driver,
            base: format!("{root}/session/{session}"),
            http,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        if res["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", res["value"]);
        }
        res["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn find_by(&self, using: &str, value: &str) -> String {
        // Pages load synchronously after a click, but give slow machines a moment.
        for _ in 0..50 {
            let res: Value = self
                .http
                .post(format!("{}/element", self.base))
                .json(&json!({ "using": using, "value": value }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = res["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no element {using} {value:?} on {}",
            self.current_url().await
        );
    }

    pub async fn find(&self, css: &str) -> String {
        self.find_by("css selector", css).await
    }

    pub async fn count(&self, css: &str) -> usize {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        v.as_array().map(Vec::len).unwrap_or(0)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn click_link(&self, text: &str) {
        let el = self.find_by("link text", text).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

impl Browser {
    /// Runs a script in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Signs in through the login page.
    pub async fn login(&self, t: &crate::support::TestApp, username: &str) {
        self.goto(&t.url("/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#login-submit").await;
        self.find("#logout").await;
    }

    /// Asserts that nothing injected ran or linked out on the current page.
    pub async fn assert_not_defaced(&self, what: &str) {
        let verdict = self
            .eval(
                "return {
                    title: document.title,
                    scripts: document.scripts.length,
                    foreign: Array.from(document.querySelectorAll('a[href], area[href], form[action], iframe, img[src], link[href]'))
                        .map(e => e.href || e.action || e.src || '')
                        .filter(u => u && !u.startsWith(location.origin) && !u.startsWith('javascript:void'))
                        .length,
                    handlers: Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
                    pwned: window.__pwned === true,
                }",
            )
            .await;
        assert!(
            !verdict["title"].as_str().unwrap_or("").contains("pwned"),
            "{what}: a script ran ({verdict})"
        );
        assert_eq!(verdict["pwned"], false, "{what}: a script ran");
        assert_eq!(
            verdict["scripts"], 0,
            "{what}: a script element is on the page"
        );
        assert_eq!(
            verdict["foreign"], 0,
            "{what}: a link or resource points to another host"
        );
        assert_eq!(
            verdict["handlers"], 0,
            "{what}: an element carries an event handler"
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_and_drill_from_the_province_to_gulaos_thirteen_villages() {
    let t = start_app(Backend::Sqlite).await;
    t.user("province", Role::Official, "44").await;
    let b = Browser::start(1280, 900).await;

    b.goto(&t.url("/regions/44")).await;
    assert!(
        b.current_url().await.ends_with("/login"),
        "a page needs a session"
    );
    b.type_into("#username", "province").await;
    b.type_into("#password", "wrong-password-1A").await;
    b.click("#login-submit").await;
    assert_eq!(
        b.text("#login-error").await,
        "用户名或密码错误，或账号已被锁定"
    );

    b.type_into("#password", PASSWORD).await;
    b.click("#login-submit").await;
    assert_eq!(b.text("#region-name").await, "广东省");
    assert_eq!(b.count("#children tbody tr").await, 21);

    b.click_link("江门市").await;
    assert_eq!(b.text("#region-name").await, "江门市");
    b.click_link("鹤山市").await;
    assert_eq!(b.text("#region-name").await, "鹤山市");
    b.click_link("古劳镇").await;
    assert_eq!(b.text("#region-name").await, "古劳镇");
    assert_eq!(b.text("#child-count").await, "下级区划 13 个");
    assert_eq!(b.count("#children tbody tr").await, 13);
    assert!(b.text("#children").await.contains("麦水村委会"));
    assert_eq!(
        b.text("#breadcrumbs")
            .await
            .replace(char::is_whitespace, ""),
        "广东省/江门市/鹤山市/古劳镇"
    );

    // The breadcrumbs lead back up; logging out ends the session.
    b.click_link("鹤山市").await;
    assert_eq!(b.text("#region-name").await, "鹤山市");
    b.click("#logout").await;
    assert!(b.current_url().await.ends_with("/login"));
    b.goto(&t.url("/regions/44")).await;
    assert!(b.current_url().await.ends_with("/login"));
}

/// Script and spam-link payloads in every free-text field a user can reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_scripts_and_links_never_run_or_show() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (api, csrf) = t.login("heshan").await;
    let script = "<script>document.title='pwned';window.__pwned=true</script>";
    let img = "\"><img src=x onerror=\"window.__pwned=true\">";
    let link = "<a href=\"http://spam.example/\">便宜发票</a>";
    let all = format!("{script}{img}{link}");
    let res = api
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({
            "id_number": crate::persons::id_for("440784103202", 61),
            "name": "李<script>window.__pwned=true</script>",
            "village": "440784103202",
            "address": all,
            "household_no": link,
            "emergency_contact_name": img,
            "tags": "<b>粗体</b>,<i>x</i>",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let child = api
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({
            "id_number": IdNumberFor::child(),
            "name": "王小明",
            "village": "440784103202",
            "child_category": "留守",
            "guardian_name": link,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(child.status(), 201, "{}", child.text().await.unwrap());
    let child = child.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // A change, so the history table shows payloads too.
    let res = api
        .put(t.url(&format!("/api/v1/persons/{id}")))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "name": "李四", "village": "440784103202", "address": script }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let b = Browser::start(1280, 900).await;
    // A failed login echoes the username.
    b.goto(&t.url("/login")).await;
    b.type_into("#username", &all).await;
    b.type_into("#password", "wrong-Password-1").await;
    b.click("#login-submit").await;
    b.find("#login-error").await;
    b.assert_not_defaced("login page").await;

    b.login(&t, "heshan").await;
    let encoded: String = all.bytes().map(|c| format!("%{c:02X}")).collect();
    for (what, path) in [
        ("person list", "/persons".to_owned()),
        ("person list searched", format!("/persons?name={encoded}")),
        ("person detail", format!("/persons/{id}")),
        ("person edit form", format!("/persons/{id}/edit")),
        ("child detail", format!("/persons/{child}")),
        ("region search", format!("/regions?q={encoded}")),
        (
            "person search with a bad region",
            format!("/persons?region={encoded}"),
        ),
    ] {
        b.goto(&t.url(&path)).await;
        b.find("main").await;
        b.assert_not_defaced(what).await;
    }
    // The payloads are shown as the text that was typed.
    b.goto(&t.url(&format!("/persons/{id}"))).await;
    assert!(b.text("#person-address").await.contains("<script>"));
    assert!(b.text("#history").await.contains("<script>"));
}

/// IDs of children for the tests.
struct IdNumberFor;

impl IdNumberFor {
    fn child() -> String {
        kangyang_domain::IdNumber::from_parts(
            "440784",
            kangyang_domain::CivilDate::new(2016, 6, 1).unwrap(),
            211,
        )
        .unwrap()
        .as_str()
        .to_owned()
    }
}

/// A person registered through the form on a phone-width screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_a_person_through_the_form_and_find_them() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let b = Browser::start(390, 844).await;
    b.login(&t, "heshan").await;
    b.goto(&t.url("/persons/new")).await;
    let id = crate::persons::id_for("440784103202", 71);
    b.type_into("input[name=name]", "陈桂芳").await;
    b.type_into("input[name=id_number]", "4407").await;
    b.type_into("input[name=village]", "440784103202").await;
    b.click("#save-person").await;
    // A bad ID number: the form comes back naming the field.
    assert!(b.text("#form-errors").await.contains("身份证号"));
    b.eval("document.querySelector('input[name=id_number]').value = ''; return 0;")
        .await;
    b.type_into("input[name=id_number]", &id).await;
    b.eval("document.querySelector('select[name=living_situation]').value = '独居'; return 0;")
        .await;
    b.click("#save-person").await;
    assert_eq!(b.text("#person-name").await, "陈桂芳");
    assert!(b
        .text("#person-id-number")
        .await
        .starts_with("4407**********"));
    b.goto(&t.url(&format!("/persons?id_tail={}", &id[14..])))
        .await;
    assert_eq!(b.text("#person-total").await, "共 1 人，第 1/1 页");
    b.click_link("陈桂芳").await;
    assert!(b.text("#person-facts").await.contains("独居"));
}
