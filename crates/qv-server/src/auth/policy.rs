//! Password policy for new passwords (registration, `qv admin create-user`).
//!
//! A password must be 12 to 1,024 characters (counted as characters, not
//! bytes; the cap bounds the Argon2 input), use at least 5 different
//! characters, not be one of the 10,000 most common passwords (the list in
//! `assets/common-passwords.txt`, from the npm package
//! `@zxcvbn-ts/language-common` 4.1.3, MIT; compared case-insensitively) nor
//! such a password with only digits and symbols added before or after it
//! (`password1234`, `!qwertyuiop2024`), and not equal or contain the username or the email's local part
//! (case-insensitively; a local part shorter than 3 characters only may not
//! equal it). Each refusal names the rule that failed.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewest characters in a password.
pub const MIN_CHARS: usize = 12;
/// Most characters in a password.
pub const MAX_CHARS: usize = 1024;
/// Fewest different characters in a password.
pub const MIN_DISTINCT: usize = 5;
/// Shortest username or email local part that a password may not contain
/// (shorter ones it may only not equal: a one-letter local part would
/// otherwise forbid most passwords).
const MIN_CONTAINED: usize = 3;

static COMMON_TEXT: &str = include_str!("../../assets/common-passwords.txt");

/// The common-password list, lower case.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    COMMON_TEXT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
});

/// Whether `password` is on the common-password list (case-insensitively).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// Why a password is refused (`None`: accepted). The message starts with
/// `password: ` and names the rule.
pub fn check(password: &str, username: &str, email: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some(format!("password: must be at least {MIN_CHARS} characters (got {chars})"));
    }
    if chars > MAX_CHARS {
        return Some(format!("password: must be at most {MAX_CHARS} characters (got {chars})"));
    }
    let distinct = password.chars().collect::<HashSet<_>>().len();
    if distinct < MIN_DISTINCT {
        return Some(format!(
            "password: must use at least {MIN_DISTINCT} different characters (got {distinct})"
        ));
    }
    if is_common(password) {
        return Some(
            "password: is one of the 10,000 most common passwords; choose another".to_string(),
        );
    }
    // The most common way to pass a length rule: a listed word padded with
    // digits or symbols.
    let stem = password.trim_matches(|c: char| !c.is_alphabetic());
    if stem.chars().count() >= 4 && stem != password && is_common(stem) {
        return Some(
            "password: is a common password with digits or symbols added; choose another"
                .to_string(),
        );
    }
    let lower = password.to_lowercase();
    let local = email.rsplit_once('@').map_or(email, |(l, _)| l);
    for (part, what) in [(username, "the username"), (local, "the email address before `@`")] {
        let part = part.trim().to_lowercase();
        if part.is_empty() {
            continue;
        }
        let contained = part.chars().count() >= MIN_CONTAINED && lower.contains(&part);
        if lower == part || contained {
            return Some(format!("password: must not contain {what}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(password: &str) -> Option<String> {
        check(password, "alice", "alice.w@example.com")
    }

    #[test]
    fn the_list_is_the_top_10000() {
        assert_eq!(COMMON.len(), 10_000);
        // The first and a long entry of the source list.
        assert!(is_common("123456") && is_common("qwerty123456"));
        assert!(is_common("QWERTY123456"), "case-insensitive");
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn each_rule_names_itself() {
        let cases = [
            ("aaaaaaaaaa", "at least 12 characters (got 10)"),
            // 11 characters but 22 bytes: characters are counted.
            ("ééééééééééé", "at least 12 characters (got 11)"),
            ("aaaaaaaaaaaa", "at least 5 different characters (got 1)"),
            ("1q2w3e4r5t6y", "10,000 most common"),
            ("1Q2W3E4R5T6Y", "10,000 most common"),
            ("password1234", "common password with digits or symbols added"),
            ("!!Qwertyuiop2024", "common password with digits or symbols added"),
            ("my name is ALICE ok", "must not contain the username"),
            ("xx alice.w xx yy", "must not contain the username"),
            ("ALICE.W-and-more", "must not contain the username"),
        ];
        for (password, want) in cases {
            let got = rule(password).unwrap_or_default();
            assert!(got.starts_with("password: ") && got.contains(want), "{password}: {got}");
        }
        let long = "ab1-".repeat(300);
        assert!(rule(&long).unwrap().contains("at most 1024 characters (got 1200)"));
        let got = check("bob's long password", "robert", "bob@example.com").unwrap();
        assert!(got.contains("the email address before `@`"), "{got}");
    }

    #[test]
    fn good_passwords_pass() {
        assert_eq!(rule("correct horse battery staple"), None);
        assert_eq!(rule("ééééé-ñandú-12"), None);
        // Padding around a word that is not on the list is fine.
        assert_eq!(rule("2024-glockenspiel-88"), None);
        // A short local part is only refused when equal.
        assert_eq!(check("a long enough phrase", "bob", "a@example.com"), None);
    }
}
