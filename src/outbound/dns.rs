//! TXT lookups for domain verification, through a real DNS resolver
//! (hickory) whose nameservers are configurable (`dns_nameservers`; empty:
//! the system's). Nothing is cached, so every check sees DNS as it is now.

use crate::config::Settings;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;
use std::time::Duration;

pub struct TxtResolver(TokioResolver);

impl TxtResolver {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let provider = TokioConnectionProvider::default();
        let mut builder = if settings.dns_nameservers.is_empty() {
            TokioResolver::builder_tokio()?
        } else {
            let mut config = ResolverConfig::new();
            for addr in &settings.dns_nameservers {
                config.add_name_server(NameServerConfig::new(*addr, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(*addr, Protocol::Tcp));
            }
            TokioResolver::builder_with_config(config, provider)
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.cache_size = 0;
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        Ok(Self(builder.build()))
    }

    /// The TXT strings at `name` (segments of one record joined); empty when
    /// the name or the record does not exist. `Err` says why DNS failed.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.0.txt_lookup(fqdn).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|segment| String::from_utf8_lossy(segment).into_owned())
                        .collect::<String>()
                })
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(e) => Err(format!("DNS lookup failed: {e}")),
        }
    }
}
