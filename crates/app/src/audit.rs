//! Writing, searching and verifying the audit trail.

use crate::actor::Who;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::audit::{AuditFields, ChainFault, ChainVerifier};
use kangyang_domain::Action;
use kangyang_store::audit::{self as store_audit, AuditFilter, AuditRow};
use kangyang_store::{Store, Tx};
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
    pub(crate) fn start(store: Store) -> AuditWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(store, rx));
        AuditWriter { queue }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let rows: Vec<AuditFields> = batch.iter().map(|(f, _)| f.clone()).collect();
        let outcome = write_batch(&store, &rows).await.map_err(|e| e.to_string());
        for (_, reply) in batch {
            // The request may have gone (client hung up); its row is written.
            let _ = reply.send(outcome.clone());
        }
    }
}

async fn write_batch(store: &Store, rows: &[AuditFields]) -> Result<()> {
    let (mut tx, _guard) = store.begin_audited().await?;
    store_audit::append_many(&mut tx, rows).await?;
    tx.commit().await?;
    Ok(())
}

impl App {
    fn fields(&self, who: &Who, e: Event<'_>) -> AuditFields {
        AuditFields {
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
        }
    }

    /// Appends a row inside `tx`, which must come from `Store::begin_audited`.
    pub(crate) async fn audit_in(&self, tx: &mut Tx, who: &Who, e: Event<'_>) -> Result<()> {
        store_audit::append(tx, &self.fields(who, e)).await?;
        Ok(())
    }

    /// Appends a row in a transaction of its own (shared with other rows
    /// arriving at the same moment: see [`AuditWriter`]); returns once the
    /// row is committed.
    pub(crate) async fn audit(&self, who: &Who, e: Event<'_>) -> Result<()> {
        let (reply, committed) = oneshot::channel();
        self.audit_writer
            .queue
            .send((self.fields(who, e), reply))
            .await
            .map_err(|_| AppError::internal("the audit writer has stopped"))?;
        committed
            .await
            .map_err(|_| AppError::internal("the audit writer has stopped"))?
            .map_err(AppError::Internal)
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

/// Walks the whole trail and checks its hash chain. Returns the rows checked,
/// or the first fault with the row it concerns.
pub async fn verify(app: &App) -> Result<std::result::Result<u64, ChainFault>> {
    let mut conn = app.store().pool().acquire().await?;
    let (head_id, head_hash) = store_audit::head(&mut conn).await?;
    // Page through rather than load the trail at once: it grows without bound.
    let mut verifier = ChainVerifier::new();
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
    let offset = crate::persons::page_offset(page, size)?;
    let (rows, total) = search(app, actor, filter, size, offset).await?;
    if rows.is_empty() && page > 1 {
        return Err(crate::persons::past_the_end(total, size));
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
    let mut conn = app.store().pool().acquire().await?;
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
    let mut conn = app.store().pool().acquire().await?;
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
