//! Letters in the tenant's colours: one heading, a few paragraphs and at most
//! one button, as HTML (inline styles: mail clients ignore style sheets) and
//! as plain text with the link spelled out.

use crate::entities::tenant::branding as tenant_branding;

/// A message ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub to: String,
    /// The sender's display name (the tenant's).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a letter says.
pub struct Content<'a> {
    pub heading: &'a str,
    pub paragraphs: &'a [String],
    /// The button: its label and absolute link.
    pub action: Option<(&'a str, &'a str)>,
    /// A last, quieter line (why the reader got this).
    pub footer: &'a str,
}

/// A letter from `branding`'s organisation to `to`. `origin` is the tenant's
/// own address (`https://acme.example.com`), for the logo.
pub fn branded(
    branding: &tenant_branding::Model,
    origin: &str,
    to: &str,
    subject: &str,
    content: &Content<'_>,
) -> Letter {
    let name = branding
        .product_name
        .as_deref()
        .unwrap_or(&branding.display_name);
    Letter {
        to: to.to_owned(),
        from_name: name.to_owned(),
        subject: subject.to_owned(),
        text: plain(name, content),
        html: html(branding, name, origin, content),
    }
}

fn plain(name: &str, c: &Content<'_>) -> String {
    let mut out = format!("{}\n\n", c.heading);
    for p in c.paragraphs {
        out.push_str(p);
        out.push_str("\n\n");
    }
    if let Some((label, link)) = c.action {
        out.push_str(&format!("{label}: {link}\n\n"));
    }
    out.push_str(&format!("— {name}\n{}\n", c.footer));
    out
}

fn html(b: &tenant_branding::Model, name: &str, origin: &str, c: &Content<'_>) -> String {
    let logo = match &b.logo_url {
        Some(path) => format!(
            r#"<img src="{}" alt="{}" style="max-height:40px;margin-bottom:16px">"#,
            escape(&absolute(origin, path)),
            escape(name)
        ),
        None => format!(
            r#"<div style="font-size:18px;font-weight:600;color:{};margin-bottom:16px">{}</div>"#,
            escape(&b.primary_color),
            escape(name)
        ),
    };
    let paragraphs: String = c
        .paragraphs
        .iter()
        .map(|p| format!(r#"<p style="margin:0 0 12px">{}</p>"#, escape(p)))
        .collect();
    let button = match c.action {
        Some((label, link)) => format!(
            r#"<p style="margin:20px 0"><a href="{link}" style="background:{bg};color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;display:inline-block">{label}</a></p><p style="font-size:12px;color:#64748b">{link_text}</p>"#,
            link = escape(link),
            bg = escape(&b.primary_color),
            label = escape(label),
            link_text = escape(link),
        ),
        None => String::new(),
    };
    format!(
        r#"<!doctype html><html><body style="margin:0;padding:24px;background:#f8fafc;font-family:system-ui,sans-serif;color:#0f172a"><div style="max-width:520px;margin:0 auto;background:#ffffff;border-top:4px solid {accent};padding:24px;border-radius:8px">{logo}<h1 style="font-size:20px;margin:0 0 16px">{heading}</h1>{paragraphs}{button}<p style="font-size:12px;color:#64748b;margin-top:24px">{footer}</p></div></body></html>"#,
        accent = escape(&b.accent_color),
        heading = escape(c.heading),
        footer = escape(c.footer),
    )
}

fn absolute(origin: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_owned()
    } else {
        format!("{}{}", origin.trim_end_matches('/'), path)
    }
}

/// Text as HTML: everything that could open markup is escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branding() -> tenant_branding::Model {
        tenant_branding::Model {
            tenant_id: uuid::Uuid::nil(),
            display_name: "Acme <Ops>".into(),
            primary_color: "#112233".into(),
            accent_color: "#445566".into(),
            logo_url: Some("/brand/logo.png?v=1".into()),
            login_text: None,
            updated_at: chrono::Utc::now(),
            product_name: None,
            support_email: None,
            primary_color_dark: None,
            accent_color_dark: None,
            favicon_url: None,
        }
    }

    #[test]
    fn a_letter_carries_the_brand_and_spells_the_link_out_in_plain_text() {
        let paragraphs = ["Ada invited you.".to_owned()];
        let letter = branded(
            &branding(),
            "http://acme.localhost:3000",
            "bob@example.com",
            "Join Acme",
            &Content {
                heading: "You are invited",
                paragraphs: &paragraphs,
                action: Some(("Accept", "http://acme.localhost:3000/invite/abc")),
                footer: "Not expecting this? Ignore it.",
            },
        );
        assert_eq!(letter.from_name, "Acme <Ops>");
        assert!(letter
            .text
            .contains("Accept: http://acme.localhost:3000/invite/abc"));
        assert!(letter.html.contains("background:#112233"));
        assert!(letter.html.contains("border-top:4px solid #445566"));
        assert!(letter
            .html
            .contains(r#"src="http://acme.localhost:3000/brand/logo.png?v=1""#));
        assert!(
            letter.html.contains("Acme &lt;Ops&gt;"),
            "names are escaped"
        );
        assert!(!letter.html.contains("<Ops>"));
    }
}
