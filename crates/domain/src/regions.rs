//! Statistical division codes (统计用区划代码) of the National Bureau of Statistics,
//! whose first six digits are the GB/T 2260 administrative division code.
//!
//! A code is hierarchical by digits: province 2, city 4, county 6, town 9 and
//! village 12 digits. Everything under a region therefore shares its code as a
//! prefix, which is how data scope is expressed throughout kangyang.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The five levels of the statistical division tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Town,
    Village,
}

impl RegionLevel {
    /// The number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Town => 9,
            RegionLevel::Village => 12,
        }
    }

    fn from_code_len(len: usize) -> Option<Self> {
        match len {
            2 => Some(RegionLevel::Province),
            4 => Some(RegionLevel::City),
            6 => Some(RegionLevel::County),
            9 => Some(RegionLevel::Town),
            12 => Some(RegionLevel::Village),
            _ => None,
        }
    }

    /// 1 for a province down to 5 for a village: the value stored in the database.
    pub fn depth(self) -> i64 {
        match self {
            RegionLevel::Province => 1,
            RegionLevel::City => 2,
            RegionLevel::County => 3,
            RegionLevel::Town => 4,
            RegionLevel::Village => 5,
        }
    }

    pub fn from_depth(depth: i64) -> Option<Self> {
        [
            RegionLevel::Province,
            RegionLevel::City,
            RegionLevel::County,
            RegionLevel::Town,
            RegionLevel::Village,
        ]
        .into_iter()
        .find(|l| l.depth() == depth)
    }

    /// The Chinese name of the level, as shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县/区",
            RegionLevel::Town => "镇/街道",
            RegionLevel::Village => "村/社区",
        }
    }
}

/// Whether a village-level unit is urban or rural.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrbanRural {
    /// 居民委员会: sequence 001-199.
    Urban,
    /// 村民委员会: sequence 200-399.
    Rural,
}

impl UrbanRural {
    pub fn as_str(self) -> &'static str {
        match self {
            UrbanRural::Urban => "urban",
            UrbanRural::Rural => "rural",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "urban" => Some(UrbanRural::Urban),
            "rural" => Some(UrbanRural::Rural),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UrbanRural::Urban => "城镇",
            UrbanRural::Rural => "农村",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a region code has only digits")]
    NotDigits,
    #[error("a region code has 2, 4, 6, 9 or 12 digits, not {0}")]
    BadLength(usize),
}

/// A statistical division code of 2, 4, 6, 9 or 12 digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, RegionCodeError> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits);
        }
        RegionLevel::from_code_len(s.len()).ok_or(RegionCodeError::BadLength(s.len()))?;
        Ok(RegionCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        // The length was checked on construction.
        RegionLevel::from_code_len(self.0.len()).unwrap_or(RegionLevel::Village)
    }

    /// The enclosing region, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let len = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::County => 4,
            RegionLevel::Town => 6,
            RegionLevel::Village => 9,
        };
        Some(RegionCode(self.0[..len].to_owned()))
    }

    /// This code and the codes of every region above it, province first.
    pub fn ancestry(&self) -> Vec<RegionCode> {
        let mut chain = vec![self.clone()];
        while let Some(parent) = chain.last().and_then(RegionCode::parent) {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    /// True when `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The half-open range `[lo, hi)` of codes in this region's subtree, for an
    /// indexed range scan. `hi` is the prefix with its last digit raised by one
    /// byte ('9' becomes ':'), which sorts after every digit in byte order; the
    /// PostgreSQL schema declares code columns `COLLATE "C"` so that holds there too.
    pub fn subtree_range(&self) -> (String, String) {
        let mut hi = self.0.clone().into_bytes();
        if let Some(last) = hi.last_mut() {
            *last += 1;
        }
        (self.0.clone(), String::from_utf8_lossy(&hi).into_owned())
    }

    /// Urban or rural, for a village-level code, by the NBS coding rule: the last
    /// three digits 001-199 are residents' committees (居委会), 200-399 villagers'
    /// committees (村委会). Other sequences (e.g. 4xx special units) are neither.
    pub fn urban_rural(&self) -> Option<UrbanRural> {
        if self.level() != RegionLevel::Village {
            return None;
        }
        let seq: u32 = self.0[9..].parse().ok()?;
        match seq {
            1..=199 => Some(UrbanRural::Urban),
            200..=399 => Some(UrbanRural::Rural),
            _ => None,
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_code_length() {
        assert_eq!(
            RegionCode::parse("44").unwrap().level(),
            RegionLevel::Province
        );
        assert_eq!(
            RegionCode::parse("4407").unwrap().level(),
            RegionLevel::City
        );
        assert_eq!(
            RegionCode::parse("440784").unwrap().level(),
            RegionLevel::County
        );
        assert_eq!(
            RegionCode::parse("440784103").unwrap().level(),
            RegionLevel::Town
        );
        assert_eq!(
            RegionCode::parse("440784103202").unwrap().level(),
            RegionLevel::Village
        );
    }

    #[test]
    fn rejects_malformed_codes() {
        assert_eq!(
            RegionCode::parse("4407841"),
            Err(RegionCodeError::BadLength(7))
        );
        assert_eq!(RegionCode::parse("44a7"), Err(RegionCodeError::NotDigits));
        assert_eq!(RegionCode::parse(""), Err(RegionCodeError::BadLength(0)));
        assert_eq!(RegionCode::parse("４４"), Err(RegionCodeError::NotDigits));
    }

    #[test]
    fn ancestry_runs_from_province_to_self() {
        let chain: Vec<String> = RegionCode::parse("440784103202")
            .unwrap()
            .ancestry()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(chain, ["44", "4407", "440784", "440784103", "440784103202"]);
    }

    #[test]
    fn subtree_is_a_prefix_range() {
        let gulao = RegionCode::parse("440784103").unwrap();
        let (lo, hi) = gulao.subtree_range();
        assert_eq!((lo.as_str(), hi.as_str()), ("440784103", "440784104"));
        let in_range = |c: &str| c >= lo.as_str() && c < hi.as_str();
        assert!(in_range("440784103202"));
        assert!(!in_range("440784104201"));
        let ends_in_nine = RegionCode::parse("440789").unwrap().subtree_range();
        assert!("440789999999" < ends_in_nine.1.as_str());
        assert!("44079" >= ends_in_nine.1.as_str());
        assert!(gulao.contains(&RegionCode::parse("440784103202").unwrap()));
        assert!(!gulao.contains(&RegionCode::parse("440784").unwrap()));
    }

    #[test]
    fn urban_rural_by_village_sequence() {
        let ur = |c: &str| RegionCode::parse(c).unwrap().urban_rural();
        assert_eq!(ur("440784103002"), Some(UrbanRural::Urban));
        assert_eq!(ur("440784103199"), Some(UrbanRural::Urban));
        assert_eq!(ur("440784103200"), Some(UrbanRural::Rural));
        assert_eq!(ur("440784103399"), Some(UrbanRural::Rural));
        assert_eq!(ur("440784103400"), None);
        assert_eq!(ur("440784103"), None);
    }
}
