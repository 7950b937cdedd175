//! Writing, searching and verifying the audit trail.

use crate::actor::Who;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::audit::{AuditFields, ChainFault, ChainKey, ChainVerifier};
use kangyang_domain::Action;
use kangyang_store::audit::{self as store_audit, AuditFilter, AuditRow};
use kangyang_store::{Conn, Store, Tx};
use tokio::sync::{mpsc, oneshot};

/// What happened, for one audit row.
pub(crate) struct Event<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub result: Outcome,
    /// Structured detail. Callers mask sensitive values before they get here.
    pub detail: serde_json::Value,
}

impl<'a> Event<'a> {
    /// A successful action on an object, with nothing more to say.
    pub fn ok(action: &'a str, object_type: &'a str, object_id: String) -> Event<'a> {
        Event {
            action,
            object_type,
            object_id,
            result: Outcome::Ok,
            detail: serde_json::Value::Null,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Denied => "denied",
        }
    }
}

/// Appends, inside `tx` (which must come from `Store::begin_audited`), the
/// row of a change the command-line operator made by writing through the
/// store: the demo's generators, which have no signed-in user and write in
/// bulk. The row names the command line, never a user.
pub async fn record_cli_in(
    app: &App,
    tx: &mut Tx,
    action: &str,
    object_type: &str,
    object_id: String,
    detail: serde_json::Value,
) -> Result<()> {
    let event = Event {
        action,
        object_type,
        object_id,
        result: Outcome::Ok,
        detail,
    };
    app.audit_in(tx, &Who::cli(), event).await
}

/// A stand-alone audit row waiting to be written, and who waits for it.
type Pending = (
    AuditFields,
    oneshot::Sender<std::result::Result<(), String>>,
);

/// Most rows one commit takes.
const MAX_BATCH: usize = 512;

/// Group commit of stand-alone audit rows (each read of a person is one).
/// A row is written before the request that caused it is answered, as
/// before; but rows that arrive while a commit is being made to disk wait
/// for the next commit together, so a busy server makes one durable commit
/// per batch instead of one per read. With one request at a time nothing
/// waits: the writer takes a row the moment it arrives.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl AuditWriter {
    pub(crate) fn start(store: Store, key: ChainKey) -> AuditWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(store, key, rx));
        AuditWriter { queue }
    }
}

async fn write_batches(store: Store, key: ChainKey, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let rows: Vec<AuditFields> = batch.iter().map(|(f, _)| f.clone()).collect();
        let outcome = write_batch(&store, &key, &rows)
            .await
            .map_err(|e| e.to_string());
        for (_, reply) in batch {
            // The request may have gone (client hung up); its row is written.
            let _ = reply.send(outcome.clone());
        }
    }
}

async fn write_batch(store: &Store, key: &ChainKey, rows: &[AuditFields]) -> Result<()> {
    let (mut tx, _guard) = store.begin_audited().await?;
    store_audit::append_many(&mut tx, key, rows).await?;
    tx.commit().await?;
    Ok(())
}

impl App {
    /// The row's fields; its region is the object's where the object has
    /// one (looked up on `conn`, which sees the caller's transaction), else
    /// the actor's.
    async fn fields(&self, conn: &mut Conn, who: &Who, e: Event<'_>) -> Result<AuditFields> {
        let region = store_audit::object_region(conn, e.object_type, &e.object_id)
            .await?
            .unwrap_or_else(|| who.region.clone());
        Ok(AuditFields {
            at: self.now(),
            user_id: who.user_id,
            username: who.username.clone(),
            ip: who.ip.clone(),
            action: e.action.to_owned(),
            object_type: e.object_type.to_owned(),
            object_id: e.object_id,
            result: e.result.as_str().to_owned(),
            detail: if e.detail.is_null() {
                String::new()
            } else {
                e.detail.to_string()
            },
            region,
        })
    }

    /// Appends a row inside `tx`, which must come from `Store::begin_audited`.
    pub(crate) async fn audit_in(&self, tx: &mut Tx, who: &Who, e: Event<'_>) -> Result<()> {
        let fields = self.fields(tx, who, e).await?;
        store_audit::append(tx, &self.keys().audit_chain_key(), &fields).await?;
        Ok(())
    }

    /// Appends a row in a transaction of its own (shared with other rows
    /// arriving at the same moment: see [`AuditWriter`]); returns once the
    /// row is committed.
    pub(crate) async fn audit(&self, who: &Who, e: Event<'_>) -> Result<()> {
        let fields = {
            let mut conn = self.store().read().await?;
            self.fields(&mut conn, who, e).await?
        };
        let (reply, committed) = oneshot::channel();
        self.audit_writer
            .queue
            .send((fields, reply))
            .await
            .map_err(|_| AppError::internal("the audit writer has stopped"))?;
        committed
            .await
            .map_err(|_| AppError::internal("the audit writer has stopped"))?
            .map_err(AppError::internal)
    }

    /// Fails unless `actor` may take `action` now; a refusal for want of the
    /// permission is audited. Every use case starts here.
    pub(crate) async fn require(&self, actor: &Actor, action: Action) -> Result<()> {
        match actor.check(action) {
            Err(AppError::Forbidden) => {
                self.audit_denied(actor, action.as_str(), "permission", "")
                    .await?;
                Err(AppError::Forbidden)
            }
            other => other,
        }
    }

    /// Records that `actor` was refused `what` (outside scope, or not permitted).
    pub(crate) async fn audit_denied(
        &self,
        actor: &Actor,
        what: &str,
        object_type: &str,
        object_id: &str,
    ) -> Result<()> {
        self.audit(
            &Who::from(actor),
            Event {
                action: what,
                object_type,
                object_id: object_id.to_owned(),
                result: Outcome::Denied,
                detail: serde_json::Value::Null,
            },
        )
        .await
    }
}

/// A row's id and MAC as recorded outside the machine (`kangyang audit head`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: String,
}

impl Anchor {
    /// Reads `ID:HASH`, as `kangyang audit head` prints it.
    pub fn parse(s: &str) -> Option<Anchor> {
        let (id, hash) = s.trim().split_once(':')?;
        let id = id.trim().parse().ok().filter(|id| *id > 0)?;
        let hash = hash.trim();
        (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Anchor {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.hash)
    }
}

/// The chain's head, to be recorded outside the machine (a notary, a
/// printed log): with it, even a rewrite by someone who also stole the key
/// file shows.
pub async fn head(app: &App) -> Result<Anchor> {
    let mut conn = app.store().read().await?;
    let (id, hash) = store_audit::head(&mut conn).await?;
    Ok(Anchor { id, hash })
}

/// Walks the whole trail and checks its MAC chain, and that each anchor
/// recorded earlier still names a row with the same MAC. Returns the rows
/// checked, or the first fault with the row it concerns.
pub async fn verify(app: &App, anchors: &[Anchor]) -> Result<std::result::Result<u64, ChainFault>> {
    let mut conn = app.store().read().await?;
    for anchor in anchors {
        let row = store_audit::row(&mut conn, anchor.id).await?;
        if row.is_none_or(|r| r.hash != anchor.hash) {
            return Ok(Err(ChainFault::AnchorMismatch { id: anchor.id }));
        }
    }
    let (head_id, head_hash) = store_audit::head(&mut conn).await?;
    let keyed_from = store_audit::keyed_from(&mut conn).await?;
    let mut verifier = match ChainVerifier::new(app.keys().audit_chain_key(), &keyed_from) {
        Ok(v) => v,
        Err(fault) => return Ok(Err(fault)),
    };
    // Page through rather than load the trail at once: it grows without bound.
    let mut after = 0;
    loop {
        let page = store_audit::page(&mut conn, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in page {
            if let Err(fault) = verifier.push(&row.into()) {
                return Ok(Err(fault));
            }
        }
    }
    Ok(verifier.finish(head_id, &head_hash))
}

/// The filter narrowed to the rows the actor may read: those about their
/// region's subtree, and, for auditors of a whole province, the rows tied to
/// no region (the command line, sign-ins under unknown names).
fn scoped(actor: &Actor, filter: &AuditFilter) -> AuditFilter {
    let region = actor.scope.region();
    AuditFilter {
        region: Some(region.subtree_range()),
        unregioned: region.level() == kangyang_domain::RegionLevel::Province,
        ..filter.clone()
    }
}

/// The auditor's search of the trail; the search itself is audited.
/// Page `page` (from 1) of `size` entries; a page past the end is refused
/// (naming `page`), after the permission check.
pub async fn search_page(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    size: i64,
    page: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    app.require(actor, Action::AuditRead).await?;
    let offset = crate::register::page_offset(page, size)?;
    let (rows, total) = search(app, actor, filter, size, offset).await?;
    if rows.is_empty() && page > 1 {
        return Err(crate::register::past_the_end(total, size));
    }
    Ok((rows, total))
}

pub async fn search(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    app.require(actor, Action::AuditRead).await?;
    let filter = &scoped(actor, filter);
    let mut conn = app.store().read().await?;
    let found = store_audit::search(&mut conn, filter, limit.clamp(1, 500), offset.max(0)).await?;
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event {
            action: "audit.search",
            object_type: "audit_log",
            object_id: String::new(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "username": filter.username,
                "action": filter.action,
                "from": filter.from,
                "to": filter.to,
            }),
        },
    )
    .await?;
    Ok(found)
}

/// Every matching row, newest first, for the auditor's export; the export
/// itself is audited. Capped, so one request cannot hold the server.
pub async fn export(app: &App, actor: &Actor, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
    const CAP: i64 = 200_000;
    app.require(actor, Action::AuditRead).await?;
    let filter = &scoped(actor, filter);
    let mut conn = app.store().read().await?;
    let mut rows = Vec::new();
    loop {
        let (page, _) = store_audit::search(&mut conn, filter, 5_000, rows.len() as i64).await?;
        let done = page.len() < 5_000;
        rows.extend(page);
        if done || rows.len() as i64 >= CAP {
            break;
        }
    }
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event {
            action: "audit.export",
            object_type: "audit_log",
            object_id: String::new(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "rows": rows.len(),
                "username": filter.username,
                "action": filter.action,
                "from": filter.from,
                "to": filter.to,
            }),
        },
    )
    .await?;
    Ok(rows)
}

/// Writes the chain's head into the server's log when it starts and once a
/// day after: the log leaves the machine (syslog, the operator's archive),
/// so each day's head is an anchor that a later rewrite cannot match.
pub async fn log_head_daily(app: App) {
    let mut logged_on = None;
    loop {
        let today = app.today();
        if logged_on != Some(today) {
            match head(&app).await {
                Ok(anchor) => {
                    tracing::info!(anchor = %anchor, "audit trail head (record it: `kangyang audit verify --anchor ID:HASH` checks it later)");
                    logged_on = Some(today);
                }
                Err(e) => tracing::warn!(error = %e, "audit trail head not read"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}
