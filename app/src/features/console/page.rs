use crate::components::{
    action_error, cleared_on_success, loaded, query_href, ConsoleShell, Field, FormError, NavLink,
    BUTTON, CARD, INPUT,
};
use crate::features::console::api::{list_tenants, CreateTenant, InviteSignup, TenantRow};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConsoleHome() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).unwrap_or_default();
    let create = ServerAction::<CreateTenant>::new();
    let tenants = Resource::new(
        move || (ListQuery::read(param), create.version().get()),
        |(l, _)| {
            list_tenants(
                l.q,
                l.state,
                Some(l.plan),
                Some(l.placement),
                Some(l.sort),
                Some(l.after),
                Some(l.region),
            )
        },
    );
    let error = action_error(create);
    let form = cleared_on_success(create);
    view! {
        <ConsoleShell>
            <super::overview::Overview />
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h2 class="mb-4 text-xl font-semibold">"Tenants"</h2>
                    {loaded(tenants, move |page| {
                        let shown = ListQuery::read(param);
                        let regions = page.regions.clone();
                        let several = regions.len() > 1;
                        view! { <TenantFilters shown=shown.clone() plans=page.plans.clone() regions /> <TenantTable rows=page.rows several_regions=several /> <Pager shown next=page.next /> }
                    })}
                </section>
                <section class=CARD>
                    <h2 class="mb-4 text-lg font-semibold">"Create tenant"</h2>
                    <FormError error />
                    {move || create.value().get().and_then(|r| r.ok()).map(|t| view! {
                        <p class="mb-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800" role="status">
                            "Created " <NavLink href=format!("/console/tenants/{}", t.slug)>{t.slug.clone()}</NavLink>
                        </p>
                    })}
                    <ActionForm action=create node_ref=form>
                        <div class="space-y-3">
                            <Field label="Slug" name="slug" placeholder="acme" error />
                            <Field label="Name" name="name" placeholder="Acme Corporation" error />
                            <Field label="First admin's email" name="admin_email" kind="email" error />
                            <Field label="First admin's password" name="admin_password" kind="password" placeholder="empty: invite them by email" error />
                            <PlacementSelect />
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" name="pending" value="on" />
                                <span class="text-slate-700">"Provision ahead: leave it pending until activated"</span>
                            </label>
                            <button type="submit" class=BUTTON disabled=move || create.pending().get()>"Create tenant"</button>
                            {move || create.pending().get().then(|| view! {
                                <p class="text-sm text-slate-600" aria-live="polite" data-testid="provisioning">
                                    "Provisioning the tenant's storage…"
                                </p>
                            })}
                        </div>
                    </ActionForm>
                </section>
                <InviteSignupCard />
            </div>
        </ConsoleShell>
    }
}

/// Where signup is by invitation: an invitation for one address, its link
/// to hand on (it works once).
#[component]
fn InviteSignupCard() -> impl IntoView {
    let invite = ServerAction::<InviteSignup>::new();
    let error = action_error(invite);
    let link = move || invite.value().get().and_then(Result::ok);
    view! {
        <section class=format!("{CARD} md:col-start-3")>
            <h2 class="mb-1 text-lg font-semibold">"Invite to sign up"</h2>
            <p class="mb-3 text-sm text-slate-600">"Where signup is by invitation: a link for one address, used once."</p>
            <FormError error />
            <ActionForm action=invite>
                <div class="space-y-3">
                    <Field label="Invitee's email" name="email" kind="email" error />
                    <button type="submit" class=BUTTON disabled=move || invite.pending().get()>"Make an invitation"</button>
                </div>
            </ActionForm>
            {move || link().map(|l| view! {
                <p class="mt-3 break-all text-sm" role="status">
                    <span class="font-medium">"Signup link: "</span>
                    <code data-testid="signup-invite-link">{l}</code>
                </p>
            })}
        </section>
    }
}

/// Where the new tenant's rows will live, with what each choice is for.
#[component]
fn PlacementSelect() -> impl IntoView {
    view! {
        <label class="block text-sm">
            <span class="text-slate-700">"Placement"</span>
            <select class=INPUT name="placement">
                <option value="">"Deployment default"</option>
                <option value="pool">"pool — shared tables behind row-level security (most tenants)"</option>
                <option value="schema">"schema — a schema of its own (mid tier)"</option>
                <option value="database">"database — a database of its own (premium, compliance)"</option>
            </select>
        </label>
    }
}

/// The list's filters, sort and position, as the page's query string holds
/// them (so a page of results is a link).
#[derive(Debug, Clone, PartialEq, Default)]
struct ListQuery {
    q: String,
    state: String,
    plan: String,
    placement: String,
    region: String,
    sort: String,
    after: String,
}

impl ListQuery {
    fn read(param: impl Fn(&str) -> String) -> Self {
        Self {
            q: param("q"),
            state: param("state"),
            plan: param("plan"),
            placement: param("placement"),
            region: param("region"),
            sort: param("sort"),
            after: param("after"),
        }
    }

    /// The link to these filters, starting after `after`.
    fn href(&self, after: &str) -> String {
        query_href("/console", &self.pairs(after))
    }

    /// Every tenant these filters match, as CSV.
    fn csv_href(&self) -> String {
        query_href("/console/tenants.csv", &self.pairs(""))
    }

    fn pairs<'a>(&'a self, after: &'a str) -> [(&'static str, &'a str); 7] {
        [
            ("q", &self.q),
            ("state", &self.state),
            ("plan", &self.plan),
            ("placement", &self.placement),
            ("region", &self.region),
            ("sort", &self.sort),
            ("after", after),
        ]
    }
}

#[component]
fn TenantFilters(shown: ListQuery, plans: Vec<String>, regions: Vec<String>) -> impl IntoView {
    let select = |name: &'static str,
                  label: &'static str,
                  current: String,
                  options: Vec<(String, String)>| {
        view! {
            <label class="text-sm">
                <span class="sr-only">{label}</span>
                <select class=INPUT name=name aria-label=label>
                    {options.into_iter().map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
            .collect()
    };
    let mut plan_options = vec![(String::new(), "Any plan".to_owned())];
    plan_options.extend(plans.into_iter().map(|p| (p.clone(), p)));
    // Only where the deployment spans regions.
    let region_options = (regions.len() > 1).then(|| {
        let mut options = vec![(String::new(), "Any region".to_owned())];
        options.extend(regions.into_iter().map(|r| (r.clone(), r)));
        options
    });
    view! {
        <Form method="GET" action="">
            <div class="mb-4 flex flex-wrap gap-2">
                <input class=INPUT name="q" aria-label="Search slug or name" placeholder="Search slug or name" value=shown.q.clone() />
                {select("state", "Filter by state", shown.state.clone(), pairs(&[
                    ("", "Live (active and suspended)"), ("active", "Active"), ("suspended", "Suspended"),
                    ("pending", "Pending"), ("deleted", "Deleted"),
                ]))}
                {select("plan", "Filter by plan", shown.plan.clone(), plan_options)}
                {select("placement", "Stored in", shown.placement.clone(), pairs(&[
                    ("", "Stored anywhere"), ("pool", "Pool"), ("schema", "Schema"), ("database", "Database"),
                ]))}
                {region_options.map(|options| select("region", "Filter by region", shown.region.clone(), options))}
                {select("sort", "Sort by", shown.sort.clone(), pairs(&[
                    ("", "Newest first"), ("oldest", "Oldest first"), ("slug", "By slug"), ("name", "By name"),
                ]))}
                <button type="submit" class=BUTTON>"Filter"</button>
            </div>
        </Form>
    }
}

/// Next page, and back to the first once past it.
#[component]
fn Pager(shown: ListQuery, next: Option<String>) -> impl IntoView {
    let first = (!shown.after.is_empty()).then(|| shown.href(""));
    let next = next.map(|cursor| shown.href(&cursor));
    view! {
        <nav class="mt-3 flex gap-4 text-sm" aria-label="Pages">
            {first.map(|href| view! { <a class="underline" href=href data-testid="first-page">"First page"</a> })}
            {next.map(|href| view! { <a class="underline" href=href data-testid="next-page">"Next page"</a> })}
            <a class="ml-auto underline" href=shown.csv_href() rel="external" download="tenants.csv">"Download CSV"</a>
        </nav>
    }
}

#[component]
fn TenantTable(rows: Vec<TenantRow>, several_regions: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="text-slate-500">"No tenants match."</p> }.into_any();
    }
    view! {
        <table class="w-full text-left text-sm" data-testid="tenant-table">
            <thead>
                <tr class="border-b text-slate-500">
                    <th class="py-2">"Slug"</th>
                    <th>"Name"</th>
                    <th>"State"</th>
                    <th>"Placement"</th>
                    {several_regions.then(|| view! { <th>"Region"</th> })}
                    <th>"Plan"</th>
                    <th>"Created"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|t| {
                        let href = format!("/console/tenants/{}", t.slug);
                        let slug = t.slug.clone();
                        view! {
                        <tr class="border-b" data-slug=t.slug>
                            <td class="py-2"><NavLink href=href attr:class="text-indigo-700 underline">{slug}</NavLink></td>
                            <td>{t.name}</td>
                            <td>{t.state.as_str()}</td>
                            <td data-testid="tenant-placement">{t.placement}</td>
                            {several_regions.then(|| view! { <td data-testid="tenant-region">{format!("{} ({})", t.region, t.cluster)}</td> })}
                            <td>{t.plan}</td>
                            <td>{t.created_at}</td>
                        </tr>
                    }})
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
