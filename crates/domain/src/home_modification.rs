//! Age-friendly home modification (居家适老化改造): the steps of a case, the
//! Ministry's recommended list of items, and recognising the before/after
//! photos.
//!
//! The list is the annex to 民政部、国家发展改革委、财政部、住房和城乡建设部、国家卫生
//! 健康委、银保监会、国务院扶贫办、中国残联、全国老龄办《关于加快实施老年人居家适老化
//! 改造工程的指导意见》(民发〔2020〕86号), 附件《老年人居家适老化改造项目和老年用品
//! 配置推荐清单》: 30 items in 7 groups, 7 basic (基础类: what government
//! subsidises for elderly households in special difficulty) and 23 optional
//! (可选类: bought by the household if it wishes).
//!
//! How the list below was checked: the groups, the counts and the seven basic
//! items (floor anti-slip, level differences/ramps, bed rails, toilet and
//! shower handrails, shower chair, walking stick, anti-wandering device) as
//! reported by 北京日报 on 2020-07-21; items 1-9 with their basic/optional
//! marks as reproduced in a Hefei district's 2021 action plan; the names of
//! items 10-29 as summarised by the Ganzhou civil-affairs bureau. Not seen in
//! any source we could read, and taken from memory of the annex: item 15
//! (水龙头改造) and item 30 (安全监控装置), the order of items within groups 3-7,
//! and whether item 22 also names 提示标识. Check against the annex before
//! relying on the numbering.

use crate::coded::coded_enum;
use crate::date::CivilDate;
use crate::money::Fen;
use serde::Serialize;

coded_enum!(
    /// The steps of a modification case. Codes are stable API values.
    CaseState {
        Applied = "applied", "申请";
        Assessed = "assessed", "评估";
        Designed = "designed", "设计";
        Works = "works", "施工";
        Accepted = "accepted", "验收";
        Paid = "paid", "已拨付";
        Withdrawn = "withdrawn", "撤回";
    }
);

impl CaseState {
    /// The next step of the normal course; `None` once paid or withdrawn.
    pub fn next(self) -> Option<CaseState> {
        match self {
            CaseState::Applied => Some(CaseState::Assessed),
            CaseState::Assessed => Some(CaseState::Designed),
            CaseState::Designed => Some(CaseState::Works),
            CaseState::Works => Some(CaseState::Accepted),
            CaseState::Accepted => Some(CaseState::Paid),
            CaseState::Paid | CaseState::Withdrawn => None,
        }
    }

    /// Paid and withdrawn cases are closed: nothing follows them.
    pub fn is_closed(self) -> bool {
        self.next().is_none()
    }

    /// Whether a case may move from this step to `to`: to the next step, or
    /// withdrawn at any step before payment. Steps are not skipped, so every
    /// case has its assessment, design and acceptance on record; works that
    /// fail acceptance stay in 施工 until they are put right. The error says
    /// why not, in Chinese, for the user.
    pub fn can_move_to(self, to: CaseState) -> Result<(), String> {
        match self {
            CaseState::Paid => return Err("资金已拨付，案件已办结，不能再变更".into()),
            CaseState::Withdrawn => {
                return Err("案件已撤回，不能再变更；如仍需改造，请重新申请".into())
            }
            _ => {}
        }
        if to == self {
            return Err(format!("案件已处于“{}”环节", self.label()));
        }
        if to == CaseState::Withdrawn || self.next() == Some(to) {
            return Ok(());
        }
        let next = self.next().map_or("", CaseState::label);
        Err(format!(
            "不能从“{}”转到“{}”：下一步应为“{next}”，或撤回",
            self.label(),
            to.label()
        ))
    }

    /// How long a case may sit in this step before it counts as stuck
    /// (days), `None` for closed cases. Our defaults, not from a national
    /// document: half a month to assess and to design, a month to start and
    /// finish the works, a month from acceptance to payment.
    pub fn default_limit_days(self) -> Option<u32> {
        match self {
            CaseState::Applied | CaseState::Assessed => Some(15),
            CaseState::Designed | CaseState::Works | CaseState::Accepted => Some(30),
            CaseState::Paid | CaseState::Withdrawn => None,
        }
    }

    /// Whether a case that entered this step on `since` is stuck on `today`
    /// under the default limit.
    pub fn is_stuck(self, since: CivilDate, today: CivilDate) -> bool {
        self.default_limit_days()
            .is_some_and(|limit| since.days_until(today) > i64::from(limit))
    }
    /// Accepted and paid cases are done: the works have passed acceptance,
    /// which is what the annual target counts.
    pub fn is_done(self) -> bool {
        matches!(self, CaseState::Accepted | CaseState::Paid)
    }

    /// The items of a case may change until the works are accepted: what
    /// was accepted (and then paid for) is the record.
    pub fn items_editable(self) -> bool {
        matches!(
            self,
            CaseState::Applied | CaseState::Assessed | CaseState::Designed | CaseState::Works
        )
    }
}

/// Whether a case with `items` items on its design may move from `from` to
/// `to`: the steps of [`CaseState::can_move_to`], and a design needs at
/// least one item of the list (the design is the list of what will be done).
pub fn check_move(from: CaseState, to: CaseState, items: usize) -> Result<(), String> {
    from.can_move_to(to)?;
    if to == CaseState::Designed && items == 0 {
        return Err("设计方案还没有改造项目：请先添加至少一项，再转到“设计”".into());
    }
    Ok(())
}

/// The largest quantity of one item on a case: a household needs a few grab
/// bars or lamps, not dozens.
pub const MAX_QUANTITY: i64 = 20;

/// The largest unit cost of one item (20,000 yuan): several times the
/// dearest item's typical cost (a care bed), so a typing slip of an extra
/// zero or two is caught.
pub const MAX_UNIT_COST: Fen = Fen(2_000_000);

/// The largest photo accepted (5 MiB): a phone photo at full size is 2-4 MB.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The most photos one case keeps (before and after together).
pub const MAX_PHOTOS_PER_CASE: i64 = 30;

coded_enum!(
    /// Whether a photo shows the home before or after the works.
    PhotoPhase {
        Before = "before", "改造前";
        After = "after", "改造后";
    }
);

impl PhotoPhase {
    /// Whether a photo of this phase may be added to a case in `state`.
    /// Before photos are taken from the assessment visit on (the assessor
    /// records the home as found) until the works are under way; after photos
    /// from the works until acceptance, which checks the works against them.
    pub fn allowed_in(self, state: CaseState) -> Result<(), String> {
        let ok = match self {
            PhotoPhase::Before => matches!(
                state,
                CaseState::Assessed | CaseState::Designed | CaseState::Works
            ),
            PhotoPhase::After => matches!(state, CaseState::Works | CaseState::Accepted),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            PhotoPhase::Before => format!(
                "改造前照片应在评估至施工环节上传，案件现处于“{}”环节",
                state.label()
            ),
            PhotoPhase::After => format!(
                "改造后照片应在施工或验收环节上传，案件现处于“{}”环节",
                state.label()
            ),
        })
    }
}

/// One item of the recommended list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModificationItem {
    pub code: &'static str,
    pub group: &'static str,
    pub name: &'static str,
    pub basic: bool,
    /// a typical cost in fen for budgeting (our estimate, configurable)
    pub typical_cost: Fen,
}

/// The seven groups of the list, in its order.
pub const GROUPS: [&str; 7] = [
    "地面改造",
    "门改造",
    "卧室改造",
    "如厕洗浴设备改造",
    "厨房设备改造",
    "物理环境改造",
    "老年用品配置",
];

const fn item(
    code: &'static str,
    group: usize,
    name: &'static str,
    basic: bool,
    typical_yuan: i64,
) -> ModificationItem {
    ModificationItem {
        code,
        group: GROUPS[group],
        name,
        basic,
        typical_cost: Fen(typical_yuan * 100),
    }
}

// Typical costs are our own budgeting estimates for a rural Guangdong
// household (materials and labour), not from the annex: with them the seven
// basic items come to 2,030 yuan a household.
static ITEMS: [ModificationItem; 30] = [
    item("floor_anti_slip", 0, "防滑处理", true, 800),
    item("floor_level_difference", 0, "高差处理", true, 300),
    item("floor_levelling", 0, "平整硬化", false, 1000),
    item("floor_handrail", 0, "安装扶手", false, 200),
    item("door_threshold_removal", 1, "门槛移除", false, 200),
    item("door_sliding", 1, "平开门改为推拉门", false, 1200),
    item("door_widening", 1, "房门拓宽", false, 1500),
    item("door_lever_handle", 1, "下压式门把手改造", false, 100),
    item("door_flashing_bell", 1, "安装闪光振动门铃", false, 150),
    item("bedroom_care_bed", 2, "配置护理床", false, 2500),
    item("bedroom_bed_rail", 2, "安装床边护栏（抓杆）", true, 200),
    item("bedroom_pressure_cushion", 2, "配置防压疮垫", false, 400),
    item("bath_handrail", 3, "安装扶手", true, 300),
    item("bath_sitting_toilet", 3, "蹲便器改坐便器", false, 1200),
    item("bath_tap", 3, "水龙头改造", false, 150),
    item("bath_tub_shower", 3, "浴缸/淋浴房改造", false, 1500),
    item("bath_shower_chair", 3, "配置淋浴椅", true, 150),
    item("kitchen_counter", 4, "台面改造", false, 2000),
    item("kitchen_mid_cabinet", 4, "加设中部柜", false, 800),
    item("env_sensor_light", 5, "安装自动感应灯具", false, 100),
    item("env_socket_switch", 5, "电源插座及开关改造", false, 300),
    item("env_corner_guard", 5, "安装防撞护角/防撞条", false, 100),
    item("env_furniture", 5, "适老家具配置", false, 800),
    item("aid_walking_stick", 6, "手杖", true, 80),
    item("aid_wheelchair_walker", 6, "轮椅/助行器", false, 600),
    item("aid_magnifier", 6, "放大装置", false, 100),
    item("aid_hearing_aid", 6, "助听器", false, 1500),
    item("aid_eating_utensils", 6, "自助进食器具", false, 100),
    item("aid_anti_wandering", 6, "防走失装置", true, 200),
    item("aid_safety_monitor", 6, "安全监控装置", false, 600),
];

/// The Ministry of Civil Affairs' 2020 recommended list (民政部等九部门《关于
/// 加快实施老年人居家适老化改造工程的指导意见》民发〔2020〕86号, 附件《老年人居家
/// 适老化改造项目和老年用品配置推荐清单》): 30 items in 7 groups, 7 basic (基础类)
/// and 23 optional (可选类), in the annex's order. See the module
/// documentation for which parts we could confirm.
pub fn recommended_items() -> &'static [ModificationItem] {
    &ITEMS
}

/// The item with this code.
pub fn item_by_code(code: &str) -> Option<&'static ModificationItem> {
    ITEMS.iter().find(|i| i.code == code)
}

/// The image type of a before/after photo, read from its first bytes (its
/// content, not its file name): "image/jpeg", "image/png" or "image/webp";
/// `None` for anything else.
pub fn photo_kind(bytes: &[u8]) -> Option<&'static str> {
    // JPEG: SOI marker FF D8 then the next marker's FF (ITU-T T.81).
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    // PNG: the fixed 8-byte signature (PNG specification, §5.2).
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    // WebP: a RIFF container whose form type is "WEBP" (RFC 9649 §2).
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn states_read_codes_and_labels() {
        for &s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
            assert_eq!(CaseState::parse(s.label()), Some(s));
        }
        assert_eq!(CaseState::parse("已拨付"), Some(CaseState::Paid));
        assert_eq!(CaseState::parse("完成"), None);
    }

    #[test]
    fn a_case_moves_one_step_at_a_time() {
        let mut state = CaseState::Applied;
        let mut steps = vec![state];
        while let Some(next) = state.next() {
            assert_eq!(state.can_move_to(next), Ok(()));
            state = next;
            steps.push(state);
        }
        assert_eq!(
            steps,
            [
                CaseState::Applied,
                CaseState::Assessed,
                CaseState::Designed,
                CaseState::Works,
                CaseState::Accepted,
                CaseState::Paid
            ]
        );
        assert!(CaseState::Paid.is_closed());
        assert!(CaseState::Withdrawn.is_closed());
        assert!(!CaseState::Works.is_closed());
    }

    #[test]
    fn skipping_or_going_back_is_refused_with_the_right_next_step() {
        assert_eq!(
            CaseState::Applied.can_move_to(CaseState::Works),
            Err("不能从“申请”转到“施工”：下一步应为“评估”，或撤回".into())
        );
        assert_eq!(
            CaseState::Works.can_move_to(CaseState::Assessed),
            Err("不能从“施工”转到“评估”：下一步应为“验收”，或撤回".into())
        );
        assert_eq!(
            CaseState::Designed.can_move_to(CaseState::Paid),
            Err("不能从“设计”转到“已拨付”：下一步应为“施工”，或撤回".into())
        );
        assert_eq!(
            CaseState::Works.can_move_to(CaseState::Works),
            Err("案件已处于“施工”环节".into())
        );
    }

    #[test]
    fn withdrawal_is_possible_until_payment_and_nothing_follows_a_closed_case() {
        for &s in &CaseState::ALL[..5] {
            assert_eq!(s.can_move_to(CaseState::Withdrawn), Ok(()), "{s:?}");
        }
        for &to in CaseState::ALL {
            assert_eq!(
                CaseState::Paid.can_move_to(to),
                Err("资金已拨付，案件已办结，不能再变更".into())
            );
            assert_eq!(
                CaseState::Withdrawn.can_move_to(to),
                Err("案件已撤回，不能再变更；如仍需改造，请重新申请".into())
            );
        }
    }

    #[test]
    fn open_cases_have_limits_and_get_stuck_after_them() {
        for &s in CaseState::ALL {
            assert_eq!(s.default_limit_days().is_some(), !s.is_closed(), "{s:?}");
        }
        let entered = date("2024-02-01");
        // Applied: 15 days allowed.
        assert!(!CaseState::Applied.is_stuck(entered, date("2024-02-16")));
        assert!(CaseState::Applied.is_stuck(entered, date("2024-02-17")));
        assert!(!CaseState::Works.is_stuck(entered, date("2024-03-02")));
        assert!(CaseState::Works.is_stuck(entered, date("2024-03-03")));
        assert!(!CaseState::Paid.is_stuck(entered, date("2030-01-01")));
    }

    #[test]
    fn done_cases_and_editable_items() {
        let done: Vec<_> = CaseState::ALL.iter().filter(|s| s.is_done()).collect();
        assert_eq!(done, [&CaseState::Accepted, &CaseState::Paid]);
        let editable: Vec<_> = CaseState::ALL
            .iter()
            .filter(|s| s.items_editable())
            .collect();
        assert_eq!(
            editable,
            [
                &CaseState::Applied,
                &CaseState::Assessed,
                &CaseState::Designed,
                &CaseState::Works
            ]
        );
    }

    #[test]
    fn a_design_needs_an_item() {
        assert_eq!(
            check_move(CaseState::Assessed, CaseState::Designed, 0),
            Err("设计方案还没有改造项目：请先添加至少一项，再转到“设计”".into())
        );
        assert_eq!(
            check_move(CaseState::Assessed, CaseState::Designed, 1),
            Ok(())
        );
        // Withdrawal needs no item; the step rules still apply.
        assert_eq!(
            check_move(CaseState::Assessed, CaseState::Withdrawn, 0),
            Ok(())
        );
        assert!(check_move(CaseState::Applied, CaseState::Designed, 3).is_err());
    }

    #[test]
    fn before_photos_from_assessment_after_photos_from_works() {
        let allowed = |phase: PhotoPhase| -> Vec<CaseState> {
            CaseState::ALL
                .iter()
                .copied()
                .filter(|s| phase.allowed_in(*s).is_ok())
                .collect()
        };
        assert_eq!(
            allowed(PhotoPhase::Before),
            [CaseState::Assessed, CaseState::Designed, CaseState::Works]
        );
        assert_eq!(
            allowed(PhotoPhase::After),
            [CaseState::Works, CaseState::Accepted]
        );
        assert_eq!(
            PhotoPhase::After.allowed_in(CaseState::Designed),
            Err("改造后照片应在施工或验收环节上传，案件现处于“设计”环节".into())
        );
        assert_eq!(PhotoPhase::parse("改造前"), Some(PhotoPhase::Before));
        assert_eq!(PhotoPhase::parse("after"), Some(PhotoPhase::After));
        assert_eq!(PhotoPhase::parse("during"), None);
    }

    #[test]
    fn the_list_has_30_items_7_of_them_basic() {
        let items = recommended_items();
        assert_eq!(items.len(), 30);
        assert_eq!(items.iter().filter(|i| i.basic).count(), 7);
        let basic: Vec<_> = items.iter().filter(|i| i.basic).map(|i| i.name).collect();
        assert_eq!(
            basic,
            [
                "防滑处理",
                "高差处理",
                "安装床边护栏（抓杆）",
                "安装扶手",
                "配置淋浴椅",
                "手杖",
                "防走失装置"
            ]
        );
        let per_group: Vec<usize> = GROUPS
            .iter()
            .map(|g| items.iter().filter(|i| i.group == *g).count())
            .collect();
        assert_eq!(per_group, [4, 5, 3, 5, 2, 4, 7]);
        let mut codes: Vec<_> = items.iter().map(|i| i.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 30);
        assert!(items.iter().all(|i| i.typical_cost > Fen(0)));
        let basic_cost: i64 = items
            .iter()
            .filter(|i| i.basic)
            .map(|i| i.typical_cost.0)
            .sum();
        assert_eq!(Fen(basic_cost), Fen::from_yuan(2030));
        assert_eq!(
            item_by_code("bath_shower_chair").map(|i| i.name),
            Some("配置淋浴椅")
        );
        assert_eq!(item_by_code("nope"), None);
    }

    #[test]
    fn photos_are_recognised_by_their_first_bytes() {
        assert_eq!(
            photo_kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(photo_kind(&[0xFF, 0xD8, 0xFF]), Some("image/jpeg"));
        assert_eq!(
            photo_kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(photo_kind(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        // A RIFF file of another kind (a WAV sound) is not a photo.
        assert_eq!(photo_kind(b"RIFF\x24\0\0\0WAVEfmt "), None);
        // Truncated signatures, other formats, text and nothing at all.
        assert_eq!(photo_kind(&[0xFF, 0xD8]), None);
        assert_eq!(photo_kind(b"\x89PNG\r\n"), None);
        assert_eq!(photo_kind(b"RIFF\x24\0\0\0WEB"), None);
        assert_eq!(photo_kind(b"GIF89a"), None);
        assert_eq!(photo_kind(b"%PDF-1.7"), None);
        assert_eq!(photo_kind(b"photo.jpg"), None);
        assert_eq!(photo_kind(&[]), None);
    }
}
