//! Exporting the register: any search result as rows of the import
//! template's columns (so an unmasked export can be imported elsewhere),
//! masked by default. Rows come a page at a time (keyset paging), so a
//! million-row export runs in bounded memory.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::register::PersonQuery;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::disability::{DisabilityCategory, DisabilityGrade};
use kangyang_domain::register::{
    ChildCategory, EconomicStatus, Field, LivingSituation, PersonStatus,
};
use kangyang_domain::{Action, Sex};
use kangyang_store::register::{self, PersonFilter, PersonRow, PersonScope};
use std::collections::HashMap;

const PAGE: i64 = 2_000;

/// An export in progress: call [`PersonExport::next_page`] until it gives `None`.
pub struct PersonExport {
    app: App,
    scope: PersonScope,
    filter: PersonFilter,
    unmasked: bool,
    after: i64,
    done: bool,
    village_names: HashMap<String, String>,
    pub rows: u64,
}

/// The header row: the template's columns, plus the village's name.
pub fn headers() -> Vec<String> {
    let mut h: Vec<String> = Field::ALL.iter().map(|f| f.header().to_owned()).collect();
    h.push("居住村（社区）名称".to_owned());
    h
}

/// Starts an export of the people matching `query` in the actor's scope.
/// Unmasked values need the reveal permission; either way it is audited.
pub async fn start(
    app: &App,
    actor: &Actor,
    query: &PersonQuery,
    unmasked: bool,
) -> Result<PersonExport> {
    app.require(actor, Action::PersonExport).await?;
    if unmasked {
        app.require(actor, Action::PersonReveal).await?;
    }
    let filter = query.filter(app.keys(), app.today())?;
    if let Some(within) = &filter.within {
        if !actor.scope.covers(within) {
            app.audit_denied(actor, "person.export", "region", within.as_str())
                .await?;
            return Err(AppError::NotFound);
        }
    }
    app.audit(
        &Who::from(actor),
        Event {
            action: "person.export",
            object_type: "person",
            object_id: String::new(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "unmasked": unmasked, "query": query.audit_detail() }),
        },
    )
    .await?;
    Ok(PersonExport {
        app: app.clone(),
        scope: PersonScope::from(&actor.scope),
        filter,
        unmasked,
        after: 0,
        done: false,
        village_names: HashMap::new(),
        rows: 0,
    })
}

impl PersonExport {
    /// The next rows, or `None` when all have been given.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Vec<String>>>> {
        if self.done {
            return Ok(None);
        }
        let mut conn = self.app.store().read().await?;
        let page =
            register::search_after(&mut conn, &self.scope, &self.filter, self.after, PAGE).await?;
        if (page.len() as i64) < PAGE {
            self.done = true;
        }
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = last.id;
        let mut out = Vec::with_capacity(page.len());
        for row in page {
            if !self.village_names.contains_key(&row.village_code) {
                let name = crate::register::village_name(&mut conn, &row.village_code).await?;
                self.village_names.insert(row.village_code.clone(), name);
            }
            let name = self
                .village_names
                .get(&row.village_code)
                .cloned()
                .unwrap_or_default();
            out.push(self.cells(row, name)?);
        }
        self.rows += out.len() as u64;
        Ok(Some(out))
    }

    fn cells(&self, r: PersonRow, village_name: String) -> Result<Vec<String>> {
        let keys = self.app.keys();
        // Either the clear value or the mask.
        let sensitive = |sealed: &Option<Vec<u8>>, masked: &Option<String>| -> Result<String> {
            if self.unmasked {
                Ok(sealed
                    .as_deref()
                    .map(|c| keys.decrypt(c))
                    .transpose()?
                    .unwrap_or_default())
            } else {
                Ok(masked.clone().unwrap_or_default())
            }
        };
        let label = |v: &Option<String>, f: fn(&str) -> Option<&'static str>| -> String {
            v.as_deref().and_then(f).unwrap_or("").to_owned()
        };
        let id = if self.unmasked {
            keys.decrypt(&r.id_cipher)?
        } else {
            r.id_masked.clone()
        };
        let mut cells = Vec::with_capacity(Field::ALL.len() + 1);
        for f in Field::ALL {
            cells.push(match f {
                Field::IdNumber => id.clone(),
                Field::Name => r.name.clone(),
                Field::Sex => Sex::parse(&r.sex).map(Sex::label).unwrap_or("").to_owned(),
                Field::BirthDate => r.birth_date.clone(),
                Field::Phone => sensitive(&r.phone_cipher, &r.phone_masked)?,
                Field::HukouRegion => r.hukou_region.clone().unwrap_or_default(),
                Field::Village => r.village_code.clone(),
                Field::Address => r.address.clone(),
                Field::Status => label(&Some(r.status.clone()), |v| {
                    PersonStatus::parse(v).map(PersonStatus::label)
                }),
                Field::StatusDate => r.status_date.clone().unwrap_or_default(),
                Field::LivingSituation => label(&r.living_situation, |v| {
                    LivingSituation::parse(v).map(LivingSituation::label)
                }),
                Field::EconomicStatus => label(&r.economic_status, |v| {
                    EconomicStatus::parse(v).map(EconomicStatus::label)
                }),
                Field::DisabilityCategory => label(&r.disability_category, |v| {
                    DisabilityCategory::parse(v).map(DisabilityCategory::short_label)
                }),
                Field::DisabilityGrade => r
                    .disability_grade
                    .and_then(|g| u8::try_from(g).ok())
                    .and_then(DisabilityGrade::new)
                    .map(|g| g.label().to_owned())
                    .unwrap_or_default(),
                Field::DisabilityCert => {
                    sensitive(&r.disability_cert_cipher, &r.disability_cert_masked)?
                }
                Field::ChildCategory => label(&r.child_category, |v| {
                    ChildCategory::parse(v).map(ChildCategory::label)
                }),
                Field::GuardianName => r.guardian_name.clone().unwrap_or_default(),
                Field::GuardianPhone => {
                    sensitive(&r.guardian_phone_cipher, &r.guardian_phone_masked)?
                }
                Field::HouseholdNo => r.household_no.clone().unwrap_or_default(),
                Field::EmergencyContactName => r.emergency_contact_name.clone().unwrap_or_default(),
                Field::EmergencyContactPhone => {
                    sensitive(&r.emergency_phone_cipher, &r.emergency_phone_masked)?
                }
                Field::Tags => r.tags.replace(',', "，"),
            });
        }
        cells.push(village_name);
        Ok(cells)
    }
}
