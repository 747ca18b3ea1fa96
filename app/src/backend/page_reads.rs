//! Reads shared by everything a page renders in one request. A tenant page
//! asks for its context (who is looking) and for its data (the projects) as
//! two server functions, which during server rendering run side by side in
//! the same request; each looking the member up and opening a transaction of
//! its own cost extra round trips on every page. The server's router provides
//! a fresh [`PageReads`] for each request.
//!
//! - The member is looked up once per request (it is data: kept for the
//!   whole render), and only when this instance has not kept them
//!   (`members::known`): then the page's context needs no transaction.
//! - The read-only transaction is shared while someone is using it: it is
//!   held only by the calls using it, never by the render as a whole. A call
//!   that comes after the others are done opens a new one. Holding it for
//!   the render would let one render keep a connection while another of its
//!   calls waits for one (a deadlock on a one-connection SQLite pool, and
//!   under load on any pool).
//!
//! Only reads share it: the transaction is read-only; writes open their own.

use std::sync::{Arc, Mutex, Weak};
use tenantry::authz::{self, Need, Principal};
use tenantry::identity::members::{self, Known, Member};
use tenantry::tenancy::{TenantCtx, TenantDb};
use tenantry::Error;
use uuid::Uuid;

/// The shared reads of one request; clones share them.
#[derive(Clone, Default)]
pub struct PageReads(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// Who the session names, as looked up in this request. Held while a
    /// call opens the transaction and looks the member up, so that a second
    /// call waits for the first instead of doing the same.
    member: tokio::sync::Mutex<Option<Seen>>,
    /// The transaction in use (and whose it is), if any call still holds it.
    db: Mutex<Option<(Uuid, Weak<TenantDb>)>>,
}

#[derive(Clone)]
struct Seen {
    tenant: Uuid,
    subject: Uuid,
    member: Option<Member>,
}

/// A read transaction of the page's tenant and the member its session names.
pub struct Shared {
    pub db: Arc<TenantDb>,
    pub member: Option<Member>,
}

impl PageReads {
    /// Provides a fresh one to the request being set up (the server's router
    /// calls this for every page and server function request).
    pub fn provide() {
        leptos::prelude::provide_context(Self::default());
    }

    /// This request's reads, if any (read it before the first `.await`: a
    /// resource may resume after the context is gone).
    pub fn of_render() -> Option<Self> {
        leptos::prelude::use_context::<Self>()
    }

    /// A read of `ctx` as `subject`: the transaction another call of this
    /// request is using, or a new one; and the member, looked up once.
    pub async fn open(&self, ctx: &TenantCtx, subject: Uuid) -> tenantry::Result<Shared> {
        // Always the member's lock first, then the transaction: a call that
        // held a connection while waiting for the lock could starve one
        // that holds the lock and waits for a connection.
        let mut seen = self.0.member.lock().await;
        let db = self.db(ctx).await?;
        let member = self.look_up(&mut seen, ctx, subject, Some(&db)).await?;
        Ok(Shared { db, member })
    }

    /// The member `subject` names, looked up once per request; a
    /// transaction is opened only when this instance has not kept them.
    pub async fn member(&self, ctx: &TenantCtx, subject: Uuid) -> tenantry::Result<Option<Member>> {
        let mut seen = self.0.member.lock().await;
        self.look_up(&mut seen, ctx, subject, None).await
    }

    async fn look_up(
        &self,
        seen: &mut Option<Seen>,
        ctx: &TenantCtx,
        subject: Uuid,
        db: Option<&Arc<TenantDb>>,
    ) -> tenantry::Result<Option<Member>> {
        let tenant = ctx.id().uuid();
        if let Some(s) = seen.as_ref() {
            if s.tenant == tenant && s.subject == subject {
                return Ok(s.member.clone());
            }
        }
        let member = match members::known(ctx, subject) {
            Known::Member(member) => Some(member),
            Known::Unknown(ticket) => {
                let db = match db {
                    Some(db) => db.clone(),
                    None => self.db(ctx).await?,
                };
                members::find_keeping(ctx, &db, subject, ticket).await?
            }
        };
        *seen = Some(Seen {
            tenant,
            subject,
            member: member.clone(),
        });
        Ok(member)
    }

    /// The read transaction another call of this request is using, or a
    /// new one.
    async fn db(&self, ctx: &TenantCtx) -> tenantry::Result<Arc<TenantDb>> {
        let tenant = ctx.id().uuid();
        if let Some(db) = self.in_use(tenant) {
            return Ok(db);
        }
        let db = Arc::new(ctx.read().await?);
        *self.0.db.lock().unwrap_or_else(|e| e.into_inner()) = Some((tenant, Arc::downgrade(&db)));
        Ok(db)
    }

    /// The transaction of `tenant` another call is using (never another
    /// tenant's: a request has one, and it is checked anyway).
    fn in_use(&self, tenant: Uuid) -> Option<Arc<TenantDb>> {
        let held = self.0.db.lock().unwrap_or_else(|e| e.into_inner());
        let (of, db) = held.as_ref()?;
        (*of == tenant).then(|| db.upgrade()).flatten()
    }
}

impl Shared {
    /// The transaction, for a signed-in member who may read: what
    /// `caller::run_as` checks for `Need::Reader`, in the same order.
    pub fn for_reader(&self, ctx: &TenantCtx) -> tenantry::Result<&TenantDb> {
        ctx.ensure_active()?;
        let member = self.member.as_ref().ok_or(Error::Unauthenticated)?;
        authz::check(Need::Reader, Principal::Member(member.role))?;
        Ok(&self.db)
    }
}
