//! Counts on the command line (`--seeds`, `--jobs`, `--clients`, `--max-failures`,
//! `--max-seeds`, …): a whole number of at least 1, since zero would run nothing, and for
//! `--jobs` at most 1024. Used as
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

/// Most worker threads `--jobs` takes: one simulation per thread, so more than this only
/// exhausts the machine (a typo like `--jobs 1000000` would try to start a million threads).
pub const MOST_JOBS: u64 = 1024;

/// `--jobs`: at least 1, at most [`MOST_JOBS`].
pub fn jobs(s: &str) -> Result<u64, String> {
    let n: u64 = at_least_one(s)?;
    if n > MOST_JOBS {
        return Err(format!("at most {MOST_JOBS} worker threads"));
    }
    Ok(n)
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

    #[test]
    fn jobs_are_bounded() {
        assert_eq!(jobs("2"), Ok(2));
        assert_eq!(jobs("1024"), Ok(1024));
        assert!(jobs("1000000").unwrap_err().contains("at most 1024"));
        assert!(jobs("0").is_err());
    }
}
