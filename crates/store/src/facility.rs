//! Facilities (服务机构): their record, rooms, the villages they serve, the
//! sites they have occupied, and brand projects. Every read of a facility
//! takes a [`FacilityScope`]: the user's region subtree and, for facility
//! users, their own facility only.

use crate::sql::Sql;
use crate::{Conn, Result};
use kangyang_domain::Scope;

/// The facilities a user may see, as SQL bounds.
#[derive(Debug, Clone)]
pub struct FacilityScope {
    lo: String,
    hi: String,
    facility_id: Option<i64>,
}

impl From<&Scope> for FacilityScope {
    fn from(scope: &Scope) -> FacilityScope {
        let (lo, hi) = scope.region().subtree_range();
        FacilityScope {
            lo,
            hi,
            facility_id: scope.facility_id(),
        }
    }
}

impl FacilityScope {
    /// Appends the scope condition for the facilities table aliased `f`.
    pub(crate) fn apply(&self, sql: &mut Sql) {
        sql.push(" f.region_code >= ")
            .bind(self.lo.as_str())
            .push(" AND f.region_code < ")
            .bind(self.hi.as_str());
        if let Some(id) = self.facility_id {
            sql.push(" AND f.id = ").bind(id);
        }
    }
}

/// What is written for a facility.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct FacilityValues {
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub address: String,
    pub longitude_e6: Option<i64>,
    pub latitude_e6: Option<i64>,
    pub floor_area_m2: Option<i64>,
    pub capacity: Option<i64>,
    pub opening_hours: String,
    pub operator: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// JSON of the eligibility rule.
    pub eligibility: String,
    /// ISO weekday digits the facility opens on, "12345" = Monday to Friday.
    pub opening_days: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FacilityRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub values: FacilityValues,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::ops::Deref for FacilityRow {
    type Target = FacilityValues;
    fn deref(&self) -> &FacilityValues {
        &self.values
    }
}

const COLUMNS: &str = "f.id, f.name, f.kind, f.region_code, f.address, f.longitude_e6, \
    f.latitude_e6, f.floor_area_m2, f.capacity, f.opening_hours, f.operator, f.contact_name, \
    f.contact_phone, f.eligibility, f.opening_days, f.created_at, f.updated_at";

/// The star-rating template whose latest result a facility list shows.
pub const STAR_TEMPLATE: &str = kangyang_domain::assessment::KANGYUAN_STAR;

type AnyQueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>;
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a facility's values as $1..$14, in the order of [`FacilityValues`].
macro_rules! bind_values {
    ($q:expr, $v:expr) => {
        $q.bind(&$v.name)
            .bind(&$v.kind)
            .bind(&$v.region_code)
            .bind(&$v.address)
            .bind($v.longitude_e6)
            .bind($v.latitude_e6)
            .bind($v.floor_area_m2)
            .bind($v.capacity)
            .bind(&$v.opening_hours)
            .bind(&$v.operator)
            .bind(&$v.contact_name)
            .bind(&$v.contact_phone)
            .bind(&$v.eligibility)
            .bind(&$v.opening_days)
    };
}

pub async fn insert(conn: &mut Conn, v: &FacilityValues, now: i64) -> Result<i64> {
    let q: AnyQueryAs<'_, (i64,)> = sqlx::query_as(
        "INSERT INTO facilities (name, kind, region_code, address, longitude_e6, latitude_e6, \
         floor_area_m2, capacity, opening_hours, operator, contact_name, contact_phone, \
         eligibility, opening_days, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
    );
    let (id,) = bind_values!(q, v).bind(now).fetch_one(conn).await?;
    Ok(id)
}

pub async fn update(conn: &mut Conn, id: i64, v: &FacilityValues, now: i64) -> Result<()> {
    let q: AnyQuery<'_> = sqlx::query(
        "UPDATE facilities SET name = $1, kind = $2, region_code = $3, address = $4, \
         longitude_e6 = $5, latitude_e6 = $6, floor_area_m2 = $7, capacity = $8, \
         opening_hours = $9, operator = $10, contact_name = $11, contact_phone = $12, \
         eligibility = $13, opening_days = $14, updated_at = $15 WHERE id = $16",
    );
    bind_values!(q, v).bind(now).bind(id).execute(conn).await?;
    Ok(())
}

/// The facility `id` if it lies in the scope.
pub async fn get(conn: &mut Conn, scope: &FacilityScope, id: i64) -> Result<Option<FacilityRow>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM facilities f WHERE f.id = "));
    sql.bind(id).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_optional(conn).await?)
}

/// The region code of a facility, if it exists (binding a user to it).
pub async fn region_of(conn: &mut Conn, facility_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT region_code FROM facilities WHERE id = $1")
        .bind(facility_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(code,)| code))
}

/// The name of a facility, if it exists.
pub async fn name_of(conn: &mut Conn, facility_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM facilities WHERE id = $1")
        .bind(facility_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(n,)| n))
}

/// A facility in a list, with its current trainee count and latest star rating.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FacilitySummary {
    pub id: i64,
    #[sqlx(flatten)]
    pub values: FacilityValues,
    pub created_at: i64,
    pub updated_at: i64,
    pub current_enrolled: i64,
    /// The result code of the latest star-rating assessment ("3_star"…).
    pub star_result: Option<String>,
}

/// Facilities in scope, optionally of one kind and within one region.
pub async fn list(
    conn: &mut Conn,
    scope: &FacilityScope,
    kind: Option<&str>,
    within: Option<(&str, &str)>,
) -> Result<Vec<FacilitySummary>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS}, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM enrolments e \
            WHERE e.facility_id = f.id AND e.end_date IS NULL) AS current_enrolled, \
         (SELECT a.result FROM assessments a WHERE a.subject_type = 'facility' \
            AND a.subject_id = f.id AND a.template_code = '{STAR_TEMPLATE}' \
            ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1) AS star_result \
         FROM facilities f WHERE"
    ));
    scope.apply(&mut sql);
    if let Some(kind) = kind {
        sql.push(" AND f.kind = ").bind(kind);
    }
    if let Some((lo, hi)) = within {
        sql.push(" AND f.region_code >= ")
            .bind(lo)
            .push(" AND f.region_code < ")
            .bind(hi);
    }
    sql.push(" ORDER BY f.region_code, f.name, f.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

// ---- rooms, villages served, sites ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub name: String,
    pub function: String,
    pub area_m2: Option<i64>,
}

pub async fn add_room(
    conn: &mut Conn,
    facility_id: i64,
    name: &str,
    function: &str,
    area_m2: Option<i64>,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO facility_rooms (facility_id, name, function, area_m2) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(facility_id)
    .bind(name)
    .bind(function)
    .bind(area_m2)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn rooms(conn: &mut Conn, facility_id: i64) -> Result<Vec<RoomRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, function, area_m2 FROM facility_rooms WHERE facility_id = $1 ORDER BY id",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

/// Replaces the villages a facility serves.
pub async fn set_villages(conn: &mut Conn, facility_id: i64, villages: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM facility_villages WHERE facility_id = $1")
        .bind(facility_id)
        .execute(&mut *conn)
        .await?;
    for code in villages {
        sqlx::query("INSERT INTO facility_villages (facility_id, village_code) VALUES ($1, $2)")
            .bind(facility_id)
            .bind(code)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The villages a facility serves: (code, name).
pub async fn villages(conn: &mut Conn, facility_id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT v.village_code, r.name FROM facility_villages v \
         JOIN regions r ON r.code = v.village_code WHERE v.facility_id = $1 ORDER BY v.village_code",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub address: String,
    pub floor_area_m2: Option<i64>,
    pub moved_in: Option<String>,
    pub moved_out: Option<String>,
    pub note: String,
}

pub async fn add_site(
    conn: &mut Conn,
    facility_id: i64,
    address: &str,
    floor_area_m2: Option<i64>,
    moved_in: Option<&str>,
    note: &str,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO facility_sites (facility_id, address, floor_area_m2, moved_in, note) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(facility_id)
    .bind(address)
    .bind(floor_area_m2)
    .bind(moved_in)
    .bind(note)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Closes the current site (the one not yet moved out of) on `day`.
pub async fn close_current_site(conn: &mut Conn, facility_id: i64, day: &str) -> Result<()> {
    sqlx::query(
        "UPDATE facility_sites SET moved_out = $1 WHERE facility_id = $2 AND moved_out IS NULL",
    )
    .bind(day)
    .bind(facility_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every site, newest first.
pub async fn sites(conn: &mut Conn, facility_id: i64) -> Result<Vec<SiteRow>> {
    Ok(sqlx::query_as(
        "SELECT id, address, floor_area_m2, moved_in, moved_out, note FROM facility_sites \
         WHERE facility_id = $1 ORDER BY moved_out IS NULL DESC, moved_in DESC, id DESC",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

// ---- brand projects ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BrandProjectRow {
    pub id: i64,
    pub facility_id: i64,
    pub name: String,
    pub description: String,
    pub started_on: String,
}

pub async fn add_brand_project(
    conn: &mut Conn,
    facility_id: i64,
    name: &str,
    description: &str,
    started_on: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO brand_projects (facility_id, name, description, started_on, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(facility_id)
    .bind(name)
    .bind(description)
    .bind(started_on)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn brand_project(conn: &mut Conn, id: i64) -> Result<Option<BrandProjectRow>> {
    Ok(sqlx::query_as(
        "SELECT id, facility_id, name, description, started_on FROM brand_projects WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn brand_projects(conn: &mut Conn, facility_id: i64) -> Result<Vec<BrandProjectRow>> {
    Ok(sqlx::query_as(
        "SELECT id, facility_id, name, description, started_on FROM brand_projects \
         WHERE facility_id = $1 ORDER BY started_on, id",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MilestoneRow {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    pub planned_on: String,
    pub done_on: Option<String>,
}

pub async fn add_milestone(
    conn: &mut Conn,
    project_id: i64,
    title: &str,
    planned_on: &str,
    done_on: Option<&str>,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO brand_milestones (project_id, title, planned_on, done_on) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(project_id)
    .bind(title)
    .bind(planned_on)
    .bind(done_on)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn milestones(conn: &mut Conn, project_id: i64) -> Result<Vec<MilestoneRow>> {
    Ok(sqlx::query_as(
        "SELECT id, project_id, title, planned_on, done_on FROM brand_milestones \
         WHERE project_id = $1 ORDER BY planned_on, id",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await?)
}
