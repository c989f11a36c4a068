//! Every sentence the Rust side says through `Said::new("id")` (the sync client, the CLI,
//! the desktop shell) is in both of the core's catalogues: a typo or a forgotten
//! translation fails here, not in front of a receptionist.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn ids_in(catalogue: &str) -> Vec<String> {
    catalogue
        .lines()
        .filter(|l| !l.starts_with(['#', ' ']) && l.contains(" = "))
        .map(|l| l.split(" = ").next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn every_said_sentence_is_in_both_catalogues() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src", "sync-server/src"] {
        sources(&root.join(dir), &mut files);
    }
    let locales = root.join("crates/ayada-core/locales");
    let en = ids_in(&std::fs::read_to_string(locales.join("en.ftl")).unwrap());
    let ar = ids_in(&std::fs::read_to_string(locales.join("ar.ftl")).unwrap());
    let mut used = 0;
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for part in text.split("Said::new(\"").skip(1) {
            let id = part.split('"').next().unwrap();
            used += 1;
            for (lang, ids) in [("en", &en), ("ar", &ar)] {
                if !ids.iter().any(|i| i == id) {
                    missing.push(format!("{lang}: {id} ({})", file.display()));
                }
            }
        }
    }
    assert!(
        used > 50,
        "only {used} sentences found: is the scan looking in the right place?"
    );
    assert!(
        missing.is_empty(),
        "missing from the catalogues:\n{}",
        missing.join("\n")
    );
}
