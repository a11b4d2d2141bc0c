//! Several files written as one: every file goes to a temporary name first, and only
//! when all are written and synced are they renamed into place. A full disk or an
//! unwritable folder leaves none of them (and no temporary file) behind.

use crate::{write_atomic, OutputError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes every `(path, bytes)`; on error nothing new is left in place.
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>)]) -> Result<(), OutputError> {
    if let [(path, bytes)] = files {
        return write_atomic(path, bytes);
    }
    let mut temps: Vec<PathBuf> = Vec::with_capacity(files.len());
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, bytes) in files {
        let dir = parent(path);
        std::fs::create_dir_all(dir).map_err(|source| {
            cleanup(&temps);
            OutputError::CreateDir { path: dir.to_path_buf(), source }
        })?;
        let tmp = temp_name(path);
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        temps.push(tmp);
        if let Err(source) = written {
            cleanup(&temps);
            return Err(OutputError::Write { path: path.clone(), source });
        }
    }
    for (i, ((path, _), tmp)) in files.iter().zip(&temps).enumerate() {
        if let Err(source) = std::fs::rename(tmp, path) {
            cleanup(&temps[i..]);
            return Err(OutputError::Write { path: path.clone(), source });
        }
    }
    Ok(())
}

/// Checks that files can be written into `dir` (creating it): a run calls this before
/// simulating, so an unwritable folder fails at once rather than after the work.
pub fn probe_writable(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| OutputError::CreateDir { path: dir.to_path_buf(), source })?;
    let probe = temp_name(&dir.join("probe"));
    let written = std::fs::File::create(&probe).and_then(|mut f| f.write_all(b"probe"));
    let _ = std::fs::remove_file(&probe);
    written.map_err(|source| OutputError::Write { path: dir.to_path_buf(), source })
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn temp_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent(path).join(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file() {
        let dir = tempdir();
        let files = vec![(dir.join("a.csv"), b"a".to_vec()), (dir.join("sub/b.csv"), b"b".to_vec())];
        write_all_atomic(&files).unwrap();
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"a");
        assert_eq!(std::fs::read(dir.join("sub/b.csv")).unwrap(), b"b");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failure_leaves_nothing() {
        let dir = tempdir();
        // The second file's folder is a file: creating it fails after the first is written.
        std::fs::write(dir.join("blocker"), b"").unwrap();
        let files = vec![(dir.join("a.csv"), b"a".to_vec()), (dir.join("blocker/b.csv"), b"b".to_vec())];
        assert!(write_all_atomic(&files).is_err());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("blocker")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_probe_leaves_nothing() {
        let dir = tempdir();
        probe_writable(&dir.join("new")).unwrap();
        assert_eq!(std::fs::read_dir(dir.join("new")).unwrap().count(), 0);
        std::fs::write(dir.join("file"), b"").unwrap();
        assert!(probe_writable(&dir.join("file/sub")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "crossover-atomic-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
