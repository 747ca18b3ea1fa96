//! A one-button form that acts on one thing: revoke this key, resend this
//! delivery, suspend this tenant. It posts `name=value` to its server
//! function, so every list page builds its row buttons the same way.

use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use leptos::web_sys::FormData;
use serde::de::DeserializeOwned;

#[component]
pub fn RowAction<ServFn, OutputProtocol>(
    action: ServerAction<ServFn>,
    /// The form field the server function reads the row's id from.
    name: &'static str,
    value: String,
    label: &'static str,
    class: &'static str,
) -> impl IntoView
where
    ServFn: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, OutputProtocol>>
        + Clone
        + Send
        + Sync
        + 'static,
    <<ServFn::Client as Client<ServFn::Error>>::Request as ClientReq<ServFn::Error>>::FormData:
        From<FormData>,
    ServFn::Output: Send + Sync + 'static,
    ServFn::Error: Send + Sync + 'static,
    <ServFn as ServerFn>::Client: Client<<ServFn as ServerFn>::Error>,
{
    view! {
        <ActionForm action=action>
            <input type="hidden" name=name value=value />
            <button type="submit" class=class>{label}</button>
        </ActionForm>
    }
}
