//! One engine for every scored assessment: a template is criteria with maximum
//! scores, grouped, and thresholds that turn a total into a result.
//!
//! It rates Kangyuan centres (the provincial one to three stars) now; station
//! standardisation, brand competitions and people's capability assessments
//! are further templates, not further code. Templates are stored as JSON, so
//! an evaluator can correct a criterion's points without a release.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The code of the Kangyuan centres' provincial star rating.
pub const KANGYUAN_STAR: &str = "kangyuan_star";
/// The code of the social-work stations' standardisation assessment.
pub const STATION_STANDARD: &str = "station_standard";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Stable identifier, e.g. "kangyuan_star".
    pub code: String,
    pub name: String,
    pub groups: Vec<CriterionGroup>,
    /// In increasing order of `min_total`.
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionGroup {
    pub name: String,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Unique within the template; scores are keyed by it.
    pub code: String,
    pub text: String,
    pub max_score: u32,
}

/// The result given to totals at or above `min_total` (the highest threshold
/// reached wins). Below every threshold: no result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub min_total: u32,
    /// Stable code of the result, e.g. "2_star".
    pub result: String,
    /// Shown to users, e.g. 二星级.
    pub label: String,
}

/// Why a score sheet cannot be totalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreError {
    /// The criterion's code, or "" for a fault of the template itself.
    pub criterion: String,
    /// In Chinese, shown to the user.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    pub total: u32,
    pub max_total: u32,
    /// Each group's name, score and maximum, in template order.
    pub group_totals: Vec<(String, u32, u32)>,
    pub result: Option<Threshold>,
}

impl Template {
    /// Checks a template before it is stored or used: something to score,
    /// unique non-empty criterion codes, positive maxima, and thresholds that
    /// rise strictly, can be reached and name distinct results. All problems
    /// at once, in Chinese.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.code.trim().is_empty() {
            problems.push("模板代码不能为空".to_owned());
        }
        if self.name.trim().is_empty() {
            problems.push("模板名称不能为空".to_owned());
        }
        if self.criteria().next().is_none() {
            problems.push("模板没有任何评分项".to_owned());
        }
        for group in &self.groups {
            if group.name.trim().is_empty() {
                problems.push("评分组名称不能为空".to_owned());
            }
            if group.criteria.is_empty() {
                problems.push(format!("评分组“{}”没有评分项", group.name));
            }
        }
        let mut codes = HashSet::new();
        for c in self.criteria() {
            if c.code.trim().is_empty() {
                problems.push(format!("评分项“{}”缺少代码", c.text));
            } else if !codes.insert(c.code.as_str()) {
                problems.push(format!("评分项代码 {} 重复", c.code));
            }
            if c.text.trim().is_empty() {
                problems.push(format!("评分项 {} 缺少内容", c.code));
            }
            if c.max_score == 0 {
                problems.push(format!("评分项 {} 的满分应大于 0", c.code));
            }
        }
        let max_total = self.checked_max_total();
        if max_total.is_none() {
            problems.push("满分合计过大".to_owned());
        }
        let mut results = HashSet::new();
        let mut previous: Option<u32> = None;
        for t in &self.thresholds {
            if t.result.trim().is_empty() || t.label.trim().is_empty() {
                problems.push(format!("{} 分的等级缺少代码或名称", t.min_total));
            } else if !results.insert(t.result.as_str()) {
                problems.push(format!("等级代码 {} 重复", t.result));
            }
            if previous.is_some_and(|p| t.min_total <= p) {
                problems.push(format!(
                    "等级“{}”的起点 {} 分应高于上一等级",
                    t.label, t.min_total
                ));
            }
            if let Some(max) = max_total.filter(|&max| t.min_total > max) {
                problems.push(format!(
                    "等级“{}”的起点 {} 分超过满分 {max} 分，无法达到",
                    t.label, t.min_total
                ));
            }
            previous = Some(t.min_total);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The sum of every criterion's maximum (saturating; [`Template::validate`]
    /// refuses templates where it would not fit).
    pub fn max_total(&self) -> u32 {
        self.criteria()
            .fold(0_u32, |sum, c| sum.saturating_add(c.max_score))
    }

    /// Every criterion, group by group.
    pub fn criteria(&self) -> impl Iterator<Item = &Criterion> {
        self.groups.iter().flat_map(|g| g.criteria.iter())
    }

    /// Totals a score sheet keyed by criterion code. Every criterion must be
    /// scored, none above its maximum, no unknown codes; all errors at once.
    pub fn score(&self, scores: &BTreeMap<String, u32>) -> Result<Scored, Vec<ScoreError>> {
        if let Err(problems) = self.validate() {
            return Err(problems
                .into_iter()
                .map(|message| ScoreError {
                    criterion: String::new(),
                    message: format!("评分模板有误：{message}"),
                })
                .collect());
        }
        let mut errors = Vec::new();
        let mut group_totals = Vec::with_capacity(self.groups.len());
        for group in &self.groups {
            let mut got = 0_u32;
            let mut max = 0_u32;
            for c in &group.criteria {
                max = max.saturating_add(c.max_score);
                match scores.get(&c.code) {
                    None => errors.push(ScoreError {
                        criterion: c.code.clone(),
                        message: format!("“{}”未评分", c.text),
                    }),
                    Some(&s) if s > c.max_score => errors.push(ScoreError {
                        criterion: c.code.clone(),
                        message: format!("“{}”得分 {s} 超过该项满分 {} 分", c.text, c.max_score),
                    }),
                    Some(&s) => got = got.saturating_add(s),
                }
            }
            group_totals.push((group.name.clone(), got, max));
        }
        for code in scores.keys() {
            if !self.criteria().any(|c| &c.code == code) {
                errors.push(ScoreError {
                    criterion: code.clone(),
                    message: format!("本模板没有代码为 {code} 的评分项"),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let total = group_totals
            .iter()
            .fold(0_u32, |sum, (_, got, _)| sum.saturating_add(*got));
        let result = self
            .thresholds
            .iter()
            .filter(|t| t.min_total <= total)
            .max_by_key(|t| t.min_total)
            .cloned();
        Ok(Scored {
            total,
            max_total: self.max_total(),
            group_totals,
            result,
        })
    }

    /// The label of a result code, e.g. "2_star" → 二星级.
    pub fn result_label(&self, result: &str) -> Option<&str> {
        self.thresholds
            .iter()
            .find(|t| t.result == result)
            .map(|t| t.label.as_str())
    }

    fn checked_max_total(&self) -> Option<u32> {
        self.criteria()
            .try_fold(0_u32, |sum, c| sum.checked_add(c.max_score))
    }
}

fn criterion(code: &str, text: &str, max_score: u32) -> Criterion {
    Criterion {
        code: code.to_owned(),
        text: text.to_owned(),
        max_score,
    }
}

fn group(name: &str, criteria: Vec<Criterion>) -> CriterionGroup {
    CriterionGroup {
        name: name.to_owned(),
        criteria,
    }
}

fn threshold(min_total: u32, result: &str, label: &str) -> Threshold {
    Threshold {
        min_total,
        result: result.to_owned(),
        label: label.to_owned(),
    }
}

/// The Guangdong provincial star rating of community Kangyuan centres
/// (社区康园中心星级评定), as a template: code "kangyuan_star", results
/// "1_star"/"2_star"/"3_star" labelled 一星级/二星级/三星级 at 60, 75 and 90 of
/// 100 points.
///
/// The criteria are modelled on the areas the provincial rating is published
/// to cover (premises, the five-in-one services, management, staff, results
/// and distinctive practice). The official score sheet was not available to
/// us, so the wording and points here are a reasonable starting sheet, not a
/// copy: they are configurable data (templates are stored as JSON) and an
/// evaluator should correct them against the sheet in force.
pub fn kangyuan_star_template() -> Template {
    Template {
        code: KANGYUAN_STAR.to_owned(),
        name: "社区康园中心星级评定".to_owned(),
        groups: vec![
            group(
                "场地与设施",
                vec![
                    criterion(
                        "premises",
                        "有独立、固定的服务场地，面积与服务人数相适应，功能分区合理",
                        8,
                    ),
                    criterion(
                        "accessibility",
                        "无障碍设施符合 GB 50763《无障碍设计规范》要求，出入通道安全便利",
                        6,
                    ),
                    criterion(
                        "equipment",
                        "配备康复训练、文体活动及生产劳动所需器材，并定期检查维护",
                        6,
                    ),
                ],
            ),
            group(
                "服务内容（五位一体）",
                vec![
                    criterion(
                        "day_care",
                        "日间照料：提供午餐、午休和个人照料，按规定时间开放",
                        6,
                    ),
                    criterion(
                        "rehabilitation",
                        "康复训练：为每名学员制定个人康复计划并定期评估调整",
                        6,
                    ),
                    criterion("recreation", "康乐文体：定期开展文体活动和社区融合活动", 6),
                    criterion(
                        "skills_training",
                        "技能训练：开展生活自理、社会适应和职业技能训练",
                        6,
                    ),
                    criterion(
                        "assisted_employment",
                        "辅助就业：组织辅助性生产劳动，按劳发放劳动报酬",
                        6,
                    ),
                ],
            ),
            group(
                "管理制度",
                vec![
                    criterion(
                        "rules",
                        "建立入托、出托、考勤、卫生、财务等管理制度并公示执行",
                        5,
                    ),
                    criterion("records", "学员“一人一档”，服务记录和考勤记录完整可查", 5),
                    criterion(
                        "safety",
                        "安全管理和应急预案完善，定期开展消防等应急演练",
                        5,
                    ),
                ],
            ),
            group(
                "人员队伍",
                vec![
                    criterion(
                        "staffing",
                        "工作人员数量与学员人数相适应，配有社工、康复等专业人员或引入专业机构",
                        8,
                    ),
                    criterion("staff_training", "工作人员定期参加业务培训，持证上岗", 7),
                ],
            ),
            group(
                "服务成效与特色",
                vec![
                    criterion("attendance", "在册学员人数达到核定服务人数，出勤率稳定", 7),
                    criterion(
                        "satisfaction",
                        "学员及家属满意度高，家属支持服务常态开展",
                        7,
                    ),
                    criterion("distinction", "形成服务特色或品牌，经验获推广或受到表彰", 6),
                ],
            ),
        ],
        thresholds: vec![
            threshold(60, "1_star", "一星级"),
            threshold(75, "2_star", "二星级"),
            threshold(90, "3_star", "三星级"),
        ],
    }
}

/// The "one centre, one brand" competition (一康园一品牌): centres' brand
/// projects scored against each other, with prizes at 85, 75 and 60 of 100
/// points. Heshan's campaign published its aims (a distinctive project per
/// centre, scored and compared), not a score sheet; these criteria follow
/// those aims and are data an organiser edits.
pub fn brand_competition_template() -> Template {
    Template {
        code: "brand_competition".to_owned(),
        name: "一康园一品牌评比".to_owned(),
        groups: vec![
            CriterionGroup {
                name: "品牌特色".to_owned(),
                criteria: vec![
                    criterion("distinct", "主题鲜明，结合本地特色，有别于其他中心", 25),
                    criterion("plan", "方案完整，里程碑按期完成", 15),
                ],
            },
            CriterionGroup {
                name: "学员与成效".to_owned(),
                criteria: vec![
                    criterion("participation", "学员普遍参与，能力得到提升", 25),
                    criterion("outcome", "形成产品、作品或服务成果", 15),
                ],
            },
            CriterionGroup {
                name: "影响与持续".to_owned(),
                criteria: vec![
                    criterion("influence", "社会参与和宣传影响", 10),
                    criterion("sustain", "有持续运营的资金、场地和合作方", 10),
                ],
            },
        ],
        thresholds: vec![
            threshold(60, "third", "三等奖"),
            threshold(75, "second", "二等奖"),
            threshold(85, "first", "一等奖"),
        ],
    }
}

/// The standardisation assessment of social-work stations (社工站标准化评估):
/// code "station_standard", 100 points in five groups, results 合格 / 良好 /
/// 优秀 at 60, 80 and 90.
///
/// What it rests on:
///
/// - 广东省民政厅等 5 部门《关于实施“广东兜底民生服务社会工作双百工程”的
///   通知》(2020): a social-work station in every town and street, and
///   social-work services reaching every person in difficulty and special
///   group, within two years. Hence the weight on finding and visiting those
///   people (服务与台账) and on their coverage (成效与满意度).
/// - 粤民函〔2017〕43号 (the first "双百" stations): each station funded to
///   employ 3 social workers (15 万元 a year), with professional supervision
///   (督导) provided by the province. Hence "at least 3 full-time social
///   workers" and "supervised and trained" under 人员与培训.
/// - The province's evaluation of model stations (标杆社工站综合评估, as
///   reported by 中山市民政局 on 2024-08-26) looks at 工作基础、管理运作、
///   服务成效、专业引领、品牌特色、群众口碑 — premises and signage, records and
///   rules, services and their effect, and residents' satisfaction.
///
/// Our own judgement, not from those texts (the provincial score sheet was
/// not available to us): the five groups follow the areas above but their
/// wording and points are ours (15 / 20 / 30 / 15 / 20), and so are the
/// result bands, set at the 60 / 80 / 90 cut-offs usual in Chinese
/// performance evaluations (合格、良好、优秀). Templates are stored as data:
/// an evaluator corrects them against the sheet in force without a release.
pub fn station_standard_template() -> Template {
    Template {
        code: STATION_STANDARD.to_owned(),
        name: "社工站标准化评估".to_owned(),
        groups: vec![
            group(
                "场地与标识",
                vec![
                    criterion(
                        "premises",
                        "有独立或相对独立的服务场地，设接待、个案、小组活动等功能区",
                        6,
                    ),
                    criterion(
                        "signage",
                        "统一悬挂“双百工程”社工站标识，公示服务内容、人员和监督电话",
                        4,
                    ),
                    criterion(
                        "equipment",
                        "配备办公、档案保管等必要设施设备，出入通道无障碍",
                        5,
                    ),
                ],
            ),
            group(
                "人员与培训",
                vec![
                    criterion("staffing", "配备不少于 3 名专职社工，设站长负责站务", 8),
                    criterion(
                        "qualification",
                        "社工持证上岗或具备相关专业学历，队伍稳定",
                        5,
                    ),
                    criterion(
                        "training",
                        "社工参加岗前和在岗培训、接受专业督导，培训记录完整",
                        7,
                    ),
                ],
            ),
            group(
                "服务与台账",
                vec![
                    criterion(
                        "needs_survey",
                        "摸查辖区困难群众和特殊群体，建立服务对象台账",
                        8,
                    ),
                    criterion(
                        "visits",
                        "按规定频次探访独居、特殊困难老年人和留守、困境儿童，逾期探访及时处置",
                        10,
                    ),
                    criterion(
                        "casework",
                        "开展个案、小组和社区活动，需求及时转介并跟进",
                        7,
                    ),
                    criterion("records", "服务记录完整规范，可查可追溯", 5),
                ],
            ),
            group(
                "管理与经费",
                vec![
                    criterion("rules", "建立站务、考勤、档案、安全、保密等制度并执行", 5),
                    criterion("funds", "经费专款专用，收支有据可查", 5),
                    criterion(
                        "supervision",
                        "接受民政部门和第三方督导评估，问题按期整改",
                        5,
                    ),
                ],
            ),
            group(
                "成效与满意度",
                vec![
                    criterion(
                        "coverage",
                        "困难群众和特殊群体社会工作服务覆盖率达到要求",
                        8,
                    ),
                    criterion("satisfaction", "服务对象和村（居）满意度调查结果良好", 7),
                    criterion("distinction", "形成服务品牌或特色项目，经验获推广", 5),
                ],
            ),
        ],
        thresholds: vec![
            threshold(60, "pass", "合格"),
            threshold(80, "good", "良好"),
            threshold(90, "excellent", "优秀"),
        ],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A full score sheet totalling `total`, filling criteria in order.
    fn sheet(template: &Template, total: u32) -> BTreeMap<String, u32> {
        let mut left = total;
        template
            .criteria()
            .map(|c| {
                let s = left.min(c.max_score);
                left -= s;
                (c.code.clone(), s)
            })
            .collect()
    }

    fn result_at(template: &Template, total: u32) -> Option<String> {
        let scored = template.score(&sheet(template, total)).unwrap();
        assert_eq!(scored.total, total);
        scored.result.map(|t| t.result)
    }

    #[test]
    fn star_template_is_valid_and_totals_100() {
        let t = kangyuan_star_template();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.max_total(), 100);
        assert_eq!(t.code, "kangyuan_star");
        let groups: Vec<&str> = t.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            groups,
            [
                "场地与设施",
                "服务内容（五位一体）",
                "管理制度",
                "人员队伍",
                "服务成效与特色"
            ]
        );
        assert!((12..=16).contains(&t.criteria().count()));
        assert_eq!(t.result_label("2_star"), Some("二星级"));
        assert_eq!(t.result_label("4_star"), None);
    }

    #[test]
    fn stars_are_given_at_their_thresholds() {
        let t = kangyuan_star_template();
        for (total, stars) in [
            (0, None),
            (59, None),
            (60, Some("1_star")),
            (74, Some("1_star")),
            (75, Some("2_star")),
            (89, Some("2_star")),
            (90, Some("3_star")),
            (100, Some("3_star")),
        ] {
            assert_eq!(result_at(&t, total).as_deref(), stars, "{total}");
        }
    }

    #[test]
    fn scoring_reports_group_totals() {
        let t = kangyuan_star_template();
        let scored = t.score(&sheet(&t, 100)).unwrap();
        assert_eq!(scored.max_total, 100);
        assert_eq!(scored.group_totals[0], ("场地与设施".to_owned(), 20, 20));
        let partial = t.score(&sheet(&t, 25)).unwrap();
        assert_eq!(partial.group_totals[0].1, 20);
        assert_eq!(partial.group_totals[1].1, 5);
        assert_eq!(partial.group_totals[2].1, 0);
        assert!(partial.group_totals.iter().all(|(_, got, max)| got <= max));
    }

    #[test]
    fn rejects_over_maximum_missing_and_unknown_scores_together() {
        let t = kangyuan_star_template();
        let mut scores = sheet(&t, 80);
        scores.insert("premises".to_owned(), 9);
        scores.remove("safety");
        scores.insert("canteen".to_owned(), 3);
        let errors = t.score(&scores).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(|e| e.criterion.as_str()).collect();
        assert_eq!(codes, ["premises", "safety", "canteen"]);
        assert!(errors[0].message.contains("得分 9 超过该项满分 8 分"));
        assert!(errors[1].message.ends_with("未评分"));
        assert_eq!(errors[2].message, "本模板没有代码为 canteen 的评分项");
    }

    #[test]
    fn validation_catches_duplicate_codes_and_unreachable_thresholds() {
        let mut t = kangyuan_star_template();
        t.groups[1].criteria[0].code = "premises".to_owned();
        t.groups[2].criteria[0].max_score = 0;
        t.thresholds.push(Threshold {
            min_total: 101,
            result: "4_star".to_owned(),
            label: "四星级".to_owned(),
        });
        t.thresholds.push(Threshold {
            min_total: 95,
            result: "3_star".to_owned(),
            label: "三星级".to_owned(),
        });
        let problems = t.validate().unwrap_err();
        assert_eq!(
            problems,
            [
                "评分项代码 premises 重复",
                "评分项 rules 的满分应大于 0",
                "等级“四星级”的起点 101 分超过满分 95 分，无法达到",
                "等级代码 3_star 重复",
                "等级“三星级”的起点 95 分应高于上一等级",
            ]
        );
        // A broken template cannot be used to score.
        let errors = t.score(&BTreeMap::new()).unwrap_err();
        assert!(errors.iter().all(|e| e.criterion.is_empty()));
        assert_eq!(errors.len(), problems.len());
    }

    #[test]
    fn an_empty_template_is_refused() {
        let t = Template {
            code: "x".to_owned(),
            name: "空模板".to_owned(),
            groups: Vec::new(),
            thresholds: Vec::new(),
        };
        assert_eq!(t.validate(), Err(vec!["模板没有任何评分项".to_owned()]));
    }

    #[test]
    fn the_station_standard_sheet_scores_a_worked_example() {
        let t = station_standard_template();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.max_total(), 100);
        let groups: Vec<(&str, u32)> = t
            .groups
            .iter()
            .map(|g| {
                (
                    g.name.as_str(),
                    g.criteria.iter().map(|c| c.max_score).sum(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("场地与标识", 15),
                ("人员与培训", 20),
                ("服务与台账", 30),
                ("管理与经费", 15),
                ("成效与满意度", 20)
            ]
        );
        // A station with good premises, two social workers instead of three,
        // visits partly late and no brand project yet.
        let sheet: BTreeMap<String, u32> = [
            ("premises", 6),
            ("signage", 4),
            ("equipment", 4),
            ("staffing", 5),
            ("qualification", 4),
            ("training", 6),
            ("needs_survey", 7),
            ("visits", 6),
            ("casework", 6),
            ("records", 4),
            ("rules", 5),
            ("funds", 5),
            ("supervision", 4),
            ("coverage", 6),
            ("satisfaction", 6),
            ("distinction", 0),
        ]
        .into_iter()
        .map(|(c, s)| (c.to_owned(), s))
        .collect();
        let scored = t.score(&sheet).unwrap();
        assert_eq!(scored.total, 78);
        assert_eq!(
            scored.group_totals,
            [
                ("场地与标识".to_owned(), 14, 15),
                ("人员与培训".to_owned(), 15, 20),
                ("服务与台账".to_owned(), 23, 30),
                ("管理与经费".to_owned(), 14, 15),
                ("成效与满意度".to_owned(), 12, 20),
            ]
        );
        assert_eq!(scored.result.unwrap().label, "合格");
        // Two more points for visits on time make it 良好.
        let mut better = sheet.clone();
        better.insert("visits".to_owned(), 8);
        assert_eq!(t.score(&better).unwrap().result.unwrap().result, "good");
        for (total, result) in [
            (59, None),
            (60, Some("pass")),
            (79, Some("pass")),
            (80, Some("good")),
            (89, Some("good")),
            (90, Some("excellent")),
            (100, Some("excellent")),
        ] {
            assert_eq!(result_at(&t, total).as_deref(), result, "{total}");
        }
        assert_eq!(t.result_label("excellent"), Some("优秀"));
    }

    #[test]
    fn the_brand_competition_sheet_is_a_valid_hundred_point_template() {
        let t = brand_competition_template();
        assert!(t.validate().is_ok());
        assert_eq!(t.max_total(), 100);
        let all: BTreeMap<String, u32> = t
            .criteria()
            .map(|c| (c.code.clone(), c.max_score))
            .collect();
        assert_eq!(t.score(&all).unwrap().result.unwrap().label, "一等奖");
    }
}
