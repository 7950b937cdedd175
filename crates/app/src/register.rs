//! The person register: create, change, read, search, reveal, history.
//!
//! Every function takes the actor; reads and writes are limited to the
//! actor's scope by the store's `PersonScope`, and a record outside it looks
//! exactly like one that does not exist. Sensitive values are sealed here
//! (SM4-GCM, blind indexes, masks) before they reach the store, and every
//! read of a person, search, reveal and change is audited.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::crypto::Keys;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::disability::{DisabilityCategory, DisabilityGrade};
use kangyang_domain::register::{
    parse_person, ChildCategory, EconomicStatus, Field, FieldError, LivingSituation, PersonRecord,
    PersonStatus, RawPerson,
};
use kangyang_domain::stats::AgeBand;
use kangyang_domain::{Action, CivilDate, RegionCode, RegionLevel, Sex};
use kangyang_store::regions;
use kangyang_store::register::{self, PersonFilter, PersonRow, PersonScope, StoredPerson};
use serde::Serialize;

/// Blind-index kinds: equal values of different kinds index differently.
pub(crate) const ID_KIND: &str = "id_number";
const ID_TAIL_KIND: &str = "id_tail4";
const PHONE_KIND: &str = "phone";
const CONTENT_KIND: &str = "person content";

/// Turns a valid record into what is stored: sensitive values sealed. The
/// one mapping from a record to its stored row: imports, the register's
/// forms and the demo's generators all seal through it.
pub fn seal(
    keys: &Keys,
    r: &PersonRecord,
    capability_level: Option<String>,
) -> Result<StoredPerson> {
    let id = r.id_number.as_str();
    let opt_seal =
        |v: Option<&str>| -> Result<Option<Vec<u8>>> { v.map(|v| keys.encrypt(v)).transpose() };
    let phone = r.phone.as_ref().map(|p| p.as_str());
    let guardian_phone = r
        .child
        .as_ref()
        .and_then(|c| c.guardian_phone.as_ref())
        .map(|p| p.as_str());
    let emergency_phone = r.emergency_contact_phone.as_ref().map(|p| p.as_str());
    let cert = r.disability.as_ref().and_then(|d| d.certificate.as_ref());
    let mut stored = StoredPerson {
        id_index: id_index(keys, r),
        id_cipher: keys.encrypt(id)?,
        id_masked: r.id_number.masked(),
        id_tail_index: keys.blind_index(ID_TAIL_KIND, r.id_number.last_digits(4)),
        name: r.name.clone(),
        sex: r.id_number.sex().as_str().to_owned(),
        birth_date: r.id_number.birth_date().to_string(),
        phone_cipher: opt_seal(phone)?,
        phone_index: phone.map(|p| keys.blind_index(PHONE_KIND, p)),
        phone_masked: r.phone.as_ref().map(|p| p.masked()),
        hukou_region: r.hukou_region.as_ref().map(|c| c.to_string()),
        village_code: r.village.to_string(),
        urban_rural: r.village.urban_rural().map(|u| u.as_str().to_owned()),
        address: r.address.clone(),
        status: r.status.as_str().to_owned(),
        status_date: r.status_date.map(|d| d.to_string()),
        living_situation: r.living_situation.map(|v| v.as_str().to_owned()),
        economic_status: r.economic_status.map(|v| v.as_str().to_owned()),
        capability_level,
        disability_category: r
            .disability
            .as_ref()
            .map(|d| d.category.as_str().to_owned()),
        disability_grade: r.disability.as_ref().map(|d| i64::from(d.grade.get())),
        disability_cert_cipher: opt_seal(cert.map(|c| c.as_str()))?,
        disability_cert_masked: cert.map(|c| c.masked()),
        child_category: r.child.as_ref().map(|c| c.category.as_str().to_owned()),
        guardian_name: r.child.as_ref().and_then(|c| c.guardian_name.clone()),
        guardian_phone_cipher: opt_seal(guardian_phone)?,
        guardian_phone_masked: r
            .child
            .as_ref()
            .and_then(|c| c.guardian_phone.as_ref())
            .map(|p| p.masked()),
        household_no: r.household_no.clone(),
        emergency_contact_name: r.emergency_contact_name.clone(),
        emergency_phone_cipher: opt_seal(emergency_phone)?,
        emergency_phone_masked: r.emergency_contact_phone.as_ref().map(|p| p.masked()),
        tags: r.tags.join(","),
        content_mac: String::new(),
    };
    stored.content_mac = content_mac(keys, r);
    Ok(stored)
}

/// The blind index of a record's ID number: how a person is found.
pub(crate) fn id_index(keys: &Keys, r: &PersonRecord) -> String {
    keys.blind_index(ID_KIND, r.id_number.as_str())
}

/// A keyed hash of every value of a record, in a fixed order: equal records
/// give equal MACs, so a re-import that changes nothing is recognised
/// without decrypting anything.
pub(crate) fn content_mac(keys: &Keys, r: &PersonRecord) -> String {
    let opt = |v: Option<&str>| v.unwrap_or("").to_owned();
    let child = r.child.as_ref();
    let disability = r.disability.as_ref();
    let canonical = [
        r.id_number.as_str().to_owned(),
        r.name.clone(),
        opt(r.phone.as_ref().map(|p| p.as_str())),
        r.hukou_region
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        r.village.to_string(),
        r.address.clone(),
        r.status.as_str().to_owned(),
        r.status_date.map(|d| d.to_string()).unwrap_or_default(),
        opt(r.living_situation.map(|v| v.as_str())),
        opt(r.economic_status.map(|v| v.as_str())),
        opt(disability.map(|d| d.category.as_str())),
        disability
            .map(|d| d.grade.get().to_string())
            .unwrap_or_default(),
        opt(disability
            .and_then(|d| d.certificate.as_ref())
            .map(|c| c.as_str())),
        opt(child.map(|c| c.category.as_str())),
        opt(child.and_then(|c| c.guardian_name.as_deref())),
        opt(child
            .and_then(|c| c.guardian_phone.as_ref())
            .map(|p| p.as_str())),
        opt(r.household_no.as_deref()),
        opt(r.emergency_contact_name.as_deref()),
        opt(r.emergency_contact_phone.as_ref().map(|p| p.as_str())),
        r.tags.join(","),
    ]
    .join("\u{1f}");
    keys.blind_index(CONTENT_KIND, &canonical)
}

/// A person as shown: sensitive values masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    /// 4407**********123X
    pub id_number: String,
    pub sex: String,
    pub sex_label: &'static str,
    pub birth_date: String,
    pub age: u32,
    pub phone: Option<String>,
    pub hukou_region: Option<String>,
    pub village_code: String,
    /// 广东省 / 江门市 / 鹤山市 / 古劳镇 / 麦水村委会
    pub village_name: String,
    /// The village's path below the reader's own region, as pages show it
    /// (古劳镇 / 麦水村委会 for a Heshan official).
    pub village_label: String,
    /// The household registration region by name, relative like
    /// `village_label`.
    pub hukou_region_label: Option<String>,
    pub urban_rural: Option<String>,
    pub address: String,
    pub status: String,
    pub status_label: &'static str,
    pub status_date: Option<String>,
    /// elderly, disabled, child_in_need — any combination.
    pub categories: Vec<&'static str>,
    pub living_situation: Option<String>,
    pub living_situation_label: Option<&'static str>,
    pub economic_status: Option<String>,
    pub economic_status_label: Option<&'static str>,
    /// GB/T 42195-2022 level code (intact … lost) from the latest assessment.
    pub capability_level: Option<String>,
    pub capability_level_label: Option<&'static str>,
    pub disability_category: Option<String>,
    pub disability_category_label: Option<&'static str>,
    pub disability_grade: Option<i64>,
    pub disability_grade_label: Option<&'static str>,
    pub disability_cert: Option<String>,
    pub child_category: Option<String>,
    pub child_category_label: Option<&'static str>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub household_no: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn label_of<T: Copy>(
    v: &Option<String>,
    parse: fn(&str) -> Option<T>,
    label: fn(T) -> &'static str,
) -> Option<&'static str> {
    v.as_deref().and_then(parse).map(label)
}

impl PersonView {
    pub(crate) fn from_row(row: PersonRow, village_name: String, today: CivilDate) -> PersonView {
        let PersonRow {
            id,
            values: row,
            created_at,
            updated_at,
        } = row;
        let birth = CivilDate::parse(&row.birth_date).unwrap_or(CivilDate::EPOCH);
        let age = birth.full_years_until(today);
        let mut categories = Vec::new();
        if age >= kangyang_domain::register::ELDERLY_AGE {
            categories.push("elderly");
        }
        if row.disability_category.is_some() {
            categories.push("disabled");
        }
        if row.child_category.is_some() {
            categories.push("child_in_need");
        }
        PersonView {
            id,
            sex_label: Sex::parse(&row.sex).map(Sex::label).unwrap_or(""),
            status_label: PersonStatus::parse(&row.status)
                .map(PersonStatus::label)
                .unwrap_or(""),
            living_situation_label: label_of(
                &row.living_situation,
                LivingSituation::parse,
                LivingSituation::label,
            ),
            economic_status_label: label_of(
                &row.economic_status,
                EconomicStatus::parse,
                EconomicStatus::label,
            ),
            disability_category_label: label_of(
                &row.disability_category,
                DisabilityCategory::parse,
                DisabilityCategory::label,
            ),
            disability_grade_label: row
                .disability_grade
                .and_then(|g| u8::try_from(g).ok())
                .and_then(DisabilityGrade::new)
                .map(DisabilityGrade::label),
            child_category_label: label_of(
                &row.child_category,
                ChildCategory::parse,
                ChildCategory::label,
            ),
            name: row.name,
            id_number: row.id_masked,
            sex: row.sex,
            birth_date: row.birth_date,
            age,
            phone: row.phone_masked,
            hukou_region: row.hukou_region,
            village_code: row.village_code,
            village_label: village_name.clone(),
            hukou_region_label: None,
            village_name,
            urban_rural: row.urban_rural,
            address: row.address,
            status: row.status,
            status_date: row.status_date,
            categories,
            living_situation: row.living_situation,
            economic_status: row.economic_status,
            capability_level_label: label_of(
                &row.capability_level,
                kangyang_domain::capability::CapabilityLevel::parse,
                kangyang_domain::capability::CapabilityLevel::label,
            ),
            capability_level: row.capability_level,
            disability_category: row.disability_category,
            disability_grade: row.disability_grade,
            disability_cert: row.disability_cert_masked,
            child_category: row.child_category,
            guardian_name: row.guardian_name,
            guardian_phone: row.guardian_phone_masked,
            household_no: row.household_no,
            emergency_contact_name: row.emergency_contact_name,
            emergency_contact_phone: row.emergency_phone_masked,
            tags: row
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: civil::datetime(created_at),
            updated_at: civil::datetime(updated_at),
        }
    }
}

/// Checks a record's village: it must exist, be current, and lie in the actor's scope.
pub(crate) async fn check_village(
    conn: &mut kangyang_store::Conn,
    actor_scope: &kangyang_domain::Scope,
    village: &RegionCode,
) -> Result<(), FieldError> {
    let bad = |message: String| FieldError {
        field: Field::Village,
        message,
    };
    let row = regions::get(conn, village.as_str())
        .await
        .map_err(|_| bad("区划代码暂时无法核对，请稍后重试".into()))?;
    match row {
        None => Err(bad(format!(
            "区划代码 {village} 不存在：应为现行的 12 位统计用区划代码"
        ))),
        Some(r) if r.depth != RegionLevel::Village.depth() => {
            Err(bad(format!("{village} 不是村（社区）一级的代码")))
        }
        Some(r) if r.retired_on.is_some() => Err(bad(format!(
            "区划代码 {village} 已于 {} 撤销，请改用新的代码",
            r.retired_on.unwrap_or_default()
        ))),
        Some(_) if !actor_scope.covers(village) => {
            Err(bad(format!("村（社区）{village} 不在您的管辖范围内")))
        }
        Some(_) => Ok(()),
    }
}

/// The full name of a village, for display.
pub(crate) async fn village_name(conn: &mut kangyang_store::Conn, code: &str) -> Result<String> {
    let Ok(code) = RegionCode::parse(code) else {
        return Ok(code.to_owned());
    };
    let ancestry: Vec<String> = code.ancestry().into_iter().map(String::from).collect();
    let path = regions::get_many(conn, &ancestry).await?;
    Ok(path
        .into_iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(" / "))
}

async fn view_of(app: &App, conn: &mut kangyang_store::Conn, row: PersonRow) -> Result<PersonView> {
    let name = village_name(conn, &row.village_code).await?;
    Ok(PersonView::from_row(row, name, app.today()))
}

/// The person `id` if it lies in the actor's scope. Anything else is
/// `NotFound`, whether the record exists or not, and the refusal is audited
/// under `action`. Every use case that names a person goes through here.
pub(crate) async fn scoped_person(
    app: &App,
    actor: &Actor,
    id: i64,
    action: &str,
) -> Result<PersonRow> {
    let mut conn = app.store().read().await?;
    let row = register::get(&mut conn, &PersonScope::from(&actor.scope), id).await?;
    drop(conn);
    match row {
        Some(row) => Ok(row),
        None => {
            app.audit_denied(actor, action, "person", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// Creates a person from typed fields; every bad field is reported at once.
pub async fn create(app: &App, actor: &Actor, raw: &RawPerson) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    let record = validated(app, actor, raw).await?;
    let stored = seal(app.keys(), &record, None)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if let Some((other, _, _)) = register::find_by_id_index(&mut tx, &stored.id_index).await? {
        return Err(duplicate_error(&mut tx, actor, other).await?);
    }
    let id = register::insert(&mut tx, &stored, app.now()).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event {
            action: "person.create",
            object_type: "person",
            object_id: id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "changes": changes(None, &stored) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The refusal of a second record for a registered number. Someone the
/// actor can reach is named as already on their list; anyone else gets the
/// message that says nothing of where, or whether, the number is registered.
async fn duplicate_error(
    conn: &mut kangyang_store::Conn,
    actor: &Actor,
    other: i64,
) -> Result<AppError> {
    let reachable = register::get(conn, &PersonScope::from(&actor.scope), other)
        .await?
        .is_some();
    let message = if reachable {
        "该身份证号已在您的名单中登记（每人只能登记一次），可按身份证号查找此人".to_owned()
    } else {
        crate::import::NOT_HERE.to_owned()
    };
    Ok(AppError::InvalidFields(vec![FieldError {
        field: Field::IdNumber,
        message,
    }]))
}

async fn validated(app: &App, actor: &Actor, raw: &RawPerson) -> Result<PersonRecord> {
    // The village may be typed by name (the form's region picker); the
    // rules below check the code it names.
    let mut raw = raw.clone();
    let mut village_error = None;
    if let Some(typed) = raw.get(&Field::Village).cloned() {
        match crate::regions::resolve_input(app, actor, &typed, "village", Field::Village.header())
            .await
        {
            Ok(code) => {
                raw.insert(Field::Village, code);
            }
            Err(AppError::Invalid { message, .. }) => {
                village_error = Some(FieldError {
                    field: Field::Village,
                    message,
                })
            }
            Err(e) => return Err(e),
        }
    }
    let checked = parse_person(&raw, app.today());
    let mut errors = match (checked.record, village_error) {
        (Ok(_), Some(e)) => vec![e],
        (Err(mut errors), Some(e)) => {
            errors.retain(|x| x.field != Field::Village);
            errors.push(e);
            errors
        }
        (record, None) => match record {
            Ok(record) => {
                let mut conn = app.store().read().await?;
                match check_village(&mut conn, &actor.scope, &record.village).await {
                    Ok(()) => return Ok(record),
                    Err(e) => vec![e],
                }
            }
            Err(errors) => errors,
        },
    };
    errors.sort_by_key(|e| e.field);
    Err(AppError::InvalidFields(errors))
}

/// Changes a person; the audit row lists each changed field, masked where sensitive.
pub async fn update(app: &App, actor: &Actor, id: i64, given: &RawPerson) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let old = scoped_person(app, actor, id, "person.update").await?;
    // Sensitive fields are shown masked, so a form cannot send them back:
    // left blank, or sent back exactly as GET masked them, they keep what is
    // stored (the API round-trips). Every other field takes what is given,
    // blank included.
    let mut raw = open_sensitive(app, &old)?;
    for f in Field::ALL {
        let value = given.get(&f).cloned().unwrap_or_default();
        if f.is_sensitive()
            && (value.trim().is_empty() || Some(value.trim()) == masked_value(&old, f))
        {
            continue;
        }
        raw.insert(f, value);
    }
    let record = validated(app, actor, &raw).await?;
    let stored = seal(app.keys(), &record, old.capability_level.clone())?;
    if stored.content_mac == old.content_mac {
        return Ok(());
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if let Some((other, _, _)) = register::find_by_id_index(&mut tx, &stored.id_index).await? {
        if other != id {
            return Err(duplicate_error(&mut tx, actor, other).await?);
        }
    }
    register::update(&mut tx, id, &stored, app.now()).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event {
            action: "person.update",
            object_type: "person",
            object_id: id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "changes": changes(Some(&old), &stored) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The fields that differ between the stored row and the new values, each as
/// {field, old, new}. Sensitive fields carry their masked forms only.
pub(crate) fn changes(old: Option<&PersonRow>, new: &StoredPerson) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut diff = |label: &str, old_v: Option<String>, new_v: Option<String>| {
        let norm = |v: Option<String>| v.filter(|s| !s.is_empty());
        let (o, n) = (norm(old_v), norm(new_v));
        if o != n {
            out.push(serde_json::json!({ "field": label, "old": o, "new": n }));
        }
    };
    // For sealed values, compare what identifies them and show the masks.
    let sealed = |old_key: Option<&str>,
                  new_key: Option<&str>,
                  old_mask: Option<String>,
                  new_mask: Option<String>| {
        if old_key == new_key {
            (None, None)
        } else {
            (
                old_mask.or(Some(String::new())),
                new_mask.or(Some(String::new())),
            )
        }
    };
    let o = old;
    let (a, b) = sealed(
        o.map(|r| r.id_index.as_str()),
        Some(new.id_index.as_str()),
        o.map(|r| r.id_masked.clone()),
        Some(new.id_masked.clone()),
    );
    diff(Field::IdNumber.header(), a, b);
    diff(
        Field::Name.header(),
        o.map(|r| r.name.clone()),
        Some(new.name.clone()),
    );
    let (a, b) = sealed(
        o.and_then(|r| r.phone_index.as_deref()),
        new.phone_index.as_deref(),
        o.and_then(|r| r.phone_masked.clone()),
        new.phone_masked.clone(),
    );
    diff(Field::Phone.header(), a, b);
    diff(
        Field::HukouRegion.header(),
        o.and_then(|r| r.hukou_region.clone()),
        new.hukou_region.clone(),
    );
    diff(
        Field::Village.header(),
        o.map(|r| r.village_code.clone()),
        Some(new.village_code.clone()),
    );
    diff(
        Field::Address.header(),
        o.map(|r| r.address.clone()),
        Some(new.address.clone()),
    );
    diff(
        Field::Status.header(),
        o.map(|r| r.status.clone()),
        Some(new.status.clone()),
    );
    diff(
        Field::StatusDate.header(),
        o.and_then(|r| r.status_date.clone()),
        new.status_date.clone(),
    );
    diff(
        Field::LivingSituation.header(),
        o.and_then(|r| r.living_situation.clone()),
        new.living_situation.clone(),
    );
    diff(
        Field::EconomicStatus.header(),
        o.and_then(|r| r.economic_status.clone()),
        new.economic_status.clone(),
    );
    diff(
        Field::DisabilityCategory.header(),
        o.and_then(|r| r.disability_category.clone()),
        new.disability_category.clone(),
    );
    diff(
        Field::DisabilityGrade.header(),
        o.and_then(|r| r.disability_grade.map(|g| g.to_string())),
        new.disability_grade.map(|g| g.to_string()),
    );
    diff(
        Field::DisabilityCert.header(),
        o.and_then(|r| r.disability_cert_masked.clone()),
        new.disability_cert_masked.clone(),
    );
    diff(
        Field::ChildCategory.header(),
        o.and_then(|r| r.child_category.clone()),
        new.child_category.clone(),
    );
    diff(
        Field::GuardianName.header(),
        o.and_then(|r| r.guardian_name.clone()),
        new.guardian_name.clone(),
    );
    diff(
        Field::GuardianPhone.header(),
        o.and_then(|r| r.guardian_phone_masked.clone()),
        new.guardian_phone_masked.clone(),
    );
    diff(
        Field::HouseholdNo.header(),
        o.and_then(|r| r.household_no.clone()),
        new.household_no.clone(),
    );
    diff(
        Field::EmergencyContactName.header(),
        o.and_then(|r| r.emergency_contact_name.clone()),
        new.emergency_contact_name.clone(),
    );
    diff(
        Field::EmergencyContactPhone.header(),
        o.and_then(|r| r.emergency_phone_masked.clone()),
        new.emergency_phone_masked.clone(),
    );
    diff(
        Field::Tags.header(),
        o.map(|r| r.tags.clone()),
        Some(new.tags.clone()),
    );
    out
}

/// One person, masked; the read is audited.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<PersonView> {
    app.require(actor, Action::PersonRead).await?;
    let row = scoped_person(app, actor, id, "person.read").await?;
    let mut conn = app.store().read().await?;
    let mut view = view_of(app, &mut conn, row).await?;
    drop(conn);
    view.village_label = crate::regions::below_own(actor, &view.village_name);
    if let Some(code) = &view.hukou_region {
        view.hukou_region_label = Some(crate::regions::name_for(app, actor, code).await?);
    }
    app.audit(
        &Who::from(actor),
        Event::ok("person.read", "person", id.to_string()),
    )
    .await?;
    Ok(view)
}

/// The raw form values of a person, for the edit form (sensitive ones masked:
/// the form asks for them again only if they change).
pub async fn form_values(app: &App, actor: &Actor, id: i64) -> Result<(RawPerson, PersonView)> {
    let view = get(app, actor, id).await?;
    Ok((raw_of_view(&view), view))
}

/// A person's values as the form types them, sensitive ones left out.
fn raw_of_view(view: &PersonView) -> RawPerson {
    let mut raw = RawPerson::new();
    let mut set = |f: Field, v: Option<&str>| {
        if let Some(v) = v {
            raw.insert(f, v.to_owned());
        }
    };
    set(Field::Name, Some(&view.name));
    set(Field::HukouRegion, view.hukou_region.as_deref());
    set(Field::Village, Some(&view.village_code));
    set(Field::Address, Some(&view.address));
    set(Field::Status, Some(view.status_label));
    set(Field::StatusDate, view.status_date.as_deref());
    set(Field::LivingSituation, view.living_situation_label);
    set(Field::EconomicStatus, view.economic_status_label);
    set(
        Field::DisabilityCategory,
        view.disability_category
            .as_deref()
            .and_then(DisabilityCategory::parse)
            .map(DisabilityCategory::short_label),
    );
    set(Field::DisabilityGrade, view.disability_grade_label);
    set(Field::ChildCategory, view.child_category_label);
    set(Field::GuardianName, view.guardian_name.as_deref());
    set(Field::HouseholdNo, view.household_no.as_deref());
    set(
        Field::EmergencyContactName,
        view.emergency_contact_name.as_deref(),
    );
    let tags = view.tags.join("，");
    set(Field::Tags, Some(&tags));
    raw
}

/// Moves a person to another village, every other value kept, through the
/// same checks and sealing as an edit (the content MAC covers the village);
/// audited as `action` with the changed fields. The caller has checked who
/// may do it and holds the transaction.
pub(crate) async fn move_to_village(
    app: &App,
    tx: &mut kangyang_store::Tx,
    who: &Who,
    action: &str,
    old: &PersonRow,
    village: &RegionCode,
    detail: serde_json::Value,
) -> Result<()> {
    let mut raw = stored_values(app, old)?;
    raw.insert(Field::Village, village.to_string());
    let record = parse_person(&raw, app.today())
        .record
        .map_err(|errors| AppError::InvalidFields(errors.into_iter().collect()))?;
    let stored = seal(app.keys(), &record, old.values.capability_level.clone())?;
    register::update(tx, old.id, &stored, app.now()).await?;
    let mut detail = detail;
    if let Some(map) = detail.as_object_mut() {
        map.insert(
            "changes".into(),
            serde_json::json!(changes(Some(old), &stored)),
        );
    }
    app.audit_in(
        tx,
        who,
        Event {
            action,
            object_type: "person",
            object_id: old.id.to_string(),
            result: Outcome::Ok,
            detail,
        },
    )
    .await
}

/// Every stored value of a person as the form types it, sensitive ones
/// opened: what a change of one field (a move, a life event) starts from.
pub(crate) fn stored_values(app: &App, row: &PersonRow) -> Result<RawPerson> {
    let view = PersonView::from_row(row.clone(), String::new(), app.today());
    let mut raw = raw_of_view(&view);
    raw.extend(open_sensitive(app, row)?);
    Ok(raw)
}

/// The stored sensitive values of a person, opened: what an edit keeps when
/// it leaves them blank.
/// The masked form of a sensitive field as GET shows it, if one is stored.
fn masked_value(row: &PersonRow, field: Field) -> Option<&str> {
    match field {
        Field::IdNumber => Some(row.id_masked.as_str()),
        Field::Phone => row.phone_masked.as_deref(),
        Field::DisabilityCert => row.disability_cert_masked.as_deref(),
        Field::GuardianPhone => row.guardian_phone_masked.as_deref(),
        Field::EmergencyContactPhone => row.emergency_phone_masked.as_deref(),
        _ => None,
    }
}

fn open_sensitive(app: &App, row: &PersonRow) -> Result<RawPerson> {
    let keys = app.keys();
    let open = |v: &Option<Vec<u8>>| -> Result<Option<String>> {
        v.as_deref().map(|c| keys.decrypt(c)).transpose()
    };
    let mut raw = RawPerson::new();
    raw.insert(Field::IdNumber, keys.decrypt(&row.id_cipher)?);
    for (field, value) in [
        (Field::Phone, open(&row.phone_cipher)?),
        (Field::DisabilityCert, open(&row.disability_cert_cipher)?),
        (Field::GuardianPhone, open(&row.guardian_phone_cipher)?),
        (
            Field::EmergencyContactPhone,
            open(&row.emergency_phone_cipher)?,
        ),
    ] {
        if let Some(v) = value {
            raw.insert(field, v);
        }
    }
    Ok(raw)
}

/// Which sensitive value to reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevealField {
    IdNumber,
    Phone,
    DisabilityCert,
    GuardianPhone,
    EmergencyContactPhone,
}

/// The clear value of one sensitive field. Needs the reveal permission and a
/// reason; both the reveal and the reason are audited.
pub async fn reveal(
    app: &App,
    actor: &Actor,
    id: i64,
    field: RevealField,
    reason: &str,
) -> Result<Option<String>> {
    app.require(actor, Action::PersonReveal).await?;
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(AppError::invalid_field(
            "reason",
            "理由",
            "查看完整信息须填写理由",
        ));
    }
    if reason.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "reason",
            "理由",
            "理由不超过 200 个字",
        ));
    }
    let row = scoped_person(app, actor, id, "person.reveal").await?;
    let sealed = match field {
        RevealField::IdNumber => Some(row.id_cipher.clone()),
        RevealField::Phone => row.phone_cipher.clone(),
        RevealField::DisabilityCert => row.disability_cert_cipher.clone(),
        RevealField::GuardianPhone => row.guardian_phone_cipher.clone(),
        RevealField::EmergencyContactPhone => row.emergency_phone_cipher.clone(),
    };
    let value = sealed.map(|c| app.keys().decrypt(&c)).transpose()?;
    app.audit(
        &Who::from(actor),
        Event {
            action: "person.reveal",
            object_type: "person",
            object_id: id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "field": format!("{field:?}"), "reason": reason }),
        },
    )
    .await?;
    Ok(value)
}

/// A search as users give it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct PersonQuery {
    /// Part of the name.
    pub name: String,
    /// The last four characters of the ID number.
    pub id_tail: String,
    /// A region code inside one's scope (town, village…).
    pub region: String,
    /// elderly, disabled or child_in_need.
    pub category: String,
    pub status: String,
    pub living_situation: String,
    pub economic_status: String,
    pub disability_category: String,
    pub child_category: String,
    /// urban or rural.
    pub urban_rural: String,
    /// A capability level (GB/T 42195-2022): intact, mild, moderate, severe or lost.
    pub capability_level: String,
    /// A disability grade, 1 to 4.
    pub disability_grade: String,
    /// An age band: 0_17, 18_59, 60_69, 70_79 or 80_plus.
    pub age_band: String,
    /// Page number from 1.
    pub page: Option<i64>,
}

impl PersonQuery {
    /// The store filter, or a message naming the bad parameter.
    pub fn filter(&self, keys: &Keys, today: CivilDate) -> Result<PersonFilter> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut f = PersonFilter {
            name: some(&self.name),
            ..Default::default()
        };
        if let Some(tail) = some(&self.id_tail) {
            let tail = tail.to_uppercase();
            if tail.chars().count() != 4 || !tail.chars().all(|c| c.is_ascii_digit() || c == 'X') {
                return Err(AppError::invalid_field(
                    "id_tail",
                    "身份证后4位",
                    "请输入身份证号的后 4 位",
                ));
            }
            f.id_tail_index = Some(keys.blind_index(ID_TAIL_KIND, &tail));
        }
        if let Some(region) = some(&self.region) {
            f.within = Some(RegionCode::parse(&region).map_err(|_| {
                AppError::invalid_field(
                    "region",
                    "区划代码",
                    "区划代码应为 2、4、6、9 或 12 位数字",
                )
            })?);
        }
        match self.category.trim() {
            "" => {}
            "elderly" => f.born_on_or_before = Some(civil::years_before(today, 60).to_string()),
            "disabled" => f.disabled = true,
            "child_in_need" => f.child_in_need = true,
            _ => {
                return Err(AppError::invalid_field(
                    "category",
                    "类别",
                    "类别应为 elderly、disabled 或 child_in_need",
                ))
            }
        }
        let coded = |key: &str,
                     label: &str,
                     value: &str,
                     parse: fn(&str) -> Option<&'static str>|
         -> Result<Option<String>> {
            let v = value.trim();
            if v.is_empty() {
                return Ok(None);
            }
            parse(v)
                .map(|c| Some(c.to_owned()))
                .ok_or_else(|| AppError::invalid_field(key, label, "不是可选值"))
        };
        f.status = coded("status", "状态", &self.status, |v| {
            PersonStatus::parse(v).map(PersonStatus::as_str)
        })?;
        f.living_situation = coded(
            "living_situation",
            "居住状况",
            &self.living_situation,
            |v| LivingSituation::parse(v).map(LivingSituation::as_str),
        )?;
        f.economic_status = coded(
            "economic_status",
            "经济状况",
            &self.economic_status,
            |v| EconomicStatus::parse(v).map(EconomicStatus::as_str),
        )?;
        f.disability_category = coded(
            "disability_category",
            "残疾类别",
            &self.disability_category,
            |v| DisabilityCategory::parse_code_or_label(v).map(DisabilityCategory::as_str),
        )?;
        f.child_category = coded(
            "child_category",
            "困境儿童类别",
            &self.child_category,
            |v| ChildCategory::parse(v).map(ChildCategory::as_str),
        )?;
        f.urban_rural = coded("urban_rural", "城乡", &self.urban_rural, |v| {
            kangyang_domain::UrbanRural::parse(v).map(|u| u.as_str())
        })?;
        f.capability_level = coded(
            "capability_level",
            "能力等级",
            &self.capability_level,
            |v| kangyang_domain::capability::CapabilityLevel::parse(v).map(|c| c.as_str()),
        )?;
        if let Some(grade) = some(&self.disability_grade) {
            f.disability_grade = Some(
                grade
                    .parse::<i64>()
                    .ok()
                    .filter(|g| (1..=4).contains(g))
                    .ok_or_else(|| {
                        AppError::invalid_field(
                            "disability_grade",
                            "残疾等级",
                            "残疾等级应为 1 到 4",
                        )
                    })?,
            );
        }
        if let Some(band) = some(&self.age_band) {
            let band = AgeBand::parse(&band).ok_or_else(|| {
                AppError::invalid_field(
                    "age_band",
                    "年龄段",
                    "年龄段应为 0_17、18_59、60_69、70_79 或 80_plus",
                )
            })?;
            // Aged at least `min`: born on or before the day `min` years ago;
            // younger than `end`: born after the day `end` years ago. Both
            // narrow what a category may already have set.
            if band.min_age() > 0 {
                let by = civil::years_before(today, band.min_age()).to_string();
                f.born_on_or_before = Some(match f.born_on_or_before.take() {
                    Some(d) if d < by => d,
                    _ => by,
                });
            }
            if let Some(end) = band.end_age() {
                let after = civil::years_before(today, end).to_string();
                f.born_after = Some(match f.born_after.take() {
                    Some(d) if d > after => d,
                    _ => after,
                });
            }
        }
        Ok(f)
    }

    /// Set conditions the search form has no field for (a dashboard's link
    /// sets them): (parameter, value).
    pub fn hidden_filters(&self) -> Vec<(&'static str, &str)> {
        [
            ("status", self.status.as_str()),
            ("economic_status", self.economic_status.as_str()),
            ("disability_category", self.disability_category.as_str()),
            ("child_category", self.child_category.as_str()),
            ("capability_level", self.capability_level.as_str()),
            ("disability_grade", self.disability_grade.as_str()),
            ("age_band", self.age_band.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
    }

    /// The query's parameters for the audit trail (the ID tail is not logged).
    pub(crate) fn audit_detail(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "id_tail": if self.id_tail.is_empty() { "" } else { "****" },
            "region": self.region, "category": self.category, "status": self.status,
            "living_situation": self.living_situation, "economic_status": self.economic_status,
            "disability_category": self.disability_category, "child_category": self.child_category,
            "urban_rural": self.urban_rural, "capability_level": self.capability_level,
            "disability_grade": self.disability_grade, "age_band": self.age_band,
        })
    }
}

pub const PAGE_SIZE: i64 = 50;

/// Where page `page` (from 1) of `size` rows starts. A page number whose
/// offset does not fit an i64 would wrap (to page 1 in a release build):
/// it is past the end of any list, and refused as such.
pub fn page_offset(page: i64, size: i64) -> Result<i64> {
    if page < 1 {
        return Err(AppError::invalid_field("page", "页码", "页码应从 1 开始"));
    }
    (page - 1)
        .checked_mul(size)
        .ok_or_else(|| AppError::invalid_field("page", "页码", "页码超出范围"))
}

/// The error for a page after the last of `total` rows.
pub fn past_the_end(total: i64, size: i64) -> AppError {
    let pages = ((total + size - 1) / size).max(1);
    AppError::invalid_field("page", "页码", format!("页码超出范围：共 {pages} 页"))
}
/// How many match a search: counted, or estimated past
/// `Config::search_count_limit`.
pub use kangyang_store::register::MatchCount;

/// A page of people matching `query` in the actor's scope, and how many
/// match in all.
pub async fn search(
    app: &App,
    actor: &Actor,
    query: &PersonQuery,
) -> Result<(Vec<PersonView>, MatchCount)> {
    app.require(actor, Action::PersonRead).await?;
    let mut query = query.clone();
    query.region =
        crate::regions::resolve_input(app, actor, &query.region, "region", "区划").await?;
    let filter = query.filter(app.keys(), app.today())?;
    if let Some(within) = &filter.within {
        if !actor.scope.covers(within) {
            app.audit_denied(actor, "person.search", "region", within.as_str())
                .await?;
            return Err(AppError::NotFound);
        }
    }
    let page = query.page.unwrap_or(1);
    let offset = page_offset(page, PAGE_SIZE)?;
    let mut conn = app.store().read().await?;
    let (rows, total) = register::search(
        &mut conn,
        &PersonScope::from(&actor.scope),
        &filter,
        PAGE_SIZE,
        offset,
        app.config().search_count_limit,
    )
    .await?;
    if rows.is_empty() && page > 1 {
        // An estimate may be off either way: a page past the end of one
        // names the pages the estimate makes, the same figure the list showed.
        return Err(past_the_end(total.total, PAGE_SIZE));
    }
    let mut views = Vec::with_capacity(rows.len());
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let today = app.today();
    for row in rows {
        // A page's people mostly share a few villages: name each once.
        let name = match names.get(&row.village_code) {
            Some(name) => name.clone(),
            None => {
                let name = village_name(&mut conn, &row.village_code).await?;
                names.insert(row.village_code.clone(), name.clone());
                name
            }
        };
        let mut view = PersonView::from_row(row, name, today);
        view.village_label = crate::regions::below_own(actor, &view.village_name);
        views.push(view);
    }
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event {
            action: "person.search",
            object_type: "person",
            object_id: String::new(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "query": query.audit_detail(), "total": total.total, "total_is_estimate": total.estimated }),
        },
    )
    .await?;
    Ok((views, total))
}

/// The person with this ID number, inside the actor's scope. The number is
/// checked (GB 11643) and looked up through its keyed blind index, so even a
/// province's register answers at once; it travels in a POST body, never in
/// a URL, and the audit row names the person found, not the number. Someone
/// outside the scope is "not found", as someone not registered is.
pub async fn find_by_id_number(app: &App, actor: &Actor, id_number: &str) -> Result<i64> {
    app.require(actor, Action::PersonRead).await?;
    let id_number = kangyang_domain::id_number::repair(id_number)
        .result
        .map_err(|_| {
            AppError::invalid_field(
                "id_number",
                "身份证号",
                "请输入 18 位身份证号（校验位须正确）",
            )
        })?;
    let index = app.keys().blind_index(ID_KIND, id_number.as_str());
    let mut conn = app.store().read().await?;
    let found = match register::find_by_id_index(&mut conn, &index).await? {
        Some((id, _, _)) => register::get(&mut conn, &PersonScope::from(&actor.scope), id)
            .await?
            .map(|row| row.id),
        None => None,
    };
    drop(conn);
    let Some(id) = found else {
        app.audit_denied(actor, "person.find", "person", "").await?;
        return Err(AppError::NotFound);
    };
    app.audit(
        &Who::from(actor),
        Event::ok("person.find", "person", id.to_string()),
    )
    .await?;
    Ok(id)
}

/// One change in a person's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub time: String,
    pub username: String,
    pub action: String,
    /// [{field, old, new}]
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

/// Who changed which field when, from the audit trail.
pub async fn history(app: &App, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
    app.require(actor, Action::PersonRead).await?;
    scoped_person(app, actor, id, "person.history").await?;
    let mut conn = app.store().read().await?;
    let rows = kangyang_store::audit::for_object(
        &mut conn,
        "person",
        &id.to_string(),
        &[
            "person.create",
            "person.update",
            "person.import",
            "person.life_event",
            "transfer.accept",
        ],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryEntry {
            time: civil::datetime(r.at),
            username: r.username,
            action: r.action,
            changes: serde_json::from_str::<serde_json::Value>(&r.detail)
                .ok()
                .and_then(|d| d.get("changes").cloned())
                .unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
