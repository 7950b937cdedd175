//! The one-sheet report workbooks offices print and sign (attendance, payouts,
//! settlements, the dashboard overview): a bold title, a bordered table with a
//! bold header, money in yuan with two decimals, and lines for signatures.
//! Each report lays out its own rows; the look is decided here, once.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

pub(crate) struct ReportSheet {
    sheet: Worksheet,
    title: Format,
    head: Format,
    cell: Format,
    money: Format,
}

impl ReportSheet {
    /// An empty sheet named `name` (Excel's tab).
    pub(crate) fn new(name: impl Into<String>) -> Result<ReportSheet, XlsxError> {
        let mut sheet = Worksheet::new();
        sheet.set_name(name.into())?;
        Ok(ReportSheet {
            sheet,
            title: Format::new().set_bold().set_font_size(14),
            head: Format::new().set_bold().set_border(FormatBorder::Thin),
            cell: Format::new().set_border(FormatBorder::Thin),
            money: Format::new()
                .set_border(FormatBorder::Thin)
                .set_num_format("#,##0.00"),
        })
    }

    /// Header and table cells centred (a grid of short marks).
    pub(crate) fn centred(mut self) -> ReportSheet {
        self.head = self.head.set_align(FormatAlign::Center);
        self.cell = self.cell.set_align(FormatAlign::Center);
        self
    }

    /// The title on the first row, merged across `columns` columns.
    pub(crate) fn title(&mut self, text: &str, columns: u16) -> Result<(), XlsxError> {
        if columns > 1 {
            self.sheet
                .merge_range(0, 0, 0, columns - 1, text, &self.title)?;
        } else {
            self.sheet
                .write_string_with_format(0, 0, text, &self.title)?;
        }
        Ok(())
    }

    /// A header row: bold, bordered, from the first column.
    pub(crate) fn headers<S: AsRef<str>>(
        &mut self,
        row: u32,
        headers: &[S],
    ) -> Result<(), XlsxError> {
        for (col, h) in headers.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            self.label(row, col, h.as_ref())?;
        }
        Ok(())
    }

    /// Column widths, in characters.
    pub(crate) fn widths(&mut self, widths: &[(u16, f64)]) -> Result<(), XlsxError> {
        for &(col, width) in widths {
            self.sheet.set_column_width(col, width)?;
        }
        Ok(())
    }

    /// Bold and bordered text: a header or a total's name.
    pub(crate) fn label(&mut self, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
        self.sheet
            .write_string_with_format(row, col, text, &self.head)?;
        Ok(())
    }

    /// A bold, bordered figure: a count on a total line.
    pub(crate) fn total(&mut self, row: u32, col: u16, n: f64) -> Result<(), XlsxError> {
        self.sheet
            .write_number_with_format(row, col, n, &self.head)?;
        Ok(())
    }

    /// Text in a table cell.
    pub(crate) fn text(&mut self, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
        self.sheet
            .write_string_with_format(row, col, text, &self.cell)?;
        Ok(())
    }

    /// A figure in a table cell.
    pub(crate) fn number(&mut self, row: u32, col: u16, n: f64) -> Result<(), XlsxError> {
        self.sheet
            .write_number_with_format(row, col, n, &self.cell)?;
        Ok(())
    }

    /// An amount in integer fen, shown in yuan with two decimals.
    pub(crate) fn yuan(&mut self, row: u32, col: u16, fen: i64) -> Result<(), XlsxError> {
        self.sheet
            .write_number_with_format(row, col, fen as f64 / 100.0, &self.money)?;
        Ok(())
    }

    /// Text outside the table: a note, a list, the signature line.
    pub(crate) fn note(&mut self, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
        self.sheet.write_string(row, col, text)?;
        Ok(())
    }

    /// The workbook's bytes.
    pub(crate) fn finish(self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        book.push_worksheet(self.sheet);
        book.save_to_buffer()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    #[test]
    fn a_report_reads_back_as_laid_out() {
        let mut sheet = ReportSheet::new("结算表").unwrap();
        sheet.title("某饭堂 2026-03 结算表", 3).unwrap();
        sheet.headers(1, &["档次", "餐数", "补贴（元）"]).unwrap();
        sheet.text(2, 0, "特困").unwrap();
        sheet.number(2, 1, 12.0).unwrap();
        sheet.yuan(2, 2, 12_345).unwrap();
        sheet.label(3, 0, "合计").unwrap();
        sheet.note(5, 0, "经办人：").unwrap();
        let bytes = sheet.finish().unwrap();

        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["结算表".to_owned()]);
        let range = book.worksheet_range("结算表").unwrap();
        let at = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(at(0, 0), Data::String("某饭堂 2026-03 结算表".into()));
        assert_eq!(at(1, 2), Data::String("补贴（元）".into()));
        assert_eq!(at(2, 1), Data::Float(12.0));
        assert_eq!(at(2, 2), Data::Float(123.45), "fen are written as yuan");
        assert_eq!(at(3, 0), Data::String("合计".into()));
        assert_eq!(at(5, 0), Data::String("经办人：".into()));
        let merged = book.merge_cells_by_sheet_name("结算表").unwrap();
        assert_eq!(merged.len(), 1, "the title is merged across the table");
        assert_eq!(merged[0].end, (0, 2));
    }
}
