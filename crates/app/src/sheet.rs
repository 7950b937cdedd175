//! The spreadsheets towns keep: reading CSV and Excel files row by row, the
//! import template, the workbook of rejected rows, and streaming xlsx export.
//!
//! Reading streams a CSV (a million rows in bounded memory) and an xlsx sheet
//! cell by cell, so memory follows what a file holds, never what it claims;
//! rows are bounded to [`MAX_COLUMNS`] columns. Every cell comes
//! back as text: what it means is decided by `kangyang_domain::register`, so an
//! ID number that Excel turned into a number is reported there, not repaired
//! here. Row numbers are those the user sees when the file is open in Excel.
//!
//! Errors say which row or column is wrong and never repeat a cell: cells hold
//! ID numbers and phone numbers.

use calamine::{Data, ExcelDateTime, Reader as _, SheetType, SheetVisible};
use kangyang_domain::register::{Field, PersonStatus, RawPerson};
use rust_xlsxwriter::{
    Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::mpsc;
use thiserror::Error;

/// Put at the start of a CSV download so Excel reads it as UTF-8; without it,
/// Chinese Excel assumes GBK and shows mojibake.
pub const CSV_BOM: &str = "\u{feff}";

/// The name of the first sheet of the import template.
pub const PERSON_SHEET: &str = "人员信息";
/// The name of the template's second sheet, which says what to fill in.
pub const GUIDE_SHEET: &str = "填写说明";
/// The columns the error workbook adds after the original ones: the row's
/// number in the imported file, and what is wrong with it. [`map_headers`]
/// ignores both, so a corrected error workbook can be imported as it is.
pub const ERROR_ROW_HEADER: &str = "原行号";
/// See [`ERROR_ROW_HEADER`].
pub const ERROR_MESSAGE_HEADER: &str = "错误说明";

/// Rows of the template (after the header) that get the drop-down lists.
const TEMPLATE_ROWS: u32 = 10_000;
/// Excel's limits per worksheet ("Excel specifications and limits").
const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// The columns a sheet may use. A register sheet has a few dozen (the
/// template has one per field, the error workbook two more); a cell with
/// content further right is refused, so a row costs at most this many cells
/// whatever a hostile file claims.
pub const MAX_COLUMNS: usize = 256;
/// The longest CSV row read, in bytes: 256 columns of an address's length
/// each fit many times over. A longer "row" (a file with no line breaks)
/// is refused before it fills memory.
const MAX_ROW_BYTES: usize = 1 << 20;
/// How much of a CSV is looked at to decide its encoding.
const SNIFF_LEN: usize = 64 * 1024;

/// What can go wrong reading or writing a sheet. Messages are shown to users;
/// the underlying cause, for logs, is the error's `source()`.
#[derive(Debug, Error)]
pub enum SheetError {
    #[error("文件为空，没有表头行")]
    Empty,
    #[error("文件不是有效的 {format} 工作簿（文件可能已损坏，或扩展名与内容不符）")]
    NotAWorkbook {
        format: &'static str,
        #[source]
        source: calamine::Error,
    },
    #[error("工作簿中没有工作表")]
    NoWorksheet,
    #[error("工作表无法读取，文件可能已损坏")]
    BadWorksheet(#[source] calamine::Error),
    #[error("CSV 文件是 UTF-16 编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入")]
    Utf16Csv,
    #[error("CSV 第 {row} 行无法读取：{reason}")]
    CsvRow {
        row: u64,
        reason: &'static str,
        #[source]
        source: Option<csv::Error>,
    },
    #[error("暂不支持导入 .xls（Excel 97-2003）文件：请在 Excel 中另存为“Excel 工作簿（.xlsx）”或“CSV UTF-8（逗号分隔）”后再导入")]
    OldExcel,
    #[error("第 {row} 行 {column} 列有内容，超出可导入的范围：每行最多 256 列（A 至 IV 列），请删除多余的列后再导入")]
    TooManyColumns { row: u64, column: String },
    #[error(
        "CSV 第 {row} 行有 {count} 列，超过可导入的上限 256 列：请删除多余的列（包括空列）后再导入"
    )]
    CsvTooManyColumns { row: u64, count: usize },
    #[error("CSV 第 {row} 行超过 1 MB，不是有效的登记表行：请检查文件的换行和引号")]
    CsvRowTooLong { row: u64 },
    #[error("工作表第 {row} 行的单元格顺序异常：请在 Excel 中打开后另存为 .xlsx 再导入")]
    RowsOutOfOrder { row: u64 },
    #[error("读写文件出错")]
    Io(#[from] std::io::Error),
    #[error("超出 Excel 工作表的上限（1,048,576 行、16,384 列），请分批导出或改用 CSV")]
    TooLarge,
    #[error("第 {row} 行 {column} 列的内容超过 Excel 单元格的上限（32,767 个字符）")]
    CellTooLong { row: u64, column: String },
    #[error("生成 xlsx 文件出错")]
    Write(#[source] XlsxError),
}

impl From<XlsxError> for SheetError {
    fn from(e: XlsxError) -> SheetError {
        match e {
            XlsxError::RowColumnLimitError => SheetError::TooLarge,
            other => SheetError::Write(other),
        }
    }
}

/// The kinds of file the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    /// Excel 2007 and later (.xlsx, .xlsm).
    Xlsx,
    /// Excel 97–2003 (.xls).
    Xls,
}

impl SheetFormat {
    /// The format a file name's extension names, ignoring case.
    pub fn from_file_name(name: &str) -> Option<SheetFormat> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(SheetFormat::Csv),
            "xlsx" | "xlsm" => Some(SheetFormat::Xlsx),
            "xls" => Some(SheetFormat::Xls),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SheetFormat::Csv => "CSV",
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Xls => "xls",
        }
    }
}

/// A sheet read row by row: the header row, then each non-blank data row
/// with its row number (1-based, as Excel shows it; blank rows are skipped
/// but still counted). Every data row has at least as many cells as the
/// header (short rows are padded with empty strings); a row may have more.
pub struct SheetReader {
    headers: Vec<String>,
    header_row: u64,
    source: Source,
}

enum Source {
    Csv(CsvRows),
    Sheet(SheetRows),
}

impl Source {
    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), SheetError>> {
        match self {
            Source::Csv(rows) => rows.next_row(),
            Source::Sheet(rows) => rows.next_row(),
        }
    }
}

impl SheetReader {
    /// Reads a file already in memory.
    pub fn open(bytes: Vec<u8>, format: SheetFormat) -> Result<SheetReader, SheetError> {
        match format {
            SheetFormat::Csv => SheetReader::open_reader(Cursor::new(bytes), format),
            SheetFormat::Xlsx | SheetFormat::Xls => {
                SheetReader::start(Source::Sheet(SheetRows::open(bytes, format)?))
            }
        }
    }

    /// Reads a file on disk; a CSV is streamed, never read whole.
    pub fn open_path(path: &Path, format: SheetFormat) -> Result<SheetReader, SheetError> {
        SheetReader::open_reader(File::open(path)?, format)
    }

    /// Reads from any source (an upload being received, say). A CSV is
    /// streamed; an Excel workbook is read whole, as its zip format needs.
    /// A "CSV" that is really an Excel workbook (a renamed file) is read as
    /// the workbook it is.
    pub fn open_reader(
        mut input: impl Read + Send + 'static,
        format: SheetFormat,
    ) -> Result<SheetReader, SheetError> {
        let mut head = Vec::new();
        match format {
            SheetFormat::Csv => {
                input
                    .by_ref()
                    .take(SNIFF_LEN as u64)
                    .read_to_end(&mut head)?;
                if is_workbook(&head) {
                    input.read_to_end(&mut head)?;
                    let rows = SheetRows::open(head, SheetFormat::Xlsx)?;
                    SheetReader::start(Source::Sheet(rows))
                } else {
                    SheetReader::start(Source::Csv(CsvRows::new(head, Box::new(input))?))
                }
            }
            SheetFormat::Xlsx | SheetFormat::Xls => {
                input.read_to_end(&mut head)?;
                SheetReader::start(Source::Sheet(SheetRows::open(head, format)?))
            }
        }
    }

    fn start(mut source: Source) -> Result<SheetReader, SheetError> {
        let (header_row, headers) = source.next_row().ok_or(SheetError::Empty)??;
        Ok(SheetReader {
            headers,
            header_row,
            source,
        })
    }

    /// The header row's cells, as written.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The header's row number: 1 unless the sheet starts with blank rows.
    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// The next non-blank data row and its row number. After an error that
    /// stops the file being read further (not a single undecodable row), the
    /// reader yields nothing more.
    pub fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), SheetError>> {
        let width = self.headers.len();
        self.source.next_row().map(|r| {
            r.map(|(row, mut cells)| {
                if cells.len() < width {
                    cells.resize(width, String::new());
                }
                (row, cells)
            })
        })
    }
}

impl Iterator for SheetReader {
    type Item = Result<(u64, Vec<String>), SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// The start of an OLE compound file: an Excel 97-2003 workbook.
const OLE_SIGNATURE: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

/// Zip (xlsx) or OLE compound file (xls) signatures.
fn is_workbook(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(&OLE_SIGNATURE)
}

fn is_blank_row(cells: &[String]) -> bool {
    // `trim` also removes the ideographic space U+3000, common in Chinese sheets.
    cells.iter().all(|c| c.trim().is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    /// Only ASCII seen so far.
    Undecided,
    Utf8,
    /// Chinese Excel saves "CSV (逗号分隔)" in the ANSI code page, GBK, of
    /// which GB18030 is the superset.
    Gb18030,
}

/// Valid UTF-8 with non-ASCII text means UTF-8; anything else that is not
/// ASCII is taken as GB18030. A character cut off by the end of the sample
/// does not count against UTF-8, nor does a bad byte after several good
/// UTF-8 characters (GBK text is almost never valid UTF-8 for that long): that
/// is a damaged UTF-8 file, and the row holding the bad byte is reported.
fn sniff(sample: &[u8]) -> TextEncoding {
    let text = match std::str::from_utf8(sample) {
        Ok(text) => text,
        Err(e) => {
            let valid = std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default();
            if e.error_len().is_some() && valid.chars().filter(|c| !c.is_ascii()).count() < 3 {
                return TextEncoding::Gb18030;
            }
            valid
        }
    };
    if text.is_ascii() {
        TextEncoding::Undecided
    } else {
        TextEncoding::Utf8
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

/// Puts a space on each empty line outside quoted cells. The csv parser skips
/// empty lines without a record, but Excel shows each as a row; with the
/// space each becomes a blank record, skipped and counted like a row of
/// empty cells. The states follow csv-core's, which also ends a line at CR,
/// LF or CRLF and reads a quote only at the start of a field.
struct MarkEmptyLines<R> {
    inner: R,
    out: Vec<u8>,
    pos: usize,
    state: CsvState,
    line_empty: bool,
    after_cr: bool,
    /// Bytes of the current record so far (a quoted cell's line breaks
    /// included), to refuse a record longer than [`MAX_ROW_BYTES`].
    record_len: usize,
    too_long: bool,
}

/// The I/O error [`MarkEmptyLines`] gives for a record over [`MAX_ROW_BYTES`].
#[derive(Debug, Error)]
#[error("CSV record longer than {MAX_ROW_BYTES} bytes")]
struct RowTooLong;

impl<R: Read> MarkEmptyLines<R> {
    fn new(inner: R) -> Self {
        MarkEmptyLines {
            inner,
            out: Vec::with_capacity(8 * 1024),
            pos: 0,
            state: CsvState::FieldStart,
            line_empty: true,
            after_cr: false,
            record_len: 0,
            too_long: false,
        }
    }

    fn push(&mut self, b: u8) {
        self.record_len += 1;
        self.too_long |= self.record_len > MAX_ROW_BYTES;
        if self.state == CsvState::Quoted {
            if b == b'"' {
                self.state = CsvState::QuoteInQuoted;
            }
            self.out.push(b);
            return;
        }
        match b {
            // The LF of a CRLF.
            b'\n' if self.after_cr => self.after_cr = false,
            b'\r' | b'\n' => {
                if self.line_empty {
                    self.out.push(b' ');
                }
                self.line_empty = true;
                self.record_len = 0;
                self.after_cr = b == b'\r';
                self.state = CsvState::FieldStart;
            }
            _ => {
                self.state = match (self.state, b) {
                    (_, b',') => CsvState::FieldStart,
                    (CsvState::FieldStart | CsvState::QuoteInQuoted, b'"') => CsvState::Quoted,
                    _ => CsvState::Unquoted,
                };
                self.line_empty = false;
                self.after_cr = false;
            }
        }
        self.out.push(b);
    }
}

impl<R: Read> Read for MarkEmptyLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.out.len() {
            let mut chunk = [0; 8 * 1024];
            let n = self.inner.read(&mut chunk)?;
            self.out.clear();
            self.pos = 0;
            for &b in &chunk[..n] {
                self.push(b);
            }
            if self.too_long {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    RowTooLong,
                ));
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Rows of a CSV, parsed as bytes and decoded field by field. Parsing GBK as
/// bytes is safe: its trail bytes (0x40 and up, or digits in GB18030's
/// four-byte forms) are never a comma, quote or line break.
struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    encoding: TextEncoding,
    row: u64,
    done: bool,
}

impl CsvRows {
    fn new(head: Vec<u8>, rest: Box<dyn Read + Send>) -> Result<CsvRows, SheetError> {
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(SheetError::Utf16Csv);
        }
        let (skip, encoding) = match head.strip_prefix(b"\xEF\xBB\xBF") {
            Some(_) => (3, TextEncoding::Utf8),
            None => (0, sniff(&head)),
        };
        let mut head = Cursor::new(head);
        head.set_position(skip);
        let input: Box<dyn Read + Send> = Box::new(MarkEmptyLines::new(head.chain(rest)));
        // The csv reader buffers its input itself.
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        Ok(CsvRows {
            reader,
            record: csv::ByteRecord::new(),
            encoding,
            row: 0,
            done: false,
        })
    }

    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), SheetError>> {
        while !self.done {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    let too_long = matches!(e.kind(), csv::ErrorKind::Io(io)
                        if io.get_ref().is_some_and(|inner| inner.is::<RowTooLong>()));
                    if too_long {
                        return Some(Err(SheetError::CsvRowTooLong { row: self.row + 1 }));
                    }
                    return Some(Err(SheetError::CsvRow {
                        row: self.row + 1,
                        reason: "文件读取中断或格式有误",
                        source: Some(e),
                    }));
                }
            }
            // Each record is one row in Excel, empty lines included (see
            // `MarkEmptyLines`); a quoted cell spanning lines is one row too.
            self.row += 1;
            // Cells cost memory even when empty: 100,000 empty columns in a
            // 100 KB file grew the server by hundreds of MB.
            if self.record.len() > MAX_COLUMNS {
                self.done = true;
                return Some(Err(SheetError::CsvTooManyColumns {
                    row: self.row,
                    count: self.record.len(),
                }));
            }
            match self.decode() {
                Some(cells) if is_blank_row(&cells) => {}
                Some(cells) => return Some(Ok((self.row, cells))),
                None => {
                    return Some(Err(SheetError::CsvRow {
                        row: self.row,
                        reason: "含有无法识别的字符，文件应为 UTF-8 或 GBK 编码",
                        source: None,
                    }))
                }
            }
        }
        None
    }

    fn decode(&mut self) -> Option<Vec<String>> {
        if self.encoding == TextEncoding::Undecided && !self.record.as_slice().is_ascii() {
            self.encoding = match std::str::from_utf8(self.record.as_slice()) {
                Ok(_) => TextEncoding::Utf8,
                Err(_) => TextEncoding::Gb18030,
            };
        }
        let encoding = self.encoding;
        self.record
            .iter()
            .map(|field| match encoding {
                TextEncoding::Gb18030 => encoding_rs::GB18030
                    .decode_without_bom_handling_and_without_replacement(field)
                    .map(Cow::into_owned),
                TextEncoding::Utf8 | TextEncoding::Undecided => {
                    std::str::from_utf8(field).ok().map(str::to_owned)
                }
            })
            .collect()
    }
}

/// Rows of the first worksheet of an xlsx workbook, read as a stream of
/// cells. calamine's `worksheet_range` allocates the whole declared range,
/// first cell to last: a 2 KB file with one cell at XFD1048576 asks for
/// hundreds of GB and the process aborts. The cell reader allocates only for
/// cells that are there, so memory follows what the sheet holds. The reader
/// borrows the workbook, so both live on a thread of their own that hands
/// rows over a short channel; dropping the rows ends the thread.
struct SheetRows {
    rows: mpsc::Receiver<Result<(u64, Vec<String>), SheetError>>,
    done: bool,
}

/// Rows handed from the reading thread ahead of their use.
const ROWS_AHEAD: usize = 64;

type Xlsx = calamine::Xlsx<Cursor<Vec<u8>>>;

impl SheetRows {
    fn open(bytes: Vec<u8>, format: SheetFormat) -> Result<SheetRows, SheetError> {
        // calamine reads an .xls (and .xlsb, .ods) only whole, into the dense
        // range from first to last cell, as it opens it: a far cell there
        // exhausts memory as in xlsx, and there is no cell reader to avoid it.
        if bytes.starts_with(&OLE_SIGNATURE) {
            return Err(SheetError::OldExcel);
        }
        // The real format is found from the content: files called .xls are
        // often xlsx after someone renamed them.
        let mut book: Xlsx =
            calamine::Reader::new(Cursor::new(bytes)).map_err(|e| SheetError::NotAWorkbook {
                format: format.name(),
                source: calamine::Error::Xlsx(e),
            })?;
        let sheets = book.sheets_metadata();
        let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
        let name = worksheets()
            .find(|s| s.visible == SheetVisible::Visible)
            .or_else(|| worksheets().next())
            .map(|s| s.name.clone())
            .ok_or(SheetError::NoWorksheet)?;
        let (tx, rx) = mpsc::sync_channel(ROWS_AHEAD);
        std::thread::Builder::new()
            .name("sheet-reader".into())
            .spawn(move || stream_rows(&mut book, &name, &tx))?;
        Ok(SheetRows {
            rows: rx,
            done: false,
        })
    }

    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), SheetError>> {
        if self.done {
            return None;
        }
        match self.rows.recv() {
            Ok(Ok(row)) => Some(Ok(row)),
            Ok(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            Err(mpsc::RecvError) => {
                self.done = true;
                None
            }
        }
    }
}

/// Reads the sheet's cells in file order and sends each non-blank row,
/// padded from column A. Stops at the first error, or when the receiver is
/// gone.
fn stream_rows(
    book: &mut Xlsx,
    name: &str,
    tx: &mpsc::SyncSender<Result<(u64, Vec<String>), SheetError>>,
) {
    let fail = |e: SheetError| {
        // The receiver may be gone already; then nobody needs the error.
        let _ = tx.send(Err(e));
    };
    let mut cells = match book.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        Err(e) => return fail(SheetError::BadWorksheet(calamine::Error::Xlsx(e))),
    };
    // The row being gathered: its 0-based index and its cells.
    let mut current: Option<(u32, Vec<String>)> = None;
    let send = |row: Option<(u32, Vec<String>)>| match row {
        Some((r, cells)) if !is_blank_row(&cells) => tx.send(Ok((u64::from(r) + 1, cells))).is_ok(),
        _ => true,
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => {
                send(current.take());
                return;
            }
            Err(e) => return fail(SheetError::BadWorksheet(calamine::Error::Xlsx(e))),
        };
        let (r, c) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        // Formatted but empty cells (whole rows or columns styled in Excel)
        // carry nothing and cost nothing: skip them wherever they are.
        if text.is_empty() {
            continue;
        }
        match &current {
            Some((row, _)) if *row == r => {}
            // Excel writes rows in order; a file that goes back is not one
            // we can read row by row.
            Some((row, _)) if r < *row => {
                return fail(SheetError::RowsOutOfOrder {
                    row: u64::from(r) + 1,
                })
            }
            _ => {
                if !send(current.take()) {
                    return;
                }
                current = Some((r, Vec::new()));
            }
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            return fail(SheetError::TooManyColumns {
                row: u64::from(r) + 1,
                column: column_letter(c),
            });
        }
        if let Some((_, row)) = current.as_mut() {
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = text;
        }
    }
}

/// A cell as the text the user sees in Excel.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(true) => "是".to_owned(),
        Data::Bool(false) => "否".to_owned(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) => match s.strip_suffix("T00:00:00") {
            Some(date) => date.to_owned(),
            None => s.replacen('T', " ", 1),
        },
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// A number as digits, never with an exponent or a trailing ".0". Excel keeps
/// and shows 15 significant digits ("Excel specifications and limits: number
/// precision"); rounding the same way gives the text the user sees, so an
/// 18-digit ID number stored as a number reads as Excel shows it, ending in
/// 000, and `0.1 + 0.2` reads as 0.3.
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == 0.0 {
        "0".to_owned()
    } else {
        // Display for f64 prints the shortest digits that round-trip, in
        // positional notation.
        rounded.to_string()
    }
}

fn datetime_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        let seconds = (dt.as_f64() * 86_400.0).round() as i64;
        return format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            (seconds / 60 % 60).abs(),
            (seconds % 60).abs()
        );
    }
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    if (0.0..1.0).contains(&dt.as_f64()) {
        // A time of day with no date.
        format!("{h:02}:{mi:02}:{s:02}")
    } else if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// Column `index` (0-based) as Excel names it: A, B, …, Z, AA, AB, ….
pub fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Two columns of one sheet that name the same field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateColumn {
    pub field: Field,
    /// The column used (0-based).
    pub first: usize,
    /// The later column naming the same field.
    pub second: usize,
}

/// Which column holds which field, and what is wrong with the header row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    /// (column index, field) for each recognised column, in sheet order;
    /// of duplicate columns only the first is here.
    pub columns: Vec<(usize, Field)>,
    /// Columns whose header names no field: ignored, reported by [`HeaderMap::warning`].
    pub unknown: Vec<(usize, String)>,
    pub duplicates: Vec<DuplicateColumn>,
    /// Required fields with no column.
    pub missing: Vec<Field>,
}

/// Matches a header row to the person fields, by name or alias, in any
/// order. Blank headers and the error workbook's added columns are ignored.
pub fn map_headers(headers: &[String]) -> HeaderMap {
    let mut map = HeaderMap::default();
    for (i, header) in headers.iter().enumerate() {
        let trimmed = header.trim();
        if trimmed.is_empty() || trimmed == ERROR_ROW_HEADER || trimmed == ERROR_MESSAGE_HEADER {
            continue;
        }
        match Field::from_header(header) {
            Some(field) => match map.column(field) {
                Some(first) => map.duplicates.push(DuplicateColumn {
                    field,
                    first,
                    second: i,
                }),
                None => map.columns.push((i, field)),
            },
            None => map.unknown.push((i, header.clone())),
        }
    }
    map.missing = Field::ALL
        .into_iter()
        .filter(|f| f.required() && map.column(*f).is_none())
        .collect();
    map
}

impl HeaderMap {
    /// The column holding `field`, if any.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|(_, f)| *f == field)
            .map(|(i, _)| *i)
    }

    /// Whether rows can be read with this header: no duplicate and no
    /// missing required column.
    pub fn is_usable(&self) -> bool {
        self.duplicates.is_empty() && self.missing.is_empty()
    }

    /// What must be fixed in the header row before anything can be imported.
    pub fn errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.columns.is_empty() {
            errors.push(
                "没有识别出任何列：表格第一行应为列名（如“身份证号”“姓名”），可下载导入模板对照"
                    .to_owned(),
            );
        }
        for d in &self.duplicates {
            errors.push(format!(
                "{} 列与 {} 列都是“{}”，请只保留一列",
                column_letter(d.first),
                column_letter(d.second),
                d.field.header()
            ));
        }
        for f in &self.missing {
            errors.push(format!(
                "缺少必填列“{}”：请在表头行加上该列，或使用导入模板",
                f.header()
            ));
        }
        errors
    }

    /// The columns that will be ignored, if any.
    pub fn warning(&self) -> Option<String> {
        if self.unknown.is_empty() {
            return None;
        }
        let list: Vec<String> = self
            .unknown
            .iter()
            .map(|(i, h)| {
                // A sheet without a header row has a person's data where the
                // header should be; name the column only.
                let h = h.trim();
                if h.chars().count() <= 30 && !h.chars().any(|c| c.is_numeric()) {
                    format!("{} 列“{h}”", column_letter(*i))
                } else {
                    format!("{} 列", column_letter(*i))
                }
            })
            .collect();
        Some(format!("以下列无法识别，已忽略：{}", list.join("、")))
    }

    /// One data row as the typed record `parse_person` checks.
    pub fn raw_person(&self, cells: &[String]) -> RawPerson {
        self.columns
            .iter()
            .map(|(i, f)| (*f, cells.get(*i).cloned().unwrap_or_default()))
            .collect()
    }
}

/// A field's header in the import template: required ones start with "*",
/// which [`Field::from_header`] ignores.
pub fn template_header(field: Field) -> String {
    if field.required() {
        format!("*{}", field.header())
    } else {
        field.header().to_owned()
    }
}

/// Columns of digits Excel would otherwise turn into numbers, losing the
/// digits after the 15th and leading zeros.
fn is_text_column(field: Field) -> bool {
    matches!(
        field,
        Field::IdNumber
            | Field::Phone
            | Field::HukouRegion
            | Field::Village
            | Field::DisabilityCert
            | Field::GuardianPhone
            | Field::HouseholdNo
            | Field::EmergencyContactPhone
    )
}

/// Roughly how many character widths a text takes: CJK characters two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn header_width(header: &str) -> f64 {
    (display_width(header.trim()) + 4).clamp(10, 40) as f64
}

fn template_width(field: Field) -> f64 {
    match field {
        Field::IdNumber | Field::DisabilityCert => 24.0,
        Field::Address => 36.0,
        Field::Tags => 20.0,
        Field::Phone | Field::GuardianPhone | Field::EmergencyContactPhone => {
            header_width(field.header()).max(16.0)
        }
        f => header_width(&template_header(f)),
    }
}

/// What to enter in each column, for the template's guide sheet.
fn guide_text(field: Field) -> String {
    let choices = field.choices().map(|c| c.join("、")).unwrap_or_default();
    match field {
        Field::IdNumber => "18 位身份证号；性别和出生日期由身份证号自动得出，可不填".to_owned(),
        Field::Name => "不超过 50 个字".to_owned(),
        Field::Sex => format!("可不填（由身份证号得出）；填写时应为 {choices}，并与身份证号一致"),
        Field::BirthDate => {
            "可不填（由身份证号得出）；填写时如 1950-03-01，并与身份证号一致".to_owned()
        }
        Field::Phone => "11 位手机号，或带区号的固定电话，如 0750-8888888".to_owned(),
        Field::HukouRegion => {
            "户籍所在地的统计用区划代码，2、4、6、9 或 12 位，如 440784".to_owned()
        }
        Field::Village => "12 位统计用区划代码，如 440784103202".to_owned(),
        Field::Address => "不超过 200 个字".to_owned(),
        Field::Status => format!("可选：{choices}；不填视为“{}”", PersonStatus::Alive.label()),
        Field::StatusDate => format!(
            "状态为“{}”“{}”或“{}”时必填，如 2026-01-15，不能晚于今天",
            PersonStatus::Deceased.label(),
            PersonStatus::MovedAway.label(),
            PersonStatus::HukouMovedOut.label()
        ),
        Field::LivingSituation | Field::EconomicStatus => format!("可选：{choices}"),
        Field::DisabilityCategory => format!("可选：{choices}；填写时须同时填写残疾等级"),
        Field::DisabilityGrade => format!("可选：{choices}；填写时须同时填写残疾类别"),
        Field::DisabilityCert => {
            "20 位：18 位身份证号 + 1 位类别 + 1 位等级，须与本人身份证号、残疾类别和等级一致"
                .to_owned()
        }
        Field::ChildCategory => format!("可选：{choices}；仅未满 18 周岁的困境儿童填写"),
        Field::GuardianName => "困境儿童的监护人姓名".to_owned(),
        Field::GuardianPhone => "监护人的手机号或带区号的固定电话".to_owned(),
        Field::HouseholdNo => "户编号，按原样填写".to_owned(),
        Field::EmergencyContactName => "紧急情况下联系的人".to_owned(),
        Field::EmergencyContactPhone => "紧急联系人的手机号或带区号的固定电话".to_owned(),
        Field::Tags => "多个标签用逗号分隔，每个不超过 20 个字，如 高龄，独居".to_owned(),
    }
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
}

fn text_format() -> Format {
    Format::new().set_num_format("@")
}

fn col_num(index: usize) -> Result<u16, SheetError> {
    u16::try_from(index).map_err(|_| SheetError::TooLarge)
}

/// The import template: sheet "人员信息" with every column's header (required
/// ones marked "*" in red), long-digit columns formatted as text, drop-down
/// lists for coded columns; sheet "填写说明" saying what each column takes.
pub fn person_template() -> Result<Vec<u8>, SheetError> {
    let mut book = Workbook::new();
    let header = header_format();
    let required = header.clone().set_font_color(Color::RGB(0xC00000));
    let text = text_format();

    let sheet = book.add_worksheet();
    sheet.set_name(PERSON_SHEET)?;
    for (i, field) in Field::ALL.into_iter().enumerate() {
        let col = col_num(i)?;
        sheet.set_column_width(col, template_width(field))?;
        if is_text_column(field) {
            sheet.set_column_format(col, &text)?;
        }
        let format = if field.required() { &required } else { &header };
        sheet.write_string_with_format(0, col, template_header(field), format)?;
        if let Some(choices) = field.choices() {
            let list = DataValidation::new()
                .allow_list_strings(&choices)?
                .set_error_title("填写有误")?
                .set_error_message(format!("请从下拉列表中选择：{}", choices.join("、")))?;
            sheet.add_data_validation(1, col, TEMPLATE_ROWS, col, &list)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let guide = book.add_worksheet();
    guide.set_name(GUIDE_SHEET)?;
    let wrap = Format::new().set_text_wrap();
    guide.set_column_width(0, 22)?;
    guide.set_column_width(1, 10)?;
    guide.set_column_width(2, 80)?;
    for (col, title) in ["列名", "是否必填", "填写要求"].into_iter().enumerate() {
        guide.write_string_with_format(0, col_num(col)?, title, &header)?;
    }
    let mut row = 1;
    for field in Field::ALL {
        guide.write_string(row, 0, field.header())?;
        guide.write_string(row, 1, if field.required() { "必填" } else { "选填" })?;
        guide.write_string_with_format(row, 2, guide_text(field), &wrap)?;
        row += 1;
    }
    row += 1;
    for note in [
        "1. 第一行为表头，列名请勿修改；列的顺序可以调整，用不到的选填列可以删除。",
        "2. 带 * 的列必须填写。",
        "3. 身份证号、电话、区划代码等列已设为“文本”格式，请勿改为“数值”，否则 Excel 会把长数字改成科学计数法并丢失末几位。",
        "4. 导入有误时，系统会列出每个错误的行号和原因，请按清单改正后重新导入。",
    ] {
        guide.write_string_with_format(row, 2, note, &wrap)?;
        row += 1;
    }
    guide.set_freeze_panes(1, 0)?;

    Ok(book.save_to_buffer()?)
}

/// The rejected rows of an import, for the user to correct: the original
/// header plus "原行号" and "错误说明", then each row's cells exactly as read
/// (as text, so ID numbers keep every digit), its row number and messages.
pub fn error_workbook(
    headers: &[String],
    rows: &[(u64, Vec<String>, String)],
) -> Result<Vec<u8>, SheetError> {
    let width = rows
        .iter()
        .map(|(_, cells, _)| cells.len())
        .fold(headers.len(), usize::max);
    let row_col = col_num(width)?;
    let message_col = col_num(width + 1)?;
    let header = header_format();
    let text = text_format();
    let wrap = Format::new().set_text_wrap();

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("错误清单")?;
    for i in 0..width {
        let col = col_num(i)?;
        let title = headers.get(i).map_or("", String::as_str);
        sheet.set_column_width(col, header_width(title))?;
        // Text, so a corrected ID number typed over a cell stays text.
        sheet.set_column_format(col, &text)?;
        sheet.write_string_with_format(0, col, title, &header)?;
    }
    sheet.set_column_width(row_col, 8)?;
    sheet.set_column_width(message_col, 60)?;
    sheet.write_string_with_format(0, row_col, ERROR_ROW_HEADER, &header)?;
    sheet.write_string_with_format(0, message_col, ERROR_MESSAGE_HEADER, &header)?;
    sheet.set_freeze_panes(1, 0)?;

    for (n, (source_row, cells, message)) in rows.iter().enumerate() {
        let row = u32::try_from(n + 1)
            .ok()
            .filter(|r| *r < EXCEL_MAX_ROWS)
            .ok_or(SheetError::TooLarge)?;
        for (i, cell) in cells.iter().enumerate() {
            write_text(sheet, row, i, cell, &text)?;
        }
        // Lossless: row numbers stay far below 2^53.
        sheet.write_number(row, row_col, *source_row as f64)?;
        sheet.write_string_with_format(row, message_col, message, &wrap)?;
    }
    Ok(book.save_to_buffer()?)
}

/// Writes one cell as a string, naming the cell if it is too long for Excel.
fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: usize,
    value: &str,
    format: &Format,
) -> Result<(), SheetError> {
    if value.is_empty() {
        return Ok(());
    }
    match sheet.write_string_with_format(row, col_num(col)?, value, format) {
        Ok(_) => Ok(()),
        Err(XlsxError::MaxStringLengthExceeded) => Err(SheetError::CellTooLong {
            row: u64::from(row) + 1,
            column: column_letter(col),
        }),
        Err(e) => Err(e.into()),
    }
}

/// An xlsx export written row by row in rust_xlsxwriter's constant-memory
/// mode: each row goes to a temporary file as soon as the next one starts,
/// so a million rows take no more memory than one. Every cell is written as
/// text. Rows can only be appended, and Excel stops at 1,048,576 rows
/// (header included), after which [`SheetError::TooLarge`] is returned.
pub struct XlsxStreamWriter {
    workbook: Workbook,
    sheet: Worksheet,
    text: Format,
    next_row: u32,
}

impl XlsxStreamWriter {
    /// Starts a workbook with one sheet and its bold, frozen header row.
    /// Temporary data goes to the system's temporary directory.
    pub fn new(sheet_name: &str, headers: &[impl AsRef<str>]) -> Result<Self, SheetError> {
        Self::build(Workbook::new(), sheet_name, headers)
    }

    /// Like [`XlsxStreamWriter::new`], with temporary data in `tempdir`: use
    /// it where the system's temporary directory is in memory (tmpfs).
    pub fn new_in(
        tempdir: &Path,
        sheet_name: &str,
        headers: &[impl AsRef<str>],
    ) -> Result<Self, SheetError> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(tempdir)?;
        Self::build(workbook, sheet_name, headers)
    }

    fn build(
        mut workbook: Workbook,
        sheet_name: &str,
        headers: &[impl AsRef<str>],
    ) -> Result<Self, SheetError> {
        let mut sheet = workbook.new_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name)?;
        let text = text_format();
        let header = header_format();
        // Column settings must come before the first row is written.
        for (i, title) in headers.iter().enumerate() {
            let col = col_num(i)?;
            sheet.set_column_width(col, header_width(title.as_ref()))?;
            sheet.set_column_format(col, &text)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (i, title) in headers.iter().enumerate() {
            write_text(&mut sheet, 0, i, title.as_ref(), &header)?;
        }
        Ok(XlsxStreamWriter {
            workbook,
            sheet,
            text,
            next_row: 1,
        })
    }

    /// Appends one row.
    pub fn write_row(&mut self, cells: &[impl AsRef<str>]) -> Result<(), SheetError> {
        if self.next_row >= EXCEL_MAX_ROWS {
            return Err(SheetError::TooLarge);
        }
        for (i, cell) in cells.iter().enumerate() {
            write_text(&mut self.sheet, self.next_row, i, cell.as_ref(), &self.text)?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// Data rows written so far (the header not counted).
    pub fn rows_written(&self) -> u64 {
        u64::from(self.next_row - 1)
    }

    /// The finished xlsx file, in memory.
    pub fn finish(self) -> Result<Vec<u8>, SheetError> {
        let mut workbook = self.workbook;
        workbook.push_worksheet(self.sheet);
        Ok(workbook.save_to_buffer()?)
    }

    /// Writes the finished xlsx file to `path`, never holding it in memory.
    pub fn finish_to_path(self, path: &Path) -> Result<(), SheetError> {
        let mut workbook = self.workbook;
        workbook.push_worksheet(self.sheet);
        Ok(workbook.save(path)?)
    }
}

/// One CSV cell: quoted when it holds a comma, quote or line break, and
/// prefixed with `'` when it starts like a formula (= + - @, tab or carriage
/// return), so a spreadsheet opening the file shows the text instead of
/// running it (OWASP, "CSV Injection").
pub fn csv_field(s: &str) -> String {
    let s: Cow<str> = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// One CSV line, ending in CRLF as Excel writes them.
pub fn csv_record(cells: &[impl AsRef<str>]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_field(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rust_xlsxwriter::ExcelDateTime as WriteDateTime;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    fn all_rows(reader: SheetReader) -> Vec<(u64, Vec<String>)> {
        reader.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(
            SheetFormat::from_file_name("古劳镇人员.XLSX"),
            Some(SheetFormat::Xlsx)
        );
        assert_eq!(
            SheetFormat::from_file_name("a.b.csv"),
            Some(SheetFormat::Csv)
        );
        assert_eq!(
            SheetFormat::from_file_name("旧表.xls"),
            Some(SheetFormat::Xls)
        );
        assert_eq!(SheetFormat::from_file_name("a.txt"), None);
        assert_eq!(SheetFormat::from_file_name("csv"), None);
    }

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let letters: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16383]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(
            letters,
            ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
    }

    #[test]
    fn reads_utf8_csv_with_bom_and_headers_in_any_order() {
        let csv = "\u{feff}姓名,居住村（社区）代码,身份证号码,备注\r\n\
                   李桂芳,440784103202,440784195003011234\r\n\
                   ,, \u{3000},\r\n\
                   \r\n\
                   陈伯,440784103202,44078419480709002X,\"住在\r\n村口，近祠堂\"\r\n\
                   王明,440784103202,440784199001010051,\"说 \"\"好\"\"\"\r\n";
        let reader = SheetReader::open(csv.as_bytes().to_vec(), SheetFormat::Csv).unwrap();
        assert_eq!(
            reader.headers(),
            ["姓名", "居住村（社区）代码", "身份证号码", "备注"]
        );
        assert_eq!(reader.header_row(), 1);
        let map = map_headers(reader.headers());
        assert!(map.is_usable(), "{:?}", map.errors());
        assert_eq!(map.column(Field::IdNumber), Some(2));
        assert_eq!(map.column(Field::Name), Some(0));
        assert_eq!(map.column(Field::Village), Some(1));
        assert_eq!(map.unknown, [(3, "备注".to_owned())]);

        let rows = all_rows(reader);
        // The blank row 3 and the empty line 4 are skipped but counted; the
        // cell spanning two lines is one row, as in Excel.
        assert_eq!(
            rows,
            [
                (
                    2,
                    strings(&["李桂芳", "440784103202", "440784195003011234", ""])
                ),
                (
                    5,
                    strings(&[
                        "陈伯",
                        "440784103202",
                        "44078419480709002X",
                        "住在\r\n村口，近祠堂"
                    ])
                ),
                (
                    6,
                    strings(&["王明", "440784103202", "440784199001010051", "说 \"好\""])
                ),
            ]
        );
        let person = map_headers(&strings(&["姓名", "居住村（社区）代码", "身份证号码"]))
            .raw_person(&rows[0].1);
        assert_eq!(person[&Field::IdNumber], "440784195003011234");
        assert_eq!(person[&Field::Village], "440784103202");
    }

    #[test]
    fn empty_lines_count_as_rows_whatever_the_line_ending() {
        let csv = "h\n\n\na\r\rb\r\n\"x\n\ny\"\n\"\"\"\"\r\n\r\nc";
        let rows = all_rows(SheetReader::open(csv.as_bytes().to_vec(), SheetFormat::Csv).unwrap());
        let expected: Vec<(u64, Vec<String>)> = vec![
            (4, strings(&["a"])),
            (6, strings(&["b"])),
            (7, strings(&["x\n\ny"])),
            (8, strings(&["\""])),
            (10, strings(&["c"])),
        ];
        assert_eq!(rows, expected);
    }

    #[test]
    fn reads_gbk_csv_from_chinese_excel() {
        let text = "身份证号,姓名,居住村（社区）代码,标签\r\n\
                    440784195003011234,李桂芳,440784103202,高龄，独居\r\n\
                    44078419480709002X,陈伯,440784103202\r\n";
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err());

        let expect = |reader: SheetReader| {
            assert_eq!(
                reader.headers(),
                ["身份证号", "姓名", "居住村（社区）代码", "标签"]
            );
            assert_eq!(
                all_rows(reader),
                [
                    (
                        2,
                        strings(&["440784195003011234", "李桂芳", "440784103202", "高龄，独居"])
                    ),
                    // A short row is padded to the header's width.
                    (
                        3,
                        strings(&["44078419480709002X", "陈伯", "440784103202", ""])
                    ),
                ]
            );
        };
        expect(SheetReader::open(gbk.to_vec(), SheetFormat::Csv).unwrap());

        // The same file streamed from disk.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("人员.csv");
        std::fs::write(&path, &gbk).unwrap();
        expect(SheetReader::open_path(&path, SheetFormat::Csv).unwrap());
    }

    #[test]
    fn gbk_after_a_long_ascii_start_is_still_recognised() {
        let mut text = String::from("id,name\r\n");
        for i in 0..8_000 {
            text.push_str(&format!("{i:010},n\r\n"));
        }
        assert!(text.len() > SNIFF_LEN);
        text.push_str("1,张三\r\n");
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let rows = all_rows(SheetReader::open(gbk.to_vec(), SheetFormat::Csv).unwrap());
        assert_eq!(rows.len(), 8_001);
        assert_eq!(rows[8_000], (8_002, strings(&["1", "张三"])));
    }

    #[test]
    fn a_row_in_no_known_encoding_is_reported_by_number_only() {
        let mut bytes = "身份证号,姓名\n440784195003011234,李桂芳\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"440784195003011234,\xff\xfe\n");
        let mut reader = SheetReader::open(bytes, SheetFormat::Csv).unwrap();
        assert_eq!(reader.next().unwrap().unwrap().0, 2);
        let err = reader.next().unwrap().unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("CSV 第 3 行无法读取"), "{message}");
        assert!(!message.contains("4407"));
        assert!(reader.next().is_none());
    }

    /// Headers in A1:C1 and one more cell at `far`: 1.7 KB on disk, and a
    /// dense range of the whole sheet if read with `worksheet_range`.
    fn workbook_with_far_cell(far: (u32, u16)) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (col, header) in ["身份证号", "姓名", "居住村（社区）代码"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(0, col as u16, header).unwrap();
        }
        sheet.write_string(far.0, far.1, "x").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_tiny_workbook_claiming_the_whole_sheet_is_refused_not_allocated() {
        let bytes = workbook_with_far_cell((1_048_575, 16_383));
        assert!(bytes.len() < 8 * 1024, "{}", bytes.len());
        let mut reader = SheetReader::open(bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(reader.headers().len(), 3);
        let err = reader.next_row().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "第 1048576 行 XFD 列有内容，超出可导入的范围：每行最多 256 列（A 至 IV 列），请删除多余的列后再导入"
        );
        assert!(reader.next_row().is_none());
    }

    #[test]
    fn a_far_row_inside_the_columns_is_read_with_its_number() {
        let bytes = workbook_with_far_cell((1_048_575, 2));
        let rows = all_rows(SheetReader::open(bytes, SheetFormat::Xlsx).unwrap());
        assert_eq!(rows, [(1_048_576, strings(&["", "", "x"]))]);
    }

    #[test]
    fn csv_rows_are_bounded_in_columns_and_length() {
        let mut wide = "身份证号,姓名,居住村（社区）代码\n".to_owned();
        wide.push_str(&",".repeat(100_000));
        wide.push('\n');
        let mut reader = SheetReader::open(wide.into_bytes(), SheetFormat::Csv).unwrap();
        let err = reader.next_row().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "CSV 第 2 行有 100001 列，超过可导入的上限 256 列：请删除多余的列（包括空列）后再导入"
        );
        assert!(reader.next_row().is_none());

        // The widest sheet accepted still reads.
        let ok = format!(
            "a{}\n1{}\n",
            ",".repeat(MAX_COLUMNS - 1),
            ",".repeat(MAX_COLUMNS - 1)
        );
        let rows = all_rows(SheetReader::open(ok.into_bytes(), SheetFormat::Csv).unwrap());
        assert_eq!(rows.len(), 1);

        let long = format!("a,b\n1,{}\n", "9".repeat(MAX_ROW_BYTES + 10));
        let mut reader = SheetReader::open(long.into_bytes(), SheetFormat::Csv).unwrap();
        let err = reader.next_row().unwrap().map(|(row, _)| row).unwrap_err();
        assert_eq!(
            err.to_string(),
            "CSV 第 2 行超过 1 MB，不是有效的登记表行：请检查文件的换行和引号"
        );
    }

    #[test]
    fn an_old_excel_file_is_refused_with_what_to_do() {
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.resize(4096, 0);
        for format in [SheetFormat::Xls, SheetFormat::Xlsx, SheetFormat::Csv] {
            let err = SheetReader::open(ole.clone(), format).err().unwrap();
            assert!(matches!(err, SheetError::OldExcel), "{format:?}: {err}");
            assert!(err.to_string().contains("另存为"));
        }
    }

    #[test]
    fn empty_and_foreign_files_are_refused_plainly() {
        for empty in ["", "\r\n\r\n", "\u{feff}", " , ,\n"] {
            let err = SheetReader::open(empty.as_bytes().to_vec(), SheetFormat::Csv);
            assert!(matches!(err, Err(SheetError::Empty)), "{empty:?}");
        }
        let utf16 = vec![0xFF, 0xFE, b'a', 0];
        assert!(matches!(
            SheetReader::open(utf16, SheetFormat::Csv),
            Err(SheetError::Utf16Csv)
        ));
        let err = SheetReader::open(b"440784195003011234,x".to_vec(), SheetFormat::Xlsx)
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "文件不是有效的 xlsx 工作簿（文件可能已损坏，或扩展名与内容不符）"
        );
    }

    #[test]
    fn the_template_reads_back_as_its_headers_alone() {
        let bytes = person_template().unwrap();
        let mut reader = SheetReader::open(bytes.clone(), SheetFormat::Xlsx).unwrap();
        let expected: Vec<String> = Field::ALL.into_iter().map(template_header).collect();
        assert_eq!(reader.headers(), expected);
        assert_eq!(reader.headers()[0], "*身份证号");
        let map = map_headers(reader.headers());
        assert!(map.is_usable() && map.unknown.is_empty());
        let in_order: Vec<(usize, Field)> = Field::ALL.into_iter().enumerate().collect();
        assert_eq!(map.columns, in_order);
        assert!(reader.next_row().is_none());

        let book: calamine::Sheets<_> =
            calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), [PERSON_SHEET, GUIDE_SHEET]);

        // A renamed template (.xls, or even .csv) is still read as a workbook.
        let bytes = person_template().unwrap();
        let reader = SheetReader::open(bytes.clone(), SheetFormat::Xls).unwrap();
        assert_eq!(reader.headers(), expected);
        let reader = SheetReader::open_reader(Cursor::new(bytes), SheetFormat::Csv).unwrap();
        assert_eq!(reader.headers(), expected);
    }

    #[test]
    fn excel_cells_read_as_the_user_sees_them() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for (col, h) in ["身份证号", "出生日期", "电话", "数值", "是否"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(1, col as u16, h).unwrap();
        }
        // An ID number typed into a General cell: Excel keeps 15 digits.
        sheet.write_number(2, 0, 440784195003011234_f64).unwrap();
        sheet
            .write_datetime_with_format(2, 1, WriteDateTime::from_ymd(1950, 3, 1).unwrap(), &date)
            .unwrap();
        sheet.write_number(2, 2, 13812345678_f64).unwrap();
        sheet.write_number(2, 3, 3.5).unwrap();
        sheet.write_boolean(2, 4, true).unwrap();
        // The same ID number typed into a Text cell keeps every digit.
        sheet.write_string(4, 0, "44078419500301123X").unwrap();
        let stamp = WriteDateTime::from_ymd(2026, 11, 23)
            .unwrap()
            .and_hms(8, 30, 0)
            .unwrap();
        sheet
            .write_datetime_with_format(4, 1, stamp, &datetime)
            .unwrap();
        sheet.write_number(4, 3, 0.1 + 0.2).unwrap();
        sheet.write_boolean(4, 4, false).unwrap();
        // Formatted but empty trailing cells.
        sheet.write_blank(7, 0, &date).unwrap();
        sheet.write_blank(7, 3, &date).unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let reader = SheetReader::open(bytes, SheetFormat::Xlsx).unwrap();
        // The header is in row 2, below a blank first row.
        assert_eq!(reader.header_row(), 2);
        assert_eq!(
            reader.headers(),
            ["身份证号", "出生日期", "电话", "数值", "是否"]
        );
        assert_eq!(
            all_rows(reader),
            [
                (
                    3,
                    strings(&[
                        "440784195003011000",
                        "1950-03-01",
                        "13812345678",
                        "3.5",
                        "是"
                    ])
                ),
                (
                    5,
                    strings(&["44078419500301123X", "2026-11-23 08:30:00", "", "0.3", "否"])
                ),
            ]
        );
    }

    #[test]
    fn numbers_print_as_digits() {
        assert_eq!(number_text(440784195003011234_f64), "440784195003011000");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(42.0), "42");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(-12.25), "-12.25");
        assert_eq!(number_text(f64::NAN), "");
    }

    #[test]
    fn header_problems_are_named() {
        let headers = strings(&[
            "*身份证号",
            "姓名",
            "籍贯",
            "身份证号码",
            "",
            "原行号",
            "440784195003011234",
        ]);
        let map = map_headers(&headers);
        assert!(!map.is_usable());
        assert_eq!(map.missing, [Field::Village]);
        assert_eq!(
            map.duplicates,
            [DuplicateColumn {
                field: Field::IdNumber,
                first: 0,
                second: 3
            }]
        );
        assert_eq!(map.columns, [(0, Field::IdNumber), (1, Field::Name)]);
        assert_eq!(
            map.errors(),
            [
                "A 列与 D 列都是“身份证号”，请只保留一列",
                "缺少必填列“居住村（社区）代码”：请在表头行加上该列，或使用导入模板",
            ]
        );
        // A data row where the header should be is not echoed.
        assert_eq!(
            map.warning().unwrap(),
            "以下列无法识别，已忽略：C 列“籍贯”、G 列"
        );

        let fine = map_headers(&strings(&["身份证号", "姓名", "村居代码"]));
        assert!(fine.is_usable() && fine.errors().is_empty() && fine.warning().is_none());

        let none = map_headers(&strings(&["a", "b"]));
        assert_eq!(none.errors().len(), 4);
        assert!(none.errors()[0].starts_with("没有识别出任何列"));
    }

    #[test]
    fn the_error_workbook_reads_back_with_row_numbers_and_messages() {
        let headers = strings(&["身份证号", "姓名", "备注"]);
        let rows = vec![
            (
                3,
                strings(&["440784195003011234", "李桂芳"]),
                "身份证号：校验码错误".to_owned(),
            ),
            (
                9,
                strings(&["0440784", "陈伯", "", "多出的一格"]),
                "身份证号：应为 18 位；居住村（社区）代码：不能为空".to_owned(),
            ),
        ];
        let bytes = error_workbook(&headers, &rows).unwrap();
        let reader = SheetReader::open(bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(
            reader.headers(),
            ["身份证号", "姓名", "备注", "", "原行号", "错误说明"]
        );
        // The added columns are not reported as unknown.
        assert_eq!(
            map_headers(reader.headers()).unknown,
            [(2, "备注".to_owned())]
        );
        assert_eq!(
            all_rows(reader),
            [
                (
                    2,
                    strings(&[
                        "440784195003011234",
                        "李桂芳",
                        "",
                        "",
                        "3",
                        "身份证号：校验码错误"
                    ])
                ),
                (
                    3,
                    strings(&[
                        "0440784",
                        "陈伯",
                        "",
                        "多出的一格",
                        "9",
                        "身份证号：应为 18 位；居住村（社区）代码：不能为空"
                    ])
                ),
            ]
        );
    }

    #[test]
    fn the_stream_writer_writes_every_row_as_text() {
        fn assert_send<T: Send>() {}
        assert_send::<XlsxStreamWriter>();
        assert_send::<SheetReader>();

        let row = |i: u32| {
            vec![
                format!("4407841950{i:08}"),
                format!("姓名{i}"),
                if i == 7 {
                    "=1+1".to_owned()
                } else {
                    String::new()
                },
            ]
        };
        let mut writer = XlsxStreamWriter::new("人员", &["身份证号", "姓名", "备注"]).unwrap();
        for i in 0..10_000 {
            writer.write_row(&row(i)).unwrap();
        }
        assert_eq!(writer.rows_written(), 10_000);
        let bytes = writer.finish().unwrap();

        let reader = SheetReader::open(bytes, SheetFormat::Xlsx).unwrap();
        assert_eq!(reader.headers(), ["身份证号", "姓名", "备注"]);
        let rows = all_rows(reader);
        assert_eq!(rows.len(), 10_000);
        assert_eq!(rows[0], (2, row(0)));
        assert_eq!(rows[7], (9, row(7)));
        assert_eq!(rows[9_999], (10_001, row(9_999)));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("导出.xlsx");
        let mut writer = XlsxStreamWriter::new_in(dir.path(), "人员", &["身份证号"]).unwrap();
        writer.write_row(&["440784195003011234"]).unwrap();
        writer.finish_to_path(&path).unwrap();
        let rows = all_rows(SheetReader::open_path(&path, SheetFormat::Xlsx).unwrap());
        assert_eq!(rows, [(2, strings(&["440784195003011234"]))]);
    }

    #[test]
    fn a_cell_too_long_for_excel_is_named() {
        let mut writer = XlsxStreamWriter::new("人员", &["a", "b"]).unwrap();
        let long = "长".repeat(40_000);
        let err = writer.write_row(&["", long.as_str()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "第 2 行 B 列的内容超过 Excel 单元格的上限（32,767 个字符）"
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_field("李桂芳"), "李桂芳");
        assert_eq!(csv_field("高龄,独居"), "\"高龄,独居\"");
        assert_eq!(csv_field("说\"好\""), "\"说\"\"好\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+86 138"), "'+86 138");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
        assert_eq!(csv_record(&["a", "b,c", ""]), "a,\"b,c\",\r\n");

        // What we write, we read back (apart from the defusing quote).
        let mut file = String::from(CSV_BOM);
        file.push_str(&csv_record(&["身份证号", "备注"]));
        file.push_str(&csv_record(&[
            "440784195003011234",
            "第一行\n第二行, \"引\"",
        ]));
        let rows = all_rows(SheetReader::open(file.into_bytes(), SheetFormat::Csv).unwrap());
        assert_eq!(
            rows,
            [(
                2,
                strings(&["440784195003011234", "第一行\n第二行, \"引\""])
            )]
        );
    }
}
