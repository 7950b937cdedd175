//! A CSV upload: read every row and check it as the importer does.
#![no_main]
use kangyang_app::sheet::{map_headers, SheetFormat, SheetReader};
use kangyang_domain::person::parse_person;
use kangyang_domain::CivilDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = SheetReader::open(data.to_vec(), SheetFormat::Csv) else {
        return;
    };
    let map = map_headers(reader.headers());
    let today = CivilDate::new(2026, 11, 26).expect("a date");
    for _ in 0..10_000 {
        match reader.next_row() {
            Some(Ok((_, cells))) => {
                let _ = parse_person(&map.raw_person(&cells), today);
            }
            Some(Err(_)) | None => break,
        }
    }
});
