//! Age-friendly home modification (适老化改造): the progress of a region
//! against its annual target, the case page (items, steps, photos), and
//! opening a case from the person page (the API is
//! `api/home_modification.rs`). Photos are uploaded as multipart forms, read
//! here for both, and served back only to users who may see the case.

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{check_form_csrf, CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use kangyang_app::home_modification::{
    self as hm, CaseView, CatalogueItem, ItemInput, ModificationProgress, MoveInput, OpenCaseInput,
    PersonCases, PhotoInput, PhotoStored, TargetInput,
};
use kangyang_app::AppError;
use kangyang_domain::home_modification::MAX_PHOTO_BYTES;
use kangyang_domain::{Action, RegionCode};
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/modifications", SignedIn, progress)
        .post("/regions/{code}/modifications", SignedIn, target_submit)
        .post("/modifications", SignedIn, open_submit)
        .get("/modifications/new", SignedIn, new_form)
        .get("/modifications/{case}", SignedIn, case)
        .post("/modifications/{case}/state", SignedIn, move_submit)
        .post("/modifications/{case}/items", SignedIn, item_submit)
        .page(
            "POST",
            "/modifications/{case}/photos",
            SignedIn,
            post(photo_submit).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .get("/modifications/{case}/photos/{photo}", SignedIn, photo)
}

/// The body limit of the photo routes: the photo limit and room for the
/// form's other fields, so a photo a little too big reaches the use case and
/// is refused with its message rather than cut off.
pub(crate) const PHOTO_BODY_LIMIT: usize = MAX_PHOTO_BYTES + 1024 * 1024;

pub(crate) fn region_param(code: &str) -> Result<RegionCode, AppError> {
    // An unparseable code names nothing: not found, like an unknown one.
    RegionCode::parse(code).map_err(|_| AppError::NotFound)
}

/// "2026" → Some(2026); blank → this year; anything else → 0, which the use
/// case refuses with a message naming the year.
pub(crate) fn year_param(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

fn number(s: &str) -> Option<i64> {
    let s = s.trim();
    // Not a number: -1, out of every allowed range, refused with its field's message.
    (!s.is_empty()).then(|| s.parse().unwrap_or(-1))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct YearParam {
    /// The year (e.g. 2026); this year when left out.
    pub(crate) year: String,
}

// ---- reading a multipart photo upload ----

/// What a photo form sent. A body that is not a multipart form reads as an
/// empty upload, so the use case still checks the case's scope first (and
/// answers 404 outside it) before it refuses the missing photo.
#[derive(Default)]
pub(crate) struct Upload {
    csrf: String,
    input: PhotoInput,
    broken: bool,
}

pub(crate) async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Upload {
    let mut upload = Upload::default();
    let Ok(mut multipart) = multipart else {
        return upload;
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                upload.broken = true;
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf_token" => upload.csrf = field.text().await.unwrap_or_default(),
            "phase" => upload.input.phase = field.text().await.unwrap_or_default(),
            "photo" | "file" => loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        // Keep one byte past the limit: enough to refuse it.
                        let room = (MAX_PHOTO_BYTES + 1).saturating_sub(upload.input.bytes.len());
                        upload
                            .input
                            .bytes
                            .extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        upload.broken = true;
                        break;
                    }
                }
            },
            _ => {}
        }
        if upload.broken {
            break;
        }
    }
    upload
}

/// An upload cut off by the body limit or the network: refused as too big
/// or broken, with nothing stored.
fn broken_upload() -> AppError {
    AppError::invalid_field(
        "photo",
        "照片",
        format!(
            "照片上传中断或超过 {} MB，请重试",
            MAX_PHOTO_BYTES / 1024 / 1024
        ),
    )
}

pub(crate) async fn store_upload(
    state: &AppState,
    session: &Session,
    case: i64,
    upload: &Upload,
) -> Result<PhotoStored, AppError> {
    if upload.broken {
        // Still scope-checked first: outside it the case does not exist. An
        // empty upload is never stored.
        return match hm::add_photo(&state.app, &session.actor, case, &PhotoInput::default()).await {
            Err(AppError::Invalid { .. }) | Ok(_) => Err(broken_upload()),
            Err(e) => Err(e),
        };
    }
    hm::add_photo(&state.app, &session.actor, case, &upload.input).await
}

// ---- the progress page ----

#[derive(Template)]
#[template(path = "home_modification/progress.html")]
struct ProgressPage {
    nav: Nav,
    p: ModificationProgress,
    can_set_target: bool,
    /// The regions a target may be set for here: this one and its children.
    target_regions: Vec<(String, String)>,
    error: Option<String>,
}

async fn progress_page(
    state: &AppState,
    session: &Session,
    region: &RegionCode,
    year: Option<i64>,
    error: Option<String>,
) -> Result<ProgressPage, AppError> {
    let actor = &session.actor;
    let p = hm::progress(&state.app, actor, region, year).await?;
    let mut target_regions = vec![(p.region_code.clone(), p.region_name.clone())];
    target_regions.extend(p.lines.iter().map(|l| (l.code.clone(), l.name.clone())));
    Ok(ProgressPage {
        nav: Nav::of(actor),
        can_set_target: actor.can(Action::FacilityManage),
        target_regions,
        p,
        error,
    })
}

pub(crate) async fn progress(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Query(p): Query<YearParam>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    html(progress_page(&state, &session, &region, year_param(&p.year), None).await?)
}

/// The target form of the progress page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TargetForm {
    region: String,
    year: String,
    households: String,
}

pub(crate) async fn target_submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<TargetForm>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    hm::check_region(&state.app, &session.actor, &region, "home_mod.target").await?;
    let input = TargetInput {
        region: if form.region.trim().is_empty() {
            code.clone()
        } else {
            form.region
        },
        year: year_param(&form.year),
        households: number(&form.households),
    };
    match hm::set_target(&state.app, &session.actor, &input).await {
        Ok(()) => {
            let year = input.year.map(|y| format!("?year={y}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/regions/{region}/modifications{year}")).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            let page = progress_page(&state, &session, &region, None, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

// ---- opening a case ----

#[derive(Template)]
#[template(path = "home_modification/new.html")]
struct NewCasePage {
    nav: Nav,
    person: Option<PersonCases>,
    today: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PersonParam {
    person: String,
}

async fn new_page(
    state: &AppState,
    session: &Session,
    person: Option<i64>,
    error: Option<String>,
) -> Result<NewCasePage, AppError> {
    let person = match person {
        Some(id) => Some(hm::cases_of_person(&state.app, &session.actor, id).await?),
        None => None,
    };
    Ok(NewCasePage {
        nav: Nav::of(&session.actor),
        person,
        today: state.app.today().to_string(),
        error,
    })
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<PersonParam>,
) -> Result<Response, PageError> {
    let person = p.person.trim().parse().ok();
    html(new_page(&state, &session, person, None).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OpenForm {
    person_id: String,
    applied_on: String,
    note: String,
}

pub(crate) async fn open_submit(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<OpenForm>,
) -> Result<Response, PageError> {
    let input = OpenCaseInput {
        person_id: form.person_id.trim().parse().unwrap_or(0),
        applied_on: form.applied_on,
        note: form.note,
    };
    match hm::open_case(&state.app, &session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/modifications/{id}")).into_response()),
        Err(e) => {
            let (status, message) = refusal(e)?;
            let person = Some(input.person_id).filter(|id| *id > 0);
            let page = new_page(&state, &session, person, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A refusal a form shows on its page (bad input, a conflict) as its status
/// and message (the message names the field); any other error is the page's
/// error.
fn refusal(e: AppError) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Invalid { message, .. } => Ok((StatusCode::UNPROCESSABLE_ENTITY, message)),
        AppError::Conflict(message) => Ok((StatusCode::CONFLICT, message)),
        e => Err(e.into()),
    }
}

// ---- the case page ----

#[derive(Template)]
#[template(path = "home_modification/show.html")]
struct CasePage {
    nav: Nav,
    c: CaseView,
    catalogue: Vec<CatalogueItem>,
    can_write: bool,
    error: Option<String>,
}

async fn case_page(
    state: &AppState,
    session: &Session,
    case: i64,
    error: Option<String>,
) -> Result<CasePage, AppError> {
    let c = hm::case(&state.app, &session.actor, case).await?;
    Ok(CasePage {
        nav: Nav::of(&session.actor),
        c,
        catalogue: hm::catalogue(),
        can_write: session.actor.can(Action::PersonWrite),
        error,
    })
}

pub(crate) async fn case(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
) -> Result<Response, PageError> {
    html(case_page(&state, &session, case, None).await?)
}

/// After a case form: back to the case, or the case page with the refusal.
async fn after_case_form(
    state: &AppState,
    session: &Session,
    case: i64,
    done: Result<(), AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/modifications/{case}")).into_response()),
        Err(e) => {
            let (status, message) = refusal(e)?;
            let page = case_page(state, session, case, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MoveForm {
    to: String,
    day: String,
    note: String,
}

pub(crate) async fn move_submit(
    State(state): State<AppState>,
    Path(case): Path<i64>,
    CsrfForm { session, form }: CsrfForm<MoveForm>,
) -> Result<Response, PageError> {
    let input = MoveInput {
        to: form.to,
        day: form.day,
        note: form.note,
    };
    let done = hm::move_case(&state.app, &session.actor, case, &input)
        .await
        .map(|_| ());
    after_case_form(&state, &session, case, done).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ItemForm {
    item: String,
    quantity: String,
    unit_cost: String,
}

pub(crate) async fn item_submit(
    State(state): State<AppState>,
    Path(case): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ItemForm>,
) -> Result<Response, PageError> {
    let input = ItemInput {
        item: form.item,
        quantity: number(&form.quantity),
        unit_cost: form.unit_cost,
    };
    let done = hm::set_item(&state.app, &session.actor, case, &input).await;
    after_case_form(&state, &session, case, done).await
}

pub(crate) async fn photo_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let is_form = multipart.is_ok();
    let upload = read_upload(multipart).await;
    // A multipart form carries the CSRF token, which `CsrfForm` (a
    // urlencoded reader) cannot see: it is checked here. Any other body is
    // refused as an empty upload (after the scope check) and changes nothing.
    if is_form && !upload.broken {
        check_form_csrf(&session, &upload.csrf)?;
    }
    let done = store_upload(&state, &session, case, &upload)
        .await
        .map(|_| ());
    after_case_form(&state, &session, case, done).await
}

/// A photo of a case, as stored; never cached, never sniffed as another type.
pub(crate) async fn photo(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((case, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (content_type, bytes) = hm::photo(&state.app, &session.actor, case, photo).await?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}
