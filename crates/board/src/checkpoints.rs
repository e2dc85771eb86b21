//! The checkpoint signer: when the tree grew, it signs a checkpoint for the new size, checks it
//! extends the last one, stores it, and only then publishes it. On open it refuses a store whose
//! tree does not reach, or does not match, the last checkpoint it signed.
//!
//! Spec: `protocol-spec/board.md` §7.6, `log.md` §2.5 (consistency) and §5 (checkpoints).

use std::sync::{Arc, RwLock};

use saylau::log::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use saylau::log::note::SignerKey;
use saylau::log::tree::{check_tree, prove_tree, tree_hash, Hash, ProveError, TreeError};
use thiserror::Error;

use crate::store::{Store, StoreError};

/// The log's origin line: `<host>/saylau/<hex F>`, one log per election (board.md §7.6).
pub fn origin(host: &str, fingerprint: &Hash) -> String {
    format!("{host}/saylau/{}", hex::encode(fingerprint))
}

/// Why a checkpoint was not signed, or the signer refused to start.
#[derive(Debug, Error)]
pub enum CheckpointerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored tree is smaller than a checkpoint the log already signed: leaves it promised
    /// are gone.
    #[error("the stored tree has {tree} leaves, but checkpoint {checkpoint} was signed: refusing to start")]
    TreeBehindCheckpoint {
        /// The stored tree size.
        tree: u64,
        /// The last signed checkpoint's size.
        checkpoint: u64,
    },
    /// The stored hashes do not give a signed checkpoint's root.
    #[error("the stored hashes give root {} at size {size}, the signed checkpoint says {}", hex::encode(.stored), hex::encode(.signed))]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
        /// The root from the stored hashes.
        stored: Hash,
        /// The root in the checkpoint.
        signed: Hash,
    },
    /// A stored checkpoint does not open under the log key and origin, or is not stored under
    /// its own size.
    #[error("stored checkpoint of size {size}: {reason}")]
    BadStored {
        /// The size it is stored under.
        size: u64,
        /// What is wrong.
        reason: String,
    },
    /// The new tree is not an extension of the last signed one.
    #[error("the tree of size {new} is not consistent with checkpoint {old}: {source}")]
    Inconsistent {
        /// The last signed size.
        old: u64,
        /// The new size.
        new: u64,
        /// The failed check.
        #[source]
        source: TreeError,
    },
    /// The tree math refused (a corrupt store).
    #[error("tree: {0}")]
    Tree(#[from] TreeError),
    /// Signing failed.
    #[error("signing checkpoint: {0}")]
    Sign(#[from] CheckpointError),
}

impl From<ProveError<StoreError>> for CheckpointerError {
    fn from(e: ProveError<StoreError>) -> Self {
        match e {
            ProveError::Tree(e) => Self::Tree(e),
            ProveError::Read(e) => Self::Store(e),
        }
    }
}

/// The latest published checkpoint, shared with whoever serves it.
#[derive(Clone, Debug, Default)]
pub struct Published(Arc<RwLock<Option<Arc<SignedCheckpoint>>>>);

impl Published {
    /// The latest published checkpoint, if any.
    pub fn get(&self) -> Option<Arc<SignedCheckpoint>> {
        // A poisoned lock still holds a checkpoint that was stored before it was published.
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, checkpoint: Arc<SignedCheckpoint>) {
        match self.0.write() {
            Ok(mut guard) => *guard = Some(checkpoint),
            Err(poisoned) => *poisoned.into_inner() = Some(checkpoint),
        }
    }
}

/// Signs the log's checkpoints. See the module documentation.
pub struct Checkpointer {
    origin: String,
    key: SignerKey,
    latest: Option<Arc<SignedCheckpoint>>,
    published: Published,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer")
            .field("origin", &self.origin)
            .field(
                "latest",
                &self.latest.as_ref().map(|c| c.checkpoint().size()),
            )
            .finish()
    }
}

impl Checkpointer {
    /// Opens the signer on a store: the last stored checkpoint must open under `key` and
    /// `origin`, the stored tree must be at least its size, and the stored hashes must give its
    /// root. That checkpoint is published at once.
    pub fn open<S: Store + ?Sized>(
        store: &S,
        origin: String,
        key: SignerKey,
    ) -> Result<Self, CheckpointerError> {
        let published = Published::default();
        let latest = match store.latest_checkpoint()? {
            None => None,
            Some(stored) => {
                let bad = |reason: String| CheckpointerError::BadStored {
                    size: stored.size,
                    reason,
                };
                let signed =
                    SignedCheckpoint::open(stored.text.as_bytes(), &key.verifier(), &origin)
                        .map_err(|e| bad(e.to_string()))?;
                let size = signed.checkpoint().size();
                if size != stored.size {
                    return Err(bad(format!("its text says size {size}")));
                }
                let tree = store.head()?.size;
                if tree < size {
                    return Err(CheckpointerError::TreeBehindCheckpoint {
                        tree,
                        checkpoint: size,
                    });
                }
                let root = tree_hash(size, store)?;
                if &root != signed.checkpoint().root() {
                    return Err(CheckpointerError::RootMismatch {
                        size,
                        stored: root,
                        signed: *signed.checkpoint().root(),
                    });
                }
                let signed = Arc::new(signed);
                published.set(Arc::clone(&signed));
                Some(signed)
            }
        };
        Ok(Self {
            origin,
            key,
            latest,
            published,
        })
    }

    /// The handle through which the latest checkpoint is served.
    pub fn published(&self) -> Published {
        self.published.clone()
    }

    /// The latest signed and stored checkpoint.
    pub fn latest(&self) -> Option<&Arc<SignedCheckpoint>> {
        self.latest.as_ref()
    }

    /// Signs a checkpoint if the tree grew since the last one: builds it from the stored hashes,
    /// checks it is consistent with the last, stores it, and then publishes it. Returns the new
    /// checkpoint, or `None` when the tree did not grow. The service calls this at least once a
    /// second (board.md §7.6).
    pub fn tick<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
    ) -> Result<Option<Arc<SignedCheckpoint>>, CheckpointerError> {
        let new = store.head()?.size;
        let old = self.latest.as_ref().map(|c| c.checkpoint().size());
        match old {
            Some(old) if new <= old => return Ok(None),
            None if new == 0 => return Ok(None),
            _ => {}
        }
        let root = tree_hash(new, store)?;
        if let Some(last) = &self.latest {
            // log.md §2.5: never sign a tree that does not extend what was already signed.
            let old = last.checkpoint().size();
            let proof = prove_tree(new, old, store)?;
            check_tree(&proof, new, &root, old, last.checkpoint().root())
                .map_err(|source| CheckpointerError::Inconsistent { old, new, source })?;
        }
        let signed =
            SignedCheckpoint::sign(Checkpoint::new(&self.origin, new, root, vec![])?, &self.key)?;
        let text =
            String::from_utf8(signed.to_bytes()).map_err(|e| CheckpointerError::BadStored {
                size: new,
                reason: e.to_string(),
            })?;
        // Stored (durably) before anyone can see it: a restart never serves less.
        store.store_checkpoint(new, &text)?;
        let signed = Arc::new(signed);
        self.latest = Some(Arc::clone(&signed));
        self.published.set(Arc::clone(&signed));
        Ok(Some(signed))
    }
}
