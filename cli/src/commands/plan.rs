//! The sync plan: a pure function from the local files, the recorded bases
//! and the server's listing to one action per path, so every case of
//! `weft sync` can be tested without a server or a disk.

use std::collections::{BTreeMap, BTreeSet};

use crate::working_copy::FileState;

use super::tree::reserved_reason;

/// A local file as the plan compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The executable bit.
    pub executable: bool,
}

/// A file in the server's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFile {
    /// The file's current version.
    pub version: Vec<String>,
    /// The executable bit.
    pub executable: bool,
}

/// The sync action for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The server has a file that the working copy never had: write it
    /// locally.
    Add,
    /// The local file is unchanged and the server's changed: write the
    /// server's content locally.
    Update,
    /// The local file is unchanged and the server deleted it: delete it
    /// locally.
    DeleteLocal,
    /// The local file changed: write it to the server with its base, and
    /// write the merged content back.
    Send,
    /// A local file without a base: create it on the server, which merges
    /// it with a file another agent added at the same path.
    Create,
    /// The local file was deleted and the server still has its base:
    /// delete it on the server.
    DeleteRemote,
    /// The local file was deleted but the server changed it since the base:
    /// bring the server's version back.
    Restore,
    /// Deleted locally and on the server: drop the base.
    Forget,
    /// The server has a file at a path that weft never writes locally.
    Skip(&'static str),
}

/// One path and its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Workspace path.
    pub path: String,
    /// The action.
    pub action: Action,
}

/// Returns whether two versions name the same set of heads, whatever their
/// order.
pub fn same_version(left: &[String], right: &[String]) -> bool {
    let left: BTreeSet<&str> = left.iter().map(String::as_str).collect();
    let right: BTreeSet<&str> = right.iter().map(String::as_str).collect();
    left == right
}

/// Computes the steps of a sync, in path order. Paths already in agreement
/// get no step, and a reserved path (see [`reserved_reason`]) gets
/// [`Action::Skip`] in place of any action.
pub fn plan(
    local: &BTreeMap<String, LocalFile>,
    bases: &BTreeMap<String, FileState>,
    server: &BTreeMap<String, ServerFile>,
) -> Vec<Step> {
    let paths: BTreeSet<&String> = local
        .keys()
        .chain(bases.keys())
        .chain(server.keys())
        .collect();
    let mut steps = Vec::new();
    for path in paths {
        let Some(action) = classify(local.get(path), bases.get(path), server.get(path)) else {
            continue;
        };
        let action = match reserved_reason(path) {
            Some(reason) => Action::Skip(reason),
            None => action,
        };
        steps.push(Step {
            path: path.clone(),
            action,
        });
    }
    steps
}

fn classify(
    local: Option<&LocalFile>,
    base: Option<&FileState>,
    server: Option<&ServerFile>,
) -> Option<Action> {
    match (local, base, server) {
        (Some(local), Some(base), server) => {
            let unchanged = local.sha256 == base.sha256 && local.executable == base.executable;
            match server {
                // A changed file is sent even when the server deleted it,
                // because a write based on one of its versions restores it.
                _ if !unchanged => Some(Action::Send),
                None => Some(Action::DeleteLocal),
                Some(server) if server_changed(base, server) => Some(Action::Update),
                Some(_) => None,
            }
        }
        (Some(_), None, _) => Some(Action::Create),
        (None, Some(base), Some(server)) if server_changed(base, server) => Some(Action::Restore),
        (None, Some(_), Some(_)) => Some(Action::DeleteRemote),
        (None, Some(_), None) => Some(Action::Forget),
        (None, None, Some(_)) => Some(Action::Add),
        (None, None, None) => None,
    }
}

/// A change of a file on one side since the working copy's last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The file is new.
    Added,
    /// The content or the executable bit changed.
    Modified,
    /// The file is gone.
    Deleted,
}

impl Change {
    /// Returns the change as `weft status` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Deleted => "deleted",
        }
    }
}

/// Returns how a step's path changed locally, or `None` for a step that
/// only brings in the server's changes.
pub fn local_change(action: Action) -> Option<Change> {
    match action {
        Action::Send => Some(Change::Modified),
        Action::Create => Some(Change::Added),
        Action::DeleteRemote | Action::Restore => Some(Change::Deleted),
        Action::Add | Action::Update | Action::DeleteLocal | Action::Forget | Action::Skip(_) => {
            None
        }
    }
}

/// Compares the server's files with the versions recorded at the last
/// sync and returns each path whose server side changed, in path order.
/// A path is added when listed without a recorded version, modified when
/// listed at another version or executable bit, and deleted when recorded
/// but no longer listed. Reserved paths (see [`reserved_reason`]) are left
/// out, since a sync never writes them.
pub fn server_changes(
    bases: &BTreeMap<String, FileState>,
    server: &BTreeMap<String, ServerFile>,
) -> Vec<(String, Change)> {
    let paths: BTreeSet<&String> = bases.keys().chain(server.keys()).collect();
    let mut changes = Vec::new();
    for path in paths {
        if reserved_reason(path).is_some() {
            continue;
        }
        let change = match (bases.get(path), server.get(path)) {
            (None, Some(_)) => Change::Added,
            (Some(base), Some(file)) if server_changed(base, file) => Change::Modified,
            (Some(_), None) => Change::Deleted,
            _ => continue,
        };
        changes.push((path.clone(), change));
    }
    changes
}

fn server_changed(base: &FileState, server: &ServerFile) -> bool {
    !same_version(&base.base, &server.version) || base.executable != server.executable
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const V2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn local(sha: &str, executable: bool) -> LocalFile {
        LocalFile {
            sha256: sha.into(),
            executable,
        }
    }

    fn base(version: &[&str], sha: &str, executable: bool) -> FileState {
        FileState {
            base: version.iter().map(|hash| (*hash).to_owned()).collect(),
            sha256: sha.into(),
            executable,
        }
    }

    fn server(version: &[&str], executable: bool) -> ServerFile {
        ServerFile {
            version: version.iter().map(|hash| (*hash).to_owned()).collect(),
            executable,
        }
    }

    /// Plans a single path "f" and returns its action, or `None` for no step.
    fn action_for(
        local_file: Option<LocalFile>,
        file_base: Option<FileState>,
        server_file: Option<ServerFile>,
    ) -> Option<Action> {
        let locals: BTreeMap<_, _> = local_file
            .into_iter()
            .map(|file| ("f".to_owned(), file))
            .collect();
        let bases: BTreeMap<_, _> = file_base
            .into_iter()
            .map(|file| ("f".to_owned(), file))
            .collect();
        let servers: BTreeMap<_, _> = server_file
            .into_iter()
            .map(|file| ("f".to_owned(), file))
            .collect();
        let steps = plan(&locals, &bases, &servers);
        assert!(
            steps.len() <= 1,
            "one path gives at most one step: {steps:?}"
        );
        steps.first().map(|step| step.action)
    }

    #[test]
    fn unchanged_everywhere_does_nothing() {
        let action = action_for(
            Some(local("a", false)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V1], false)),
        );
        assert_eq!(action, None);
    }

    #[test]
    fn server_change_updates_local() {
        let action = action_for(
            Some(local("a", false)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V2], false)),
        );
        assert_eq!(action, Some(Action::Update));
    }

    #[test]
    fn server_executable_change_updates_local() {
        let action = action_for(
            Some(local("a", false)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V1], true)),
        );
        assert_eq!(action, Some(Action::Update));
    }

    #[test]
    fn version_order_is_ignored() {
        let action = action_for(
            Some(local("a", false)),
            Some(base(&[V1, V2], "a", false)),
            Some(server(&[V2, V1], false)),
        );
        assert_eq!(action, None);
    }

    #[test]
    fn server_deletion_deletes_unchanged_local() {
        let action = action_for(Some(local("a", false)), Some(base(&[V1], "a", false)), None);
        assert_eq!(action, Some(Action::DeleteLocal));
    }

    #[test]
    fn local_change_is_sent() {
        let action = action_for(
            Some(local("b", false)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V1], false)),
        );
        assert_eq!(action, Some(Action::Send));
    }

    #[test]
    fn local_change_sent_when_both_changed() {
        let action = action_for(
            Some(local("b", false)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V2], false)),
        );
        assert_eq!(action, Some(Action::Send));
    }

    #[test]
    fn local_change_sent_after_server_deletion() {
        let action = action_for(Some(local("b", false)), Some(base(&[V1], "a", false)), None);
        assert_eq!(action, Some(Action::Send));
    }

    #[test]
    fn local_executable_change_is_sent() {
        let action = action_for(
            Some(local("a", true)),
            Some(base(&[V1], "a", false)),
            Some(server(&[V1], false)),
        );
        assert_eq!(action, Some(Action::Send));
    }

    #[test]
    fn new_local_file_is_created() {
        let action = action_for(Some(local("a", false)), None, None);
        assert_eq!(action, Some(Action::Create));
    }

    #[test]
    fn new_local_file_created_when_server_has_path() {
        let action = action_for(Some(local("a", false)), None, Some(server(&[V1], false)));
        assert_eq!(action, Some(Action::Create));
    }

    #[test]
    fn local_deletion_deletes_on_server() {
        let action = action_for(
            None,
            Some(base(&[V1], "a", false)),
            Some(server(&[V1], false)),
        );
        assert_eq!(action, Some(Action::DeleteRemote));
    }

    #[test]
    fn local_deletion_of_changed_file_restores() {
        let action = action_for(
            None,
            Some(base(&[V1], "a", false)),
            Some(server(&[V2], false)),
        );
        assert_eq!(action, Some(Action::Restore));
    }

    #[test]
    fn deletion_on_both_sides_forgets_base() {
        let action = action_for(None, Some(base(&[V1], "a", false)), None);
        assert_eq!(action, Some(Action::Forget));
    }

    #[test]
    fn new_server_file_is_added() {
        let action = action_for(None, None, Some(server(&[V1], false)));
        assert_eq!(action, Some(Action::Add));
    }

    #[test]
    fn reserved_server_paths_are_skipped() {
        let servers = BTreeMap::from([
            (".weft/state.json".to_owned(), server(&[V1], false)),
            ("sub/.git/hooks/pre-commit".to_owned(), server(&[V1], true)),
            ("src/.weft/ok".to_owned(), server(&[V1], false)),
        ]);
        let steps = plan(&BTreeMap::new(), &BTreeMap::new(), &servers);
        let actions: Vec<(&str, Action)> = steps
            .iter()
            .map(|step| (step.path.as_str(), step.action))
            .collect();

        assert_eq!(actions.len(), 3);
        assert!(matches!(actions[0], (".weft/state.json", Action::Skip(_))));
        assert_eq!(actions[1], ("src/.weft/ok", Action::Add));
        assert!(matches!(
            actions[2],
            ("sub/.git/hooks/pre-commit", Action::Skip(_))
        ));
    }

    #[test]
    fn server_changes_compare_recorded_versions() {
        let bases = BTreeMap::from([
            ("same".to_owned(), base(&[V1], "a", false)),
            ("edited".to_owned(), base(&[V1], "a", false)),
            ("chmod".to_owned(), base(&[V1], "a", false)),
            ("gone".to_owned(), base(&[V1], "a", false)),
        ]);
        let servers = BTreeMap::from([
            ("same".to_owned(), server(&[V1], false)),
            ("edited".to_owned(), server(&[V2], false)),
            ("chmod".to_owned(), server(&[V1], true)),
            ("new".to_owned(), server(&[V1], false)),
            (".weft/config.json".to_owned(), server(&[V1], false)),
        ]);
        let changes = server_changes(&bases, &servers);
        let listed: Vec<(&str, Change)> = changes
            .iter()
            .map(|(path, change)| (path.as_str(), *change))
            .collect();
        assert_eq!(
            listed,
            [
                ("chmod", Change::Modified),
                ("edited", Change::Modified),
                ("gone", Change::Deleted),
                ("new", Change::Added),
            ]
        );
    }

    #[test]
    fn local_change_of_each_action() {
        assert_eq!(local_change(Action::Send), Some(Change::Modified));
        assert_eq!(local_change(Action::Create), Some(Change::Added));
        assert_eq!(local_change(Action::DeleteRemote), Some(Change::Deleted));
        assert_eq!(local_change(Action::Restore), Some(Change::Deleted));
        for action in [
            Action::Add,
            Action::Update,
            Action::DeleteLocal,
            Action::Forget,
            Action::Skip("reserved"),
        ] {
            assert_eq!(local_change(action), None, "{action:?}");
        }
    }

    #[test]
    fn steps_are_in_path_order() {
        let locals = BTreeMap::from([("b".to_owned(), local("x", false))]);
        let servers = BTreeMap::from([
            ("a".to_owned(), server(&[V1], false)),
            ("c".to_owned(), server(&[V1], false)),
        ]);
        let steps = plan(&locals, &BTreeMap::new(), &servers);
        let paths: Vec<&str> = steps.iter().map(|step| step.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c"]);
    }
}
