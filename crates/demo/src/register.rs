//! Synthetic people for the demo register: plausible, never real.
//!
//! The demo needs a register that looks like a Guangdong county's register of
//! people who need care — mostly elderly, then disabled certificate holders and
//! children in need — so that lists, maps, filters and reports have something
//! true-to-life to show. Every name, number and address here is drawn at
//! random; the ID numbers are well-formed (GB 11643-1999) and carry the
//! county's real address code, so they may by chance equal a real person's
//! number, as any valid-looking number may. They are demo data only.
//!
//! Generation is pure and deterministic: the same villages and options give
//! the same people, on every platform. Each village draws from its own
//! ChaCha8 stream (seeded from the options' seed and the village code), and
//! villages are processed in code order, so neither the order of the input
//! nor hash-map iteration changes the result.
//!
//! The shares below were chosen to resemble the registers counties keep (they
//! are not official statistics). Per village at scale 1.0: 20-34 people in a
//! rural village (村委会), 26-40 in an urban community (居委会). Of these,
//! about three in four are elderly (rural villages a little more, urban
//! communities a little less), nearly one in five is disabled (an elderly
//! person may be too), and about one in fourteen is a child in need.

use kangyang_domain::date::{days_in_month, CivilDate};
use kangyang_domain::disability::{DisabilityCategory, DisabilityCert, DisabilityGrade};
use kangyang_domain::id_number::{IdNumber, Sex};
use kangyang_domain::mask::{normalise_phone, Phone};
use kangyang_domain::regions::{RegionCode, RegionLevel, UrbanRural};
use kangyang_domain::register::{
    ChildCategory, ChildInNeed, Disability, EconomicStatus, LivingSituation, PersonRecord,
    PersonStatus,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// A village or community to fill with people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoVillage {
    /// The 12-digit village code; its first six digits become the address
    /// code of the generated ID numbers.
    pub code: RegionCode,
    /// Urban or rural; when `None`, read from the code (001-199 urban,
    /// 200-399 rural), and rural when the code says neither.
    pub urban_rural: Option<UrbanRural>,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoOptions {
    pub seed: u64,
    /// Multiplies the people per village (1.0 ≈ 20-40 per village; 0.1 a
    /// small demo). Any positive scale gives at least one person per village
    /// and at most 10,000; zero, a negative scale or NaN gives nobody.
    pub scale: f64,
    /// The day ages and status dates are reckoned from.
    pub today: CivilDate,
}

/// The register's people for the given villages (normally all the village
/// codes of one county or city), deterministic in `(villages, options)`.
///
/// Villages are taken in code order, repeated codes once; codes that are not
/// village-level (12 digits) are skipped, since every person lives in a
/// village. No two people share an ID number. Sequence codes 000-899 are used
/// here and 900-999 by [`generate_kangyuan_trainees`], so the two lists never
/// collide either.
pub fn generate(villages: &[DemoVillage], options: &DemoOptions) -> Vec<PersonRecord> {
    // NaN is not greater than zero either.
    if options.scale.is_nan() || options.scale <= 0.0 {
        return Vec::new();
    }
    let villages = usable_villages(villages);
    let mut ids = Ids::new(REGISTER_SEQUENCES);
    let mut out = Vec::new();
    for village in &villages {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(options.seed, village.code.as_str()));
        let mut place = Place::new(&mut rng, village, 1);
        let (lo, hi) = match place.kind {
            UrbanRural::Rural => RURAL_PEOPLE,
            UrbanRural::Urban => URBAN_PEOPLE,
        };
        let base = f64::from(rng.gen_range(lo..=hi));
        // `as` saturates; the cap keeps an absurd scale from exhausting memory.
        let wanted = ((base * options.scale).round() as usize).clamp(1, MAX_PER_VILLAGE);
        let mut people = Vec::with_capacity(wanted);
        let mut ctx = Ctx {
            rng: &mut rng,
            ids: &mut ids,
            today: options.today,
        };
        // A failed draw (an ID space exhausted, which takes thousands of people
        // born on one day) is retried; the bound keeps this loop finite.
        let mut attempts = 0;
        while people.len() < wanted && attempts < wanted.saturating_mul(4) {
            attempts += 1;
            let room = wanted - people.len();
            let weights = match place.kind {
                UrbanRural::Rural => RURAL_KINDS,
                UrbanRural::Urban => URBAN_KINDS,
            };
            match pick(ctx.rng, &weights) {
                Kind::Elderly => people.extend(elderly(&mut ctx, &mut place, room)),
                Kind::Disabled => people.extend(disabled_non_elderly(&mut ctx, &mut place)),
                Kind::Child => people.extend(children(&mut ctx, &mut place, room)),
            }
        }
        out.extend(people);
    }
    out
}

/// `count` working-age (18-59) disabled people who attend the Kangyuan
/// day-care centres (社区康园中心): intellectual, mental, or severe (grade 1-2)
/// physical disability, each with a 2nd-generation certificate, spread at
/// random over the villages. Deterministic in `(villages, count, options)`;
/// `options.scale` is not used. Empty only when no village is usable.
///
/// Their ID numbers use sequence codes 900-999, which [`generate`] never
/// uses, so they can be added to the same register without collisions; their
/// household numbers start at 8001 in each village for the same reason.
pub fn generate_kangyuan_trainees(
    villages: &[DemoVillage],
    count: usize,
    options: &DemoOptions,
) -> Vec<PersonRecord> {
    let villages = usable_villages(villages);
    if villages.is_empty() {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(options.seed, "kangyuan-trainees"));
    let mut places: Vec<Place> = villages
        .iter()
        .map(|v| Place::new(&mut rng, v, 8001))
        .collect();
    let mut ids = Ids::new(TRAINEE_SEQUENCES);
    let mut ctx = Ctx {
        rng: &mut rng,
        ids: &mut ids,
        today: options.today,
    };
    let mut out = Vec::with_capacity(count);
    let mut attempts = 0;
    while out.len() < count && attempts < count.saturating_mul(4).saturating_add(16) {
        attempts += 1;
        let i = index(ctx.rng, places.len());
        let Some(place) = places.get_mut(i) else {
            continue;
        };
        let category = pick(ctx.rng, &TRAINEE_CATEGORIES);
        let grade = if category == DisabilityCategory::Physical {
            pick(ctx.rng, &[(1, 40), (2, 60)])
        } else {
            pick(ctx.rng, &TRAINEE_MIND_GRADES)
        };
        let age = age_in(ctx.rng, &TRAINEE_AGES);
        let sex = female_or_male(ctx.rng, 420);
        let Some(grade) = DisabilityGrade::new(grade) else {
            continue;
        };
        if let Some(mut p) = disabled_person(&mut ctx, place, age, sex, category, grade, true) {
            // Families of adults who need day care are poorer than most.
            p.economic_status = Some(pick(ctx.rng, &TRAINEE_ECONOMY));
            // The centre calls the family when a trainee is absent or unwell.
            if p.emergency_contact_name.is_none() {
                let (name, phone) = parent(&mut ctx, &p, age);
                p.emergency_contact_name = Some(name);
                p.emergency_contact_phone = phone;
            }
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The shares. Weights are relative; percentages where they sum to 100.

/// People per village at scale 1.0, inclusive.
const RURAL_PEOPLE: (u32, u32) = (20, 34);
const URBAN_PEOPLE: (u32, u32) = (26, 40);
/// More than any real village registers (scale 250 or so).
const MAX_PER_VILLAGE: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Elderly,
    /// Disabled, under 60 (elderly people may be disabled too).
    Disabled,
    Child,
}

/// What each draw starts from. About 28% of elderly draws also bring an
/// elderly spouse and some children a brother or sister, so these give a
/// register (measured over Heshan's 141 villages) of about 78% elderly, 17%
/// disabled (elderly included) and 7% children in rural villages, and 74%,
/// 22% and 7% in urban communities.
const RURAL_KINDS: [(Kind, u32); 3] = [(Kind::Elderly, 74), (Kind::Disabled, 17), (Kind::Child, 7)];
const URBAN_KINDS: [(Kind, u32); 3] = [(Kind::Elderly, 70), (Kind::Disabled, 22), (Kind::Child, 6)];

/// Elderly ages, skewed to 60-79 with a tail to 100: (from, to, weight).
const ELDERLY_AGES: [(u32, u32, u32); 8] = [
    (60, 64, 22),
    (65, 69, 24),
    (70, 74, 20),
    (75, 79, 14),
    (80, 84, 10),
    (85, 89, 6),
    (90, 94, 3),
    (95, 100, 1),
];

/// Disabled people under 60 by age.
const DISABLED_AGES: [(u32, u32, u32); 3] = [(5, 17, 12), (18, 44, 40), (45, 59, 48)];

/// Kangyuan trainees by age: mostly young and middle-aged adults.
const TRAINEE_AGES: [(u32, u32, u32); 3] = [(18, 29, 35), (30, 44, 40), (45, 59, 25)];

/// Women outlive men: the share of women (per mille) by age.
fn female_per_mille(age: u32) -> u32 {
    match age {
        0..=59 => 450,
        60..=69 => 510,
        70..=79 => 550,
        80..=89 => 620,
        _ => 720,
    }
}

const LIVING: [(LivingSituation, u32); 3] = [
    (LivingSituation::Alone, 19),
    (LivingSituation::EmptyNest, 31),
    (LivingSituation::WithFamily, 50),
];

/// Chance (%) that an elderly person is registered with a spouse who is also
/// 60 or over, sharing the household.
fn spouse_percent(living: LivingSituation) -> u32 {
    match living {
        LivingSituation::Alone => 0,
        LivingSituation::EmptyNest => 40,
        LivingSituation::WithFamily => 20,
    }
}

/// Elderly living alone are more often in extreme poverty (the former 五保户);
/// over all elderly: 一般 ~87%, 低保 ~6%, 困难 ~3%, 低保边缘 ~2%, 特困 ~2%.
const ELDERLY_ECONOMY_ALONE: [(EconomicStatus, u32); 5] = [
    (EconomicStatus::Ordinary, 77),
    (EconomicStatus::Dibao, 10),
    (EconomicStatus::ExtremePoverty, 6),
    (EconomicStatus::Hardship, 4),
    (EconomicStatus::DibaoEdge, 3),
];
const ELDERLY_ECONOMY_OTHERS: [(EconomicStatus, u32); 5] = [
    (EconomicStatus::Ordinary, 89),
    (EconomicStatus::Dibao, 5),
    (EconomicStatus::ExtremePoverty, 1),
    (EconomicStatus::Hardship, 3),
    (EconomicStatus::DibaoEdge, 2),
];
const DISABLED_ECONOMY: [(EconomicStatus, u32); 5] = [
    (EconomicStatus::Ordinary, 72),
    (EconomicStatus::Dibao, 15),
    (EconomicStatus::ExtremePoverty, 3),
    (EconomicStatus::Hardship, 6),
    (EconomicStatus::DibaoEdge, 4),
];
const TRAINEE_ECONOMY: [(EconomicStatus, u32); 5] = [
    (EconomicStatus::Ordinary, 55),
    (EconomicStatus::Dibao, 25),
    (EconomicStatus::ExtremePoverty, 5),
    (EconomicStatus::Hardship, 10),
    (EconomicStatus::DibaoEdge, 5),
];

/// Chance (per mille) that an elderly person also holds a disability
/// certificate.
const ELDERLY_DISABLED_PER_MILLE: u32 = 40;

/// GB/T 26341-2010 categories among certificate holders.
const CATEGORIES: [(DisabilityCategory, u32); 7] = [
    (DisabilityCategory::Physical, 45),
    (DisabilityCategory::Visual, 12),
    (DisabilityCategory::Hearing, 12),
    (DisabilityCategory::Speech, 2),
    (DisabilityCategory::Intellectual, 9),
    (DisabilityCategory::Mental, 10),
    (DisabilityCategory::Multiple, 10),
];
/// Grades 1 (most severe) to 4.
const GRADES: [(u8, u32); 4] = [(1, 15), (2, 25), (3, 30), (4, 30)];

/// Kangyuan centres take mental, intellectual and severe physical disability.
const TRAINEE_CATEGORIES: [(DisabilityCategory, u32); 3] = [
    (DisabilityCategory::Intellectual, 45),
    (DisabilityCategory::Mental, 35),
    (DisabilityCategory::Physical, 20),
];
const TRAINEE_MIND_GRADES: [(u8, u32); 4] = [(1, 10), (2, 35), (3, 40), (4, 15)];

/// Share (%) of certificate holders whose number is on record.
const CERTIFICATE_PERCENT: u32 = 90;

const CHILD_CATEGORIES: [(ChildCategory, u32); 4] = [
    (ChildCategory::LeftBehind, 70),
    (ChildCategory::DeFactoUnsupported, 14),
    (ChildCategory::Orphan, 8),
    (ChildCategory::InstitutionalCare, 8),
];

/// Status changes (per mille), dated within the last year.
const DECEASED_ELDERLY_PER_MILLE: u32 = 18;
const DECEASED_OTHERS_PER_MILLE: u32 = 4;
const MOVED_AWAY_PER_MILLE: u32 = 5;

/// ID sequence codes (GB 11643-1999 6.3) each generator draws from.
const REGISTER_SEQUENCES: (u16, u16) = (0, 899);
const TRAINEE_SEQUENCES: (u16, u16) = (900, 999);

// ---------------------------------------------------------------------------
// Names, numbers and addresses.

/// Common surnames of the Pearl River Delta and western Guangdong, weighted
/// roughly by how often one meets them there (司徒 is a Jiangmen name).
const SURNAMES: [(&str, u32); 42] = [
    ("陈", 120),
    ("李", 80),
    ("黄", 75),
    ("梁", 60),
    ("张", 45),
    ("林", 40),
    ("刘", 35),
    ("吴", 30),
    ("何", 30),
    ("罗", 25),
    ("杨", 25),
    ("郑", 22),
    ("谢", 20),
    ("冯", 20),
    ("邓", 20),
    ("曾", 18),
    ("彭", 15),
    ("周", 15),
    ("叶", 15),
    ("许", 14),
    ("卢", 14),
    ("钟", 14),
    ("余", 14),
    ("谭", 14),
    ("苏", 12),
    ("蔡", 12),
    ("潘", 12),
    ("胡", 12),
    ("朱", 12),
    ("麦", 10),
    ("莫", 10),
    ("关", 8),
    ("赖", 8),
    ("温", 8),
    ("袁", 8),
    ("方", 8),
    ("区", 6),
    ("甘", 5),
    ("容", 5),
    ("伍", 5),
    ("司徒", 3),
    ("欧阳", 3),
];

/// Characters for given names of one generation and sex: a two-character
/// name is one of `first` then one of `second`; a one-character name (more
/// common among older people) is one of `second`.
struct GivenNames {
    first: &'static str,
    second: &'static str,
    single_percent: u32,
}

/// Given-name characters by the last birth year of each generation.
const GENERATIONS: [(u16, GivenNames, GivenNames); 5] = [
    (
        1950,
        GivenNames {
            first: "亚金炳锦耀汉福添润广昌树灿满桂",
            second: "福根添炳昌华财胜发生荣泉坤秋明水",
            single_percent: 25,
        },
        GivenNames {
            first: "亚桂秀玉金银月带瑞彩凤惠少二",
            second: "妹芳英娣好娇兰珍娥群霞容卿莲嫦",
            single_percent: 15,
        },
    ),
    (
        1970,
        GivenNames {
            first: "国建志伟永振德锦少耀家卫文红新",
            second: "强明华康荣辉雄光平成权生胜林",
            single_percent: 15,
        },
        GivenNames {
            first: "丽美秀少惠小燕淑凤玉月彩瑞桂碧",
            second: "珍玲兰芬华红芳娟仪英霞琼群莲",
            single_percent: 10,
        },
    ),
    (
        1990,
        GivenNames {
            first: "志俊健家嘉伟文海建永锦国少振绍",
            second: "伟杰明俊豪辉锋峰斌勇强军华涛",
            single_percent: 12,
        },
        GivenNames {
            first: "婷丽晓嘉慧美咏敏秀燕碧淑素惠",
            second: "婷娜燕欣诗颖敏玲仪怡琳红芳霞",
            single_percent: 10,
        },
    ),
    (
        2008,
        GivenNames {
            first: "俊嘉子志伟晓宇浩家铭锦健文永",
            second: "宇俊豪鸿东航杰文轩峰浩彬乐",
            single_percent: 6,
        },
        GivenNames {
            first: "嘉晓诗雨欣佩思慧婉紫颖凯芷",
            second: "怡琳琪婷欣敏彤雯慧盈",
            single_percent: 5,
        },
    ),
    (
        u16::MAX,
        GivenNames {
            first: "子梓浩俊宇沐晨奕皓睿铭一泽",
            second: "轩然豪熙睿阳辰宸航霖泽宇谦",
            single_percent: 3,
        },
        GivenNames {
            first: "梓诗可欣语芷思一雨若晓紫",
            second: "涵琪馨妍萱桐诺晴彤瑶淇悦",
            single_percent: 2,
        },
    ),
];

/// Mobile number blocks (MIIT numbering plan: 13x-19x) of the three carriers.
const MOBILE_PREFIXES: [&str; 34] = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "198", "199",
];

/// Street names common to every Guangdong town, for urban addresses.
const ROADS: [&str; 16] = [
    "幸福路",
    "人民路",
    "建设路",
    "新华路",
    "中山路",
    "文明路",
    "和平路",
    "东风路",
    "解放路",
    "新城路",
    "迎宾路",
    "育才路",
    "工业大道",
    "康乐路",
    "振兴路",
    "富民路",
];

// ---------------------------------------------------------------------------
// The generators.

/// What every draw needs.
struct Ctx<'a> {
    rng: &'a mut ChaCha8Rng,
    ids: &'a mut Ids,
    today: CivilDate,
}

/// One village while its people are drawn: its style of address and its
/// household numbers.
struct Place<'a> {
    code: &'a RegionCode,
    kind: UrbanRural,
    /// Villager groups (村民小组) of a rural village.
    groups: u32,
    /// The streets of an urban community.
    roads: [&'static str; 3],
    next_household: u32,
}

impl<'a> Place<'a> {
    fn new(rng: &mut ChaCha8Rng, village: &'a DemoVillage, first_household: u32) -> Self {
        let kind = village
            .urban_rural
            .or_else(|| village.code.urban_rural())
            .unwrap_or(UrbanRural::Rural);
        let groups = rng.gen_range(5..=14);
        let roads = [one(rng, &ROADS), one(rng, &ROADS), one(rng, &ROADS)];
        Place {
            code: &village.code,
            kind,
            groups,
            roads,
            next_household: first_household,
        }
    }

    /// The six-digit county code: the address code of IDs issued here.
    fn address_code(&self) -> &str {
        self.code.as_str().get(..6).unwrap_or_default()
    }

    fn new_household(&mut self) -> String {
        let n = self.next_household;
        self.next_household += 1;
        format!("{}-{n:04}", self.code)
    }

    /// "第3村民小组12号" in a village, "幸福路18号3栋201" in a town.
    fn address(&self, rng: &mut ChaCha8Rng) -> String {
        match self.kind {
            UrbanRural::Rural => format!(
                "第{}村民小组{}号",
                rng.gen_range(1..=self.groups),
                rng.gen_range(1..=160)
            ),
            UrbanRural::Urban => {
                let road = one(rng, &self.roads);
                let number = rng.gen_range(1..=220);
                if rng.gen_bool(0.3) {
                    // An older house on the street itself.
                    format!("{road}{number}号")
                } else {
                    format!(
                        "{road}{number}号{}栋{}{:02}",
                        rng.gen_range(1..=12),
                        rng.gen_range(1..=9),
                        rng.gen_range(1..=6)
                    )
                }
            }
        }
    }
}

/// One elderly person, and sometimes their elderly spouse (when `room`
/// allows two).
fn elderly(ctx: &mut Ctx, place: &mut Place, room: usize) -> Vec<PersonRecord> {
    let age = age_in(ctx.rng, &ELDERLY_AGES);
    let sex = sex_for_age(ctx.rng, age);
    let Some(mut first) = elderly_person(ctx, place, age, sex) else {
        return Vec::new();
    };
    let living = pick(ctx.rng, &LIVING);
    let economy = match living {
        LivingSituation::Alone => pick(ctx.rng, &ELDERLY_ECONOMY_ALONE),
        _ => pick(ctx.rng, &ELDERLY_ECONOMY_OTHERS),
    };

    // The husband is usually the older of the two.
    let spouse_age = match sex {
        Sex::Male => age.saturating_sub(ctx.rng.gen_range(0..=5)),
        Sex::Female => (age + ctx.rng.gen_range(0..=5)).min(100),
    };
    let spouse_sex = match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    };
    let with_spouse = room >= 2 && spouse_age >= 60 && percent(ctx.rng, spouse_percent(living));
    let spouse = if with_spouse {
        elderly_person(ctx, place, spouse_age, spouse_sex)
    } else {
        set_status(ctx, &mut first, DECEASED_ELDERLY_PER_MILLE);
        None
    };
    let mut household = vec![first];
    if let Some(mut second) = spouse {
        // One household: one address and household number.
        second.address.clone_from(&household[0].address);
        second.household_no.clone_from(&household[0].household_no);
        second.hukou_region.clone_from(&household[0].hukou_region);
        household.push(second);
    }

    let contact_percent = match living {
        LivingSituation::Alone => 100,
        LivingSituation::EmptyNest => 60,
        LivingSituation::WithFamily => 25,
    };
    let contact = if percent(ctx.rng, contact_percent) {
        // Children take their father's surname.
        let father = household
            .iter()
            .find(|p| p.id_number.sex() == Sex::Male)
            .map(|p| surname_of(&p.name));
        let born = household
            .iter()
            .map(|p| p.birth_date().year())
            .max()
            .unwrap_or(ctx.today.year());
        Some(grown_child(ctx, born, father, living))
    } else {
        None
    };
    for p in &mut household {
        p.living_situation = Some(living);
        // Assistance such as 低保 is granted per household.
        p.economic_status = Some(economy);
        if let Some((name, phone)) = &contact {
            p.emergency_contact_name = Some(name.clone());
            p.emergency_contact_phone.clone_from(phone);
        }
    }
    household
}

/// The parts of an elderly person that do not depend on their household.
fn elderly_person(ctx: &mut Ctx, place: &mut Place, age: u32, sex: Sex) -> Option<PersonRecord> {
    let mut p = new_person(ctx, place, age, sex)?;
    let phone_percent = match age {
        60..=74 => 90,
        75..=84 => 70,
        _ => 45,
    };
    if percent(ctx.rng, phone_percent) {
        p.phone = mobile(ctx.rng);
    }
    if per_mille(ctx.rng, ELDERLY_DISABLED_PER_MILLE) {
        let category = pick(ctx.rng, &CATEGORIES);
        if let Some(grade) = grade(ctx.rng) {
            let with_cert = percent(ctx.rng, CERTIFICATE_PERCENT);
            p.disability = Some(disability(&p.id_number, category, grade, with_cert));
            if grade.get() <= 2 {
                p.tags.push("重度残疾".to_owned());
            }
        }
    }
    if age >= 80 {
        p.tags.push("高龄".to_owned());
    }
    if age >= 100 {
        p.tags.push("百岁老人".to_owned());
    }
    // Capability (GB/T 42195-2022) is assessed separately; these tags are
    // what a town keeps in its own sheet before an assessment.
    let (disabled, half) = if age >= 80 { (8, 15) } else { (2, 6) };
    let roll = ctx.rng.gen_range(0..100);
    if roll < disabled {
        p.tags.push("失能".to_owned());
    } else if roll < disabled + half {
        p.tags.push("半失能".to_owned());
    }
    if per_mille(ctx.rng, 10) {
        p.tags.push("计生特殊家庭".to_owned());
    }
    Some(p)
}

/// A disabled person under 60.
fn disabled_non_elderly(ctx: &mut Ctx, place: &mut Place) -> Option<PersonRecord> {
    let age = age_in(ctx.rng, &DISABLED_AGES);
    let sex = sex_for_age(ctx.rng, age);
    let mut category = pick(ctx.rng, &CATEGORIES);
    // Mental disability is rarely certified in young children.
    if category == DisabilityCategory::Mental && age < 14 {
        category = DisabilityCategory::Intellectual;
    }
    let grade = grade(ctx.rng)?;
    let with_cert = percent(ctx.rng, CERTIFICATE_PERCENT);
    let mut p = disabled_person(ctx, place, age, sex, category, grade, with_cert)?;
    p.economic_status = Some(pick(ctx.rng, &DISABLED_ECONOMY));
    set_status(ctx, &mut p, DECEASED_OTHERS_PER_MILLE);
    Some(p)
}

/// A disabled person of the given age, category and grade in their own
/// household, with a family contact when they need one.
fn disabled_person(
    ctx: &mut Ctx,
    place: &mut Place,
    age: u32,
    sex: Sex,
    category: DisabilityCategory,
    grade: DisabilityGrade,
    with_cert: bool,
) -> Option<PersonRecord> {
    let mut p = new_person(ctx, place, age, sex)?;
    p.disability = Some(disability(&p.id_number, category, grade, with_cert));
    let severe = grade.get() <= 2;
    let needs_family = age < 18
        || (severe
            && matches!(
                category,
                DisabilityCategory::Intellectual
                    | DisabilityCategory::Mental
                    | DisabilityCategory::Multiple
            ));
    let phone_percent = match age {
        0..=11 => 0,
        12..=17 => 30,
        _ if needs_family => 30,
        _ => 85,
    };
    if percent(ctx.rng, phone_percent) {
        p.phone = mobile(ctx.rng);
    }
    if needs_family || percent(ctx.rng, 30) {
        let (name, phone) = parent(ctx, &p, age);
        p.emergency_contact_name = Some(name);
        p.emergency_contact_phone = phone;
    }
    if severe {
        p.tags.push("重度残疾".to_owned());
    }
    Some(p)
}

/// A child in need, and sometimes a brother or sister in the same situation.
fn children(ctx: &mut Ctx, place: &mut Place, room: usize) -> Vec<PersonRecord> {
    let age = ctx.rng.gen_range(2..=17);
    let sex = sex_for_age(ctx.rng, 0);
    let Some(mut first) = new_person(ctx, place, age, sex) else {
        return Vec::new();
    };
    let category = pick(ctx.rng, &CHILD_CATEGORIES);
    let surname = surname_of(&first.name);
    let (guardian_name, guardian_phone) = match category {
        ChildCategory::InstitutionalCare => {
            first.address = "儿童福利院（集中供养）".to_owned();
            ("儿童福利院".to_owned(), mobile(ctx.rng))
        }
        _ => {
            // Grandparents mostly (the father's parents share the surname),
            // else an uncle or aunt.
            let grandparent = category == ChildCategory::LeftBehind || percent(ctx.rng, 60);
            let birth_year = if grandparent {
                ctx.today.year().saturating_sub(ctx.rng.gen_range(55..=75))
            } else {
                ctx.today.year().saturating_sub(ctx.rng.gen_range(28..=50))
            };
            let family = if percent(ctx.rng, 65) {
                surname
            } else {
                surname_from(ctx.rng)
            };
            let guardian_sex = female_or_male(ctx.rng, 600);
            let name = format!("{family}{}", given_name(ctx.rng, birth_year, guardian_sex));
            let phone = if percent(ctx.rng, 95) {
                mobile(ctx.rng)
            } else {
                None
            };
            (name, phone)
        }
    };
    first.child = Some(ChildInNeed {
        category,
        guardian_name: Some(guardian_name),
        guardian_phone,
    });
    first.economic_status = Some(match category {
        ChildCategory::LeftBehind => pick(
            ctx.rng,
            &[
                (EconomicStatus::Ordinary, 80),
                (EconomicStatus::Dibao, 12),
                (EconomicStatus::Hardship, 8),
            ],
        ),
        ChildCategory::DeFactoUnsupported => pick(
            ctx.rng,
            &[
                (EconomicStatus::Dibao, 50),
                (EconomicStatus::ExtremePoverty, 20),
                (EconomicStatus::Hardship, 30),
            ],
        ),
        ChildCategory::Orphan => pick(
            ctx.rng,
            &[
                (EconomicStatus::ExtremePoverty, 60),
                (EconomicStatus::Dibao, 40),
            ],
        ),
        ChildCategory::InstitutionalCare => EconomicStatus::ExtremePoverty,
    });
    if age >= 14 && percent(ctx.rng, 35) {
        first.phone = mobile(ctx.rng);
    }

    let sibling_age = age + ctx.rng.gen_range(1..=4);
    if room < 2 || sibling_age > 17 || !percent(ctx.rng, 25) {
        return vec![first];
    }
    let sibling_sex = sex_for_age(ctx.rng, 0);
    let Some(mut second) = new_person(ctx, place, sibling_age, sibling_sex) else {
        return vec![first];
    };
    let given = given_name(ctx.rng, second.birth_date().year(), sibling_sex);
    second.name = format!("{surname}{given}");
    second.address.clone_from(&first.address);
    second.household_no.clone_from(&first.household_no);
    second.hukou_region.clone_from(&first.hukou_region);
    second.child.clone_from(&first.child);
    second.economic_status = first.economic_status;
    if sibling_age >= 14 && percent(ctx.rng, 35) {
        second.phone = mobile(ctx.rng);
    }
    vec![first, second]
}

/// A person with an ID number, a name, an address and a household of their
/// own, and nothing else yet.
fn new_person(ctx: &mut Ctx, place: &mut Place, age: u32, sex: Sex) -> Option<PersonRecord> {
    let id_number = allocate_id(ctx, place.address_code(), age, sex)?;
    let name = format!(
        "{}{}",
        surname_from(ctx.rng),
        given_name(ctx.rng, id_number.birth_date().year(), sex)
    );
    let address = place.address(ctx.rng);
    let household_no = place.new_household();
    // Most people live where their household is registered; some sheets
    // leave the column empty.
    let hukou_region = percent(ctx.rng, 90).then(|| place.code.clone());
    Some(PersonRecord {
        id_number,
        name,
        phone: None,
        hukou_region,
        village: place.code.clone(),
        address,
        status: PersonStatus::Alive,
        status_date: None,
        living_situation: None,
        economic_status: None,
        disability: None,
        child: None,
        household_no: Some(household_no),
        emergency_contact_name: None,
        emergency_contact_phone: None,
        tags: Vec::new(),
    })
}

fn disability(
    id: &IdNumber,
    category: DisabilityCategory,
    grade: DisabilityGrade,
    with_cert: bool,
) -> Disability {
    Disability {
        category,
        grade,
        // 2nd-generation certificate: ID number + category digit + grade digit.
        certificate: with_cert.then(|| DisabilityCert::new(id.clone(), category, grade)),
    }
}

fn grade(rng: &mut ChaCha8Rng) -> Option<DisabilityGrade> {
    DisabilityGrade::new(pick(rng, &GRADES))
}

/// Marks a few people deceased or moved away, dated within the last year.
fn set_status(ctx: &mut Ctx, p: &mut PersonRecord, deceased_per_mille: u32) {
    let roll = ctx.rng.gen_range(0..1000);
    let status = if roll < deceased_per_mille {
        PersonStatus::Deceased
    } else if roll < deceased_per_mille + MOVED_AWAY_PER_MILLE {
        PersonStatus::MovedAway
    } else {
        return;
    };
    let days_ago = i64::from(ctx.rng.gen_range(1..=365));
    let date = from_day_number(day_number(ctx.today) - days_ago)
        .filter(|d| *d >= p.birth_date())
        .unwrap_or(ctx.today);
    p.status = status;
    p.status_date = Some(date);
}

/// A son or daughter of an elderly person or couple, as their emergency
/// contact; for some living alone, a neighbour or village cadre instead.
fn grown_child(
    ctx: &mut Ctx,
    parent_born: u16,
    father_surname: Option<&'static str>,
    living: LivingSituation,
) -> (String, Option<Phone>) {
    let neighbour = living == LivingSituation::Alone && percent(ctx.rng, 20);
    let family = match father_surname {
        Some(surname) if !neighbour => surname,
        _ => surname_from(ctx.rng),
    };
    let birth_year = if neighbour {
        ctx.today.year().saturating_sub(ctx.rng.gen_range(30..=60))
    } else {
        parent_born.saturating_add(ctx.rng.gen_range(22..=36))
    };
    let sex = female_or_male(ctx.rng, 500);
    let name = format!("{family}{}", given_name(ctx.rng, birth_year, sex));
    (name, mobile(ctx.rng))
}

/// A parent as contact, or for someone of 40 or more a brother or sister.
fn parent(ctx: &mut Ctx, p: &PersonRecord, age: u32) -> (String, Option<Phone>) {
    let born = p.birth_date().year();
    let (family, sex, birth_year) = if age < 40 {
        // Children take their father's surname; the mother keeps her own.
        if percent(ctx.rng, 50) {
            let birth_year = born.saturating_sub(ctx.rng.gen_range(24..=38));
            (surname_of(&p.name), Sex::Male, birth_year)
        } else {
            let birth_year = born.saturating_sub(ctx.rng.gen_range(21..=35));
            (surname_from(ctx.rng), Sex::Female, birth_year)
        }
    } else {
        let sex = female_or_male(ctx.rng, 500);
        let birth_year = born
            .saturating_add(ctx.rng.gen_range(0..=6))
            .saturating_sub(3);
        (surname_of(&p.name), sex, birth_year)
    };
    let name = format!("{family}{}", given_name(ctx.rng, birth_year, sex));
    (name, mobile(ctx.rng))
}

// ---------------------------------------------------------------------------
// Building blocks.

fn usable_villages(villages: &[DemoVillage]) -> Vec<DemoVillage> {
    let mut v: Vec<DemoVillage> = villages
        .iter()
        .filter(|v| v.code.level() == RegionLevel::Village)
        .cloned()
        .collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v.dedup_by(|a, b| a.code == b.code);
    v
}

/// A seed for one stream: the options' seed mixed with a label (FNV-1a, then
/// the SplitMix64 finaliser), so that every village has its own stream and
/// adding a village leaves the others' people as they were (but for a
/// sequence code moved on when a number is taken, which is rare).
pub(crate) fn derive_seed(seed: u64, label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix(seed ^ splitmix(h))
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// ID numbers handed out so far, so that none is given twice.
struct Ids {
    used: HashSet<String>,
    sequences: (u16, u16),
}

impl Ids {
    fn new(sequences: (u16, u16)) -> Self {
        Ids {
            used: HashSet::new(),
            sequences,
        }
    }

    /// A new number for this address code, birth date and sex: a random
    /// sequence code of the right parity (odd for men), moved on by two
    /// while it is taken.
    fn allocate(
        &mut self,
        rng: &mut ChaCha8Rng,
        address: &str,
        birth: CivilDate,
        sex: Sex,
    ) -> Option<IdNumber> {
        let (lo, hi) = self.sequences;
        let parity = match sex {
            Sex::Male => 1,
            Sex::Female => 0,
        };
        let first = if lo % 2 == parity { lo } else { lo + 1 };
        if first > hi {
            return None;
        }
        let count = u32::from((hi - first) / 2 + 1);
        let start = rng.gen_range(0..count);
        for i in 0..count {
            let step = u16::try_from((start + i) % count).ok()?;
            let id = IdNumber::from_parts(address, birth, first + 2 * step).ok()?;
            if self.used.insert(id.as_str().to_owned()) {
                return Some(id);
            }
        }
        None
    }
}

/// An unused ID number for someone of `age` on `today`; another birthday of
/// the same age is tried if every sequence code of the first is taken.
fn allocate_id(ctx: &mut Ctx, address: &str, age: u32, sex: Sex) -> Option<IdNumber> {
    for _ in 0..8 {
        let birth = birth_for_age(ctx.rng, ctx.today, age)?;
        if let Some(id) = ctx.ids.allocate(ctx.rng, address, birth, sex) {
            return Some(id);
        }
    }
    None
}

/// A birth date, uniform over the days on which someone born is `age` full
/// years old on `today`: after `today` in year −(age+1), up to `today` in
/// year −age (29 February falls back to the 28th in common years).
fn birth_for_age(rng: &mut ChaCha8Rng, today: CivilDate, age: u32) -> Option<CivilDate> {
    let age = u16::try_from(age).ok()?;
    let latest = same_day_in(today, today.year().checked_sub(age)?)?;
    let before = same_day_in(today, today.year().checked_sub(age)?.checked_sub(1)?)?;
    let (lo, hi) = (day_number(before) + 1, day_number(latest));
    from_day_number(rng.gen_range(lo..=hi))
}

/// The day of `d` in another year, the 28th if it was 29 February.
fn same_day_in(d: CivilDate, year: u16) -> Option<CivilDate> {
    let last = days_in_month(year, d.month())?;
    CivilDate::new(year, d.month(), d.day().min(last)).ok()
}

/// Days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms", days_from_civil).
fn day_number(d: CivilDate) -> i64 {
    let (m, day) = (i64::from(d.month()), i64::from(d.day()));
    let y = i64::from(d.year()) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`day_number`] (civil_from_days).
fn from_day_number(z: i64) -> Option<CivilDate> {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    CivilDate::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()
}

fn sex_for_age(rng: &mut ChaCha8Rng, age: u32) -> Sex {
    female_or_male(rng, female_per_mille(age))
}

fn female_or_male(rng: &mut ChaCha8Rng, female_per_mille: u32) -> Sex {
    if per_mille(rng, female_per_mille) {
        Sex::Female
    } else {
        Sex::Male
    }
}

fn surname_from(rng: &mut ChaCha8Rng) -> &'static str {
    pick(rng, &SURNAMES)
}

/// The surname a generated name starts with (two characters for 司徒 and
/// 欧阳, else one).
fn surname_of(name: &str) -> &'static str {
    SURNAMES
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| name.starts_with(s))
        .max_by_key(|s| s.len())
        .unwrap_or("陈")
}

/// A given name in the fashion of the year of birth.
fn given_name(rng: &mut ChaCha8Rng, birth_year: u16, sex: Sex) -> String {
    let generation = GENERATIONS
        .iter()
        .find(|(last, _, _)| birth_year <= *last)
        .or(GENERATIONS.last());
    let Some((_, male, female)) = generation else {
        return "明".to_owned();
    };
    let names = match sex {
        Sex::Male => male,
        Sex::Female => female,
    };
    let second = one_char(rng, names.second);
    if percent(rng, names.single_percent) {
        second.to_string()
    } else {
        format!("{}{second}", one_char(rng, names.first))
    }
}

/// An 11-digit mobile number.
fn mobile(rng: &mut ChaCha8Rng) -> Option<Phone> {
    let prefix = one(rng, &MOBILE_PREFIXES);
    let rest = rng.gen_range(0..100_000_000u32);
    normalise_phone(&format!("{prefix}{rest:08}")).ok()
}

/// An age in one of the weighted bands `(from, to, weight)`.
fn age_in<const N: usize>(rng: &mut ChaCha8Rng, bands: &[(u32, u32, u32); N]) -> u32 {
    let mut weighted = [((0, 0), 0); N];
    for (slot, (from, to, w)) in weighted.iter_mut().zip(bands) {
        *slot = ((*from, *to), *w);
    }
    let (from, to) = pick(rng, &weighted);
    rng.gen_range(from..=to.max(from))
}

/// One of the items, with chance proportional to its weight. Integer draws
/// only, so the result is the same on every platform.
fn pick<T: Copy, const N: usize>(rng: &mut ChaCha8Rng, items: &[(T, u32); N]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    items[N - 1].0
}

fn one<'s>(rng: &mut ChaCha8Rng, items: &[&'s str]) -> &'s str {
    items
        .get(index(rng, items.len()))
        .copied()
        .unwrap_or_default()
}

fn one_char(rng: &mut ChaCha8Rng, chars: &str) -> char {
    let n = chars.chars().count();
    chars.chars().nth(index(rng, n)).unwrap_or('明')
}

/// A uniform index below `len` (drawn as u32, so the same on 32- and 64-bit
/// platforms).
fn index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    let len = u32::try_from(len).unwrap_or(u32::MAX).max(1);
    rng.gen_range(0..len) as usize
}

fn percent(rng: &mut ChaCha8Rng, p: u32) -> bool {
    rng.gen_range(0..100) < p
}

fn per_mille(rng: &mut ChaCha8Rng, p: u32) -> bool {
    rng.gen_range(0..1000) < p
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kangyang_domain::register::{parse_person, Field, RawPerson};
    use std::collections::HashMap;

    /// The 141 villages and communities of Heshan (鹤山市, 440784), from the
    /// embedded NBS 2023 division table.
    fn heshan() -> Vec<DemoVillage> {
        include_str!("../../../data/regions/44.csv")
            .lines()
            .filter_map(|line| line.split(',').next())
            .filter(|code| code.len() == 12 && code.starts_with("440784"))
            .map(|code| DemoVillage {
                code: RegionCode::parse(code).unwrap(),
                urban_rural: None,
            })
            .collect()
    }

    fn today() -> CivilDate {
        CivilDate::parse("2025-06-30").unwrap()
    }

    fn options(seed: u64, scale: f64) -> DemoOptions {
        DemoOptions {
            seed,
            scale,
            today: today(),
        }
    }

    fn share(people: &[PersonRecord], f: impl Fn(&PersonRecord) -> bool) -> f64 {
        people.iter().filter(|p| f(p)).count() as f64 / people.len() as f64
    }

    /// The record as a sheet row would carry it.
    fn as_row(p: &PersonRecord) -> RawPerson {
        let mut row: RawPerson = HashMap::new();
        let mut put = |f: Field, v: Option<&str>| {
            if let Some(v) = v {
                row.insert(f, v.to_owned());
            }
        };
        put(Field::IdNumber, Some(p.id_number.as_str()));
        put(Field::Name, Some(&p.name));
        put(Field::Phone, p.phone.as_ref().map(Phone::as_str));
        put(
            Field::HukouRegion,
            p.hukou_region.as_ref().map(RegionCode::as_str),
        );
        put(Field::Village, Some(p.village.as_str()));
        put(Field::Address, Some(&p.address));
        put(Field::Status, Some(p.status.label()));
        let status_date = p.status_date.map(|d| d.to_string());
        put(Field::StatusDate, status_date.as_deref());
        put(
            Field::LivingSituation,
            p.living_situation.map(|l| l.label()),
        );
        put(Field::EconomicStatus, p.economic_status.map(|e| e.label()));
        if let Some(d) = &p.disability {
            put(Field::DisabilityCategory, Some(d.category.short_label()));
            put(Field::DisabilityGrade, Some(d.grade.label()));
            put(
                Field::DisabilityCert,
                d.certificate.as_ref().map(|c| c.as_str()),
            );
        }
        if let Some(c) = &p.child {
            put(Field::ChildCategory, Some(c.category.label()));
            put(Field::GuardianName, c.guardian_name.as_deref());
            put(
                Field::GuardianPhone,
                c.guardian_phone.as_ref().map(Phone::as_str),
            );
        }
        put(Field::HouseholdNo, p.household_no.as_deref());
        put(
            Field::EmergencyContactName,
            p.emergency_contact_name.as_deref(),
        );
        put(
            Field::EmergencyContactPhone,
            p.emergency_contact_phone.as_ref().map(Phone::as_str),
        );
        let tags = p.tags.join("，");
        put(Field::Tags, Some(&tags));
        row
    }

    #[test]
    fn the_same_input_gives_the_same_people_and_another_seed_others() {
        let villages = heshan();
        let a = generate(&villages, &options(7, 0.3));
        let b = generate(&villages, &options(7, 0.3));
        assert!(!a.is_empty());
        assert_eq!(a, b);
        let c = generate(&villages, &options(8, 0.3));
        let ids = |v: &[PersonRecord]| -> Vec<String> {
            v.iter().map(|p| p.id_number.as_str().to_owned()).collect()
        };
        assert_ne!(ids(&a), ids(&c));
        let names_a: Vec<&str> = a.iter().map(|p| p.name.as_str()).collect();
        let names_c: Vec<&str> = c.iter().map(|p| p.name.as_str()).collect();
        assert_ne!(names_a, names_c);
    }

    #[test]
    fn input_order_and_repeats_do_not_matter() {
        let villages = heshan();
        let mut shuffled: Vec<DemoVillage> = villages.iter().rev().cloned().collect();
        shuffled.extend(villages.iter().take(5).cloned());
        let opts = options(11, 0.2);
        assert_eq!(generate(&villages, &opts), generate(&shuffled, &opts));
    }

    #[test]
    fn every_record_is_one_the_importer_accepts_unchanged() {
        let villages = heshan();
        let codes: HashSet<&str> = villages.iter().map(|v| v.code.as_str()).collect();
        let people = generate(&villages, &options(3, 1.0));
        for p in &people {
            assert_eq!(
                IdNumber::parse(p.id_number.as_str()).as_ref(),
                Ok(&p.id_number)
            );
            assert!(p.birth_date() <= today());
            assert_eq!(p.id_number.address_code(), &p.village.as_str()[..6]);
            assert!(codes.contains(p.village.as_str()));
            if let Some(d) = p.status_date {
                assert!(d <= today() && d >= p.birth_date());
                assert_ne!(p.status, PersonStatus::Alive);
            }
            let checked = parse_person(&as_row(p), today());
            assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
            assert_eq!(checked.record.as_ref(), Ok(p), "{}", p.name);
        }
    }

    #[test]
    fn no_two_people_share_an_id_number_not_even_with_the_trainees() {
        let villages = heshan();
        let opts = options(5, 1.5);
        let mut people = generate(&villages, &opts);
        people.extend(generate_kangyuan_trainees(&villages, 274, &opts));
        assert!(people.len() > 5000, "{}", people.len());
        let ids: HashSet<&str> = people.iter().map(|p| p.id_number.as_str()).collect();
        assert_eq!(ids.len(), people.len());
    }

    #[test]
    fn the_register_has_plausible_shares() {
        let people = generate(&heshan(), &options(1, 1.0));
        let n = people.len();
        // 141 villages of 20-40 people.
        assert!((141 * 20..=141 * 40).contains(&n), "{n}");
        let age = |p: &PersonRecord| p.id_number.age_on(today());

        let elderly: Vec<&PersonRecord> = people.iter().filter(|p| age(p) >= 60).collect();
        let elderly_share = elderly.len() as f64 / n as f64;
        assert!((0.65..=0.85).contains(&elderly_share), "{elderly_share}");
        assert!(elderly.iter().all(|p| age(p) <= 101));
        let old_old = elderly.iter().filter(|p| age(p) >= 80).count() as f64;
        assert!((0.1..=0.35).contains(&(old_old / elderly.len() as f64)));
        assert!(elderly
            .iter()
            .all(|p| (age(p) >= 80) == p.tags.iter().any(|t| t == "高龄")));
        let women_85 = elderly
            .iter()
            .filter(|p| age(p) >= 85)
            .map(|p| p.id_number.sex() == Sex::Female)
            .fold((0, 0), |(w, all), f| (w + usize::from(f), all + 1));
        assert!(women_85.0 * 2 > women_85.1, "{women_85:?}");

        let living = |l: LivingSituation| {
            elderly
                .iter()
                .filter(|p| p.living_situation == Some(l))
                .count() as f64
                / elderly.len() as f64
        };
        assert!((0.10..=0.20).contains(&living(LivingSituation::Alone)));
        assert!((0.28..=0.45).contains(&living(LivingSituation::EmptyNest)));
        assert!(elderly
            .iter()
            .filter(|p| p.living_situation == Some(LivingSituation::Alone))
            .all(|p| p.emergency_contact_name.is_some() && p.emergency_contact_phone.is_some()));
        let economy = |e: EconomicStatus| {
            elderly
                .iter()
                .filter(|p| p.economic_status == Some(e))
                .count() as f64
                / elderly.len() as f64
        };
        assert!((0.80..=0.93).contains(&economy(EconomicStatus::Ordinary)));
        assert!((0.03..=0.10).contains(&economy(EconomicStatus::Dibao)));
        assert!((0.005..=0.04).contains(&economy(EconomicStatus::ExtremePoverty)));

        let disabled_share = share(&people, |p| p.disability.is_some());
        assert!((0.12..=0.25).contains(&disabled_share), "{disabled_share}");
        let disabled: Vec<&Disability> = people
            .iter()
            .filter_map(|p| p.disability.as_ref())
            .collect();
        for c in DisabilityCategory::ALL {
            assert!(disabled.iter().any(|d| d.category == c), "{c:?}");
        }
        for g in 1..=4 {
            assert!(disabled.iter().any(|d| d.grade.get() == g), "{g}");
        }
        let physical = disabled
            .iter()
            .filter(|d| d.category == DisabilityCategory::Physical)
            .count() as f64
            / disabled.len() as f64;
        assert!((0.35..=0.55).contains(&physical), "{physical}");
        let certified = disabled.iter().filter(|d| d.certificate.is_some()).count() as f64
            / disabled.len() as f64;
        assert!((0.82..=0.97).contains(&certified), "{certified}");
        for p in &people {
            if let Some(Disability {
                category,
                grade,
                certificate: Some(cert),
            }) = &p.disability
            {
                assert_eq!(cert.check_against(&p.id_number, *category, *grade), Ok(()));
            }
        }
        assert!(people
            .iter()
            .filter(|p| p.disability.is_some())
            .any(|p| age(p) >= 60));
        assert!(people
            .iter()
            .filter(|p| p.disability.is_some())
            .all(|p| age(p) >= 5));

        let children: Vec<&PersonRecord> = people.iter().filter(|p| p.child.is_some()).collect();
        let child_share = children.len() as f64 / n as f64;
        assert!((0.04..=0.11).contains(&child_share), "{child_share}");
        assert!(children.iter().all(|p| (2..18).contains(&age(p))));
        assert!(children
            .iter()
            .all(|p| p.child.as_ref().is_some_and(|c| c.guardian_name.is_some())));
        for c in ChildCategory::ALL {
            assert!(children
                .iter()
                .any(|p| p.child.as_ref().is_some_and(|x| x.category == *c)));
        }
        // No phone of their own for young children; most adults have one.
        assert!(people
            .iter()
            .filter(|p| age(p) < 12)
            .all(|p| p.phone.is_none()));
        let adults_with_phone = share(
            &people
                .iter()
                .filter(|p| age(p) >= 18)
                .cloned()
                .collect::<Vec<_>>(),
            |p| p.phone.is_some(),
        );
        assert!(adults_with_phone > 0.7, "{adults_with_phone}");

        let deceased = share(&people, |p| p.status == PersonStatus::Deceased);
        assert!((0.002..=0.03).contains(&deceased), "{deceased}");
        assert!(share(&people, |p| p.status == PersonStatus::Alive) > 0.97);
    }

    #[test]
    fn some_elderly_couples_share_a_household() {
        let people = generate(&heshan(), &options(2, 1.0));
        let mut households: HashMap<&str, Vec<&PersonRecord>> = HashMap::new();
        for p in &people {
            households
                .entry(p.household_no.as_deref().unwrap())
                .or_default()
                .push(p);
        }
        let couples: Vec<&Vec<&PersonRecord>> = households
            .values()
            .filter(|h| h.len() == 2 && h[0].is_elderly_on(today()))
            .collect();
        assert!(couples.len() > 100, "{}", couples.len());
        for h in couples {
            assert!(h[1].is_elderly_on(today()));
            assert_ne!(h[0].id_number.sex(), h[1].id_number.sex());
            assert_eq!(h[0].address, h[1].address);
            assert_eq!(h[0].village, h[1].village);
            assert_eq!(h[0].emergency_contact_name, h[1].emergency_contact_name);
            // Their children, the usual contacts, carry the husband's surname.
            let husband = h.iter().find(|p| p.id_number.sex() == Sex::Male).unwrap();
            if let Some(contact) = &h[0].emergency_contact_name {
                assert!(contact.starts_with(surname_of(&husband.name)), "{contact}");
            }
        }
        assert!(households.values().all(|h| h.len() <= 2));
    }

    #[test]
    fn addresses_follow_the_kind_of_village() {
        let people = generate(&heshan(), &options(4, 0.5));
        for p in &people {
            if p.address.contains("福利院") {
                continue;
            }
            // Codes that are neither urban nor rural are treated as rural.
            match p.village.urban_rural() {
                Some(UrbanRural::Urban) => assert!(
                    p.address.contains('路') || p.address.contains("大道"),
                    "{}",
                    p.address
                ),
                _ => assert!(p.address.contains("村民小组"), "{}", p.address),
            }
        }
        // Urban communities get more people, rural villages more elderly.
        let by_kind = |k: UrbanRural| -> Vec<PersonRecord> {
            people
                .iter()
                .filter(|p| p.village.urban_rural() == Some(k))
                .cloned()
                .collect()
        };
        let elderly = |v: &[PersonRecord]| share(v, |p| p.is_elderly_on(today()));
        assert!(elderly(&by_kind(UrbanRural::Rural)) > elderly(&by_kind(UrbanRural::Urban)));
    }

    #[test]
    fn scale_shrinks_the_register_but_keeps_every_village() {
        let villages = heshan();
        let small = generate(&villages, &options(9, 0.1));
        let full = generate(&villages, &options(9, 1.0));
        assert!(small.len() * 5 < full.len());
        let covered: HashSet<&str> = small.iter().map(|p| p.village.as_str()).collect();
        assert_eq!(covered.len(), villages.len());
        let tiny = generate(&villages, &options(9, 0.0001));
        assert_eq!(tiny.len(), villages.len());
        assert!(generate(&villages, &options(9, 0.0)).is_empty());
        assert!(generate(&villages, &options(9, f64::NAN)).is_empty());
        assert!(generate(&[], &options(9, 1.0)).is_empty());
    }

    #[test]
    fn codes_that_are_not_villages_are_skipped() {
        let mut villages = heshan();
        villages.push(DemoVillage {
            code: RegionCode::parse("440784").unwrap(),
            urban_rural: None,
        });
        let people = generate(&villages, &options(1, 0.1));
        assert!(people.iter().all(|p| p.village.as_str().len() == 12));
    }

    #[test]
    fn birth_dates_give_exactly_the_drawn_age() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for today in ["2024-02-29", "2025-03-01", "2025-12-31", "2025-01-01"] {
            let today = CivilDate::parse(today).unwrap();
            for age in 0..=100 {
                for _ in 0..20 {
                    let birth = birth_for_age(&mut rng, today, age).unwrap();
                    assert_eq!(birth.full_years_until(today), age, "{birth} {today}");
                }
            }
        }
        for d in ["1900-03-01", "2000-02-29", "2024-12-31", "1970-01-01"] {
            let d = CivilDate::parse(d).unwrap();
            assert_eq!(from_day_number(day_number(d)), Some(d));
            assert_eq!(
                from_day_number(day_number(d) + 1).map(|n| n > d),
                Some(true)
            );
        }
        assert_eq!(day_number(CivilDate::parse("1970-01-01").unwrap()), 0);
    }

    #[test]
    fn names_follow_the_generation() {
        let people = generate(&heshan(), &options(6, 0.5));
        for p in &people {
            let n = p.name.chars().count();
            assert!((2..=4).contains(&n), "{}", p.name);
            assert!(SURNAMES.iter().any(|(s, _)| p.name.starts_with(s)));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let kid = given_name(&mut rng, 2018, Sex::Female);
        assert!(kid
            .chars()
            .all(|c| "梓诗可欣语芷思一雨若晓紫涵琪馨妍萱桐诺晴彤瑶淇悦".contains(c)));
        let grandma = given_name(&mut rng, 1940, Sex::Female);
        assert!(grandma
            .chars()
            .all(|c| "亚桂秀玉金银月带瑞彩凤惠少二妹芳英娣好娇兰珍娥群霞容卿莲嫦".contains(c)));
    }

    #[test]
    fn kangyuan_trainees_are_working_age_with_the_right_disabilities() {
        let villages = heshan();
        let opts = options(2023, 1.0);
        let trainees = generate_kangyuan_trainees(&villages, 274, &opts);
        assert_eq!(trainees.len(), 274);
        assert_eq!(trainees, generate_kangyuan_trainees(&villages, 274, &opts));
        let mut categories = HashSet::new();
        for t in &trainees {
            assert!((18..=59).contains(&t.id_number.age_on(today())));
            let d = t.disability.as_ref().unwrap();
            categories.insert(d.category);
            let severe_physical = d.category == DisabilityCategory::Physical && d.grade.get() <= 2;
            let mind = matches!(
                d.category,
                DisabilityCategory::Intellectual | DisabilityCategory::Mental
            );
            assert!(severe_physical || mind, "{d:?}");
            let cert = d.certificate.as_ref().unwrap();
            assert_eq!(
                cert.check_against(&t.id_number, d.category, d.grade),
                Ok(())
            );
            assert_eq!(&cert.as_str()[..18], t.id_number.as_str());
            assert_eq!(t.id_number.address_code(), "440784");
            assert_eq!(t.status, PersonStatus::Alive);
            assert!(t.emergency_contact_name.is_some() || t.phone.is_some());
        }
        assert_eq!(categories.len(), 3);
        let towns: HashSet<&str> = trainees.iter().map(|t| &t.village.as_str()[..9]).collect();
        assert!(towns.len() >= 8, "{}", towns.len());
        assert!(generate_kangyuan_trainees(&[], 274, &opts).is_empty());
        assert!(generate_kangyuan_trainees(&villages, 0, &opts).is_empty());
    }
}
