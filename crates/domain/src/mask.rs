//! Phone numbers, and the masked forms of sensitive values shown to users who
//! may not see them whole.
//!
//! Masking keeps a few characters at each end so staff can tell records apart
//! and read a number back to its owner, in the manner of the de-identification
//! examples of GB/T 35273-2020 (信息安全技术 个人信息安全规范), 3.14. Masking is done
//! on the server; the whole value is sent only to roles that may see it.

use crate::id_number::{halfwidth, is_blank, repair};
use std::fmt;

/// Any text masked with its length kept: a quarter of the characters stay
/// visible at each end (`4407**********1234` for 18), none when there are
/// fewer than four.
pub fn mask_generic(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let keep = chars.len() / 4;
    let stars = chars.len() - 2 * keep;
    let mut out: String = chars[..keep].iter().collect();
    out.push_str(&"*".repeat(stars));
    out.extend(&chars[chars.len() - keep..]);
    out
}

/// The masked form of an ID number as typed (`4407**********123X`); text that
/// is not a valid ID number, even after [`repair`], gets [`mask_generic`].
pub fn mask_id(raw: &str) -> String {
    match repair(raw).result {
        Ok(id) => id.masked(),
        Err(_) => mask_generic(raw.trim()),
    }
}

/// The masked form of a phone number as typed: `138****5678` for a mobile,
/// `0750-***8888` for a landline; text that is not a phone number gets
/// [`mask_generic`].
pub fn mask_phone(raw: &str) -> String {
    match normalise_phone(raw) {
        Ok(phone) => phone.masked(),
        Err(_) => mask_generic(raw.trim()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// 11 digits, `1[3-9]…`.
    Mobile,
    /// Area code and local number, `0750-8888888`.
    Landline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("电话号码为空")]
    Empty,
    #[error("电话号码只能含数字、空格、短横线、括号和 +86 前缀")]
    InvalidChar,
    #[error("固定电话缺少区号，请写成“区号-号码”，如 0750-8888888")]
    MissingAreaCode,
    #[error("电话号码应为 11 位手机号，或带区号的固定电话（如 0750-8888888）")]
    NotAPhoneNumber,
}

/// A mainland China phone number in its canonical form: `13812345678` or
/// `0750-8888888`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    text: String,
    kind: PhoneKind,
}

impl Phone {
    /// The whole number, canonical form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// `138****5678`, or `0750-***8888` for a landline.
    pub fn masked(&self) -> String {
        match self.kind {
            PhoneKind::Mobile => format!("{}****{}", &self.text[..3], &self.text[7..]),
            PhoneKind::Landline => {
                let (area, local) = self.text.split_once('-').unwrap_or(("", &self.text));
                let tail = &local[local.len().saturating_sub(4)..];
                format!("{area}-{}{tail}", "*".repeat(local.len() - tail.len()))
            }
        }
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// Reads a phone number as people write it: drops spaces, dashes and
/// brackets, turns full-width digits into ASCII and removes a `+86`/`0086`
/// country code, then accepts a mobile number or a landline with its area
/// code.
///
/// Numbering follows the MIIT telecommunications numbering plan (电信网编号
/// 计划): mobile numbers are 11 digits beginning 13-19; area codes are 010 and
/// 02x (three digits) or four digits beginning 03-09, followed by a local
/// number of 7 or 8 digits that does not begin with 0 or 1.
pub fn normalise_phone(raw: &str) -> Result<Phone, PhoneError> {
    let mut s = String::with_capacity(raw.len());
    for c in raw.chars().map(halfwidth) {
        match c {
            '-' | '—' | '–' | '(' | ')' => {}
            c if is_blank(c) => {}
            c => s.push(c),
        }
    }
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (digits, international) = if let Some(rest) = s.strip_prefix("+86") {
        (rest, true)
    } else if let Some(rest) = s.strip_prefix("0086") {
        (rest, true)
    } else if let Some(rest) = s
        .strip_prefix("86")
        .filter(|r| r.len() == 11 && r.starts_with('1'))
    {
        (rest, true)
    } else {
        (s.as_str(), false)
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::InvalidChar);
    }
    // In international form a landline drops its leading 0 (+86 750 …).
    let digits = if international && !digits.starts_with('1') {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    let b = digits.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return Ok(Phone {
            text: digits,
            kind: PhoneKind::Mobile,
        });
    }
    let local_ok = |local: &str| (7..=8).contains(&local.len()) && !local.starts_with(['0', '1']);
    if b.first() == Some(&b'0') {
        let area_len = if digits.starts_with("010") || digits.starts_with("02") {
            3
        } else {
            4
        };
        let (area, local) = digits.split_at(area_len.min(digits.len()));
        if area.len() == area_len && !area.starts_with("00") && local_ok(local) {
            return Ok(Phone {
                text: format!("{area}-{local}"),
                kind: PhoneKind::Landline,
            });
        }
        return Err(PhoneError::NotAPhoneNumber);
    }
    if local_ok(&digits) {
        return Err(PhoneError::MissingAreaCode);
    }
    Err(PhoneError::NotAPhoneNumber)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> String {
        normalise_phone(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn masks_a_mobile_number() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "138****5678");
        assert_eq!(mask_phone("0750-8888888"), "0750-***8888");
        assert_eq!(mask_phone("020 87654321"), "020-****4321");
        assert_eq!(mask_phone("12345"), "1***5");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn normalises_how_people_write_numbers() {
        assert_eq!(phone("138 1234 5678"), "13812345678");
        assert_eq!(phone("138-1234-5678"), "13812345678");
        assert_eq!(phone("１３８１２３４５６７８"), "13812345678");
        assert_eq!(phone("+86 13812345678"), "13812345678");
        assert_eq!(phone("＋86-138-1234-5678"), "13812345678");
        assert_eq!(phone("008613812345678"), "13812345678");
        assert_eq!(phone("8613812345678"), "13812345678");
        assert_eq!(phone("\u{3000}13812345678 "), "13812345678");
        assert_eq!(phone("0750-8888888"), "0750-8888888");
        assert_eq!(phone("(0750)88888888"), "0750-88888888");
        assert_eq!(phone("（0766）8888888"), "0766-8888888");
        assert_eq!(phone("010-66668888"), "010-66668888");
        assert_eq!(phone("+86 750 8888888"), "0750-8888888");
        assert_eq!(
            normalise_phone("13812345678").unwrap().kind(),
            PhoneKind::Mobile
        );
        assert_eq!(
            normalise_phone("0750-8888888").unwrap().kind(),
            PhoneKind::Landline
        );
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        let e = |raw: &str| normalise_phone(raw).unwrap_err();
        assert_eq!(e(""), PhoneError::Empty);
        assert_eq!(e(" - "), PhoneError::Empty);
        assert_eq!(e("138 1234 567a"), PhoneError::InvalidChar);
        assert_eq!(e("0750-8888888转123"), PhoneError::InvalidChar);
        assert_eq!(e("8888888"), PhoneError::MissingAreaCode);
        assert_eq!(e("88888888"), PhoneError::MissingAreaCode);
        for bad in [
            "1381234567",
            "138123456789",
            "12812345678",
            "0750-888888",
            "0750-888888888",
            "0750-0888888",
            "00750888888",
            "075",
            "95588",
        ] {
            assert_eq!(e(bad), PhoneError::NotAPhoneNumber, "{bad:?}");
        }
    }

    #[test]
    fn debug_shows_only_the_masked_number() {
        let p = normalise_phone("13812345678").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(138****5678)");
    }

    #[test]
    fn masks_id_numbers_valid_or_not() {
        assert_eq!(mask_id("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_id(" 11010519491231002x "), "1101**********002X");
        // Not valid (wrong check character): still masked, length kept.
        assert_eq!(mask_id("110105194912310021"), "1101**********0021");
        assert_eq!(mask_id("4.40784E+17"), "4.*******17");
        assert_eq!(mask_id("123"), "***");
    }

    #[test]
    fn generic_mask_keeps_length_and_a_quarter_at_each_end() {
        assert_eq!(mask_generic(""), "");
        assert_eq!(mask_generic("abc"), "***");
        assert_eq!(mask_generic("abcd"), "a**d");
        assert_eq!(mask_generic("张三丰你好吗"), "张****吗");
        assert_eq!(mask_generic("123456789012345678").chars().count(), 18);
    }
}
