//! The cost of publishing one event to many subscribed connections.
//!
//! Run with `cargo bench -p weft-sync-server --bench events`. A document
//! task publishes under the subscriber list's lock, so this is the time a
//! write spends on event fan-out. Half of the subscribers match the
//! event's path and receive it; their queues are emptied between rounds.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use weft_sync_server::clock::Clock;
use weft_sync_server::events::{Concerns, Events, PathFilter, Subscription};

fn bench_publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("publish");
    for subscribers in [1usize, 10, 100, 1000] {
        let events = Events::new(1024, Clock::new(false));
        let mut subscriptions: Vec<Subscription> = (0..subscribers)
            .filter_map(|n| {
                let pattern = if n % 2 == 0 { "src/**" } else { "docs/**" };
                let filter = PathFilter::new(&[pattern.to_owned()]).ok()?;
                events.subscribe(&format!("agent-{n}"), filter, None)
            })
            .collect();
        let lines: Vec<[usize; 2]> = (1..=20).map(|n| [n * 10, n * 10 + 2]).collect();
        let concerns = Concerns {
            paths: vec!["src/engine/merge.rs"],
            agents: Vec::new(),
        };

        group.bench_with_input(
            BenchmarkId::from_parameter(subscribers),
            &subscribers,
            |bench, _| {
                bench.iter(|| {
                    events.publish(
                        "file_changed",
                        json!({
                            "agent": "agent-w",
                            "path": "src/engine/merge.rs",
                            "lines": lines,
                            "version": ["9f2c0d1e5a7b3c4d9f2c0d1e5a7b3c4d9f2c0d1e5a7b3c4d9f2c0d1e5a7b3c4d"],
                            "seq": 42,
                        }),
                        &concerns,
                    );
                    for subscription in &mut subscriptions {
                        while subscription.try_next().is_some() {}
                    }
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_publish);
criterion_main!(benches);
