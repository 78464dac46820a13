//! The store's lock: one night at a time. An advisory lock on `STORE/lock`, released
//! by the system when its holder ends (also when killed), holding the holder's pid,
//! host and start time for the message another run gets.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{Result, StoreError};

/// Held while a run works on the store; released when dropped.
pub(crate) struct StoreLock {
    _file: File,
}

impl StoreLock {
    /// Takes the lock, or says who holds it.
    pub(crate) fn take(store: &Path) -> Result<StoreLock> {
        let path = store.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::store(
                    store,
                    format!(
                        "another run is using it ({}); wait for it to end, or stop it \
                         (the lock goes with the process that holds it)",
                        if holder.is_empty() {
                            "holder unknown"
                        } else {
                            holder
                        }
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
        }
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            host_name(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        file.set_len(0).map_err(|e| StoreError::io(&path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| StoreError::io(&path, e))?;
        file.write_all(holder.as_bytes())
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(StoreLock { _file: file })
    }
}

/// The machine's name, for the lock's message.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".to_string())
}
