//! Medical-care integration (医养结合): agreements between care institutions
//! (nursing homes, welfare homes, social welfare and home-care centres,
//! Kangyuan centres) and clinics, and the report officials plan with — the
//! institutions of a region without a partner clinic in force, per county.
//!
//! Both parties are facilities in the official's scope; a partner that is
//! not a clinic is refused with its kind named. Reads need `FacilityRead`,
//! changes `FacilityManage`.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::medical_care::{check_services, service_label, AgreementTerm};
use kangyang_domain::{Action, CivilDate, RegionCode, RegionLevel};
use kangyang_store::medical_care::{self as store, AgreementRow, NewAgreement};
use kangyang_store::regions;
use serde::{Deserialize, Serialize};

/// An agreement as typed in a form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AgreementInput {
    /// The care institution: a nursing home, welfare home, social welfare
    /// centre, home-care centre or Kangyuan centre.
    pub institution_id: i64,
    /// The partner: a facility of kind `clinic` (a town health centre, a hospital).
    pub clinic_id: i64,
    /// Service codes: doctor_visits, health_checks, chronic_followup,
    /// green_channel, rehab_guidance, health_education, tcm.
    pub services: Vec<String>,
    /// Doctor visits a month (0 when no regular visits are agreed).
    pub visits_per_month: u32,
    /// YYYY-MM-DD.
    pub start_date: String,
    /// YYYY-MM-DD, the last day in force; blank for open-ended.
    pub end_date: String,
    pub notes: String,
}

/// An agreement as shown on a facility's page, the report and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgreementView {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub clinic_id: i64,
    pub clinic_name: String,
    pub services: Vec<String>,
    pub service_labels: Vec<&'static str>,
    pub visits_per_month: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    /// In force today.
    pub current: bool,
    pub notes: String,
    pub end_reason: String,
}

fn term_of(row: &AgreementRow) -> Result<AgreementTerm> {
    let start = CivilDate::parse(&row.start_date).map_err(AppError::internal)?;
    let end = row
        .end_date
        .as_deref()
        .map(CivilDate::parse)
        .transpose()
        .map_err(AppError::internal)?;
    Ok(AgreementTerm { start, end })
}

fn view(row: AgreementRow, today: CivilDate) -> Result<AgreementView> {
    let current = term_of(&row)?.is_current(today);
    let services: Vec<String> = serde_json::from_str(&row.services).map_err(AppError::internal)?;
    Ok(AgreementView {
        service_labels: services.iter().filter_map(|s| service_label(s)).collect(),
        services,
        id: row.id,
        institution_id: row.institution_id,
        institution_name: row.institution_name,
        clinic_id: row.clinic_id,
        clinic_name: row.clinic_name,
        visits_per_month: row.visits_per_month,
        start_date: row.start_date,
        end_date: row.end_date,
        current,
        notes: row.notes,
        end_reason: row.end_reason,
    })
}

fn kind_label(kind: &str) -> &'static str {
    FacilityKind::parse(kind).map_or("", FacilityKind::label)
}

fn date_field(key: &str, label: &str, s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field(key, label, "日期应为 YYYY-MM-DD"))
}

/// Signs an agreement between a care institution and a clinic of one's scope.
pub async fn create_agreement(app: &App, actor: &Actor, input: &AgreementInput) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    if input.institution_id == 0 {
        return Err(AppError::invalid_field(
            "institution_id",
            "照护机构",
            "请选择养老、福利等照护机构",
        ));
    }
    let institution =
        scoped_facility(app, actor, input.institution_id, "care_agreement.create").await?;
    if input.clinic_id == 0 {
        return Err(AppError::invalid_field(
            "clinic_id",
            "医疗机构",
            "请选择签约的医疗机构",
        ));
    }
    let clinic = scoped_facility(app, actor, input.clinic_id, "care_agreement.create").await?;
    let institution_kind = FacilityKind::parse(&institution.kind);
    if !institution_kind.is_some_and(FacilityKind::needs_partner_clinic) {
        return Err(AppError::invalid_field(
            "institution_id",
            "照护机构",
            format!(
                "“{}”（{}）不是养老、福利等照护机构，不签医养结合协议",
                institution.name,
                kind_label(&institution.kind)
            ),
        ));
    }
    if FacilityKind::parse(&clinic.kind) != Some(FacilityKind::Clinic) {
        return Err(AppError::invalid_field(
            "clinic_id",
            "医疗机构",
            format!(
                "签约方“{}”是{}，不是医疗机构：医养结合协议只能与医疗机构签订",
                clinic.name,
                kind_label(&clinic.kind)
            ),
        ));
    }
    check_services(&input.services, input.visits_per_month)
        .map_err(|m| AppError::invalid_field("services", "服务内容", m))?;
    let start = date_field("start_date", "起始日期", &input.start_date)?;
    let end = match input.end_date.trim() {
        "" => None,
        s => Some(date_field("end_date", "终止日期", s)?),
    };
    let term = AgreementTerm::new(start, end)
        .map_err(|m| AppError::invalid_field("end_date", "终止日期", m))?;
    if input.notes.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "notes",
            "备注",
            "备注不超过 500 字",
        ));
    }
    let services = serde_json::to_string(&input.services).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    // Checked inside the transaction, so two officials typing the same
    // agreement at once cannot both store it.
    for other in store::agreements_between(&mut tx, institution.id, clinic.id).await? {
        if term_of(&other)?.overlaps(&term) {
            return Err(AppError::Conflict(format!(
                "两机构在这段时间已有协议（{} 起）",
                other.start_date
            )));
        }
    }
    let id = store::add_agreement(
        &mut tx,
        &NewAgreement {
            institution_id: institution.id,
            clinic_id: clinic.id,
            region_code: &institution.region_code,
            services: &services,
            visits_per_month: i64::from(input.visits_per_month),
            start_date: &start.to_string(),
            end_date: end.map(|e| e.to_string()).as_deref(),
            notes: input.notes.trim(),
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("care_agreement.create", "care_agreement", id.to_string());
    event.detail = serde_json::json!({ "institution": institution.id, "clinic": clinic.id,
        "services": input.services, "start": start.to_string() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// How an agreement is ended.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EndInput {
    /// The last day in force, YYYY-MM-DD.
    pub end_date: String,
    pub reason: String,
}

/// Ends an agreement early: its last day in force becomes `end_date`.
pub async fn end_agreement(app: &App, actor: &Actor, id: i64, input: &EndInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let mut conn = app.store().read().await?;
    let row = store::agreement(&mut conn, id).await?;
    drop(conn);
    let Some(row) = row else {
        app.audit_denied(
            actor,
            "care_agreement.end",
            "care_agreement",
            &id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    // Whoever may manage the institution may end its agreements.
    scoped_facility(app, actor, row.institution_id, "care_agreement.end").await?;
    if input.end_date.trim().is_empty() {
        return Err(AppError::invalid_field(
            "end_date",
            "终止日期",
            "请填写协议终止日期",
        ));
    }
    let day = date_field("end_date", "终止日期", &input.end_date)?;
    let term = term_of(&row)?;
    if day < term.start {
        return Err(AppError::invalid_field(
            "end_date",
            "终止日期",
            format!("终止日期不能早于协议起始日期 {}", row.start_date),
        ));
    }
    let today = app.today();
    if let Some(end) = term.end {
        if end < today {
            return Err(AppError::Conflict(format!("协议已于 {end} 终止")));
        }
        if day > end {
            return Err(AppError::invalid_field(
                "end_date",
                "终止日期",
                format!("协议约定 {end} 到期，提前终止的日期不能晚于到期日"),
            ));
        }
    }
    if input.reason.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "reason",
            "终止原因",
            "终止原因不超过 200 字",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::end_agreement(
        &mut tx,
        id,
        &day.to_string(),
        input.reason.trim(),
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("care_agreement.end", "care_agreement", id.to_string());
    event.detail = serde_json::json!({ "end_date": day.to_string() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// One agreement, if its institution lies in one's scope.
pub async fn agreement(app: &App, actor: &Actor, id: i64) -> Result<AgreementView> {
    app.require(actor, Action::FacilityRead).await?;
    let mut conn = app.store().read().await?;
    let row = store::agreement(&mut conn, id).await?;
    drop(conn);
    let Some(row) = row else {
        app.audit_denied(
            actor,
            "care_agreement.read",
            "care_agreement",
            &id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    scoped_facility(app, actor, row.institution_id, "care_agreement.read").await?;
    view(row, app.today())
}

/// The agreements a facility of one's scope is party to, newest first.
pub async fn agreements_of(
    app: &App,
    actor: &Actor,
    facility_id: i64,
) -> Result<Vec<AgreementView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, facility_id, "care_agreement.read").await?;
    let mut conn = app.store().read().await?;
    let today = app.today();
    store::agreements_of(&mut conn, facility_id)
        .await?
        .into_iter()
        .map(|r| view(r, today))
        .collect()
}

/// A care institution on the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstitutionLine {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub town: String,
}

/// One county's line: its care institutions, how many have a partner clinic
/// in force, and those that have none.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CountyLine {
    pub code: String,
    pub name: String,
    pub institutions: i64,
    pub with_clinic: i64,
    pub without_clinic: i64,
    pub missing: Vec<InstitutionLine>,
}

/// A region's medical-care integration: every figure computed from the
/// agreements in force today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MedicalCareReport {
    pub region_code: String,
    pub region_name: String,
    pub today: String,
    pub institutions: i64,
    pub with_clinic: i64,
    pub without_clinic: i64,
    /// Counties in code order, each with its institutions lacking a clinic.
    pub counties: Vec<CountyLine>,
    /// The agreements in force.
    pub agreements: Vec<AgreementView>,
}

/// The region of `level` that `code` lies in (itself, if of that level).
fn ancestor_at(code: &str, level: RegionLevel) -> Option<String> {
    RegionCode::parse(code).ok().and_then(|r| {
        r.ancestry()
            .into_iter()
            .find(|a| a.level() == level)
            .map(|a| a.to_string())
    })
}

/// Care institutions of a region without a partner clinic in force, per county.
pub async fn report(app: &App, actor: &Actor, region: &RegionCode) -> Result<MedicalCareReport> {
    app.require(actor, Action::FacilityRead).await?;
    if !actor.scope.covers(region) || actor.scope.facility_id().is_some() {
        app.audit_denied(actor, "care.report", "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    let today = app.today();
    let day = today.to_string();
    let (lo, hi) = region.subtree_range();
    let kinds: Vec<&str> = FacilityKind::ALL
        .iter()
        .filter(|k| k.needs_partner_clinic())
        .map(|k| k.as_str())
        .collect();
    let mut conn = app.store().read().await?;
    let rows = store::institutions(&mut conn, &lo, &hi, &kinds, &day).await?;
    let mut counties: Vec<CountyLine> = Vec::new();
    for row in rows {
        // Facilities lie in towns or villages, so always within a county.
        let code = ancestor_at(&row.region_code, RegionLevel::County)
            .unwrap_or_else(|| row.region_code.clone());
        if counties.last().is_none_or(|c| c.code != code) {
            let name = regions::get(&mut conn, &code)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            counties.push(CountyLine {
                code,
                name,
                institutions: 0,
                with_clinic: 0,
                without_clinic: 0,
                missing: Vec::new(),
            });
        }
        let town = match ancestor_at(&row.region_code, RegionLevel::Town) {
            Some(t) => regions::get(&mut conn, &t)
                .await?
                .map(|r| r.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let Some(county) = counties.last_mut() else {
            continue;
        };
        county.institutions += 1;
        if row.current_agreements > 0 {
            county.with_clinic += 1;
        } else {
            county.without_clinic += 1;
            county.missing.push(InstitutionLine {
                id: row.id,
                kind_label: kind_label(&row.kind),
                name: row.name,
                town,
            });
        }
    }
    let agreements = store::current_agreements_in(&mut conn, &lo, &hi, &day)
        .await?
        .into_iter()
        .map(|r| view(r, today))
        .collect::<Result<Vec<_>>>()?;
    let region_name = crate::register::village_name(&mut conn, region.as_str()).await?;
    Ok(MedicalCareReport {
        region_code: region.to_string(),
        region_name,
        today: day,
        institutions: counties.iter().map(|c| c.institutions).sum(),
        with_clinic: counties.iter().map(|c| c.with_clinic).sum(),
        without_clinic: counties.iter().map(|c| c.without_clinic).sum(),
        counties,
        agreements,
    })
}
