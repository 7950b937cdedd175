//! The password rules of MLPS 2.0 level 3 as this platform applies them:
//! at least 12 characters, at least three of the four character classes, and
//! not one of the passwords people commonly choose.

/// Passwords long and mixed enough to pass the other rules but guessed first by
/// any attacker: keyboard walks, "admin"/"password" with a year or "@123", and
/// the Chinese favourites (woaini, 1314, 520). Compared case-insensitively.
const COMMON: &str = include_str!("common_passwords.txt");

pub const MIN_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    #[error("密码至少需要 {MIN_LEN} 个字符")]
    TooShort,
    #[error("密码需包含大写字母、小写字母、数字、符号中的至少三类")]
    TooFewClasses,
    #[error("该密码过于常见，请换一个")]
    Common,
    #[error("不能使用最近用过的密码")]
    Reused,
    #[error("密码不能包含用户名")]
    ContainsUsername,
}

/// Checks a new password against the policy. `username` may not appear in it.
pub fn check(password: &str, username: &str) -> Result<(), PasswordRejection> {
    if password.chars().count() < MIN_LEN {
        return Err(PasswordRejection::TooShort);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Err(PasswordRejection::TooFewClasses);
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(PasswordRejection::ContainsUsername);
    }
    if is_common(&lower) {
        return Err(PasswordRejection::Common);
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l.eq_ignore_ascii_case(lower))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_classes_and_common_list() {
        assert_eq!(check("Ab1!", "u"), Err(PasswordRejection::TooShort));
        assert_eq!(
            check("abcdefghijkl", "u"),
            Err(PasswordRejection::TooFewClasses)
        );
        assert_eq!(check("Password@123", "u"), Err(PasswordRejection::Common));
        assert_eq!(check("PASSWORD@123", "u"), Err(PasswordRejection::Common));
        assert_eq!(
            check("Heshan-2026-ok", "heshan"),
            Err(PasswordRejection::ContainsUsername)
        );
        assert_eq!(check("Kangyuan-Gulao-350", "heshan"), Ok(()));
        // Three classes are enough: lower, digit, symbol.
        assert_eq!(check("gulao-350-kangyuan", "heshan"), Ok(()));
    }
}
