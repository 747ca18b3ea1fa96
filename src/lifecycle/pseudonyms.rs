//! Pseudonyms for a purged tenant's people in the platform audit. The
//! platform keeps its record of what happened to a tenant after the purge,
//! but not who the tenant's people were: every email address in an entry
//! about the tenant, and every name or address its users had, becomes
//! `person-<10 hex>`. The same value gets the same pseudonym within one
//! purge (the record stays readable: "the same person did both"), from a
//! random salt that is never stored, so no one can recompute it later from
//! a guessed address. Superadmins are the platform's own staff: an entry's
//! `superadmin:` actor stays as it is.

use sha2::{Digest, Sha256};

pub struct Pseudonyms {
    salt: [u8; 16],
    /// Known personal values of the tenant (its users' addresses and names),
    /// longest first so that a name inside an address is not replaced first.
    known: Vec<String>,
}

impl Pseudonyms {
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        let mut known: Vec<String> = known
            .into_iter()
            .map(|v| v.trim().to_owned())
            // One- and two-letter names would rewrite ordinary words.
            .filter(|v| v.chars().count() >= 3)
            .collect();
        known.sort_by_key(|v| std::cmp::Reverse(v.len()));
        known.dedup();
        Self {
            salt: rand::random(),
            known,
        }
    }

    fn pseudonym(&self, value: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.salt);
        hash.update(value.to_lowercase().as_bytes());
        format!("person-{}", &hex::encode(hash.finalize())[..10])
    }

    /// An entry's actor: a superadmin stays, anyone else is pseudonymised.
    pub fn actor(&self, actor: &str) -> String {
        if actor.starts_with("superadmin:") {
            return actor.to_owned();
        }
        self.text(actor)
    }

    /// Free text with every known value and every email address replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.known {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &self.pseudonym(value));
            }
        }
        let mut rewritten = String::with_capacity(out.len());
        let mut token = String::new();
        for c in out.chars().chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || "@._%+-".contains(c) {
                token.push(c);
                continue;
            }
            rewritten.push_str(&match looks_like_email(&token) {
                true => self.pseudonym(&token),
                false => std::mem::take(&mut token),
            });
            token.clear();
            rewritten.push(c);
        }
        rewritten.pop(); // the space added to end the last token
        rewritten
    }
}

fn looks_like_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_known_names_become_stable_pseudonyms() {
        let p = Pseudonyms::new(["Ada Lovelace".to_owned(), "ada@acme.test".to_owned()]);
        let actor = p.actor("member:ada@acme.test");
        assert!(actor.starts_with("member:person-"), "{actor}");
        let detail = p.text("role of Ada Lovelace (ada@acme.test) and bob@other.test changed");
        assert!(
            !detail.contains("ada@") && !detail.contains("Lovelace"),
            "{detail}"
        );
        assert!(!detail.contains("bob@other.test"), "{detail}");
        assert!(
            detail.contains(actor.trim_start_matches("member:")),
            "same person, same name"
        );
        assert!(detail.starts_with("role of person-") && detail.ends_with(" changed"));
    }

    #[test]
    fn staff_and_ordinary_text_stay() {
        let p = Pseudonyms::new(["Al".to_owned()]);
        assert_eq!(
            p.actor("superadmin:root@platform.test"),
            "superadmin:root@platform.test"
        );
        assert_eq!(
            p.text("slug=acme placement=pool"),
            "slug=acme placement=pool"
        );
        assert_eq!(p.text("Also fine"), "Also fine");
    }

    #[test]
    fn another_purge_gives_another_pseudonym() {
        let a = Pseudonyms::new([]).text("x@y.test");
        let b = Pseudonyms::new([]).text("x@y.test");
        assert_ne!(a, b);
    }
}
