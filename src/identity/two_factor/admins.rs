//! Superadmins' second factors, kept in the catalog (`admin_factors`). The
//! platform requires one of every superadmin when
//! `console_two_factor_required` holds (by default wherever cookies are
//! `Secure`, that is in production).

use super::{check, recovery_codes, sealer, Enrolment, FactorRows, Proof, Status, Stored, Ticket};
use crate::audit;
use crate::entities::catalog::admin_factor as row;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::identity::throttle::{self, ClientIp, Realm};
use crate::tenancy::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use uuid::Uuid;

struct AdminRows<'a> {
    engine: &'a Engine,
    admin: Uuid,
}

impl FactorRows for AdminRows<'_> {
    async fn load(&self) -> Result<Option<Stored>> {
        let found = row::Entity::find_by_id(self.admin)
            .one(self.engine.platform_tables())
            .await?;
        Ok(found.map(|f| Stored {
            secret_sealed: f.secret_sealed,
            last_step: f.last_step,
            recovery_codes: f.recovery_codes,
            enrolled_at: f.enrolled_at,
        }))
    }

    async fn record(&self, stored: &Stored, proof: &Proof) -> Result<bool> {
        let update = row::Entity::update_many().filter(row::Column::AdminId.eq(self.admin));
        let update = match proof {
            Proof::Code { step } => update
                .col_expr(row::Column::LastStep, Expr::value(*step))
                .filter(
                    row::Column::LastStep
                        .is_null()
                        .or(row::Column::LastStep.lt(*step)),
                ),
            Proof::Recovery { remaining } => update
                .col_expr(row::Column::RecoveryCodes, Expr::value(remaining.clone()))
                .filter(row::Column::RecoveryCodes.eq(stored.recovery_codes.clone())),
        };
        Ok(update
            .exec(self.engine.platform_tables())
            .await?
            .rows_affected
            == 1)
    }
}

/// Whether the platform requires superadmins to use a second factor.
pub fn required(engine: &Engine) -> bool {
    engine.settings().console_two_factor_required()
}

pub async fn status(engine: &Engine, admin: Uuid) -> Result<Option<Status>> {
    let stored = AdminRows { engine, admin }.load().await?;
    Ok(stored.map(|s| Status {
        recovery_left: s.recovery_left(),
        enrolled_at: s.enrolled_at,
    }))
}

/// Starts setting up a factor for the superadmin `admin`.
pub fn begin(engine: &Engine, admin: Uuid, email: &str) -> Result<Enrolment> {
    let issuer = engine.settings().console_host();
    Enrolment::begin(&sealer(engine)?, admin, &issuer, email)
}

pub async fn enrol(
    engine: &Engine,
    admin: Uuid,
    email: &str,
    ticket: &str,
    code: &str,
) -> Result<Vec<String>> {
    let sealer = sealer(engine)?;
    let proven = Ticket::prove(&sealer, ticket, admin, code)?;
    let (codes, digests) = recovery_codes();
    row::ActiveModel {
        admin_id: Set(admin),
        secret_sealed: Set(sealer.seal(&proven.secret)?),
        last_step: Set(Some(proven.step)),
        recovery_codes: Set(digests),
        enrolled_at: Set(chrono::Utc::now()),
    }
    .insert(engine.platform_tables())
    .await
    .map_err(|e| match violated_unique_constraint(&e) {
        Some(_) => Error::conflict("code", "two-factor sign-in is already set up"),
        None => e.into(),
    })?;
    let actor = format!("superadmin:{email}");
    audit::record(engine, &actor, "admin.two_factor_enrolled", None, email).await?;
    Ok(codes)
}

pub async fn verify(
    engine: &Engine,
    admin: Uuid,
    email: &str,
    code: &str,
    client: ClientIp,
) -> Result<()> {
    let attempt = throttle::begin(engine, Realm::Console, email, client).await?;
    let sealer = sealer(engine)?;
    let rows = AdminRows { engine, admin };
    let proof = check(&rows, |sealed| sealer.open(sealed), attempt, code).await?;
    if matches!(proof, Proof::Recovery { .. }) {
        let actor = format!("superadmin:{email}");
        audit::record(engine, &actor, "admin.recovery_code_used", None, email).await?;
    }
    Ok(())
}

/// Turns the admin's factor off (a current code first); refused while the
/// platform requires one.
pub async fn turn_off(
    engine: &Engine,
    admin: Uuid,
    email: &str,
    code: &str,
    client: ClientIp,
) -> Result<()> {
    if required(engine) {
        return Err(Error::conflict(
            "code",
            "the platform requires superadmins to use two-factor sign-in",
        ));
    }
    verify(engine, admin, email, code, client).await?;
    row::Entity::delete_by_id(admin)
        .exec(engine.platform_tables())
        .await?;
    let actor = format!("superadmin:{email}");
    audit::record(engine, &actor, "admin.two_factor_removed", None, email).await
}

pub async fn new_recovery_codes(
    engine: &Engine,
    admin: Uuid,
    email: &str,
    code: &str,
    client: ClientIp,
) -> Result<Vec<String>> {
    verify(engine, admin, email, code, client).await?;
    let (codes, digests) = recovery_codes();
    row::Entity::update_many()
        .col_expr(row::Column::RecoveryCodes, Expr::value(digests))
        .filter(row::Column::AdminId.eq(admin))
        .exec(engine.platform_tables())
        .await?;
    let actor = format!("superadmin:{email}");
    audit::record(engine, &actor, "admin.recovery_codes_renewed", None, email).await?;
    Ok(codes)
}
