//! A provider's monthly settlement and the xlsx the bureau pays by.

use super::{anomalies_of, region_scope, scoped_provider};
use crate::actor::Who;
use crate::audit::Event;
use crate::kangyuan::{month_bounds, parse_month};
use crate::report_sheet::ReportSheet;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::home_care::{self as rules, Anomaly, ReviewOutcome, SettledOrder};
use kangyang_domain::money::Fen;
use kangyang_domain::Action;
use kangyang_store::home_care::{self as store, OrderFilter, OrderRow, OrderScope};
use rust_xlsxwriter::XlsxError;
use serde::Serialize;

/// One order's line of the settlement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettlementLine {
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub quantity: i64,
    pub day: String,
    pub caregiver: String,
    pub government_fen: i64,
    pub personal_fen: i64,
    /// "" paid, "held" (flagged, waiting for review) or "rejected".
    pub status: &'static str,
    pub anomalies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderSettlement {
    pub provider_id: i64,
    pub provider: String,
    pub month: String,
    pub lines: Vec<SettlementLine>,
    pub orders: u64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub held_orders: u64,
    /// Government part of flagged orders not yet reviewed: held back.
    pub held_fen: i64,
    pub rejected_orders: u64,
    pub rejected_fen: i64,
    /// What the bureau pays now.
    pub payable_fen: i64,
}

/// A provider's month: its finished orders, government and personal parts,
/// flagged orders held back until reviewed.
pub async fn settlement(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<ProviderSettlement> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_provider(app, actor, provider, "home_care.settlement").await?;
    let (y, m) = parse_month(month)?;
    month_bounds(y, m)?;
    let month = format!("{y}-{m:02}");
    let mut conn = app.store().read().await?;
    // The provider's own orders, whoever asks: the region bound still holds.
    let scope = OrderScope::from(&region_scope(actor));
    let rows = store::orders(
        &mut conn,
        &scope,
        &OrderFilter {
            provider_id: Some(provider),
            month: Some(month.clone()),
            limit: 100_000,
            ..OrderFilter::default()
        },
    )
    .await?;
    drop(conn);
    let mut settled = Vec::new();
    let mut lines = Vec::new();
    let mut rows: Vec<OrderRow> = rows
        .into_iter()
        .filter(|o| matches!(o.state.as_str(), "done" | "rated"))
        .collect();
    rows.sort_by_key(|o| (o.scheduled_at, o.id));
    for o in rows {
        let anomalies = anomalies_of(&o.anomalies);
        let rejected = o.review == ReviewOutcome::Rejected.as_str();
        let held = !anomalies.is_empty() && o.review.is_empty();
        settled.push(SettledOrder {
            split: rules::OrderSplit {
                government: Fen(o.government_fen),
                personal: Fen(o.personal_fen),
            },
            held,
            rejected,
        });
        lines.push(SettlementLine {
            order_id: o.id,
            person_name: o.person_name,
            item_name: o.item_name,
            quantity: o.quantity,
            day: civil::date_of(o.scheduled_at).to_string(),
            caregiver: o.caregiver_name.unwrap_or_default(),
            government_fen: o.government_fen,
            personal_fen: o.personal_fen,
            status: if rejected {
                "rejected"
            } else if held {
                "held"
            } else {
                ""
            },
            anomalies: anomalies.iter().map(Anomaly::describe).collect(),
        });
    }
    let s = rules::settle(&settled)
        .ok_or_else(|| AppError::invalid_field("amount", "金额", "金额超出可记录的范围"))?;
    Ok(ProviderSettlement {
        provider_id: provider,
        provider: facility.name.clone(),
        month,
        lines,
        orders: s.orders,
        government_fen: s.government.0,
        personal_fen: s.personal.0,
        held_orders: s.held_orders,
        held_fen: s.held.0,
        rejected_orders: s.rejected_orders,
        rejected_fen: s.rejected.0,
        payable_fen: s.payable.0,
    })
}

/// The settlement as the xlsx the provider signs and the bureau pays by.
pub async fn settlement_xlsx(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<Vec<u8>> {
    let s = settlement(app, actor, provider, month).await?;
    let bytes = settlement_workbook(&s).map_err(AppError::internal)?;
    let mut event = Event::ok(
        "home_care.settlement_export",
        "facility",
        provider.to_string(),
    );
    event.detail =
        serde_json::json!({ "month": s.month, "orders": s.orders, "held": s.held_orders });
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn settlement_workbook(s: &ProviderSettlement) -> Result<Vec<u8>, XlsxError> {
    let mut sheet = ReportSheet::new("居家上门服务结算表")?;
    let headers = [
        "工单号",
        "服务日期",
        "老人",
        "服务项目",
        "数量",
        "护理员",
        "政府购买（元）",
        "个人支付（元）",
        "状态",
    ];
    sheet.title(
        &format!("{} {} 居家养老上门服务结算表", s.provider, s.month),
        headers.len() as u16,
    )?;
    sheet.headers(1, &headers)?;
    sheet.widths(&[
        (1, 12.0),
        (2, 10.0),
        (3, 18.0),
        (5, 10.0),
        (6, 14.0),
        (7, 14.0),
        (8, 30.0),
    ])?;
    let mut row = 2u32;
    for l in &s.lines {
        sheet.number(row, 0, l.order_id as f64)?;
        sheet.text(row, 1, &l.day)?;
        sheet.text(row, 2, &l.person_name)?;
        sheet.text(row, 3, &l.item_name)?;
        sheet.number(row, 4, l.quantity as f64)?;
        sheet.text(row, 5, &l.caregiver)?;
        sheet.yuan(row, 6, l.government_fen)?;
        sheet.yuan(row, 7, l.personal_fen)?;
        let status = match l.status {
            "held" => format!("待核暂扣：{}", l.anomalies.join("；")),
            "rejected" => format!("核实不实，不予结算：{}", l.anomalies.join("；")),
            _ => String::new(),
        };
        sheet.text(row, 8, &status)?;
        row += 1;
    }
    sheet.label(row, 0, "合计")?;
    sheet.total(row, 4, s.orders as f64)?;
    sheet.yuan(row, 6, s.government_fen)?;
    sheet.yuan(row, 7, s.personal_fen)?;
    row += 1;
    for (label, orders, fen) in [
        ("待核暂扣", s.held_orders, s.held_fen),
        ("核实不实不予结算", s.rejected_orders, s.rejected_fen),
    ] {
        sheet.label(row, 0, label)?;
        sheet.number(row, 4, orders as f64)?;
        sheet.yuan(row, 6, fen)?;
        row += 1;
    }
    sheet.label(row, 0, "本月应付（政府购买）")?;
    sheet.yuan(row, 6, s.payable_fen)?;
    row += 2;
    sheet.note(
        row,
        0,
        "服务机构负责人（签章）：　　　　　　经办人：　　　　　　审核（民政）：",
    )?;
    sheet.finish()
}
