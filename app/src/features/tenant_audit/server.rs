//! The tenant's own audit log (support sessions, credentials, people) and an
//! owner's choice to refuse support access to their account.

use crate::backend::{fail, member_as, timestamp};
use crate::dto::AuditRow;
use crate::error::AppError;
use tenantry::authz::Need;
use tenantry::identity::impersonation;

pub async fn list_tenant_audit() -> Result<Vec<AuditRow>, AppError> {
    let (ctx, _) = member_as(Need::Admin).await?;
    let entries = tenantry::audit::for_tenant(&ctx, 200).await?;
    Ok(entries
        .into_iter()
        .map(|e| AuditRow {
            at: timestamp(e.at),
            actor: e.actor,
            action: e.action,
            tenant: None,
            detail: e.detail,
        })
        .collect())
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
