//! The rules behind the figures: age bands, who counts as needing which kind
//! of facility, the unmet needs demand mining looks for, and the suppression
//! of small counts in published statistics.

use crate::facility::FacilityKind;
use serde::{Deserialize, Serialize};

/// Age bands of the dashboards: children (未成年人, under 18), working age,
/// and the elderly (60+, 老年人权益保障法 art. 2) in the ten-year bands the
/// civil-affairs statistics use for the old (60-69 低龄, 70-79 中龄, 80+ 高龄).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under18,
    From18To59,
    From60To69,
    From70To79,
    Over80,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under18,
        AgeBand::From18To59,
        AgeBand::From60To69,
        AgeBand::From70To79,
        AgeBand::Over80,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0_17",
            AgeBand::From18To59 => "18_59",
            AgeBand::From60To69 => "60_69",
            AgeBand::From70To79 => "70_79",
            AgeBand::Over80 => "80_plus",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0-17 岁",
            AgeBand::From18To59 => "18-59 岁",
            AgeBand::From60To69 => "60-69 岁",
            AgeBand::From70To79 => "70-79 岁",
            AgeBand::Over80 => "80 岁及以上",
        }
    }

    pub fn parse(s: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.as_str() == s.trim())
    }

    /// The youngest age in the band.
    pub fn min_age(self) -> u16 {
        match self {
            AgeBand::Under18 => 0,
            AgeBand::From18To59 => 18,
            AgeBand::From60To69 => 60,
            AgeBand::From70To79 => 70,
            AgeBand::Over80 => 80,
        }
    }

    /// The age the band stops before (none for the last band).
    pub fn end_age(self) -> Option<u16> {
        match self {
            AgeBand::Under18 => Some(18),
            AgeBand::From18To59 => Some(60),
            AgeBand::From60To69 => Some(70),
            AgeBand::From70To79 => Some(80),
            AgeBand::Over80 => None,
        }
    }
}

/// The people a kind of facility is for, when coverage asks how far they
/// live from the nearest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedGroup {
    /// Everyone aged 60 and over.
    Elderly,
    /// Disabled people of working age (18-59), whom Kangyuan centres take in
    /// day care (the brief: disabled adults).
    DisabledAdults,
    /// Children in need (困境儿童) under 18.
    ChildrenInNeed,
    /// Whom social workers visit on schedule: elderly living alone and
    /// children in need (the "double hundred" stations' remit).
    VisitedBySocialWorkers,
    /// Elderly or disabled people, for partner clinics.
    ElderlyOrDisabled,
}

impl NeedGroup {
    pub fn of(kind: FacilityKind) -> NeedGroup {
        match kind {
            FacilityKind::KangyuanCentre => NeedGroup::DisabledAdults,
            FacilityKind::WelfareHome => NeedGroup::ChildrenInNeed,
            FacilityKind::SocialWorkStation => NeedGroup::VisitedBySocialWorkers,
            FacilityKind::Clinic => NeedGroup::ElderlyOrDisabled,
            FacilityKind::NursingHome
            | FacilityKind::HomeCareCentre
            | FacilityKind::ElderCanteen
            | FacilityKind::SocialWelfareCentre
            | FacilityKind::CareQualityCentre => NeedGroup::Elderly,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NeedGroup::Elderly => "elderly",
            NeedGroup::DisabledAdults => "disabled_adults",
            NeedGroup::ChildrenInNeed => "children_in_need",
            NeedGroup::VisitedBySocialWorkers => "visited_by_social_workers",
            NeedGroup::ElderlyOrDisabled => "elderly_or_disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NeedGroup::Elderly => "60 岁及以上老年人",
            NeedGroup::DisabledAdults => "18-59 岁残疾人",
            NeedGroup::ChildrenInNeed => "困境儿童（未满 18 岁）",
            NeedGroup::VisitedBySocialWorkers => "独居老人和困境儿童",
            NeedGroup::ElderlyOrDisabled => "老年人和残疾人",
        }
    }
}

/// A need the register shows and no record shows being met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmetNeed {
    /// A disabled person aged 18-59 with no current enrolment in any facility.
    DisabledNotEnrolled,
    /// An elderly person living alone whose capability is impaired (GB/T
    /// 42195-2022 level mild or worse), not visited in the last
    /// [`UNVISITED_DAYS`] days and with no canteen meal this month.
    ElderlyAloneUnserved,
    /// A child in need under 18 whose village no social-work station serves.
    ChildWithoutSocialWorker,
}

/// How long without a visit leaves an impaired elderly person living alone
/// counted as unserved: a quarter, the longest interval of the default visit
/// rules for them.
pub const UNVISITED_DAYS: i64 = 90;

impl UnmetNeed {
    pub const ALL: [UnmetNeed; 3] = [
        UnmetNeed::DisabledNotEnrolled,
        UnmetNeed::ElderlyAloneUnserved,
        UnmetNeed::ChildWithoutSocialWorker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "disabled_not_enrolled",
            UnmetNeed::ElderlyAloneUnserved => "elderly_alone_unserved",
            UnmetNeed::ChildWithoutSocialWorker => "child_without_social_worker",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "未入托任何机构的 18-59 岁残疾人",
            UnmetNeed::ElderlyAloneUnserved => "能力受损、90 天未探访且本月未助餐的独居老人",
            UnmetNeed::ChildWithoutSocialWorker => "所在村（社区）无社工站服务的困境儿童",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "残疾人未入托",
            UnmetNeed::ElderlyAloneUnserved => "独居老人无服务",
            UnmetNeed::ChildWithoutSocialWorker => "困境儿童无社工",
        }
    }
}

/// Counts below this are not published: one of 1-4 people could be
/// singled out (the common small-cell rule of official statistics, e.g. the
/// threshold of 5 the brief asks for).
pub const PUBLIC_MIN_COUNT: i64 = 5;

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PublicCount {
    /// Shown as it is (0, or 5 and over).
    Shown(i64),
    /// 1-4: shown as "<5".
    Small,
    /// A part of a count that is itself under 5: 0-4, shown as "<5" too, a
    /// zero included, so that how many parts are non-zero (four parts of
    /// a "<5" total would each be 1) is not given away.
    PartOfSmall,
    /// 5 or more, but hidden because with the published totals it would
    /// give a small count away (secondary suppression).
    Hidden,
}

impl PublicCount {
    pub fn text(self) -> String {
        match self {
            PublicCount::Shown(n) => n.to_string(),
            PublicCount::Small | PublicCount::PartOfSmall => format!("<{PUBLIC_MIN_COUNT}"),
            PublicCount::Hidden => "—".to_owned(),
        }
    }

    /// The values a reader who knows these rules can tell the count lies in
    /// from its mark alone: `(lo, hi)`, `hi` = [`UNBOUNDED`] for "no limit".
    fn range(self) -> (i64, i64) {
        match self {
            PublicCount::Shown(n) => (n, n),
            PublicCount::Small => (1, PUBLIC_MIN_COUNT - 1),
            PublicCount::PartOfSmall => (0, PUBLIC_MIN_COUNT - 1),
            PublicCount::Hidden => (PUBLIC_MIN_COUNT, UNBOUNDED),
        }
    }
}

/// Publishes one count on its own: 1-4 become "<5".
pub fn public_count(n: i64) -> PublicCount {
    if n > 0 && n < PUBLIC_MIN_COUNT {
        PublicCount::Small
    } else {
        PublicCount::Shown(n)
    }
}

/// "No upper limit" in the ranges a reader can work out.
const UNBOUNDED: i64 = i64::MAX / 4;

/// One count of a tree of published counts (a region's, whose parent's count
/// is the sum of its children's). Parents come before their children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeCount {
    /// The index of the parent in the same slice; none for the root.
    pub parent: Option<usize>,
    pub value: i64,
    /// False for a part that is counted in its parent's total but never
    /// printed (people in a region no longer current). It is treated as
    /// known to the reader: the cautious assumption.
    pub printed: bool,
}

/// Decides, once for a whole tree of counts (a province's regions down to
/// the villages), how each count is published, so that a count reads the
/// same on every page that prints it (a county's on the city's page and on
/// its own) and no count under [`PUBLIC_MIN_COUNT`] can be worked out from
/// everything published together.
///
/// Why cell suppression and not rounding or noise: the portal's figures are
/// read next to the officials' exact dashboards and must add up to them;
/// rounding each cell (as ONS does) leaves totals that still pin small cells
/// when the rounding intervals meet at an edge (a "5" over a "5" and two
/// "<5" makes both 1), and noise (ABS's cell-key method) needs a per-record
/// key we do not keep. Suppression with an audit is what tau-ARGUS does for
/// hierarchical tables (Hundepool et al., *Statistical Disclosure Control*,
/// 2012, §4.4): primary suppression of 1-4, then secondary suppression until
/// an attacker who solves every "total = sum of parts" for the range each
/// hidden count can take finds none narrowed to one value.
///
/// The audit computes those ranges exactly: the equations of a region tree
/// form a tree (two equations share at most the one count of a region), and
/// on a tree one pass of range propagation up and one down gives the exact
/// bounds of every count.
pub fn public_tree(nodes: &[TreeCount]) -> Vec<PublicCount> {
    let n = nodes.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        if let Some(p) = node.parent.filter(|p| *p < i) {
            children[p].push(i);
        }
    }
    // Primary suppression, and the parts of a small count are small too.
    let mut marks: Vec<PublicCount> = Vec::with_capacity(n);
    for (i, node) in nodes.iter().enumerate() {
        let under_small = node
            .parent
            .filter(|p| *p < i)
            .is_some_and(|p| matches!(marks[p], PublicCount::Small | PublicCount::PartOfSmall));
        marks.push(if !node.printed {
            PublicCount::Shown(node.value)
        } else if under_small {
            PublicCount::PartOfSmall
        } else {
            public_count(node.value)
        });
    }
    // Secondary suppression: each round hides, for each count that can be
    // worked out, one shown neighbour in an equation it is part of (a
    // sibling or a part; a count above it only when no count can be fixed
    // so, since hiding one at a higher level spreads doubt over a whole
    // page). One hidden count per equation per round: the next round sees
    // whether that was enough. Every round hides at least one more count,
    // so this ends; should nothing be left to hide, every non-zero count is
    // hidden, which leaves no upper bound on any hidden count above 4.
    loop {
        let exposed = exposed(nodes, &children, &marks);
        if exposed.is_empty() {
            return marks;
        }
        let mut touched = vec![false; n];
        let mut above: Option<usize> = None;
        for x in exposed {
            if nodes[x].parent.is_some_and(|p| touched[p]) || touched[x] {
                continue;
            }
            match partner(nodes, &children, &marks, x) {
                Some((c, false)) => {
                    marks[c] = PublicCount::Hidden;
                    touched[c] = true;
                    if let Some(p) = nodes[c].parent {
                        touched[p] = true;
                    }
                }
                Some((c, true)) => {
                    above.get_or_insert(c);
                }
                None => {}
            }
        }
        if !touched.contains(&true) {
            match above {
                Some(c) => marks[c] = PublicCount::Hidden,
                None => {
                    for i in 0..n {
                        if hideable(nodes, &marks, i) {
                            marks[i] = PublicCount::Hidden;
                        }
                    }
                    return marks;
                }
            }
        }
    }
}

/// Whether a count is printed exactly and non-zero, so hiding it adds doubt.
fn hideable(nodes: &[TreeCount], marks: &[PublicCount], i: usize) -> bool {
    nodes[i].printed && nodes[i].value > 0 && marks[i] == PublicCount::Shown(nodes[i].value)
}

/// The count to hide so that `x` can no longer be worked out: its smallest
/// shown sibling, else its smallest shown part, else (`true`: a count above
/// it) the nearest shown count above it, else any shown count below it.
fn partner(
    nodes: &[TreeCount],
    children: &[Vec<usize>],
    marks: &[PublicCount],
    x: usize,
) -> Option<(usize, bool)> {
    let smallest = |set: &[usize]| {
        set.iter()
            .copied()
            .filter(|&i| i != x && hideable(nodes, marks, i))
            .min_by_key(|&i| (nodes[i].value, i))
    };
    if let Some(s) = nodes[x].parent.and_then(|p| smallest(&children[p])) {
        return Some((s, false));
    }
    if let Some(c) = smallest(&children[x]) {
        return Some((c, false));
    }
    let mut up = nodes[x].parent;
    while let Some(p) = up {
        if hideable(nodes, marks, p) {
            return Some((p, true));
        }
        up = nodes[p].parent;
    }
    let mut below: Vec<usize> = children[x].clone();
    while let Some(i) = below.pop() {
        if hideable(nodes, marks, i) {
            return Some((i, false));
        }
        below.extend(children[i].iter().copied());
    }
    None
}

fn add_hi(a: i64, b: i64) -> i64 {
    if a >= UNBOUNDED || b >= UNBOUNDED {
        UNBOUNDED
    } else {
        a + b
    }
}

/// The suppressed counts whose exact value follows from what is published.
fn exposed(nodes: &[TreeCount], children: &[Vec<usize>], marks: &[PublicCount]) -> Vec<usize> {
    let n = nodes.len();
    // Up: what a count's mark and its parts tell.
    let mut up: Vec<(i64, i64)> = marks.iter().map(|m| m.range()).collect();
    for i in (0..n).rev() {
        if children[i].is_empty() {
            continue;
        }
        let (mut lo, mut hi) = (0, 0);
        for &c in &children[i] {
            lo += up[c].0;
            hi = add_hi(hi, up[c].1);
        }
        up[i] = (up[i].0.max(lo), up[i].1.min(hi));
    }
    // Down: what the rest of the tree adds, through the parent's equation.
    let mut range = up.clone();
    for i in 0..n {
        let parts = &children[i];
        if parts.is_empty() {
            continue;
        }
        let (total_lo, total_hi) = range[i];
        let sum_lo: i64 = parts.iter().map(|&c| up[c].0).sum();
        let unbounded = parts.iter().filter(|&&c| up[c].1 >= UNBOUNDED).count();
        let sum_hi: i64 = parts
            .iter()
            .filter(|&&c| up[c].1 < UNBOUNDED)
            .map(|&c| up[c].1)
            .sum();
        for &c in parts {
            let (lo, hi) = up[c];
            let others_lo = sum_lo - lo;
            let others_unbounded = unbounded - usize::from(hi >= UNBOUNDED);
            let lo = if others_unbounded > 0 {
                lo
            } else {
                let others_hi = sum_hi - if hi >= UNBOUNDED { 0 } else { hi };
                lo.max(total_lo - others_hi)
            };
            let hi = if total_hi >= UNBOUNDED {
                hi
            } else {
                hi.min(total_hi - others_lo)
            };
            range[c] = (lo, hi);
        }
    }
    (0..n)
        .filter(|&i| nodes[i].printed && !matches!(marks[i], PublicCount::Shown(_)))
        .filter(|&i| range[i].0 >= range[i].1)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_tile_the_ages() {
        let mut age = 0;
        for b in AgeBand::ALL {
            assert_eq!(b.min_age(), age);
            assert_eq!(AgeBand::parse(b.as_str()), Some(b));
            match b.end_age() {
                Some(end) => age = end,
                None => assert_eq!(b, AgeBand::Over80),
            }
        }
    }

    #[test]
    fn small_counts_are_never_published() {
        assert_eq!(public_count(0).text(), "0");
        for n in 1..5 {
            assert_eq!(public_count(n).text(), "<5");
        }
        assert_eq!(public_count(5).text(), "5");
    }

    /// A tree from (parent, value) pairs, every count printed.
    fn tree(counts: &[(Option<usize>, i64)]) -> Vec<TreeCount> {
        counts
            .iter()
            .map(|&(parent, value)| TreeCount {
                parent,
                value,
                printed: true,
            })
            .collect()
    }

    fn texts(marks: &[PublicCount]) -> Vec<String> {
        marks.iter().map(|m| m.text()).collect()
    }

    #[test]
    fn a_lone_small_part_takes_a_partner_with_it() {
        // 22 = 0 + 7 + 3 + 12: with 7 shown, the 3 could be worked out.
        let t = tree(&[
            (None, 22),
            (Some(0), 0),
            (Some(0), 7),
            (Some(0), 3),
            (Some(0), 12),
        ]);
        assert_eq!(texts(&public_tree(&t)), ["22", "0", "—", "<5", "12"]);
        assert_eq!(
            texts(&public_tree(&tree(&[
                (None, 11),
                (Some(0), 5),
                (Some(0), 6)
            ]))),
            ["11", "5", "6"]
        );
    }

    #[test]
    fn small_parts_at_the_edge_of_their_range_take_a_partner() {
        // 12 = 10 + 1 + 1: the two "<5" must be 1 each unless more is hidden.
        let t = tree(&[(None, 12), (Some(0), 10), (Some(0), 1), (Some(0), 1)]);
        assert_eq!(texts(&public_tree(&t)), ["12", "—", "<5", "<5"]);
        // 16 = 8 + 4 + 4: both at the top of the range.
        let t = tree(&[(None, 16), (Some(0), 8), (Some(0), 4), (Some(0), 4)]);
        assert_eq!(texts(&public_tree(&t)), ["16", "—", "<5", "<5"]);
        // 7 = 6 + 1: hiding the 6 leaves the 1 between 1 and 2.
        let t = tree(&[(None, 7), (Some(0), 6), (Some(0), 1)]);
        assert_eq!(texts(&public_tree(&t)), ["7", "—", "<5"]);
    }

    #[test]
    fn a_hidden_count_is_hidden_on_its_own_page_too() {
        // City 30 = county 24 (towns 12 + 12) + county 6 (towns 3 + 3):
        // hiding a county's figure on the city page is not enough if its
        // towns, printed on its own page, add up to it.
        let t = tree(&[
            (None, 30),
            (Some(0), 24),
            (Some(0), 6),
            (Some(1), 12),
            (Some(1), 12),
            (Some(2), 3),
            (Some(2), 3),
        ]);
        // 6 = 3 + 3 leaves each 3 between 2 and 4: nothing more to hide.
        let marks = public_tree(&t);
        assert_eq!(marks[5], PublicCount::Small);
        assert_eq!(marks[2], PublicCount::Shown(6));
        // A city of 9 = 5 + 4 hides the 5; the 5's parts follow it.
        let t = tree(&[
            (None, 9),
            (Some(0), 5),
            (Some(0), 4),
            (Some(1), 0),
            (Some(1), 5),
        ]);
        let marks = public_tree(&t);
        assert_eq!(texts(&marks), ["9", "—", "<5", "0", "—"]);
    }

    #[test]
    fn the_parts_of_a_small_count_hide_their_zeros() {
        // 4 = 1 + 1 + 1 + 1 + 0: the non-zero parts would each be 1.
        let t = tree(&[
            (None, 40),
            (Some(0), 36),
            (Some(0), 4),
            (Some(2), 1),
            (Some(2), 1),
            (Some(2), 1),
            (Some(2), 1),
            (Some(2), 0),
        ]);
        let marks = public_tree(&t);
        assert_eq!(texts(&marks)[3..], ["<5", "<5", "<5", "<5", "<5"]);
        assert!(exposed(&t, &children_of(&t), &marks).is_empty());
    }

    fn children_of(t: &[TreeCount]) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); t.len()];
        for (i, n) in t.iter().enumerate() {
            if let Some(p) = n.parent {
                children[p].push(i);
            }
        }
        children
    }

    #[test]
    fn no_small_count_of_a_random_tree_can_be_worked_out() {
        // A deterministic spread of trees: 3 levels, 1-4 children, values
        // skewed small.
        let mut seed: u64 = 42;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..300 {
            let mut t: Vec<TreeCount> = vec![TreeCount {
                parent: None,
                value: 0,
                printed: true,
            }];
            let mut frontier = vec![0];
            for _level in 0..2 {
                let mut next_frontier = Vec::new();
                for p in frontier {
                    for _ in 0..=next(4) {
                        t.push(TreeCount {
                            parent: Some(p),
                            value: 0,
                            printed: true,
                        });
                        next_frontier.push(t.len() - 1);
                    }
                }
                frontier = next_frontier;
            }
            for &leaf in &frontier {
                t[leaf].value = [0, 1, 1, 2, 3, 4, 5, 6, 9, 20][next(10) as usize];
            }
            // Totals from the leaves up.
            for i in (1..t.len()).rev() {
                if !frontier.contains(&i) {
                    continue;
                }
                let v = t[i].value;
                let mut up = t[i].parent;
                while let Some(p) = up {
                    t[p].value += v;
                    up = t[p].parent;
                }
            }
            let marks = public_tree(&t);
            assert!(exposed(&t, &children_of(&t), &marks).is_empty());
            for (m, n) in marks.iter().zip(&t) {
                match m {
                    PublicCount::Shown(v) => assert_eq!(*v, n.value),
                    PublicCount::Small => assert!((1..5).contains(&n.value)),
                    PublicCount::PartOfSmall => assert!((0..5).contains(&n.value)),
                    PublicCount::Hidden => assert!(n.value >= 5),
                }
            }
        }
    }

    #[test]
    fn every_kind_has_a_need_group() {
        for k in FacilityKind::ALL {
            assert!(!NeedGroup::of(*k).label().is_empty());
        }
    }
}
