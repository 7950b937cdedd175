//! Durability: a server killed with SIGKILL during concurrent writes keeps
//! every write it acknowledged and nothing half-written; backups restore to
//! the same data, table for table; a SQLite deployment moves to PostgreSQL.

use crate::backend_test;
use crate::support::{kangyang, Backend, TestDb, PASSWORD};
use kangyang_domain::{CivilDate, IdNumber};
use kangyang_store::database_copy::{self, Cell};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "kangyang failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a refusal");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A database with people (imported, so encrypted fields, blind indexes and
/// an audit chain) and an official account.
fn populated(db: &TestDb, people: u32) {
    ok(&kangyang(db, &["migrate"]));
    let dir = db.dir.as_ref().unwrap().path();
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    ok(&kangyang(
        db,
        &[
            "admin",
            "create",
            "--username",
            "heshan",
            "--role",
            "official",
            "--region",
            "440784",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    ));
    let csv = dir.join("people.csv");
    let mut text = String::from("身份证号,姓名,居住村（社区）代码,联系电话\n");
    for n in 0..people {
        let birth = CivilDate::new(
            1940 + (n % 40) as u16,
            1 + (n % 12) as u8,
            1 + (n % 28) as u8,
        )
        .unwrap();
        let id = IdNumber::from_parts("440784", birth, (n / 480) as u16).unwrap();
        text.push_str(&format!(
            "{},测试{},440784103202,1380000{:04}\n",
            id.as_str(),
            ["甲", "乙", "丙"][(n % 3) as usize],
            n
        ));
    }
    std::fs::write(&csv, text).unwrap();
    ok(&kangyang(db, &["import", "persons", csv.to_str().unwrap()]));
}

async fn snapshot(url: &str) -> BTreeMap<String, Vec<Vec<Cell>>> {
    let store = kangyang_store::Store::connect(url).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let snap = database_copy::snapshot(&mut conn).await.unwrap();
    drop(conn);
    store.close().await;
    snap
}

fn rows(snap: &BTreeMap<String, Vec<Vec<Cell>>>, table: &str) -> usize {
    snap.get(table).map(Vec::len).unwrap_or(0)
}

backend_test!(
    a_backup_restores_every_table_as_it_was,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        populated(&db, 300);
        let scratch = tempfile::tempdir().unwrap();
        let backup = scratch.path().join("kangyang.backup");
        let out = ok(&kangyang(
            &db,
            &["backup", "--to", backup.to_str().unwrap()],
        ));
        assert!(out.contains("key file is not in it"), "{out}");
        let again = failed(&kangyang(
            &db,
            &["backup", "--to", backup.to_str().unwrap()],
        ));
        assert!(again.contains("already exists"), "{again}");
        let before = snapshot(&db.binary_url()).await;
        assert_eq!(rows(&before, "persons"), 300);
        assert!(rows(&before, "audit_log") > 0);

        // Changes after the backup are what a restore takes back.
        let pw = db.dir.as_ref().unwrap().path().join("pw");
        ok(&kangyang(
            &db,
            &[
                "admin",
                "create",
                "--username",
                "later",
                "--role",
                "official",
                "--region",
                "440784",
                "--password-file",
                pw.to_str().unwrap(),
            ],
        ));
        assert_ne!(snapshot(&db.binary_url()).await, before);

        match b {
            Backend::Sqlite => {
                // A key that is not this database's: refused, nothing replaced.
                let stranger = TestDb::new(Backend::Sqlite).await;
                ok(&kangyang(&stranger, &["migrate"]));
                let wrong_key = stranger.dir.as_ref().unwrap().path().join("kangyang.key");
                let refused = failed(&kangyang(
                    &db,
                    &[
                        "restore",
                        "--force",
                        "--from",
                        backup.to_str().unwrap(),
                        "--key-file",
                        wrong_key.to_str().unwrap(),
                    ],
                ));
                assert!(refused.contains("key"), "{refused}");
                let refused = failed(&kangyang(
                    &db,
                    &["restore", "--from", backup.to_str().unwrap()],
                ));
                assert!(refused.contains("--force"), "{refused}");
                assert_ne!(
                    snapshot(&db.binary_url()).await,
                    before,
                    "nothing was replaced"
                );

                ok(&kangyang(
                    &db,
                    &["restore", "--force", "--from", backup.to_str().unwrap()],
                ));
                assert_eq!(snapshot(&db.binary_url()).await, before);
                let kept = std::fs::read_dir(db.dir.as_ref().unwrap().path())
                    .unwrap()
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
                assert!(kept, "the replaced database is kept");
            }
            Backend::Postgres => {
                // Into a new database, with the key of the original.
                let fresh = TestDb::new(Backend::Postgres).await;
                let key = db.dir.as_ref().unwrap().path().join("kangyang.key");
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_kangyang"));
                let out = cmd
                    .args(["restore", "--from", backup.to_str().unwrap()])
                    .arg("--database-url")
                    .arg(&fresh.url)
                    .arg("--key-file")
                    .arg(&key)
                    .arg("--data-dir")
                    .arg(fresh.dir.as_ref().unwrap().path())
                    .env_remove("KANGYANG_DATABASE_URL")
                    .env("KANGYANG_LOG", "warn")
                    .output()
                    .unwrap();
                ok(&out);
                assert_eq!(snapshot(&fresh.url).await, before);
            }
        }
        let out = ok(&kangyang(&db, &["audit", "verify"]));
        assert!(!out.is_empty());
    }
);

#[tokio::test]
async fn a_sqlite_deployment_moves_to_postgres_table_for_table() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    populated(&sqlite, 200);
    let pg = TestDb::new(Backend::Postgres).await;
    let dir = sqlite.dir.as_ref().unwrap().path();
    let migrate = |to: &str| {
        Command::new(env!("CARGO_BIN_EXE_kangyang"))
            .args(["migrate-to-postgres", "--to", to, "--data-dir"])
            .arg(dir)
            .env_remove("KANGYANG_DATABASE_URL")
            .env("KANGYANG_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = ok(&migrate(&pg.url));
    assert!(out.contains("every table's row count matches"), "{out}");
    let there = snapshot(&pg.url).await;
    assert_eq!(rows(&there, "persons"), 200);
    assert_eq!(snapshot(&sqlite.binary_url()).await, there);

    // The PostgreSQL copy serves: the audit chain verifies there, with the
    // same key file, and new rows do not collide with copied ids.
    let on_pg = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kangyang"))
            .args(args)
            .arg("--database-url")
            .arg(&pg.url)
            .arg("--data-dir")
            .arg(dir)
            .env_remove("KANGYANG_DATABASE_URL")
            .env("KANGYANG_LOG", "warn")
            .output()
            .unwrap()
    };
    ok(&on_pg(&["audit", "verify"]));
    let pw = dir.join("pw");
    ok(&on_pg(&[
        "admin",
        "create",
        "--username",
        "after",
        "--role",
        "official",
        "--region",
        "440784",
        "--password-file",
        pw.to_str().unwrap(),
    ]));

    // A second run finds the target in use and changes nothing.
    let refused = failed(&migrate(&pg.url));
    assert!(refused.contains("empty database"), "{refused}");
    assert_eq!(rows(&snapshot(&pg.url).await, "users"), 2);
}

fn serve(db: &TestDb) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kangyang"));
    cmd.args(["serve", "--port", "0", "--data-dir"])
        .arg(db.dir.as_ref().unwrap().path())
        .env_remove("KANGYANG_DATABASE_URL")
        .env("KANGYANG_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if db.backend == Backend::Postgres {
        cmd.arg("--database-url").arg(&db.url);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok);
    let url = lines
        .by_ref()
        .find_map(|l| {
            l.split_once("http://")
                .map(|(_, rest)| format!("http://{}", rest.trim_end_matches('/')))
        })
        .expect("the server prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

backend_test!(
    a_killed_server_keeps_every_acknowledged_write,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        populated(&db, 10);
        let store = kangyang_store::Store::connect(&db.binary_url())
            .await
            .unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let (imported_up_to,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM persons")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        store.close().await;
        let (mut server, url) = serve(&db);
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let res = client
            .post(format!("{url}/api/v1/login"))
            .json(&serde_json::json!({ "username": "heshan", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let csrf = res.json::<serde_json::Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();

        // Eight writers register people as fast as they are acknowledged.
        let (tx, mut acked) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
        let mut writers = Vec::new();
        for w in 0..8u16 {
            let (client, csrf, url, tx) = (client.clone(), csrf.clone(), url.clone(), tx.clone());
            writers.push(tokio::spawn(async move {
                for n in 0..10_000u16 {
                    let birth =
                        CivilDate::new(1950 + w, 1 + (n % 12) as u8, 1 + (n % 28) as u8).unwrap();
                    let id = IdNumber::from_parts("440784", birth, 500 + n / 84).unwrap();
                    let res = client
                        .post(format!("{url}/api/v1/persons"))
                        .header("x-csrf-token", &csrf)
                        .json(&serde_json::json!({
                            "id_number": id.as_str(), "name": "测试甲",
                            "village": "440784103202", "address": "古劳镇",
                        }))
                        .send()
                        .await;
                    let Ok(res) = res else { return };
                    if res.status() != 201 {
                        continue;
                    }
                    let Ok(body) = res.json::<serde_json::Value>().await else {
                        return;
                    };
                    if let Some(id_num) = body["id"].as_i64() {
                        let _ = tx.send((id_num, id.as_str().to_owned()));
                    }
                }
            }));
        }
        drop(tx);
        let mut seen = Vec::new();
        while seen.len() < 200 {
            match tokio::time::timeout(std::time::Duration::from_secs(20), acked.recv()).await {
                Ok(Some(v)) => seen.push(v),
                _ => break,
            }
        }
        // SIGKILL while the writers are still going.
        server.kill().unwrap();
        server.wait().unwrap();
        for w in writers {
            let _ = w.await;
        }
        while let Ok(v) = acked.try_recv() {
            seen.push(v);
        }
        assert!(seen.len() >= 200, "the writers got going ({})", seen.len());

        // Restarted: every acknowledged person is there, each with its audit
        // row, and no person without one.
        let (mut again, url) = serve(&db);
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let res = client
            .post(format!("{url}/api/v1/login"))
            .json(&serde_json::json!({ "username": "heshan", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        for (id, _) in seen.iter().step_by(17) {
            let res = client
                .get(format!("{url}/api/v1/persons/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "acknowledged person {id}");
        }
        again.kill().unwrap();
        again.wait().unwrap();
        let store = kangyang_store::Store::connect(&db.binary_url())
            .await
            .unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM persons")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let ids: std::collections::BTreeSet<i64> = ids.into_iter().map(|(i,)| i).collect();
        for (id, _) in &seen {
            assert!(ids.contains(id), "acknowledged person {id} survived");
        }
        let (orphans,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM persons p WHERE p.id > $1 AND NOT EXISTS \
             (SELECT 1 FROM audit_log a WHERE a.object_type = 'person' \
              AND a.object_id = CAST(p.id AS TEXT) AND a.action = 'person.create')",
        )
        .bind(imported_up_to)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if b == Backend::Sqlite {
            assert_eq!(
                database_copy::sqlite_integrity(&mut conn).await.unwrap(),
                "ok"
            );
        }
        drop(conn);
        store.close().await;
        assert_eq!(
            orphans, 0,
            "every person written by the API has its audit row"
        );
        ok(&kangyang(&db, &["audit", "verify"]));
    }
);
