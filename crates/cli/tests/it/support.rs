//! Test harness: fresh databases per test, a served app on port 0, helpers.

use kangyang_app::auth::Password;
use kangyang_app::crypto::Keys;
use kangyang_app::{totp, users, App, Clock, Config, ManualClock, SystemClock};
use kangyang_domain::{RegionCode, Role};
use kangyang_store::Store;
use sqlx::{Connection, Executor};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Makes one test per backend from one body: `backend_test!(name, |b| async move { … })`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::support::Backend::Postgres).await
            }
        }
    };
}

pub const PASSWORD: &str = "Kangyuan-Gulao-350";

pub fn pg_base() -> String {
    std::env::var("KANGYANG_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The data directory: the SQLite file (SQLite) and the key file (both).
    pub dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("kangyang.db").display());
                TestDb {
                    url,
                    backend,
                    dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!(
                    "kyt_{}_{}",
                    std::process::id(),
                    SEQ.fetch_add(1, Ordering::SeqCst)
                );
                let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL at {} is not reachable ({e}); start it (see .ci/run)",
                            pg_base()
                        )
                    });
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                admin.close().await.ok();
                TestDb {
                    url: format!("{}/{name}", pg_base()),
                    backend,
                    // The binary's key file lives here.
                    dir: Some(tempfile::tempdir().unwrap()),
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside async: a short-lived thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut admin) =
                        sqlx::PgConnection::connect(&format!("{}/postgres", pg_base())).await
                    {
                        let _ = admin
                            .execute(
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                            )
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// An app on a fresh database, served on a free port.
pub struct TestApp {
    /// Held so the database outlives the test.
    pub _db: TestDb,
    pub app: App,
    pub addr: SocketAddr,
    pub clock: Option<Arc<ManualClock>>,
}

pub async fn start_app(backend: Backend) -> TestApp {
    start(backend, None, Config::default()).await
}

/// The same, with a clock the test moves by hand.
pub async fn start_app_with_clock(backend: Backend, config: Config) -> TestApp {
    let clock = Arc::new(ManualClock::new(1_790_000_000));
    start(backend, Some(clock), config).await
}

async fn start(backend: Backend, manual: Option<Arc<ManualClock>>, config: Config) -> TestApp {
    let db = TestDb::new(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    let clock: Arc<dyn Clock> = match &manual {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let app = App::start(store, config, clock, Keys::generate().0)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = app.clone();
    tokio::spawn(async move {
        axum_serve(listener, served).await;
    });
    TestApp {
        _db: db,
        app,
        addr,
        clock: manual,
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, app: App) {
    let _ = kangyang_web::serve(listener, app, kangyang_web::WebConfig::default()).await;
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Creates a user bound to `region` with the test password.
    pub async fn user(&self, username: &str, role: Role, region: &str) {
        users::create_from_cli(
            &self.app,
            &users::NewAccount {
                username: username.to_owned(),
                display_name: String::new(),
                password: Password(PASSWORD.to_owned()),
                role,
                region: RegionCode::parse(region).unwrap(),
                facility_id: None,
                must_change_password: false,
            },
        )
        .await
        .unwrap();
    }

    /// A client with its own cookie jar, not signed in.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client signed in through the API; returns it with its CSRF token.
    pub async fn login(&self, username: &str) -> (reqwest::Client, String) {
        let client = self.client();
        let res = client
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login of {username}");
        let body: serde_json::Value = res.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        (client, csrf)
    }

    /// Binds an administrator's second factor (as the TOTP page would) and
    /// signs them in with it; returns the client and its CSRF token.
    pub async fn login_with_totp(&self, username: &str) -> (reqwest::Client, String) {
        let mut conn = self.app.store().pool().acquire().await.unwrap();
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_secret = $1 WHERE username = $2")
            .bind(
                self.app
                    .keys()
                    .encrypt("3132333435363738393031323334353637383930")
                    .unwrap(),
            )
            .bind(username)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let code = totp::code_at(b"12345678901234567890", totp::step_of(self.app.now()));
        let client = self.client();
        let res = client
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({ "username": username, "password": PASSWORD, "totp": code }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        assert_eq!(status, 200, "{username} signs in: {body}");
        (client, body["csrf_token"].as_str().unwrap().to_owned())
    }

    /// POSTs `body` as JSON to `path` on this app with the CSRF header.
    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        csrf: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        post_json(client, csrf, self.url(path), body).await
    }

    pub fn advance(&self, seconds: i64) {
        self.clock
            .as_ref()
            .expect("a manual clock")
            .advance(seconds);
    }
}

pub async fn get_json(client: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// Sends `body` as JSON with the CSRF header; returns the status and the
/// JSON answer (`Null` when the answer is not JSON).
pub async fn send_json(
    client: &reqwest::Client,
    csrf: &str,
    method: reqwest::Method,
    url: impl reqwest::IntoUrl,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = client
        .request(method, url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// [`send_json`] with POST.
pub async fn post_json(
    client: &reqwest::Client,
    csrf: &str,
    url: impl reqwest::IntoUrl,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    send_json(client, csrf, reqwest::Method::POST, url, body).await
}

/// [`send_json`] with PUT.
pub async fn put_json(
    client: &reqwest::Client,
    csrf: &str,
    url: impl reqwest::IntoUrl,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    send_json(client, csrf, reqwest::Method::PUT, url, body).await
}

/// Asserts a 422 answer that names the field by its request `key`, with
/// its Chinese `label` beside it.
pub fn assert_bad_field(status: u16, e: &serde_json::Value, key: &str, label: &str) {
    assert_eq!(status, 422, "{key}: {e}");
    assert_eq!(
        (e["field"].as_str(), e["label"].as_str()),
        (Some(key), Some(label)),
        "{e}"
    );
}

/// A page's HTML.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Runs the `kangyang` binary on a test database (its data directory holds
/// the SQLite file or, on PostgreSQL, the key file).
pub fn kangyang(db: &TestDb, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kangyang"));
    cmd.args(args)
        .env_remove("KANGYANG_DATABASE_URL")
        .env("KANGYANG_LOG", "warn")
        .arg("--data-dir")
        .arg(db.dir.as_ref().unwrap().path());
    if db.backend == Backend::Postgres {
        cmd.arg("--database-url").arg(&db.url);
    }
    cmd.output().unwrap()
}

impl TestDb {
    /// The URL the test itself uses to reach what the binary wrote.
    pub fn binary_url(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "sqlite://{}",
                self.dir
                    .as_ref()
                    .unwrap()
                    .path()
                    .join("kangyang.db")
                    .display()
            ),
            Backend::Postgres => self.url.clone(),
        }
    }
}
