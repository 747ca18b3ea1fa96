//! Authorisation: the one place that decides whether a caller may do what a
//! route or server function declares it needs. Every server function and API
//! route names a [`Need`] in its table (see the server's `api::table` and the
//! app's `authz::SERVER_FNS`); the gateway refuses what is undeclared, and the
//! handlers ask [`check`] with the caller they resolved. The attack suite's
//! privilege matrix holds the two to each other: each role against each route,
//! allowed exactly when [`permits`] says so.

use crate::error::{Error, Result};
use tenantry_vocab::Role;

/// What a route or server function needs from its caller (the shared word:
/// the browser build reads the declarations too).
pub use tenantry_vocab::Need;

/// Who is calling, as far as authorisation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// A member (or an API key or token acting with a member's role) of the
    /// host's tenant.
    Member(Role),
    /// A signed-in superadmin on the console host.
    Superadmin,
}

/// Whether `who` meets `need`.
pub fn permits(need: Need, who: Principal) -> bool {
    match (need, who) {
        (Need::Anyone, _) => true,
        (Need::Reader | Need::SignedIn, Principal::Member(_)) => true,
        (Need::Writer, Principal::Member(role)) => role.can_write(),
        (Need::Admin | Need::Manage, Principal::Member(role)) => role.can_administer(),
        (Need::Owner, Principal::Member(role)) => role == Role::Owner,
        (Need::Superadmin | Need::Manage | Need::SignedIn, Principal::Superadmin) => true,
        _ => false,
    }
}

/// `Ok` when `who` meets `need`; otherwise `Unauthenticated` for an anonymous
/// caller (sign in and try again) and `Forbidden`, naming the need, for one
/// who is signed in but lacks it.
pub fn check(need: Need, who: Principal) -> Result<()> {
    if permits(need, who) {
        return Ok(());
    }
    Err(match (need, who) {
        (_, Principal::Anonymous) => Error::Unauthenticated,
        (Need::Writer, _) => Error::forbidden(
            "read_only",
            "viewers can read this organisation's data but not change it",
        ),
        (Need::Admin | Need::Manage, _) => {
            Error::forbidden("forbidden", "only owners and admins can do this")
        }
        (Need::Owner, _) => Error::forbidden("forbidden", "only owners can do this"),
        _ => Error::forbidden("forbidden", "you are not allowed to do this"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERYONE: [Principal; 6] = [
        Principal::Anonymous,
        Principal::Member(Role::Viewer),
        Principal::Member(Role::Member),
        Principal::Member(Role::Admin),
        Principal::Member(Role::Owner),
        Principal::Superadmin,
    ];

    fn allowed(need: Need) -> Vec<bool> {
        EVERYONE.iter().map(|who| permits(need, *who)).collect()
    }

    #[test]
    fn each_need_admits_exactly_its_roles() {
        let (f, t) = (false, true);
        assert_eq!(allowed(Need::Anyone), [t, t, t, t, t, t]);
        assert_eq!(allowed(Need::Reader), [f, t, t, t, t, f]);
        assert_eq!(allowed(Need::Writer), [f, f, t, t, t, f]);
        assert_eq!(allowed(Need::Admin), [f, f, f, t, t, f]);
        assert_eq!(allowed(Need::Owner), [f, f, f, f, t, f]);
        assert_eq!(allowed(Need::Superadmin), [f, f, f, f, f, t]);
        assert_eq!(allowed(Need::Manage), [f, f, f, t, t, t]);
        assert_eq!(allowed(Need::SignedIn), [f, t, t, t, t, t]);
    }

    #[test]
    fn anonymous_callers_are_asked_to_sign_in_and_members_are_refused() {
        let anon = check(Need::Reader, Principal::Anonymous).expect_err("anon");
        assert_eq!(anon.status(), 401);
        let viewer = check(Need::Writer, Principal::Member(Role::Viewer)).expect_err("viewer");
        assert_eq!((viewer.status(), viewer.code()), (403, "read_only"));
        let member = check(Need::Admin, Principal::Member(Role::Member)).expect_err("member");
        assert_eq!(member.status(), 403);
    }
}
