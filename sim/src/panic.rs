//! Panic capture: a panic in any host task — the host's main future or any task it spawned,
//! which turmoil and tokio would otherwise swallow — is recorded for the run on this thread
//! and becomes a violation. Outside a run the previous panic hook behaves as before.

use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::rc::Rc;
use std::sync::Once;

thread_local! {
    static SINK: RefCell<Option<Rc<RefCell<Vec<String>>>>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    match info.location() {
        Some(l) => format!("{msg} (at {}:{})", l.file(), l.line()),
        None => msg,
    }
}

/// Captures panics on this thread while alive.
pub(crate) struct Capture {
    previous: Option<Rc<RefCell<Vec<String>>>>,
}

impl Capture {
    /// Route this thread's panics into `sink` until dropped.
    pub(crate) fn start(sink: Rc<RefCell<Vec<String>>>) -> Self {
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let captured = SINK.with(|s| match s.try_borrow() {
                    Ok(guard) => match guard.as_ref() {
                        Some(sink) => sink
                            .try_borrow_mut()
                            .map(|mut v| v.push(describe(info)))
                            .is_ok(),
                        None => false,
                    },
                    Err(_) => false,
                });
                if !captured {
                    previous(info);
                }
            }));
        });
        let previous = SINK.with(|s| s.borrow_mut().replace(sink));
        Capture { previous }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let previous = self.previous.take();
        SINK.with(|s| *s.borrow_mut() = previous);
    }
}
