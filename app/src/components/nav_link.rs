//! A link to one of the app's own pages, marked `aria-current="page"` while
//! that page is shown.
//!
//! A plain anchor: the router already takes over a click on any same-origin
//! `<a>` for client-side navigation, so a link needs none of the router's
//! `<A>` machinery, which makes a memo and a resolved path per link on every
//! render (our hrefs are all absolute). The tenant header alone has five.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn NavLink(
    /// An absolute path, optionally with a query (not compared).
    #[prop(into)]
    href: Oco<'static, str>,
    /// Current only on this very path; otherwise also on the paths below it.
    #[prop(optional)]
    exact: bool,
    children: Children,
) -> impl IntoView {
    let pathname = use_location().pathname;
    let target = href.split(['?', '#']).next().unwrap_or_default().to_owned();
    let current = move || pathname.with(|path| is_current(&target, path, exact).then_some("page"));
    view! { <a href=href aria-current=current>{children()}</a> }
}

/// Whether a link to `target` marks the page at `path` as its own.
fn is_current(target: &str, path: &str, exact: bool) -> bool {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    if path == target {
        return true;
    }
    !exact
        && target != "/"
        && path
            .strip_prefix(target)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn a_link_is_current_on_its_own_page_and_below_it_unless_exact() {
        assert!(is_current("/admin", "/admin", false));
        assert!(is_current("/admin", "/admin/", true));
        assert!(is_current("/admin", "/admin/branding", false));
        assert!(!is_current("/admin", "/admin/branding", true));
        assert!(!is_current("/admin", "/administer", false));
        assert!(!is_current("/", "/admin", false));
        assert!(is_current("/", "/", true));
    }
}
