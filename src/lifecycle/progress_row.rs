//! The row in the tenant's plane that records a long piece of work and its
//! progress (a key rotation, a restore): found by its id, changed a few
//! columns at a time as the work goes on.

use crate::error::Result;
use crate::tenancy::TenantCtx;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

/// The row of `E` whose `id_column` is `id`.
pub(crate) async fn find<E>(
    ctx: &TenantCtx,
    id_column: E::Column,
    id: uuid::Uuid,
) -> Result<Option<E::Model>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    ctx.run(false, async |db| {
        Ok(E::find().filter(id_column.eq(id)).one(db).await?)
    })
    .await
}

/// Sets on that row the columns `change` sets.
pub(crate) async fn update<E>(
    ctx: &TenantCtx,
    id_column: E::Column,
    id: uuid::Uuid,
    change: impl FnOnce(&mut E::ActiveModel) + Send,
) -> Result<()>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Default + Send,
{
    let mut active = <E::ActiveModel as Default>::default();
    change(&mut active);
    ctx.run_for_platform(async |db| {
        E::update_many()
            .set(active)
            .filter(id_column.eq(id))
            .exec(db)
            .await?;
        Ok(())
    })
    .await
}
