//! The store's SQLite database: its schema (versioned by `PRAGMA user_version`,
//! migrated forward on open), the store's settings, and what the data folders hold.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::layout;
use crate::{Result, StoreError};

/// The schema, one migration per version: migration `i` takes the database from
/// version `i` to `i + 1`. Append, never edit: stores in use are at every version.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per night that committed its data: `ingested` until its outputs and alerts
-- are written, then `done`.
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('ingested', 'done')),
    incoming       TEXT NOT NULL,
    folder         TEXT NOT NULL,
    reference_time TEXT,
    matrix_sha256  TEXT,
    summary        TEXT,
    -- What the run is scored with, so that a run finished by the next night is
    -- scored as it would have been: the matrix (its TOML and source) and --csv.
    matrix_toml    TEXT NOT NULL,
    matrix_source  TEXT NOT NULL,
    csv            INTEGER NOT NULL
);
-- Every export file taken, by content hash; `input` is its manifest entry (JSON).
CREATE TABLE files (
    sha256  TEXT NOT NULL,
    tbl     TEXT NOT NULL,
    name    TEXT NOT NULL,
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    input   TEXT NOT NULL,
    PRIMARY KEY (sha256, tbl, run_id)
);
-- Every file each night's delivery held, taken or not (and why not), with the time
-- of its latest event (a file whose events all precede the night before is late).
CREATE TABLE deliveries (
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    tbl          TEXT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    not_taken    TEXT,
    latest_event TEXT
);
-- Every data file of the store, relative to it. A file under tables/, snapshots/ or
-- quarantine/ not listed here was left by a night that did not commit.
CREATE TABLE parts (
    path    TEXT PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    tbl     TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('event', 'snapshot', 'quarantine')),
    rows    INTEGER NOT NULL
);
-- The run whose delivery is each reference table's current snapshot.
CREATE TABLE snapshots (
    tbl     TEXT PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id)
);
-- An alert: an officer (subject_id = '') or one of their flagged pairs.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    officer_id   TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    state        TEXT NOT NULL,
    score        REAL NOT NULL,
    tier         TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    first_run    INTEGER NOT NULL REFERENCES runs(id),
    last_run     INTEGER NOT NULL REFERENCES runs(id),
    review_score REAL,
    review_tier  TEXT,
    UNIQUE (officer_id, subject_id)
);
-- The score of every alert in every run it was scored in, so that any run's ranking
-- can be told again.
CREATE TABLE alert_scores (
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    score    REAL NOT NULL,
    tier     TEXT NOT NULL,
    state    TEXT NOT NULL,
    PRIMARY KEY (alert_id, run_id)
);
-- State changes and reviews, append-only: who, when, from what to what, and why.
CREATE TABLE alert_events (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id),
    run_id     INTEGER REFERENCES runs(id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('state', 'review')),
    from_state TEXT,
    to_state   TEXT NOT NULL,
    outcome    TEXT,
    note       TEXT NOT NULL,
    score      REAL NOT NULL
);
CREATE TRIGGER alert_events_append_only_update BEFORE UPDATE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert history is append-only: a review is never edited'); END;
CREATE TRIGGER alert_events_append_only_delete BEFORE DELETE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert history is append-only: a review is never deleted'); END;
-- Officers under review: each night's morning report shows all their flagged pairs
-- whatever their score. Changes are appended to watchlist_events.
CREATE TABLE watchlist (
    officer_id TEXT PRIMARY KEY,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE TABLE watchlist_events (
    id         INTEGER PRIMARY KEY,
    officer_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('added', 'removed')),
    reason     TEXT NOT NULL
);
CREATE TRIGGER watchlist_events_append_only_update BEFORE UPDATE ON watchlist_events
BEGIN SELECT RAISE(ABORT, 'the watchlist history is append-only'); END;
CREATE TRIGGER watchlist_events_append_only_delete BEFORE DELETE ON watchlist_events
BEGIN SELECT RAISE(ABORT, 'the watchlist history is append-only'); END;
"#,
    r#"
-- When the run's bulky outputs (officers, pairs, signals, evidence) were removed by
-- `apsp runs prune`; its manifest, quarantine and morning report stay, and
-- `apsp runs replay` scores the store as of the run to get them back.
ALTER TABLE runs ADD COLUMN outputs_pruned_at TEXT;
"#,
];

/// An open store.
pub struct Store {
    pub(crate) path: PathBuf,
    pub(crate) conn: Connection,
}

impl Store {
    /// Opens an existing store (its schema migrated to this version's).
    pub fn open(path: &Path) -> Result<Store> {
        Store::refuse_no_store(path)?;
        Store::connect(path)
    }

    /// Refuses a folder without a store's database.
    pub(crate) fn refuse_no_store(path: &Path) -> Result<()> {
        if path.join("store.sqlite").is_file() {
            return Ok(());
        }
        Err(StoreError::store(
            path,
            "not a store (no store.sqlite): `apsp nightly --store` makes one on its first night",
        ))
    }

    /// Makes the folder of a new store (absent or empty), or checks an existing
    /// folder is a store; the lock is taken after this and before [`Store::connect`].
    pub(crate) fn prepare_folder(path: &Path) -> Result<()> {
        if path.join("store.sqlite").is_file() {
            return Ok(());
        }
        let has_files = std::fs::read_dir(path)
            .map(|d| d.flatten().any(|e| e.file_name() != "lock"))
            .unwrap_or(false);
        if has_files {
            return Err(StoreError::store(
                path,
                "the folder holds files but no store.sqlite: give an empty folder for a new store",
            ));
        }
        std::fs::create_dir_all(path).map_err(|e| StoreError::io(path, e))
    }

    /// Opens a store, making it in an empty or absent folder (tests; a night takes
    /// the lock between the two).
    #[cfg(test)]
    pub(crate) fn open_or_create(path: &Path) -> Result<Store> {
        Store::prepare_folder(path)?;
        Store::connect(path)
    }

    pub(crate) fn connect(path: &Path) -> Result<Store> {
        let db = path.join("store.sqlite");
        let conn = Connection::open(&db).map_err(|e| sqlite(path, e))?;
        let store = Store {
            path: path.to_path_buf(),
            conn,
        };
        store
            .conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| sqlite(path, e))?;
        store
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| sqlite(path, e))?;
        store
            .conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| sqlite(path, e))?;
        store
            .conn
            .busy_timeout(std::time::Duration::from_secs(60))
            .map_err(|e| sqlite(path, e))?;
        store.migrate()?;
        Ok(store)
    }

    /// The store's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Brings the schema to this version's, one migration per transaction.
    fn migrate(&self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::store(
                &self.path,
                format!(
                    "its schema is version {version}, newer than this apsp's ({}): use a newer apsp",
                    MIGRATIONS.len()
                ),
            ));
        }
        self.migrate_from(version)
    }

    /// Applies the migrations after `version` (read before, outside a transaction).
    fn migrate_from(&self, version: i64) -> Result<()> {
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = crate::db::write_transaction(&self.conn).map_err(|e| self.sql(e))?;
            // Another process (a reviewer's `apsp alerts` beside the night) may have
            // applied it since the version was read: the write lock held, read again.
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(|e| self.sql(e))?;
            if now as usize > i {
                continue;
            }
            tx.execute_batch(m).map_err(|e| self.sql(e))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| self.sql(e))?;
            tx.commit().map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// Every row `sql` gives for `params`, each made by `row` (prepare, query, collect:
    /// each error naming the store).
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sql(e))?;
        let rows = stmt.query_map(params, row).map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<T>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// A database error, naming the store.
    pub(crate) fn sql(&self, e: rusqlite::Error) -> StoreError {
        sqlite(&self.path, e)
    }

    /// A setting of the store (see [`crate::nightly`]), if recorded.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Sets a setting (in the caller's transaction when one is open on the
    /// connection).
    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Removes what a night that never committed left behind: data files no
    /// transaction recorded, temporary files, and unfinished output folders.
    pub(crate) fn sweep(&self) -> Result<Vec<String>> {
        let mut recorded = std::collections::HashSet::new();
        let mut stmt = self
            .conn
            .prepare("SELECT path FROM parts")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        for r in rows {
            recorded.insert(r.map_err(|e| self.sql(e))?);
        }
        let mut removed = Vec::new();
        for dir in layout::DATA_FOLDERS {
            for f in layout::files_under(&self.path, dir)? {
                if !recorded.contains(&f) {
                    let p = self.path.join(&f);
                    std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
                    removed.push(f);
                }
            }
        }
        let runs = self.path.join("runs");
        if let Ok(entries) = std::fs::read_dir(&runs) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".tmp") {
                    let p = e.path();
                    std::fs::remove_dir_all(&p).map_err(|e| StoreError::io(&p, e))?;
                    removed.push(format!("runs/{name}"));
                }
            }
        }
        Ok(removed)
    }

    /// Checks the store is whole: the database's own integrity check, every data
    /// file the database records present, and every finished run's folder present.
    /// Returns the problems found (none: whole). Files no committed night recorded
    /// are not a problem: the next night removes them.
    pub fn verify(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let check: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if check != "ok" {
            problems.push(format!("database integrity check: {check}"));
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT path FROM parts UNION ALL SELECT folder FROM runs WHERE status = 'done'",
            )
            .map_err(|e| self.sql(e))?;
        let paths = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        for p in paths {
            let p = p.map_err(|e| self.sql(e))?;
            if !self.path.join(&p).exists() {
                problems.push(format!("{p} is recorded but missing"));
            }
        }
        Ok(problems)
    }

    /// The runs, oldest first.
    pub fn runs(&self) -> Result<Vec<RunInfo>> {
        self.rows(
            "SELECT id, status, folder, incoming, started_at, finished_at, reference_time, matrix_sha256,
                    outputs_pruned_at
             FROM runs ORDER BY id",
            [],
            |r| {
                Ok(RunInfo {
                    id: r.get(0)?,
                    status: r.get(1)?,
                    folder: r.get(2)?,
                    incoming: r.get(3)?,
                    started_at: r.get(4)?,
                    finished_at: r.get(5)?,
                    reference_time: r.get(6)?,
                    matrix_sha256: r.get(7)?,
                    outputs_pruned_at: r.get(8)?,
                })
            },
        )
    }

    /// The number of the next run.
    pub(crate) fn next_run(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM runs", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sql(e))
    }
}

/// A run as recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunInfo {
    pub id: i64,
    /// `ingested` (its data committed, its outputs not yet) or `done`.
    pub status: String,
    /// Its output folder, relative to the store.
    pub folder: String,
    pub incoming: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub reference_time: Option<String>,
    pub matrix_sha256: Option<String>,
    /// When its officers, pairs, signals and evidence were pruned (`apsp runs prune`),
    /// if they were.
    pub outputs_pruned_at: Option<String>,
}

pub(crate) fn sqlite(store: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        store: store.to_path_buf(),
        source: e,
    }
}

/// A transaction that takes the write lock at once (`BEGIN IMMEDIATE`): a night
/// reading the alerts and then writing them must not find, at its first write, that a
/// review committed in between (SQLite would refuse the write; taking the lock first
/// makes the other writer wait, up to the busy timeout).
pub(crate) fn write_transaction(conn: &Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
}

/// Now, UTC, whole seconds (RFC 3339).
pub(crate) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_history_cannot_be_edited_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(&dir.path().join("s")).unwrap();
        let c = &store.conn;
        c.execute_batch(
            "INSERT INTO runs(id, started_at, status, incoming, folder, matrix_toml, matrix_source, csv)
                 VALUES (1, 't', 'done', 'in', 'runs/1', '', 'default', 0);
             INSERT INTO alerts(officer_id, subject_id, state, score, tier, reasons, first_run, last_run)
                 VALUES ('PC1', '', 'reviewed', 9.0, 'medium', '', 1, 1);
             INSERT INTO alert_events(alert_id, run_id, at, actor, kind, from_state, to_state, outcome, note, score)
                 VALUES (1, NULL, 't', 'DS A', 'review', 'new', 'reviewed', 'explained', 'a relative', 9.0);",
        )
        .unwrap();
        let edit = c.execute("UPDATE alert_events SET note = 'changed'", []);
        assert!(edit.unwrap_err().to_string().contains("append-only"));
        let delete = c.execute("DELETE FROM alert_events", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        let note: String = c
            .query_row("SELECT note FROM alert_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(note, "a relative");
    }

    /// A store's database at schema version 1 (made before runs could be pruned) in
    /// `dir/s`, and a connection to it.
    fn first_schema_store(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("s");
        std::fs::create_dir_all(&path).unwrap();
        let conn = Connection::open(path.join("store.sqlite")).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        (path, conn)
    }

    #[test]
    fn a_store_of_the_first_schema_is_migrated_with_its_runs() {
        let dir = tempfile::tempdir().unwrap();
        let (path, conn) = first_schema_store(dir.path());
        conn.execute(
            "INSERT INTO runs(id, started_at, status, incoming, folder, matrix_toml, matrix_source, csv) \
             VALUES (1, '2026-12-01T02:00:00Z', 'done', 'in', 'runs/000001-2026-12-01', '', 'default', 0)",
            [],
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2);
        let runs = store.runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].folder, "runs/000001-2026-12-01");
        assert_eq!(runs[0].outputs_pruned_at, None);
    }

    /// Two processes open a store of the first schema at once: the one that reads the
    /// version before the other migrates, and migrates after, skips what was applied.
    #[test]
    fn a_migration_applied_meanwhile_is_not_applied_again() {
        let dir = tempfile::tempdir().unwrap();
        let (path, first) = first_schema_store(dir.path());
        let late = Store {
            path: path.clone(),
            conn: first,
        };
        // The other process migrates the store to this version's schema...
        drop(Store::open(&path).unwrap());
        // ...while this one still runs every migration from version 1 on.
        late.migrate_from(1).unwrap();
        let v: i64 = late
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_store_opened_again_keeps_its_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        drop(Store::open_or_create(&path).unwrap());
        let store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_folder_with_other_files_is_not_made_a_store() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let err = Store::open_or_create(dir.path()).err().unwrap().to_string();
        assert!(err.contains("holds files but no store.sqlite"), "{err}");
    }
}
