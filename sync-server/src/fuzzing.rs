//! What the fuzz target `push_body` (`fuzz/`, cargo fuzz) drives and the regression tests
//! replay: a push's body as a stranger may send it, read and judged change by change the way
//! the server does. It must answer, never panic, whatever the bytes.
#![doc(hidden)]

use std::collections::HashMap;

use ayada_sync::PushRequest;

use crate::fit::DocFit;

/// Reads `data` as a push body and judges each change against its document.
pub fn push_body(data: &[u8]) {
    let Ok(request) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    if request.check().is_err() {
        return;
    }
    // Grouped by document and judged together, as a push is.
    let mut docs: HashMap<&str, Vec<automerge::Change>> = HashMap::new();
    for wire in &request.changes {
        if let Ok(change) = wire.screen() {
            docs.entry(wire.doc_id.as_str()).or_default().push(change);
        }
    }
    for changes in docs.values() {
        let batch: Vec<&automerge::Change> = changes.iter().collect();
        let _ = DocFit::empty().admit_all(&batch);
    }
}
