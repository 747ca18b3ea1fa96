use crate::components::{
    action_error, cleared_on_success, loaded, versions, Field, FormError, RoleSelect, RowAction,
    TenantShell, BUTTON, BUTTON_QUIET, CARD, INPUT,
};
use crate::dto::Role;
use crate::features::members::api::{
    list_members, AddMember, ChangeRole, MemberDto, RemoveMember, SendVerification,
};
use crate::features::two_factor::api::{two_factor_status, ResetMemberTwoFactor};
use crate::features::two_factor::panel::TwoFactorRule;
use leptos::prelude::*;

#[component]
pub fn MembersPage() -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let verify = ServerAction::<SendVerification>::new();
    let reset = ServerAction::<ResetMemberTwoFactor>::new();
    let members = Resource::new(
        move || {
            versions(&[
                add.version(),
                change.version(),
                remove.version(),
                reset.version(),
            ])
        },
        |_| list_members(),
    );
    let rule = Resource::new(|| (), |_| two_factor_status());
    let add_error = action_error(add);
    let add_form = cleared_on_success(add);
    let row_error = Signal::derive(move || {
        action_error(change)
            .get()
            .or(action_error(remove).get())
            .or(action_error(verify).get())
            .or(action_error(reset).get())
    });
    view! {
        <TenantShell admin_only=true>
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h1 class="mb-4 text-xl font-semibold">"Members"</h1>
                    <FormError error=row_error />
                    {loaded(members, move |list| view! { <MemberTable list change remove verify reset /> })}
                </section>
                <section class=CARD>
                    <h2 class="mb-4 text-lg font-semibold">"Add member"</h2>
                    <FormError error=add_error />
                    <ActionForm action=add node_ref=add_form>
                        <div class="space-y-3">
                            <Field label="Email" name="email" kind="email" error=add_error />
                            <Field label="Display name" name="display_name" error=add_error />
                            <Field label="Password" name="password" kind="password" error=add_error />
                            <RoleSelect label="Role" roles=&[Role::Member, Role::Viewer, Role::Admin, Role::Owner] />
                            <button type="submit" class=BUTTON>"Add member"</button>
                        </div>
                    </ActionForm>
                </section>
                <crate::features::invitations::page::Invitations />
                <div>{loaded(rule, |s| view! { <TwoFactorRule required=s.required /> })}</div>
            </div>
        </TenantShell>
    }
}

#[component]
fn MemberTable(
    list: Vec<MemberDto>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
    verify: ServerAction<SendVerification>,
    reset: ServerAction<ResetMemberTwoFactor>,
) -> impl IntoView {
    view! {
        <table class="w-full text-left text-sm" data-testid="member-table">
            <thead><tr class="border-b text-slate-500"><th class="py-2">"Email"</th><th>"Name"</th><th>"Role"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|m| {
                    let role = m.role;
                    let (id_change, id_remove, id_verify) = (m.id.clone(), m.id.clone(), m.id.clone());
                    let id_reset = m.id.clone();
                    let two_factor = m.two_factor;
                    view! {
                        <tr class="border-b" data-email=m.email.clone()>
                            <td class="py-2">
                                {m.email.clone()}
                                {if m.verified {
                                    view! { <span class="ml-2 text-xs text-green-700" data-testid="verified">"verified"</span> }.into_any()
                                } else {
                                    view! {
                                        <span class="ml-2 text-xs text-amber-700" data-testid="unverified">"unverified"</span>
                                        <ActionForm action=verify attr:class="inline">
                                            <input type="hidden" name="user_id" value=id_verify />
                                            <button type="submit" class="ml-1 text-xs underline">"Send verification"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                            <td>{m.display_name.clone()}</td>
                            <td>
                                <ActionForm action=change>
                                    <input type="hidden" name="user_id" value=id_change />
                                    <div class="flex gap-2">
                                        <select class=INPUT name="role" aria-label="Role">
                                            {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == role>{r.as_str()}</option> }).collect_view()}
                                        </select>
                                        <button type="submit" class=BUTTON_QUIET>"Save"</button>
                                    </div>
                                </ActionForm>
                            </td>
                            <td class="space-y-1">
                                {two_factor.then(|| view! {
                                    <RowAction action=reset name="user_id" value=id_reset label="Reset two-factor" class="text-xs underline" />
                                })}
                                <RowAction action=remove name="user_id" value=id_remove label="Remove" class="text-red-700 underline" />
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
