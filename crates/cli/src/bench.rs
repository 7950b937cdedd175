//! `kangyang bench …`: benchmarks that print figures (never assertions).

use kangyang_app::import::{import_file, ImportOptions, Importer};
use kangyang_app::sheet::SheetFormat;
use kangyang_app::App;
use kangyang_domain::{CivilDate, IdNumber, RegionCode};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The machine, as a line for the figures.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    format!("{cpu}, {cores} cores, {} GiB", mem_kb / 1024 / 1024)
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

const SURNAMES: [&str; 10] = ["陈", "李", "黄", "梁", "张", "林", "刘", "吴", "何", "罗"];
const GIVEN: [&str; 10] = [
    "桂芳", "亚妹", "炳", "锦华", "秀英", "伯", "志强", "丽华", "国明", "玉兰",
];
const LIVING: [&str; 3] = ["独居", "空巢", "与家人同住"];
const ECONOMIC: [&str; 5] = ["一般", "低保", "特困", "低保边缘", "困难"];

/// A connection of the app's pool, for a benchmark's own reads.
async fn acquire(
    app: &App,
) -> Result<impl std::ops::DerefMut<Target = kangyang_store::Conn>, String> {
    app.store()
        .pool()
        .acquire()
        .await
        .map_err(|e| e.to_string())
}

/// Writes `rows` valid, distinct people of the villages as the CSV a town
/// would send: name, ID number, village, phone, living situation, economic status.
pub fn write_csv(path: &Path, rows: u64, villages: &[String]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "姓名,身份证号,居住村（社区）代码,联系电话,居住状况,经济状况"
    )?;
    for n in 0..rows {
        // 33,600 birth dates and sequences 0-999 make every ID distinct for
        // up to 33.6 million rows.
        let birth = civil_from_day((n % 33_600) as i64);
        let seq = (n / 33_600) as u16;
        let village = &villages[(n % villages.len() as u64) as usize];
        let id = IdNumber::from_parts(&village[..6], birth, seq)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        writeln!(
            out,
            "{}{},{},{},1{:010},{},{}",
            SURNAMES[(n % 10) as usize],
            GIVEN[(n / 10 % 10) as usize],
            id.as_str(),
            village,
            3_000_000_000u64 + n,
            LIVING[(n % 3) as usize],
            ECONOMIC[(n % 5) as usize],
        )?;
    }
    out.flush()
}

/// A distinct birth date for each `day` in 0..33,600: years of twelve
/// 28-day months from 1926 (only to spread birth dates).
fn civil_from_day(day: i64) -> CivilDate {
    let year = 1926 + (day / 336) as u16;
    let month = ((day % 336) / 28 + 1) as u8;
    let dom = (day % 28 + 1) as u8;
    CivilDate::new(year, month, dom).unwrap_or(CivilDate::EPOCH)
}

/// Imports `rows` generated people of `region`'s villages and, in the same
/// run, the raw load of the same file by the engine's own tool; prints the
/// figures.
pub async fn import(
    app: &App,
    rows: u64,
    database_url: &str,
    region: &RegionCode,
) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let csv = dir.path().join("persons.csv");
    let mut conn = acquire(app).await?;
    let villages: Vec<String> = kangyang_store::regions::villages_under(&mut conn, region)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.code)
        .collect();
    drop(conn);
    let started = Instant::now();
    write_csv(&csv, rows, &villages).map_err(|e| e.to_string())?;
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    println!("machine: {}", machine());
    println!("backend: {}", app.store().dialect().name());
    println!(
        "generated {rows} rows ({:.1} MiB) in {:.1} s",
        size as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );

    let quiet = |_: &str, _: u64, _: Option<u64>| {};
    let started = Instant::now();
    let report = import_file(
        app,
        &Importer::Cli {
            region: region.clone(),
        },
        &csv,
        SheetFormat::Csv,
        ImportOptions::default(),
        &quiet,
    )
    .await
    .map_err(|e| e.operator_message())?;
    let ours = started.elapsed().as_secs_f64();
    println!("kangyang import (validated, encrypted, indexed, one transaction): {ours:.1} s, {:.0} rows/s", rows as f64 / ours);
    println!("  {}", report.summary());
    println!("  peak RSS of this process: {:.0} MiB", peak_rss_mib());

    let raw = match app.store().dialect() {
        kangyang_store::Dialect::Sqlite => raw_sqlite(&csv, dir.path()),
        kangyang_store::Dialect::Postgres => raw_postgres(&csv, database_url),
    };
    match raw {
        Ok((tool, secs)) => {
            println!(
                "{tool} of the same file into an unindexed table: {secs:.1} s, {:.0} rows/s",
                rows as f64 / secs
            );
            println!("ratio kangyang / raw: {:.2}", ours / secs);
        }
        Err(e) => println!("raw baseline not measured: {e}"),
    }
    Ok(())
}

fn raw_sqlite(csv: &Path, dir: &Path) -> Result<(&'static str, f64), String> {
    let db = dir.join("raw.db");
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\nCREATE TABLE raw (name TEXT, id_number TEXT, village TEXT, phone TEXT, living TEXT, economic TEXT);\n.import --csv --skip 1 {} raw\n",
        csv.display()
    );
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(script.as_bytes())?;
            }
            child.wait()
        })
        .map_err(|e| format!("sqlite3 could not run ({e}); install Debian's sqlite3"))?;
    if !out.success() {
        return Err("sqlite3 .import failed".into());
    }
    Ok(("sqlite3 .import", started.elapsed().as_secs_f64()))
}

fn raw_postgres(csv: &Path, url: &str) -> Result<(&'static str, f64), String> {
    let run = |sql: &str| {
        Command::new("psql")
            .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .status()
            .map_err(|e| format!("psql could not run ({e})"))
    };
    run("DROP TABLE IF EXISTS bench_raw; CREATE UNLOGGED TABLE bench_raw (name TEXT, id_number TEXT, village TEXT, phone TEXT, living TEXT, economic TEXT)")?;
    let started = Instant::now();
    let status = run(&format!(
        "\\copy bench_raw FROM '{}' WITH (FORMAT csv, HEADER true)",
        csv.display()
    ))?;
    let secs = started.elapsed().as_secs_f64();
    let _ = run("DROP TABLE IF EXISTS bench_raw");
    if !status.success() {
        return Err("COPY failed".into());
    }
    Ok(("PostgreSQL COPY", secs))
}

/// What one kind of request measured.
struct Kind {
    name: &'static str,
    latencies_us: Vec<u64>,
    errors: u64,
}

impl Kind {
    fn new(name: &'static str) -> Kind {
        Kind {
            name,
            latencies_us: Vec::new(),
            errors: 0,
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// Peak resident memory (VmHWM) of another process, in MiB.
fn peak_rss_of(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Settings of `kangyang bench reads`.
pub struct ReadLoad {
    /// The register is topped up to this many people.
    pub people: u64,
    pub connections: usize,
    pub seconds: u64,
    pub region: String,
    /// Only person look-ups by id.
    pub lookups_only: bool,
}

/// The read load: a server process on the register, `connections` clients
/// on loopback for `seconds`: person look-ups by id (75 %), name searches in
/// a town (15 %), the elderly of a town (5 %) and the region's dashboard
/// (5 %), all as a signed-in official of `region`. Prints throughput,
/// latency percentiles, errors and the server's peak RSS.
pub async fn reads(data: &crate::DataArgs, settings: &ReadLoad) -> Result<(), String> {
    use rand::Rng;
    let ReadLoad {
        people,
        connections,
        seconds,
        ref region,
        lookups_only,
    } = *settings;
    let app = crate::commands::open_app(data).await?;
    let region = RegionCode::parse(region).map_err(|e| format!("--region: {e}"))?;
    let scope = kangyang_store::register::PersonScope::from(&kangyang_domain::Scope::Region {
        region: region.clone(),
    });
    let mut conn = acquire(&app).await?;
    let have = kangyang_store::register::count(&mut conn, &scope)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    println!("machine: {}", machine());
    println!("backend: {}", app.store().dialect().name());
    if (have as u64) < people {
        println!("loading {people} people (the register had {have})…");
        let url = data.database_url.clone().unwrap_or_default();
        import(&app, people - have as u64, &url, &region).await?;
    }
    // A running deployment has its dashboard tallies; count them now if
    // this register has none, as its server would on its first start.
    let mut conn = acquire(&app).await?;
    let counted = kangyang_store::stats::tallies_counted(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    if counted.is_none() {
        let started = Instant::now();
        let report = kangyang_app::dashboards::refresh_tallies(&app)
            .await
            .map_err(|e| e.operator_message())?;
        println!(
            "dashboard tallies counted: {} living people, {:.1} s",
            report.people,
            started.elapsed().as_secs_f64()
        );
    }
    let password = format!("Bench-{:016x}", rand::thread_rng().gen::<u64>());
    let username = format!("bench{}", rand::thread_rng().gen_range(1000..9999));
    kangyang_app::users::create_from_cli(
        &app,
        &kangyang_app::users::NewAccount {
            username: username.clone(),
            display_name: "负载测试".into(),
            password: kangyang_app::auth::Password(password.clone()),
            role: kangyang_domain::Role::Official,
            region: region.clone(),
            facility_id: None,
            must_change_password: false,
        },
    )
    .await
    .map_err(|e| e.operator_message())?;
    let mut conn = acquire(&app).await?;
    let (lo, hi) = kangyang_store::register::id_range(&mut conn, &scope)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the register is empty")?;
    let total = kangyang_store::register::count(&mut conn, &scope)
        .await
        .map_err(|e| e.to_string())?;
    // The towns of the region, whose people the searches look through.
    let mut towns: Vec<String> = kangyang_store::regions::villages_under(&mut conn, &region)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|v| v.code.get(..9).map(str::to_owned))
        .collect();
    towns.dedup();
    if towns.is_empty() {
        return Err(format!("no towns under region {region}"));
    }
    drop(conn);
    app.store().close().await;
    println!(
        "register: {total} people in region {region} ({} towns); {connections} connections for {seconds} s",
        towns.len()
    );

    let (mut server, base) = spawn_server(data)?;
    let load = Load {
        base,
        region: region.to_string(),
        towns,
        ids: (lo, hi),
        lookups_only,
    };
    let result = drive(load, &username, &password, connections, seconds).await;
    let rss = peak_rss_of(server.id());
    let _ = server.kill();
    let _ = server.wait();
    print_kinds(&result?, seconds as f64);
    println!("server peak RSS: {rss:.0} MiB");
    Ok(())
}

/// The server as users run it: its own process, `serve --port 0` on the
/// benchmark's data; returns it with its base URL.
fn spawn_server(data: &crate::DataArgs) -> Result<(std::process::Child, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["serve", "--port", "0", "--data-dir"])
        .arg(&data.data_dir)
        .env("KANGYANG_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(url) = &data.database_url {
        cmd.arg("--database-url").arg(url);
    }
    if let Some(key) = &data.key_file {
        cmd.arg("--key-file").arg(key);
    }
    let mut server = cmd.spawn().map_err(|e| e.to_string())?;
    let stdout = server.stdout.take().ok_or("no server output")?;
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok);
    let Some(base) = lines.by_ref().find_map(|l| {
        l.split_once("http://")
            .map(|(_, rest)| format!("http://{}", rest.trim_end_matches('/')))
    }) else {
        let _ = server.kill();
        let _ = server.wait();
        return Err("the server did not start".into());
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((server, base))
}

/// The figures of each kind of request over `seconds` of load.
fn print_kinds(kinds: &[Kind], seconds: f64) {
    let all: u64 = kinds.iter().map(|k| k.latencies_us.len() as u64).sum();
    let errors: u64 = kinds.iter().map(|k| k.errors).sum();
    println!(
        "all: {all} requests, {:.0} req/s, {errors} errors",
        all as f64 / seconds
    );
    for k in kinds {
        println!(
            "  {:<28} {:>8} req  {:>7.0} req/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>7.1} ms  errors {}",
            k.name,
            k.latencies_us.len(),
            k.latencies_us.len() as f64 / seconds,
            k.percentile(0.50),
            k.percentile(0.99),
            k.percentile(1.0),
            k.errors
        );
    }
}

/// What the read load asks for.
struct Load {
    base: String,
    region: String,
    towns: Vec<String>,
    /// The lowest and highest person id in the region.
    ids: (i64, i64),
    lookups_only: bool,
}

const KINDS: [&str; 4] = [
    "person look-up by id",
    "name search in a town",
    "elderly of a town",
    "region dashboard",
];

async fn drive(
    load: Load,
    username: &str,
    password: &str,
    connections: usize,
    seconds: u64,
) -> Result<Vec<Kind>, String> {
    use rand::Rng;
    let (client, _) = sign_in(&load.base, username, password, connections).await?;
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
    let load = std::sync::Arc::new(load);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, load) = (client.clone(), load.clone());
        tasks.push(tokio::spawn(async move {
            let mut kinds = KINDS.map(Kind::new);
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_entropy();
            const SURNAMES: [&str; 5] = ["陈", "李", "黄", "梁", "张"];
            let base = &load.base;
            while Instant::now() < deadline {
                let roll = rng.gen_range(0..100);
                let town = &load.towns[rng.gen_range(0..load.towns.len())];
                let (k, url) = if roll < 75 || load.lookups_only {
                    let (lo, hi) = load.ids;
                    (
                        0,
                        format!("{base}/api/v1/persons/{}", rng.gen_range(lo..=hi)),
                    )
                } else if roll < 90 {
                    (
                        1,
                        format!(
                            "{base}/api/v1/persons?name={}&region={town}",
                            SURNAMES[rng.gen_range(0..5)],
                        ),
                    )
                } else if roll < 95 {
                    (
                        2,
                        format!("{base}/api/v1/persons?category=elderly&region={town}"),
                    )
                } else {
                    (
                        3,
                        format!("{base}/api/v1/regions/{}/dashboard", load.region),
                    )
                };
                let started = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    kinds[k]
                        .latencies_us
                        .push(started.elapsed().as_micros() as u64);
                } else {
                    kinds[k].errors += 1;
                }
            }
            kinds
        }));
    }
    let mut merged = Vec::from(KINDS.map(Kind::new));
    for t in tasks {
        let kinds = t.await.map_err(|e| e.to_string())?;
        for (m, k) in merged.iter_mut().zip(kinds) {
            m.latencies_us.extend(k.latencies_us);
            m.errors += k.errors;
        }
    }
    for m in &mut merged {
        m.latencies_us.sort_unstable();
    }
    Ok(merged)
}

/// The write load's Kangyuan centre (Gulao town) and elder canteen (Taoyuan
/// town); a database that already has them is refused, so every run checks
/// its own records only.
const WRITES_CENTRE: &str = "古劳镇康园中心（写入负载测试）";
const WRITES_CANTEEN: &str = "桃源镇长者饭堂（写入负载测试）";
const GULAO: &str = "440784103";
const TAOYUAN: &str = "440784104";
/// Trainees of the centre, and diners of the canteen.
const WRITES_PEOPLE: u64 = 300;
/// Everyone is enrolled this many days before today: the days the load may
/// write for (300 people × 3,650 days is far more than a run can use).
const WRITES_HISTORY_DAYS: u64 = 3_650;
const MEALS: [&str; 3] = ["breakfast", "lunch", "dinner"];
/// Every attendance (person, day) is taken by two clients in a row: a
/// repeated tap, which must leave one record.
const MARK_GROUP: u64 = 2;
/// One meal in five is a repeat of the one before, posted at the same time
/// by another client: one must be recorded and the other refused (409).
const MEAL_GROUP: u64 = 5;

/// What the write load runs on: the two facilities, their people, and a
/// staff account bound to each.
struct WriteFixture {
    centre: i64,
    canteen: i64,
    trainees: Vec<i64>,
    diners: Vec<i64>,
    centre_staff: String,
    canteen_staff: String,
    password: String,
    today: CivilDate,
}

/// The key a client's `take`-th request writes, counted over all clients of
/// a kind: in each group of `group` takes the last two share a key, so the
/// same record is posted twice at nearly the same moment, most often by two
/// different clients.
fn shared_key(take: u64, group: u64) -> u64 {
    (take / group) * (group - 1) + (take % group).min(group - 2)
}

/// The people of the fixture as a town's sheet has them: trainees of Gulao
/// (adults with an intellectual or mental disability, as a Kangyuan centre
/// takes them) and elderly people of Taoyuan. Returns their ID numbers.
fn write_fixture_csv(
    path: &Path,
    gulao: &[String],
    taoyuan: &[String],
) -> Result<(Vec<String>, Vec<String>), String> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| e.to_string())?);
    let mut line = |s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    line("姓名,身份证号,居住村（社区）代码,联系电话,居住状况,经济状况,残疾类别,残疾等级".into())?;
    // The n-th person of a group: born `step` days after the one before,
    // living in one of `villages`; `rest` is the row after the phone.
    let person = |n: u64, born: u16, step: i64, seq: u16, villages: &[String], rest: &str| {
        let birth = CivilDate::new(born, 1, 1)
            .ok()
            .and_then(|d| d.add_days(step * n as i64))
            .ok_or("date")?;
        let village = &villages[n as usize % villages.len()];
        let id = IdNumber::from_parts(&village[..6], birth, seq + (n % 2) as u16)
            .map_err(|e| e.to_string())?;
        let row = format!(
            "{}{},{},{village},1{:010},{rest}",
            SURNAMES[(n % 10) as usize],
            GIVEN[(n / 10 % 10) as usize],
            id.as_str(),
            3_000_000_000u64 + u64::from(seq) * 1_000 + n,
        );
        Ok::<_, String>((id.as_str().to_owned(), row))
    };
    let (mut trainees, mut diners) = (Vec::new(), Vec::new());
    for n in 0..WRITES_PEOPLE {
        // Born 1980-1990: adults of 16-59 on their first day, as the
        // centre's rule asks.
        let disability = if n % 3 == 0 {
            "精神残疾"
        } else {
            "智力残疾"
        };
        let rest = format!("与家人同住,一般,{disability},{}", 2 + n % 2);
        let (id, row) = person(n, 1980, 13, 500, gulao, &rest)?;
        line(row)?;
        trainees.push(id);
        // Born 1935-1949: 60 and over on every day of the history.
        let rest = format!(
            "{},{},,",
            LIVING[(n % 3) as usize],
            ECONOMIC[(n % 5) as usize]
        );
        let (id, row) = person(n, 1935, 17, 600, taoyuan, &rest)?;
        line(row)?;
        diners.push(id);
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok((trainees, diners))
}

/// Creates the fixture through the use cases, as an official of Heshan
/// would: the people imported from a sheet, the centre and the canteen
/// registered, everyone enrolled by ID number from WRITES_HISTORY_DAYS ago,
/// and a facility-staff account for each facility.
async fn write_fixture(app: &App, dir: &Path) -> Result<WriteFixture, String> {
    use kangyang_app::{auth, canteen, facility, kangyuan, users};
    use kangyang_domain::{Role, Scope};
    use rand::Rng;
    let err = |e: kangyang_app::AppError| e.operator_message();
    let heshan = RegionCode::parse("440784").map_err(|e| e.to_string())?;
    let mut conn = acquire(app).await?;
    let existing = kangyang_store::facility::list(
        &mut conn,
        &kangyang_store::facility::FacilityScope::from(&Scope::Region {
            region: heshan.clone(),
        }),
        None,
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    if existing
        .iter()
        .any(|f| f.values.name == WRITES_CENTRE || f.values.name == WRITES_CANTEEN)
    {
        return Err("this database already holds a write-load fixture: give a new --bench-dir or an empty PostgreSQL database".into());
    }
    let mut villages = Vec::new();
    for town in [GULAO, TAOYUAN] {
        let town = RegionCode::parse(town).map_err(|e| e.to_string())?;
        let v: Vec<String> = kangyang_store::regions::villages_under(&mut conn, &town)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| r.code)
            .collect();
        if v.is_empty() {
            return Err(format!("no villages under {town}"));
        }
        villages.push(v);
    }
    drop(conn);

    let csv = dir.join("writes-people.csv");
    let (trainee_ids, diner_ids) = write_fixture_csv(&csv, &villages[0], &villages[1])?;
    let quiet = |_: &str, _: u64, _: Option<u64>| {};
    let report = import_file(
        app,
        &Importer::Cli {
            region: heshan.clone(),
        },
        &csv,
        SheetFormat::Csv,
        ImportOptions::default(),
        &quiet,
    )
    .await
    .map_err(err)?;
    let _ = std::fs::remove_file(&csv);
    if report.rejected > 0 || report.imported + report.unchanged != 2 * WRITES_PEOPLE {
        return Err(format!("the fixture's people: {}", report.summary()));
    }

    let password = format!("Bench-{:016x}", rand::thread_rng().gen::<u64>());
    let tag = rand::thread_rng().gen_range(1000..9999);
    let official = format!("bench{tag}");
    let account = |username: &str, role, region, facility_id| users::NewAccount {
        username: username.to_owned(),
        display_name: "负载测试".into(),
        password: auth::Password(password.clone()),
        role,
        region,
        facility_id,
        must_change_password: false,
    };
    users::create_from_cli(
        app,
        &account(&official, Role::Official, heshan.clone(), None),
    )
    .await
    .map_err(err)?;
    let (_, actor) = auth::login(
        app,
        &auth::Credentials {
            username: &official,
            password: &auth::Password(password.clone()),
            totp: None,
        },
        &kangyang_app::Origin::cli(),
    )
    .await
    .map_err(err)?;
    let today = app.today();
    let start = today
        .add_days(-(WRITES_HISTORY_DAYS as i64))
        .ok_or("date")?
        .to_string();
    // Each facility: registered, its people enrolled by ID number as staff
    // enrol them, and its staff account bound to it.
    let mut made = Vec::new();
    for (name, kind, town, ids, staff) in [
        (
            WRITES_CENTRE,
            "kangyuan_centre",
            GULAO,
            &trainee_ids,
            "kangyuan",
        ),
        (
            WRITES_CANTEEN,
            "elder_canteen",
            TAOYUAN,
            &diner_ids,
            "shitang",
        ),
    ] {
        let input = facility::FacilityInput {
            name: name.to_owned(),
            kind: kind.to_owned(),
            region: town.to_owned(),
            address: "负载测试地址".to_owned(),
            ..Default::default()
        };
        let facility_id = facility::create(app, &actor, &input).await.map_err(err)?;
        if kind == "elder_canteen" {
            canteen::set_mode(app, &actor, facility_id, "own_kitchen")
                .await
                .map_err(err)?;
        }
        for id in ids {
            let enrol = kangyuan::EnrolRequest {
                person_id: None,
                id_number: Some(id.clone()),
                start_date: Some(start.clone()),
            };
            kangyuan::enrol(app, &actor, facility_id, &enrol)
                .await
                .map_err(err)?;
        }
        let people: Vec<i64> = kangyuan::trainees(app, &actor, facility_id, false)
            .await
            .map_err(err)?
            .into_iter()
            .map(|t| t.person_id)
            .collect();
        let username = format!("{staff}{tag}");
        let region = users::facility_region(app, facility_id)
            .await
            .map_err(err)?;
        users::create_from_cli(
            app,
            &account(&username, Role::FacilityStaff, region, Some(facility_id)),
        )
        .await
        .map_err(err)?;
        made.push((facility_id, people, username));
    }
    let (Some((canteen, diners, canteen_staff)), Some((centre, trainees, centre_staff))) =
        (made.pop(), made.pop())
    else {
        return Err("the fixture's facilities were not made".into());
    };
    if trainees.is_empty() || diners.is_empty() {
        return Err("the fixture's facilities have no one enrolled".into());
    }
    Ok(WriteFixture {
        centre,
        canteen,
        trainees,
        diners,
        centre_staff,
        canteen_staff,
        password,
        today,
    })
}

/// What the clients were told was stored.
#[derive(Default)]
struct Acknowledged {
    /// (person, day) of every attendance mark answered 204.
    marks: Vec<(i64, String)>,
    /// (person, day, meal) and the id of every meal answered 201.
    meals: Vec<((i64, String, String), i64)>,
    /// (person, day, meal) of every meal refused as already recorded (409).
    refused: Vec<(i64, String, String)>,
}

/// The load-average line of /proc/loadavg (the machine may be shared).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The write load: a server process, `connections` clients on loopback for
/// `seconds`, half of them signing trainees in at a Kangyuan centre and half
/// recording meals at an elder canteen, each as that facility's staff. Then
/// the server is killed and the database read directly: every acknowledged
/// write must be there, none twice. Prints throughput, latency percentiles,
/// errors, lost and duplicated records and the server's peak RSS.
pub async fn writes(
    data: &crate::DataArgs,
    connections: usize,
    seconds: u64,
) -> Result<(), String> {
    if connections < 2 {
        return Err("--connections must be at least 2 (one for each kind of write)".into());
    }
    let app = crate::commands::open_app(data).await?;
    println!("machine: {}", machine());
    println!("backend: {}", app.store().dialect().name());
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let fixture = write_fixture(&app, temp.path()).await?;
    app.store().close().await;
    println!(
        "fixture: a Kangyuan centre with {} trainees and an elder canteen with {} diners, enrolled {} days back, a staff account for each; made in {:.1} s",
        fixture.trainees.len(),
        fixture.diners.len(),
        WRITES_HISTORY_DAYS,
        started.elapsed().as_secs_f64()
    );
    let marking = connections.div_ceil(2);
    println!(
        "{connections} connections ({marking} signing in attendance, {} recording meals) for {seconds} s; load average before: {}",
        connections - marking,
        load_average()
    );

    let (mut server, base) = spawn_server(data)?;
    let result = drive_writes(&base, &fixture, connections, seconds).await;
    let rss = peak_rss_of(server.id());
    // Killed, not stopped: what was acknowledged must have reached the disk.
    let _ = server.kill();
    let _ = server.wait();
    let (kinds, acknowledged, elapsed) = result?;
    let load_after = load_average();
    print_kinds(&kinds, elapsed);
    println!(
        "writes/s: attendance {:.0}, meals {:.0}",
        acknowledged.marks.len() as f64 / elapsed,
        acknowledged.meals.len() as f64 / elapsed
    );
    println!("server peak RSS: {rss:.0} MiB; load average after: {load_after}");

    let app = crate::commands::open_app(data).await?;
    let faults = check_writes(&app, &fixture, &acknowledged).await;
    app.store().close().await;
    match faults? {
        0 => Ok(()),
        n => Err(format!("{n} acknowledged writes lost or duplicated")),
    }
}

async fn drive_writes(
    base: &str,
    f: &WriteFixture,
    connections: usize,
    seconds: u64,
) -> Result<(Vec<Kind>, Acknowledged, f64), String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let (centre_client, centre_csrf) =
        sign_in(base, &f.centre_staff, &f.password, connections).await?;
    let (canteen_client, canteen_csrf) =
        sign_in(base, &f.canteen_staff, &f.password, connections).await?;
    let marks_taken = Arc::new(AtomicU64::new(0));
    let meals_taken = Arc::new(AtomicU64::new(0));
    let trainees = Arc::new(f.trainees.clone());
    let diners = Arc::new(f.diners.clone());
    let mark_url = format!("{base}/api/v1/facilities/{}/attendance", f.centre);
    let meal_url = format!("{base}/api/v1/facilities/{}/meals", f.canteen);
    let today = f.today;
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let marking = c % 2 == 0;
        let (client, csrf, url) = if marking {
            (centre_client.clone(), centre_csrf.clone(), mark_url.clone())
        } else {
            (
                canteen_client.clone(),
                canteen_csrf.clone(),
                meal_url.clone(),
            )
        };
        let (marks_taken, meals_taken) = (marks_taken.clone(), meals_taken.clone());
        let (trainees, diners) = (trainees.clone(), diners.clone());
        tasks.push(tokio::spawn(async move {
            let mut kinds = [
                Kind::new("attendance mark (204)"),
                Kind::new("meal recorded (201)"),
                Kind::new("meal repeat refused (409)"),
            ];
            let mut ack = Acknowledged::default();
            while Instant::now() < deadline {
                // The key: (person, day) for a mark, (person, day, meal) for
                // a meal; days go back from today, one day's people at a time.
                let (take, group, people, meals) = if marking {
                    (&marks_taken, MARK_GROUP, &trainees, 1)
                } else {
                    (&meals_taken, MEAL_GROUP, &diners, MEALS.len() as u64)
                };
                let key = shared_key(take.fetch_add(1, Ordering::Relaxed), group);
                let n = people.len() as u64;
                let (back, within) = (key / (n * meals), key % (n * meals));
                let (Some(&person), Some(&meal), Some(day)) = (
                    people.get((within % n) as usize),
                    MEALS.get((within / n) as usize),
                    today.add_days(-(back as i64)),
                ) else {
                    break;
                };
                if back > WRITES_HISTORY_DAYS {
                    break;
                }
                let day = day.to_string();
                let body = if marking {
                    serde_json::json!({ "person_id": person, "day": day, "mark": "present" })
                } else {
                    serde_json::json!({ "person_id": person, "day": day, "meal": meal, "service": "dine_in" })
                };
                let sent = Instant::now();
                let res = client
                    .post(&url)
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .send()
                    .await;
                let status = res.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
                let answer: Option<serde_json::Value> = match res {
                    Ok(r) => r.json().await.ok(),
                    Err(_) => None,
                };
                let us = sent.elapsed().as_micros() as u64;
                match (marking, status) {
                    (true, 204) => {
                        kinds[0].latencies_us.push(us);
                        ack.marks.push((person, day));
                    }
                    (true, _) => kinds[0].errors += 1,
                    (false, 201) => match answer.as_ref().and_then(|a| a["id"].as_i64()) {
                        Some(id) => {
                            kinds[1].latencies_us.push(us);
                            ack.meals.push(((person, day, meal.to_owned()), id));
                        }
                        // Recorded, but the client cannot say which record:
                        // an error, and the check names the record unacknowledged.
                        None => kinds[1].errors += 1,
                    },
                    (false, 409) => {
                        kinds[2].latencies_us.push(us);
                        ack.refused.push((person, day, meal.to_owned()));
                    }
                    (false, _) => kinds[1].errors += 1,
                }
            }
            (kinds, ack)
        }));
    }
    let mut merged = vec![
        Kind::new("attendance mark (204)"),
        Kind::new("meal recorded (201)"),
        Kind::new("meal repeat refused (409)"),
    ];
    let mut all = Acknowledged::default();
    for t in tasks {
        let (kinds, ack) = t.await.map_err(|e| e.to_string())?;
        for (m, k) in merged.iter_mut().zip(kinds) {
            m.latencies_us.extend(k.latencies_us);
            m.errors += k.errors;
        }
        all.marks.extend(ack.marks);
        all.meals.extend(ack.meals);
        all.refused.extend(ack.refused);
    }
    let elapsed = started.elapsed().as_secs_f64();
    for m in &mut merged {
        m.latencies_us.sort_unstable();
    }
    Ok((merged, all, elapsed))
}

/// Reads what the database holds for the fixture's facilities and compares
/// it with what the clients were told; prints the findings and returns the
/// number of lost and duplicated writes.
async fn check_writes(app: &App, f: &WriteFixture, ack: &Acknowledged) -> Result<usize, String> {
    use std::collections::{HashMap, HashSet};
    let mut conn = acquire(app).await?;
    let (from, to) = ("0000-01-01", "9999-12-31");

    // Attendance: one row per (person, day) whatever the number of taps.
    let rows = kangyang_store::kangyuan::attendance_between(&mut conn, f.centre, from, to)
        .await
        .map_err(|e| e.to_string())?;
    let mut stored: HashMap<(i64, String), (usize, bool)> = HashMap::new();
    for (person, day, present) in &rows {
        let e = stored.entry((*person, day.clone())).or_insert((0, true));
        e.0 += 1;
        e.1 &= *present;
    }
    let acked: HashSet<&(i64, String)> = ack.marks.iter().collect();
    let lost = acked
        .iter()
        .filter(|k| !stored.get(**k).is_some_and(|(_, present)| *present))
        .count();
    let duplicated = rows.len() - stored.len();
    let unacknowledged = stored.keys().filter(|k| !acked.contains(k)).count();
    println!(
        "attendance: {} marks acknowledged ({} distinct (person, day), {} repeated taps); {} rows stored; lost {lost}, duplicated {duplicated}, stored without acknowledgement {unacknowledged}",
        ack.marks.len(),
        acked.len(),
        ack.marks.len() - acked.len(),
        rows.len()
    );

    // Meals: one per (person, day, meal) at a canteen; a repeat is refused.
    let rows = kangyang_store::canteen::meals_between(&mut conn, f.canteen, from, to)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    let mut stored: HashMap<(i64, String, String), Vec<i64>> = HashMap::new();
    for m in &rows {
        stored
            .entry((m.person_id, m.day.clone(), m.meal.clone()))
            .or_default()
            .push(m.id);
    }
    let mut created: HashMap<&(i64, String, String), Vec<i64>> = HashMap::new();
    for (key, id) in &ack.meals {
        created.entry(key).or_default().push(*id);
    }
    let meals_lost = ack
        .meals
        .iter()
        .filter(|(key, id)| !stored.get(key).is_some_and(|ids| ids.contains(id)))
        .count();
    // Two rows of one key, or two clients both told theirs was recorded.
    let meals_duplicated =
        rows.len() - stored.len() + created.values().map(|ids| ids.len() - 1).sum::<usize>();
    let refused_unstored = ack
        .refused
        .iter()
        .filter(|key| !stored.contains_key(*key))
        .count();
    let unacknowledged = stored.keys().filter(|k| !created.contains_key(k)).count();
    println!(
        "meals: {} recorded (201), {} repeats refused (409); {} rows stored for {} distinct meals acknowledged; lost {meals_lost}, duplicated {meals_duplicated}, refused but not stored {refused_unstored}, stored without acknowledgement {unacknowledged}",
        ack.meals.len(),
        ack.refused.len(),
        rows.len(),
        created.len()
    );
    let faults = lost + duplicated + meals_lost + meals_duplicated + refused_unstored;
    if faults == 0 {
        println!("no acknowledged write lost, none stored twice");
    }
    Ok(faults)
}

/// A client signed in through the API as a user does, with a cookie jar its
/// clones share and its CSRF token.
async fn sign_in(
    base: &str,
    username: &str,
    password: &str,
    connections: usize,
) -> Result<(reqwest::Client, String), String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(connections)
        .build()
        .map_err(|e| e.to_string())?;
    let res = client
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!(
            "the benchmark account could not sign in: {}",
            res.status()
        ));
    }
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    let csrf = body["csrf_token"]
        .as_str()
        .ok_or("the login answer has no CSRF token")?
        .to_owned();
    Ok((client, csrf))
}

/// Settings of `kangyang bench plan`.
#[derive(clap::Args)]
pub struct PlanBench {
    #[arg(long, default_value_t = 1_000_000)]
    pub people: u64,
    #[arg(long, default_value_t = 26_842)]
    pub villages: usize,
    #[arg(long, default_value_t = 10_000)]
    pub candidates: usize,
    /// Existing facilities, at town seats (at most 1,757).
    #[arg(long, default_value_t = 600)]
    pub existing: usize,
    #[arg(long, default_value_t = 200)]
    pub k: usize,
    #[arg(long, default_value_t = 3.0)]
    pub radius_km: f64,
    /// The p-median counts each distance at most this far.
    #[arg(long, default_value_t = 10.0)]
    pub cutoff_km: f64,
    /// The same seed plans the same province.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// A synthetic province shaped like Guangdong's administrative tree (124
/// counties, about 15 towns a county, 26,842 villages): county seats spread
/// over 800 km × 450 km with a denser delta, towns around their county seat,
/// villages around their town; each person belongs to a village, and seat
/// villages are bigger. Returns the villages (points) and each one's people.
fn province(s: &PlanBench) -> (Vec<kangyang_domain::planning::Point>, Vec<u64>) {
    use kangyang_domain::planning::Point;
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(s.seed);
    let normal = |rng: &mut rand::rngs::StdRng, sd: f64| -> f64 {
        // Box-Muller.
        let u: f64 = rng.gen_range(f64::EPSILON..1.0);
        let v: f64 = rng.gen();
        sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let counties: Vec<Point> = (0..124)
        .map(|c| {
            if c % 3 == 0 {
                // The Pearl River Delta: a third of the counties in 150 × 100 km.
                Point {
                    x: 380.0 + rng.gen_range(0.0..150.0),
                    y: 120.0 + rng.gen_range(0.0..100.0),
                }
            } else {
                Point {
                    x: rng.gen_range(0.0..800.0),
                    y: rng.gen_range(0.0..450.0),
                }
            }
        })
        .collect();
    let towns_total = 1_757;
    let towns: Vec<Point> = (0..towns_total)
        .map(|t| {
            let c = counties[t % counties.len()];
            Point {
                x: c.x + normal(&mut rng, 12.0),
                y: c.y + normal(&mut rng, 12.0),
            }
        })
        .collect();
    let mut villages = Vec::with_capacity(s.villages);
    for v in 0..s.villages {
        let t = v % towns.len();
        let seat = towns[t];
        // The first villages of a town are its seat's residents' committees.
        let sd = if v < towns.len() * 2 { 0.8 } else { 2.5 };
        villages.push(Point {
            x: seat.x + normal(&mut rng, sd),
            y: seat.y + normal(&mut rng, sd),
        });
    }
    // People: each picks a village, seat villages four times as likely.
    let pull: Vec<f64> = (0..s.villages)
        .map(|v| {
            let seat = if v < towns.len() * 2 { 4.0 } else { 1.0 };
            seat * rng.gen_range(0.3..1.7)
        })
        .collect();
    let mut cumulative = Vec::with_capacity(pull.len());
    let mut acc = 0.0;
    for p in &pull {
        acc += p;
        cumulative.push(acc);
    }
    let mut people = vec![0u64; s.villages];
    for _ in 0..s.people {
        let r = rng.gen_range(0.0..acc);
        let v = cumulative.partition_point(|&c| c <= r).min(s.villages - 1);
        people[v] += 1;
    }
    (villages, people)
}

/// `kangyang bench plan`: the planner on a province.
pub fn plan(s: &PlanBench) -> Result<(), String> {
    use kangyang_domain::planning::{self, Demand, Engine, Instance, Objective, Site};
    use rand::seq::index::sample;
    use rand::SeedableRng;
    if s.villages == 0 || s.candidates > s.villages || s.k > s.candidates {
        return Err("need villages > 0, candidates ≤ villages and k ≤ candidates".into());
    }
    println!("machine: {}", machine());
    let t = Instant::now();
    let (villages, people) = province(s);
    let generated = t.elapsed().as_secs_f64();
    let mut rng = rand::rngs::StdRng::seed_from_u64(s.seed ^ 0x5eed);
    let inst = Instance {
        demand: villages
            .iter()
            .zip(&people)
            .filter(|(_, &w)| w > 0)
            .map(|(&at, &weight)| Demand { at, weight })
            .collect(),
        // Candidates: village centres, drawn at random.
        candidates: sample(&mut rng, villages.len(), s.candidates)
            .into_iter()
            .map(|v| Site {
                at: villages[v],
                capacity: None,
            })
            .collect(),
        // Existing facilities: at the seats of some towns (their first village).
        existing: (0..s.existing.min(1_757))
            .map(|t| Site {
                at: villages[(t * 7) % 1_757],
                capacity: None,
            })
            .collect(),
    };
    println!(
        "instance: {} people in {} villages ({} with people), {} candidates, {} existing facilities, K = {}; generated and aggregated in {:.2} s",
        s.people,
        villages.len(),
        inst.demand.len(),
        inst.candidates.len(),
        inst.existing.len(),
        s.k,
        generated
    );
    for objective in [
        Objective::Coverage {
            radius_km: s.radius_km,
        },
        Objective::Median {
            radius_km: s.radius_km,
            cutoff_km: s.cutoff_km,
        },
    ] {
        planning::validate(&inst, objective, s.k).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let engine = Engine::new(&inst, objective);
        let t_index = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut state = engine.greedy(s.k);
        let t_greedy = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let swaps = engine.interchange(&mut state, 20);
        let t_swap = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let bound = engine.bound(&state, s.k, planning::LAGRANGIAN_STEPS);
        let t_bound = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut p = engine.report(&inst, &state, bound, s.k);
        p.swaps = swaps;
        let t_report = t.elapsed().as_secs_f64();
        println!();
        match objective {
            Objective::Coverage { radius_km } => println!("maximal covering, R = {radius_km} km"),
            Objective::Median { cutoff_km, .. } => {
                println!("p-median, distances truncated at {cutoff_km} km")
            }
        }
        println!(
            "  phases: index + lists {:.2} s ({} candidate-village pairs), greedy {:.2} s, interchange {:.2} s ({} swaps), bound {:.2} s, report {:.2} s; total {:.2} s",
            t_index,
            engine.pairs(),
            t_greedy,
            t_swap,
            p.swaps,
            t_bound,
            t_report,
            t_index + t_greedy + t_swap + t_bound + t_report
        );
        println!(
            "  covered within {} km: before {:.1} %, after {:.1} % ({} sites chosen)",
            s.radius_km,
            p.before.covered_permille() as f64 / 10.0,
            p.after.covered_permille() as f64 / 10.0,
            p.chosen.len()
        );
        match objective {
            Objective::Coverage { .. } => println!(
                "  people covered {:.0}, upper bound {:.0}, gap {:.3} %",
                p.value,
                p.bound,
                p.gap * 100.0
            ),
            Objective::Median { .. } => println!(
                "  mean distance before {:.3} km, after {:.3} km; person-km {:.0}, lower bound {:.0}, gap {:.3} %",
                p.before.person_km.unwrap_or(0.0) / s.people as f64,
                p.value / s.people as f64,
                p.value,
                p.bound,
                p.gap * 100.0
            ),
        }
        if let Some(first) = p.chosen.first() {
            println!("  first site: {}", first.why);
        }
    }
    println!();
    println!("peak RSS: {:.0} MiB", peak_rss_mib());
    Ok(())
}

/// `kangyang bench province`: fills an empty PostgreSQL register with about
/// `people` synthetic people over the villages of `region`, then prepares it
/// as a deployment would be (VACUUM ANALYZE, the dashboard tallies) and
/// prints the time of each phase and the size on disk.
pub async fn province_register(
    app: &App,
    data: &crate::DataArgs,
    people: u64,
    region: &str,
    seed: u64,
) -> Result<(), String> {
    let url = data
        .database_url
        .clone()
        .ok_or("the province generator needs --database-url")?;
    let counties = kangyang_demo::bulk::villages_by_county(app, region)
        .await
        .map_err(|e| e.operator_message())?;
    let villages: usize = counties.iter().map(Vec::len).sum();
    if villages == 0 {
        return Err(format!("no villages under region {region}"));
    }
    let scale = kangyang_demo::bulk::scale_for(people, villages);
    println!("machine: {}", machine());
    println!(
        "generating about {people} people over {villages} villages in {} counties (demo scale {scale:.2}), seed {seed}",
        counties.len()
    );
    let started = Instant::now();
    let now = app.now();
    // Two generating threads (encryption and hashing are most of the work)
    // feed the COPY; a bounded channel keeps memory flat when PostgreSQL
    // falls behind.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<(Vec<u8>, u64), String>>(8);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counties = std::sync::Arc::new(counties);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (tx, next, counties, app) = (tx.clone(), next.clone(), counties.clone(), app.clone());
        workers.push(std::thread::spawn(move || loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(county) = counties.get(i) else {
                return;
            };
            // A failure, even a panic, is sent on: the load aborts and keeps
            // nothing, rather than committing the other thread's people.
            let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                kangyang_demo::bulk::county_people(&app, county, scale, seed)
            }));
            let sealed = match generated {
                Ok(Ok(sealed)) => sealed,
                Ok(Err(e)) => {
                    let _ = tx.blocking_send(Err(e.operator_message()));
                    return;
                }
                Err(_) => {
                    let _ = tx.blocking_send(Err("a generating thread panicked".into()));
                    return;
                }
            };
            for chunk in sealed.chunks(20_000) {
                let mut csv = Vec::with_capacity(chunk.len() * 700);
                for p in chunk {
                    kangyang_store::bulk::copy_row(&mut csv, p, now);
                }
                if tx.blocking_send(Ok((csv, chunk.len() as u64))).is_err() {
                    // The load stopped; its error is reported there.
                    return;
                }
            }
        }));
    }
    drop(tx);
    let mut next_report = 1_000_000;
    let report = kangyang_store::bulk::load_persons(&url, rx, |rows| {
        if rows >= next_report {
            println!(
                "  {rows} people copied, {:.0} s, {:.0} people/s",
                started.elapsed().as_secs_f64(),
                rows as f64 / started.elapsed().as_secs_f64()
            );
            next_report += 1_000_000;
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    for w in workers {
        w.join().map_err(|_| "a generating thread failed")?;
    }
    println!(
        "loaded {} people: generate + copy {:.1} s ({:.0} people/s), indexes and keys {:.1} s, commit {:.1} s",
        report.rows,
        report.copy_seconds,
        report.rows as f64 / report.copy_seconds.max(0.001),
        report.index_seconds,
        report.commit_seconds
    );
    let phase = Instant::now();
    let mut conn = acquire(app).await?;
    // Statistics for the planner and the visibility map for index-only scans.
    kangyang_store::bulk::vacuum_analyze_persons(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "VACUUM ANALYZE persons: {:.1} s",
        phase.elapsed().as_secs_f64()
    );
    drop(conn);
    let phase = Instant::now();
    let tallies = kangyang_app::dashboards::refresh_tallies(app)
        .await
        .map_err(|e| e.operator_message())?;
    println!(
        "dashboard tallies: {} for {} living people, {:.1} s",
        tallies.tallies,
        tallies.people,
        phase.elapsed().as_secs_f64()
    );
    println!(
        "total {:.1} s; generator peak RSS {:.0} MiB",
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    Ok(())
}
