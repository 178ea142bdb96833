//! The open-file limit: every client connection is a file descriptor, and the usual soft
//! limit (1,024) is far below what a busy day needs while the hard limit is not.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept for the database, the probes' connections and the log.
const RESERVED: u64 = 256;

/// Raises the soft limit on open files to the hard one; returns the limit now in force
/// (`None` when unlimited).
pub fn raise_to_hard() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::info!(
                    from = ?limit.current,
                    to = ?limit.maximum,
                    "raised the open-file limit to its hard limit"
                );
                return limit.maximum;
            }
            Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
        }
    }
    limit.current
}

/// Raises the soft limit on open files to `wanted`, or to the hard limit when that is lower;
/// never lowers it. Returns the limit now in force (`None` when unlimited). For a process
/// that knows how many files it needs, such as a test holding both ends of thousands of
/// connections.
pub fn raise_to(wanted: u64) -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    let target = match limit.maximum {
        Some(hard) => wanted.min(hard),
        None => wanted,
    };
    if limit.current.is_some_and(|soft| soft < target) {
        let raised = Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// How many client connections fit under an open-file limit of `files`.
pub fn connections_within(files: Option<u64>, wanted: usize) -> usize {
    match files {
        Some(files) => {
            let room = files.saturating_sub(RESERVED).max(16);
            wanted.min(usize::try_from(room).unwrap_or(usize::MAX))
        }
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers_nor_passes_the_hard_limit() {
        let hard = getrlimit(Resource::Nofile).maximum;
        let soft = raise_to(64);
        assert!(
            soft.is_none_or(|s| s >= hard.unwrap_or(64).min(64)),
            "{soft:?}"
        );
        assert_eq!(raise_to(u64::MAX), hard);
        // Asking for fewer afterwards keeps what is in force.
        assert_eq!(raise_to(64), hard);
    }

    #[test]
    fn the_cap_leaves_room_for_the_rest() {
        assert_eq!(connections_within(Some(1024), 4096), 768);
        assert_eq!(connections_within(Some(65_536), 4096), 4096);
        assert_eq!(connections_within(Some(10), 4096), 16);
        assert_eq!(connections_within(None, 4096), 4096);
    }
}
