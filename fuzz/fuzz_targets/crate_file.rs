//! The `.crate` checker (`wharf_index::crate_file::inspect`).
//!
//! Input: one mode byte, then
//! - mode 0: the `.crate` bytes themselves (gzip'd tar), for package `demo` 0.1.0;
//! - mode 1: a tar, gzip'd here, so the fuzzer works on the tar format and not on CRCs;
//! - mode 2: a plan (decoded with `arbitrary`): a package name and version, a README name
//!   and a list of entries. The archive is built from the plan, and what `inspect` answers
//!   is compared with what the plan says it must answer.
#![no_main]

use std::io::Write as _;

use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::{
    arbitrary::{self, Arbitrary, Unstructured},
    fuzz_target,
};
use wharf_index::crate_file::{CrateError, MAX_README_LEN, MAX_UNPACKED_LEN, inspect};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => raw(rest),
        1 => raw(&gzip(rest)),
        _ => {
            if let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(rest)) {
                planned(&plan);
            }
        }
    }
});

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Arbitrary bytes: no panic, and an accepted file belongs to exactly one package version.
fn raw(bytes: &[u8]) {
    let Ok(contents) = inspect(bytes, "demo", "0.1.0", None, MAX_UNPACKED_LEN) else { return };
    if let Some(readme) = &contents.readme {
        assert!(readme.len() as u64 <= MAX_README_LEN);
    }
    assert!(inspect(bytes, "other", "0.1.0", None, MAX_UNPACKED_LEN).is_err(), "accepted for two names");
    assert!(inspect(bytes, "demo", "0.1.1", None, MAX_UNPACKED_LEN).is_err(), "accepted for two versions");
    assert!(
        inspect(bytes, "demo-0", "1.0", None, MAX_UNPACKED_LEN).is_err(),
        "accepted for another name-version split"
    );
}

#[derive(Arbitrary, Debug)]
struct Plan {
    name: Word,
    version: (u8, u8, u8, Option<Word>),
    readme: Readme,
    entries: Vec<Entry>,
}

/// 1–16 characters that are safe in a path and in a TOML string.
#[derive(Arbitrary, Debug)]
struct Word(Vec<u8>);

impl Word {
    fn text(&self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_.";
        let mut s: String =
            self.0.iter().take(16).map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        if s.is_empty() {
            s.push('x');
        }
        s
    }
}

#[derive(Arbitrary, Debug)]
enum Readme {
    Default,
    Named(Word),
    DotSlash(Word),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Entry {
    path: EntryPath,
    kind: Kind,
    body: Body,
    /// A size in the header other than the data's (the archive is then cut short).
    size_override: Option<u64>,
}

#[derive(Arbitrary, Debug)]
enum EntryPath {
    Manifest,
    Readme,
    Root,
    RootSlash,
    Under(Word, Option<Word>),
    DotDot(Word),
    Dot(Word),
    Backslash(Word),
    Absolute(Word),
    OtherVersion(Word),
    /// The name field's bytes as they are (the reader stops at the first NUL).
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    File,
    OldFile,
    Dir,
    Symlink,
    HardLink,
    Fifo,
    CharDevice,
    BlockDevice,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::File => b'0',
            Kind::OldFile => b'\0',
            Kind::Dir => b'5',
            Kind::Symlink => b'2',
            Kind::HardLink => b'1',
            Kind::Fifo => b'6',
            Kind::CharDevice => b'3',
            Kind::BlockDevice => b'4',
        }
    }

    /// How `inspect` names a refused kind; `None` for files and directories.
    fn refused_as(self) -> Option<&'static str> {
        match self {
            Kind::File | Kind::OldFile | Kind::Dir => None,
            Kind::Symlink => Some("symbolic link"),
            Kind::HardLink => Some("hard link"),
            Kind::Fifo | Kind::CharDevice | Kind::BlockDevice => Some("special file"),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Body {
    Manifest(ManifestKind),
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum ManifestKind {
    Matching,
    OtherName,
    OtherVersion,
    NoPackage,
    NotToml,
}

/// What the plan's `Cargo.toml` will say, as far as the plan knows.
#[derive(Debug, Clone, Copy)]
enum ManifestSays {
    Known(ManifestKind),
    Unknown,
}

/// What `inspect` must answer.
#[derive(Debug)]
enum Expected {
    Ok {
        readme: Option<String>,
    },
    /// Refused with exactly this error.
    Err(CrateError),
    /// Refused as a bad manifest (the message is the TOML parser's).
    BadManifest,
    /// A manifest the plan does not understand: accepted, refused as bad, or a mismatch.
    OkOrManifestProblem {
        readme: Option<String>,
    },
    /// The archive is cut short by a size override: anything but a panic.
    Anything,
}

fn planned(plan: &Plan) {
    let name = plan.name.text();
    let (major, minor, patch, pre) = &plan.version;
    let version = match pre {
        Some(pre) => format!("{major}.{minor}.{patch}-{}", pre.text()),
        None => format!("{major}.{minor}.{patch}"),
    };
    let prefix = format!("{name}-{version}");
    let readme_file = match &plan.readme {
        Readme::Default => None,
        Readme::Named(w) => Some(w.text()),
        Readme::DotSlash(w) => Some(format!("./{}", w.text())),
        Readme::Raw(s) => Some(s.clone()),
    };
    let readme_path = format!("{prefix}/{}", readme_file.as_deref().unwrap_or("README.md").trim_start_matches("./"));
    let manifest_path = format!("{prefix}/Cargo.toml");

    let mut tar = tar::Builder::new(Vec::new());
    let mut expected = None;
    let (mut frames_total, mut frames_unknown, mut frames_too_large) = (0u64, false, false);
    let mut manifest = None;
    let mut manifest_seen: Option<String> = None;
    let mut readme = None;
    let mut total = 0u64;
    let mut offset = 0u64;
    for entry in &plan.entries {
        let path_bytes = match &entry.path {
            EntryPath::Manifest => manifest_path.clone().into_bytes(),
            EntryPath::Readme => readme_path.clone().into_bytes(),
            EntryPath::Root => prefix.clone().into_bytes(),
            EntryPath::RootSlash => format!("{prefix}/").into_bytes(),
            EntryPath::Under(a, None) => format!("{prefix}/{}", a.text()).into_bytes(),
            EntryPath::Under(a, Some(b)) => format!("{prefix}/{}/{}", a.text(), b.text()).into_bytes(),
            EntryPath::DotDot(w) => format!("{prefix}/../{}", w.text()).into_bytes(),
            EntryPath::Dot(w) => format!("{prefix}/./{}", w.text()).into_bytes(),
            EntryPath::Backslash(w) => format!("{prefix}/a\\{}", w.text()).into_bytes(),
            EntryPath::Absolute(w) => format!("/{prefix}/{}", w.text()).into_bytes(),
            EntryPath::OtherVersion(w) => format!("{name}-9.9.9/{}", w.text()).into_bytes(),
            EntryPath::Raw(bytes) => bytes.clone(),
        };
        let data: Vec<u8> = match &entry.body {
            Body::Manifest(kind) => manifest_text(*kind, &name, &version).into_bytes(),
            Body::Text(s) => s.clone().into_bytes(),
            Body::Bytes(b) => b.clone(),
        };
        let size = entry.size_override.unwrap_or(data.len() as u64);

        let mut header = tar::Header::new_gnu();
        let field = &mut header.as_gnu_mut().unwrap().name;
        let stored = &path_bytes[..path_bytes.len().min(field.len())];
        field[..stored.len()].copy_from_slice(stored);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(1);
        header.set_entry_type(tar::EntryType::new(entry.kind.byte()));
        header.set_cksum();
        tar.append(&header, &data[..]).unwrap();

        // `inspect` first walks every raw header (sizes, sparse and extension headers)
        // before it looks at any entry: that walk is predictable only while each header
        // tells the truth about its data and is a plain entry.
        if !frames_unknown {
            if size != data.len() as u64 || matches!(entry.kind.byte(), b'S' | b'x' | b'g' | b'L' | b'K') {
                frames_unknown = true;
            } else {
                frames_total = frames_total.saturating_add(512).saturating_add(size.div_ceil(512).saturating_mul(512));
                if frames_total > MAX_UNPACKED_LEN {
                    frames_too_large = true;
                    frames_unknown = true;
                }
            }
        }
        if expected.is_some() {
            continue; // the archive goes on, but `inspect` stops at the first refusal
        }
        // The path as a tar reader sees it: the name field up to its first NUL.
        let stored = stored.split(|b| *b == 0).next().unwrap_or_default();
        let path = String::from_utf8_lossy(stored).into_owned();
        // Where the reader expects the next header; tar refuses an entry that ends past `u64::MAX`.
        let data_at = offset + 512;
        offset = data_at + (data.len() as u64).div_ceil(512) * 512;
        if size.checked_add(511).and_then(|end| data_at.checked_add(end & !511)).is_none() {
            expected = Some(Expected::Err(CrateError::NotAnArchive("size overflow".into())));
            continue;
        }
        if let Some(kind_name) = entry.kind.refused_as() {
            expected = Some(Expected::Err(CrateError::BadEntryType(path, kind_name)));
            continue;
        }
        let inside = path.strip_prefix(&prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        let escapes = path.starts_with('/') || path.split('/').any(|part| part == ".." || part == ".");
        let refused = !inside || escapes || path.contains('\\');
        if let Some(must_refuse) = path_verdict(&entry.path, &plan.readme, &version) {
            assert_eq!(refused, must_refuse, "the model's path rule is wrong for {path:?}");
        }
        if refused {
            expected = Some(Expected::Err(CrateError::OutsidePrefix(path, prefix.clone())));
            continue;
        }
        if size > MAX_UNPACKED_LEN - total {
            expected = Some(Expected::Err(CrateError::TooLarge(MAX_UNPACKED_LEN)));
            continue;
        }
        total += size;
        // A second `Cargo.toml` in any spelling (or the same path twice) is refused.
        if path.get(prefix.len()..).is_some_and(|rest| rest.to_lowercase() == "/cargo.toml")
            && let Some(first) = manifest_seen.replace(path.clone())
        {
            expected = Some(Expected::Err(CrateError::TwoManifests(first, path)));
            continue;
        }
        if entry.size_override.is_some_and(|s| s != data.len() as u64) {
            expected = Some(Expected::Anything);
            continue;
        }
        if path == manifest_path {
            match (&entry.body, std::str::from_utf8(&data)) {
                (_, Err(_)) => expected = Some(Expected::BadManifest),
                (Body::Manifest(kind), Ok(_)) => manifest = Some(ManifestSays::Known(*kind)),
                (_, Ok(_)) => manifest = Some(ManifestSays::Unknown),
            }
        } else if path == readme_path
            && size <= MAX_README_LEN
            && let Ok(text) = std::str::from_utf8(&data)
        {
            readme = Some(text.to_owned());
        }
    }
    let expected = if frames_too_large {
        Some(Expected::Err(CrateError::TooLarge(MAX_UNPACKED_LEN)))
    } else if frames_unknown {
        Some(Expected::Anything)
    } else {
        expected
    };
    let expected = expected.unwrap_or_else(|| match manifest {
        None => Expected::Err(CrateError::NoManifest(prefix.clone())),
        Some(ManifestSays::Known(ManifestKind::Matching)) => Expected::Ok { readme },
        Some(ManifestSays::Known(ManifestKind::NotToml)) => Expected::BadManifest,
        Some(ManifestSays::Known(kind)) => Expected::Err(mismatch(kind, &name, &version)),
        Some(ManifestSays::Unknown) => Expected::OkOrManifestProblem { readme },
    });
    let bytes = gzip(&tar.into_inner().unwrap());
    let got = inspect(&bytes, &name, &version, readme_file.as_deref(), MAX_UNPACKED_LEN);
    let agrees = match (&expected, &got) {
        (Expected::Ok { readme }, Ok(contents)) => readme == &contents.readme,
        (Expected::Err(want), Err(got)) => want == got,
        (Expected::BadManifest, Err(CrateError::BadManifest(_))) => true,
        (Expected::OkOrManifestProblem { readme }, Ok(contents)) => readme == &contents.readme,
        (Expected::OkOrManifestProblem { .. }, Err(CrateError::BadManifest(_) | CrateError::Mismatch { .. })) => true,
        (Expected::Anything, _) => true,
        _ => false,
    };
    assert!(agrees, "inspect gave {got:?}; the plan says {expected:?}");
}

/// Whether a path of this shape must be refused, known without the rule `inspect` applies;
/// `None` where the shape alone does not tell.
fn path_verdict(path: &EntryPath, readme: &Readme, version: &str) -> Option<bool> {
    let dots = |w: &Word| matches!(w.text().as_str(), "." | "..");
    match path {
        EntryPath::Manifest | EntryPath::Root | EntryPath::RootSlash => Some(false),
        EntryPath::Under(a, b) => Some(dots(a) || b.as_ref().is_some_and(dots)),
        EntryPath::Readme => match readme {
            Readme::Default => Some(false),
            Readme::Named(w) | Readme::DotSlash(w) => Some(dots(w)),
            Readme::Raw(_) => None,
        },
        EntryPath::DotDot(_) | EntryPath::Dot(_) | EntryPath::Backslash(_) | EntryPath::Absolute(_) => Some(true),
        EntryPath::OtherVersion(w) => Some(version != "9.9.9" || dots(w)),
        EntryPath::Raw(_) => None,
    }
}

fn manifest_text(kind: ManifestKind, name: &str, version: &str) -> String {
    match kind {
        ManifestKind::Matching => {
            format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n")
        }
        ManifestKind::OtherName => format!("[package]\nname = \"{name}x\"\nversion = \"{version}\"\n"),
        ManifestKind::OtherVersion => format!("[package]\nname = \"{name}\"\nversion = \"{version}.1\"\n"),
        ManifestKind::NoPackage => format!("[lib]\nname = \"{name}\"\n"),
        ManifestKind::NotToml => "[package\nname = ".to_owned(),
    }
}

fn mismatch(kind: ManifestKind, name: &str, version: &str) -> CrateError {
    let (field, found, expected) = match kind {
        ManifestKind::OtherName => ("name", format!("{name}x"), name),
        ManifestKind::OtherVersion => ("version", format!("{version}.1"), version),
        _ => ("name", String::new(), name),
    };
    CrateError::Mismatch { field, found, expected: expected.to_owned() }
}
