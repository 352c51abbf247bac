//! Waiting for something that happens in the background (a cache refresh, a notification
//! between instances, a retried delivery), with one deadline policy for every test; and the
//! timing bounds that tests assert, named in one place.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long any background effect may take before a test gives up on it. Generous: a slow,
/// shared CI machine must not turn into a flaky test. (Back-channel retries double their
/// delay from 2 s, so a delivery owed across a crash can take tens of seconds.)
pub const PROPAGATION_DEADLINE: Duration = Duration::from_secs(30);

/// How often a condition is checked again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);

// Timing bounds the product promises, asserted by the tests named in their docs.

/// A revocation, a logout or a client change reaches every other instance of a cluster
/// (through database notifications), and a guarded resource server (through the
/// revocation feed it polls every 200 ms).
pub const REACHES_EVERYWHERE_WITHIN: Duration = Duration::from_secs(1);

/// A pushed revocation arrives on an open revocation stream.
pub const STREAM_PUSH_WITHIN: Duration = Duration::from_secs(2);

/// Two instances serve the same JWKS after a rotation (refresh interval 1 s in that test).
pub const JWKS_CONVERGE_WITHIN: Duration = Duration::from_secs(3);

/// A change the CLI made in the database (a rotated secret, a rotated key) reaches a running
/// server by its own polling (1 s intervals).
pub const CLI_CHANGE_REACHES_SERVER_WITHIN: Duration = Duration::from_secs(5);

/// With the database gone, requests fail (503) instead of hanging (connect timeout 1 s).
pub const OUTAGE_ANSWERED_WITHIN: Duration = Duration::from_secs(6);

/// What a condition answers: `false`/`None` for "not yet".
pub trait Outcome {
    type Value;
    fn ready(self) -> Option<Self::Value>;
}

impl Outcome for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn ready(self) -> Option<T> {
        self
    }
}

/// Polls `condition` until it holds (`true`) or yields (`Some`), and returns what it
/// yielded. Panics with `what` after [`PROPAGATION_DEADLINE`].
pub async fn wait_until<F, Fut, O>(what: &str, mut condition: F) -> O::Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
    O: Outcome,
{
    let started = Instant::now();
    loop {
        if let Some(value) = condition().await.ready() {
            return value;
        }
        assert!(
            started.elapsed() < PROPAGATION_DEADLINE,
            "timed out after {PROPAGATION_DEADLINE:?} waiting until {what}"
        );
        actix_web::rt::time::sleep(POLL_INTERVAL).await;
    }
}

/// [`wait_until`], then asserts the wait took no longer than `bound` (one of the named
/// bounds above).
pub async fn wait_within<F, Fut, O>(what: &str, bound: Duration, condition: F) -> O::Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
    O: Outcome,
{
    let watch = Stopwatch::start();
    let value = wait_until(what, condition).await;
    watch.assert_within(bound, what);
    value
}

/// Time since something began, for bounds that cover more than one wait.
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Self(Instant::now())
    }

    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }

    /// Asserts that no more than `bound` has passed, and says how long it was.
    pub fn assert_within(&self, bound: Duration, what: &str) {
        let took = self.elapsed();
        eprintln!("{what} after {} ms", took.as_millis());
        assert!(took <= bound, "{what} took {took:?}, more than {bound:?}");
    }
}
