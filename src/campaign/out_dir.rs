//! The output directory (`--out`): a campaign writes into an empty or new directory, so
//! nothing an earlier campaign left there can pass for this one's findings. `--append` allows
//! a non-empty one; then what was there is listed in the report (and kept), not counted.

use std::collections::BTreeSet;
use std::path::Path;

use crate::campaign::cases::FAILURES;
use crate::campaign::report::Earlier;

/// Check `out` before a campaign writes there. Ok(None): empty or new. Ok(Some): `--append`
/// into a non-empty directory, and what it holds. Err: the one-line reason it cannot be used.
pub fn prepare(out: &Path, append: bool) -> Result<Option<Earlier>, String> {
    let shown = out.display();
    if out.exists() && !out.is_dir() {
        return Err(format!("--out '{shown}' exists and is not a directory"));
    }
    let entries = match std::fs::read_dir(out) {
        Ok(d) => d.count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(format!("cannot read --out '{shown}': {e}")),
    };
    if entries == 0 {
        return Ok(None);
    }
    if !append {
        return Err(format!(
            "output directory '{shown}' is not empty; pass --append to add to it, or choose another --out"
        ));
    }
    Ok(Some(Earlier {
        report: out.join("report.json").exists(),
        case_files: case_files(out).into_iter().collect(),
    }))
}

/// The names of the case files in `out/failures/`.
pub fn case_files(out: &Path) -> BTreeSet<String> {
    std::fs::read_dir(out.join(FAILURES))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_empty_directory_needs_append() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(prepare(&d.path().join("new"), false), Ok(None));
        assert_eq!(prepare(d.path(), false), Ok(None));
        std::fs::create_dir(d.path().join(FAILURES)).unwrap();
        std::fs::write(d.path().join(FAILURES).join("a.json"), "{}").unwrap();
        let e = prepare(d.path(), false).unwrap_err();
        assert!(e.contains("not empty") && e.contains("--append"), "{e}");
        let earlier = prepare(d.path(), true).unwrap().unwrap();
        assert_eq!(earlier.case_files, vec!["a.json".to_string()]);
        assert!(!earlier.report);
    }
}
