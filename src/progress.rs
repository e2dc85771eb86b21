//! Progress of long steps (verifying ballots, casting the demo's voters), reported to an
//! [`Observer`] that the caller supplies. The library never draws on the terminal: the command
//! line draws its bars from these reports.

use std::sync::Arc;

/// Receives progress reports. Implementations must be cheap: `advance` is called once per
/// chunk of work, from the thread doing it.
pub trait Observer: Send + Sync {
    /// A step starts; `total` is its number of items when known in advance.
    fn start(&self, step: &'static str, total: Option<u64>);
    /// `items` more items are done.
    fn advance(&self, items: u64);
    /// The step has ended.
    fn finish(&self);
}

/// Where a long step reports its progress: nowhere (the default) or an [`Observer`].
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn Observer>>);

impl Progress {
    /// Reports nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// Reports to `observer`.
    pub fn to(observer: Arc<dyn Observer>) -> Self {
        Self(Some(observer))
    }

    /// See [`Observer::start`].
    pub fn start(&self, step: &'static str, total: Option<u64>) {
        if let Some(observer) = &self.0 {
            observer.start(step, total);
        }
    }

    /// See [`Observer::advance`].
    pub fn advance(&self, items: u64) {
        if let Some(observer) = &self.0 {
            observer.advance(items);
        }
    }

    /// See [`Observer::finish`].
    pub fn finish(&self) {
        if let Some(observer) = &self.0 {
            observer.finish();
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(observer)"
        } else {
            "Progress(none)"
        })
    }
}
