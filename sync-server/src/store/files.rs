//! The server's files on disk: readable by its own user alone, opened for durable writes.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Makes `dir` (and its parents) readable by the server's user alone; an existing one is
/// made so too. The server's files hold names, phones and diagnoses.
pub(super) fn private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    builder.create(dir)?;
    Ok(())
}

/// Creates the database file `path` readable by the server's user alone before SQLite opens
/// it (SQLite gives its -wal and -shm files the database file's mode).
fn private_file(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    private_file(path)?;
    let conn = Connection::open(path)?;
    // FULL: a change is acknowledged only once it is on disk.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
    )?;
    Ok(conn)
}
