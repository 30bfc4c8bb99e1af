//! `cargo xtask`: builds Wharf without any build tool installed beside cargo.
//!
//! 1. builds the `frontend` crate for `wasm32-unknown-unknown`;
//! 2. runs wasm-bindgen on it, as a library of the very version the bundle links;
//! 3. in release builds, shrinks it with `wasm-opt` (npm's `binaryen`, on `PATH`);
//! 4. copies the stylesheet, and in release builds writes Brotli and gzip copies of every
//!    asset (the server sends those to clients that take them);
//! 5. builds the server, which embeds `target/site` in release builds.
//!
//! The site always goes to `<workspace>/target/site`, wherever `CARGO_TARGET_DIR` points:
//! that is where the server's build looks for it.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

/// The bundle's file names: `/pkg/wharf.js`, `/pkg/wharf.wasm`, `/pkg/wharf.css`. Leptos
/// reads the same name from `LEPTOS_OUTPUT_NAME` (set in `.cargo/config.toml`).
const OUTPUT_NAME: &str = "wharf";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The WASM features rustc 1.95 emits by default; wasm-opt must accept them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Builds Wharf's portal bundle and server.")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// The portal bundle only (WASM, JS, CSS) into target/site.
    Site {
        /// Size-optimised bundle with compressed copies (what users get).
        #[arg(long)]
        release: bool,
    },
    /// The bundle, then the server that serves (release: embeds) it.
    Build {
        #[arg(long)]
        release: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.command {
        Task::Site { release } => site(&root, release),
        Task::Build { release } => {
            site(&root, release)?;
            server(&root, release)
        }
    }
}

/// The checkout `cargo xtask` runs in: the nearest directory up from here holding the
/// workspace's `crates/xtask` (not the path baked in at compile time, which names whichever
/// checkout first built it into a shared target directory).
fn workspace_root() -> PathBuf {
    let here = std::env::current_dir().expect("a current directory");
    here.ancestors().find(|dir| dir.join("crates/xtask/Cargo.toml").is_file()).unwrap_or(&here).to_owned()
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("could not start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Prints how long a step took, as cargo prints its own.
fn step<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let out = f()?;
    eprintln!("      xtask {what} in {:.1}s", started.elapsed().as_secs_f64());
    Ok(out)
}

fn site(root: &Path, release: bool) -> Result<()> {
    let profile = if release { "wasm-release" } else { "dev" };
    step("built the frontend", || {
        run(cargo().current_dir(root).args([
            "build",
            "--locked",
            "-p",
            "frontend",
            "--lib",
            "--target",
            WASM_TARGET,
            "--profile",
            profile,
        ]))
    })?;
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir(root).join(WASM_TARGET).join(profile_dir).join("frontend.wasm");
    let site = root.join("target").join("site");
    let fresh = site.join("pkg.new");
    if fresh.exists() {
        fs::remove_dir_all(&fresh)?;
    }
    fs::create_dir_all(&fresh)?;
    step("ran wasm-bindgen", || bindgen(&wasm, &fresh, release))?;
    if release {
        step("ran wasm-opt", || wasm_opt(&fresh.join(format!("{OUTPUT_NAME}.wasm"))))?;
    }
    fs::copy(root.join("style/main.css"), fresh.join(format!("{OUTPUT_NAME}.css")))
        .context("copying the stylesheet")?;
    if release {
        step("compressed the assets", || precompress(&fresh))?;
    }
    // Swapped in whole, so no compressed copy of an older build outlives it.
    let pkg = site.join("pkg");
    if pkg.exists() {
        fs::remove_dir_all(&pkg)?;
    }
    fs::rename(&fresh, &pkg)?;
    eprintln!("      xtask wrote {}", pkg.display());
    Ok(())
}

/// `wharf.js` (with its `snippets/`) and `wharf.wasm` from the linked module.
fn bindgen(wasm: &Path, out: &Path, release: bool) -> Result<()> {
    let staging = out.join(".bindgen");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        .debug(!release)
        .remove_producers_section(release)
        .generate(&staging)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;
    fs::rename(staging.join(format!("{OUTPUT_NAME}.js")), out.join(format!("{OUTPUT_NAME}.js")))?;
    fs::rename(staging.join(format!("{OUTPUT_NAME}_bg.wasm")), out.join(format!("{OUTPUT_NAME}.wasm")))?;
    let snippets = staging.join("snippets");
    if snippets.exists() {
        fs::rename(&snippets, out.join("snippets"))?;
    }
    fs::remove_dir_all(&staging)?;
    Ok(())
}

fn wasm_opt(wasm: &Path) -> Result<()> {
    let mut command = Command::new("wasm-opt");
    command.arg("-Oz").args(WASM_FEATURES).arg(wasm).arg("-o").arg(wasm);
    run(&mut command).context("wasm-opt comes with npm's binaryen: run scripts/setup.sh, which puts it on PATH")
}

/// A `.br` and a `.gz` beside every asset, made once here instead of per request.
fn precompress(dir: &Path) -> Result<()> {
    for entry in walk(dir)? {
        let data = fs::read(&entry)?;
        let mut br = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
            writer.write_all(&data)?;
        }
        fs::write(with_suffix(&entry, ".br"), br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data)?;
        fs::write(with_suffix(&entry, ".gz"), gz.finish()?)?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

/// Leptos' type-erased components for the release server: each component and reactive
/// child is one type instead of a nested generic per call site, and the portal's crate
/// builds in 132 s instead of 182 s. Never for the WASM bundle (erased, its release build
/// failed to hydrate; see BENCHMARKS.md), nor for debug builds, whose server the browser
/// tests run against the release bundle.
const RELEASE_SERVER_FLAGS: &str = "--cfg erase_components";

fn server(root: &Path, release: bool) -> Result<()> {
    let mut command = cargo();
    command.current_dir(root).args(["build", "--locked", "-p", "wharf", "--bin", "wharf"]);
    if release {
        command.arg("--release");
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        flags.push(' ');
        flags.push_str(RELEASE_SERVER_FLAGS);
        command.env("RUSTFLAGS", flags.trim());
    }
    step("built the server", || run(&mut command))
}
