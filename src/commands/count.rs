//! Counts on the command line (`--seeds`, `--jobs`, `--clients`, `--max-failures`,
//! `--max-seeds`, …): a whole number of at least 1, since zero would run nothing. Used as
//! clap's value parser, so the error is one line naming the argument and the value.

use std::str::FromStr;

/// A count of at least 1.
pub fn at_least_one<N: FromStr + PartialEq + From<u8>>(s: &str) -> Result<N, String> {
    match s.trim().parse::<N>() {
        Ok(n) if n == N::from(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of at least 1".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_junk_are_refused() {
        assert_eq!(at_least_one::<u64>("3"), Ok(3));
        assert_eq!(at_least_one::<usize>(" 16 "), Ok(16));
        assert!(at_least_one::<u64>("0").unwrap_err().contains("at least 1"));
        assert!(at_least_one::<u64>("-1").is_err());
        assert!(at_least_one::<usize>("four").is_err());
    }
}
