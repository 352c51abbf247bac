//! The argon2id ceiling of this machine with Portcullis's password settings: hashes per
//! second with one thread per core, for `bench/run`.
//!
//! `cargo run --release --example argon2_ceiling -- SECONDS THREADS`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use portcullis::config::PasswordSettings;
use portcullis::domain::password::Passwords;
use portcullis::domain::secret::Secret;

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let settings = PasswordSettings::default();
    let passwords = Passwords::new(&settings).expect("argon2 parameters");
    let hash = passwords
        .hash(&Secret::new("correct horse battery staple".into()))
        .expect("hash");
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (p, h, d) = (passwords.clone(), hash.clone(), done.clone());
            std::thread::spawn(move || {
                let pw = Secret::new("correct horse battery staple".to_string());
                while Instant::now() < deadline {
                    assert!(p.verify(&pw, &h));
                    d.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let per_second = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{{\"hashes_per_second\":{per_second:.1},\"threads\":{threads},\"memory_kib\":{},\"iterations\":{},\"parallelism\":{}}}",
        settings.argon2_memory_kib, settings.argon2_iterations, settings.argon2_parallelism
    );
}
