//! The tenant's own audit log (support sessions, credentials, people) and an
//! owner's choice to refuse support access to their account.

use crate::backend::{audit_row, fail, member_as, paged};
use crate::dto::{AuditRow, PageDto};
use crate::error::AppError;
use tenantry::authz::Need;
use tenantry::entities::search::Place;
use tenantry::identity::impersonation;

/// A page of the tenant's own log: entries whose actor or action contains
/// `query`, in `order` after the cursor `after`.
pub async fn list_tenant_audit(
    query: String,
    order: String,
    after: String,
) -> Result<PageDto<AuditRow>, AppError> {
    let place = Place::parse(&order, &after)?;
    let (ctx, _) = member_as(Need::Admin).await?;
    paged(
        tenantry::audit::tenant_page(&ctx, &query, &place).await?,
        audit_row,
    )
}

/// Whether the signed-in owner refuses support access.
pub async fn support_access_refused() -> Result<bool, AppError> {
    let (ctx, me) = member_as(Need::Admin).await?;
    impersonation::refuses_support(&ctx, me.id)
        .await
        .map_err(fail)
}

pub async fn set_support_access(refuse: bool) -> Result<(), AppError> {
    let (ctx, me) = member_as(Need::Owner).await?;
    impersonation::set_refusal(&ctx, &me, refuse)
        .await
        .map_err(fail)
}
