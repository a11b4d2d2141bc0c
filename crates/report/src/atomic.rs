//! Several files written as one: every file goes to a temporary name first, and only
//! when all are written and synced are they renamed into place. A full disk or an
//! unwritable folder leaves none of them (and no temporary file) behind.

use crate::{write_atomic, OutputError};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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

/// `.NAME.tmp-HOST-PID-TAG` beside `path`. The PID alone clashed: shards writing into
/// one shared folder from containers are all PID 1, and removed each other's temporary
/// files. The host tells machines (and pods) apart and the tag, random per process,
/// tells apart equal PIDs on one host; host and PID let a later run recognise the
/// temporary file of a process that died ([`remove_stale_temporaries`]).
pub(crate) fn temp_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent(path).join(format!(".{name}.tmp-{}-{}-{}", host(), std::process::id(), process_tag()))
}

/// This machine's name as a file-name fragment: letters, digits and '-', at most 32.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let clean: String =
            raw.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(32).collect();
        if clean.is_empty() {
            "host".to_string()
        } else {
            clean
        }
    })
}

/// Eight hex digits drawn once per process from the standard library's randomly seeded
/// hasher (the OS's randomness): two processes of equal PID on one host differ.
fn process_tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        format!("{:08x}", h.finish() as u32)
    })
}

/// Removes the temporary files a killed process left in `dir` (SIGKILL between writing
/// and renaming): those of this host whose process is gone, in the current
/// (`.NAME.tmp-HOST-PID-TAG`) or the older (`.NAME.tmp-PID`) form. Files of other
/// hosts, of live processes, or where liveness cannot be told (no `/proc`) are left.
/// Returns how many were removed.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(owner) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")).map(|(_, o)| o) else {
            continue;
        };
        let pid = match owner.split('-').collect::<Vec<_>>().as_slice() {
            [pid] => pid.parse::<u32>().ok(),
            [.., pid, tag] if tag.len() == 8 => {
                let host_part = &owner[..owner.len() - pid.len() - tag.len() - 2];
                if host_part == host() {
                    pid.parse::<u32>().ok()
                } else {
                    None
                }
            }
            _ => None,
        };
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// An exclusive lock on an output folder, held until dropped: two runs writing into
/// one folder interleaved their files (CSVs of one, charts of the other). The lock is
/// the folder's own (`flock` on it), so nothing is added to the folder and a killed
/// process releases it.
pub struct FolderLock {
    _dir: std::fs::File,
}

/// Creates `dir` if needed and locks it; another process holding it is an error
/// naming the folder. Where a folder cannot be opened as a file (not Unix), the run
/// goes on unlocked.
pub fn lock_folder(dir: &Path) -> Result<Option<FolderLock>, OutputError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| OutputError::CreateDir { path: dir.to_path_buf(), source })?;
    let Ok(file) = std::fs::File::open(dir) else { return Ok(None) };
    match file.try_lock() {
        Ok(()) => Ok(Some(FolderLock { _dir: file })),
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputError::Busy { path: dir.to_path_buf() }),
        // A file system without locks: as before locks existed.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
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

    /// Temporary names differ between processes of equal PID (containers are all PID
    /// 1): the random tag tells them apart; host and PID stay readable for clean-up.
    #[test]
    fn temporary_names_carry_host_pid_and_a_tag() {
        let t = temp_name(Path::new("out/summary.csv"));
        let name = t.file_name().unwrap().to_str().unwrap();
        let expected = format!(".summary.csv.tmp-{}-{}-", host(), std::process::id());
        assert!(name.starts_with(&expected) && name.len() == expected.len() + 8, "{name}");
        assert_eq!(t, temp_name(Path::new("out/summary.csv")), "one tag per process");
    }

    /// Temporaries of dead processes on this host go; live ones, other hosts' and
    /// other files stay.
    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let dir = tempdir();
        // PIDs above the kernel's pid_max (at most 2^22) never belong to a process.
        let dead = 4_194_305u32;
        let me = std::process::id();
        let names = [
            format!(".summary.csv.tmp-{}-{dead}-0123abcd", host()),
            format!(".report.html.tmp-{dead}"),
            format!(".summary.csv.tmp-{}-{me}-0123abcd", host()),
            format!(".summary.csv.tmp-other-host-{dead}-0123abcd"),
            "summary.csv".to_string(),
        ];
        for n in &names {
            std::fs::write(dir.join(n), b"x").unwrap();
        }
        assert_eq!(remove_stale_temporaries(&dir), 2);
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        let mut kept = names[2..].to_vec();
        kept.sort();
        assert_eq!(left, kept);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_locked_folder_is_refused_until_released() {
        let dir = tempdir();
        let first = lock_folder(&dir).unwrap();
        if first.is_some() {
            assert!(matches!(lock_folder(&dir), Err(OutputError::Busy { .. })));
            drop(first);
            assert!(lock_folder(&dir).unwrap().is_some());
        }
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
