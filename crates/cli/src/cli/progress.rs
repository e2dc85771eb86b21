//! Draws the library's progress reports ([`saylau::progress`]) as indicatif bars on stderr.

use saylau::progress::{Observer, Progress};
use std::sync::{Arc, Mutex};

/// A terminal bar: a bar with an ETA when the step knows its length, a spinner otherwise.
#[derive(Default)]
struct Bar(Mutex<Option<indicatif::ProgressBar>>);

impl Observer for Bar {
    fn start(&self, step: &'static str, total: Option<u64>) {
        let bar = match total {
            Some(length) => {
                let bar = indicatif::ProgressBar::new(length);
                let template =
                    format!("{step:>10} [{{bar:40}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}}");
                bar.set_style(
                    indicatif::ProgressStyle::with_template(&template)
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar
            }
            None => {
                let bar = indicatif::ProgressBar::new_spinner();
                let template = format!("{{spinner}} {step}: {{pos}} [{{elapsed}}] {{per_sec}}");
                bar.set_style(
                    indicatif::ProgressStyle::with_template(&template)
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar
            }
        };
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, items: u64) {
        if let Ok(slot) = self.0.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(items);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// Progress drawn on the terminal when `shown`, nowhere otherwise.
pub fn terminal(shown: bool) -> Progress {
    if shown {
        Progress::to(Arc::new(Bar::default()))
    } else {
        Progress::none()
    }
}
