//! `weft watch`: subscribes to the workspace's events and prints one line
//! per event until SIGINT or SIGTERM, or until the server closes the
//! connection.
//!
//! Reading the socket and printing run side by side. While a line waits
//! for stdout, events keep being read into a queue of [`PRINT_QUEUE`]
//! events. So a slow reader of the output stalls the connection only once
//! that queue is full too.

use anyhow::{Context, Result, anyhow};
use tokio::io::AsyncWriteExt as _;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::client::{Client, CloseInfo, Received};
use crate::output;

use super::{Access, ServerArgs, connect, current_working_copy};

/// Maximum number of events read from the socket and not yet printed.
/// How long a stopping watch waits for its close frame to be sent.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// When stdout stays blocked past this, the client stops reading, and the
/// server disconnects it once its own queue for the connection is full.
pub const PRINT_QUEUE: usize = 1024;

/// Arguments of `weft watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Glob patterns of workspace paths to watch, such as 'src/**' (`*`
    /// stays within one folder, `**` crosses folders, and a pattern
    /// without glob characters matches that path and everything under it)
    /// [default: every path]. Events about this agent's leases and
    /// overlaps always arrive.
    pub globs: Vec<String>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print each event as the JSON object the server sent, one per line
    #[arg(long)]
    pub json: bool,
}

/// The end of the event stream. `lagged` contains the summary of the
/// `lagged` event when one arrived before the end.
enum Ending {
    /// The server closed the connection.
    Closed {
        close: CloseInfo,
        lagged: Option<String>,
    },
    /// Reading from the connection failed.
    Lost {
        error: anyhow::Error,
        lagged: Option<String>,
    },
}

/// Runs `weft watch`. Returns `Ok` after SIGINT or SIGTERM, and an error
/// when the server closes the connection or it fails.
pub async fn run(args: WatchArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Read)?;
    // Installed before subscribing, so that a signal never falls back to
    // the default action, which would end the process without a close
    // frame.
    let mut interrupt =
        signal(SignalKind::interrupt()).context("failed to install the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("failed to install the SIGTERM handler")?;

    let mut client = connect(&connection).await?;
    let subscription = client.subscribe(&args.globs).await?;
    let watched = if subscription.paths.is_empty() {
        "every path".to_owned()
    } else {
        subscription.paths.join(" ")
    };
    let queue = subscription.queue.map_or_else(String::new, |queue| {
        format!(" (server queue {queue} events)")
    });
    // The status line goes to stderr, so that stdout contains only events.
    eprintln!("watching {watched} on {}{queue}", client.url());

    let (sender, receiver) = mpsc::channel(PRINT_QUEUE);
    let pump = async {
        let ((), printed) = tokio::join!(
            read_events(&mut client, sender),
            print_events(receiver, args.json)
        );
        printed
    };
    let stop = tokio::select! {
        printed = pump => Err(printed),
        _ = interrupt.recv() => Ok("SIGINT"),
        _ = terminate.recv() => Ok("SIGTERM"),
    };
    match stop {
        Ok(signal_name) => {
            tracing::debug!(signal = signal_name, "stopping the watch");
            // A server that stopped reading must not hold the exit up.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, client.close()).await;
            Ok(())
        }
        Err(printed) => Err(ending_error(client.url(), printed?)),
    }
}

/// Reads events into `sender` until the connection closes or fails, or
/// until the printing side stops.
async fn read_events(client: &mut Client, sender: mpsc::Sender<Result<Received>>) {
    loop {
        let received = client.next_event().await;
        let last = !matches!(received, Ok(Received::Event(_)));
        if sender.send(received).await.is_err() || last {
            return;
        }
    }
}

/// Prints each event from `receiver` on its own line, flushed at once,
/// and returns how the stream ended. Fails only when stdout does.
async fn print_events(
    mut receiver: mpsc::Receiver<Result<Received>>,
    json: bool,
) -> Result<Ending> {
    let mut stdout = tokio::io::stdout();
    let mut lagged = None;
    while let Some(received) = receiver.recv().await {
        let event = match received {
            Ok(Received::Event(event)) => event,
            Ok(Received::Closed(close)) => return Ok(Ending::Closed { close, lagged }),
            Err(error) => return Ok(Ending::Lost { error, lagged }),
        };
        let line = if json {
            event.one_line().into_owned()
        } else {
            output::event_line(&event.value)
        };
        if event.kind() == "lagged" {
            lagged = Some(output::event_line(&event.value));
        }
        stdout.write_all(line.as_bytes()).await?;
        stdout.write_all(b"\n").await?;
        stdout.flush().await?;
    }
    Ok(Ending::Lost {
        error: anyhow!("the event stream ended without a close from the server"),
        lagged,
    })
}

/// Builds the error that `weft watch` exits with when the events end.
fn ending_error(url: &str, ending: Ending) -> anyhow::Error {
    match ending {
        Ending::Closed {
            close,
            lagged: Some(lagged),
        } => fell_behind_error(url, &format!("{lagged}; {close}")),
        Ending::Lost {
            error,
            lagged: Some(lagged),
        } => fell_behind_error(url, &format!("{lagged}; {error:#}")),
        Ending::Closed {
            close,
            lagged: None,
        } => anyhow!(
            "{url} closed the connection ({close}); run weft watch again once the server is back"
        ),
        Ending::Lost {
            error,
            lagged: None,
        } => error.context("watching stopped; run weft watch again once the server is back"),
    }
}

fn fell_behind_error(url: &str, details: &str) -> anyhow::Error {
    anyhow!(
        "{url} disconnected this watcher because it fell behind ({details}); run weft watch \
         again to reconnect, and read what changed meanwhile with weft ls, weft leases and \
         weft overlaps"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lagged_close_says_to_reconnect() {
        let ending = Ending::Closed {
            close: CloseInfo {
                code: Some(1013),
                reason: "event queue full".into(),
            },
            lagged: Some("lagged: fell behind (queue of 4 events)".into()),
        };
        let message = ending_error("ws://127.0.0.1:1", ending).to_string();
        assert!(message.contains("fell behind"), "{message}");
        assert!(message.contains("close code 1013"), "{message}");
        assert!(
            message.contains("run weft watch again to reconnect"),
            "{message}"
        );
    }

    #[test]
    fn lagged_then_reset_says_to_reconnect() {
        let ending = Ending::Lost {
            error: anyhow!("connection reset"),
            lagged: Some("lagged: fell behind (queue of 4 events)".into()),
        };
        let message = ending_error("ws://127.0.0.1:1", ending).to_string();
        assert!(message.contains("fell behind"), "{message}");
        assert!(message.contains("connection reset"), "{message}");
        assert!(
            message.contains("run weft watch again to reconnect"),
            "{message}"
        );
    }

    #[test]
    fn plain_close_names_code() {
        let ending = Ending::Closed {
            close: CloseInfo {
                code: Some(1001),
                reason: String::new(),
            },
            lagged: None,
        };
        let message = ending_error("ws://127.0.0.1:1", ending).to_string();
        assert_eq!(
            message,
            "ws://127.0.0.1:1 closed the connection (close code 1001, no reason given); \
             run weft watch again once the server is back"
        );
    }
}
