//! `qv expect`: the expectation value of a Pauli-sum observable.
//!
//! JSON shape (one line; field order is stable):
//! `{"value", "std_dev", "terms": [{"coeff", "pauli", "value", "std_dev"}, ...],
//!   "backend", "backend_reason", "shots", "seed", "num_qubits", "time_taken_s"}`;
//! `std_dev`, `shots` and `seed` are `null` for exact values. A term's
//! `value` is `⟨P⟩` of its Pauli string alone (not times `coeff`).

use qv_sim::{ExpectConfig, ExpectResult, Observable};
use serde::Serialize;

use crate::cli::ExpectArgs;
use crate::error::CliError;
use crate::input;
use crate::output::{duration, plural, table, Align, Out};

/// Runs `qv expect`.
pub fn expect(args: &ExpectArgs) -> Result<(), CliError> {
    let observable = read_observable(args)?;
    let circuit = input::load(&args.file)?;
    let noise = args.noise.as_deref().map(input::load_noise).transpose()?;
    let config = ExpectConfig {
        noise,
        backend: args.backend.into(),
        shots: args.shots,
        seed: args.shots.map(|_| args.seed.unwrap_or_else(crate::run::random_seed)),
        precision: args.precision.into(),
        threads: args.threads,
        ..ExpectConfig::default()
    };
    let result = qv_sim::expectation(&circuit, &observable, &config)?;
    let mut out = Out::stdout();
    if args.json {
        out.json(&ExpectJson::of(&result))?;
    } else {
        let noisy = config.noise.as_deref().is_some_and(|m| !m.is_ideal());
        human(&mut out, &result, noisy)?;
    }
    out.finish()
}

/// The observable from `--observable` (text) or `--observable-file` (a JSON
/// list of terms, or the text form when the file does not start with `[`).
fn read_observable(args: &ExpectArgs) -> Result<Observable, CliError> {
    if let Some(text) = &args.observable {
        return Observable::parse(text).map_err(|e| CliError::Input(e.to_string()));
    }
    let Some(path) = &args.observable_file else {
        return Err(CliError::Input(
            "give an observable with --observable or --observable-file".into(),
        ));
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("{name}: cannot read the observable file: {e}")))?;
    let parsed = if text.trim_start().starts_with('[') {
        Observable::from_json_named(&text, &name)
    } else {
        Observable::parse_named(&text, &name)
    };
    parsed.map_err(|e| CliError::Input(e.to_string()))
}

#[derive(Serialize)]
struct TermJson<'a> {
    coeff: f64,
    pauli: &'a str,
    value: f64,
    std_dev: Option<f64>,
}

#[derive(Serialize)]
struct ExpectJson<'a> {
    value: f64,
    std_dev: Option<f64>,
    terms: Vec<TermJson<'a>>,
    backend: &'a str,
    backend_reason: &'a str,
    shots: Option<u64>,
    seed: Option<u64>,
    num_qubits: usize,
    time_taken_s: f64,
}

impl<'a> ExpectJson<'a> {
    fn of(r: &'a ExpectResult) -> Self {
        ExpectJson {
            value: r.value,
            std_dev: r.std_dev,
            terms: r
                .terms
                .iter()
                .map(|t| TermJson {
                    coeff: t.coeff,
                    pauli: &t.pauli,
                    value: t.value,
                    std_dev: t.std_dev,
                })
                .collect(),
            backend: &r.backend,
            backend_reason: &r.backend_reason,
            shots: r.shots,
            seed: r.seed,
            num_qubits: r.num_qubits,
            time_taken_s: r.time_taken.as_secs_f64(),
        }
    }
}

/// `⟨O⟩ = value [± std]`, a summary, the backend line and a table of terms.
fn human(out: &mut Out, r: &ExpectResult, noisy: bool) -> Result<(), CliError> {
    let terms = plural(r.terms.len() as u64, "term");
    let qubits = plural(r.num_qubits as u64, "qubit");
    let time = duration(r.time_taken.as_secs_f64());
    match (r.std_dev, r.shots, r.seed) {
        (Some(sd), Some(shots), Some(seed)) => {
            out.line(&format!("⟨O⟩ = {:.6} ± {sd:.6}", r.value))?;
            out.line(&format!(
                "estimated from {} per term, seed {seed}, {terms}, {qubits}, {time}",
                plural(shots, "shot")
            ))?;
        }
        _ => {
            out.line(&format!("⟨O⟩ = {:.12}", r.value))?;
            out.line(&format!("exact, {terms}, {qubits}, {time}"))?;
        }
    }
    out.line(&format!("backend {}", r.backend_reason))?;
    if noisy && r.shots.is_some() {
        out.line(
            "note: the noise model also acts on the appended basis changes and measurements \
             (readout errors included), as on a device; the exact value omits them",
        )?;
    }
    out.line("")?;
    let sampled = r.std_dev.is_some();
    let rows: Vec<Vec<String>> = r
        .terms
        .iter()
        .map(|t| {
            let mut row = vec![t.pauli.clone(), format!("{}", t.coeff), format!("{:.6}", t.value)];
            if sampled {
                row.push(t.std_dev.map(|s| format!("{s:.6}")).unwrap_or_default());
            }
            row
        })
        .collect();
    let (headers, aligns): (&[&str], &[Align]) = if sampled {
        (
            &["term", "coeff", "⟨P⟩", "std dev"],
            &[Align::Left, Align::Right, Align::Right, Align::Right],
        )
    } else {
        (&["term", "coeff", "⟨P⟩"], &[Align::Left, Align::Right, Align::Right])
    };
    out.text(&table(headers, aligns, &rows))
}
