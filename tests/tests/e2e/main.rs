//! End-to-end tests: the real `weft` binary on loopback, real folders and
//! real WebSocket clients. One test binary with a module per area.

mod cli_sync;
