//! End-to-end tests: the real `weft` binary on loopback, real folders and
//! real WebSocket clients. One test binary with a module per area.

mod cases_endings;
mod cases_files;
mod cases_text;
mod cli_sync;
mod durability;
mod eval_merges;
mod leases;
mod merge_driver;
mod overlap_states;
mod overlaps_cli;
mod protocol;
mod renames;
mod retries;
mod slow_subscriber;
mod syntax_overlaps;
mod watch;
