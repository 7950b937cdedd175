//! GB 11643 ID numbers: any text either parses or is refused, never panics;
//! what parses prints back to itself and masks to 18 characters.
#![no_main]
use kangyang_domain::IdNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(id) = IdNumber::parse(&text) {
        let again = IdNumber::parse(id.as_str()).expect("a parsed number parses again");
        assert_eq!(again.as_str(), id.as_str());
        assert_eq!(id.masked().chars().count(), 18);
    }
});
