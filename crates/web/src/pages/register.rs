//! The person register (人员登记) in the browser: search, the form, a
//! person's page with reveal and life events (the API is `api/register.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::register::{self, HistoryEntry, PersonQuery, PersonView, RevealField};
use kangyang_app::AppError;
use kangyang_domain::register::{Field, FieldError, RawPerson};
use kangyang_domain::Action;
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/persons", SignedIn, list)
        .post("/persons", SignedIn, create)
        .get("/persons/new", SignedIn, new_form)
        .post("/persons/find", SignedIn, find)
        .get("/persons/{id}", SignedIn, show)
        .post("/persons/{id}", SignedIn, update)
        .get("/persons/{id}/edit", SignedIn, edit_form)
        .post("/persons/{id}/reveal", SignedIn, reveal)
        .post("/persons/{id}/status", SignedIn, life_event)
}

/// The fields a person form shows (sex and birth date come from the ID number).
fn form_fields() -> impl Iterator<Item = Field> {
    Field::ALL
        .into_iter()
        .filter(|f| !matches!(f, Field::Sex | Field::BirthDate))
}

/// Reads a form or JSON body of field keys into a raw record.
fn raw_from(values: &HashMap<String, String>) -> RawPerson {
    values
        .iter()
        .filter_map(|(k, v)| Field::from_key(k).map(|f| (f, v.clone())))
        .collect()
}

struct Choice {
    value: &'static str,
    selected: bool,
}

struct FormField {
    key: &'static str,
    header: &'static str,
    required: bool,
    value: String,
    choices: Option<Vec<Choice>>,
    placeholder: String,
    error: Option<String>,
}

fn build_form(
    values: &RawPerson,
    errors: &[FieldError],
    masked: &HashMap<Field, String>,
) -> Vec<FormField> {
    form_fields()
        .map(|f| {
            let value = if f.is_sensitive() {
                String::new()
            } else {
                values.get(&f).cloned().unwrap_or_default()
            };
            FormField {
                key: f.key(),
                header: f.header(),
                required: f.required() && !masked.contains_key(&f),
                choices: f.choices().map(|cs| {
                    cs.into_iter()
                        .map(|c| Choice {
                            value: c,
                            selected: value == c,
                        })
                        .collect()
                }),
                placeholder: masked
                    .get(&f)
                    .map(|m| format!("已登记 {m}，不修改请留空"))
                    .unwrap_or_default(),
                error: errors
                    .iter()
                    .filter(|e| e.field == f)
                    .map(|e| e.message.clone())
                    .reduce(|a, b| format!("{a}；{b}")),
                value,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "register/list.html")]
struct PersonsPage {
    nav: Nav,
    q: PersonQuery,
    total: i64,
    /// `total` is an estimate, shown as 约 N 人.
    estimated: bool,
    page: i64,
    pages: i64,
    persons: Vec<PersonView>,
    prev: Option<String>,
    next: Option<String>,
    query_string: String,
    can_write: bool,
    can_export: bool,
    error: Option<String>,
}

fn query_string(q: &PersonQuery, page: Option<i64>) -> String {
    let mut pairs = vec![
        ("name", q.name.as_str()),
        ("id_tail", q.id_tail.as_str()),
        ("region", q.region.as_str()),
        ("category", q.category.as_str()),
        ("status", q.status.as_str()),
        ("living_situation", q.living_situation.as_str()),
        ("economic_status", q.economic_status.as_str()),
        ("disability_category", q.disability_category.as_str()),
        ("child_category", q.child_category.as_str()),
        ("urban_rural", q.urban_rural.as_str()),
        ("capability_level", q.capability_level.as_str()),
        ("disability_grade", q.disability_grade.as_str()),
        ("age_band", q.age_band.as_str()),
    ];
    let page = page.map(|p| p.to_string());
    if let Some(p) = &page {
        pairs.push(("page", p));
    }
    pairs
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::pages::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Deserialize)]
pub(crate) struct FindForm {
    id_number: String,
}

/// What became of a look-up by ID number, for the list page (the number
/// itself never goes into the URL).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FindOutcome {
    find: String,
}

/// Opens the person with the ID number typed, or says why not.
pub(crate) async fn find(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<FindForm>,
) -> Result<Response, PageError> {
    match register::find_by_id_number(&state.app, &session.actor, &form.id_number).await {
        Ok(id) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(AppError::Invalid { .. }) => Ok(Redirect::to("/persons?find=invalid").into_response()),
        Err(AppError::NotFound) => Ok(Redirect::to("/persons?find=none").into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<PersonQuery>,
    Query(found): Query<FindOutcome>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let (persons, count, mut error) = match register::search(&state.app, actor, &q).await {
        Ok((p, t)) => (p, t, None),
        Err(AppError::Invalid { message, .. }) => (
            Vec::new(),
            register::MatchCount {
                total: 0,
                estimated: false,
            },
            Some(message),
        ),
        Err(e) => return Err(e.into()),
    };
    match found.find.as_str() {
        "invalid" => error = Some("身份证号格式或校验位不正确，请核对 18 位号码。".into()),
        "none" => error = Some("在您的管辖范围内没有登记这个身份证号。".into()),
        _ => {}
    }
    let page = q.page.unwrap_or(1).max(1);
    let pages = ((count.total + register::PAGE_SIZE - 1) / register::PAGE_SIZE).max(1);
    html(PersonsPage {
        nav: Nav::of(actor),
        total: if count.estimated {
            three_figures(count.total)
        } else {
            count.total
        },
        estimated: count.estimated,
        page,
        pages,
        persons,
        prev: (page > 1).then(|| query_string(&q, Some(page - 1))),
        next: (page < pages).then(|| query_string(&q, Some(page + 1))),
        query_string: query_string(&q, None),
        can_write: actor.can(Action::PersonWrite),
        can_export: actor.can(Action::PersonExport),
        q,
        error,
    })
}

/// An estimate to three significant figures (412,387 → 412,000): its
/// further digits would claim a precision it does not have.
fn three_figures(n: i64) -> i64 {
    let mut unit = 1;
    while n / unit >= 1_000 {
        unit *= 10;
    }
    n.saturating_add(unit / 2) / unit * unit
}

#[derive(Template)]
#[template(path = "register/form.html")]
struct PersonFormPage {
    nav: Nav,
    title: String,
    action: String,
    fields: Vec<FormField>,
    errors: Vec<String>,
}

pub(crate) async fn new_form(PageSession(session): PageSession) -> Result<Response, PageError> {
    // The form is for those who may add people: an administrator is refused
    // here, not after typing a whole record.
    if !session.actor.can(Action::PersonWrite) {
        return Err(PageError::new(AppError::Forbidden));
    }
    html(PersonFormPage {
        nav: Nav::of(&session.actor),
        title: "新增人员".into(),
        action: "/persons".into(),
        fields: build_form(&RawPerson::new(), &[], &HashMap::new()),
        errors: Vec::new(),
    })
}

fn form_again(
    session: &Session,
    title: &str,
    action: String,
    values: &RawPerson,
    errors: Vec<FieldError>,
    masked: &HashMap<Field, String>,
) -> Result<Response, PageError> {
    let page = PersonFormPage {
        nav: Nav::of(&session.actor),
        title: title.into(),
        action,
        fields: build_form(values, &errors, masked),
        errors: errors
            .iter()
            .map(|e| format!("{}：{}", e.field.header(), e.message))
            .collect(),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    // A map: the keys are the register's field keys, one per field of
    // `Field::ALL` the form shows (the token among them is no field).
    CsrfForm {
        session,
        form: values,
    }: CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let raw = raw_from(&values);
    match register::create(&state.app, &session.actor, &raw).await {
        Ok(id) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(AppError::InvalidFields(errors)) => form_again(
            &session,
            "新增人员",
            "/persons".into(),
            &raw,
            errors,
            &HashMap::new(),
        ),
        Err(e) => Err(e.into()),
    }
}

fn masked_of(view: &PersonView) -> HashMap<Field, String> {
    [
        (Field::IdNumber, Some(view.id_number.clone())),
        (Field::Phone, view.phone.clone()),
        (Field::DisabilityCert, view.disability_cert.clone()),
        (Field::GuardianPhone, view.guardian_phone.clone()),
        (
            Field::EmergencyContactPhone,
            view.emergency_contact_phone.clone(),
        ),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.map(|v| (f, v)))
    .collect()
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (values, view) = register::form_values(&state.app, &session.actor, id).await?;
    html(PersonFormPage {
        nav: Nav::of(&session.actor),
        title: format!("修改：{}", view.name),
        action: format!("/persons/{id}"),
        fields: build_form(&values, &[], &masked_of(&view)),
        errors: Vec::new(),
    })
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    // A map: the keys are the register's field keys, one per field of
    // `Field::ALL` the form shows (the token among them is no field).
    CsrfForm {
        session,
        form: values,
    }: CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let posted = raw_from(&values);
    match register::update(&state.app, &session.actor, id, &posted).await {
        Ok(()) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(AppError::InvalidFields(errors)) => {
            let view = register::get(&state.app, &session.actor, id).await?;
            form_again(
                &session,
                &format!("修改：{}", view.name),
                format!("/persons/{id}"),
                &posted,
                errors,
                &masked_of(&view),
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "register/show.html")]
struct PersonDetailPage {
    nav: Nav,
    p: PersonView,
    history: Vec<HistoryLine>,
    can_write: bool,
    can_reveal: bool,
    revealed: Option<(String, String)>,
    reveal_error: Option<String>,
    life_events: Vec<kangyang_app::life::LifeEventView>,
    status_error: Option<String>,
    today: String,
}

struct HistoryLine {
    time: String,
    username: String,
    action: &'static str,
    changes: Vec<(String, String, String)>,
}

fn history_lines(entries: Vec<HistoryEntry>) -> Vec<HistoryLine> {
    entries
        .into_iter()
        .map(|e| HistoryLine {
            action: match e.action.as_str() {
                "person.create" => "新增",
                "person.import" => "导入",
                "person.life_event" => "状态变更",
                _ => "修改",
            },
            changes: e
                .changes
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            let s = |k: &str| c[k].as_str().unwrap_or("").to_owned();
                            (s("field"), s("old"), s("new"))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            time: e.time,
            username: e.username,
        })
        .collect()
}

async fn detail(
    state: &AppState,
    session: &Session,
    id: i64,
    revealed: Option<(String, String)>,
    reveal_error: Option<String>,
    status_error: Option<String>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let p = register::get(&state.app, actor, id).await?;
    let history = history_lines(register::history(&state.app, actor, id).await?);
    let life_events = kangyang_app::life::events_of(&state.app, actor, id).await?;
    let status = if reveal_error.is_some() || status_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = PersonDetailPage {
        nav: Nav::of(actor),
        p,
        history,
        can_write: actor.can(Action::PersonWrite),
        can_reveal: actor.can(Action::PersonReveal),
        revealed,
        reveal_error,
        life_events,
        status_error,
        today: state.app.today().to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    detail(&state, &session, id, None, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct RevealForm {
    field: RevealField,
    reason: String,
}

pub(crate) async fn reveal(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<RevealForm>,
) -> Result<Response, PageError> {
    let label = match form.field {
        RevealField::IdNumber => "身份证号",
        RevealField::Phone => "联系电话",
        RevealField::DisabilityCert => "残疾证号",
        RevealField::GuardianPhone => "监护人电话",
        RevealField::EmergencyContactPhone => "紧急联系人电话",
    };
    match register::reveal(&state.app, &session.actor, id, form.field, &form.reason).await {
        Ok(value) => {
            let shown = (
                label.to_owned(),
                value.unwrap_or_else(|| "（未登记）".into()),
            );
            detail(&state, &session, id, Some(shown), None, None).await
        }
        Err(AppError::Invalid { message, .. }) => {
            detail(&state, &session, id, None, Some(message), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Fields default to blank so that who may change this person is decided
/// (and audited) before what was typed is read.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub(crate) struct StatusForm {
    status: String,
    date: String,
}

/// Records a death or a move from the person's page: everything it ends is
/// then listed on the page.
pub(crate) async fn life_event(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<StatusForm>,
) -> Result<Response, PageError> {
    let input = kangyang_app::life::StatusChangeInput {
        status: form.status,
        date: form.date,
    };
    match kangyang_app::life::record_change(&state.app, &session.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}#life-events")).into_response()),
        Err(AppError::Invalid {
            field,
            message,
            label,
        }) => {
            let field = label.unwrap_or(field);
            detail(
                &state,
                &session,
                id,
                None,
                None,
                Some(format!("{field}：{message}")),
            )
            .await
        }
        Err(AppError::InvalidFields(errors)) => {
            let message = errors
                .iter()
                .map(|e| format!("{}：{}", e.field.header(), e.message))
                .collect::<Vec<_>>()
                .join("；");
            detail(&state, &session, id, None, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::three_figures;

    #[test]
    fn an_estimate_is_shown_to_three_figures() {
        assert_eq!(three_figures(412_387), 412_000);
        assert_eq!(three_figures(412_500), 413_000);
        assert_eq!(three_figures(1_234), 1_230);
        assert_eq!(three_figures(987), 987);
        assert_eq!(three_figures(999_600), 1_000_000);
    }
}
