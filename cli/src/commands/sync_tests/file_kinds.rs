//! Sync tests of file attributes and kinds: the executable bit, files kept
//! as bytes, the byte-order mark and line endings.

use super::*;

#[cfg(unix)]
#[tokio::test]
async fn executable_bit_is_sent() -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let fixture = Fixture::synced(&[("run.sh", "#!/bin/sh\n")]).await?;
    fs::set_permissions(fixture.path("run.sh"), fs::Permissions::from_mode(0o755))?;

    assert_eq!(fixture.sync().await?, [pair("sent", "run.sh")]);
    let server = fixture.server_read("run.sh").await?.context("run.sh")?;
    assert!(server.executable);
    assert!(fixture.state()?.files["run.sh"].executable);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[cfg(unix)]
#[tokio::test]
async fn server_executable_bit_updates_local() -> Result<()> {
    let fixture = Fixture::synced(&[("run.sh", "#!/bin/sh\n")]).await?;
    let payload = Payload::Text("#!/bin/sh\n".to_owned());
    fixture.other_write("run.sh", &payload, true).await?;

    assert_eq!(fixture.sync().await?, [pair("updated", "run.sh")]);
    assert!(is_executable(&fixture.path("run.sh"))?);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn bytes_file_travels_both_ways() -> Result<()> {
    let files: [(&str, &[u8]); 1] = [("logo.png", BYTES_V1)];
    let fixture = Fixture::serve(&files).await?;
    assert_eq!(fixture.sync().await?, [pair("added", "logo.png")]);
    assert_eq!(fs::read(fixture.path("logo.png"))?, BYTES_V1);

    fixture.write_local("logo.png", BYTES_V2)?;
    assert_eq!(fixture.sync().await?, [pair("sent", "logo.png")]);
    let server = fixture.server_read("logo.png").await?.context("logo.png")?;
    assert_eq!(server.kind, "bytes");
    assert_eq!(server.disk_bytes()?, BYTES_V2);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn concurrent_bytes_edits_report_overlap() -> Result<()> {
    let files: [(&str, &[u8]); 1] = [("logo.png", BYTES_V1)];
    let fixture = Fixture::serve(&files).await?;
    assert_eq!(fixture.sync().await?, [pair("added", "logo.png")]);
    let payload = Payload::Bytes(BYTES_V2.to_vec());
    fixture.other_write("logo.png", &payload, false).await?;
    fixture.write_local("logo.png", BYTES_V3)?;

    // The last write wins, so the reply is the sent content and nothing is
    // written back. The binary overlap reports that agent-b's bytes were
    // replaced.
    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "sent");
    assert_eq!(single_overlap(&outcome)?.kind, "binary");
    assert_eq!(fs::read(fixture.path("logo.png"))?, BYTES_V3);
    let server = fixture.server_read("logo.png").await?.context("logo.png")?;
    let data = server.data.as_deref().context("data of a bytes file")?;
    assert_eq!(BASE64.decode(data)?, BYTES_V3);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn text_file_becoming_bytes_is_sent() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.write_local("a.txt", b"one\x00\n")?;

    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    let server = fixture.server_read("a.txt").await?.context("a.txt")?;
    assert_eq!(server.kind, "bytes");
    assert_eq!(server.disk_bytes()?, b"one\x00\n");

    fixture.write_local("a.txt", "back\n")?;
    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    let server = fixture.server_read("a.txt").await?.context("a.txt")?;
    assert_eq!(server.kind, "text");
    assert_eq!(server.text.as_deref(), Some("back\n"));
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn byte_order_mark_round_trips() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.write_local("a.txt", "\u{feff}one\n")?;

    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    let server = fixture.server_read("a.txt").await?.context("a.txt")?;
    assert!(server.bom);
    assert_eq!(server.text.as_deref(), Some("one\n"));
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn line_ending_only_edit_is_reverted() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "x\r\ny\r\n")]).await?;
    fixture.write_local("a.txt", "x\ny\n")?;

    // The server keeps the stored line endings of lines whose only change
    // is their line ending, so sync writes them back.
    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "merged");
    assert!(outcome.overlaps.is_empty(), "{:?}", outcome.overlaps);
    assert_eq!(fixture.local("a.txt")?, "x\r\ny\r\n");
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}
