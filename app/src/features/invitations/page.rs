//! The members page's invitations: invite by email with a role, and the list
//! of invitations with resend and revoke.

use crate::components::{
    action_error, cleared_on_success, loaded, versions, Field, FormError, ListTable, RoleSelect,
    RowAction, BUTTON, CARD,
};
use crate::dto::Role;
use crate::features::invitations::api::{
    list_invitations, InvitationDto, InviteMember, ResendInvitation, RevokeInvitation,
};
use leptos::prelude::*;

#[component]
pub fn Invitations() -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let list = Resource::new(
        move || versions(&[invite.version(), resend.version(), revoke.version()]),
        |_| list_invitations(),
    );
    let error = action_error(invite);
    let form = cleared_on_success(invite);
    let row_error =
        Signal::derive(move || action_error(resend).get().or(action_error(revoke).get()));
    view! {
        <section class=format!("{CARD} md:col-span-2")>
            <h2 class="mb-4 text-lg font-semibold">"Invitations"</h2>
            <FormError error=row_error />
            {loaded(list, move |rows| view! { <InvitationTable rows resend revoke /> })}
        </section>
        <section class=CARD>
            <h2 class="mb-4 text-lg font-semibold">"Invite by email"</h2>
            <FormError error />
            <ActionForm action=invite node_ref=form>
                <div class="space-y-3">
                    <Field label="Email to invite" name="email" kind="email" error />
                    <RoleSelect label="Invited role" roles=&[Role::Member, Role::Viewer, Role::Admin, Role::Owner] />
                    <button type="submit" class=BUTTON>"Send invitation"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn InvitationTable(
    rows: Vec<InvitationDto>,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let is_empty = rows.is_empty();
    view! {
        <ListTable testid="invitation-table" head=&["Email", "Role", "State", "Expires", ""] empty="No invitations yet. Invite a teammate by email: they choose their own password." is_empty=is_empty>
            {rows.into_iter().map(|i| {
                let open = i.state.is_open();
                let (id_resend, id_revoke) = (i.id.clone(), i.id.clone());
                view! {
                    <tr class="border-b" data-email=i.email.clone()>
                        <td class="py-2">{i.email.clone()}</td>
                        <td>{i.role.as_str()}</td>
                        <td data-testid="invitation-state">{i.state.as_str()}</td>
                        <td>{i.expires_at.clone()}</td>
                        <td class="flex gap-3 py-2">
                            {open.then(|| view! {
                                <RowAction action=resend name="invitation_id" value=id_resend label="Resend" class="underline" />
                                <RowAction action=revoke name="invitation_id" value=id_revoke label="Revoke" class="text-red-700 underline" />
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}
