//! The citizen identification number (公民身份号码) of GB 11643-1999.
//!
//! Eighteen characters: a six-digit address code (GB/T 2260), an eight-digit
//! birth date `YYYYMMDD`, a three-digit sequence code whose odd values go to
//! men and even values to women, and a check character computed with
//! ISO 7064:1983 MOD 11-2, which is a digit or `X` (standing for ten).
//!
//! An ID number is sensitive personal information (PIPL art. 28). Nothing in
//! this module puts one into an error message or a `Debug` string, and the
//! type has no `Display`: show [`IdNumber::masked`] and reach for
//! [`IdNumber::as_str`] only where a role may see the whole number.

use crate::date::CivilDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 7064 MOD 11-2 weights of positions 1-17: 2^(18-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum mod 11
/// (GB 11643-1999, 7.2): the value that makes the full sum ≡ 1 (mod 11).
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Birth years before this are taken as typing errors: nobody on a register
/// today was born earlier (the standard's own example is born in 1880).
const EARLIEST_BIRTH_YEAR: u16 = 1800;

/// The check character of an ID number from its first 17 characters
/// (ISO 7064 MOD 11-2, as GB 11643-1999 7.2 applies it), or `None` unless
/// `first17` is exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Whether the first two digits are a province-level code of GB/T 2260, or
/// the codes 81/82/83 used on residence permits of Hong Kong, Macao and Taiwan
/// residents. Numbers of the 2023 foreigner's permanent residence card
/// (外国人永久居留身份证) share the layout and check character but start
/// with 9, so those are accepted too.
fn plausible_address_code(code: &str) -> bool {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if code.starts_with('9') {
        return true;
    }
    matches!(
        code[..2].parse::<u8>(),
        Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83)
    )
}

/// Scientific notation such as `4.40784E+17`: what Excel shows, and what a
/// CSV export writes, once an ID number has been stored as a number.
pub(crate) fn is_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    int.len() == 1 && digits(int) && digits(frac) && !exponent.is_empty() && digits(exponent)
}

/// Whitespace (the full-width space U+3000 included) and the invisible
/// characters spreadsheets and web forms leave around values.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}'
}

/// The ASCII character for a full-width form such as `０`-`９`, `Ｘ` or `＋`
/// (U+FF01-U+FF5E are ASCII shifted by 0xFEE0); any other character unchanged.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Reads the code (`male`) or the label (男): the API returns the code,
    /// sheets and exports carry the label.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "male" | "男" => Some(Sex::Male),
            "female" | "女" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// What is wrong with an ID number. The messages are for the person who typed
/// or imported it; none repeats the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("身份证号为空")]
    Empty,
    /// The cell held a number in scientific notation: its last digits are gone
    /// and cannot be recovered from the sheet.
    #[error(
        "身份证号被 Excel 存成了数字（科学计数法），末几位已丢失；请把该列设为“文本”格式后重新录入"
    )]
    ExcelNumber,
    /// Ends in `000` and fails the check: most likely a number Excel kept to
    /// 15 significant digits. (A genuine number ending in `000` passes.)
    #[error("身份证号末三位为 000 且校验不通过，很可能被 Excel 存成数字后丢失了末三位；请把该列设为“文本”格式后重新录入")]
    ExcelTruncated,
    #[error("身份证号应为 18 位，实际为 {0} 位")]
    WrongLength(usize),
    /// `position` counts from 1.
    #[error("身份证号第 {position} 位不是数字")]
    NotDigit { position: usize },
    #[error("身份证号第 18 位（校验码）只能是数字 0-9 或大写 X")]
    BadCheckCharacter,
    #[error("身份证号前 6 位不是有效的行政区划代码")]
    BadAddressCode,
    #[error("身份证号第 7-14 位不是有效的出生日期")]
    BadBirthDate,
    #[error("身份证号中的出生日期晚于今天")]
    FutureBirthDate,
    /// Only from [`IdNumber::from_parts`].
    #[error("顺序码应在 000-999 之间")]
    BadSequence,
    /// Any single mistyped character gives this (or a date error); the
    /// expected character is computed from the first 17, which may themselves
    /// be the ones mistyped.
    #[error("校验码错误，按前 17 位计算应为 {expected}；请核对号码是否有误")]
    WrongCheck { expected: char },
}

/// A valid GB 11643-1999 citizen identification number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdNumber {
    text: String,
    birth: CivilDate,
}

impl IdNumber {
    /// Checks the exact text: 18 characters, a plausible address code, a real
    /// birth date and the right check character, with `X` in upper case. For
    /// text from a form or a spreadsheet use [`repair`] first.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        if s.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if is_scientific_notation(s) {
            return Err(IdNumberError::ExcelNumber);
        }
        let len = s.chars().count();
        if len != 18 {
            return Err(IdNumberError::WrongLength(len));
        }
        if let Some(i) = s.chars().take(17).position(|c| !c.is_ascii_digit()) {
            return Err(IdNumberError::NotDigit { position: i + 1 });
        }
        // All 18 characters are ASCII from here on, so byte slicing is safe.
        let last = s.as_bytes()[17];
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(IdNumberError::BadCheckCharacter);
        }
        if !plausible_address_code(&s[..6]) {
            return Err(IdNumberError::BadAddressCode);
        }
        let birth = CivilDate::parse(&s[6..14])
            .ok()
            .filter(|d| d.year() >= EARLIEST_BIRTH_YEAR)
            .ok_or(IdNumberError::BadBirthDate)?;
        let expected = check_char(&s[..17]).ok_or(IdNumberError::BadCheckCharacter)?;
        if char::from(last) != expected {
            return Err(if s.ends_with("000") {
                IdNumberError::ExcelTruncated
            } else {
                IdNumberError::WrongCheck { expected }
            });
        }
        Ok(IdNumber {
            text: s.to_owned(),
            birth,
        })
    }

    /// [`IdNumber::parse`], also rejecting a birth date after `today`.
    pub fn parse_as_of(s: &str, today: CivilDate) -> Result<Self, IdNumberError> {
        let id = IdNumber::parse(s)?;
        if id.birth > today {
            return Err(IdNumberError::FutureBirthDate);
        }
        Ok(id)
    }

    /// Builds the number for an address code, a birth date and a sequence
    /// code (0-999), computing the check character. Used to generate demo data.
    pub fn from_parts(address: &str, birth: CivilDate, seq: u16) -> Result<Self, IdNumberError> {
        if !plausible_address_code(address) {
            return Err(IdNumberError::BadAddressCode);
        }
        if birth.year() < EARLIEST_BIRTH_YEAR {
            return Err(IdNumberError::BadBirthDate);
        }
        if seq > 999 {
            return Err(IdNumberError::BadSequence);
        }
        let first17 = format!("{address}{}{seq:03}", birth.compact());
        let check = check_char(&first17).ok_or(IdNumberError::BadAddressCode)?;
        Ok(IdNumber {
            text: format!("{first17}{check}"),
            birth,
        })
    }

    /// The whole number. Only for roles that may see it, and audited there.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The six-digit address code of the place of first registration; it
    /// does not follow the person when they move.
    pub fn address_code(&self) -> &str {
        &self.text[..6]
    }

    pub fn birth_date(&self) -> CivilDate {
        self.birth
    }

    /// The three-digit sequence code (GB 11643-1999, 6.3).
    pub fn sequence(&self) -> u16 {
        self.text[14..17].parse().unwrap_or(0)
    }

    /// Odd sequence codes are given to men, even ones to women.
    pub fn sex(&self) -> Sex {
        if self.sequence() % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years (周岁) on `today`; 0 if `today` is before the birth.
    pub fn age_on(&self, today: CivilDate) -> u32 {
        self.birth.full_years_until(today)
    }

    /// The form shown to most users: first four and last four characters,
    /// `4407**********123X`.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.text[..4], "*".repeat(10), &self.text[14..])
    }

    /// The last `n` characters (all 18 if `n` is larger), e.g. for finding a
    /// person by the tail of their number.
    pub fn last_digits(&self, n: usize) -> &str {
        &self.text[18 - n.min(18)..]
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// A change [`repair`] made to the text before reading it, reported so an
/// importer can warn that the sheet was not clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repair {
    /// Leading or trailing whitespace, including the full-width space U+3000.
    Trimmed,
    /// Full-width characters such as `０-９` and `Ｘ` turned into ASCII.
    FullWidth,
    /// A trailing lower-case `x` turned into `X`.
    LowercaseX,
    /// Spaces inside the number (`440784 19500301 1234`, as people type it
    /// in groups; also the full-width and no-break spaces) removed. No digit
    /// is guessed: the 18 characters are those typed, in their order.
    InnerSpaces,
}

impl Repair {
    pub fn label(self) -> &'static str {
        match self {
            Repair::Trimmed => "去除了首尾空白",
            Repair::FullWidth => "全角字符已转为半角",
            Repair::LowercaseX => "末位小写 x 已改为大写 X",
            Repair::InnerSpaces => "删除了号码中间的空格",
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The outcome of [`repair`]: the ID number read from the cleaned text, and
/// the repairs it took (empty when the text was already clean).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    pub result: Result<IdNumber, IdNumberError>,
    pub repairs: Vec<Repair>,
}

/// Reads an ID number as people type it into forms and spreadsheets: trims
/// whitespace (also the full-width space and zero-width characters), removes
/// the spaces people put between the groups of digits, turns
/// full-width digits and `Ｘ` into ASCII and a trailing `x` into `X`, then
/// parses. Text Excel stored as a number comes back as
/// [`IdNumberError::ExcelNumber`] or [`IdNumberError::ExcelTruncated`].
pub fn repair(raw: &str) -> Repaired {
    let mut repairs = Vec::new();
    let trimmed = raw.trim_matches(is_blank);
    if trimmed.len() != raw.len() {
        repairs.push(Repair::Trimmed);
    }
    let joined: String = trimmed.chars().filter(|c| !is_blank(*c)).collect();
    if joined.len() != trimmed.len() {
        repairs.push(Repair::InnerSpaces);
    }
    let mut text: String = joined.chars().map(halfwidth).collect();
    if text != joined {
        repairs.push(Repair::FullWidth);
    }
    if text.chars().count() == 18 && text.ends_with('x') {
        text.pop();
        text.push('X');
        repairs.push(Repair::LowercaseX);
    }
    Repaired {
        result: IdNumber::parse(&text),
        repairs,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    /// Valid numbers built in the test by computing their check characters,
    /// covering both sexes, a leap day and a check character of X.
    fn valid_ids() -> Vec<IdNumber> {
        let mut ids = vec![
            IdNumber::from_parts("440784", date("1958-03-21"), 123).unwrap(),
            IdNumber::from_parts("445302", date("2015-11-30"), 246).unwrap(),
            IdNumber::from_parts("110105", date("1949-12-31"), 2).unwrap(),
            IdNumber::from_parts("440784", date("2000-02-29"), 7).unwrap(),
        ];
        let with_x = (0..1000)
            .map(|seq| IdNumber::from_parts("440703", date("1987-07-01"), seq).unwrap())
            .find(|id| id.as_str().ends_with('X'))
            .unwrap();
        ids.push(with_x);
        ids
    }

    #[test]
    fn accepts_the_examples_of_the_standard() {
        // GB 11643-1999, appendix A.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.address_code(), "110105");
        assert_eq!(id.birth_date(), date("1949-12-31"));
        assert_eq!(id.sequence(), 2);
        assert_eq!(id.sex(), Sex::Female);
        let id = IdNumber::parse("440524188001010014").unwrap();
        assert_eq!(id.birth_date(), date("1880-01-01"));
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("44052418800101001"), Some('4'));
    }

    #[test]
    fn check_char_needs_seventeen_digits() {
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("110105194912310021"), None);
        assert_eq!(check_char("1101051949123100a"), None);
        assert_eq!(check_char("１１010519491231002"), None);
    }

    #[test]
    fn every_single_digit_change_is_rejected() {
        for id in valid_ids() {
            let original: Vec<char> = id.as_str().chars().collect();
            for pos in 0..18 {
                for digit in ('0'..='9').chain(['X']) {
                    if digit == original[pos] || (digit == 'X' && pos < 17) {
                        continue;
                    }
                    let mut changed = original.clone();
                    changed[pos] = digit;
                    let changed: String = changed.into_iter().collect();
                    let err = IdNumber::parse(&changed).unwrap_err();
                    assert!(
                        matches!(
                            err,
                            IdNumberError::WrongCheck { .. }
                                | IdNumberError::BadBirthDate
                                | IdNumberError::BadAddressCode
                                | IdNumberError::ExcelTruncated
                        ),
                        "position {pos} changed to {digit}: {err:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_check_names_the_right_character() {
        let id = valid_ids().remove(0);
        let first17 = &id.as_str()[..17];
        let right = id.as_str().chars().last().unwrap();
        let wrong = if right == '0' { '1' } else { '0' };
        let err = IdNumber::parse(&format!("{first17}{wrong}")).unwrap_err();
        assert_eq!(err, IdNumberError::WrongCheck { expected: right });
        assert_eq!(
            err.to_string(),
            format!("校验码错误，按前 17 位计算应为 {right}；请核对号码是否有误")
        );
    }

    #[test]
    fn structural_errors_are_specific() {
        let p = IdNumber::parse;
        assert_eq!(p(""), Err(IdNumberError::Empty));
        assert_eq!(p("44078419580321123"), Err(IdNumberError::WrongLength(17)));
        assert_eq!(
            p("4407841958032112345"),
            Err(IdNumberError::WrongLength(19))
        );
        assert_eq!(
            p("4407841958O321123X"),
            Err(IdNumberError::NotDigit { position: 11 })
        );
        assert_eq!(
            p("４40784195803211234"),
            Err(IdNumberError::NotDigit { position: 1 })
        );
        assert_eq!(
            p("44078419580321123x"),
            Err(IdNumberError::BadCheckCharacter)
        );
        assert_eq!(
            p("44078419580321123Y"),
            Err(IdNumberError::BadCheckCharacter)
        );
        assert_eq!(p("000000195803211234"), Err(IdNumberError::BadAddressCode));
        assert_eq!(p("440784195802301234"), Err(IdNumberError::BadBirthDate));
        assert_eq!(p("440784170001011234"), Err(IdNumberError::BadBirthDate));
        assert_eq!(p("4.40784E+17"), Err(IdNumberError::ExcelNumber));
        assert_eq!(p("4.40784195803211E+17"), Err(IdNumberError::ExcelNumber));
    }

    #[test]
    fn a_number_excel_cut_to_fifteen_digits_is_recognised() {
        // Excel keeps 15 significant digits, so the last three become 000.
        let id = IdNumber::from_parts("440784", date("1958-03-21"), 123).unwrap();
        let truncated = format!("{}000", &id.as_str()[..15]);
        assert_eq!(
            IdNumber::parse(&truncated),
            Err(IdNumberError::ExcelTruncated)
        );
        // A real number that happens to end in 000 is accepted.
        let genuine = (0..1000)
            .map(|seq| IdNumber::from_parts("440784", date("1958-03-21"), seq).unwrap())
            .find(|id| id.as_str().ends_with("000"))
            .unwrap();
        assert!(IdNumber::parse(genuine.as_str()).is_ok());
    }

    #[test]
    fn future_birth_dates_are_rejected_when_checked() {
        let id = IdNumber::from_parts("440784", date("2025-06-01"), 11).unwrap();
        assert!(IdNumber::parse_as_of(id.as_str(), date("2025-06-01")).is_ok());
        assert_eq!(
            IdNumber::parse_as_of(id.as_str(), date("2025-05-31")),
            Err(IdNumberError::FutureBirthDate)
        );
    }

    #[test]
    fn reads_sex_age_and_parts() {
        let id = IdNumber::from_parts("440784", date("1958-03-21"), 123).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.sequence(), 123);
        assert_eq!(id.age_on(date("2023-03-20")), 64);
        assert_eq!(id.age_on(date("2023-03-21")), 65);
        assert_eq!(id.age_on(date("1950-01-01")), 0);
        let girl = IdNumber::from_parts("445302", date("2015-11-30"), 246).unwrap();
        assert_eq!(girl.sex(), Sex::Female);
        assert_eq!(girl.address_code(), "445302");
    }

    #[test]
    fn masks_all_but_four_at_each_end() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        assert_eq!(id.last_digits(4), "002X");
        assert_eq!(id.last_digits(0), "");
        assert_eq!(id.last_digits(99), id.as_str());
    }

    #[test]
    fn from_parts_checks_its_inputs() {
        let d = date("1990-01-01");
        assert_eq!(
            IdNumber::from_parts("44078", d, 1),
            Err(IdNumberError::BadAddressCode)
        );
        assert_eq!(
            IdNumber::from_parts("990784", d, 1).map(|id| id.address_code().to_owned()),
            Ok("990784".to_owned())
        );
        assert_eq!(
            IdNumber::from_parts("440784", d, 1000),
            Err(IdNumberError::BadSequence)
        );
        assert_eq!(
            IdNumber::from_parts("440784", date("1799-12-31"), 1),
            Err(IdNumberError::BadBirthDate)
        );
        let id = IdNumber::from_parts("440784", d, 5).unwrap();
        assert_eq!(&id.as_str()[..17], "44078419900101005");
        assert_eq!(IdNumber::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn repair_cleans_spreadsheet_text_and_says_what_it_did() {
        let clean = repair("11010519491231002X");
        assert_eq!(clean.repairs, []);
        assert!(clean.result.is_ok());

        let r = repair("\u{3000} 11010519491231002x\t");
        assert_eq!(r.repairs, [Repair::Trimmed, Repair::LowercaseX]);
        assert_eq!(r.result.unwrap().as_str(), "11010519491231002X");

        let r = repair("１１０１０５１９４９１２３１００２Ｘ");
        assert_eq!(r.repairs, [Repair::FullWidth]);
        assert_eq!(r.result.unwrap().as_str(), "11010519491231002X");

        let r = repair("１１０１０５１９４９１２３１００２ｘ");
        assert_eq!(r.repairs, [Repair::FullWidth, Repair::LowercaseX]);
        assert_eq!(r.result.unwrap().as_str(), "11010519491231002X");

        let r = repair("\u{feff}4.40784E+17 ");
        assert_eq!(r.repairs, [Repair::Trimmed]);
        assert_eq!(r.result, Err(IdNumberError::ExcelNumber));

        // Groups typed with spaces, ordinary, ideographic (U+3000) or
        // no-break (U+00A0), are joined.
        for spaced in [
            "110105 19491231 002X",
            "110105\u{3000}19491231\u{3000}002X",
            "110105\u{a0}19491231\u{a0}002X",
            " 110 105 1949 1231 002 x ",
        ] {
            let r = repair(spaced);
            assert!(r.repairs.contains(&Repair::InnerSpaces), "{spaced:?}");
            assert_eq!(r.result.unwrap().as_str(), "11010519491231002X");
        }
        // Spaces do not make a short number long enough.
        let r = repair("110105 1949123 002X");
        assert_eq!(r.result, Err(IdNumberError::WrongLength(17)));

        // A lower-case x elsewhere is not silently changed.
        let r = repair("1101051949123100x2");
        assert_eq!(r.result, Err(IdNumberError::NotDigit { position: 17 }));
    }

    #[test]
    fn messages_never_repeat_the_number() {
        let bad = [
            "4407841958032112",
            "440784195803211230",
            "440784195802301234",
            "4407841958O321123X",
            "4.40784195803211E+17",
            "440784195803211000",
        ];
        for raw in bad {
            let message = repair(raw).result.unwrap_err().to_string();
            assert!(!message.contains(&raw[..8]), "{message}");
            assert!(!message.contains("19580321"), "{message}");
        }
    }

    #[test]
    fn sex_names_round_trip() {
        for sex in [Sex::Male, Sex::Female] {
            assert_eq!(Sex::parse(sex.as_str()), Some(sex));
            assert_eq!(Sex::parse(sex.label()), Some(sex));
        }
        assert_eq!(Sex::parse("未知"), None);
        assert_eq!(Sex::Female.label(), "女");
    }
}
