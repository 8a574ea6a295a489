//! Routes OpenQASM 2 files with SABRE layout + routing and prints the swap
//! count and time per file, for tuning and comparison with other routers.
//!
//! `cargo run --release -p qv-compile --example route -- TARGET [--trials N]
//! [--layout-trials N] [--iterations N] [--elide] [--lookahead-size N]
//! [--lookahead-layer] [--decay-permille N] [--attempt-limit N] [--out DIR] FILE...`

use std::time::Instant;

use qv_compile::layout::{sabre_layout_and_route, SabreLayoutOptions};
use qv_compile::routing::Lookahead;
use qv_compile::target::Target;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(spec) = args.next() else {
        eprintln!("usage: route TARGET [--trials N] [--layout-trials N] [--iterations N] [--elide] FILE...");
        std::process::exit(2);
    };
    let target = match Target::load(&spec) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut opts = SabreLayoutOptions::default();
    let mut files = Vec::new();
    let mut out_dir: Option<String> = None;
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> usize {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("error: {what} needs a number");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--trials" => opts.routing.trials = num("--trials"),
            "--layout-trials" => opts.layout_trials = num("--layout-trials"),
            "--iterations" => opts.iterations = num("--iterations"),
            "--finalists" => opts.finalists = num("--finalists"),
            "--seed" => opts.routing.seed = num("--seed") as u64,
            "--elide" => opts.routing.elide_swaps = true,
            "--out" => out_dir = args.next(),
            "--lookahead-size" => {
                let size = num("--lookahead-size");
                opts.routing.heuristic.lookahead = Lookahead::Gates { size, weight: 0.5 };
            }
            "--lookahead-layer" => {
                opts.routing.heuristic.lookahead = Lookahead::Layer { weight: 0.5 }
            }
            "--decay-permille" => {
                opts.routing.heuristic.decay_rate = num("--decay-permille") as f64 / 1000.0
            }
            "--merge-bonus" => {
                opts.routing.heuristic.merge_bonus = num("--merge-bonus") as f64 / 100.0
            }
            "--attempt-limit" => {
                opts.routing.heuristic.attempt_limit = Some(num("--attempt-limit"))
            }
            _ => files.push(a),
        }
    }
    for f in files {
        let circuit = match qv_circuit::qasm2::parse_file(std::path::Path::new(&f)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        let start = Instant::now();
        match sabre_layout_and_route(&circuit, &target, &opts) {
            Ok(r) => {
                println!(
                    "{f}\tswaps {}\ttime_s {:.4}",
                    r.swaps_inserted,
                    start.elapsed().as_secs_f64()
                );
                if let Some(dir) = &out_dir {
                    let name = std::path::Path::new(&f).file_name().map(|n| n.to_owned());
                    if let Some(name) = name {
                        let path = std::path::Path::new(dir).join(name);
                        if let Err(e) = std::fs::write(&path, qv_circuit::qasm2::export(&r.circuit))
                        {
                            eprintln!("error: cannot write {}: {e}", path.display());
                        }
                    }
                }
            }
            Err(e) => println!("{f}\terror {e}"),
        }
    }
}
