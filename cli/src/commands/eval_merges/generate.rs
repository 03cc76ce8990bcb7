//! `--generate`: scenarios whose intended result is known, made by editing
//! real source files on both sides. [`edits`] contains the edit generators.

mod edits;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;

use super::scenario::{self, ScenarioFiles};
use edits::{KINDS, MIN_LINES};

/// File name extensions of the source files used.
const SOURCE_EXTENSIONS: [&str; 12] = [
    "rs", "c", "h", "cc", "cpp", "go", "java", "js", "ts", "py", "rb", "toml",
];
/// Smallest source file used, in bytes.
const MIN_SOURCE_BYTES: u64 = 2 * 1024;
/// Largest source file used, in bytes.
const MAX_SOURCE_BYTES: u64 = 64 * 1024;
/// Source files tried per scenario before giving up, because a file may be
/// too short or unusable for an edit kind.
const ATTEMPTS_PER_SCENARIO: usize = 20;

/// The counts of a generation run.
#[derive(Debug)]
pub struct GenerateSummary {
    /// Scenario folders written.
    pub scenarios: usize,
    /// Source files that could be used.
    pub candidates: usize,
    /// The folder searched for source files.
    pub source: PathBuf,
}

impl fmt::Display for GenerateSummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "wrote {} scenarios ({}) chosen among {} source files under {}",
            self.scenarios,
            KINDS.join(", "),
            self.candidates,
            self.source.display()
        )
    }
}

/// Writes `count` scenario folders named `KIND-NNNN` into `out`, cycling
/// through the edit kinds, each made from a source file under `src` chosen
/// with a PRNG seeded by `seed`.
///
/// NOTE: the same seed gives the same scenarios only with the same set of
/// files under `src` and the same version of the `rand` crate.
pub fn generate(src: &Path, out: &Path, count: usize, seed: u64) -> Result<GenerateSummary> {
    let mut candidates = Vec::new();
    collect_sources(src, &mut candidates)
        .with_context(|| format!("failed to search {} for source files", src.display()))?;
    if candidates.is_empty() {
        bail!(
            "no source files of 2 to 64 KiB ending in .{} found under {}",
            SOURCE_EXTENSIONS.join(", ."),
            src.display()
        );
    }
    candidates.sort();
    std::fs::create_dir_all(out).with_context(|| format!("failed to create {}", out.display()))?;

    let mut rng = StdRng::seed_from_u64(seed);
    for index in 0..count {
        let kind = KINDS[index % KINDS.len()];
        let tag = format!("{seed}-{index}");
        let mut chosen = None;
        for _ in 0..ATTEMPTS_PER_SCENARIO {
            let Some(path) = candidates.choose(&mut rng) else {
                break;
            };
            let Some(base) = read_source(path) else {
                continue;
            };
            if let Some(edited) = edits::make(kind, &base, &mut rng, &tag) {
                chosen = Some((path, base, edited));
                break;
            }
        }
        let Some((path, base, edited)) = chosen else {
            bail!(
                "could not make a {kind} scenario from {ATTEMPTS_PER_SCENARIO} source files under {}: too few UTF-8 files of at least {MIN_LINES} lines that end with a newline",
                src.display()
            );
        };
        let relative = path.strip_prefix(src).unwrap_or(path).to_string_lossy();
        scenario::write(
            &out.join(format!("{kind}-{index:04}")),
            &ScenarioFiles {
                base: &base,
                ours: &edited.ours,
                theirs: &edited.theirs,
                resolved: edited.resolved.as_deref(),
                path: Some(&relative),
                kind: Some(kind),
            },
        )?;
    }
    Ok(GenerateSummary {
        scenarios: count,
        candidates: candidates.len(),
        source: src.to_path_buf(),
    })
}

/// Collects the source files under `dir` of a usable extension and size,
/// without following symbolic links.
fn collect_sources(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let path = entry.path();
        if file_type.is_dir() {
            collect_sources(&path, found)?;
            continue;
        }
        let usable_extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| SOURCE_EXTENSIONS.contains(&extension));
        if file_type.is_file() && usable_extension {
            let size = entry.metadata()?.len();
            if (MIN_SOURCE_BYTES..=MAX_SOURCE_BYTES).contains(&size) {
                found.push(path);
            }
        }
    }
    Ok(())
}

/// Reads a source file as text, or returns `None` when it is not UTF-8,
/// contains NUL or does not end with a newline.
fn read_source(path: &Path) -> Option<String> {
    let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
    (text.ends_with('\n') && !text.contains('\0')).then_some(text)
}
