//! A store's side of fencing ([`crate::store::fence_tokens`]): a request made under a lock
//! holding arrives wrapped with its token; the store admits the token (recording it, in a
//! durable write) and applies the request, or refuses it — answering [`Msg::Stale`], applying
//! nothing — when it has seen a greater token for the order.

use dtx_sim::{Disk, Durable, HostCtx, Incoming, Net};

use crate::store::fence_tokens::FenceTokens;
use crate::wire::Msg;

/// The request to apply: `req`'s body, unwrapped and admitted if it came fenced. None when it
/// was refused (answered already) or the store's host is down (no answer).
pub fn admit<'a, T: Durable>(
    ctx: &HostCtx,
    net: &Net<Msg>,
    req: &'a Incoming<Msg>,
    disk: &Disk<T>,
    tokens: fn(&mut T) -> &mut FenceTokens,
) -> Option<&'a Msg> {
    let Msg::Fenced { order, token, body } = &req.body else {
        return Some(&req.body);
    };
    match disk.write(|d| tokens(d).admit(*order, *token)) {
        Err(_) => None,
        Ok(Err(seen)) => {
            ctx.probe(super::STALE_TOKEN_REFUSED);
            let (order, token) = (*order, *token);
            net.reply(req, &Msg::Stale { order, token, seen });
            None
        }
        Ok(Ok(())) => Some(body),
    }
}
