use crate::{
    AdminCommand, AuditCommand, BenchCommand, Command, DataArgs, ImportCommand, RegionsCommand,
    ServeArgs, StatsCommand,
};
use kangyang_app::crypto::{Keys, KEY_CHECK_SETTING};
use kangyang_app::{auth::Password, regions, users, App, Config, SystemClock};
use kangyang_domain::{RegionCode, Role};
use kangyang_store::Store;
use kangyang_web::WebConfig;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) type CmdResult = Result<ExitCode, String>;

pub async fn run(command: Command) -> CmdResult {
    match command {
        Command::Serve { serve, data } => {
            let app = open_app(&data).await?;
            // There is no default account: say how to make the first one.
            let hint = match users::any_exist(&app).await.map_err(|e| e.operator_message())? {
                true => None,
                false => Some(
                    "尚无用户账号。先运行 `kangyang admin create --username admin` 创建系统管理员。".to_owned(),
                ),
            };
            serve_app(app, &serve, hint).await
        }
        Command::Demo {
            serve,
            data_dir,
            database_url,
            password,
            scale,
        } => demo(serve, &data_dir, database_url.as_deref(), password, scale).await,
        Command::Backup { to, data } => crate::backup::backup(&data, &to).await,
        Command::Restore { from, force, data } => crate::backup::restore(&data, &from, force).await,
        Command::MigrateToPostgres { to, data } => {
            crate::backup::migrate_to_postgres(&data, &to).await
        }
        Command::Stats {
            command: StatsCommand::Refresh,
            data,
        } => {
            let app = open_app(&data).await?;
            let started = std::time::Instant::now();
            let report = kangyang_app::dashboards::refresh_tallies(&app)
                .await
                .map_err(|e| e.operator_message())?;
            println!(
                "people tallies of {}: {} living people, {} tallies, {:.1} s",
                report.as_of,
                report.people,
                report.tallies,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { data } => {
            let app = open_app(&data).await?;
            println!(
                "database at schema version {} ({})",
                kangyang_store::latest_version(),
                app.store().dialect().name()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command, data } => {
            let app = open_app(&data).await?;
            admin(&app, command).await
        }
        Command::Regions {
            command: RegionsCommand::Import { file },
            data,
        } => {
            let app = open_app(&data).await?;
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let summary = regions::import_from_cli(&app, &bytes, &file.display().to_string())
                .await
                .map_err(|e| e.operator_message())?;
            println!(
                "regions: {} rows read, {} new",
                summary.total, summary.added
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command:
                ImportCommand::Persons {
                    template: Some(out),
                    ..
                },
            ..
        } => {
            let bytes = kangyang_app::sheet::person_template().map_err(|e| e.to_string())?;
            std::fs::write(&out, bytes)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("template written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command:
                ImportCommand::Persons {
                    file,
                    accept_valid,
                    region,
                    errors,
                    template: None,
                },
            data,
        } => {
            let file = file.ok_or("a FILE to import is required")?;
            let app = open_app(&data).await?;
            import_persons(&app, &file, accept_valid, region, errors).await
        }
        Command::Import {
            command:
                ImportCommand::Status {
                    file,
                    accept_valid,
                    region,
                    errors,
                },
            data,
        } => {
            let app = open_app(&data).await?;
            import_status(&app, &file, accept_valid, region, errors).await
        }
        Command::Bench {
            command: BenchCommand::Import { rows },
            data,
        } => {
            // A fresh SQLite database in a temporary directory unless a URL is given.
            let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
            let data = match data.database_url {
                Some(_) => data,
                None => DataArgs {
                    data_dir: temp.path().to_owned(),
                    database_url: None,
                    key_file: None,
                },
            };
            let app = open_app(&data).await?;
            let url = data.database_url.clone().unwrap_or_default();
            let heshan = RegionCode::parse("440784").map_err(|e| e.to_string())?;
            crate::bench::import(&app, rows, &url, &heshan).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Reads {
                    bench_dir,
                    people,
                    connections,
                    seconds,
                    region,
                    lookups_only,
                },
            data,
        } => {
            let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
            let data = bench_data(data, bench_dir, temp.path());
            let settings = crate::bench::ReadLoad {
                people,
                connections,
                seconds,
                region,
                lookups_only,
            };
            crate::bench::reads(&data, &settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Province {
                    people,
                    region,
                    seed,
                },
            data,
        } => {
            if data.database_url.is_none() {
                return Err("the province generator fills PostgreSQL: give --database-url (an empty database) and --data-dir (where its key file is kept)".into());
            }
            let app = open_app(&data).await?;
            crate::bench::province_register(&app, &data, people, &region, seed).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Writes {
                    bench_dir,
                    connections,
                    seconds,
                },
            data,
        } => {
            let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
            let data = bench_data(data, bench_dir, temp.path());
            crate::bench::writes(&data, connections, seconds).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Plan(settings),
            ..
        } => {
            crate::bench::plan(&settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Head,
            data,
        } => {
            let app = open_app(&data).await?;
            let anchor = kangyang_app::audit::head(&app)
                .await
                .map_err(|e| e.operator_message())?;
            println!("{anchor}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { anchors },
            data,
        } => {
            let anchors = anchors
                .iter()
                .map(|a| {
                    kangyang_app::audit::Anchor::parse(a).ok_or_else(|| {
                        format!("--anchor {a}: expected ID:HASH as `kangyang audit head` prints it (a row id, a colon, 64 hex digits)")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let app = open_app(&data).await?;
            match kangyang_app::audit::verify(&app, &anchors)
                .await
                .map_err(|e| e.operator_message())?
            {
                Ok(n) => {
                    println!("audit trail intact: {n} rows verified");
                    Ok(ExitCode::SUCCESS)
                }
                Err(fault) => {
                    println!("audit trail BROKEN: {fault}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

/// Where a load benchmark keeps its data: never the deployment's own data
/// directory, but --bench-dir or a temporary one.
fn bench_data(data: DataArgs, bench_dir: Option<PathBuf>, temp: &Path) -> DataArgs {
    match (&data.database_url, bench_dir) {
        // The key file of a PostgreSQL bench database lives in --bench-dir,
        // so a later run can reuse its data.
        (Some(_), dir) => DataArgs {
            data_dir: dir.unwrap_or_else(|| temp.to_owned()),
            ..data
        },
        (None, dir) => DataArgs {
            data_dir: dir.unwrap_or_else(|| temp.to_owned()),
            database_url: None,
            key_file: None,
        },
    }
}

/// Opens the database (SQLite in the data directory unless a URL is given),
/// migrates it, runs the start-up self-checks, loads the key file and
/// prepares the application.
pub(crate) async fn open_app(data: &DataArgs) -> Result<App, String> {
    ensure_private_dir(&data.data_dir)?;
    let url = match &data.database_url {
        Some(url) => url.clone(),
        None => sqlite_url(&data.data_dir)?,
    };
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    if let Some(health) = store.sqlite_health().await.map_err(|e| e.to_string())? {
        // SQLite's FULL is 2. Anything less could lose acknowledged writes.
        if !health.journal_mode.eq_ignore_ascii_case("wal") || health.synchronous != 2 {
            return Err(format!(
                "refusing to start: SQLite is in journal_mode={} synchronous={}, expected WAL and FULL (2)",
                health.journal_mode, health.synchronous
            ));
        }
    }
    // A key file is made only for a database that has never had one; for an
    // existing database a missing key file is an error, not a fresh start.
    let mut conn = store.read().await.map_err(|e| e.to_string())?;
    let new_database = kangyang_store::settings::get(&mut conn, KEY_CHECK_SETTING)
        .await
        .map_err(|e| e.to_string())?
        .is_none();
    drop(conn);
    let key_path = data
        .key_file
        .clone()
        .unwrap_or_else(|| data.data_dir.join("kangyang.key"));
    let (keys, created) = Keys::load_or_create(&key_path, new_database).map_err(|e| {
        if new_database {
            e.operator_message()
        } else {
            format!(
                "{} (this database needs the key file it was created with)",
                e.operator_message()
            )
        }
    })?;
    if created {
        eprintln!(
            "kangyang: created the key file {}; back it up apart from the database: without it the encrypted fields cannot be read",
            key_path.display()
        );
    }
    App::start(store, Config::default(), Arc::new(SystemClock), keys)
        .await
        .map_err(|e| e.operator_message())
}

fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// The SQLite URL of `data_dir/kangyang.db`. Creates the directory (0700) and
/// the file (0600) when missing, and refuses a file others can read: it holds
/// the register of a city's most vulnerable people.
fn sqlite_url(data_dir: &Path) -> Result<String, String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file: PathBuf = data_dir.join("kangyang.db");
    if !file.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    }
    let mode = std::fs::metadata(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "refusing to start: {} is readable by group or others (mode {:o}); run `chmod 600` on it",
            file.display(),
            mode & 0o777
        ));
    }
    Ok(format!("sqlite://{}", file.display()))
}

async fn serve_app(app: App, args: &ServeArgs, banner: Option<String>) -> CmdResult {
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let host = if args.host == "0.0.0.0" {
        "127.0.0.1"
    } else {
        args.host.as_str()
    };
    // A closed stdout (the launcher went away) must not stop the server, so
    // write errors are ignored here rather than panicking as println! would.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "康养服务平台: http://{host}:{}/", addr.port());
    if let Some(banner) = banner {
        let _ = writeln!(out, "{banner}");
    }
    let _ = out.flush();
    tracing::info!(%addr, dialect = app.store().dialect().name(), "serving");
    // Large regions' dashboards read the day's tallies; keep them counted.
    tokio::spawn(kangyang_app::dashboards::keep_tallies_fresh(app.clone()));
    // The audit trail's head goes into the log daily, as an outside anchor.
    tokio::spawn(kangyang_app::audit::log_head_daily(app.clone()));
    let config = WebConfig {
        secure_cookies: args.secure_cookies,
        trust_proxy: args.trust_proxy,
    };
    kangyang_web::serve(listener, app, config)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    serve: ServeArgs,
    data_dir: &Path,
    database_url: Option<&str>,
    password: Option<String>,
    scale: f64,
) -> CmdResult {
    let password = password.unwrap_or_else(|| users::generate_password().0);
    kangyang_domain::password::check(&password, "").map_err(|e| format!("--password: {e}"))?;
    let app = open_app(&DataArgs {
        data_dir: data_dir.to_owned(),
        database_url: database_url.map(str::to_owned),
        key_file: None,
    })
    .await?;
    let banner = kangyang_demo::build(&app, &password, scale).await?;
    serve_app(app, &serve, Some(banner)).await
}

fn read_password(file: Option<&Path>) -> Result<Password, String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let line = text.lines().next().unwrap_or("").to_owned();
        return Ok(Password(line));
    }
    let first = rpassword::prompt_password("密码: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let second = rpassword::prompt_password("再次输入密码: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    if first != second {
        return Err("the two passwords differ".to_owned());
    }
    Ok(Password(first))
}

async fn admin(app: &App, command: AdminCommand) -> CmdResult {
    match command {
        AdminCommand::Create {
            username,
            role,
            region,
            facility,
            display_name,
            password_file,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!(
                    "--role: unknown role {role:?}; one of {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                )
            })?;
            let region = match (facility, region) {
                (Some(id), _) => users::facility_region(app, id)
                    .await
                    .map_err(|e| format!("--facility: {}", e.operator_message()))?,
                (None, Some(code)) => {
                    RegionCode::parse(&code).map_err(|e| format!("--region: {e}"))?
                }
                (None, None) => default_region(app).await?,
            };
            let password = read_password(password_file.as_deref())?;
            let id = users::create_from_cli(
                app,
                &users::NewAccount {
                    username: username.clone(),
                    display_name,
                    password,
                    role,
                    region: region.clone(),
                    facility_id: facility,
                    must_change_password: false,
                },
            )
            .await
            .map_err(|e| e.operator_message())?;
            println!(
                "created user {username} (id {id}, {}, region {region})",
                role.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ResetPassword {
            username,
            password_file,
        } => {
            let password = read_password(password_file.as_deref())?;
            users::reset_password_from_cli(app, &username, &password, true)
                .await
                .map_err(|e| e.operator_message())?;
            println!("password of {username} reset; it must be changed at next login");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The only province in the database, as the default binding of a new account.
async fn default_region(app: &App) -> Result<RegionCode, String> {
    let mut conn = app.store().read().await.map_err(|e| e.to_string())?;
    let roots = kangyang_store::regions::children(&mut conn, None)
        .await
        .map_err(|e| e.to_string())?;
    match roots.as_slice() {
        [only] => RegionCode::parse(&only.code).map_err(|e| e.to_string()),
        _ => Err("--region is required: the database holds more than one province".to_owned()),
    }
}

/// Writes an import's error workbook to `errors`, or beside the file.
fn write_error_workbook(
    file: &Path,
    errors: Option<PathBuf>,
    bytes: Vec<u8>,
) -> Result<PathBuf, String> {
    let out = errors.unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".errors.xlsx");
        PathBuf::from(name)
    });
    std::fs::write(&out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(out)
}

/// `kangyang import status`: a department's list of deaths and moves.
async fn import_status(
    app: &App,
    file: &Path,
    accept_valid: bool,
    region: Option<String>,
    errors: Option<PathBuf>,
) -> CmdResult {
    use kangyang_app::import::{ImportOptions, Importer};
    use kangyang_app::sheet::SheetFormat;
    let format = SheetFormat::from_file_name(&file.to_string_lossy()).ok_or_else(|| {
        format!(
            "{}: only .xlsx, .xls and .csv files can be imported",
            file.display()
        )
    })?;
    let region = match region {
        Some(code) => RegionCode::parse(&code).map_err(|e| format!("--region: {e}"))?,
        None => default_region(app).await?,
    };
    let report = kangyang_app::life::import_status_file(
        app,
        &Importer::Cli { region },
        file,
        format,
        ImportOptions { accept_valid },
    )
    .await
    .map_err(|e| e.operator_message())?;
    for e in report.errors.iter().take(20) {
        eprintln!("第 {} 行：{}", e.row, e.message);
    }
    if report.errors.len() > 20 {
        eprintln!("… and {} more rows not taken", report.errors.len() - 20);
    }
    if !report.errors.is_empty() {
        let bytes = report.error_workbook().map_err(|e| e.operator_message())?;
        let out = write_error_workbook(file, errors, bytes)?;
        eprintln!(
            "the rows not taken (rejected or unmatched), with why, are in {}",
            out.display()
        );
    }
    if report.rejected > 0 && !report.committed {
        eprintln!("nothing was changed (all or nothing; --accept-valid applies the valid rows)");
    }
    if report.committed {
        eprintln!(
            "enrolments ended {}, home-care orders cancelled {}, records after the date held for review {}",
            report.enrolments_ended, report.orders_cancelled, report.held
        );
    }
    println!("{}", report.summary());
    Ok(if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn import_persons(
    app: &App,
    file: &Path,
    accept_valid: bool,
    region: Option<String>,
    errors: Option<PathBuf>,
) -> CmdResult {
    use kangyang_app::import::{import_file, ImportOptions, Importer};
    use kangyang_app::sheet::SheetFormat;
    use std::io::IsTerminal;
    let format = SheetFormat::from_file_name(&file.to_string_lossy()).ok_or_else(|| {
        format!(
            "{}: only .xlsx, .xls and .csv files can be imported",
            file.display()
        )
    })?;
    let region = match region {
        Some(code) => RegionCode::parse(&code).map_err(|e| format!("--region: {e}"))?,
        None => default_region(app).await?,
    };
    let tty = std::io::stderr().is_terminal();
    // A progress bar on a terminal; a line every 100,000 rows otherwise.
    let progress = move |phase: &str, done: u64, total: Option<u64>| {
        let mut err = std::io::stderr();
        match (tty, total) {
            (true, Some(total)) if total > 0 => {
                let filled = (done * 30 / total) as usize;
                let _ = write!(
                    err,
                    "\r{phase} [{}{}] {done}/{total} 行",
                    "#".repeat(filled),
                    " ".repeat(30 - filled.min(30))
                );
                if done == total {
                    let _ = writeln!(err);
                }
            }
            (true, _) => {
                let _ = write!(err, "\r{phase} {done} 行");
            }
            (false, _) if done.is_multiple_of(10_000) || total == Some(done) => {
                let _ = writeln!(err, "{phase} {done} 行");
            }
            _ => {}
        }
    };
    let report = import_file(
        app,
        &Importer::Cli { region },
        file,
        format,
        ImportOptions { accept_valid },
        &progress,
    )
    .await
    .map_err(|e| e.operator_message())?;
    for warning in report.warnings.iter().take(20) {
        eprintln!("warning: {warning}");
    }
    if report.warnings.len() > 20 {
        eprintln!("warning: … and {} more", report.warnings.len() - 20);
    }
    for e in report.errors.iter().take(20) {
        eprintln!("第 {} 行：{}", e.row, e.message);
    }
    if report.rejected > 20 {
        eprintln!("… and {} more rejected rows", report.rejected - 20);
    }
    if report.rejected > 0 {
        let bytes = report.error_workbook().map_err(|e| e.operator_message())?;
        let out = write_error_workbook(file, errors, bytes)?;
        eprintln!(
            "the rejected rows, with what is wrong, are in {}",
            out.display()
        );
        if !report.committed {
            eprintln!(
                "nothing was imported (all or nothing; --accept-valid imports the valid rows)"
            );
        }
    }
    println!("{}", report.summary());
    Ok(if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
