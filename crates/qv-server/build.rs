//! Embeds the built web app (`web/dist`, or `$QV_WEB_DIST`) into the binary
//! as a generated table of `(path, content type, bytes)`. When the app was
//! not built the table is empty and the server answers a page that says how
//! to build it, so `cargo build` works on machines without npm.
//!
//! Also generates the gRPC messages and services of `proto/quantumvibe/v1`
//! with protox (a protobuf compiler in Rust, so no system `protoc`) and
//! tonic-prost-build, and writes the descriptor set served by reflection.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// The protos, relative to `proto/` at the repository root.
const PROTOS: [&str; 3] =
    ["quantumvibe/v1/jobs.proto", "quantumvibe/v1/backends.proto", "quantumvibe/v1/usage.proto"];

fn protos(manifest: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = manifest.join("../../proto");
    for f in PROTOS {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    let fds = protox::Compiler::new([&root])?
        .include_imports(true)
        .include_source_info(true)
        .open_files(PROTOS)?
        .file_descriptor_set();
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("quantumvibe_descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    tonic_prost_build::configure()
        .build_server(true)
        // Clients over any tonic service: callers bring their own channel.
        .build_client(true)
        .build_transport(false)
        .compile_fds(fds)?;
    Ok(())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=QV_WEB_DIST");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let custom = std::env::var_os("QV_WEB_DIST").map(PathBuf::from);
    let dist = custom.clone().unwrap_or_else(|| web.join("dist"));
    let has_app = dist.join("index.html").is_file();
    if has_app {
        println!("cargo:rerun-if-changed={}", dist.display());
    } else if custom.is_none() && web.is_dir() {
        // Picks up a later `npm run build`, which creates `dist` in here.
        println!("cargo:rerun-if-changed={}", web.display());
    }
    let mut files = Vec::new();
    if has_app {
        collect(&dist, &mut files);
    }
    let mut code = String::from("/// Embedded web app files: (path, content type, bytes).\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for path in &files {
        let rel = path.strip_prefix(&dist).expect("under dist");
        let rel: Vec<String> =
            rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let abs = path.canonicalize().expect("canonical path");
        let _ = writeln!(
            code,
            "    ({:?}, {:?}, include_bytes!({:?})),",
            rel.join("/"),
            content_type(path),
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("web_assets.rs");
    std::fs::write(out, code).expect("write web_assets.rs");
    if let Err(e) = protos(&manifest) {
        panic!("generating the gRPC code from proto/: {e}");
    }
}
