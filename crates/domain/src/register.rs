//! A person in the register, and the rules that turn what a user typed (in a
//! form or a spreadsheet row) into a valid record.
//!
//! The same [`parse_person`] serves the web form, the API and the importer, so
//! a rule is written once and every way in obeys it. Messages are Chinese
//! (they are shown to users) and never repeat a sensitive value.

use crate::coded::coded_enum;
use crate::date::CivilDate;
use crate::disability::{DisabilityCategory, DisabilityCert, DisabilityGrade};
use crate::id_number::{self, IdNumber, Repair};
use crate::mask::{normalise_phone, Phone};
use crate::regions::{RegionCode, RegionLevel};
use serde::Serialize;
use std::collections::HashMap;

/// People aged 60 and over are elderly (老年人权益保障法 art. 2).
pub const ELDERLY_AGE: u32 = 60;

coded_enum!(
    /// Whether the person is alive and still lives here.
    PersonStatus {
        Alive = "alive", "在世";
        Deceased = "deceased", "已故";
        MovedAway = "moved_away", "已迁出";
        HukouMovedOut = "hukou_moved_out", "户籍已迁出";
    }
);

impl PersonStatus {
    /// The event that ended the person's services, as a sentence names it
    /// ("已于 2026-11-03 死亡"); `None` for the living.
    pub fn event_label(self) -> Option<&'static str> {
        match self {
            PersonStatus::Alive => None,
            PersonStatus::Deceased => Some("死亡"),
            PersonStatus::MovedAway => Some("迁出"),
            PersonStatus::HukouMovedOut => Some("户籍迁出"),
        }
    }

    /// Reads a status as other departments' lists write it (公安、卫健、殡葬):
    /// the event ("死亡", "迁出", "户籍迁出"), the register's label or code.
    pub fn parse_change(s: &str) -> Option<PersonStatus> {
        let s = s.trim();
        PersonStatus::parse(s).or_else(|| {
            PersonStatus::ALL
                .iter()
                .copied()
                .find(|v| v.event_label() == Some(s))
                .or(match s {
                    "去世" | "亡故" | "注销（死亡）" => Some(PersonStatus::Deceased),
                    "迁出本地" | "外迁" => Some(PersonStatus::MovedAway),
                    _ => None,
                })
        })
    }
}

coded_enum!(
    /// How an elderly person lives.
    LivingSituation {
        Alone = "alone", "独居";
        EmptyNest = "empty_nest", "空巢";
        WithFamily = "with_family", "与家人同住";
    }
);

coded_enum!(
    /// Economic status as the civil-affairs assistance programmes define it.
    EconomicStatus {
        ExtremePoverty = "extreme_poverty", "特困";
        Dibao = "dibao", "低保";
        DibaoEdge = "dibao_edge", "低保边缘";
        Hardship = "hardship", "困难";
        Ordinary = "ordinary", "一般";
    }
);

coded_enum!(
    /// Why a child is in need (困境儿童).
    ChildCategory {
        Orphan = "orphan", "孤儿";
        DeFactoUnsupported = "de_facto_unsupported", "事实无人抚养";
        LeftBehind = "left_behind", "留守";
        InstitutionalCare = "institutional_care", "集中供养";
    }
);

/// A valid record of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id_number: IdNumber,
    pub name: String,
    pub phone: Option<Phone>,
    /// 户籍: where the household is registered (any level).
    pub hukou_region: Option<RegionCode>,
    /// Where the person lives: a village or community (12 digits).
    pub village: RegionCode,
    pub address: String,
    pub status: PersonStatus,
    pub status_date: Option<CivilDate>,
    pub living_situation: Option<LivingSituation>,
    pub economic_status: Option<EconomicStatus>,
    pub disability: Option<Disability>,
    pub child: Option<ChildInNeed>,
    pub household_no: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<Phone>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disability {
    pub category: DisabilityCategory,
    pub grade: DisabilityGrade,
    pub certificate: Option<DisabilityCert>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInNeed {
    pub category: ChildCategory,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<Phone>,
}

impl PersonRecord {
    pub fn birth_date(&self) -> CivilDate {
        self.id_number.birth_date()
    }

    pub fn is_elderly_on(&self, today: CivilDate) -> bool {
        self.id_number.age_on(today) >= ELDERLY_AGE
    }
}

/// The columns of a person record, in the order of the import template.
/// A sheet's headers are matched to these by name, in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    IdNumber,
    Name,
    Sex,
    BirthDate,
    Phone,
    HukouRegion,
    Village,
    Address,
    Status,
    StatusDate,
    LivingSituation,
    EconomicStatus,
    DisabilityCategory,
    DisabilityGrade,
    DisabilityCert,
    ChildCategory,
    GuardianName,
    GuardianPhone,
    HouseholdNo,
    EmergencyContactName,
    EmergencyContactPhone,
    Tags,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Field::IdNumber,
        Field::Name,
        Field::Sex,
        Field::BirthDate,
        Field::Phone,
        Field::HukouRegion,
        Field::Village,
        Field::Address,
        Field::Status,
        Field::StatusDate,
        Field::LivingSituation,
        Field::EconomicStatus,
        Field::DisabilityCategory,
        Field::DisabilityGrade,
        Field::DisabilityCert,
        Field::ChildCategory,
        Field::GuardianName,
        Field::GuardianPhone,
        Field::HouseholdNo,
        Field::EmergencyContactName,
        Field::EmergencyContactPhone,
        Field::Tags,
    ];

    /// The column header in the template and in error messages.
    pub fn header(self) -> &'static str {
        match self {
            Field::IdNumber => "身份证号",
            Field::Name => "姓名",
            Field::Sex => "性别",
            Field::BirthDate => "出生日期",
            Field::Phone => "联系电话",
            Field::HukouRegion => "户籍地区划代码",
            Field::Village => "居住村（社区）代码",
            Field::Address => "详细地址",
            Field::Status => "状态",
            Field::StatusDate => "状态变更日期",
            Field::LivingSituation => "居住状况",
            Field::EconomicStatus => "经济状况",
            Field::DisabilityCategory => "残疾类别",
            Field::DisabilityGrade => "残疾等级",
            Field::DisabilityCert => "残疾证号",
            Field::ChildCategory => "困境儿童类别",
            Field::GuardianName => "监护人姓名",
            Field::GuardianPhone => "监护人电话",
            Field::HouseholdNo => "户编号",
            Field::EmergencyContactName => "紧急联系人",
            Field::EmergencyContactPhone => "紧急联系人电话",
            Field::Tags => "标签",
        }
    }

    /// The key of this field in the JSON API and in form posts.
    pub fn key(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Name => "name",
            Field::Sex => "sex",
            Field::BirthDate => "birth_date",
            Field::Phone => "phone",
            Field::HukouRegion => "hukou_region",
            Field::Village => "village",
            Field::Address => "address",
            Field::Status => "status",
            Field::StatusDate => "status_date",
            Field::LivingSituation => "living_situation",
            Field::EconomicStatus => "economic_status",
            Field::DisabilityCategory => "disability_category",
            Field::DisabilityGrade => "disability_grade",
            Field::DisabilityCert => "disability_cert",
            Field::ChildCategory => "child_category",
            Field::GuardianName => "guardian_name",
            Field::GuardianPhone => "guardian_phone",
            Field::HouseholdNo => "household_no",
            Field::EmergencyContactName => "emergency_contact_name",
            Field::EmergencyContactPhone => "emergency_contact_phone",
            Field::Tags => "tags",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Sealed at rest and masked on display: a form leaves them blank to keep them.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Field::IdNumber
                | Field::Phone
                | Field::DisabilityCert
                | Field::GuardianPhone
                | Field::EmergencyContactPhone
        )
    }

    /// Other headers real sheets use for the same column.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::IdNumber => &["身份证号码", "公民身份号码", "身份证"],
            Field::Phone => &["电话", "手机", "手机号码", "联系方式"],
            Field::Village => &["居住地区划代码", "村（居）代码", "村居代码", "村代码"],
            Field::HukouRegion => &["户籍地代码", "户籍区划代码"],
            Field::Address => &["住址", "地址", "现住址"],
            Field::DisabilityCert => &["残疾人证号", "残疾证号码"],
            Field::Tags => &["备注标签"],
            _ => &[],
        }
    }

    /// The field a sheet header names, ignoring spaces and full-width brackets.
    pub fn from_header(header: &str) -> Option<Field> {
        let norm = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '*')
                .map(|c| match c {
                    '(' => '（',
                    ')' => '）',
                    c => c,
                })
                .collect()
        };
        let h = norm(header);
        Field::ALL
            .into_iter()
            .find(|f| norm(f.header()) == h || f.aliases().iter().any(|a| norm(a) == h))
    }

    /// The coded values this column takes, for a sheet's drop-down list.
    pub fn choices(self) -> Option<Vec<&'static str>> {
        fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> Option<Vec<&'static str>> {
            Some(all.iter().map(|v| label(*v)).collect())
        }
        match self {
            Field::Sex => Some(vec!["男", "女"]),
            Field::Status => labels(PersonStatus::ALL, PersonStatus::label),
            Field::LivingSituation => labels(LivingSituation::ALL, LivingSituation::label),
            Field::EconomicStatus => labels(EconomicStatus::ALL, EconomicStatus::label),
            Field::DisabilityCategory => {
                labels(&DisabilityCategory::ALL, DisabilityCategory::short_label)
            }
            Field::DisabilityGrade => Some(vec!["一级", "二级", "三级", "四级"]),
            Field::ChildCategory => labels(ChildCategory::ALL, ChildCategory::label),
            _ => None,
        }
    }

    pub fn required(self) -> bool {
        matches!(self, Field::IdNumber | Field::Name | Field::Village)
    }
}

/// What is wrong with one field, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    #[serde(serialize_with = "field_header")]
    pub field: Field,
    pub message: String,
}

fn field_header<S: serde::Serializer>(f: &Field, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(f.header())
}

/// Something repaired without guessing, reported back as a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldWarning {
    #[serde(serialize_with = "field_header")]
    pub field: Field,
    pub message: String,
}

/// One record as typed: field → text. Absent and blank mean the same.
pub type RawPerson = HashMap<Field, String>;

/// The outcome of checking one record.
#[derive(Debug, Clone)]
pub struct Checked {
    pub record: Result<PersonRecord, Vec<FieldError>>,
    pub warnings: Vec<FieldWarning>,
}

/// Trims (full-width spaces too) and folds full-width digits to ASCII;
/// reports whether any digit was folded.
fn clean(s: &str) -> (String, bool) {
    let trimmed = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    let mut out = String::with_capacity(trimmed.len());
    let mut folded = false;
    for c in trimmed.chars() {
        let c = match c {
            '０'..='９' => {
                folded = true;
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        };
        out.push(c);
    }
    (out, folded)
}

/// Checks a typed record against every rule. `today` decides ages and which
/// dates lie in the future; region existence is checked by the caller, who
/// has the region table.
pub fn parse_person(raw: &RawPerson, today: CivilDate) -> Checked {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let get = |f: Field| -> String { raw.get(&f).map(|s| clean(s).0).unwrap_or_default() };
    let err = |errors: &mut Vec<FieldError>, field: Field, message: String| {
        errors.push(FieldError { field, message })
    };

    // 身份证号: repaired when that needs no guessing, else a precise reason.
    let id_raw = raw.get(&Field::IdNumber).cloned().unwrap_or_default();
    let id_number = if id_raw.trim().is_empty() {
        err(&mut errors, Field::IdNumber, "身份证号不能为空".into());
        None
    } else {
        let repaired = id_number::repair(&id_raw);
        for r in &repaired.repairs {
            if *r != Repair::Trimmed {
                warnings.push(FieldWarning {
                    field: Field::IdNumber,
                    message: format!("已自动修正：{r}"),
                });
            }
        }
        match repaired.result {
            Ok(id) if id.birth_date() > today => {
                err(
                    &mut errors,
                    Field::IdNumber,
                    "身份证号中的出生日期晚于今天".into(),
                );
                None
            }
            Ok(id) => Some(id),
            Err(e) => {
                err(&mut errors, Field::IdNumber, e.to_string());
                None
            }
        }
    };

    let name = get(Field::Name);
    if name.is_empty() {
        err(&mut errors, Field::Name, "姓名不能为空".into());
    } else if name.chars().count() > 50 {
        err(&mut errors, Field::Name, "姓名不超过 50 个字".into());
    } else if name.chars().any(|c| c.is_ascii_digit()) {
        err(
            &mut errors,
            Field::Name,
            "姓名中不应有数字（是否与其他列错位？）".into(),
        );
    }

    // Sex and birth date are derived from the ID number; if a sheet also has
    // them, they must agree (a mismatch usually means a mistyped ID).
    if let Some(id) = &id_number {
        let sex = get(Field::Sex);
        if !sex.is_empty() && crate::id_number::Sex::parse(&sex) != Some(id.sex()) {
            err(
                &mut errors,
                Field::Sex,
                format!("性别与身份证号不符：按身份证号应为“{}”", id.sex().label()),
            );
        }
        let birth = get(Field::BirthDate);
        if !birth.is_empty() {
            match CivilDate::parse(&birth) {
                Ok(d) if d == id.birth_date() => {}
                Ok(_) => err(
                    &mut errors,
                    Field::BirthDate,
                    "出生日期与身份证号不符：请核对身份证号或出生日期".into(),
                ),
                Err(e) => err(&mut errors, Field::BirthDate, e.to_string()),
            }
        }
    }

    let phone = optional_phone(raw, Field::Phone, &mut errors);

    let hukou_region = {
        let s = get(Field::HukouRegion);
        if s.is_empty() {
            None
        } else {
            match RegionCode::parse(&s) {
                Ok(c) => Some(c),
                Err(_) => {
                    err(
                        &mut errors,
                        Field::HukouRegion,
                        "户籍地区划代码应为 2、4、6、9 或 12 位数字".into(),
                    );
                    None
                }
            }
        }
    };

    let village = {
        let s = get(Field::Village);
        if s.is_empty() {
            err(
                &mut errors,
                Field::Village,
                "居住村（社区）代码不能为空：应为 12 位统计用区划代码".into(),
            );
            None
        } else {
            match RegionCode::parse(&s) {
                Ok(c) if c.level() == RegionLevel::Village => Some(c),
                Ok(_) | Err(_) => {
                    err(
                        &mut errors,
                        Field::Village,
                        format!(
                            "“{s}”不是村（社区）代码：应为 12 位统计用区划代码，如 440784103202"
                        ),
                    );
                    None
                }
            }
        }
    };

    let address = get(Field::Address);
    if address.chars().count() > 200 {
        err(
            &mut errors,
            Field::Address,
            "详细地址不超过 200 个字".into(),
        );
    }

    let status =
        coded(raw, Field::Status, PersonStatus::parse, &mut errors).unwrap_or(PersonStatus::Alive);
    let status_date = {
        let s = get(Field::StatusDate);
        if s.is_empty() {
            None
        } else {
            match CivilDate::parse(&s) {
                Ok(d) if d > today => {
                    err(
                        &mut errors,
                        Field::StatusDate,
                        "状态变更日期不能晚于今天".into(),
                    );
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    err(&mut errors, Field::StatusDate, e.to_string());
                    None
                }
            }
        }
    };
    if status != PersonStatus::Alive
        && status_date.is_none()
        && !errors.iter().any(|e| e.field == Field::StatusDate)
    {
        err(
            &mut errors,
            Field::StatusDate,
            format!("状态为“{}”时须填写状态变更日期", status.label()),
        );
    }

    let living_situation = coded(
        raw,
        Field::LivingSituation,
        LivingSituation::parse,
        &mut errors,
    );
    let economic_status = coded(
        raw,
        Field::EconomicStatus,
        EconomicStatus::parse,
        &mut errors,
    );

    let disability = {
        let category = coded(
            raw,
            Field::DisabilityCategory,
            DisabilityCategory::parse_code_or_label,
            &mut errors,
        );
        let grade_raw = get(Field::DisabilityGrade);
        let grade = if grade_raw.is_empty() {
            None
        } else {
            let g = DisabilityGrade::parse(&grade_raw);
            if g.is_none() {
                err(
                    &mut errors,
                    Field::DisabilityGrade,
                    "残疾等级应为一级至四级（1-4）".into(),
                );
            }
            g
        };
        let cert_raw = get(Field::DisabilityCert);
        match (category, grade) {
            (Some(category), Some(grade)) => {
                let certificate = if cert_raw.is_empty() {
                    None
                } else {
                    match DisabilityCert::parse(&cert_raw.to_uppercase()) {
                        Ok(cert) => {
                            if let Some(id) = &id_number {
                                if let Err(m) = cert.check_against(id, category, grade) {
                                    err(&mut errors, Field::DisabilityCert, m.to_string());
                                }
                            }
                            Some(cert)
                        }
                        Err(e) => {
                            err(&mut errors, Field::DisabilityCert, e.to_string());
                            None
                        }
                    }
                };
                Some(Disability {
                    category,
                    grade,
                    certificate,
                })
            }
            (None, None) if cert_raw.is_empty() => None,
            (None, None) => {
                err(
                    &mut errors,
                    Field::DisabilityCategory,
                    "填写了残疾证号时须填写残疾类别和等级".into(),
                );
                None
            }
            (Some(_), None) if !errors.iter().any(|e| e.field == Field::DisabilityGrade) => {
                err(
                    &mut errors,
                    Field::DisabilityGrade,
                    "填写了残疾类别时须填写残疾等级（一级至四级）".into(),
                );
                None
            }
            (None, Some(_)) if !errors.iter().any(|e| e.field == Field::DisabilityCategory) => {
                err(
                    &mut errors,
                    Field::DisabilityCategory,
                    "填写了残疾等级时须填写残疾类别".into(),
                );
                None
            }
            _ => None,
        }
    };

    let child = {
        let category = coded(raw, Field::ChildCategory, ChildCategory::parse, &mut errors);
        let guardian_name = Some(get(Field::GuardianName)).filter(|s| !s.is_empty());
        let guardian_phone = optional_phone(raw, Field::GuardianPhone, &mut errors);
        match category {
            Some(category) => {
                if let Some(id) = &id_number {
                    if id.age_on(today) >= 18 {
                        err(
                            &mut errors,
                            Field::ChildCategory,
                            "困境儿童应未满 18 周岁".into(),
                        );
                    }
                }
                Some(ChildInNeed {
                    category,
                    guardian_name,
                    guardian_phone,
                })
            }
            None => None,
        }
    };

    let household_no = Some(get(Field::HouseholdNo)).filter(|s| !s.is_empty());
    let emergency_contact_name = Some(get(Field::EmergencyContactName)).filter(|s| !s.is_empty());
    let emergency_contact_phone = optional_phone(raw, Field::EmergencyContactPhone, &mut errors);
    let tags: Vec<String> = get(Field::Tags)
        .split([',', '，', ';', '；', '、'])
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.iter().any(|t| t.chars().count() > 20) {
        err(
            &mut errors,
            Field::Tags,
            "每个标签不超过 20 个字，多个标签用逗号分隔".into(),
        );
    }

    // Repairs of other fields (full-width digits) are warnings too.
    for f in [
        Field::Phone,
        Field::Village,
        Field::HukouRegion,
        Field::GuardianPhone,
        Field::EmergencyContactPhone,
    ] {
        if let Some(v) = raw.get(&f) {
            if clean(v).1 {
                warnings.push(FieldWarning {
                    field: f,
                    message: "已自动修正：全角数字改为半角".into(),
                });
            }
        }
    }

    let record = match (errors.is_empty(), id_number, village) {
        (true, Some(id_number), Some(village)) => Ok(PersonRecord {
            id_number,
            name,
            phone,
            hukou_region,
            village,
            address,
            status,
            status_date,
            living_situation,
            economic_status,
            disability,
            child,
            household_no,
            emergency_contact_name,
            emergency_contact_phone,
            tags,
        }),
        _ => Err(errors),
    };
    Checked { record, warnings }
}

fn optional_phone(raw: &RawPerson, field: Field, errors: &mut Vec<FieldError>) -> Option<Phone> {
    let s = raw.get(&field).map(|s| clean(s).0).unwrap_or_default();
    if s.is_empty() {
        return None;
    }
    match normalise_phone(&s) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError {
                field,
                message: format!("{e}：应为 11 位手机号或带区号的固定电话，如 0750-8888888"),
            });
            None
        }
    }
}

fn coded<T>(
    raw: &RawPerson,
    field: Field,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let s = raw.get(&field).map(|s| clean(s).0).unwrap_or_default();
    if s.is_empty() {
        return None;
    }
    let parsed = parse(&s);
    if parsed.is_none() {
        let choices = field.choices().map(|c| c.join("、")).unwrap_or_default();
        errors.push(FieldError {
            field,
            message: format!("“{s}”不是可选值：应为 {choices} 之一"),
        });
    }
    parsed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn today() -> CivilDate {
        CivilDate::new(2026, 11, 23).unwrap()
    }

    fn valid_id(birth: (u16, u8, u8), seq: u16) -> IdNumber {
        IdNumber::from_parts(
            "440784",
            CivilDate::new(birth.0, birth.1, birth.2).unwrap(),
            seq,
        )
        .unwrap()
    }

    fn raw(pairs: &[(Field, &str)]) -> RawPerson {
        pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    fn errors_of(c: &Checked) -> Vec<Field> {
        c.record
            .as_ref()
            .err()
            .map(|e| e.iter().map(|e| e.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_complete_record_passes() {
        let id = valid_id((1950, 3, 1), 123);
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, id.as_str()),
                (Field::Name, "李桂芳"),
                (Field::Village, "440784103202"),
                (Field::Phone, "138 1234 5678"),
                (Field::LivingSituation, "独居"),
                (Field::EconomicStatus, "低保"),
                (Field::Tags, "高龄，独居"),
            ]),
            today(),
        );
        let r = c.record.unwrap();
        assert!(r.is_elderly_on(today()));
        assert_eq!(r.living_situation, Some(LivingSituation::Alone));
        assert_eq!(r.tags, ["高龄", "独居"]);
        assert_eq!(r.phone.unwrap().as_str(), "13812345678");
    }

    #[test]
    fn repairs_full_width_and_lower_case_x_with_warnings() {
        let id = valid_id((1948, 7, 9), 2).as_str().to_owned();
        let wide: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 + 0xFEE0).unwrap()
                } else {
                    c
                }
            })
            .collect();
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, &format!(" {wide} ")),
                (Field::Name, "陈伯"),
                (Field::Village, "440784103202"),
            ]),
            today(),
        );
        assert!(c.record.is_ok());
        assert!(c.warnings.iter().any(|w| w.field == Field::IdNumber));
    }

    #[test]
    fn joins_an_id_number_typed_in_groups_with_a_warning() {
        let id = valid_id((1950, 3, 1), 123).as_str().to_owned();
        let spaced = format!("{} {}\u{3000}{}", &id[..6], &id[6..14], &id[14..]);
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, &spaced),
                (Field::Name, "李桂芳"),
                (Field::Village, "440784103202"),
            ]),
            today(),
        );
        assert_eq!(c.record.unwrap().id_number.as_str(), id);
        assert!(c
            .warnings
            .iter()
            .any(|w| w.field == Field::IdNumber && w.message.contains("空格")));
    }

    #[test]
    fn names_each_bad_field() {
        let id = valid_id((1950, 3, 1), 123);
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, id.as_str()),
                (Field::Name, ""),
                (Field::Village, "440784103"),
                (Field::Sex, "女"),
                (Field::BirthDate, "1950-03-02"),
                (Field::LivingSituation, "独自"),
                (Field::DisabilityCategory, "肢体"),
            ]),
            today(),
        );
        let fields = errors_of(&c);
        for f in [
            Field::Name,
            Field::Village,
            Field::Sex,
            Field::BirthDate,
            Field::LivingSituation,
            Field::DisabilityGrade,
        ] {
            assert!(fields.contains(&f), "{f:?} in {fields:?}");
        }
    }

    #[test]
    fn a_certificate_must_match_its_id_number() {
        let id = valid_id((1980, 5, 5), 11);
        let other = valid_id((1981, 5, 5), 11);
        let good = format!("{}42", id.as_str());
        let wrong_person = format!("{}42", other.as_str());
        let wrong_grade = format!("{}43", id.as_str());
        let base = |cert: &str| {
            parse_person(
                &raw(&[
                    (Field::IdNumber, id.as_str()),
                    (Field::Name, "张强"),
                    (Field::Village, "440784103202"),
                    (Field::DisabilityCategory, "肢体"),
                    (Field::DisabilityGrade, "二级"),
                    (Field::DisabilityCert, cert),
                ]),
                today(),
            )
        };
        assert!(base(&good).record.is_ok());
        assert_eq!(errors_of(&base(&wrong_person)), [Field::DisabilityCert]);
        assert_eq!(errors_of(&base(&wrong_grade)), [Field::DisabilityCert]);
    }

    #[test]
    fn children_in_need_are_minors_and_departures_are_dated() {
        let adult = valid_id((1990, 1, 1), 5);
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, adult.as_str()),
                (Field::Name, "王明"),
                (Field::Village, "440784103202"),
                (Field::ChildCategory, "留守"),
            ]),
            today(),
        );
        assert_eq!(errors_of(&c), [Field::ChildCategory]);
        let c = parse_person(
            &raw(&[
                (Field::IdNumber, adult.as_str()),
                (Field::Name, "王明"),
                (Field::Village, "440784103202"),
                (Field::Status, "已故"),
            ]),
            today(),
        );
        assert_eq!(errors_of(&c), [Field::StatusDate]);
    }

    #[test]
    fn coded_fields_take_the_code_or_the_label() {
        let id = valid_id((1980, 5, 5), 11);
        let with = |sex: &str, category: &str, status: &str| {
            parse_person(
                &raw(&[
                    (Field::IdNumber, id.as_str()),
                    (Field::Name, "张强"),
                    (Field::Village, "440784103202"),
                    (Field::Sex, sex),
                    (Field::Status, status),
                    (Field::DisabilityCategory, category),
                    (Field::DisabilityGrade, "2"),
                ]),
                today(),
            )
            .record
            .unwrap()
        };
        let by_code = with("male", "mental", "alive");
        let by_label = with("男", "精神残疾", "在世");
        assert_eq!(by_code, by_label);
        assert_eq!(
            by_code.disability.unwrap().category,
            DisabilityCategory::Mental
        );
        assert_eq!(with("男", "精神", "在世"), by_label);
    }

    #[test]
    fn headers_match_by_name_and_alias() {
        assert_eq!(Field::from_header("身份证号码"), Some(Field::IdNumber));
        assert_eq!(
            Field::from_header(" 居住村(社区)代码 "),
            Some(Field::Village)
        );
        assert_eq!(Field::from_header("*姓名"), Some(Field::Name));
        assert_eq!(Field::from_header("籍贯"), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.header()), Some(f));
        }
    }
}
