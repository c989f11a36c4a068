//! Every input kept in fuzz/regressions/ (what once crashed a fuzz target, and the seeds it
//! started from) replayed through the same doors: each must be answered, never panic.

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no inputs kept in {}", dir.display());
}

#[test]
fn kept_saved_documents_load_or_are_refused() {
    replay("load_doc", ayada_core::fuzzing::load_doc);
}

#[test]
fn kept_peer_changes_apply_or_are_refused() {
    replay("apply_change", ayada_core::fuzzing::apply_change);
}

#[test]
fn kept_csv_files_import_or_are_refused() {
    replay("csv_import", ayada_core::fuzzing::csv_import);
}

#[test]
fn kept_photos_import_or_are_refused() {
    replay("photo_import", ayada_core::fuzzing::photo_import);
}
