//! A latency histogram of atomics. `prometheus-client`'s own `Histogram` takes a mutex on
//! every observation, and one series (say `POST /token`) is observed by every worker at
//! once: on the hottest paths that is a lock every request would queue on. Here an
//! observation is two relaxed atomic additions; the scrape reads them (a scrape racing
//! an observation may see its bucket before its sum: one sample in flight, which Prometheus
//! tolerates; the count is the buckets' total, so they always agree).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds: 0.25 ms doubling to about 8 s.
const BUCKETS: usize = 16;
const FIRST_BOUND: f64 = 0.000_25;

#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// One more than the bounds: the last counts what is above every bound (`+Inf`).
    buckets: [AtomicU64; BUCKETS + 1],
    sum_nanos: AtomicU64,
}

fn bound(i: usize) -> f64 {
    FIRST_BOUND * f64::from(1u32 << i)
}

impl LatencyHistogram {
    pub fn observe(&self, seconds: f64) {
        let i = (0..BUCKETS)
            .find(|&i| seconds <= bound(i))
            .unwrap_or(BUCKETS);
        self.inner.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.inner
            .sum_nanos
            .fetch_add((seconds.max(0.0) * 1e9) as u64, Ordering::Relaxed);
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        // The encoder accumulates: it takes each bucket's own count.
        let buckets: Vec<(f64, u64)> = (0..=BUCKETS)
            .map(|i| {
                let le = if i < BUCKETS { bound(i) } else { f64::INFINITY };
                (le, self.inner.buckets[i].load(Ordering::Relaxed))
            })
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::Registry;

    #[test]
    fn observations_land_in_cumulative_buckets_with_their_sum_and_count() {
        let h = LatencyHistogram::default();
        let mut registry = Registry::default();
        registry.register("latency", "test", h.clone());
        h.observe(0.0001);
        h.observe(0.0003);
        h.observe(100.0);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("latency_count 3"), "{text}");
        assert!(text.contains("latency_sum 100.0004"), "{text}");
        assert!(text.contains(r#"latency_bucket{le="0.00025"} 1"#), "{text}");
        assert!(text.contains(r#"latency_bucket{le="0.0005"} 2"#), "{text}");
        assert!(text.contains(r#"latency_bucket{le="8.192"} 2"#), "{text}");
        assert!(text.contains(r#"latency_bucket{le="+Inf"} 3"#), "{text}");
    }
}
