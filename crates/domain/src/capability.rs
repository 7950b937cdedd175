//! Elderly capability assessment of GB/T 42195-2022 《老年人能力评估规范》
//! (published and in force 2022-12-30), as a template of the assessment engine
//! plus the level-change rules the engine's "total → threshold" cannot express.
//!
//! What the standard says, as used here:
//!
//! - Four first-level indicators and 26 second-level items, each item scored
//!   by the assessor from its maximum down to 0 (tables B.1–B.4, items
//!   B.1.1–B.4.5): 自理能力 8 items × 4 = 32; 基础运动能力 4 + 4 + 4 + 3
//!   (上下楼梯) = 15; 精神状态 6 × 4 + 1 (攻击行为) + 1 (抑郁症状) + 2
//!   (意识水平) = 28; 感知觉与社会参与 2 (视力) + 2 (听力) + 4 + 3 (使用交通
//!   工具外出) + 4 = 15; 90 in all. Every item allows every whole score from 0
//!   to its maximum, so the engine's "none above its maximum" is the whole
//!   range check.
//! - The preliminary level follows from the total (report item C.3):
//!   能力完好 90; 能力轻度受损（轻度失能）66–89; 能力中度受损（中度失能）
//!   46–65; 能力重度受损（重度失能）30–45; 能力完全丧失（完全失能）0–29.
//! - The final level (C.5) applies the change basis of C.4, which reads
//!   section A of the form (A.5.11 昏迷, A.4.1 疾病诊断, A.2.14 近 30 天内
//!   照护风险事件): a person in a coma is rated 能力完全丧失 outright; a
//!   diagnosis of dementia (F00–F03) or another mental and behavioural
//!   disorder diagnosed by a psychiatrist (F04–F99), or two or more care-risk
//!   events (falls, choking, suicide or self-harm, wandering off…) in the last
//!   30 days, raises the level one step. Those facts are not item scores,
//!   hence [`LevelChangeBasis`] and [`assess_with`].
//!
//! Sources read (the standard's own text was not available to us; these are
//! public transcriptions of it, which agree with each other on every figure
//! above): the item wording and scores of tables B.1–B.4 as transcribed in
//! GitHub repository devvanglin/KangxiaobanAI_OC
//! (kangxiaoban-service/internal/database/admission_seed.go) and, independently,
//! in a second public file of the code index quoting tables B.1–B.4 verbatim;
//! the C.1–C.5 report items, the level cut-offs and the C.4 wording in a public
//! Vue form reproducing the report table; the four indicators, 26 items and five
//! levels confirmed by SAMR's press conference on the standard's release (as
//! reported in the press).
//!
//! Where sources disagree or we could not confirm:
//!
//! - The note under B.3.9 (as transcribed twice) says a person in a coma is
//!   "直接评定为重度失能", while C.4 says "直接评定为能力完全丧失（完全失能）".
//!   The B.3.9 wording is that of the superseded MZ/T 001-2013, whose worst
//!   level was 重度失能; we follow C.4, as the implementations we found do.
//! - C.4 lists the diagnosis and the risk events as separate lines, each
//!   "提高一个等级". We raise one step when either or both apply, as every
//!   implementation we found does and as one guide puts it ("有以下情况之一");
//!   a literal reading could raise two steps when both apply.
//! - MZ/T 001-2013 also said a preliminary 重度失能 is never raised; the 2022
//!   report has no such line and adds a fifth, worse level, so 重度 is raised
//!   to 完全丧失 and only 完全丧失 stays where it is.
//! - Clause numbers of the body (the chapter "评估结果" with the level table)
//!   could not be confirmed; we cite the annex items, which we could.
//! - Two sources disagreed and were set aside: one gives 精神状态 29 points
//!   (its four maxima then add to 91, not 90); another scores every item 0–10
//!   and rescales to 0–100, matching nothing else we read.

use crate::assessment::{Criterion, CriterionGroup, ScoreError, Template, Threshold};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stable identifier of [`capability_template`].
pub const TEMPLATE_CODE: &str = "gbt42195_capability";

/// The code of item B.3.9 意识水平, which must be 0 for a person in a coma.
const CONSCIOUSNESS: &str = "mental.consciousness";

/// The capability levels of GB/T 42195-2022 (report items C.3 and C.5), from
/// best to worst; codes are stable for storage and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapabilityLevel {
    /// 能力完好, total 90.
    Intact,
    /// 能力轻度受损（轻度失能）, 66–89.
    Mild,
    /// 能力中度受损（中度失能）, 46–65.
    Moderate,
    /// 能力重度受损（重度失能）, 30–45.
    Severe,
    /// 能力完全丧失（完全失能）, 0–29.
    Lost,
}

/// The lowest total of each level, in increasing order; the template's
/// thresholds and [`CapabilityLevel::from_total`] both read this table.
const CUT_OFFS: [(u32, CapabilityLevel); 5] = [
    (0, CapabilityLevel::Lost),
    (30, CapabilityLevel::Severe),
    (46, CapabilityLevel::Moderate),
    (66, CapabilityLevel::Mild),
    (90, CapabilityLevel::Intact),
];

impl CapabilityLevel {
    pub const ALL: [CapabilityLevel; 5] = [
        CapabilityLevel::Intact,
        CapabilityLevel::Mild,
        CapabilityLevel::Moderate,
        CapabilityLevel::Severe,
        CapabilityLevel::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CapabilityLevel::Intact => "intact",
            CapabilityLevel::Mild => "mild",
            CapabilityLevel::Moderate => "moderate",
            CapabilityLevel::Severe => "severe",
            CapabilityLevel::Lost => "lost",
        }
    }

    /// The standard's name, e.g. 能力中度受损（中度失能）.
    pub fn label(self) -> &'static str {
        match self {
            CapabilityLevel::Intact => "能力完好",
            CapabilityLevel::Mild => "能力轻度受损（轻度失能）",
            CapabilityLevel::Moderate => "能力中度受损（中度失能）",
            CapabilityLevel::Severe => "能力重度受损（重度失能）",
            CapabilityLevel::Lost => "能力完全丧失（完全失能）",
        }
    }

    /// The two halves of the label, which sheets often write alone:
    /// 能力中度受损 and 中度失能.
    fn short_labels(self) -> [&'static str; 2] {
        match self {
            CapabilityLevel::Intact => ["能力完好", "能力完好"],
            CapabilityLevel::Mild => ["能力轻度受损", "轻度失能"],
            CapabilityLevel::Moderate => ["能力中度受损", "中度失能"],
            CapabilityLevel::Severe => ["能力重度受损", "重度失能"],
            CapabilityLevel::Lost => ["能力完全丧失", "完全失能"],
        }
    }

    /// Reads a code ("moderate") or a label, full (with Chinese or ASCII
    /// brackets) or either half of it (能力中度受损, 中度失能), ignoring
    /// surrounding whitespace.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let full_width = s.replace('(', "（").replace(')', "）");
        CapabilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.label() == full_width || l.short_labels().contains(&s))
    }

    /// The preliminary level (C.3) of a total. Totals above 90 cannot come
    /// from a valid sheet and read as 能力完好.
    pub fn from_total(total: u32) -> Self {
        CUT_OFFS
            .iter()
            .rev()
            .find(|(min_total, _)| total >= *min_total)
            .map_or(CapabilityLevel::Lost, |&(_, level)| level)
    }

    /// One step worse, 能力完全丧失 staying where it is.
    fn one_step_worse(self) -> Self {
        match self {
            CapabilityLevel::Intact => CapabilityLevel::Mild,
            CapabilityLevel::Mild => CapabilityLevel::Moderate,
            CapabilityLevel::Moderate => CapabilityLevel::Severe,
            CapabilityLevel::Severe | CapabilityLevel::Lost => CapabilityLevel::Lost,
        }
    }
}

/// The facts from section A of the form that change the level (report item
/// C.4 能力等级变更依据). The default is "none of them".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LevelChangeBasis {
    /// A.5.11 昏迷: the person is in a coma.
    pub coma: bool,
    /// A.4.1 疾病诊断: diagnosed with dementia (F00–F03), or with another
    /// mental and behavioural disorder (F04–F99) by a psychiatrist.
    pub dementia_or_mental_disorder: bool,
    /// A.2.14: care-risk events in the last 30 days, all kinds together
    /// (跌倒, 走失, 噎食, 自杀/自伤, 其他); "3 次及以上" counts as 3.
    pub risk_events_30_days: u32,
}

/// A scored capability assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityResult {
    /// 0–90.
    pub total: u32,
    /// Each first-level indicator's name, score and maximum, in the
    /// standard's order (C.1).
    pub subtotals: Vec<(String, u32, u32)>,
    /// The preliminary level from the total alone (C.3).
    pub initial_level: CapabilityLevel,
    /// The final level after the change basis (C.5).
    pub level: CapabilityLevel,
    /// Which change rule applied and why, in Chinese; `None` if none did.
    pub adjustment: Option<String>,
}

/// The standard's 26 items as an engine template: four groups, one criterion
/// per item (code e.g. "self_care.eating", text the item's name with its score
/// levels in brief), and thresholds 0/30/46/66/90 giving results
/// "lost"/"severe"/"moderate"/"mild"/"intact" labelled as
/// [`CapabilityLevel::label`].
pub fn capability_template() -> Template {
    // The standard's five-step assistance scale, shared by eight items.
    const ASSISTANCE: &str =
        "4 独立完成；3 需指导或提示；2 需协助，以自身完成为主；1 主要依靠他人，能配合；0 完全依赖他人，不能配合";
    let item = |code: &str, name: &str, levels: &str, max_score: u32| Criterion {
        code: code.to_owned(),
        text: format!("{name}（{levels}）"),
        max_score,
    };
    let group = |name: &str, criteria: Vec<Criterion>| CriterionGroup {
        name: name.to_owned(),
        criteria,
    };
    Template {
        code: TEMPLATE_CODE.to_owned(),
        name: "老年人能力评估（GB/T 42195-2022）".to_owned(),
        groups: vec![
            group(
                "自理能力",
                vec![
                    item(
                        "self_care.eating",
                        "进食",
                        "4 独立进食，无呛咳；3 需指导提示或独立使用辅具，无呛咳；2 需少量接触式协助，偶有呛咳；1 需大量接触式协助，经常呛咳；0 完全依赖他人，或吞咽困难、留置营养管",
                        4,
                    ),
                    item("self_care.grooming", "修饰", ASSISTANCE, 4),
                    item("self_care.bathing", "洗澡", ASSISTANCE, 4),
                    item("self_care.dressing_upper", "穿/脱上衣", ASSISTANCE, 4),
                    item(
                        "self_care.dressing_lower",
                        "穿/脱裤子和鞋袜",
                        ASSISTANCE,
                        4,
                    ),
                    item(
                        "self_care.bladder",
                        "小便控制",
                        "4 控制正常；3 白天可控，夜间较差或自行使用尿垫；2 偶有失禁，或需少量协助使用尿垫；1 白天大部分时间不能控制，或需大量协助；0 完全失禁或留置导尿管",
                        4,
                    ),
                    item(
                        "self_care.bowel",
                        "大便控制",
                        "4 控制正常；3 有时便秘或失禁，或自行使用开塞露、尿垫；2 经常便秘或失禁，或需少量协助；1 大部分时间便秘或失禁，或需大量协助；0 严重便秘或完全失禁，依赖他人",
                        4,
                    ),
                    item("self_care.toileting", "如厕", ASSISTANCE, 4),
                ],
            ),
            group(
                "基础运动能力",
                vec![
                    item("mobility.bed_turning", "床上体位转移", ASSISTANCE, 4),
                    item("mobility.bed_chair_transfer", "床椅转移", ASSISTANCE, 4),
                    item(
                        "mobility.walking",
                        "平地行走",
                        "4 独立行走约 50 米，无跌倒风险；3 能行走约 50 米，需监护指导或使用拐杖、助行器；2 需他人少量扶持；1 需他人大量扶持；0 完全不能步行",
                        4,
                    ),
                    item(
                        "mobility.stairs",
                        "上下楼梯",
                        "3 独立连续上下 10～15 个台阶；2 需指导或提示；1 需协助，以自身完成为主；0 主要或完全依靠他人",
                        3,
                    ),
                ],
            ),
            group(
                "精神状态",
                vec![
                    item(
                        "mental.time_orientation",
                        "时间定向",
                        "4 年、月清楚，日期可差一天；3 年、月、日不能全部分清；2 只知上下半年或季节；1 只知上午下午或白天夜间；0 无时间观念",
                        4,
                    ),
                    item(
                        "mental.place_orientation",
                        "空间定向",
                        "4 能在日常生活范围内单独外出；3 不能单独外出，但准确知道住址；2 知道较多住址信息；1 知道较少住址信息；0 无空间观念",
                        4,
                    ),
                    item(
                        "mental.person_orientation",
                        "人物定向",
                        "4 认识共同生活的人，能称呼并知道关系；3 认识大部分共同生活的人；2 认识部分同住亲人或照护者；1 只认识自己或极少数人；0 不认识任何人",
                        4,
                    ),
                    item(
                        "mental.memory",
                        "记忆",
                        "4 记忆正常；3 轻度紊乱，即时回忆不能；2 中度紊乱，近期记忆不能；1 重度紊乱，远期记忆不能；0 完全紊乱",
                        4,
                    ),
                    item(
                        "mental.comprehension",
                        "理解能力",
                        "4 能正常理解；3 能理解，但需增加时间；2 有困难，需重复或简化；1 严重困难，需大量帮助；0 完全不能理解",
                        4,
                    ),
                    item(
                        "mental.expression",
                        "表达能力",
                        "4 能正常表达；3 能表达，但需增加时间；2 有困难，需重复或简化；1 严重困难，需大量帮助；0 完全不能表达",
                        4,
                    ),
                    item(
                        "mental.aggression",
                        "攻击行为",
                        "1 未出现；0 近一个月内出现过",
                        1,
                    ),
                    item(
                        "mental.depression",
                        "抑郁症状",
                        "1 未出现；0 近一个月内出现过",
                        1,
                    ),
                    item(
                        CONSCIOUSNESS,
                        "意识水平",
                        "2 神志清醒；1 嗜睡或意识模糊；0 昏睡或昏迷",
                        2,
                    ),
                ],
            ),
            group(
                "感知觉与社会参与",
                vec![
                    item(
                        "perception.vision",
                        "视力",
                        "2 正常；1 看不清标准字体，能看大字或辨认物体；0 只能看到光、颜色和形状，或失明",
                        2,
                    ),
                    item(
                        "perception.hearing",
                        "听力",
                        "2 正常；1 轻声或两米外听不清，交流需安静或大声；0 大声或慢速说话才能部分听见，或失聪",
                        2,
                    ),
                    item(
                        "perception.daily_affairs",
                        "执行日常事务",
                        "4 完全独立；3 需他人监护或指导；2 需少量协助；1 需大量协助；0 完全依赖他人",
                        4,
                    ),
                    item(
                        "perception.transport",
                        "使用交通工具外出",
                        "3 能自己骑车或搭乘公共交通工具；2 能自己搭乘出租车，不会搭乘其他交通工具；1 有人协助或陪伴时可搭乘公共交通工具；0 只能在协助下乘出租车或私家车，或不能外出",
                        3,
                    ),
                    item(
                        "perception.social",
                        "社会交往能力",
                        "4 参与社会，待人接物恰当；3 能适应单纯环境，主动接触他人；2 脱离社会，可被动接触；1 勉强可与人接触；0 不能与人交往",
                        4,
                    ),
                ],
            ),
        ],
        thresholds: CUT_OFFS
            .iter()
            .map(|&(min_total, level)| Threshold {
                min_total,
                result: level.as_str().to_owned(),
                label: level.label().to_owned(),
            })
            .collect(),
    }
}

/// Scores a filled-in sheet on its own: the engine's checks (every item
/// scored, none above its maximum, no unknown codes) and the level from the
/// total. No change rule can apply, since their facts are not on the sheet;
/// when section A of the form is known, use [`assess_with`].
pub fn assess(scores: &BTreeMap<String, u32>) -> Result<CapabilityResult, Vec<ScoreError>> {
    assess_with(scores, &LevelChangeBasis::default())
}

/// Scores a filled-in sheet and applies the change basis of C.4: a coma
/// gives 能力完全丧失; otherwise a dementia or mental-disorder diagnosis, or
/// two or more care-risk events in 30 days, raise the level one step (one in
/// all, however many apply). A coma with 意识水平 scored above 0 is refused
/// as contradictory. All errors at once, in Chinese.
pub fn assess_with(
    scores: &BTreeMap<String, u32>,
    basis: &LevelChangeBasis,
) -> Result<CapabilityResult, Vec<ScoreError>> {
    let (scored, mut errors) = match capability_template().score(scores) {
        Ok(scored) => (Some(scored), Vec::new()),
        Err(errors) => (None, errors),
    };
    if let Some(&s) = scores.get(CONSCIOUSNESS).filter(|&&s| basis.coma && s > 0) {
        errors.push(ScoreError {
            criterion: CONSCIOUSNESS.to_owned(),
            message: format!("已登记为昏迷，“意识水平”却评为 {s} 分；昏迷者该项应评 0 分"),
        });
    }
    let Some(scored) = scored.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };

    let initial_level = CapabilityLevel::from_total(scored.total);
    let mut reasons = Vec::new();
    let level = if basis.coma {
        reasons.push("处于昏迷状态，直接评定为能力完全丧失（完全失能）".to_owned());
        CapabilityLevel::Lost
    } else {
        if basis.dementia_or_mental_disorder {
            reasons.push("确诊为痴呆或其他精神和行为障碍疾病".to_owned());
        }
        if basis.risk_events_30_days >= 2 {
            reasons.push(format!(
                "近 30 天内发生过 {} 次照护风险事件（2 次及以上）",
                basis.risk_events_30_days
            ));
        }
        if reasons.is_empty() {
            initial_level
        } else {
            let raised = initial_level.one_step_worse();
            reasons.push(if raised == initial_level {
                "初步等级已为能力完全丧失，等级不变".to_owned()
            } else {
                "在原有能力级别上提高一个等级".to_owned()
            });
            raised
        }
    };
    Ok(CapabilityResult {
        total: scored.total,
        subtotals: scored.group_totals,
        initial_level,
        level,
        adjustment: (!reasons.is_empty()).then(|| reasons.join("；")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A full sheet totalling `total`, filling items in order.
    fn sheet(total: u32) -> BTreeMap<String, u32> {
        let mut left = total;
        capability_template()
            .criteria()
            .map(|c| {
                let s = left.min(c.max_score);
                left -= s;
                (c.code.clone(), s)
            })
            .collect()
    }

    fn with(mut scores: BTreeMap<String, u32>, code: &str, s: u32) -> BTreeMap<String, u32> {
        assert!(scores.insert(code.to_owned(), s).is_some(), "{code}");
        scores
    }

    #[test]
    fn template_has_the_standards_26_items_totalling_90() {
        let t = capability_template();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.code, TEMPLATE_CODE);
        assert_eq!(t.criteria().count(), 26);
        assert_eq!(t.max_total(), 90);
        let groups: Vec<(&str, usize, u32)> = t
            .groups
            .iter()
            .map(|g| {
                let max = g.criteria.iter().map(|c| c.max_score).sum();
                (g.name.as_str(), g.criteria.len(), max)
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("自理能力", 8, 32),
                ("基础运动能力", 4, 15),
                ("精神状态", 9, 28),
                ("感知觉与社会参与", 5, 15),
            ]
        );
        for level in CapabilityLevel::ALL {
            assert_eq!(t.result_label(level.as_str()), Some(level.label()));
        }
    }

    #[test]
    fn each_item_text_lists_its_scores_from_maximum_to_zero() {
        for c in capability_template().criteria() {
            let levels = c
                .text
                .split_once('（')
                .and_then(|(_, rest)| rest.strip_suffix('）'))
                .unwrap();
            let scores: Vec<u32> = levels
                .split('；')
                .map(|l| l.split_once(' ').unwrap().0.parse().unwrap())
                .collect();
            let expected: Vec<u32> = (0..=c.max_score).rev().collect();
            assert_eq!(scores, expected, "{}", c.code);
        }
    }

    #[test]
    fn level_follows_the_total_at_each_cut_off() {
        use CapabilityLevel::*;
        for (total, level) in [
            (90, Intact),
            (89, Mild),
            (66, Mild),
            (65, Moderate),
            (46, Moderate),
            (45, Severe),
            (30, Severe),
            (29, Lost),
            (0, Lost),
        ] {
            let r = assess(&sheet(total)).unwrap();
            assert_eq!((r.total, r.level, r.initial_level), (total, level, level));
            assert_eq!(r.adjustment, None);
        }
        // The template's thresholds and from_total never disagree.
        let t = capability_template();
        for total in 0..=90 {
            let result = t.score(&sheet(total)).unwrap().result.unwrap().result;
            assert_eq!(result, CapabilityLevel::from_total(total).as_str());
        }
    }

    #[test]
    fn all_maximum_scores_are_intact_with_full_subtotals() {
        let r = assess(&sheet(90)).unwrap();
        assert_eq!(r.level, CapabilityLevel::Intact);
        assert_eq!(
            r.subtotals,
            [
                ("自理能力".to_owned(), 32, 32),
                ("基础运动能力".to_owned(), 15, 15),
                ("精神状态".to_owned(), 28, 28),
                ("感知觉与社会参与".to_owned(), 15, 15),
            ]
        );
    }

    #[test]
    fn a_coma_is_rated_capability_lost_whatever_the_total() {
        // Sheets are filled in order, so 72 leaves 意识水平 at 0.
        let scores = sheet(72);
        assert_eq!(scores[CONSCIOUSNESS], 0);
        let coma = LevelChangeBasis {
            coma: true,
            dementia_or_mental_disorder: true,
            ..LevelChangeBasis::default()
        };
        let r = assess_with(&scores, &coma).unwrap();
        assert_eq!(r.initial_level, CapabilityLevel::Mild);
        assert_eq!(r.level, CapabilityLevel::Lost);
        assert_eq!(
            r.adjustment.as_deref(),
            Some("处于昏迷状态，直接评定为能力完全丧失（完全失能）")
        );
        // A coma while 意识水平 says awake is a contradiction, not a level.
        let awake = with(scores, CONSCIOUSNESS, 2);
        let errors = assess_with(&awake, &coma).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].criterion, CONSCIOUSNESS);
        assert!(errors[0].message.contains("评为 2 分"));
    }

    #[test]
    fn diagnosis_or_risk_events_raise_the_level_one_step_in_all() {
        let dementia = LevelChangeBasis {
            dementia_or_mental_disorder: true,
            ..LevelChangeBasis::default()
        };
        let falls = LevelChangeBasis {
            risk_events_30_days: 2,
            ..LevelChangeBasis::default()
        };
        let both = LevelChangeBasis {
            dementia_or_mental_disorder: true,
            risk_events_30_days: 3,
            coma: false,
        };
        let moderate = sheet(50);
        for basis in [dementia, falls, both] {
            let r = assess_with(&moderate, &basis).unwrap();
            assert_eq!(r.initial_level, CapabilityLevel::Moderate);
            assert_eq!(r.level, CapabilityLevel::Severe, "{basis:?}");
            assert!(r
                .adjustment
                .unwrap()
                .ends_with("在原有能力级别上提高一个等级"));
        }
        let one_event = LevelChangeBasis {
            risk_events_30_days: 1,
            ..LevelChangeBasis::default()
        };
        let r = assess_with(&moderate, &one_event).unwrap();
        assert_eq!((r.level, r.adjustment), (CapabilityLevel::Moderate, None));
        // Intact is raised to mild; lost cannot go further.
        let r = assess_with(&sheet(90), &dementia).unwrap();
        assert_eq!(r.level, CapabilityLevel::Mild);
        let r = assess_with(&sheet(10), &falls).unwrap();
        assert_eq!(r.level, CapabilityLevel::Lost);
        assert!(r.adjustment.unwrap().ends_with("等级不变"));
    }

    #[test]
    fn rejects_over_maximum_missing_and_unknown_items_naming_each() {
        let mut scores = with(sheet(60), "mobility.stairs", 4);
        scores.remove("mental.memory");
        scores.insert("mental.mood".to_owned(), 1);
        let errors = assess(&scores).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(|e| e.criterion.as_str()).collect();
        assert_eq!(codes, ["mobility.stairs", "mental.memory", "mental.mood"]);
        assert!(errors[0].message.starts_with("“上下楼梯（"));
        assert!(errors[0].message.ends_with("得分 4 超过该项满分 3 分"));
        assert!(errors[1].message.starts_with("“记忆（"));
        assert!(errors[1].message.ends_with("未评分"));
    }

    #[test]
    fn a_bedridden_85_year_old_after_a_stroke() {
        // Scored by hand against tables B.1-B.4. Eats with some contact help
        // and coughs on food now and then (进食 2); grooming, upper dressing
        // and bladder mostly done by a carer with her cooperation (1 each);
        // bathing, lower dressing and toileting wholly done for her (0
        // each); bowels need a little help (2): 自理能力 2+1+0+1+0+1+2+0 = 7.
        // Turns and transfers mostly by a carer (1, 1), cannot walk or climb
        // (0, 0): 基础运动能力 2. Mixes up the date (时间定向 3); cannot go
        // out alone but knows much about where she lives (空间定向 2); knows
        // most of the people she lives with (人物定向 3); loses new words
        // within minutes (记忆 3); understands given time (理解 3); speaks
        // with difficulty (表达 2); no aggression (1); low mood this month
        // (抑郁 0); awake (意识 2): 精神状态 3+2+3+3+3+2+1+0+2 = 19. Reads
        // large print (1), hard of hearing (1), no errands (0), no outings
        // (0), talks readily with visitors (3): 感知觉与社会参与 5. Total
        // 7 + 2 + 19 + 5 = 33: 能力重度受损（重度失能）. She choked on food
        // twice this month (A.2.14 噎食), which raises her to 能力完全丧失.
        let scores: BTreeMap<String, u32> = [
            ("self_care.eating", 2),
            ("self_care.grooming", 1),
            ("self_care.bathing", 0),
            ("self_care.dressing_upper", 1),
            ("self_care.dressing_lower", 0),
            ("self_care.bladder", 1),
            ("self_care.bowel", 2),
            ("self_care.toileting", 0),
            ("mobility.bed_turning", 1),
            ("mobility.bed_chair_transfer", 1),
            ("mobility.walking", 0),
            ("mobility.stairs", 0),
            ("mental.time_orientation", 3),
            ("mental.place_orientation", 2),
            ("mental.person_orientation", 3),
            ("mental.memory", 3),
            ("mental.comprehension", 3),
            ("mental.expression", 2),
            ("mental.aggression", 1),
            ("mental.depression", 0),
            ("mental.consciousness", 2),
            ("perception.vision", 1),
            ("perception.hearing", 1),
            ("perception.daily_affairs", 0),
            ("perception.transport", 0),
            ("perception.social", 3),
        ]
        .into_iter()
        .map(|(code, s)| (code.to_owned(), s))
        .collect();
        let r = assess(&scores).unwrap();
        assert_eq!(r.total, 33);
        let subtotals: Vec<u32> = r.subtotals.iter().map(|(_, got, _)| *got).collect();
        assert_eq!(subtotals, [7, 2, 19, 5]);
        assert_eq!(r.level, CapabilityLevel::Severe);

        let choked_twice = LevelChangeBasis {
            risk_events_30_days: 2,
            ..LevelChangeBasis::default()
        };
        let r = assess_with(&scores, &choked_twice).unwrap();
        assert_eq!(r.initial_level, CapabilityLevel::Severe);
        assert_eq!(r.level, CapabilityLevel::Lost);
        assert_eq!(
            r.adjustment.as_deref(),
            Some("近 30 天内发生过 2 次照护风险事件（2 次及以上）；在原有能力级别上提高一个等级")
        );
    }

    #[test]
    fn levels_read_their_codes_and_labels() {
        for level in CapabilityLevel::ALL {
            assert_eq!(CapabilityLevel::parse(level.as_str()), Some(level));
            assert_eq!(CapabilityLevel::parse(level.label()), Some(level));
        }
        use CapabilityLevel::*;
        assert_eq!(CapabilityLevel::parse(" 中度失能 "), Some(Moderate));
        assert_eq!(CapabilityLevel::parse("能力重度受损"), Some(Severe));
        assert_eq!(CapabilityLevel::parse("能力完全丧失(完全失能)"), Some(Lost));
        assert_eq!(CapabilityLevel::parse("半失能"), None);
        assert_eq!(CapabilityLevel::parse(""), None);
        assert!(Intact < Mild && Severe < Lost);
    }
}
