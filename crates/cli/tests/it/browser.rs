//! The web pages in a real browser: Debian's headless chromium, driven over
//! WebDriver (chromedriver) with plain HTTP calls.

use crate::support::{start_app, Backend, PASSWORD};
use kangyang_domain::Role;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session, both ended on drop.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    base: String,
    http: reqwest::Client,
    profile: tempfile::TempDir,
}

/// Every browser's profile directory starts so: `scripts/test` looks for
/// chromium processes still using one after the suite.
pub const PROFILE_PREFIX: &str = "kangyang-browser-";

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
        // Its own process group, so that drop can end chromedriver and every
        // browser process it started in one signal.
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
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
        let profile = tempfile::Builder::new()
            .prefix(PROFILE_PREFIX)
            .tempdir()
            .unwrap();
        // The flags keep chromium from reaching out to the network at start.
        let mut options = json!({ "binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ] });
        // Headless chromium widens a window to at least 500 px, so a phone's
        // screen is emulated: its width, and pages laid out by their viewport tag.
        if width < 500 {
            options["mobileEmulation"] = json!({ "deviceMetrics": {
                "width": width, "height": height, "pixelRatio": 3.0, "mobile": true, "touch": true,
            } });
        }
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome",
            "goog:chromeOptions": options } } });
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
            port,
            base: format!("{root}/session/{session}"),
            session,
            http,
            profile,
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

    /// Follows a menu item as a user does: at phone width opens the 菜单
    /// button first, then the item's programme group, then clicks the item.
    pub async fn nav(&self, css: &str) {
        let folded = self
            .eval("return getComputedStyle(document.getElementById('menu-button')).display !== 'none';")
            .await;
        if folded == Value::Bool(true) {
            self.click("#menu-button").await;
        }
        let script = format!(
            "const d = document.querySelector({}).closest('details'); return d ? d.id : '';",
            json!(css)
        );
        let group = self.eval(&script).await;
        if let Some(group) = group.as_str().filter(|g| !g.is_empty()) {
            self.click(&format!("#{group} > summary")).await;
        }
        self.click(css).await;
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

    /// Waits for the page to reach a URL ending in `suffix`. A click that
    /// submits a form returns before the redirect it causes has loaded, so a
    /// test reading the URL at once could see the page it just left.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        let mut url = String::new();
        for _ in 0..50 {
            url = self.current_url().await;
            if url.ends_with(suffix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page stayed on {url}, not …{suffix}");
    }

    /// Waits for an element to show `want`, for the same reason, and
    /// returns what it last showed.
    pub async fn wait_for_text(&self, css: &str, want: &str) -> String {
        let mut seen = String::new();
        for _ in 0..50 {
            // Read through a script rather than an element handle: the
            // handle of the page being left goes stale mid-navigation.
            let script = format!(
                "const e = document.querySelector({}); return e ? e.innerText : '';",
                json!(css)
            );
            seen = self.eval(&script).await.as_str().unwrap_or("").to_owned();
            if seen == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
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
                    // Scripts other than kangyang's own embedded assets (the
                    // region picker on pages with a region field).
                    scripts: Array.from(document.scripts).filter(s => !s.src.startsWith(location.origin + '/assets/')).length,
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
    /// Ends the WebDriver session (chromedriver then quits chromium), then
    /// the whole process group, then any chromium still using this profile.
    /// Drop runs on a panic's unwinding too, so a failed test leaves nothing.
    fn drop(&mut self) {
        end_session(self.port, &self.session);
        let pgid = self.driver.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        for pid in processes_using(self.profile.path()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `DELETE /session/{id}` over a plain socket: drop cannot await, and this
/// works inside or outside a runtime. Bounded by timeouts, never hangs.
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    ) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
    }
}

/// Ids of the processes whose command line names `dir` (chromium is given
/// its profile directory as `--user-data-dir`).
pub fn processes_using(dir: &std::path::Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_leaves_no_process_behind() {
    let b = Browser::start(390, 844).await;
    let profile = b.profile.path().to_owned();
    b.goto("about:blank").await;
    assert!(
        !processes_using(&profile).is_empty(),
        "chromium runs with its profile while the browser is open"
    );
    drop(b);
    assert_eq!(
        processes_using(&profile),
        Vec::<u32>::new(),
        "no chromium process is left once the browser is dropped"
    );
    // A test that panics with its browser open leaves none either.
    let profile = tokio::spawn(async {
        let b = Browser::start(390, 844).await;
        std::panic::panic_any(b.profile.path().to_owned())
    })
    .await
    .expect_err("the task panicked")
    .into_panic()
    .downcast::<std::path::PathBuf>()
    .expect("the panic carries the profile path");
    assert_eq!(processes_using(&profile), Vec::<u32>::new());
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
    assert_eq!(b.wait_for_text("#region-name", "江门市").await, "江门市");
    b.click_link("鹤山市").await;
    assert_eq!(b.wait_for_text("#region-name", "鹤山市").await, "鹤山市");
    b.click_link("古劳镇").await;
    assert_eq!(b.wait_for_text("#region-name", "古劳镇").await, "古劳镇");
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
    assert_eq!(b.wait_for_text("#region-name", "鹤山市").await, "鹤山市");
    b.nav("#logout").await;
    b.wait_for_url("/login").await;
    b.goto(&t.url("/regions/44")).await;
    b.wait_for_url("/login").await;
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
            "id_number": crate::register::id_for("440784103202", 61),
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
    let id = crate::register::id_for("440784103202", 71);
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

/// ISO weekday (1 Monday … 7 Sunday) by Sakamoto's method, kept apart from
/// the app's own calendar code so the test checks it rather than repeats it.
fn iso_weekday(date: kangyang_domain::CivilDate) -> u32 {
    const T: [i64; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let (m, d) = (usize::from(date.month()), i64::from(date.day()));
    let y = i64::from(date.year()) - i64::from(m < 3);
    let sunday_is_0 = (y + y / 4 - y / 100 + y / 400 + T[m - 1] + d).rem_euclid(7);
    if sunday_is_0 == 0 {
        7
    } else {
        sunday_is_0 as u32
    }
}

/// Gulao centre's staff member signs trainees in on a phone: the tap is saved
/// (it survives a reload and is in the database), the sheet fits the screen,
/// and the month's xlsx sign-in sheet shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_tapped_on_a_phone_is_saved_and_in_the_months_sheet() {
    use kangyang_app::sheet::{SheetFormat, SheetReader};
    use kangyang_demo::kangyuan::{centre_id, seed_centres, GULAO_CENTRE};

    let t = start_app(Backend::Sqlite).await;
    kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
    seed_centres(&t.app).await.unwrap();
    let gulao = centre_id(&t.app, GULAO_CENTRE).await.unwrap().unwrap();
    let staff = kangyang_app::users::create_from_cli(
        &t.app,
        &kangyang_app::users::NewAccount {
            username: "gulao-staff".to_owned(),
            display_name: "古劳康园社工".to_owned(),
            password: kangyang_app::auth::Password(PASSWORD.to_owned()),
            role: Role::FacilityStaff,
            region: kangyang_domain::RegionCode::parse("440784103").unwrap(),
            facility_id: Some(gulao),
            must_change_password: false,
        },
    )
    .await
    .unwrap();

    // The latest working day of the Monday-to-Friday centre: today, or the
    // last one before a weekend or holiday (the default 2026 calendar).
    use kangyang_domain::holidays::{china_2026, is_working_day, OpeningDays};
    let today = t.app.today();
    let works = |d| is_working_day(OpeningDays::MONDAY_TO_FRIDAY, d, &china_2026());
    let day = (0..14)
        .map(|back| kangyang_app::civil::date_of(t.app.now() - back * 86_400))
        .find(|d| works(*d))
        .unwrap();

    let b = Browser::start(390, 844).await;
    b.login(&t, "gulao-staff").await;
    let width = b.eval("return window.innerWidth;").await;
    assert_eq!(width, 390, "the page is laid out phone-wide");
    b.nav("#nav-facilities").await;
    b.wait_for_url(&format!("/facilities/{gulao}")).await;
    assert_eq!(b.text("#facility-name").await, GULAO_CENTRE);
    // The page's width against the screen's: a phone zooms out to show a
    // wider page, so innerWidth would grow with it.
    let fits =
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];";
    let wide = |fit: &Value| fit[0].as_i64().unwrap() > fit[1].as_i64().unwrap();
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the centre's page is wider than the phone (scrollWidth, clientWidth): {fit}"
    );
    b.click("#signin-link").await;
    if day == today {
        assert!(b.text("#signin-summary").await.starts_with("今天："));
    } else {
        // A weekend or holiday: the sheet says so rather than counting absences.
        assert!(b
            .text("#signin-closed")
            .await
            .starts_with("今天不是本中心的开放日"));
    }
    if day != today {
        b.eval(&format!(
            "document.getElementById('signin-day').value = '{day}'; return 0;"
        ))
        .await;
        b.click("form.filters button").await;
        b.find(&format!("#signin-day[value='{day}']")).await;
        assert!(b
            .text("#signin-summary")
            .await
            .starts_with(&day.to_string()));
    }
    let sheet_url = t.url(&format!("/facilities/{gulao}/attendance?day={day}"));

    // The whole sheet fits the phone's width: nothing to scroll sideways.
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the sign-in sheet is wider than the phone (scrollWidth, clientWidth): {fit}"
    );

    // The last trainee whose name no one else on the sheet has: far down a
    // long list, so coming back to their line after the tap matters.
    let lines = b
        .eval(
            "return Array.from(document.querySelectorAll('#signin-list li'))
                .map(li => [li.id, li.querySelector('.who').textContent]);",
        )
        .await;
    let lines: Vec<(String, String)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l[0].as_str().unwrap().to_owned(),
                l[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(lines.len() > 10, "Gulao has its trainees: {}", lines.len());
    let (li, name) = lines
        .iter()
        .rev()
        .find(|(_, n)| lines.iter().filter(|(_, m)| m == n).count() == 1)
        .unwrap()
        .clone();
    let person: i64 = li.trim_start_matches('p').parse().unwrap();
    async fn class(b: &Browser, li: &str) -> String {
        let script = format!("return document.getElementById('{li}').className;");
        b.eval(&script).await.as_str().unwrap().to_owned()
    }
    async fn count(b: &Browser, id: &str) -> usize {
        b.text(&format!("#{id}")).await.parse().unwrap()
    }
    // Where the line is on the screen: [top, bottom, the screen's height].
    let place = format!(
        "const r = document.getElementById('{li}').getBoundingClientRect();
         return [r.top, r.bottom, window.innerHeight];"
    );
    let at = b.eval(&place).await;
    assert!(
        at[0].as_f64().unwrap() > at[2].as_f64().unwrap(),
        "{name}'s line starts below the fold: {at}"
    );

    // A trainee already signed in is taken back first (撤销).
    if class(&b, &li).await == "is-present" {
        b.click(&format!("#{li} button[value=clear]")).await;
        b.find(&format!("#{li}:not(.is-present)")).await;
    }
    let was_absent = class(&b, &li).await == "is-absent";
    let (present, absent) = (
        count(&b, "present-count").await,
        count(&b, "absent-count").await,
    );

    b.click(&format!("#{li} button[value=present]")).await;
    b.find(&format!("#{li}.is-present")).await;
    assert!(
        b.current_url().await.ends_with(&format!("#{li}")),
        "back at the trainee's line: {}",
        b.current_url().await
    );
    let at = b.eval(&place).await;
    let (top, bottom, screen) = (
        at[0].as_f64().unwrap(),
        at[1].as_f64().unwrap(),
        at[2].as_f64().unwrap(),
    );
    // A pixel's leeway: a phone's screen lays out in thirds of a pixel.
    assert!(
        top > -1.0 && bottom < screen + 1.0,
        "the tapped line is on screen after saving: {at}"
    );
    assert_eq!(count(&b, "present-count").await, present + 1);
    assert_eq!(
        count(&b, "absent-count").await,
        absent - usize::from(was_absent)
    );
    assert!(b.text(&format!("#{li}")).await.contains("已签到"));

    // Saved: a fresh load shows it, and so does the database.
    b.goto(&sheet_url).await;
    assert_eq!(class(&b, &li).await, "is-present");
    assert_eq!(count(&b, "present-count").await, present + 1);
    let stored = || async {
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT present, recorded_by FROM attendance \
             WHERE facility_id = $1 AND person_id = $2 AND day = $3",
        )
        .bind(gulao)
        .bind(person)
        .bind(day.to_string())
        .fetch_optional(&mut *conn)
        .await
        .unwrap()
    };
    assert_eq!(stored().await, Some((1, Some(staff))));

    // The month's sheet, downloaded from the link on the page.
    let month = format!("{:04}-{:02}", day.year(), day.month());
    let href = b
        .eval("return document.getElementById('month-sheet').getAttribute('href');")
        .await;
    assert_eq!(
        href,
        format!("/facilities/{gulao}/attendance.xlsx?month={month}")
    );
    let (api, _) = t.login("gulao-staff").await;
    let month_sheet = || async {
        let res = api.get(t.url(href.as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        let mut sheet = SheetReader::open(bytes, SheetFormat::Xlsx).unwrap();
        let title = sheet.headers()[0].clone();
        let rows: Vec<Vec<String>> = sheet.by_ref().map(|r| r.unwrap().1).collect();
        (title, rows)
    };
    let (title, rows) = month_sheet().await;
    assert_eq!(
        title,
        format!("{GULAO_CENTRE} {}年{}月学员签到表", day.year(), day.month())
    );
    let header = &rows[0];
    let working: Vec<String> = (1..=31u8)
        .filter_map(|d| kangyang_domain::CivilDate::new(day.year(), day.month(), d).ok())
        .filter(|d| iso_weekday(*d) <= 5)
        .map(|d| format!("{:02}", d.day()))
        .collect();
    assert_eq!(header[0], "姓名");
    assert_eq!(
        header[1..=working.len()],
        working[..],
        "one column per working day"
    );
    assert_eq!(
        header[working.len() + 1..working.len() + 4],
        ["出勤天数", "应出勤天数", "出勤率"]
    );
    let total = rows.iter().position(|r| r[0] == "合计").unwrap();
    let trainees = &rows[1..total];
    let (enrolled,): (i64,) = {
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (from, to) = (format!("{month}-01"), format!("{month}-31"));
        sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM enrolments WHERE facility_id = $1 \
             AND start_date <= $3 AND (end_date IS NULL OR end_date >= $2)",
        )
        .bind(gulao)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    };
    assert_eq!(trainees.len() as i64, enrolled, "one row per trainee");
    for (_, n) in &lines {
        assert!(
            trainees.iter().any(|r| &r[0] == n),
            "{n}, on the day's sheet, is in the month's"
        );
    }
    let column = 1 + working
        .iter()
        .position(|d| *d == format!("{:02}", day.day()))
        .unwrap();
    let row_of = |rows: &[Vec<String>]| {
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == name).collect();
        assert_eq!(mine.len(), 1, "one row for {name}");
        mine[0].clone()
    };
    assert_eq!(row_of(trainees)[column], "√", "{name} on {day}");

    // Taken back: the line, the count, the database and the sheet follow.
    b.click(&format!("#{li} button[value=clear]")).await;
    b.find(&format!("#{li}:not(.is-present)")).await;
    assert_eq!(count(&b, "present-count").await, present);
    assert!(!b.text(&format!("#{li}")).await.contains("已签到"));
    assert_eq!(stored().await, None);
    let (_, rows) = month_sheet().await;
    let total = rows.iter().position(|r| r[0] == "合计").unwrap();
    assert_eq!(row_of(&rows[1..total])[column], "", "{name} on {day}");
}

/// A station's social worker, on a phone, opens the visit list from the
/// menu: the overdue person comes first, the never-visited one after; a visit
/// recorded through the form takes its person off the list, is stored with
/// the worker's id, and is in the person's visit history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_social_worker_on_a_phone_sees_who_is_due_and_overdue_and_records_a_visit() {
    use kangyang_domain::{CivilDate, IdNumber};

    let t = start_app(Backend::Sqlite).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (official, csrf) = t.login("yunfu").await;
    let (_, villages) =
        crate::support::get_json(&official, &t.url("/api/v1/regions/445302004/children")).await;
    let served = villages[0]["code"].as_str().unwrap().to_owned();
    let post = |path: String, body: Value| {
        let req = official
            .post(t.url(&path))
            .header("x-csrf-token", &csrf)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, station) = post(
        "/api/v1/facilities".into(),
        json!({ "name": "安塘街道社工站", "kind": "social_work_station",
                "region": "445302004", "villages": served }),
    )
    .await;
    assert_eq!(status, 201, "{station}");
    let station = station["id"].as_i64().unwrap();
    let today = t.app.today();
    // Two elderly people living alone in the station's village.
    let mut people = Vec::new();
    for n in [1u16, 2] {
        let birth = CivilDate::new(today.year() - 80, 3, n as u8).unwrap();
        let (status, person) = post(
            "/api/v1/persons".into(),
            json!({
                "id_number": IdNumber::from_parts(&served[..6], birth, 300 + n).unwrap().as_str(),
                "name": crate::register::name_for(n), "village": served,
                "address": "安塘路1号", "living_situation": "独居",
            }),
        )
        .await;
        assert_eq!(status, 201, "{person}");
        people.push(person["id"].as_i64().unwrap());
    }
    let (never, late) = (people[0], people[1]);
    let forty_days_ago = today.add_days(-40).unwrap().to_string();
    let (status, visit) = post(
        format!("/api/v1/persons/{late}/visits"),
        json!({ "day": forty_days_ago, "mode": "in_person" }),
    )
    .await;
    assert_eq!(status, 201, "{visit}");
    let worker = kangyang_app::users::create_from_cli(
        &t.app,
        &kangyang_app::users::NewAccount {
            username: "worker".into(),
            display_name: "社工甲".into(),
            password: kangyang_app::auth::Password(PASSWORD.to_owned()),
            role: Role::SocialWorker,
            region: kangyang_domain::RegionCode::parse("445302004").unwrap(),
            facility_id: Some(station),
            must_change_password: false,
        },
    )
    .await
    .unwrap();

    let b = Browser::start(390, 844).await;
    b.login(&t, "worker").await;
    assert_eq!(
        b.eval("return window.innerWidth;").await,
        390,
        "the page is laid out phone-wide"
    );
    b.nav("#nav-visits").await;
    b.wait_for_url("/visits").await;
    assert_eq!(b.text("#overdue-count").await, "1");
    assert_eq!(b.text("#never-count").await, "1");
    let lines = b
        .eval(
            "return Array.from(document.querySelectorAll('#due-list > li')).map(li => [
                li.id, li.textContent,
                Array.from(li.querySelectorAll('a.button')).map(a => [a.textContent.trim(), a.getAttribute('href')]),
            ]);",
        )
        .await;
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0][0], format!("v{late}"), "the overdue person first");
    assert!(lines[0][1].as_str().unwrap().contains("逾期"), "{lines:?}");
    assert_eq!(lines[1][0], format!("v{never}"));
    assert!(
        lines[1][1].as_str().unwrap().contains("从未探访"),
        "{lines:?}"
    );
    for (line, id) in lines.iter().zip([late, never]) {
        assert_eq!(
            line[2],
            json!([["探访", format!("/visits/{id}")]]),
            "one 探访 link on {}'s line",
            line[0]
        );
    }
    let fits =
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];";
    let wide = |fit: &Value| fit[0].as_i64().unwrap() > fit[1].as_i64().unwrap();
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the visit list is wider than the phone (scrollWidth, clientWidth): {fit}"
    );

    // The visit form: today, in person, nothing ticked.
    b.click(&format!("#v{never} a.button")).await;
    b.wait_for_url(&format!("/visits/{never}")).await;
    b.find("#visit-form").await;
    let form = b
        .eval(
            "const f = document.getElementById('visit-form');
             return {
                day: f.querySelector('input[type=date][name=day]').value,
                max: f.querySelector('input[type=date][name=day]').max,
                mode: f.querySelector('input[type=radio][name=mode]:checked').value,
                modes: f.querySelectorAll('input[type=radio][name=mode]').length,
                findings: f.querySelectorAll('input[type=checkbox][name=finding]').length,
                risks: f.querySelectorAll('input[type=checkbox][name=risk]').length,
                ticked: f.querySelectorAll('input[type=checkbox]:checked').length,
                referral: f.querySelectorAll('input[name=referral]').length,
                notes: f.querySelectorAll('input[name=notes]').length,
                save: f.querySelectorAll('#save-visit').length,
             };",
        )
        .await;
    assert_eq!(form["day"], today.to_string(), "{form}");
    assert_eq!(
        form["max"],
        today.to_string(),
        "no visit after today can be picked: {form}"
    );
    assert_eq!(form["mode"], "in_person", "{form}");
    assert_eq!(form["modes"], 2, "{form}");
    assert!(form["findings"].as_i64().unwrap() > 1, "{form}");
    assert!(form["risks"].as_i64().unwrap() > 1, "{form}");
    assert_eq!(form["ticked"], 0, "{form}");
    assert_eq!(
        (&form["referral"], &form["notes"], &form["save"]),
        (&json!(1), &json!(1), &json!(1)),
        "{form}"
    );
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the visit form is wider than the phone (scrollWidth, clientWidth): {fit}"
    );
    b.click("#visit-form input[name=finding][value=lonely]")
        .await;
    b.click("#visit-form input[name=risk][value=fall]").await;
    b.type_into("#visit-form input[name=referral]", "居家养老服务中心")
        .await;
    b.type_into("#visit-form input[name=notes]", "独自在家，腿脚不便")
        .await;
    b.click("#save-visit").await;

    // Back on the list: the person is off it.
    b.find("#due-list").await;
    b.wait_for_url("/visits").await;
    assert_eq!(b.text("#never-count").await, "0");
    assert_eq!(b.text("#overdue-count").await, "1");
    assert_eq!(b.count(&format!("#v{never}")).await, 0);
    assert_eq!(b.count(&format!("#v{late}")).await, 1);
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the visit list is wider than the phone (scrollWidth, clientWidth): {fit}"
    );

    // Stored with the worker's id, the codes ticked and the referral typed.
    let stored: Vec<(String, String, String, String, String, Option<i64>)> = {
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        sqlx::query_as(
            "SELECT mode, findings, risk_flags, referral, notes, worker_id FROM visits \
             WHERE person_id = $1",
        )
        .bind(never)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
    };
    assert_eq!(stored.len(), 1, "{stored:?}");
    let (mode, findings, risks, referral, notes, worker_id) = stored[0].clone();
    assert_eq!(mode, "in_person");
    assert_eq!(
        serde_json::from_str::<Value>(&findings).unwrap(),
        json!(["lonely"])
    );
    assert_eq!(
        serde_json::from_str::<Value>(&risks).unwrap(),
        json!(["fall"])
    );
    assert_eq!(referral, "居家养老服务中心");
    assert_eq!(notes, "独自在家，腿脚不便");
    assert_eq!(worker_id, Some(worker));

    // The person's page shows the visit in its history.
    b.goto(&t.url(&format!("/visits/{never}"))).await;
    let history = b.text("#visit-history").await;
    assert!(history.contains("跌倒风险"), "{history}");
    assert!(history.contains(&today.to_string()), "{history}");
    assert!(history.contains("社工甲"), "{history}");
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the visit form with its history is wider than the phone (scrollWidth, clientWidth): {fit}"
    );
}

/// The Antang canteen's staff member, on a phone, opens today's lunch
/// counter from the canteen's page: a tap records a diner's lunch (eaten in
/// or delivered), marks their line, counts it and adds its split to the
/// totals; a wrong tap is taken back; nothing is wider than the phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canteens_staff_record_meals_at_the_counter_on_a_phone() {
    let t = start_app(Backend::Sqlite).await;
    kangyang_demo::seed_people(&t.app, 0.02).await.unwrap();
    let canteen = kangyang_demo::canteen::seed_canteens(&t.app).await.unwrap();
    let staff = kangyang_app::users::create_from_cli(
        &t.app,
        &kangyang_app::users::NewAccount {
            username: "canteen-staff".into(),
            display_name: "饭堂工作人员".into(),
            password: kangyang_app::auth::Password(PASSWORD.to_owned()),
            role: Role::FacilityStaff,
            region: kangyang_domain::RegionCode::parse("445302004").unwrap(),
            facility_id: Some(canteen),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    let today = t.app.today().to_string();
    // Today's meals at the canteen: (person, service, subsidy, personal, charity, by).
    let stored = || async {
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        sqlx::query_as::<_, (i64, String, i64, i64, i64, Option<i64>)>(
            "SELECT person_id, service, subsidy_fen, personal_fen, charity_fen, recorded_by \
             FROM canteen_meals WHERE facility_id = $1 AND day = $2 AND meal = 'lunch' \
             ORDER BY id",
        )
        .bind(canteen)
        .bind(&today)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
    };
    assert!(
        stored().await.is_empty(),
        "the demo leaves today to the counter"
    );

    let b = Browser::start(390, 844).await;
    b.login(&t, "canteen-staff").await;
    assert_eq!(b.eval("return window.innerWidth;").await, 390);
    let fits =
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];";
    let wide = |fit: &Value| fit[0].as_i64().unwrap() > fit[1].as_i64().unwrap();
    b.nav("#nav-facilities").await;
    b.wait_for_url(&format!("/facilities/{canteen}")).await;
    assert_eq!(
        b.text("#facility-name").await,
        kangyang_demo::canteen::ANTANG_CANTEEN
    );
    assert_eq!(b.text("#canteen-mode").await, "自建厨房");
    let fit = b.eval(fits).await;
    assert!(
        !wide(&fit),
        "the canteen's page is wider than the phone: {fit}"
    );
    b.click("#counter-link").await;
    b.wait_for_url(&format!("/facilities/{canteen}/meals"))
        .await;
    assert!(
        b.text("#counter-summary").await.starts_with("今天午餐"),
        "today's lunch by default"
    );
    assert!(
        b.text("#counter-menu").await.contains("午餐："),
        "today's menu"
    );
    let fit = b.eval(fits).await;
    assert!(!wide(&fit), "the counter is wider than the phone: {fit}");

    let lines = b
        .eval(
            "return Array.from(document.querySelectorAll('#meal-list li'))
                .filter(li => li.querySelector('button[value=dine_in]'))
                .map(li => li.id);",
        )
        .await;
    let lines: Vec<String> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert!(lines.len() >= 2, "diners to serve: {lines:?}");
    let count = |id: &'static str| {
        let b = &b;
        async move { b.text(&format!("#{id}")).await.parse::<usize>().unwrap() }
    };
    assert_eq!(count("recorded-count").await, 0);
    let person = |li: &str| li.trim_start_matches('d').parse::<i64>().unwrap();
    let class = |li: String| {
        let b = &b;
        async move {
            b.eval(&format!(
                "return document.getElementById('{li}').className;"
            ))
            .await
            .as_str()
            .unwrap()
            .to_owned()
        }
    };

    // One tap: lunch eaten in.
    let (first, second) = (&lines[0], &lines[lines.len() - 1]);
    b.click(&format!("#{first} button[value=dine_in]")).await;
    assert_eq!(b.wait_for_text("#recorded-count", "1").await, "1");
    b.wait_for_url(&format!("#{first}")).await;
    assert_eq!(class(first.clone()).await, "is-present");
    assert!(b.text(&format!("#{first}")).await.contains("堂食已登记"));
    assert_eq!(count("dine-in-count").await, 1);
    // Another: lunch delivered.
    b.click(&format!("#{second} button[value=delivered]")).await;
    assert_eq!(b.wait_for_text("#recorded-count", "2").await, "2");
    b.wait_for_url(&format!("#{second}")).await;
    assert_eq!(count("delivered-count").await, 1);
    assert!(b.text(&format!("#{second}")).await.contains("送餐已登记"));

    // Saved, by this user, each meal split as the totals show.
    let meals = stored().await;
    assert_eq!(
        meals
            .iter()
            .map(|m| (m.0, m.1.as_str(), m.5))
            .collect::<Vec<_>>(),
        [
            (person(first), "dine_in", Some(staff)),
            (person(second), "delivered", Some(staff))
        ]
    );
    let yuan = |fen: i64| kangyang_domain::money::Fen(fen).yuan_string();
    assert_eq!(
        b.text("#total-subsidy").await,
        yuan(meals.iter().map(|m| m.2).sum())
    );
    assert_eq!(
        b.text("#total-personal").await,
        yuan(meals.iter().map(|m| m.3).sum())
    );
    assert_eq!(
        b.text("#total-charity").await,
        yuan(meals.iter().map(|m| m.4).sum())
    );
    assert!(
        b.text(&format!("#{second}"))
            .await
            .contains(&format!("自付 {}", yuan(meals[1].3))),
        "the delivered meal's split is on its line"
    );
    let fit = b.eval(fits).await;
    assert!(!wide(&fit), "the counter is wider than the phone: {fit}");

    // A wrong tap taken back.
    b.click(&format!("#{first} button[value=clear]")).await;
    assert_eq!(b.wait_for_text("#recorded-count", "1").await, "1");
    assert_ne!(class(first.clone()).await, "is-present");
    assert_eq!(stored().await.len(), 1);

    // The month's settlement counts today's lunch, and fits the phone too.
    b.goto(&t.url(&format!("/facilities/{canteen}"))).await;
    b.click("#settlement-link").await;
    b.wait_for_url(&format!(
        "/facilities/{canteen}/settlement?month={}",
        &today[..7]
    ))
    .await;
    let fit = b.eval(fits).await;
    assert!(!wide(&fit), "the settlement is wider than the phone: {fit}");
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (month_meals,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM canteen_meals WHERE facility_id = $1 \
         AND day >= $2 AND day <= $3",
    )
    .bind(canteen)
    .bind(format!("{}-01", &today[..7]))
    .bind(format!("{}-31", &today[..7]))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(b.text("#total-meals").await, month_meals.to_string());
}

/// A home-care caregiver on a phone: from the menu to their visits, opens
/// the order, checks in (no location: the page works without it) and out;
/// the visit is recorded, and being far shorter than the bath's standard it
/// is flagged and held in the provider's settlement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caregiver_checks_in_and_out_of_a_home_visit_on_a_phone() {
    let t = start_app(Backend::Sqlite).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (official, csrf) = t.login("yunfu").await;
    let village = "445302001009";
    let post = |path: String, body: Value| {
        let req = official
            .post(t.url(&path))
            .header("x-csrf-token", &csrf)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let person = crate::register::create_person(&t, &official, &csrf, village, 3).await;
    let (status, provider) = post(
        "/api/v1/facilities".into(),
        json!({ "name": "云城区居家养老服务中心", "kind": "home_care_centre",
                "region": "445302001", "villages": village, "capacity": "10" }),
    )
    .await;
    assert_eq!(status, 201, "{provider}");
    let provider = provider["id"].as_i64().unwrap();
    kangyang_app::users::create_from_cli(
        &t.app,
        &kangyang_app::users::NewAccount {
            username: "carer".into(),
            display_name: "护理员陈秀兰".into(),
            password: kangyang_app::auth::Password(PASSWORD.to_owned()),
            role: Role::FacilityStaff,
            region: kangyang_domain::RegionCode::parse("445302001").unwrap(),
            facility_id: Some(provider),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    let (status, caregiver) = post(
        format!("/api/v1/home-care/providers/{provider}/caregivers"),
        json!({ "name": "陈秀兰", "username": "carer" }),
    )
    .await;
    assert_eq!(status, 201, "{caregiver}");
    let caregiver = caregiver["id"].as_i64().unwrap();
    let mut soon = kangyang_app::civil::datetime(t.app.now() + 600);
    soon.truncate(16);
    let (status, order) = post(
        "/api/v1/home-care/orders".into(),
        json!({ "person_id": person, "item": "bathing", "scheduled_at": soon }),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    let order = order["id"].as_i64().unwrap();
    let (status, _) = post(
        format!("/api/v1/home-care/orders/{order}/dispatch"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        format!("/api/v1/home-care/orders/{order}/accept"),
        json!({ "caregiver_id": caregiver }),
    )
    .await;
    assert_eq!(status, 204);

    let b = Browser::start(390, 844).await;
    b.login(&t, "carer").await;
    assert_eq!(b.eval("return window.innerWidth;").await, 390);
    b.nav("#nav-home-care").await;
    b.wait_for_url("/home-care").await;
    b.click("#my-visits").await;
    b.wait_for_url("/home-care/visits").await;
    assert_eq!(b.count("#visit-list > li").await, 1);
    assert!(b.text(&format!("#o{order}")).await.contains("助浴"));
    b.click(&format!("#o{order} a.button")).await;
    b.wait_for_url(&format!("/home-care/orders/{order}/visit"))
        .await;
    assert_eq!(b.text("#visit-state").await, "已接单");
    let fits =
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];";
    let fit = b.eval(fits).await;
    assert!(
        fit[0].as_i64().unwrap() <= fit[1].as_i64().unwrap(),
        "the visit page is wider than the phone: {fit}"
    );
    b.click("#check-in").await;
    assert_eq!(b.wait_for_text("#visit-state", "服务中").await, "服务中");
    assert!(b.text("#checked-in").await.len() >= 16);
    b.click("#check-out").await;
    assert_eq!(b.wait_for_text("#visit-state", "已完成").await, "已完成");
    assert!(b.text("#checked-out").await.len() >= 16);
    let flags = b
        .eval("return Array.from(document.querySelectorAll('.anomaly')).map(e => e.textContent);")
        .await;
    assert!(
        flags.to_string().contains("远短于标准"),
        "a minute's bath is flagged: {flags}"
    );
    assert_eq!(b.count("#visit-form").await, 0, "nothing more to do");

    let (status, d) = crate::support::get_json(
        &official,
        &t.url(&format!("/api/v1/home-care/orders/{order}")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(d["order"]["state"], "done");
    assert_eq!(d["order"]["check_in_located"], false);
    let month = &soon[..7];
    let (status, s) = crate::support::get_json(
        &official,
        &t.url(&format!(
            "/api/v1/home-care/providers/{provider}/settlement?month={month}"
        )),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["orders"], 1);
    assert_eq!(s["held_orders"], 1);
    assert_eq!(s["payable_fen"], 0);
}

/// 一康园一品牌 from the pages: an official goes 服务机构 → the centre, creates
/// its brand project and a milestone through the forms, and sees both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_creates_a_brand_project_and_milestone_from_the_centre_page() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (api, csrf) = t.login("heshan").await;
    let (status, body) = crate::support::post_json(
        &api,
        &csrf,
        &t.url("/api/v1/facilities"),
        json!({ "name": "沙坪康园中心", "kind": "kangyuan_centre", "region": "440784103" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let centre = body["id"].as_i64().unwrap();
    let today = t.app.today().to_string();

    let b = Browser::start(1280, 900).await;
    b.login(&t, "heshan").await;
    b.nav("#nav-facilities").await;
    b.wait_for_url("/facilities").await;
    b.click_link("沙坪康园中心").await;
    b.wait_for_url(&format!("/facilities/{centre}")).await;
    assert_eq!(b.text("#brand-projects").await, "暂无品牌项目");
    // Date inputs take their value by script: typed keys follow the
    // browser's locale, which a test cannot rely on.
    let set = |css: &str, value: &str| {
        format!(
            "document.querySelector({}).value = {}; return 0;",
            json!(css),
            json!(value)
        )
    };
    b.eval("document.querySelectorAll('details').forEach(d => d.open = true); return 0;")
        .await;
    b.type_into("#brand-form input[name=name]", "沙坪醒狮手工坊")
        .await;
    b.type_into("#brand-form input[name=description]", "学员制作醒狮头饰")
        .await;
    b.eval(&set("#brand-form input[name=started_on]", &today))
        .await;
    b.click("#brand-form button").await;
    b.wait_for_url("?ok=brand").await;
    assert_eq!(b.text("#message").await, "品牌项目已创建");

    b.eval("document.querySelectorAll('details').forEach(d => d.open = true); return 0;")
        .await;
    b.type_into(".milestone-form input[name=name]", "醒狮头饰样品")
        .await;
    b.eval(&set(".milestone-form input[name=planned_on]", &today))
        .await;
    b.click(".milestone-form button").await;
    b.wait_for_url("?ok=milestone").await;
    let shown = b.text("#brand-projects").await;
    assert!(shown.contains("沙坪醒狮手工坊"), "{shown}");
    assert!(shown.contains("学员制作醒狮头饰"), "{shown}");
    assert!(
        shown.contains(&format!("{today} 醒狮头饰样品：未完成")),
        "{shown}"
    );
}

/// Issue #14's walk: as `heshan`, only through the menu and the forms, a
/// fund source, a project for Gulao's centre with an allocation and an
/// expenditure, a partner organisation paired with the centre and a help
/// record, a rating round and a rating scored criterion by criterion, a
/// piecework order with a day's output, and a room; each then shows on
/// 康园概况 and on the centre's page. Only the centre and one trainee are
/// set up through the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_official_runs_a_centres_programme_from_the_pages_alone() {
    let t = start_app(Backend::Sqlite).await;
    t.user("heshan", Role::Official, "440784").await;
    let (api, csrf) = t.login("heshan").await;
    let (status, body) = crate::support::post_json(
        &api,
        &csrf,
        &t.url("/api/v1/facilities"),
        json!({ "name": "古劳康园中心", "kind": "kangyuan_centre", "region": "440784103" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let centre = body["id"].as_i64().unwrap();
    let (person, _) =
        crate::facility::disabled_person(&t, &api, &csrf, 3, 30, "intellectual", "2").await;
    let (status, body) = crate::support::post_json(
        &api,
        &csrf,
        &t.url(&format!("/api/v1/facilities/{centre}/enrolments")),
        json!({ "person_id": person }),
    )
    .await;
    assert!(status == 201 || status == 204, "{status} {body}");
    let today = t.app.today().to_string();
    let set = |css: &str, value: &str| {
        format!(
            "document.querySelector({}).value = {}; return 0;",
            json!(css),
            json!(value)
        )
    };

    let b = Browser::start(1280, 900).await;
    b.login(&t, "heshan").await;
    // 康园概况 → 资金管理: a source, a project, its allocation and expenditure.
    b.nav("#nav-kangyuan").await;
    b.wait_for_url("/regions/440784/kangyuan").await;
    open_forms(&b).await;
    b.click("#funds-link").await;
    b.wait_for_url("/regions/440784/funds").await;
    open_forms(&b).await;
    b.type_into("#source-form input[name=name]", "省福彩公益金")
        .await;
    submit(&b, "#source-form button").await;
    b.type_into("#project-form input[name=name]", "古劳康园提升")
        .await;
    b.eval(&format!(
        "const s = document.querySelector('#project-form select[name=facility_id]'); \
         s.value = '{centre}'; return 0;"
    ))
    .await;
    b.type_into("#project-form input[name=budget]", "50000")
        .await;
    b.eval(&set("#project-form input[name=started_on]", &today))
        .await;
    submit(&b, "#project-form button").await;
    b.find(".allocation-form").await;
    b.type_into(".allocation-form input[name=amount]", "30000")
        .await;
    b.eval(&set(".allocation-form input[name=day]", &today))
        .await;
    submit(&b, ".allocation-form button").await;
    b.find(".expenditure-form").await;
    b.type_into(".expenditure-form input[name=item]", "康复器材")
        .await;
    b.type_into(".expenditure-form input[name=amount]", "12000")
        .await;
    b.eval(&set(".expenditure-form input[name=day]", &today))
        .await;
    submit(&b, ".expenditure-form button").await;
    let funds = b.eval("return document.body.innerText;").await;
    let funds = funds.as_str().unwrap();
    for want in [
        "省福彩公益金 30,000.00",
        "古劳康园提升\t50,000.00\t30,000.00\t12,000.00",
    ] {
        assert!(funds.contains(want), "the funds page lacks {want}: {funds}");
    }

    // 康园概况 → 结对帮扶: an organisation, its pairing with the centre, help.
    b.nav("#nav-kangyuan").await;
    b.wait_for_url("/regions/440784/kangyuan").await;
    open_forms(&b).await;
    b.click("#pairing-link").await;
    b.wait_for_url("/regions/440784/pairing").await;
    open_forms(&b).await;
    b.type_into("#org-form input[name=name]", "古劳镇团委")
        .await;
    submit(&b, "#org-form button").await;
    b.find("#pair-form").await;
    b.eval(&set("#pair-form input[name=started_on]", &today))
        .await;
    submit(&b, "#pair-form button").await;
    b.find(".help-form").await;
    b.eval(&set(".help-form input[name=day]", &today)).await;
    b.type_into(".help-form input[name=amount]", "800").await;
    submit(&b, ".help-form button").await;
    b.find("#region-pairings").await;

    // 康园概况 → 星级评定轮次: open a round.
    b.nav("#nav-kangyuan").await;
    b.wait_for_url("/regions/440784/kangyuan").await;
    open_forms(&b).await;
    b.click("#rounds-link").await;
    b.wait_for_url("/regions/440784/rating-rounds").await;
    open_forms(&b).await;
    b.type_into("#round-form input[name=name]", "2026 年度康园中心星级评定")
        .await;
    b.eval(&set("#round-form input[name=opened_on]", &today))
        .await;
    submit(&b, "#round-form button").await;
    b.find("#round-form").await;

    // 服务机构 → the centre: a room, an order and a day's output, a rating.
    b.nav("#nav-facilities").await;
    b.wait_for_url("/facilities").await;
    open_forms(&b).await;
    b.click_link("古劳康园中心").await;
    b.wait_for_url(&format!("/facilities/{centre}")).await;
    open_forms(&b).await;
    b.type_into("#room-form input[name=name]", "康复训练室")
        .await;
    b.type_into("#room-form input[name=function]", "康复").await;
    b.type_into("#room-form input[name=area_m2]", "60").await;
    submit(&b, "#room-form button").await;
    b.find("#order-form").await;
    b.type_into("#order-form input[name=company]", "鹤山市某制衣厂")
        .await;
    b.type_into("#order-form input[name=product]", "衣架").await;
    b.type_into("#order-form input[name=unit_price]", "0.2")
        .await;
    b.type_into("#order-form input[name=quantity]", "1000")
        .await;
    b.eval(&set("#order-form input[name=start_date]", &today))
        .await;
    b.eval(&set("#order-form input[name=due_date]", &today))
        .await;
    submit(&b, "#order-form button").await;
    b.find("#output-form").await;
    b.eval(&set("#output-form input[name=day]", &today)).await;
    b.type_into("#output-form input[name=quantity]", "120")
        .await;
    submit(&b, "#output-form button").await;
    b.find("#rating-link").await;
    b.click("#rating-link").await;
    b.wait_for_url(&format!("/facilities/{centre}/ratings/new"))
        .await;
    // Every criterion gets its full marks and a note, as the assessors'
    // form is filled; the round just opened is chosen.
    b.eval(
        "document.querySelectorAll('#criteria input[name^=score_]').forEach(i => { \
           const max = i.closest('tr').querySelector('td.num').innerText.trim(); i.value = max; }); \
         document.querySelectorAll('#criteria input[name^=note_]').forEach(i => i.value = '现场查看'); \
         const r = document.getElementById('round-select'); r.selectedIndex = r.options.length - 1; \
         return 0;",
    )
    .await;
    b.eval(&set("#rating-form input[name=assessed_on]", &today))
        .await;
    b.type_into("#rating-form input[name=assessor]", "鹤山市评定组")
        .await;
    submit(&b, "#rating-submit").await;
    b.wait_for_url(&format!("/facilities/{centre}?ok=rating"))
        .await;
    open_forms(&b).await;

    // The centre's page shows each result.
    let page = b.eval("return document.body.innerText;").await;
    let page = page.as_str().unwrap();
    for want in [
        "康复训练室",
        "衣架",
        "120",
        "2026 年度康园中心星级评定",
        "鹤山市评定组",
        "古劳康园提升",
        "古劳镇团委",
    ] {
        assert!(
            page.contains(want),
            "the centre's page lacks {want}: {page}"
        );
    }
    // 康园概况 counts the money raised and the organisation paired.
    b.nav("#nav-kangyuan").await;
    b.wait_for_url("/regions/440784/kangyuan").await;
    open_forms(&b).await;
    assert_eq!(b.text("#fig-paired").await, "1");
    let overview = b.eval("return document.body.innerText;").await;
    let overview = overview.as_str().unwrap();
    for want in ["古劳康园中心", "古劳康园提升"] {
        assert!(overview.contains(want), "康园概况 lacks {want}: {overview}");
    }
}

/// Clicks a form's submit button and waits until the page it leads to has
/// loaded (forms answer with a redirect, often to the page they are on).
async fn submit(b: &Browser, css: &str) {
    b.eval("window.__before_submit = true; return 0;").await;
    b.click(css).await;
    for _ in 0..100 {
        let fresh = b
            .eval("return window.__before_submit === undefined && document.readyState === 'complete';")
            .await;
        if fresh == Value::Bool(true) {
            let error = b
                .eval("const e = document.querySelector('.error'); return e ? e.innerText : '';")
                .await;
            assert_eq!(error, Value::String(String::new()), "{css} was refused");
            open_forms(b).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("submitting {css} loaded no page");
}

/// Opens the folded forms of a page (each a <details>), as a user clicks
/// their headings; the menu's groups stay closed.
async fn open_forms(b: &Browser) {
    b.eval(
        "document.querySelectorAll('main details:not([open]) > summary').forEach(s => s.click()); return 0;",
    )
    .await;
}

/// Every page a role reaches, as the demo's accounts (an official, a
/// centre's staff, a social worker, a canteen's staff), on a phone (390 px)
/// and, for the officials, on a desktop (1280 px): nothing is wider than the
/// screen (`scrollWidth <= innerWidth`), and no link on it leads nowhere
/// (404 or a server error). The pages are read from the router's own table:
/// a new page is walked without being listed here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_the_screen_and_no_link_is_broken() {
    const DEMO_PASSWORD: &str = "Demo-Pages-2026";
    let t = start_app(Backend::Sqlite).await;
    kangyang_demo::build(&t.app, DEMO_PASSWORD, 0.01)
        .await
        .unwrap();
    let mut problems = Vec::new();
    let mut walked = 0;
    for (who, widths) in [
        ("heshan", &[1280u32, 390][..]),
        ("yunfu", &[1280][..]),
        ("gulao", &[390][..]),
        ("antang", &[390][..]),
        ("shitang", &[390][..]),
    ] {
        // The user's own objects fill the routes' placeholders.
        let client = t.client();
        let res = client
            .post(t.url("/api/v1/login"))
            .json(&json!({ "username": who, "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {who}");
        let (_, me) = crate::support::get_json(&client, &t.url("/api/v1/me")).await;
        let code = me["region"].as_str().unwrap().to_owned();
        let (_, people) = crate::support::get_json(&client, &t.url("/api/v1/persons")).await;
        let person = people["persons"][0]["id"].as_i64();
        let (_, facilities) = crate::support::get_json(&client, &t.url("/api/v1/facilities")).await;
        let facility = me["facility_id"]
            .as_i64()
            .or_else(|| facilities[0]["id"].as_i64());
        let mut pages = Vec::new();
        for route in kangyang_web::route_table() {
            let p = &route.path;
            if route.method != "GET"
                || route.access != kangyang_web::Access::SignedIn
                || p.starts_with("/api/")
                || p.starts_with("/assets/")
                || p.ends_with(".xlsx")
                || p.ends_with(".csv")
            {
                continue;
            }
            let mut path = p.replace("{code}", &code);
            if let Some(id) = person {
                path = path.replace("{id}", &id.to_string());
            }
            if let Some(f) = facility {
                path = path.replace("{facility}", &f.to_string());
            }
            if path.contains('{') {
                continue; // an object this walk does not create
            }
            // Only the pages this role reaches.
            let res = client.get(t.url(&path)).send().await.unwrap();
            let html = res
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
            if res.status() == 200 && html {
                pages.push(path);
            }
        }
        assert!(pages.len() >= 3, "{who} reaches only {pages:?}");
        for &width in widths {
            let b = Browser::start(width, 844).await;
            b.goto(&t.url("/login")).await;
            b.type_into("#username", who).await;
            b.type_into("#password", DEMO_PASSWORD).await;
            b.click("#login-submit").await;
            b.find("#logout").await;
            let mut links = std::collections::BTreeSet::new();
            for path in &pages {
                b.goto(&t.url(path)).await;
                b.find("main").await;
                walked += 1;
                let fit = b
                    .eval("return [document.documentElement.scrollWidth, window.innerWidth];")
                    .await;
                if fit[0].as_i64().unwrap() > fit[1].as_i64().unwrap() {
                    problems.push(format!("{who} at {width}px: {path} is {fit} wide"));
                }
                let hrefs = b
                    .eval(
                        "return Array.from(document.querySelectorAll('a[href]'))\
                         .map(a => new URL(a.getAttribute('href'), location.href).href)\
                         .filter(h => h.startsWith(location.origin)).map(h => h.split('#')[0]);",
                    )
                    .await;
                for h in hrefs.as_array().unwrap() {
                    links.insert((path.clone(), h.as_str().unwrap().to_owned()));
                }
            }
            drop(b);
            let mut checked = std::collections::BTreeSet::new();
            for (from, href) in links {
                if !checked.insert(href.clone()) {
                    continue;
                }
                let status = client.get(&href).send().await.unwrap().status().as_u16();
                if status == 404 || status >= 500 {
                    problems.push(format!(
                        "{who}: {from} links to {href}, which answers {status}"
                    ));
                }
            }
        }
    }
    assert!(walked > 50, "only {walked} pages walked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
