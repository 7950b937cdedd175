//! Logging in and out, sessions, and changing one's password.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::{totp, Actor, App, AppError, Origin, Result};
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use kangyang_domain::{password, Action, RegionCode, Role, Scope};
use kangyang_store::sessions::SessionRow;
use kangyang_store::users::UserRow;
use kangyang_store::{permissions, sessions, users};
use rand::RngCore;
use sm3::{Digest, Sm3};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A new session's secret token: goes to the browser in the cookie, never stored.
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

/// A password as typed. `Debug` hides it so it cannot reach a log by accident.
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    kangyang_domain::audit::hex(&bytes)
}

/// A fresh random token for a form that has no session yet (the login
/// form's CSRF token).
pub fn form_token() -> String {
    random_token()
}

/// What is stored for a token: its SM3 hash.
fn token_hash(token: &str) -> String {
    kangyang_domain::audit::hex(&Sm3::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            // password_hash errors do not implement `std::error::Error` (no `std` feature).
            .map_err(|e| AppError::internal(e.to_string()))
    })
    .await
    .map_err(AppError::internal)?
}

pub(crate) async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the username is unknown, so that a login
/// for a missing account takes as long as one with a wrong password.
async fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return h;
    }
    let h = hash_password(&random_token()).await.unwrap_or_default();
    DECOY.get_or_init(|| h)
}

/// Counts login attempts per IP address in one-minute windows, in memory: a
/// brute force from one address is slowed whatever accounts it tries.
pub(crate) struct LoginRateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
    /// How many password hashes sign-ins and password changes verified: every
    /// failure path verifies exactly one, so that timing tells nothing.
    verifications: AtomicU64,
}

impl LoginRateLimiter {
    pub(crate) fn new(per_minute: u32) -> LoginRateLimiter {
        LoginRateLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
            verifications: AtomicU64::new(0),
        }
    }

    fn allow(&self, ip: &str, now: i64) -> bool {
        let minute = now / 60;
        let Ok(mut windows) = self.windows.lock() else {
            return true;
        };
        if windows.len() > 100_000 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let entry = windows.entry(ip.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// How many password hashes this app has verified for sign-ins and password
/// changes (tests check that every failure path costs one).
pub fn password_verifications(app: &App) -> u64 {
    app.login_limiter.verifications.load(Ordering::Relaxed)
}

/// Verifies a password typed at sign-in or to change it, against the user's
/// hash or, for an unknown user, the decoy: one argon2 verification each time.
async fn verify_counted(app: &App, password: &Password, hash: Option<&str>) -> bool {
    app.login_limiter
        .verifications
        .fetch_add(1, Ordering::Relaxed);
    match hash {
        Some(hash) => verify_password(&password.0, hash).await,
        None => {
            verify_password(&password.0, decoy_hash().await).await;
            false
        }
    }
}

/// The username of a failed sign-in as the audit trail and the failure count
/// keep it: someone who types their ID number (GB 11643, 18 characters) or
/// mobile number (11 digits) into the username field leaves it masked, not
/// in clear. Account names of that shape are refused when accounts are made,
/// so no real account is affected.
pub fn logged_username(typed: &str) -> String {
    match (looks_like_person_number(typed), typed.len()) {
        (true, 18) => kangyang_domain::mask::mask_id(typed),
        (true, _) => kangyang_domain::mask::mask_phone(typed),
        (false, _) => typed.to_owned(),
    }
}

/// True for text shaped like an ID number (17 digits and a digit or X, GB
/// 11643) or a mobile number (11 digits).
pub(crate) fn looks_like_person_number(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        18 => {
            b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17].eq_ignore_ascii_case(&b'x'))
        }
        11 => b.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// What a user signs in with.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a Password,
    /// The current code of their authenticator, when they have one.
    pub totp: Option<&'a str>,
}

/// A failed sign-in (or check of the current password) as the audit trail records it.
fn failed(action: &'static str, object_id: &str, reason: &'static str) -> Event<'static> {
    Event {
        action,
        object_type: "user",
        object_id: object_id.to_owned(),
        result: Outcome::Failed,
        detail: serde_json::json!({ "reason": reason }),
    }
}

/// Counts a failed attempt for `name` and, at the threshold, locks the
/// account (when there is one), auditing `action` failed for `reason`.
/// Wrong passwords, wrong second-factor codes and wrong current passwords
/// all count alike: otherwise whoever has one factor (or a stolen session)
/// may guess the other without limit. Returns true when this failure locked
/// the account.
async fn count_failure(
    app: &App,
    user: Option<&UserRow>,
    name: &str,
    who: &Who,
    (action, object_id, reason): (&'static str, &str, &'static str),
) -> Result<bool> {
    let now = app.now();
    let cfg = app.config();
    let mut conn = app.store().read().await?;
    users::record_login_failure(&mut conn, name, &who.ip, now).await?;
    let recent = users::login_failures_since(&mut conn, name, now - cfg.lockout_window).await?;
    drop(conn);
    let Some(user) = user.filter(|_| recent >= cfg.lockout_threshold) else {
        app.audit(who, failed(action, object_id, reason)).await?;
        return Ok(false);
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::set_locked_until(&mut tx, user.id, Some(now + cfg.lockout_duration)).await?;
    users::clear_login_failures(&mut tx, name).await?;
    let mut event = failed(action, object_id, reason);
    event.detail = serde_json::json!({ "reason": reason, "locked": true });
    app.audit_in(&mut tx, who, event).await?;
    tx.commit().await?;
    Ok(true)
}

/// Signs a user in. Every failure gives the same error, whatever its cause,
/// and costs the same: one password hash is verified on every path.
pub async fn login(
    app: &App,
    credentials: &Credentials<'_>,
    origin: &Origin,
) -> Result<(SessionToken, Actor)> {
    let (username, password) = (credentials.username, credentials.password);
    let now = app.now();
    let cfg = app.config();
    if !app.login_limiter.allow(&origin.ip, now) {
        return Err(AppError::RateLimited);
    }
    let logged = logged_username(username);
    let who = Who::anonymous(&logged, origin);
    let fail = |reason: &'static str| failed("login", &logged, reason);

    let mut conn = app.store().read().await?;
    let user = users::find_by_username(&mut conn, username).await?;
    let failures_of_unknown = match &user {
        Some(_) => 0,
        None => users::login_failures_since(&mut conn, &logged, now - cfg.lockout_window).await?,
    };
    drop(conn);
    // Verified before anything else is looked at, whatever the account's state.
    let password_ok = verify_counted(
        app,
        password,
        user.as_ref().map(|u| u.password_hash.as_str()),
    )
    .await;

    let Some(user) = user else {
        // An unknown name is "locked" after as many failures as a real one,
        // so the trail and the failure count say nothing of which names exist.
        if failures_of_unknown >= cfg.lockout_threshold {
            app.audit(&who, fail("locked")).await?;
        } else {
            count_failure(app, None, &logged, &who, ("login", &logged, "unknown user")).await?;
        }
        return Err(AppError::LoginFailed);
    };
    if user.locked_until.is_some_and(|until| now < until) {
        app.audit(&who, fail("locked")).await?;
        return Err(AppError::LoginFailed);
    }
    if !password_ok {
        count_failure(
            app,
            Some(&user),
            &logged,
            &who,
            ("login", &logged, "wrong password"),
        )
        .await?;
        return Err(AppError::LoginFailed);
    }
    if user.totp_enabled != 0 && !totp_accepted(app, &user, credentials.totp).await? {
        count_failure(
            app,
            Some(&user),
            &logged,
            &who,
            ("login", &logged, "wrong or missing TOTP code"),
        )
        .await?;
        return Err(AppError::LoginFailed);
    }
    if user.disabled_at.is_some() {
        app.audit(&who, fail("disabled")).await?;
        return Err(AppError::LoginFailed);
    }
    let last_active = user.last_active_at.unwrap_or(user.created_at);
    if now - last_active > cfg.account_idle_days * 86_400 {
        let (mut tx, _guard) = app.store().begin_audited().await?;
        users::set_disabled(&mut tx, user.id, Some(now)).await?;
        app.audit_in(&mut tx, &who, fail("idle account disabled"))
            .await?;
        tx.commit().await?;
        return Err(AppError::LoginFailed);
    }

    let token = random_token();
    let session = SessionRow {
        token_hash: token_hash(&token),
        user_id: user.id,
        csrf_token: random_token(),
        ip: origin.ip.clone(),
        created_at: now,
        last_seen_at: now,
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::clear_login_failures(&mut tx, &logged).await?;
    users::set_locked_until(&mut tx, user.id, None).await?;
    users::touch_active(&mut tx, user.id, now).await?;
    sessions::insert(&mut tx, &session).await?;
    let actor = actor_for(app, &mut tx, user, &session, origin).await?;
    app.audit_in(
        &mut tx,
        &Who::from(&actor),
        Event::ok("login", "user", actor.user_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok((SessionToken(token), actor))
}

/// Checks a TOTP code against the user's secret and marks its step used.
async fn totp_accepted(app: &App, user: &UserRow, code: Option<&str>) -> Result<bool> {
    let (Some(code), Some(sealed)) = (code, user.totp_secret.as_deref()) else {
        return Ok(false);
    };
    let secret = app.keys().decrypt(sealed)?;
    let secret =
        crate::crypto::unhex(&secret).ok_or_else(|| AppError::internal("bad TOTP secret"))?;
    let Some(step) = totp::verify(&secret, code, app.now()) else {
        return Ok(false);
    };
    let mut conn = app.store().read().await?;
    Ok(users::use_totp_step(&mut conn, user.id, step).await?)
}

/// The actor behind a session cookie, or `Unauthenticated` when the session is
/// unknown, idle too long, too old, or its user is disabled.
pub async fn authenticate(app: &App, token: &str, origin: &Origin) -> Result<Actor> {
    let now = app.now();
    let cfg = app.config();
    let hash = token_hash(token);
    let mut conn = app.store().read().await?;
    let Some(session) = sessions::find(&mut conn, &hash).await? else {
        return Err(AppError::Unauthenticated);
    };
    if now - session.last_seen_at > cfg.session_idle_timeout
        || now - session.created_at > cfg.session_absolute_timeout
    {
        sessions::delete(&mut conn, &hash).await?;
        return Err(AppError::Unauthenticated);
    }
    let Some(user) = users::find_by_id(&mut conn, session.user_id).await? else {
        return Err(AppError::Unauthenticated);
    };
    if user.disabled_at.is_some() {
        sessions::delete(&mut conn, &hash).await?;
        return Err(AppError::Unauthenticated);
    }
    // Touch at most once a minute: a page of many requests needs one write, not many.
    if now - session.last_seen_at >= 60 {
        sessions::touch(&mut conn, &hash, now).await?;
        users::touch_active(&mut conn, user.id, now).await?;
    }
    actor_for(app, &mut conn, user, &session, origin).await
}

async fn actor_for(
    app: &App,
    conn: &mut kangyang_store::Conn,
    user: UserRow,
    session: &SessionRow,
    origin: &Origin,
) -> Result<Actor> {
    let role = Role::parse(&user.role)
        .ok_or_else(|| AppError::internal(format!("user {} has an unknown role", user.id)))?;
    let region = RegionCode::parse(&user.region_code).map_err(AppError::internal)?;
    let scope = match user.facility_id {
        Some(facility_id) => Scope::Facility {
            facility_id,
            region,
        },
        None => Scope::Region { region },
    };
    let permissions = permissions::for_role(conn, role.as_str())
        .await?
        .iter()
        .filter_map(|a| Action::parse(a))
        .collect();
    let expired =
        app.now() - user.password_changed_at > app.config().password_max_age_days * 86_400;
    let totp_enabled = user.totp_enabled != 0;
    Ok(Actor {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        role,
        scope,
        permissions,
        origin: origin.clone(),
        csrf_token: session.csrf_token.clone(),
        must_change_password: expired || user.must_change_password != 0,
        must_enroll_totp: role.is_administrator() && !totp_enabled,
        totp_enabled,
    })
}

/// Ends the session behind `token` on the server.
pub async fn logout(app: &App, actor: &Actor, token: &str) -> Result<()> {
    let (mut tx, _guard) = app.store().begin_audited().await?;
    sessions::delete(&mut tx, &token_hash(token)).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("logout", "user", actor.user_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the actor's own password. Every session of the user ends, this one
/// included: the caller signs in again with the new password.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &Password,
    new: &Password,
) -> Result<()> {
    let mut conn = app.store().read().await?;
    let user = users::find_by_id(&mut conn, actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    drop(conn);
    let who = Who::from(actor);
    let object_id = user.id.to_string();
    let correct = verify_counted(app, current, Some(&user.password_hash)).await;
    if user.locked_until.is_some_and(|until| app.now() < until) {
        // Locked by earlier guesses: not even the right password gets through.
        app.audit(&who, failed("password.change", &object_id, "locked"))
            .await?;
        return Err(AppError::invalid_field(
            "current",
            "当前密码",
            "尝试次数过多，账号已暂时锁定，请稍后再试",
        ));
    }
    if !correct {
        // A stolen session must not be a way to guess the password: wrong
        // current passwords count towards the lockout like failed sign-ins,
        // and the lockout ends every session of the account.
        let reason = (
            "password.change",
            object_id.as_str(),
            "wrong current password",
        );
        if count_failure(app, Some(&user), &user.username, &who, reason).await? {
            let mut conn = app.store().read().await?;
            sessions::delete_for_user(&mut conn, user.id).await?;
            return Err(AppError::Unauthenticated);
        }
        return Err(AppError::invalid_field(
            "current",
            "当前密码",
            "当前密码不正确",
        ));
    }
    let hash = checked_new_password_hash(app, user.id, &user.username, &new.0).await?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::set_password(&mut tx, user.id, &hash, false, app.now()).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("password.change", "user", user.id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a new password against the policy and the user's recent passwords,
/// and returns its hash.
pub(crate) async fn checked_new_password_hash(
    app: &App,
    user_id: i64,
    username: &str,
    new: &str,
) -> Result<String> {
    password::check(new, username)
        .map_err(|e| AppError::invalid_field("new", "新密码", e.to_string()))?;
    let mut conn = app.store().read().await?;
    let recent =
        users::recent_password_hashes(&mut conn, user_id, app.config().password_history).await?;
    drop(conn);
    for old in &recent {
        if verify_password(new, old).await {
            return Err(AppError::invalid_field(
                "new",
                "新密码",
                password::PasswordRejection::Reused.to_string(),
            ));
        }
    }
    hash_password(new).await
}

/// A second factor being set up: the secret to type into an authenticator app.
pub struct TotpEnrollment {
    /// Base32, as authenticator apps take it.
    pub secret: String,
    pub uri: String,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment(…)")
    }
}

/// Starts (or restarts) setting up the actor's authenticator: a new secret is
/// stored, not yet enabled, until [`confirm_totp`] sees a code made from it.
pub async fn begin_totp(app: &App, actor: &Actor) -> Result<TotpEnrollment> {
    if actor.totp_enabled {
        return Err(AppError::Conflict("已绑定动态口令".to_owned()));
    }
    let secret = totp::new_secret();
    let sealed = app.keys().encrypt(&crate::crypto::hex(&secret))?;
    let mut conn = app.store().read().await?;
    users::set_totp(&mut conn, actor.user_id, Some(&sealed), false).await?;
    Ok(TotpEnrollment {
        secret: totp::base32(&secret),
        uri: totp::provisioning_uri(&actor.username, &secret),
    })
}

/// Enables the pending authenticator once the user proves it works.
pub async fn confirm_totp(app: &App, actor: &Actor, code: &str) -> Result<()> {
    let mut conn = app.store().read().await?;
    let user = users::find_by_id(&mut conn, actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    drop(conn);
    if user.totp_enabled != 0 {
        return Err(AppError::Conflict("已绑定动态口令".to_owned()));
    }
    if !totp_accepted(app, &user, Some(code)).await? {
        return Err(AppError::invalid_field(
            "code",
            "动态口令",
            "动态口令不正确，请核对手机时间后重试",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::enable_totp(&mut tx, user.id).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("totp.enable", "user", user.id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
