//! The person form and every import row end in `parse_person`: arbitrary
//! values in arbitrary fields are accepted or refused field by field.
#![no_main]
use kangyang_domain::person::{parse_person, Field, RawPerson};
use kangyang_domain::CivilDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut raw = RawPerson::new();
    // Lines "n=value": n picks a field by its position.
    for line in text.split('\n') {
        let (n, value) = line.split_once('=').unwrap_or(("0", line));
        let n: usize = n.trim().parse().unwrap_or(0);
        let field = Field::ALL[n % Field::ALL.len()];
        raw.insert(field, value.to_owned());
    }
    let today = CivilDate::new(2026, 11, 26).expect("a date");
    let _ = parse_person(&raw, today);
});
