//! What the fuzz target `push_body` (`fuzz/`, cargo fuzz) drives and the regression tests
//! replay: a push's body as a stranger may send it, read and judged change by change the way
//! the server does. It must answer, never panic, whatever the bytes.
#![doc(hidden)]

use std::collections::HashMap;

use ayada_sync::PushRequest;

use crate::fit::{decode, DocFit};

/// Reads `data` as a push body and judges each change against its document.
pub fn push_body(data: &[u8]) {
    let Ok(request) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    if request.check().is_err() {
        return;
    }
    let mut docs: HashMap<&str, DocFit> = HashMap::new();
    for wire in &request.changes {
        if let Ok(change) = decode(wire) {
            let _ = docs
                .entry(wire.doc_id.as_str())
                .or_insert_with(DocFit::empty)
                .admit(&change);
        }
    }
}
