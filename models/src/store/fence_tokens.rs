//! Fencing tokens at a store: per order, the greatest lock token a request for it carried, and
//! the check that refuses a request whose token is older — the write of a holder whose lease
//! was superseded ([`crate::lock`]). Kept with the store's durable state: a store that forgot
//! the tokens it saw would wave a stale holder through after a restart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The greatest token seen per order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceTokens(BTreeMap<u64, u64>);

impl FenceTokens {
    /// Admit a request for `order` carrying `token` (recording it if it is the greatest yet),
    /// or refuse it with the greater token seen before.
    pub fn admit(&mut self, order: u64, token: u64) -> Result<(), u64> {
        let seen = self.0.entry(order).or_insert(token);
        if *seen > token {
            return Err(*seen);
        }
        *seen = token;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_token_is_refused_an_equal_or_newer_one_admitted() {
        let mut t = FenceTokens::default();
        assert_eq!(t.admit(7, 3), Ok(()));
        assert_eq!(t.admit(7, 3), Ok(()));
        assert_eq!(t.admit(7, 5), Ok(()));
        assert_eq!(t.admit(7, 4), Err(5));
        assert_eq!(t.admit(7, 3), Err(5), "the greatest seen stays");
        // Per order: another order's tokens are its own.
        assert_eq!(t.admit(8, 1), Ok(()));
    }
}
