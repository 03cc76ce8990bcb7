//! The cost of one write's merge, text-level alone and with the overlaps
//! that need the file's syntax, on files of growing size.
//!
//! Run with `cargo bench -p weft-engine --bench write_merge`. Each input is
//! a Rust file made of `n` copies of a small impl block; the current side
//! edits a body near the top and the incoming side changes a signature and
//! a call near the bottom, as two agents would.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use weft_engine::overlap::{merge_file, merge_file_at};

/// A Rust text of `blocks` impl blocks, about 12 lines each.
fn source(blocks: usize) -> String {
    (0..blocks)
        .map(|n| {
            format!(
                "pub struct Item{n} {{\n    value: u32,\n}}\n\nimpl Item{n} {{\n    pub fn get(&self) -> u32 {{\n        self.value + {n}\n    }}\n\n    pub fn set(&mut self, value: u32) {{\n        self.value = value;\n    }}\n}}\n\n"
            )
        })
        .collect()
}

fn bench_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("write_merge");
    for blocks in [10, 100, 1000] {
        let base = source(blocks);
        let current = base.replacen("self.value + 1\n", "self.value + 1 + 0\n", 1);
        let last = blocks - 1;
        let incoming = base
            .replace(
                &format!("impl Item{last} {{\n    pub fn get(&self) -> u32"),
                &format!("impl Item{last} {{\n    pub fn get(&self, scale: u32) -> u32"),
            )
            .replace(
                &format!("self.value + {last}\n"),
                &format!("self.value * {last}\n"),
            );
        let lines = base.lines().count();

        group.bench_with_input(BenchmarkId::new("text", lines), &lines, |bench, _| {
            bench.iter(|| merge_file(Some(&base), &current, &incoming));
        });
        group.bench_with_input(
            BenchmarkId::new("with_syntax", lines),
            &lines,
            |bench, _| {
                bench.iter(|| merge_file_at("src/items.rs", Some(&base), &current, &incoming));
            },
        );

        // A stream of writes: the base and current texts were parsed by
        // earlier writes and each incoming text is new, as with a real
        // agent, so only the incoming and merged texts are parsed.
        let mut round = 0u64;
        group.bench_with_input(
            BenchmarkId::new("with_syntax_new_write", lines),
            &lines,
            |bench, _| {
                bench.iter_batched(
                    || {
                        round += 1;
                        format!("{incoming}// write {round}\n")
                    },
                    |incoming| merge_file_at("src/items.rs", Some(&base), &current, &incoming),
                    criterion::BatchSize::SmallInput,
                );
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_merge);
criterion_main!(benches);
