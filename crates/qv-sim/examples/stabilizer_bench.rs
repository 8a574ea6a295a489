//! Times the stabilizer backend on an OpenQASM 2 file, for `bench/stabilizer/`.
//!
//! `cargo run --release -p qv-sim --example stabilizer_bench -- FILE --shots N
//!  [--threads T] [--repeat R] [--counts]`
//!
//! Prints one JSON object: the parse time, and the best of `R` repetitions of
//! compiling the sampler (lowering, Clifford check, reference shot) and of
//! sampling `N` shots as packed bits (what Stim's
//! `compile_sampler().sample(N, bit_packed=True)` returns). With `--counts`
//! it also times the full `stabilizer::run` path that builds the counts map.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use qv_sim::stabilizer::{self, Sampler};
use qv_sim::RunConfig;

struct Args {
    file: PathBuf,
    shots: usize,
    threads: usize,
    repeat: usize,
    counts: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut out = Args { file: PathBuf::new(), shots: 1000, threads: 0, repeat: 3, counts: false };
    let mut file = None;
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--shots" => out.shots = value("--shots")?,
            "--threads" => out.threads = value("--threads")?,
            "--repeat" => out.repeat = value("--repeat")?.max(1),
            "--counts" => out.counts = true,
            _ if file.is_none() => file = Some(PathBuf::from(a)),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    out.file =
        file.ok_or("usage: stabilizer_bench FILE --shots N [--threads T] [--repeat R] [--counts]")?;
    Ok(out)
}

fn best<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    (best, last.expect("repeat >= 1"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let t = Instant::now();
    let circuit = match qv_circuit::qasm2::parse_file(&args.file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let parse_s = t.elapsed().as_secs_f64();
    let (compile_s, sampler) = best(args.repeat, || Sampler::new(&circuit));
    let sampler = match sampler {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (sample_s, bits) = best(args.repeat, || sampler.sample(args.shots, 1, args.threads));
    let bits = match bits {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let ones: usize = bits.as_words().iter().map(|w| w.count_ones() as usize).sum();
    let mut json = format!(
        "{{\"qubits\": {}, \"instructions\": {}, \"clbits\": {}, \"shots\": {}, \"threads\": {}, \
         \"frames\": {}, \"parse_s\": {parse_s:.6}, \"compile_s\": {compile_s:.6}, \
         \"sample_s\": {sample_s:.6}, \"ones_fraction\": {:.6}",
        circuit.num_qubits(),
        circuit.instructions().len(),
        bits.num_clbits(),
        args.shots,
        if args.threads == 0 { rayon::current_num_threads() } else { args.threads },
        sampler.uses_frames(),
        ones as f64 / (args.shots * bits.num_clbits()).max(1) as f64,
    );
    if args.counts {
        let config = RunConfig {
            shots: args.shots as u64,
            seed: Some(1),
            threads: args.threads,
            ..RunConfig::default()
        };
        let (run_s, result) = best(args.repeat, || stabilizer::run(&circuit, &config));
        match result {
            Ok(r) => json.push_str(&format!(
                ", \"run_counts_s\": {run_s:.6}, \"distinct\": {}",
                r.counts.len()
            )),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{json}}}");
    ExitCode::SUCCESS
}
