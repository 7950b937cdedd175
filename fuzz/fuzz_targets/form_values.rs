//! The small parsers behind every form: money, dates, region codes, phone
//! numbers, image types. The first byte picks the parser.
#![no_main]
use kangyang_domain::money::Fen;
use kangyang_domain::{CivilDate, RegionCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 5 {
        0 => {
            if let Ok(f) = Fen::parse_yuan(&text) {
                // What is shown reads back to the same amount.
                assert_eq!(Fen::parse_yuan(&f.yuan_string()).ok(), Some(f));
            }
        }
        1 => {
            if let Ok(d) = CivilDate::parse(&text) {
                assert_eq!(CivilDate::parse(&d.to_string()).ok(), Some(d));
            }
        }
        2 => {
            if let Ok(code) = RegionCode::parse(&text) {
                let _ = code.subtree_range();
            }
        }
        3 => {
            let _ = kangyang_domain::mask::normalise_phone(&text);
        }
        _ => {
            let _ = kangyang_domain::home_modification::photo_kind(rest);
        }
    }
});
