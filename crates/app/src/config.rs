/// Security settings, with the defaults MLPS 2.0 level 3 deployments expect.
#[derive(Debug, Clone)]
pub struct Config {
    /// A session unused this long (seconds) is ended.
    pub session_idle_timeout: i64,
    /// A session this old (seconds) is ended however busy it is.
    pub session_absolute_timeout: i64,
    /// A password older than this many days must be changed at next login.
    pub password_max_age_days: i64,
    /// An account unused this many days is disabled.
    pub account_idle_days: i64,
    /// This many failed logins within `lockout_window` lock the account...
    pub lockout_threshold: i64,
    pub lockout_window: i64,
    /// ...for this many seconds.
    pub lockout_duration: i64,
    /// Login attempts one IP address may make per minute, whatever the account.
    pub login_attempts_per_ip_per_minute: u32,
    /// New passwords may not repeat this many previous ones.
    pub password_history: i64,
    /// A province, city or county dashboard with at least this many people
    /// reads today's tallies (counted in advance) instead of counting its
    /// people on every view; smaller regions are always counted live.
    pub dashboard_live_limit: i64,
    /// A search of the register counts its matches exactly up to this many
    /// and estimates past it (shown as 约 N 人).
    pub search_count_limit: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_idle_timeout: 15 * 60,
            session_absolute_timeout: 12 * 3600,
            password_max_age_days: 90,
            account_idle_days: 90,
            lockout_threshold: 5,
            lockout_window: 15 * 60,
            lockout_duration: 15 * 60,
            login_attempts_per_ip_per_minute: 30,
            password_history: 5,
            // A live count of 200,000 people took 0.8 s of CPU on PostgreSQL
            // (BENCHMARKS.md); past 100,000 a busy server feels it.
            dashboard_live_limit: 100_000,
            // Counting a region reads index entries, a filter the matching
            // rows. Yunfu at 30,837 people on SQLite, debug build: 2.4 ms
            // for the region, 10.5 ms for its rural people (25,899), so
            // 200,000 stays under a tenth of a second, and covers every
            // county and most cities.
            search_count_limit: 200_000,
        }
    }
}
