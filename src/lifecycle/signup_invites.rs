//! Signup by invitation (`signup.mode = invite`): a superadmin issues an
//! invitation for one address and hands its link on; the signup page takes
//! it, and a signup for that address uses it up. Without one, the page says
//! signup is by invitation. Only the token's digest is kept; an invitation
//! lasts `invitation_ttl_hours` and works once.

use crate::audit;
use crate::entities::catalog::signup_invitation as row;
use crate::error::{Error, Result};
use crate::identity::{secret_token, Email};
use crate::tenancy::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// Issues an invitation for `email`; its link on the base host beside
/// `console_origin` (same scheme and port).
pub async fn issue(
    engine: &Engine,
    actor: &str,
    email: &str,
    console_origin: &str,
) -> Result<String> {
    let email = Email::parse("email", email)?;
    let token = secret_token::random();
    let now = chrono::Utc::now();
    let hours = i64::from(engine.settings().invitation_ttl_hours.max(1));
    row::ActiveModel {
        token_hash: Set(secret_token::digest(&token)),
        email: Set(email.as_str().to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(hours)),
        used_at: Set(None),
    }
    .insert(engine.platform_tables())
    .await?;
    audit::record(engine, actor, "signup.invited", None, email.as_str()).await?;
    Ok(format!(
        "{}/signup?invite={token}",
        site_origin(engine, console_origin)
    ))
}

/// Uses the invitation `token` for a signup of `email`: refused unless it
/// is unused, unexpired and for this address. Exactly one signup takes it.
pub async fn take(engine: &Engine, token: &str, email: &str) -> Result<Taken> {
    let refused = || {
        Error::invalid(
            "invite",
            "signup is by invitation: this invitation is not valid for this address",
        )
    };
    let email = Email::parse("email", email)?;
    let digest = secret_token::digest(token.trim());
    let now = chrono::Utc::now();
    let taken = row::Entity::update_many()
        .col_expr(row::Column::UsedAt, Expr::value(now))
        .filter(row::Column::TokenHash.eq(digest.clone()))
        .filter(row::Column::Email.eq(email.as_str()))
        .filter(row::Column::UsedAt.is_null())
        .filter(row::Column::ExpiresAt.gt(now))
        .exec(engine.platform_tables())
        .await?;
    if taken.rows_affected != 1 {
        return Err(refused());
    }
    Ok(Taken { digest })
}

/// An invitation taken by a signup in progress.
pub struct Taken {
    digest: String,
}

impl Taken {
    /// Gives the invitation back: the signup it was taken for failed.
    pub async fn give_back(self, engine: &Engine) {
        let back = row::Entity::update_many()
            .col_expr(
                row::Column::UsedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(row::Column::TokenHash.eq(self.digest))
            .exec(engine.platform_tables())
            .await;
        if let Err(e) = back {
            tracing::warn!(error = %e, "a signup invitation could not be given back");
        }
    }
}

/// The platform's base host beside the console's address.
fn site_origin(engine: &Engine, console_origin: &str) -> String {
    let base = &engine.settings().base_domain;
    let beside = url::Url::parse(console_origin)
        .ok()
        .and_then(|mut url| url.set_host(Some(base)).ok().map(|()| url));
    match beside {
        Some(url) => url.origin().ascii_serialization(),
        None => format!("http://{base}"),
    }
}
