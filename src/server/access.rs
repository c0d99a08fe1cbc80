//! Who may call: bearer tokens, the permissions each carries, and each
//! token's rate budget.
//!
//! Owns: reading `--token TOKEN[:PERMISSION,…]`, finding a presented
//! token in constant time, and the per-token [`RateBudget`]s. Must not
//! know about: routes or entity sets beyond the permissions they ask for.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::client::{RateBudget, RateLimit};

/// The permission a token carries when `--token` names none.
pub const DEFAULT_PERMISSION: &str = "Machine.Read.All";

/// A bearer token and the permissions it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    secret: String,
    permissions: Vec<String>,
}

impl fmt::Debug for Token {
    /// Never shows the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"…")
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl Token {
    /// A token with `permissions`.
    pub fn new(secret: impl Into<String>, permissions: Vec<String>) -> Token {
        Token {
            secret: secret.into(),
            permissions,
        }
    }

    /// A random token (256 bits, hex) with the default permission: what
    /// the server makes when it is given none.
    pub fn random() -> Token {
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Token::new(secret, vec![DEFAULT_PERMISSION.to_owned()])
    }

    /// The secret, to show once at start.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The permissions.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// Whether any of `wanted` is among the token's permissions (compared
    /// ignoring ASCII case, as the platform's permission names are).
    pub fn grants_any(&self, wanted: &[&str]) -> bool {
        self.permissions
            .iter()
            .any(|p| wanted.iter().any(|w| w.eq_ignore_ascii_case(p)))
    }
}

impl std::str::FromStr for Token {
    type Err = String;

    /// `TOKEN` or `TOKEN:PERMISSION,…`. A token is visible ASCII without
    /// `:`; a permission is letters, digits and dots.
    fn from_str(text: &str) -> Result<Token, String> {
        let (secret, permissions) = match text.split_once(':') {
            Some((secret, list)) => (
                secret,
                list.split(',')
                    .map(|p| p.trim().to_owned())
                    .collect::<Vec<_>>(),
            ),
            None => (text, vec![DEFAULT_PERMISSION.to_owned()]),
        };
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "a token is one or more visible ASCII characters (no space, no ':')".into(),
            );
        }
        if let Some(bad) = permissions
            .iter()
            .find(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        {
            return Err(format!(
                "'{bad}' is not a permission name (such as {DEFAULT_PERMISSION})"
            ));
        }
        Ok(Token::new(secret, permissions))
    }
}

/// The tokens a server accepts, each with a rate budget for each entity
/// set (the service counts calls per API).
#[derive(Debug)]
pub struct Access {
    tokens: Vec<Token>,
    /// By token, then by set.
    budgets: Vec<Vec<Mutex<RateBudget>>>,
}

/// A caller whose token was found: its index among the tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller(usize);

impl Access {
    /// Accepts `tokens`; each gets a budget per set, of that set's
    /// `limits` (none: no rate limit).
    pub fn new(tokens: Vec<Token>, limits: &[Vec<RateLimit>]) -> Access {
        let budgets = tokens
            .iter()
            .map(|_| {
                limits
                    .iter()
                    .map(|set| Mutex::new(RateBudget::new(set.iter().copied())))
                    .collect()
            })
            .collect();
        Access { tokens, budgets }
    }

    /// The caller presenting `secret`. Every token is compared, each in
    /// constant time, so the time taken does not tell how much of a
    /// secret matched.
    pub fn find(&self, secret: &str) -> Option<Caller> {
        let mut found = None;
        for (index, token) in self.tokens.iter().enumerate() {
            if bool::from(token.secret.as_bytes().ct_eq(secret.as_bytes())) {
                found = Some(Caller(index));
            }
        }
        found
    }

    /// The token of `caller`.
    pub fn token(&self, caller: Caller) -> &Token {
        &self.tokens[caller.0]
    }

    /// Counts a call of `caller` to the set at index `set` at `now` if its
    /// budget allows one; otherwise how long until it does.
    pub fn acquire(&self, caller: Caller, set: usize, now: Instant) -> Result<(), Duration> {
        let Some(budget) = self.budgets[caller.0].get(set) else {
            return Ok(());
        };
        let mut budget = match budget.lock() {
            Ok(budget) => budget,
            // A panic elsewhere while counting cannot leave the window
            // inconsistent in a way that matters: keep counting.
            Err(poisoned) => poisoned.into_inner(),
        };
        budget.try_acquire(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_option_reads_its_permissions_or_takes_the_default() {
        let token: Token = "abc".parse().unwrap();
        assert_eq!(token.secret(), "abc");
        assert_eq!(token.permissions(), [DEFAULT_PERMISSION]);
        let token: Token = "abc:Machine.Read, Alert.Read.All".parse().unwrap();
        assert_eq!(token.permissions(), ["Machine.Read", "Alert.Read.All"]);
        assert!(token.grants_any(&["machine.read"]));
        assert!(!token.grants_any(&["Machine.ReadWrite"]));
        for bad in [
            "",
            ":Machine.Read",
            "a b",
            "abc:",
            "abc:Machine Read",
            "abc:x,",
        ] {
            assert!(bad.parse::<Token>().is_err(), "{bad:?}");
        }
        let shown = format!("{:?}", "hunter2:Machine.Read".parse::<Token>().unwrap());
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_presented_token_is_found_only_when_whole() {
        let access = Access::new(
            vec![Token::new("first", vec![]), Token::new("second", vec![])],
            &[vec![]],
        );
        assert_eq!(access.find("second"), Some(Caller(1)));
        for wrong in ["secon", "secondd", "", "SECOND"] {
            assert_eq!(access.find(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn each_token_has_its_own_budget_for_each_set() {
        let limit = RateLimit {
            calls: 1,
            window: Duration::from_secs(60),
        };
        let access = Access::new(
            vec![Token::new("a", vec![]), Token::new("b", vec![])],
            &[vec![limit], vec![limit], vec![]],
        );
        let now = Instant::now();
        assert_eq!(access.acquire(Caller(0), 0, now), Ok(()));
        assert_eq!(
            access.acquire(Caller(0), 0, now),
            Err(Duration::from_secs(60))
        );
        assert_eq!(access.acquire(Caller(1), 0, now), Ok(()));
        assert_eq!(access.acquire(Caller(0), 1, now), Ok(()));
        for _ in 0..1_000 {
            assert_eq!(access.acquire(Caller(0), 2, now), Ok(()));
        }
    }
}
