//! Providers (home-care centres) in scope and their caregivers.

use super::{desk, provider_scope, scoped_provider};
use crate::actor::Who;
use crate::audit::Event;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::Action;
use kangyang_store::home_care as store;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaregiverView {
    pub id: i64,
    pub name: String,
    pub qualification: String,
    /// Masked, e.g. 138****0001.
    pub phone: String,
    /// The account the caregiver signs in with on the phone, if any.
    pub username: Option<String>,
    pub active: bool,
}

pub(super) fn caregiver_view(c: store::CaregiverRow) -> CaregiverView {
    CaregiverView {
        id: c.id,
        name: c.name,
        qualification: c.qualification,
        phone: c.phone_masked,
        username: c.username,
        active: c.active == 1,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub capacity: Option<i64>,
    /// Orders booked for today, not cancelled.
    pub booked_today: i64,
}

/// The home-care providers in the actor's scope.
pub async fn providers(app: &App, actor: &Actor) -> Result<Vec<ProviderView>> {
    app.require(actor, Action::FacilityRead).await?;
    let desk = desk(app, actor).await?;
    let today = app.today().to_string();
    let start = civil::day_start(&today).unwrap_or(app.now());
    let mut conn = app.store().read().await?;
    Ok(store::providers(
        &mut conn,
        &provider_scope(actor, desk),
        "",
        start,
        start + 86_400,
    )
    .await?
    .into_iter()
    .map(|p| ProviderView {
        id: p.id,
        name: p.name,
        region: p.region_code,
        capacity: p.capacity,
        booked_today: p.booked,
    })
    .collect())
}

pub async fn caregivers(app: &App, actor: &Actor, provider: i64) -> Result<Vec<CaregiverView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_provider(app, actor, provider, "home_care.caregiver.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::caregivers(&mut conn, provider)
        .await?
        .into_iter()
        .map(caregiver_view)
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CaregiverInput {
    pub name: String,
    /// E.g. 养老护理员（四级/中级工）.
    pub qualification: String,
    pub phone: String,
    /// A staff account bound to the provider, for the phone check-in page.
    pub username: String,
}

/// Adds a caregiver to a provider (its own staff, or an official).
pub async fn add_caregiver(
    app: &App,
    actor: &Actor,
    provider: i64,
    input: &CaregiverInput,
) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_provider(app, actor, provider, "home_care.caregiver.create").await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::invalid_field(
            "name",
            "姓名",
            "请填写护理员姓名（50 字以内）",
        ));
    }
    let qualification = input.qualification.trim();
    if qualification.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "qualification",
            "资质",
            "不超过 100 字",
        ));
    }
    let phone = match input.phone.trim() {
        "" => None,
        p => Some(
            kangyang_domain::mask::normalise_phone(p)
                .map_err(|e| AppError::invalid_field("phone", "电话", e.to_string()))?,
        ),
    };
    let mut conn = app.store().read().await?;
    let user_id = match input.username.trim() {
        "" => None,
        u => {
            let user = kangyang_store::users::find_by_username(&mut conn, u).await?;
            match user {
                Some(user) if user.facility_id == Some(provider) => Some(user.id),
                _ => {
                    return Err(AppError::invalid_field(
                        "username",
                        "账号",
                        "应为本服务机构的工作人员账号",
                    ))
                }
            }
        }
    };
    drop(conn);
    let sealed = phone
        .as_ref()
        .map(|p| app.keys().encrypt(p.as_str()))
        .transpose()?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_caregiver(
        &mut tx,
        &store::NewCaregiver {
            provider_id: provider,
            name,
            qualification,
            phone_cipher: sealed,
            phone_masked: &phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
            user_id,
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok(
        "home_care.caregiver.create",
        "facility",
        provider.to_string(),
    );
    event.detail = serde_json::json!({ "caregiver": id, "account": user_id.is_some() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}
