use crate::error::Error;
use std::fmt;

/// A syntactically valid, lowercased email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Error> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        if email.len() > 254 {
            return Err(Error::invalid(field, "must be at most 254 characters"));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err(Error::invalid(field, "is not a valid email address"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let e = Email::parse("email", "  Ada@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "ada@example.com");
    }

    #[test]
    fn email_without_at_or_with_spaces_is_rejected_with_the_field_name() {
        for bad in ["", "ada", "ada@", "@x.io", "a b@x.io", "a@b@c"] {
            assert_eq!(
                Email::parse("admin_email", bad).expect_err(bad).field(),
                Some("admin_email")
            );
        }
    }
}
