-- The foundation: regions, facilities (the minimum users bind to), users,
-- sessions, permissions and the audit trail.
--
-- One tree of migrations serves both backends. Where SQLite and PostgreSQL
-- differ, a named placeholder stands in and `Dialect::render` (src/migrate.rs)
-- replaces it:
--   {id}    an auto-increment primary key
--   {code}  a region-code column, compared byte-wise (see RegionCode::subtree_range)
--   {blob}  binary data
-- Integers are BIGINT everywhere so that both decode as i64 through sqlx::Any;
-- times are Unix seconds (BIGINT), civil dates 'YYYY-MM-DD' text.

-- Installation settings, e.g. the check value that ties the key file to this database.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code {code} PRIMARY KEY,
    parent_code {code} REFERENCES regions (code),
    depth BIGINT NOT NULL,
    name TEXT NOT NULL,
    urban_rural TEXT,
    retired_on TEXT
);
CREATE INDEX regions_parent ON regions (parent_code);
CREATE INDEX regions_name ON regions (name);

CREATE TABLE facilities (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    created_at BIGINT NOT NULL
);
CREATE INDEX facilities_region ON facilities (region_code);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    region_code {code} NOT NULL REFERENCES regions (code),
    facility_id BIGINT REFERENCES facilities (id),
    password_changed_at BIGINT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    -- SM4-GCM ciphertext of the TOTP secret; enabled once the user confirmed a code.
    totp_secret {blob},
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    -- The last time step a code was accepted for: no code works twice.
    totp_last_step BIGINT,
    disabled_at BIGINT,
    -- Set when too many logins failed; no login succeeds before it.
    locked_until BIGINT,
    last_active_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE password_history (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    password_hash TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, set_at);

CREATE TABLE login_failures (
    id {id},
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE role_permissions (
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    PRIMARY KEY (role, action)
);

CREATE TABLE audit_log (
    id {id},
    at BIGINT NOT NULL,
    user_id BIGINT,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (username, at);

-- The chain's head: the last row's id and hash. Appenders lock this row first,
-- which serialises appends on both backends.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '');
