//! Token self-rotation and GitLab's reuse detection (16.3): a rotated token is revoked and
//! replaced by a new one that links back to it; the links make a family, and rotating with a
//! token that is already revoked revokes every token of its family.

use crate::model::Id;
use crate::rng::Rng;
use crate::world::World;
use chrono::{Days, NaiveDate, Utc};
use std::collections::HashMap;

/// A rotated token's lifetime when the request gives no `expires_at` (one week, 16.6+).
pub(crate) const DEFAULT_LIFETIME_DAYS: u64 = 7;
/// The longest lifetime GitLab allows a token (without the 400-day feature flag).
pub(crate) const MAX_LIFETIME_DAYS: u64 = 365;

/// Why a rotation's `expires_at` was refused (GitLab answers 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpiryRefused {
    /// Today or earlier: the token would be born expired.
    NotInFuture,
    /// Past the maximum lifetime; carries the last allowed date.
    TooLate(NaiveDate),
}

/// The expiry a rotated token gets on `today`: the one asked for, within (today, today + 365
/// days], or one week from today when none is asked for.
pub(crate) fn rotated_expiry(
    asked: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, ExpiryRefused> {
    let max = today
        .checked_add_days(Days::new(MAX_LIFETIME_DAYS))
        .unwrap_or(NaiveDate::MAX);
    match asked {
        None => Ok(today
            .checked_add_days(Days::new(DEFAULT_LIFETIME_DAYS))
            .unwrap_or(max)),
        Some(d) if d <= today => Err(ExpiryRefused::NotInFuture),
        Some(d) if d > max => Err(ExpiryRefused::TooLate(max)),
        Some(d) => Ok(d),
    }
}

impl World {
    /// The IDs of every token in the family of the token with this secret (itself included),
    /// in ID order: all tokens that share its first ancestor through
    /// [`Token::rotated_from`](crate::Token::rotated_from). Empty for an unknown secret.
    pub fn token_family(&self, secret: &str) -> Vec<Id> {
        let Some(token) = self.token(secret) else {
            return Vec::new();
        };
        let parents: HashMap<Id, Option<Id>> =
            self.tokens().map(|t| (t.id, t.rotated_from)).collect();
        // Bounded by the number of tokens, so a (corrupt) cycle cannot hang.
        let root = |mut id: Id| {
            for _ in 0..parents.len() {
                match parents.get(&id).copied().flatten() {
                    Some(parent) if parents.contains_key(&parent) => id = parent,
                    _ => break,
                }
            }
            id
        };
        let family_root = root(token.id);
        let mut ids: Vec<Id> = parents
            .keys()
            .copied()
            .filter(|id| root(*id) == family_root)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Revokes every token of this token's family; returns how many were not revoked yet.
    pub fn revoke_token_family(&mut self, secret: &str) -> usize {
        let family = self.token_family(secret);
        let secrets: Vec<String> = self
            .tokens()
            .filter(|t| family.contains(&t.id) && !t.revoked)
            .map(|t| t.secret.clone())
            .collect();
        for s in &secrets {
            if let Some(t) = self.token_mut(s) {
                t.revoked = true;
            }
        }
        secrets.len()
    }

    /// Rotates the token with this secret: revokes it and adds a new token with a new secret,
    /// the same owner, kind, name, description and scopes, expiring on `expires_at`, linked to
    /// it. Returns the new secret; `None` for an unknown or already revoked token.
    pub fn rotate_token(&mut self, secret: &str, expires_at: NaiveDate) -> Option<String> {
        let old = self.token(secret).filter(|t| !t.revoked)?.clone();
        let now = Utc::now();
        let seed = now.timestamp_nanos_opt().unwrap_or_default() as u64 ^ old.id.rotate_left(32);
        let mut rng = Rng::new(seed);
        let new_secret = loop {
            let candidate = format!(
                "simtok-rotated-{:016x}{:016x}",
                rng.next_u64(),
                rng.next_u64()
            );
            if self.token(&candidate).is_none() {
                break candidate;
            }
        };
        let scopes: Vec<&str> = old.scopes.iter().map(String::as_str).collect();
        self.add_token(
            &new_secret,
            old.kind,
            old.user_id,
            &scopes,
            Some(expires_at),
        );
        let new = self.token_mut(&new_secret)?;
        new.name = old.name.clone();
        new.description = old.description.clone();
        new.created_at = now;
        new.rotated_from = Some(old.id);
        if let Some(t) = self.token_mut(secret) {
            t.revoked = true;
        }
        Some(new_secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_rotation_revokes_the_old_token_and_links_a_new_one() {
        let mut w = World::demo();
        let old = w.token(tokens::API).unwrap().clone();
        let expires = day(2030, 1, 1);
        let new = w.rotate_token(tokens::API, expires).unwrap();
        assert_ne!(new, tokens::API);
        assert!(w.token(tokens::API).unwrap().revoked);
        let t = w.token(&new).unwrap();
        assert!(!t.revoked);
        assert_eq!(
            (t.user_id, &t.scopes, &t.name, t.expires_at, t.rotated_from),
            (
                old.user_id,
                &old.scopes,
                &old.name,
                Some(expires),
                Some(old.id)
            )
        );
        assert_eq!(w.token_family(&new), vec![old.id, t.id]);
        assert_eq!(
            w.rotate_token(tokens::API, expires),
            None,
            "a revoked token does not rotate"
        );
    }

    #[test]
    fn reusing_a_rotated_token_revokes_the_whole_family_and_nothing_else() {
        let mut w = World::demo();
        let second = w.rotate_token(tokens::API, day(2030, 1, 1)).unwrap();
        let third = w.rotate_token(&second, day(2030, 1, 1)).unwrap();
        let unrelated = w.rotate_token(tokens::READ_ONLY, day(2030, 1, 1)).unwrap();
        assert_eq!(w.token_family(tokens::API).len(), 3);
        assert_eq!(w.token_family(&third), w.token_family(tokens::API));
        assert_eq!(
            w.revoke_token_family(&second),
            1,
            "only the newest was live"
        );
        assert!(w.token(&third).unwrap().revoked);
        assert!(!w.token(&unrelated).unwrap().revoked, "another family");
        assert!(!w.token(tokens::ADMIN).unwrap().revoked);
        assert_eq!(w.revoke_token_family(&third), 0);
        assert!(w.token_family("simtok-unknown").is_empty());
    }

    #[test]
    fn a_cycle_of_links_does_not_hang() {
        let mut w = World::demo();
        let a = w.token(tokens::API).unwrap().id;
        let b = w.token(tokens::READ_ONLY).unwrap().id;
        w.token_mut(tokens::API).unwrap().rotated_from = Some(b);
        w.token_mut(tokens::READ_ONLY).unwrap().rotated_from = Some(a);
        let family = w.token_family(tokens::API);
        assert!(family.contains(&a), "{family:?}");
    }

    #[test]
    fn expiry_defaults_to_a_week_and_stays_within_a_year() {
        let today = day(2026, 11, 29);
        assert_eq!(rotated_expiry(None, today), Ok(day(2026, 12, 6)));
        assert_eq!(
            rotated_expiry(Some(today), today),
            Err(ExpiryRefused::NotInFuture)
        );
        assert_eq!(
            rotated_expiry(Some(day(2026, 11, 30)), today),
            Ok(day(2026, 11, 30))
        );
        assert_eq!(
            rotated_expiry(Some(day(2027, 11, 29)), today),
            Ok(day(2027, 11, 29))
        );
        assert_eq!(
            rotated_expiry(Some(day(2027, 11, 30)), today),
            Err(ExpiryRefused::TooLate(day(2027, 11, 29)))
        );
    }
}
