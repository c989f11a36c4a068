//! A rate limit per machine: one enrolled machine (a bug in its sync loop, a stolen
//! credential) cannot take the server from the clinic's other machines or other clinics.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Requests allowed per machine, keyed by (clinic, node).
pub struct MachineLimits(DefaultKeyedRateLimiter<(String, String)>);

impl MachineLimits {
    /// `per_second` steady, with bursts of up to `burst` (a reconnecting machine catches up in
    /// a burst of pages).
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> MachineLimits {
        MachineLimits(RateLimiter::keyed(
            Quota::per_second(per_second).allow_burst(burst),
        ))
    }

    /// Counts one request of a machine; refuses it when the machine is over its limit.
    pub fn check(&self, clinic: &str, node: &str) -> Result<(), ApiError> {
        self.0
            .check_key(&(clinic.to_string(), node.to_string()))
            .map_err(|_| {
                tracing::warn!(%clinic, %node, "rate limit: request refused");
                ApiError::TooManyRequests
            })
    }
}

impl Default for MachineLimits {
    /// 20 requests a second, bursts of 100: far above a sync loop's pace, far below a flood.
    fn default() -> MachineLimits {
        MachineLimits::new(
            NonZeroU32::new(20).expect("non-zero"),
            NonZeroU32::new(100).expect("non-zero"),
        )
    }
}
