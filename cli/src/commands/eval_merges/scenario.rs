//! Scenario folders: one three-way merge each, stored as the files `base`,
//! `ours` and `theirs`, optionally `resolved` (the result people accepted or
//! a generator intended), `path` (the original file path) and `kind` (the
//! generator that made it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// One three-way merge to evaluate. `ours` is the current side and `theirs`
/// the incoming side.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The folder's path relative to the evaluated folder, with `/`.
    pub name: String,
    /// The original file path, from the `path` file.
    pub path: Option<String>,
    /// The generator kind, from the `kind` file.
    pub kind: Option<String>,
    /// The common ancestor.
    pub base: String,
    /// The first side, merged as weft's current text.
    pub ours: String,
    /// The second side, merged as weft's incoming text.
    pub theirs: String,
    /// The accepted or intended result.
    pub resolved: Option<String>,
}

/// A scenario folder as read from disk.
#[derive(Debug)]
pub enum Loaded {
    /// All texts are UTF-8.
    Text(Scenario),
    /// Some text is not UTF-8, so the scenario is skipped.
    NotUtf8,
}

/// The files of a scenario to write.
#[derive(Debug)]
pub struct ScenarioFiles<'a> {
    /// Text of `base`.
    pub base: &'a str,
    /// Text of `ours`.
    pub ours: &'a str,
    /// Text of `theirs`.
    pub theirs: &'a str,
    /// Text of `resolved`, if the result is known.
    pub resolved: Option<&'a str>,
    /// The original file path, written as one line to `path`.
    pub path: Option<&'a str>,
    /// The generator kind, written as one line to `kind`.
    pub kind: Option<&'a str>,
}

/// Lists the scenario folders under `dir`, sorted: every folder that
/// contains a file named `base`. Folders inside a scenario folder are not
/// searched, and symbolic links are not followed.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!(
            "scenario folder {} not found: pass a folder that contains scenario folders with base, ours and theirs files",
            dir.display()
        );
    }
    let mut found = Vec::new();
    collect(dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    if dir.join("base").is_file() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("failed to list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list {}", dir.display()))?;
        let file_type = entry
            .file_type()
            .with_context(|| format!("failed to read {}", entry.path().display()))?;
        if file_type.is_dir() {
            collect(&entry.path(), found)?;
        }
    }
    Ok(())
}

/// Reads the scenario in folder `dir`, naming it `name`.
pub fn load(dir: &Path, name: String) -> Result<Loaded> {
    let base = read_required(dir, "base")?;
    let ours = read_required(dir, "ours")?;
    let theirs = read_required(dir, "theirs")?;
    let resolved = read_optional(&dir.join("resolved"))?;

    let (Ok(base), Ok(ours), Ok(theirs)) = (
        String::from_utf8(base),
        String::from_utf8(ours),
        String::from_utf8(theirs),
    ) else {
        return Ok(Loaded::NotUtf8);
    };
    let resolved = match resolved.map(String::from_utf8) {
        Some(Err(_)) => return Ok(Loaded::NotUtf8),
        Some(Ok(text)) => Some(text),
        None => None,
    };
    Ok(Loaded::Text(Scenario {
        name,
        path: read_line(&dir.join("path"))?,
        kind: read_line(&dir.join("kind"))?,
        base,
        ours,
        theirs,
        resolved,
    }))
}

fn read_required(dir: &Path, file: &str) -> Result<Vec<u8>> {
    let path = dir.join(file);
    std::fs::read(&path).with_context(|| {
        format!(
            "failed to read {}: a scenario folder needs base, ours and theirs files",
            path.display()
        )
    })
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("failed to read {}", path.display())),
    }
}

/// Reads a one-line file such as `path`, without its line ending.
fn read_line(path: &Path) -> Result<Option<String>> {
    Ok(read_optional(path)?.map(|bytes| {
        let text = String::from_utf8_lossy(&bytes);
        text.trim_end_matches(['\r', '\n']).to_owned()
    }))
}

/// Writes a scenario into folder `dir`, creating it. Existing files of the
/// same names are replaced.
pub fn write(dir: &Path, files: &ScenarioFiles<'_>) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create scenario folder {}", dir.display()))?;
    let mut entries = vec![
        ("base", files.base.to_owned()),
        ("ours", files.ours.to_owned()),
        ("theirs", files.theirs.to_owned()),
    ];
    if let Some(resolved) = files.resolved {
        entries.push(("resolved", resolved.to_owned()));
    }
    if let Some(path) = files.path {
        entries.push(("path", format!("{path}\n")));
    }
    if let Some(kind) = files.kind {
        entries.push(("kind", format!("{kind}\n")));
    }
    for (name, text) in entries {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_scenario_loads_back() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let folder = dir.path().join("set").join("one");
        let files = ScenarioFiles {
            base: "a\n",
            ours: "b\n",
            theirs: "c\n",
            resolved: Some("d\n"),
            path: Some("src/lib.rs"),
            kind: Some("same-line"),
        };
        write(&folder, &files)?;

        assert_eq!(discover(dir.path())?, vec![folder.clone()]);
        let Loaded::Text(scenario) = load(&folder, "set/one".into())? else {
            panic!("the scenario is UTF-8");
        };
        assert_eq!(scenario.base, "a\n");
        assert_eq!(scenario.ours, "b\n");
        assert_eq!(scenario.theirs, "c\n");
        assert_eq!(scenario.resolved.as_deref(), Some("d\n"));
        assert_eq!(scenario.path.as_deref(), Some("src/lib.rs"));
        assert_eq!(scenario.kind.as_deref(), Some("same-line"));
        Ok(())
    }

    #[test]
    fn invalid_utf8_is_not_text() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("base"), b"a\n")?;
        std::fs::write(dir.path().join("ours"), b"a\n")?;
        std::fs::write(dir.path().join("theirs"), b"a\n")?;
        std::fs::write(dir.path().join("resolved"), b"\xff\n")?;
        assert!(matches!(load(dir.path(), "x".into())?, Loaded::NotUtf8));
        Ok(())
    }
}
