//! Result files: CSV tables written atomically, and the summary table as text.
//!
//! Every file is written to a temporary name in the destination folder and renamed into
//! place, so a crash or a full disk never leaves a half-written result. Floats are
//! written with fixed precision so that identical runs give byte-identical files.

mod atomic;
mod csv_out;
mod table;
mod traffic_csv;

pub use atomic::{probe_writable, write_all_atomic};
pub use csv_out::{replications_csv, summary_csv, BatchSummary, REPLICATIONS_COLUMNS, SUMMARY_COLUMNS};
pub use table::summary_table;
pub use traffic_csv::{traffic_csv, TRAFFIC_COLUMNS};

use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The I/O error is the `source`, not part of the message, so that an error chain
/// (`{:#}`) names it once.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot create the output folder {path}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|source| OutputError::CreateDir { path: dir.to_path_buf(), source })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Write { path: path.to_path_buf(), source }
    })
}
