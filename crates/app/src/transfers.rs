//! Transfer requests (迁入申请): a person registered in one region who now
//! lives in another is moved there at the new region's request, with the
//! consent of the region that holds the record.
//!
//! The receiving region's official makes the request by ID number (in a POST
//! body, never a URL; kept as its blind index, never logged or audited). The
//! request says "pending" whether or not anyone holds that number: the
//! requester learns nothing until the holding region's officials, who see it
//! among the requests for their people, accept it (the person's village
//! becomes the requested one) or refuse it. Every step is audited, by
//! request and person id.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::register::{check_village, move_to_village, village_name, ID_KIND};
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::{Action, RegionCode, Scope};
use kangyang_store::register::{self as store_persons, PersonScope};
use kangyang_store::transfers::{self as store, NewTransfer, TransferRow};
use serde::Serialize;

/// What a request asks.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    /// The person's 18-digit ID number (spaces and full-width digits are repaired).
    #[serde(default)]
    pub id_number: String,
    /// The 12-digit village in the requester's region the person now lives in.
    #[serde(default)]
    pub village: String,
    /// Why (e.g. 随子女迁居), shown to the holding region.
    #[serde(default)]
    pub reason: String,
}

/// A request as one side sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: i64,
    /// The number as typed, masked (4407**********123X).
    pub id_number: String,
    pub to_village: String,
    pub to_village_name: String,
    pub reason: String,
    pub requester: String,
    pub created_at: String,
    /// pending, accepted or refused.
    pub status: String,
    pub status_label: &'static str,
    /// The person the request means: for the holding region while it is
    /// pending, for both sides once accepted.
    pub person_id: Option<i64>,
    /// Where the person lived: shown to the holding region, and to the
    /// requester only once accepted.
    pub from_village: Option<String>,
    pub decided_at: Option<String>,
    /// Whether this user may accept or refuse it now.
    pub may_decide: bool,
}

/// The requests a user sees: those their region made, and those for people
/// their region holds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferLists {
    pub outgoing: Vec<TransferView>,
    pub incoming: Vec<TransferView>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "待处理",
        "accepted" => "已同意迁入",
        "refused" => "未同意",
        _ => "未知",
    }
}

/// Transfers are a region's business: a facility's staff reach only their
/// facility's people and may not move anyone.
async fn require_region(app: &App, actor: &Actor) -> Result<RegionCode> {
    app.require(actor, Action::PersonWrite).await?;
    match &actor.scope {
        Scope::Region { region } => Ok(region.clone()),
        Scope::Facility { .. } => {
            app.audit_denied(actor, "transfer", "transfer", "").await?;
            Err(AppError::Forbidden)
        }
    }
}

/// Asks for a person to be moved into the actor's region. Always "pending":
/// whether the number is registered, and where, is not told.
pub async fn request(app: &App, actor: &Actor, input: &TransferInput) -> Result<i64> {
    let region = require_region(app, actor).await?;
    let id_number = kangyang_domain::id_number::repair(&input.id_number)
        .result
        .map_err(|e| AppError::invalid_field("id_number", "身份证号", format!("身份证号：{e}")))?;
    let village_text =
        crate::regions::resolve_input(app, actor, &input.village, "village", "迁入村（社区）")
            .await?;
    let village = RegionCode::parse(&village_text).map_err(|_| {
        AppError::invalid_field(
            "village",
            "迁入村（社区）",
            "迁入村（社区）：应为 12 位统计用区划代码",
        )
    })?;
    let reason: String = input.reason.trim().chars().take(200).collect();
    let index = app.keys().blind_index(ID_KIND, id_number.as_str());
    let mut conn = app.store().read().await?;
    check_village(&mut conn, &actor.scope, &village)
        .await
        .map_err(|e| {
            AppError::invalid_field(
                "village",
                "迁入村（社区）",
                format!("迁入村（社区）：{}", e.message),
            )
        })?;
    // Someone already in the actor's reach needs no transfer: say so, as the
    // register's own search would.
    if let Some((id, _, _)) = store_persons::find_by_id_index(&mut conn, &index).await? {
        if store_persons::get(&mut conn, &PersonScope::from(&actor.scope), id)
            .await?
            .is_some()
        {
            return Err(AppError::invalid_field(
                "id_number",
                "身份证号",
                "此人已在您的名单中登记，无需迁入；如居住村（社区）有变，请直接修改",
            ));
        }
    }
    let (lo, hi) = region.subtree_range();
    if store::pending_for(&mut conn, &index, &lo, &hi)
        .await?
        .is_some()
    {
        return Err(AppError::invalid_field(
            "id_number",
            "身份证号",
            "本辖区已为此身份证号提交过迁入申请，正在等待处理",
        ));
    }
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::insert(
        &mut tx,
        &NewTransfer {
            id_index: index,
            id_masked: id_number.masked(),
            to_village: village.to_string(),
            reason,
            requested_by: actor.user_id,
        },
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event {
            action: "transfer.request",
            object_type: "transfer",
            object_id: id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "to_village": village.to_string() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn view(
    conn: &mut kangyang_store::Conn,
    row: TransferRow,
    holder: bool,
    may_decide: bool,
) -> Result<TransferView> {
    let show_person = holder || row.status == "accepted";
    Ok(TransferView {
        id: row.id,
        id_number: row.id_masked,
        to_village_name: village_name(conn, &row.to_village).await?,
        to_village: row.to_village,
        reason: row.reason,
        requester: row.requester,
        created_at: civil::datetime(row.created_at),
        status_label: status_label(&row.status),
        status: row.status,
        person_id: row.person_id.filter(|_| show_person),
        from_village: row.from_village.filter(|_| show_person),
        decided_at: row.decided_at.map(civil::datetime),
        may_decide,
    })
}

/// The requests the actor's region made, and those it must decide (or decided).
pub async fn list(app: &App, actor: &Actor) -> Result<TransferLists> {
    let region = require_region(app, actor).await?;
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    let mut outgoing = Vec::new();
    for row in store::to_region(&mut conn, &lo, &hi).await? {
        // A request inside one region (a city official's two counties) is
        // also the region's to decide: show the person only on that side.
        outgoing.push(view(&mut conn, row, false, false).await?);
    }
    let mut incoming = Vec::new();
    let scope = PersonScope::from(&actor.scope);
    for row in store::for_holder(&mut conn, &scope, &lo, &hi).await? {
        let pending = row.status == "pending";
        incoming.push(view(&mut conn, row, true, pending).await?);
    }
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event::ok("transfer.list", "transfer", String::new()),
    )
    .await?;
    Ok(TransferLists { outgoing, incoming })
}

/// Which side of a request the actor is on, if any.
enum Side {
    /// Their region asked; nothing about the person is theirs to see.
    Requester,
    /// Their region holds (or held) the person.
    Holder {
        person: Option<Box<kangyang_store::register::PersonRow>>,
    },
}

/// A request and the actor's side of it; anyone else gets `NotFound`.
async fn find(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    id: i64,
    what: &str,
) -> Result<(TransferRow, Side)> {
    let mut conn = app.store().read().await?;
    let found = store::get(&mut conn, id).await?;
    let covers = |code: &str| RegionCode::parse(code).is_ok_and(|c| region.contains(&c));
    let side = match &found {
        None => None,
        Some((row, index)) if row.status == "pending" => {
            // The holder: the person with this number lies in the actor's scope.
            let person = match store_persons::find_by_id_index(&mut conn, index).await? {
                Some((pid, _, _)) => {
                    store_persons::get(&mut conn, &PersonScope::from(&actor.scope), pid).await?
                }
                None => None,
            };
            match person {
                Some(p) => Some(Side::Holder {
                    person: Some(Box::new(p)),
                }),
                None if covers(&row.to_village) => Some(Side::Requester),
                None => None,
            }
        }
        Some((row, _)) => {
            if row.from_village.as_deref().is_some_and(covers) {
                Some(Side::Holder { person: None })
            } else if covers(&row.to_village) {
                Some(Side::Requester)
            } else {
                None
            }
        }
    };
    drop(conn);
    match (found, side) {
        (Some((row, _)), Some(side)) => Ok((row, side)),
        _ => {
            app.audit_denied(actor, what, "transfer", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// One request, as the actor's side sees it.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<TransferView> {
    let region = require_region(app, actor).await?;
    let (mut row, side) = find(app, actor, &region, id, "transfer.read").await?;
    let (holder, may_decide) = match &side {
        Side::Requester => (false, false),
        Side::Holder { person } => {
            if let Some(p) = person {
                row.person_id = Some(p.id);
                row.from_village = Some(p.values.village_code.clone());
            }
            (true, person.is_some())
        }
    };
    let mut conn = app.store().read().await?;
    let v = view(&mut conn, row, holder, may_decide).await?;
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event::ok("transfer.read", "transfer", id.to_string()),
    )
    .await?;
    Ok(v)
}

/// Accepts (the person moves to the requested village) or refuses a pending
/// request for a person the actor's region holds.
pub async fn decide(app: &App, actor: &Actor, id: i64, accept: bool) -> Result<TransferView> {
    let region = require_region(app, actor).await?;
    let action = if accept {
        "transfer.accept"
    } else {
        "transfer.refuse"
    };
    let (row, side) = find(app, actor, &region, id, action).await?;
    let person = match side {
        Side::Holder {
            person: Some(person),
        } => person,
        Side::Holder { person: None } => {
            return Err(AppError::invalid_field(
                "transfer",
                "迁入申请",
                format!("此申请已处理（{}）", status_label(&row.status)),
            ))
        }
        Side::Requester => {
            return Err(AppError::invalid_field(
                "transfer",
                "迁入申请",
                "迁入申请由此人原登记地的民政工作人员处理",
            ))
        }
    };
    let to = RegionCode::parse(&row.to_village)
        .map_err(|_| AppError::internal("a transfer request holds a bad village code"))?;
    let from = person.values.village_code.clone();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let status = if accept { "accepted" } else { "refused" };
    if !store::decide(
        &mut tx,
        id,
        status,
        person.id,
        &from,
        actor.user_id,
        app.now(),
    )
    .await?
    {
        return Err(AppError::invalid_field(
            "transfer",
            "迁入申请",
            "此申请已由他人处理",
        ));
    }
    let who = Who::from(actor);
    let detail =
        serde_json::json!({ "transfer": id, "from_village": from, "to_village": row.to_village });
    if accept {
        // The village must still be current; the holder's scope does not
        // cover it, so it is checked within itself.
        check_village(&mut tx, &Scope::Region { region: to.clone() }, &to)
            .await
            .map_err(|e| {
                AppError::invalid_field(
                    "village",
                    "迁入村（社区）",
                    format!("迁入村（社区）：{}", e.message),
                )
            })?;
        move_to_village(app, &mut tx, &who, action, &person, &to, detail).await?;
    } else {
        app.audit_in(
            &mut tx,
            &who,
            Event {
                action,
                object_type: "person",
                object_id: person.id.to_string(),
                result: Outcome::Ok,
                detail,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let mut conn = app.store().read().await?;
    let decided = store::get(&mut conn, id)
        .await?
        .map(|(row, _)| row)
        .ok_or(AppError::NotFound)?;
    let v = view(&mut conn, decided, true, false).await?;
    drop(conn);
    Ok(v)
}
