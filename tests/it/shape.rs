//! The shape of the code, read from its sources: files of one job (no file over 700 lines,
//! the engine at most 400), no circle among modules, dependencies that point one way, the
//! clock read in one place, API routes registered once, and tests that wait for what they
//! see rather than sleep.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `crate::a::b` for `src/a/b.rs` and `src/a/b/mod.rs`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    std::iter::once("crate".to_owned())
        .chain(parts)
        .collect::<Vec<_>>()
        .join("::")
}

/// The source without its unit tests and comments: what the module itself depends on.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names that starts at `crate`, `super` or `self`, with the items of
/// `use prefix::{a, b::c}` groups spelled out.
fn named_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| code_at(&bytes, i).starts_with(p))
            && (i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_' || bytes[j] == ':')
        {
            j += 1;
        }
        let prefix: String = bytes[i..j].iter().collect();
        let prefix = prefix.trim_end_matches(':').to_owned();
        if j < bytes.len() && bytes[j] == '{' && prefix.len() < j - i {
            // A group: split its top level at commas.
            let mut depth = 0;
            let mut k = j;
            let mut item = String::new();
            loop {
                let c = bytes[k];
                match c {
                    '{' => {
                        depth += 1;
                        if depth > 1 {
                            item.push(c);
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            push_item(&mut out, &prefix, &item);
                            break;
                        }
                        item.push(c);
                    }
                    ',' if depth == 1 => {
                        push_item(&mut out, &prefix, &item);
                        item.clear();
                    }
                    _ => item.push(c),
                }
                k += 1;
                if k >= bytes.len() {
                    break;
                }
            }
            i = k;
        } else {
            out.push(prefix);
            i = j;
        }
    }
    out
}

fn code_at(chars: &[char], i: usize) -> String {
    chars[i..chars.len().min(i + 7)].iter().collect()
}

fn push_item(out: &mut Vec<String>, prefix: &str, item: &str) {
    let first = item.trim().split([':', ' ', '{']).next().unwrap_or("");
    if !first.is_empty() && first != "self" {
        out.push(format!("{prefix}::{first}"));
    } else if first == "self" {
        out.push(prefix.to_owned());
    }
}

/// The module a path names: the longest known module it starts with.
fn resolve(current: &str, path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = match segs.first() {
        Some(&"crate") => {
            segs.remove(0);
            vec!["crate"]
        }
        Some(&"self") => {
            segs.remove(0);
            current.split("::").collect()
        }
        Some(&"super") => {
            let mut b: Vec<&str> = current.split("::").collect();
            while segs.first() == Some(&"super") {
                segs.remove(0);
                b.pop();
            }
            b
        }
        _ => return None,
    };
    let mut best = None;
    for seg in std::iter::once(None).chain(segs.iter().map(Some)) {
        if let Some(s) = seg {
            base.push(s);
        }
        let m = base.join("::");
        if modules.contains(&m) {
            best = Some(m);
        }
    }
    best
}

struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let src = Path::new(ROOT).join("src");
    let files = rust_files(&src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let deps: BTreeSet<String> = named_paths(&code)
            .iter()
            .filter_map(|p| resolve(&m, p, &modules))
            // A child naming its parent's items is how Rust nests modules, not a circle.
            .filter(|d| *d != m && !m.starts_with(&format!("{d}::")))
            .collect();
        edges.insert(m, deps);
    }
    Graph { edges }
}

/// Strongly connected components of more than one module (Tarjan).
fn circles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.g.edges.contains_key(w) {
                continue;
            }
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn top(m: &str) -> &str {
    m.split("::").nth(1).unwrap_or("")
}

#[test]
fn no_module_is_part_of_a_circle() {
    let found = circles(&graph());
    assert!(
        found.is_empty(),
        "modules that import each other: {found:#?}"
    );
}

#[test]
fn dependencies_point_one_way() {
    // (layer, layers it must never import)
    let rules: &[(&str, &[&str])] = &[
        (
            "tlog",
            &[
                "domain", "store", "signals", "probe", "record", "alerts", "web", "app", "cluster",
                "log", "config",
            ],
        ),
        (
            "domain",
            &[
                "store", "signals", "probe", "record", "alerts", "web", "app", "cluster", "log",
            ],
        ),
        (
            "store",
            &[
                "signals", "probe", "record", "alerts", "web", "app", "cluster", "log",
            ],
        ),
        (
            "probe",
            &["signals", "record", "alerts", "web", "app", "cluster"],
        ),
        ("signals", &["record", "alerts", "web", "app", "cluster"]),
        ("record", &["alerts", "web", "app", "cluster", "log"]),
        (
            "log",
            &["signals", "probe", "alerts", "web", "app", "cluster"],
        ),
        ("alerts", &["web", "app", "cluster"]),
        ("keys", &["web", "alerts", "app"]),
        ("web", &["app", "cli", "demo"]),
    ];
    let g = graph();
    let mut wrong = Vec::new();
    for (m, deps) in &g.edges {
        for (layer, never) in rules {
            if top(m) != *layer {
                continue;
            }
            for d in deps {
                if never.contains(&top(d)) {
                    wrong.push(format!("{m} -> {d}"));
                }
            }
        }
        // Only the command line and the demo start the app.
        if !matches!(top(m), "app" | "cli" | "demo") {
            if let Some(d) = deps.iter().find(|d| top(d) == "app") {
                wrong.push(format!("{m} -> {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports running back up: {wrong:#?}");
}

#[test]
fn files_hold_one_job() {
    let src = Path::new(ROOT).join("src");
    let mut long = Vec::new();
    for f in rust_files(&src) {
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        let name = f.strip_prefix(ROOT).unwrap().display().to_string();
        let max = if name.ends_with("signals/engine.rs") {
            400
        } else {
            700
        };
        if lines > max {
            long.push(format!("{name}: {lines} lines (at most {max})"));
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn the_clock_is_read_in_one_place() {
    let src = Path::new(ROOT).join("src");
    let mut found = Vec::new();
    for f in rust_files(&src) {
        if f.ends_with("clock.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        if code.contains("Utc::now()") {
            found.push(f.strip_prefix(ROOT).unwrap().display().to_string());
        }
    }
    assert!(
        found.is_empty(),
        "Utc::now() outside src/clock.rs: {found:?}"
    );
}

#[test]
fn api_routes_are_registered_only_by_their_annotation() {
    let web = Path::new(ROOT).join("src/web");
    for f in rust_files(&web) {
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        for (i, _) in code.match_indices(".route(") {
            let rest = code[i + 7..].trim_start();
            let path = rest.split('"').nth(1).unwrap_or("");
            assert!(
                !path.contains("/api/"),
                "{}: {path} is routed beside the OpenAPI router",
                f.display()
            );
        }
    }
}

#[test]
fn tests_wait_for_what_they_see() {
    let dir = Path::new(ROOT).join("tests/it");
    let mut sleeps = Vec::new();
    for f in rust_files(&dir) {
        if f.ends_with("helpers.rs") || f.ends_with("shape.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        for (n, line) in code.lines().enumerate() {
            if line.contains("sleep(") {
                sleeps.push(format!("{}:{}", f.display(), n + 1));
            }
        }
    }
    assert!(sleeps.len() <= 3, "sleeps outside the helpers: {sleeps:#?}");
}

#[test]
fn the_reader_finds_circles_and_groups() {
    let paths = named_paths("use super::{a, b::c, self};\nlet x = crate::web::d::e(1);");
    assert_eq!(paths, ["super::a", "super::b", "super", "crate::web::d::e"]);
    let modules: BTreeSet<String> = ["crate::web", "crate::web::d", "crate::web::a"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        resolve("crate::web::b", "super::a", &modules).as_deref(),
        Some("crate::web::a")
    );
    assert_eq!(
        resolve("crate::web::b", "crate::web::d::e", &modules).as_deref(),
        Some("crate::web::d")
    );
    let g = Graph {
        edges: [("a", "b"), ("b", "a"), ("c", "a")].iter().fold(
            BTreeMap::new(),
            |mut m, (x, y)| {
                m.entry((*x).to_owned())
                    .or_insert_with(BTreeSet::new)
                    .insert((*y).to_owned());
                m.entry((*y).to_owned()).or_insert_with(BTreeSet::new);
                m
            },
        ),
    };
    assert_eq!(circles(&g), vec![vec!["a".to_owned(), "b".to_owned()]]);
}
