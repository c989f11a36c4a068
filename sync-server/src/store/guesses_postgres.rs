//! The wrong guesses of every replica in `platform.guesses` ([`GuessLedger`]).

use super::postgres::PgStore;
use super::vault::PLATFORM;
use super::{GuessLedger, StoreError};

impl PgStore {
    /// The keys as kept: digests under the platform's key (an email or an address in clear
    /// would be personal data kept for nothing).
    fn guess_keys(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        let sealer = self.sealer(PLATFORM)?;
        Ok(keys.iter().map(|k| sealer.tag("guesses", k)).collect())
    }
}

impl GuessLedger for PgStore {
    fn guesses(&self, keys: &[String], since: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let tags = self.guess_keys(keys)?;
        let rows = self.conn()?.q(
            "SELECT k.i, COUNT(g.at), COALESCE(MIN(g.at), 0)
             FROM UNNEST($1::text[]) WITH ORDINALITY AS k(key, i)
             LEFT JOIN platform.guesses g ON g.key = k.key AND g.at >= $2
             GROUP BY k.i ORDER BY k.i",
            &[&tags, &since],
        )?;
        Ok(rows.iter().map(|r| (r.get(1), r.get(2))).collect())
    }

    fn guessed(&self, keys: &[String], at: i64, forget_before: i64) -> Result<(), StoreError> {
        let tags = self.guess_keys(keys)?;
        // The old rows go in the same statement: the table holds one window of guesses.
        self.conn()?.x(
            "WITH gone AS (DELETE FROM platform.guesses WHERE at < $3)
             INSERT INTO platform.guesses (key, at) SELECT UNNEST($1::text[]), $2",
            &[&tags, &at, &forget_before],
        )?;
        Ok(())
    }

    fn forget_guesses(&self, key: &str) -> Result<(), StoreError> {
        let tag = self.guess_keys(&[key.to_string()])?.remove(0);
        self.conn()?
            .x("DELETE FROM platform.guesses WHERE key = $1", &[&tag])?;
        Ok(())
    }
}
