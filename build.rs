//! Builds again when a migration or a catalogue changes: `sqlx::migrate!` embeds the
//! migrations, and every `locales/{lang}/*.ftl` is compiled in through the list written here.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
    // Work trees that share one target directory share this script's output, which names
    // the catalogue files of the tree it ran in: a build from another tree runs it again.
    println!("cargo:rerun-if-env-changed=PWD");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut out = String::from("/// Each language's catalogue files, in [`Lang::ALL`] order.\n");
    out.push_str("pub(super) const SOURCES: [(&str, &[(&str, &str)]); 3] = [\n");
    for (dir, tag) in [("ar", "ar-MA"), ("fr", "fr-MA"), ("en", "en")] {
        let lang_dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", lang_dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&lang_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", lang_dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        let _ = writeln!(out, "    ({tag:?}, &[");
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "        ({name:?}, include_str!({:?})),",
                f.display().to_string()
            );
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("locales.rs");
    std::fs::write(dest, out).expect("writing the catalogue list");
}
