//! The work of a social-work station (社工站), as rules without I/O: what its
//! activities are, and how a social worker's training hours are written.

/// The kinds of a station's activities (code, label).
pub const ACTIVITY_KINDS: [(&str, &str); 4] = [
    ("group_activity", "小组活动"),
    ("community_event", "社区活动"),
    ("resident_training", "居民培训"),
    ("policy_publicity", "政策宣传"),
];

/// The label of an activity kind.
pub fn activity_label(code: &str) -> Option<&'static str> {
    ACTIVITY_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// Reads a training's length in hours ("3", "1.5") as tenths of an hour, so
/// it is stored as an integer. Between 0.1 and 200 hours (a long course), at
/// most one decimal.
pub fn parse_hours(s: &str) -> Result<u32, &'static str> {
    const MESSAGE: &str = "学时应为 0.1 至 200 之间的数，最多一位小数，如 1.5";
    let s = s.trim();
    let (whole, tenth) = match s.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return Err(MESSAGE),
        None => (s, "0"),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 3 {
        return Err(MESSAGE);
    }
    let (Ok(whole), Ok(tenth)) = (whole.parse::<u32>(), tenth.parse::<u32>()) else {
        return Err(MESSAGE);
    };
    let tenths = whole * 10 + tenth;
    if !(1..=2000).contains(&tenths) {
        return Err(MESSAGE);
    }
    Ok(tenths)
}

/// Tenths of an hour as written: 15 → "1.5", 30 → "3".
pub fn hours_string(tenths: i64) -> String {
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_in_tenths() {
        assert_eq!(parse_hours("3"), Ok(30));
        assert_eq!(parse_hours(" 1.5 "), Ok(15));
        assert_eq!(parse_hours("0.1"), Ok(1));
        assert_eq!(parse_hours("200"), Ok(2000));
        for bad in [
            "", "0", "0.0", "1.25", "-1", "200.1", "abc", ".5", "1e3", "1.",
        ] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
        assert_eq!(hours_string(15), "1.5");
        assert_eq!(hours_string(30), "3");
        assert_eq!(activity_label("policy_publicity"), Some("政策宣传"));
    }
}
