//! A `weft watch` child process for the end-to-end tests: its stdout
//! lines read by a thread, its stderr collected, and a clean stop.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;
use weft_e2e::weft;

use crate::leases::WAIT;

/// A running `weft watch`, with its stdout lines read by a thread and its
/// stderr collected.
pub(crate) struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    /// Starts `weft watch ARGS` in `dir` and waits until it has subscribed,
    /// which it reports on stderr.
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Watch {
        let mut child = weft()
            .arg("watch")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weft watch starts");

        // Stdout lines go to a channel that the tests read with a timeout.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (line_sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line_sender.send(line).is_err() {
                    break;
                }
            }
        });

        // Stderr is kept for failure messages; its first `watching` line
        // says that the subscription is in place.
        let stderr_pipe = child.stderr.take().expect("stderr is piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = Arc::clone(&stderr);
        let (ready_sender, ready) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                let subscribed = line.starts_with("watching ");
                let mut text = collected.lock().expect("the stderr lock");
                text.push_str(&line);
                text.push('\n');
                drop(text);
                if subscribed {
                    let _ = ready_sender.send(());
                }
            }
        });

        let mut watch = Watch {
            child,
            lines,
            stderr,
        };
        if ready.recv_timeout(WAIT).is_err() {
            let _ = watch.child.kill();
            panic!(
                "weft watch did not report its subscription; stderr:\n{}",
                watch.stderr()
            );
        }
        watch
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().expect("the stderr lock").clone()
    }

    /// Returns the next line the watch printed.
    pub(crate) fn next_line(&self) -> String {
        self.lines.recv_timeout(WAIT).unwrap_or_else(|error| {
            panic!(
                "weft watch printed no further line ({error}); stderr:\n{}",
                self.stderr()
            )
        })
    }

    /// Returns the next event of a `--json` watch.
    pub(crate) fn next_event(&self) -> Value {
        let line = self.next_line();
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("weft watch --json printed {line:?}: {error}"))
    }

    /// Reads events until it has seen one of each kind in `kinds`, in any
    /// order, and returns the first of each, in the order of `kinds`.
    pub(crate) fn first_events(&self, kinds: &[&str]) -> Vec<Value> {
        let mut found: Vec<Option<Value>> = vec![None; kinds.len()];
        while found.iter().any(Option::is_none) {
            let event = self.next_event();
            let position = kinds.iter().position(|kind| event["event"] == *kind);
            if let Some(slot) = position.and_then(|index| found.get_mut(index))
                && slot.is_none()
            {
                *slot = Some(event);
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Reads lines until it has seen one starting with each of `prefixes`,
    /// in any order, and returns the first of each, in the order of
    /// `prefixes`.
    pub(crate) fn first_lines(&self, prefixes: &[&str]) -> Vec<String> {
        let mut found: Vec<Option<String>> = vec![None; prefixes.len()];
        while found.iter().any(Option::is_none) {
            let line = self.next_line();
            let position = prefixes.iter().position(|prefix| line.starts_with(prefix));
            if let Some(slot) = position.and_then(|index| found.get_mut(index))
                && slot.is_none()
            {
                *slot = Some(line);
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Sends SIGINT and returns the exit status.
    pub(crate) fn interrupt(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = weft_e2e_kill("-INT", &pid);
        assert!(sent, "kill -INT {pid} failed");
        self.wait_exit()
    }

    /// Waits for the watch to exit on its own and returns its status.
    pub(crate) fn wait_exit(&mut self) -> ExitStatus {
        for _ in 0..(WAIT.as_millis() / 50) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("weft watch did not exit; stderr:\n{}", self.stderr());
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `signal` to the process `pid` with kill(1); returns whether it
/// succeeded.
fn weft_e2e_kill(signal: &str, pid: &str) -> bool {
    std::process::Command::new("kill")
        .args([signal, pid])
        .status()
        .is_ok_and(|status| status.success())
}
