//! A city a reporter may say they are in.

use super::Names;

/// A city from `[[cities]]`: a slug of the public contract (`[a-z0-9-]{1,32}`, unique) and
/// its name in ar, fr and en, missing ones falling back as a bank's do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    pub slug: String,
    pub names: Names,
}
