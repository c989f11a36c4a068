//! Every push body kept in fuzz/regressions/push_body (what once crashed the fuzz target,
//! and the seeds it started from) judged as the server does: answered, never a panic.

#[test]
fn kept_push_bodies_are_judged_without_panicking() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/push_body");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        ayada_server::fuzzing::push_body(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n > 0, "no inputs kept in {}", dir.display());
}
