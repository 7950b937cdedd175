//! An Excel upload (xlsx, or xls): open and read every row.
#![no_main]
use kangyang_app::sheet::{map_headers, SheetFormat, SheetReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [SheetFormat::Xlsx, SheetFormat::Xls] {
        let Ok(mut reader) = SheetReader::open(data.to_vec(), format) else {
            continue;
        };
        let _ = map_headers(reader.headers());
        for _ in 0..10_000 {
            match reader.next_row() {
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    }
});
