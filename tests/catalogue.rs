//! The failure catalogue shipped in the repository (docs/catalogue.md) has every row `#N` dtx
//! can print, every bug knob (the lock's included) in its index and in the rows it names with
//! the invariants that catch it, every invariant with its statement, and links that resolve.

use std::path::Path;

fn text(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CATALOGUE: &str = "docs/catalogue.md";

/// The text of row `#n`, from its heading to the next heading.
fn row(catalogue: &str, n: u32) -> Option<&str> {
    let heading = format!("### #{n} ");
    let start = catalogue.find(&heading)?;
    let rest = &catalogue[start + heading.len()..];
    Some(&rest[..rest.find("\n#").unwrap_or(rest.len())])
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_row_dtx_can_name_is_in_the_catalogue() {
    let catalogue = text(CATALOGUE);
    for n in 1..=33 {
        let heading = format!("\n### #{n} ");
        assert_eq!(catalogue.matches(&heading).count(), 1, "row #{n}");
    }
    // The lock's rows are built: each names its knob and says how to run it.
    for (n, knob) in (29..=32).zip(dtx_models::lock::BUGS) {
        let text = row(&catalogue, n).unwrap();
        assert!(!text.contains("Not built yet"), "#{n}");
        assert!(text.contains(&format!("`{}`", knob.name)), "#{n}");
        assert!(text.contains("2pc and tcc, under the lock"), "#{n}");
    }
    assert!(row(&catalogue, 29).unwrap().contains("`--lock`"));
}

#[test]
fn every_bug_knob_is_in_the_rows_it_names_with_its_invariants() {
    use dtx_models::lock;
    use dtx_models::protocols::{saga_choreo, saga_orch, tcc, two_pc};
    let catalogue = text(CATALOGUE);
    let tables = [
        two_pc::BUGS,
        tcc::BUGS,
        saga_orch::BUGS,
        saga_choreo::BUGS,
        lock::BUGS,
    ];
    let knobs: Vec<_> = tables.iter().flat_map(|t| t.iter()).collect();
    // The five tables are all there is: every `BugKnob {` in models/src is one of them.
    let mut files = Vec::new();
    sources(Path::new("models/src"), &mut files);
    let literals: usize = files.iter().map(|f| f.matches("BugKnob {").count()).sum();
    assert_eq!(
        literals - 1,
        knobs.len(),
        "a BUGS table this test does not know"
    );
    assert!(knobs.len() >= 27);
    let index = &catalogue[..catalogue.find("\n## The rows").unwrap()];
    for knob in &knobs {
        assert!(!knob.rows.is_empty(), "{} names no row", knob.name);
        assert!(
            index.contains(&format!("\n| `{}` |", knob.name)),
            "{} not in the index",
            knob.name
        );
        for &n in knob.rows {
            let text = row(&catalogue, n).unwrap_or_else(|| panic!("no row #{n}"));
            assert!(
                text.contains(&format!("`{}`", knob.name)),
                "{} in #{n}",
                knob.name
            );
            for invariant in knob.breaks {
                assert!(
                    text.contains(&format!("`{invariant}`")),
                    "{invariant} in #{n}"
                );
            }
        }
    }
    // The root crate's own knobs (the engine demo), written inline in the registry.
    let registry = text("src/registry.rs");
    let mut inline = 0;
    for table in registry.split("bugs: &[").skip(1) {
        if !table.trim_start().starts_with("Bug {") {
            continue;
        }
        let table = table.split("}]").next().unwrap();
        for part in table.split("name: \"").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(catalogue.contains(&format!("`{name}`")), "{name}");
            inline += 1;
        }
    }
    assert!(inline >= 1, "the demo's knob");
}

#[test]
fn every_invariant_is_stated_as_checked() {
    let catalogue = text(CATALOGUE);
    for invariant in dtx_invariants::Invariant::ALL {
        let line = format!("- **{}** — {}\n", invariant.name(), invariant.statement());
        assert!(catalogue.contains(&line), "{line}");
    }
}

#[test]
fn the_catalogue_links_resolve() {
    let catalogue = text(CATALOGUE);
    // GitHub's anchors: lower case, spaces to hyphens, other punctuation dropped.
    let anchors: Vec<String> = catalogue
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect();
    let links: Vec<&str> = catalogue
        .split("](#")
        .skip(1)
        .map(|s| s.split(')').next().unwrap())
        .collect();
    assert!(links.len() > 20);
    for link in links {
        assert!(anchors.iter().any(|a| a == link), "#{link}");
    }
}
