//! The watchlist: officers under review (for instance after a referral), whose flagged
//! pairs the morning report shows every night whatever their score, marked as such.
//! Adding and removing are kept, with who, when and why, in an append-only history.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// An officer on the watchlist.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    pub officer_id: String,
    pub added_at: String,
    pub added_by: String,
    pub reason: String,
}

/// A change to the watchlist.
#[derive(Debug, Clone, Serialize)]
pub struct WatchEvent {
    pub officer_id: String,
    pub at: String,
    pub actor: String,
    /// `added` or `removed`.
    pub kind: String,
    pub reason: String,
}

impl Store {
    /// The officers on the watchlist, by officer id.
    pub fn watchlist(&self) -> Result<Vec<Watched>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT officer_id, added_at, added_by, reason FROM watchlist ORDER BY officer_id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Watched {
                    officer_id: r.get(0)?,
                    added_at: r.get(1)?,
                    added_by: r.get(2)?,
                    reason: r.get(3)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// Every change to the watchlist, oldest first.
    pub fn watchlist_history(&self) -> Result<Vec<WatchEvent>> {
        let mut stmt = self
            .conn
            .prepare("SELECT officer_id, at, actor, kind, reason FROM watchlist_events ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(WatchEvent {
                    officer_id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    reason: r.get(4)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// Puts an officer on the watchlist (who and why are required).
    pub fn watch(&self, officer: &str, by: &str, reason: &str) -> Result<()> {
        self.change_watchlist(officer, by, reason, "added")
    }

    /// Takes an officer off the watchlist (who and why are required).
    pub fn unwatch(&self, officer: &str, by: &str, reason: &str) -> Result<()> {
        self.change_watchlist(officer, by, reason, "removed")
    }

    fn change_watchlist(&self, officer: &str, by: &str, reason: &str, kind: &str) -> Result<()> {
        let (officer, by, reason) = (officer.trim(), by.trim(), reason.trim());
        if officer.is_empty() || by.is_empty() || reason.is_empty() {
            return Err(StoreError::store(
                &self.path,
                "a watchlist change needs the officer, who makes it and why",
            ));
        }
        let tx = crate::db::write_transaction(&self.conn).map_err(|e| self.sql(e))?;
        let on: Option<String> = tx
            .query_row(
                "SELECT officer_id FROM watchlist WHERE officer_id = ?1",
                [officer],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let now = crate::db::now();
        match (kind, on.is_some()) {
            ("added", true) => {
                return Err(StoreError::store(
                    &self.path,
                    format!("officer {officer} is on the watchlist already"),
                ))
            }
            ("removed", false) => {
                return Err(StoreError::store(
                    &self.path,
                    format!("officer {officer} is not on the watchlist"),
                ))
            }
            ("added", false) => {
                tx.execute(
                    "INSERT INTO watchlist(officer_id, added_at, added_by, reason) VALUES (?1, ?2, ?3, ?4)",
                    params![officer, now, by, reason],
                )
                .map_err(|e| self.sql(e))?;
            }
            _ => {
                tx.execute("DELETE FROM watchlist WHERE officer_id = ?1", [officer])
                    .map_err(|e| self.sql(e))?;
            }
        }
        tx.execute(
            "INSERT INTO watchlist_events(officer_id, at, actor, kind, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![officer, now, by, kind, reason],
        )
        .map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[test]
    fn watching_is_kept_with_who_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(&dir.path().join("s")).unwrap();
        store
            .watch("PC1", "DI Jones", "referred on 2026-12-01")
            .unwrap();
        let err = store
            .watch("PC1", "DI Jones", "again")
            .unwrap_err()
            .to_string();
        assert!(err.contains("on the watchlist already"), "{err}");
        assert_eq!(store.watchlist().unwrap()[0].added_by, "DI Jones");
        store
            .unwatch("PC1", "DI Jones", "investigation closed")
            .unwrap();
        assert!(store.watchlist().unwrap().is_empty());
        let kinds: Vec<String> = store
            .watchlist_history()
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.kind, e.reason))
            .collect();
        assert_eq!(
            kinds,
            [
                "added referred on 2026-12-01",
                "removed investigation closed"
            ]
        );
        assert!(store.unwatch("PC1", "DI Jones", "x").is_err());
        assert!(store.watch("PC2", " ", "x").is_err());
    }
}
