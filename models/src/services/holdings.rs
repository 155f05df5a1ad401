//! The stock and points services: one host each, serving reserve / confirm / cancel on a
//! holdings book (stock per sku, points per user) as local transactions, answering replays
//! from the book's fences. The committed moves go to the run's journal in the same step as
//! the commit.

use dtx_sim::{Disk, HostCtx, Net};

use crate::journal::{Entry, Journal};
use crate::store::holdings::{self, Answer, HoldingsDb, Move, Refusal};
use crate::wire::Msg;

/// Which book a holdings service keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Stock,
    Points,
}

impl Book {
    /// Host name (and probe prefix).
    pub fn host(self) -> &'static str {
        match self {
            Book::Stock => "stock",
            Book::Points => "points",
        }
    }

    fn entry(self, m: Move) -> Entry {
        match self {
            Book::Stock => Entry::Stock(m),
            Book::Points => Entry::Points(m),
        }
    }
}

/// The crash points and probes of a holdings service.
pub fn crash_points(book: Book) -> Vec<String> {
    [
        "after_reserve_commit",
        "after_confirm_commit",
        "after_cancel_commit",
    ]
    .iter()
    .map(|p| format!("{}.{p}", book.host()))
    .collect()
}

/// Probes a holdings service can reach.
pub fn probes(book: Book) -> Vec<String> {
    ["replay_served", "empty_cancel", "reserve_after_cancel"]
        .iter()
        .map(|p| format!("{}.{p}", book.host()))
        .collect()
}

/// Serve a holdings book.
pub async fn serve(ctx: HostCtx, book: Book, db: Disk<HoldingsDb>, journal: Journal) {
    let net: Net<Msg> = ctx.bind().await;
    let name = book.host();
    loop {
        let req = net.recv().await;
        let (order, point) = match &req.body {
            Msg::Reserve { order, .. } => (*order, "after_reserve_commit"),
            Msg::Confirm { order } => (*order, "after_confirm_commit"),
            Msg::Cancel { order } => (*order, "after_cancel_commit"),
            _ => continue,
        };
        let body = req.body.clone();
        let applied = db.write(|db| {
            let r = holdings::local(db, |d, t| match &body {
                Msg::Reserve { lines, .. } => holdings::reserve_in(d, t, order, lines),
                Msg::Confirm { .. } => holdings::confirm_in(d, t, order),
                _ => holdings::cancel_in(d, t, order),
            });
            if let Ok((_, moves)) = &r {
                journal.commit(ctx.now_ms(), moves.iter().cloned().map(|m| book.entry(m)));
            }
            r
        });
        let answer = match applied {
            Ok(Ok((answer, _))) => answer,
            // Down (died at a crash point) or a lock conflict: no answer, the caller retries.
            _ => continue,
        };
        match (&req.body, &answer) {
            (_, Answer::Fenced) => ctx.probe(&format!("{name}.empty_cancel")),
            (_, Answer::Replayed) => ctx.probe(&format!("{name}.replay_served")),
            (Msg::Reserve { .. }, Answer::Refused(Refusal::Cancelled)) => {
                ctx.probe(&format!("{name}.reserve_after_cancel"))
            }
            _ => {}
        }
        ctx.crash_point(&format!("{name}.{point}")).await;
        net.reply(&req, &Msg::Answer { order, answer });
    }
}
