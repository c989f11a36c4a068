//! Whether a change fits the document it is filed under. The server holds no change that its
//! document could not load: a machine (stolen, buggy or hostile) that files a change under
//! the wrong document, reuses another change's place in an actor's sequence, or leans on
//! changes the document does not hold would otherwise wedge every bootstrap and every other
//! machine's pull of that clinic. The same rules serve a push and `ayada-server check`,
//! which re-reads a log an older server accepted without them.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};

/// One document as the server holds it, with what it needs to judge the next change.
pub struct DocFit {
    /// The document with every admitted change applied.
    doc: Automerge,
    /// What `doc` was loaded from, kept to rebuild it if an apply fails half-way.
    base: Vec<u8>,
    /// Changes applied on top of `base`, in order.
    applied: Vec<Change>,
    /// The highest sequence number of each actor in the document.
    seqs: HashMap<ActorId, u64>,
}

impl DocFit {
    /// A document that holds nothing yet.
    pub fn empty() -> DocFit {
        DocFit {
            doc: Automerge::new(),
            base: Vec::new(),
            applied: Vec::new(),
            seqs: HashMap::new(),
        }
    }

    /// A document loaded from a saved compaction, then the changes logged after it, and the
    /// highest sequence number of each actor in it.
    pub fn load(
        saved: Vec<u8>,
        tail: Vec<Change>,
        seqs: HashMap<ActorId, u64>,
    ) -> Result<DocFit, String> {
        let mut fit = DocFit {
            doc: Automerge::new(),
            base: saved,
            applied: tail,
            seqs,
        };
        fit.rebuild()?;
        Ok(fit)
    }

    fn rebuild(&mut self) -> Result<(), String> {
        let mut doc = if self.base.is_empty() {
            Automerge::new()
        } else {
            Automerge::load(&self.base).map_err(|e| e.to_string())?
        };
        doc.apply_changes(self.applied.iter().cloned())
            .map_err(|e| e.to_string())?;
        self.doc = doc;
        Ok(())
    }

    /// What can be told of `change` from the document's history alone: its place in its
    /// actor's sequence (`seqs`) and its dependencies (in the document, or in `before`).
    fn precheck(
        &self,
        change: &Change,
        seqs: &HashMap<ActorId, u64>,
        before: &HashSet<ChangeHash>,
    ) -> Result<(), String> {
        let last = seqs.get(change.actor_id()).copied().unwrap_or(0);
        if change.seq() <= last {
            return Err(
                "another change of the same machine already holds its place in this document"
                    .into(),
            );
        }
        if change.seq() != last + 1 {
            return Err("it skips changes of its machine that this document does not hold".into());
        }
        if let Some(dep) = change
            .deps()
            .iter()
            .find(|d| !before.contains(d) && self.doc.get_change_by_hash(d).is_none())
        {
            return Err(format!(
                "it depends on change {} that this document does not hold",
                &hex::encode(dep.0)[..12]
            ));
        }
        Ok(())
    }

    /// Judges a batch of changes filed under this document, in order, and applies those that
    /// fit: all in one apply when they all do (one apply per change doubled a push's time),
    /// else one by one to tell which does not.
    pub fn admit_all(&mut self, changes: &[&Change]) -> Vec<Result<(), String>> {
        let mut seqs = self.seqs.clone();
        let mut before = HashSet::new();
        let mut pending = Vec::new();
        let mut verdicts: Vec<Result<(), String>> = Vec::with_capacity(changes.len());
        for change in changes {
            let verdict = self.precheck(change, &seqs, &before);
            if verdict.is_ok() {
                seqs.insert(change.actor_id().clone(), change.seq());
                before.insert(change.hash());
                pending.push((*change).clone());
            }
            verdicts.push(verdict);
        }
        if pending.is_empty() {
            return verdicts;
        }
        let doc = &mut self.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| doc.apply_changes(pending.clone())));
        let all_in = matches!(applied, Ok(Ok(())))
            && pending
                .iter()
                .all(|c| self.doc.get_change_by_hash(&c.hash()).is_some());
        if all_in {
            self.applied.extend(pending);
            self.seqs = seqs;
            self.rebase_now_and_then();
            return verdicts;
        }
        if let Err(e) = self.rebuild() {
            return verdicts.into_iter().map(|_| Err(e.clone())).collect();
        }
        for (verdict, change) in verdicts.iter_mut().zip(changes) {
            if verdict.is_ok() {
                *verdict = self.admit(change);
            }
        }
        verdicts
    }

    /// A document kept in memory for many pushes starts the list of changes to replay from a
    /// fresh save now and then, so it does not hold every change twice.
    fn rebase_now_and_then(&mut self) {
        if self.applied.len() >= 512 {
            self.base = self.doc.save();
            self.applied.clear();
        }
    }

    /// Applies `change` if it fits; otherwise says why and leaves the document as it was.
    pub fn admit(&mut self, change: &Change) -> Result<(), String> {
        self.precheck(change, &self.seqs, &HashSet::new())?;
        // A change is the bytes a stranger sent: an apply that fails or panics half-way must
        // not leave its half in the document the next change is judged against.
        let doc = &mut self.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| doc.apply_changes([change.clone()])));
        let fits =
            matches!(applied, Ok(Ok(()))) && self.doc.get_change_by_hash(&change.hash()).is_some();
        if !fits {
            self.rebuild()?;
            return Err(match applied {
                Ok(Err(e)) => format!("it does not fit its document: {e}"),
                _ => "it does not fit its document".into(),
            });
        }
        self.applied.push(change.clone());
        self.seqs.insert(change.actor_id().clone(), change.seq());
        self.rebase_now_and_then();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    fn edits(actor: &[u8], n: usize) -> Vec<Change> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
        for i in 0..n {
            doc.put(ROOT, "field", i as i64).unwrap();
            doc.commit();
        }
        doc.get_changes(&[])
    }

    #[test]
    fn a_documents_own_changes_fit_in_order() {
        let mut fit = DocFit::empty();
        for c in edits(b"aaaa", 3) {
            fit.admit(&c).unwrap();
        }
    }

    #[test]
    fn a_change_whose_dependencies_are_missing_is_refused() {
        let changes = edits(b"aaaa", 2);
        let mut fit = DocFit::empty();
        let err = fit.admit(&changes[1]).unwrap_err();
        assert!(err.contains("skips"), "{err}");
        let other = edits(b"bbbb", 1);
        fit.admit(&other[0]).unwrap();
        // A second actor's first change that leans on a change the document lacks.
        let mut lean = AutoCommit::new().with_actor(ActorId::from(b"cccc".as_slice()));
        lean.apply_changes(changes.clone()).unwrap();
        lean.put(ROOT, "x", 1).unwrap();
        lean.commit();
        let leaning = lean.get_last_local_change().unwrap();
        let err = fit.admit(&leaning).unwrap_err();
        assert!(err.contains("depends on"), "{err}");
    }

    #[test]
    fn another_document_s_change_in_the_same_place_is_refused_and_the_document_still_loads() {
        let mine = edits(b"aaaa", 2);
        let theirs = {
            let mut doc = AutoCommit::new().with_actor(ActorId::from(b"aaaa".as_slice()));
            doc.put(ROOT, "other", "x").unwrap();
            doc.commit();
            doc.get_changes(&[])
        };
        let mut fit = DocFit::empty();
        fit.admit(&mine[0]).unwrap();
        let err = fit.admit(&theirs[0]).unwrap_err();
        assert!(err.contains("already holds its place"), "{err}");
        fit.admit(&mine[1]).unwrap();
        let saved = fit.doc.save();
        Automerge::load(&saved).unwrap();
    }
}
