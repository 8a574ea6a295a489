//! The JSON form of a [`NoiseModel`] (schema and examples in `docs/noise.md`).
//!
//! The document is walked as a `serde_json::Value` rather than derived, so
//! that every error names the JSON path of the offending value
//! (`errors[2].channel.t2`) and unknown fields are refused instead of
//! silently ignored.

use std::collections::BTreeMap;

use qv_circuit::{Matrix, C64};
use serde_json::{Map, Value};

use super::{Channel, NoiseError, NoiseModel, NoisyOperation, ReadoutError};

type Result<T> = std::result::Result<T, NoiseError>;

/// Parses a whole document.
pub(super) fn parse(text: &str) -> Result<NoiseModel> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]).to_string();
        NoiseError::at(
            format!("line {} column {}", e.line(), e.column()),
            format!("invalid JSON: {msg}"),
        )
    })?;
    let top = object(&value, "(top level)")?;
    check_keys(top, "(top level)", &["description", "version", "errors", "readout"])?;
    if let Some(v) = top.get("description") {
        v.as_str().ok_or_else(|| expected("description", "a string", v))?;
    }
    if let Some(v) = top.get("version") {
        if v.as_u64() != Some(1) {
            return Err(NoiseError::at("version", format!("only version 1 is known, found {v}")));
        }
    }
    let mut model = NoiseModel::new();
    if let Some(v) = top.get("errors") {
        for (i, rule) in array(v, "errors")?.iter().enumerate() {
            parse_rule(&mut model, rule, &format!("errors[{i}]"))?;
        }
    }
    if let Some(v) = top.get("readout") {
        let mut seen: BTreeMap<Option<usize>, usize> = BTreeMap::new();
        for (i, entry) in array(v, "readout")?.iter().enumerate() {
            parse_readout(&mut model, entry, i, &mut seen)?;
        }
    }
    Ok(model)
}

fn parse_rule(model: &mut NoiseModel, rule: &Value, path: &str) -> Result<()> {
    let obj = object(rule, path)?;
    check_keys(obj, path, &["gates", "qubits", "channel", "channels"])?;
    let gates_path = format!("{path}.gates");
    let gates_value = obj.get("gates").ok_or_else(|| missing(path, "gates"))?;
    let gates = array(gates_value, &gates_path)?;
    if gates.is_empty() {
        return Err(NoiseError::at(gates_path, "the list of gates is empty"));
    }
    let mut ops = Vec::with_capacity(gates.len());
    for (j, g) in gates.iter().enumerate() {
        let p = format!("{gates_path}[{j}]");
        let name = g.as_str().ok_or_else(|| expected(&p, "a gate name", g))?;
        let op = NoisyOperation::from_name(name).ok_or_else(|| {
            let hint = if name == "barrier" { " (barriers carry no noise)" } else { "" };
            NoiseError::at(
                &p,
                format!(
                    "unknown operation `{name}`{hint}: use a gate of the table (`qv gates`), \
                     `measure` or `reset`"
                ),
            )
        })?;
        ops.push((name, op));
    }
    let tuples = match obj.get("qubits") {
        Some(v) => Some(parse_tuples(v, &format!("{path}.qubits"))?),
        None => None,
    };
    if let Some(tuples) = &tuples {
        for (j, t) in tuples.iter().enumerate() {
            for (name, op) in &ops {
                if t.len() != op.num_qubits() {
                    return Err(NoiseError::at(
                        format!("{path}.qubits[{j}]"),
                        format!(
                            "`{name}` acts on {} qubit{} but {t:?} names {}",
                            op.num_qubits(),
                            plural(op.num_qubits()),
                            t.len()
                        ),
                    ));
                }
            }
        }
    }
    let specs: Vec<(String, &Value)> = match (obj.get("channel"), obj.get("channels")) {
        (Some(c), None) => vec![(format!("{path}.channel"), c)],
        (None, Some(cs)) => {
            let p = format!("{path}.channels");
            let list = array(cs, &p)?;
            if list.is_empty() {
                return Err(NoiseError::at(p, "the list of channels is empty"));
            }
            list.iter().enumerate().map(|(k, c)| (format!("{p}[{k}]"), c)).collect()
        }
        (Some(_), Some(_)) => {
            return Err(NoiseError::at(path, "give either `channel` or `channels`, not both"))
        }
        (None, None) => return Err(missing(path, "channel")),
    };
    // A channel's default width is its operation's, so it is built per width.
    for (spec_path, spec) in specs {
        let mut by_width: BTreeMap<usize, Channel> = BTreeMap::new();
        for (name, op) in &ops {
            let width = op.num_qubits();
            if let std::collections::btree_map::Entry::Vacant(e) = by_width.entry(width) {
                e.insert(parse_channel(spec, &spec_path, width)?);
            }
            let channel = by_width[&width].clone();
            let added = match &tuples {
                None => model.add_all_qubit_error(channel, &[name]),
                Some(tuples) => {
                    tuples.iter().try_for_each(|t| model.add_error(channel.clone(), &[name], t))
                }
            };
            added.map_err(|e| e.with_path(&spec_path))?;
        }
    }
    Ok(())
}

fn parse_readout(
    model: &mut NoiseModel,
    entry: &Value,
    i: usize,
    seen: &mut BTreeMap<Option<usize>, usize>,
) -> Result<()> {
    let path = format!("readout[{i}]");
    let obj = object(entry, &path)?;
    check_keys(obj, &path, &["qubits", "matrix"])?;
    let mpath = format!("{path}.matrix");
    let rows = array(obj.get("matrix").ok_or_else(|| missing(&path, "matrix"))?, &mpath)?;
    if rows.len() != 2 {
        return Err(NoiseError::at(&mpath, format!("expected 2 rows, found {}", rows.len())));
    }
    let mut matrix = [[0.0; 2]; 2];
    for (r, row) in rows.iter().enumerate() {
        let rp = format!("{mpath}[{r}]");
        let entries = array(row, &rp)?;
        if entries.len() != 2 {
            return Err(NoiseError::at(
                &rp,
                format!("expected 2 entries, found {}", entries.len()),
            ));
        }
        for (c, v) in entries.iter().enumerate() {
            matrix[r][c] = number(v, &format!("{rp}[{c}]"))?;
        }
    }
    let error = ReadoutError::new(matrix)
        .map_err(|e| NoiseError::at(format!("{mpath}{}", e.path), e.message))?;
    let mut claim = |key: Option<usize>, p: &str| match seen.insert(key, i) {
        Some(first) => Err(NoiseError::at(
            p,
            match key {
                Some(q) => format!("qubit {q} already has a readout error (readout[{first}])"),
                None => format!("the all-qubit readout error is already given (readout[{first}])"),
            },
        )),
        None => Ok(()),
    };
    match obj.get("qubits") {
        None => {
            claim(None, &path)?;
            model.set_all_qubit_readout_error(error);
        }
        Some(v) => {
            let qp = format!("{path}.qubits");
            for (j, q) in array(v, &qp)?.iter().enumerate() {
                let p = format!("{qp}[{j}]");
                let q = index(q, &p)?;
                claim(Some(q), &p)?;
                model.set_readout_error(error, q);
            }
        }
    }
    Ok(())
}

/// `[[0, 1], 2]`: lists of qubits, a bare integer meaning a 1-qubit tuple.
fn parse_tuples(v: &Value, path: &str) -> Result<Vec<Vec<usize>>> {
    let list = array(v, path)?;
    if list.is_empty() {
        return Err(NoiseError::at(
            path,
            "the list of qubits is empty (leave `qubits` out for all qubits)",
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (j, t) in list.iter().enumerate() {
        let p = format!("{path}[{j}]");
        let tuple = match t {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(k, q)| index(q, &format!("{p}[{k}]")))
                .collect::<Result<Vec<usize>>>()?,
            _ => vec![index(t, &p)?],
        };
        if let Some(q) = tuple.iter().enumerate().find(|(k, q)| tuple[..*k].contains(q)) {
            return Err(NoiseError::at(&p, format!("qubit {} appears twice in {tuple:?}", q.1)));
        }
        out.push(tuple);
    }
    Ok(out)
}

/// One channel object; `width` is the operation's width (the default for depolarizing).
fn parse_channel(v: &Value, path: &str, width: usize) -> Result<Channel> {
    let obj = object(v, path)?;
    let kind_value = obj.get("type").ok_or_else(|| missing(path, "type"))?;
    let kind = kind_value
        .as_str()
        .ok_or_else(|| expected(&format!("{path}.type"), "a string", kind_value))?;
    let num = |name: &str| -> Result<f64> {
        number(obj.get(name).ok_or_else(|| missing(path, name))?, &format!("{path}.{name}"))
    };
    let opt = |name: &str, default: f64| -> Result<f64> {
        obj.get(name).map_or(Ok(default), |v| number(v, &format!("{path}.{name}")))
    };
    let at = |e: NoiseError| e.with_path(path);
    let channel = match kind {
        "depolarizing" => {
            check_keys(obj, path, &["type", "p", "num_qubits"])?;
            let k = match obj.get("num_qubits") {
                Some(v) => index(v, &format!("{path}.num_qubits"))?,
                None => width,
            };
            Channel::depolarizing(num("p")?, k).map_err(at)?
        }
        "amplitude_damping" => {
            check_keys(obj, path, &["type", "gamma", "excited_population"])?;
            Channel::amplitude_damping(num("gamma")?, opt("excited_population", 0.0)?).map_err(at)?
        }
        "phase_damping" => {
            check_keys(obj, path, &["type", "lambda"])?;
            Channel::phase_damping(num("lambda")?).map_err(at)?
        }
        "phase_amplitude_damping" => {
            check_keys(obj, path, &["type", "gamma", "lambda", "excited_population"])?;
            Channel::phase_amplitude_damping(num("gamma")?, num("lambda")?, opt("excited_population", 0.0)?)
                .map_err(at)?
        }
        "thermal_relaxation" => {
            check_keys(obj, path, &["type", "t1", "t2", "time", "excited_population"])?;
            Channel::thermal_relaxation(
                num("t1")?,
                num("t2")?,
                num("time")?,
                opt("excited_population", 0.0)?,
            )
            .map_err(at)?
        }
        "reset" => {
            check_keys(obj, path, &["type", "p0", "p1"])?;
            Channel::reset(opt("p0", 0.0)?, opt("p1", 0.0)?).map_err(at)?
        }
        "pauli" => {
            check_keys(obj, path, &["type", "probabilities"])?;
            let pp = format!("{path}.probabilities");
            let probs = obj.get("probabilities").ok_or_else(|| missing(path, "probabilities"))?;
            let map = object(probs, &pp)?;
            let terms = map
                .iter()
                .map(|(label, p)| Ok((label.clone(), number(p, &format!("{pp}.{label}"))?)))
                .collect::<Result<Vec<_>>>()?;
            Channel::pauli(&terms).map_err(|e| e.with_path(&pp))?
        }
        "kraus" => {
            check_keys(obj, path, &["type", "operators"])?;
            let op_path = format!("{path}.operators");
            let ops = array(obj.get("operators").ok_or_else(|| missing(path, "operators"))?, &op_path)?;
            let mats = ops
                .iter()
                .enumerate()
                .map(|(i, m)| complex_matrix(m, &format!("{op_path}[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            Channel::kraus(mats).map_err(|e| e.with_path(&op_path))?
        }
        "unitary" => {
            check_keys(obj, path, &["type", "matrix"])?;
            let mp = format!("{path}.matrix");
            let m = complex_matrix(obj.get("matrix").ok_or_else(|| missing(path, "matrix"))?, &mp)?;
            Channel::unitary(m).map_err(|e| e.with_path(&mp))?
        }
        other => {
            return Err(NoiseError::at(
                format!("{path}.type"),
                format!(
                    "unknown channel type `{other}` (known: depolarizing, pauli, amplitude_damping, \
                     phase_damping, phase_amplitude_damping, thermal_relaxation, reset, kraus, unitary)"
                ),
            ))
        }
    };
    Ok(channel)
}

/// A square matrix as a list of rows; an entry is a number or `[re, im]`.
fn complex_matrix(v: &Value, path: &str) -> Result<Matrix> {
    let rows = array(v, path)?;
    let dim = rows.len();
    let mut data = Vec::with_capacity(dim * dim);
    for (r, row) in rows.iter().enumerate() {
        let rp = format!("{path}[{r}]");
        let entries = array(row, &rp)?;
        if entries.len() != dim {
            return Err(NoiseError::at(
                &rp,
                format!("a {dim}-row matrix needs {dim} entries per row, found {}", entries.len()),
            ));
        }
        for (c, x) in entries.iter().enumerate() {
            let p = format!("{rp}[{c}]");
            data.push(match x {
                Value::Array(parts) if parts.len() == 2 => C64::new(
                    number(&parts[0], &format!("{p}[0]"))?,
                    number(&parts[1], &format!("{p}[1]"))?,
                ),
                Value::Number(_) => C64::new(number(x, &p)?, 0.0),
                _ => return Err(expected(&p, "a number or [re, im]", x)),
            });
        }
    }
    if dim < 2 || !dim.is_power_of_two() {
        return Err(NoiseError::at(
            path,
            format!("a channel matrix must be 2^k × 2^k, found {dim}×{dim}"),
        ));
    }
    Ok(Matrix::from_vec(dim, data))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn describe(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

fn expected(path: &str, what: &str, found: &Value) -> NoiseError {
    NoiseError::at(path, format!("expected {what}, found {}", describe(found)))
}

fn missing(path: &str, field: &str) -> NoiseError {
    NoiseError::at(path, format!("missing field `{field}`"))
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| expected(path, "an object", v))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| expected(path, "a list", v))
}

fn number(v: &Value, path: &str) -> Result<f64> {
    v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| expected(path, "a number", v))
}

fn index(v: &Value, path: &str) -> Result<usize> {
    v.as_u64()
        .and_then(|q| usize::try_from(q).ok())
        .ok_or_else(|| expected(path, "a non-negative integer", v))
}

fn check_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(NoiseError::at(
            path,
            format!("unknown field `{k}` (expected one of: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate;

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn full_example_parses() {
        let m = parse(
            r#"{
              "description": "example",
              "errors": [
                {"gates": ["h", "x"], "channel": {"type": "depolarizing", "p": 0.01}},
                {"gates": ["cx"], "qubits": [[0, 1]], "channels": [
                  {"type": "depolarizing", "p": 0.02},
                  {"type": "thermal_relaxation", "t1": 50, "t2": 70, "time": 0.3}
                ]},
                {"gates": ["measure"], "qubits": [2], "channel": {"type": "pauli", "probabilities": {"X": 0.05}}},
                {"gates": ["reset"], "channel": {"type": "kraus", "operators": [[[1, 0], [0, 0]], [[0, 1], [0, 0]]]}}
              ],
              "readout": [{"matrix": [[0.98, 0.02], [0.05, 0.95]]}, {"qubits": [3], "matrix": [[1, 0], [0.1, 0.9]]}]
            }"#,
        )
        .unwrap();
        let cx = NoisyOperation::Gate(StandardGate::Cx);
        // depolarizing(2q) once, thermal relaxation on each of the two qubits.
        assert_eq!(m.errors_for(cx, &[0, 1]).len(), 3);
        assert!(m.errors_for(cx, &[1, 0]).is_empty());
        assert_eq!(m.errors_for(NoisyOperation::Gate(StandardGate::H), &[5]).len(), 1);
        assert_eq!(m.errors_for(NoisyOperation::Measure, &[2]).len(), 1);
        assert_eq!(m.readout_error(3).unwrap().matrix(), [[1.0, 0.0], [0.1, 0.9]]);
        assert_eq!(m.readout_error(0).unwrap().matrix(), [[0.98, 0.02], [0.05, 0.95]]);
    }

    #[test]
    fn errors_name_the_json_path() {
        assert_eq!(
            err(
                r#"{"errors": [{"gates": ["x"], "channel": {"type": "thermal_relaxation", "t1": 10, "t2": 30, "time": 1}}]}"#
            ),
            "noise model: errors[0].channel: `t2` (30) must be at most 2·t1 (20): a qubit cannot \
             dephase slower than its relaxation allows"
        );
        assert_eq!(
            err(
                r#"{"errors": [{"gates": ["x", "cnot2"], "channel": {"type": "phase_damping", "lambda": 0.1}}]}"#
            ),
            "noise model: errors[0].gates[1]: unknown operation `cnot2`: use a gate of the table \
             (`qv gates`), `measure` or `reset`"
        );
        assert_eq!(
            err(
                r#"{"errors": [{"gates": ["x"], "channel": {"type": "depolarizing", "p": "0.1"}}]}"#
            ),
            "noise model: errors[0].channel.p: expected a number, found \"0.1\""
        );
        assert_eq!(
            err(
                r#"{"errors": [{"gates": ["cx"], "qubits": [[0, 1], [2]], "channel": {"type": "depolarizing", "p": 0.1}}]}"#
            ),
            "noise model: errors[0].qubits[1]: `cx` acts on 2 qubits but [2] names 1"
        );
        assert_eq!(
            err(
                r#"{"errors": [{"gates": ["h"], "channels": [{"type": "phase_damping", "lambda": 0.1}, {"type": "kraus", "operators": [[[1, 0], [0, 0.5]]]}]}]}"#
            ),
            "noise model: errors[0].channels[1].operators: Kraus operators are not trace \
             preserving: Σ K†K differs from the identity by 7.500e-1 (tolerance 1e-9)"
        );
        assert_eq!(
            err(r#"{"readout": [{"qubits": [1], "matrix": [[0.9, 0.1], [0.3, 0.6]]}]}"#),
            "noise model: readout[0].matrix[1]: row 1 (outcome 1) sums to 0.8999999999999999, not \
             1: row i holds the probabilities of recording 0 and 1 when the outcome is i"
        );
        assert_eq!(
            err(
                r#"{"readout": [{"qubits": [1], "matrix": [[1, 0], [0, 1]]}, {"qubits": [2, 1], "matrix": [[1, 0], [0, 1]]}]}"#
            ),
            "noise model: readout[1].qubits[1]: qubit 1 already has a readout error (readout[0])"
        );
        assert_eq!(
            err(r#"{"errors": [], "noise": 1}"#),
            "noise model: (top level): unknown field `noise` (expected one of: description, \
             version, errors, readout)"
        );
        assert_eq!(
            err("{\"errors\": [\n  {\"gates\": [\"x\"],}\n]}"),
            "noise model: line 2 column 19: invalid JSON: trailing comma"
        );
        assert_eq!(
            err(r#"{"errors": [{"gates": ["x"], "channel": {"type": "bitflip", "p": 0.1}}]}"#),
            "noise model: errors[0].channel.type: unknown channel type `bitflip` (known: \
             depolarizing, pauli, amplitude_damping, phase_damping, phase_amplitude_damping, \
             thermal_relaxation, reset, kraus, unitary)"
        );
    }

    #[test]
    fn depolarizing_width_follows_each_gate() {
        let m = parse(
            r#"{"errors": [{"gates": ["x", "cz"], "channel": {"type": "depolarizing", "p": 0.1}}]}"#,
        )
        .unwrap();
        let cz = m.errors_for(NoisyOperation::Gate(StandardGate::Cz), &[0, 1]);
        assert_eq!(cz.len(), 1);
        assert_eq!(cz[0].channel.num_qubits(), 2);
        let x = m.errors_for(NoisyOperation::Gate(StandardGate::X), &[0]);
        assert_eq!(x[0].channel.num_qubits(), 1);
    }
}
