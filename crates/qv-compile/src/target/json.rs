//! The JSON target format.
//!
//! ```json
//! {
//!   "name": "my_device",
//!   "description": "five qubits on a line",
//!   "num_qubits": 5,
//!   "basis_gates": ["cx", "rz", "sx", "x"],
//!   "coupling_map": [[0, 1], [1, 2], [2, 3], [3, 4]],
//!   "directed": false,
//!   "qubit_properties": [{"readout_error": 0.012, "t1": 1.1e-4, "t2": 9.0e-5}, ...],
//!   "gate_properties": [{"gate": "cx", "qubits": [0, 1], "error": 0.008, "duration": 3.2e-7}, ...]
//! }
//! ```
//!
//! `name`, `num_qubits` and `basis_gates` are required. `coupling_map` lists
//! coupled pairs; leaving it out means all-to-all, `[]` means no couplings.
//! With `"directed": true` each pair allows two-qubit gates only in the
//! listed direction. `qubit_properties` (one object per qubit) and
//! `gate_properties` are optional calibration data; every field inside them
//! is optional. Times are in seconds, errors are probabilities. Unknown fields
//! are rejected so that typos do not pass silently.
//!
//! The parser walks a [`serde_json::Value`] by hand so each error names the
//! file and the exact field, e.g. `dev.json: field `coupling_map[3][1]`:
//! qubit 7 is out of range (num_qubits is 5)`.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::{CouplingMap, GateProperties, QubitProperties, Target};
use crate::error::CompileError;

/// Reads and parses a target file.
pub fn from_file(path: &Path) -> Result<Target, CompileError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CompileError::TargetFile {
        path: origin.clone(),
        message: format!("cannot read the target file: {e}"),
    })?;
    from_str(&text, &origin)
}

/// Parses target JSON; `origin` names the source in errors.
pub fn from_str(text: &str, origin: &str) -> Result<Target, CompileError> {
    let fail = |message: String| CompileError::TargetFile { path: origin.to_string(), message };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        fail(format!(
            "line {} column {}: invalid JSON: {}",
            e.line(),
            e.column(),
            strip_position(&e)
        ))
    })?;
    parse(&value).map_err(fail)
}

/// serde_json appends " at line L column C"; the position is reported first instead.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn parse(value: &Value) -> Result<Target, String> {
    let obj = value.as_object().ok_or("the top level must be a JSON object")?;
    const KNOWN: [&str; 8] = [
        "name",
        "description",
        "num_qubits",
        "basis_gates",
        "coupling_map",
        "directed",
        "qubit_properties",
        "gate_properties",
    ];
    reject_unknown(obj, &KNOWN, "")?;
    let name = required(obj, "name")?.as_str().ok_or("field `name`: expected a string")?;
    let description = match obj.get("description") {
        None | Some(Value::Null) => "",
        Some(v) => v.as_str().ok_or("field `description`: expected a string")?,
    };
    let num_qubits = as_index(required(obj, "num_qubits")?, "num_qubits")?;
    let gate_list = required(obj, "basis_gates")?
        .as_array()
        .ok_or("field `basis_gates`: expected an array of gate names")?;
    let mut names = Vec::with_capacity(gate_list.len());
    for (i, g) in gate_list.iter().enumerate() {
        names.push(
            g.as_str().ok_or_else(|| format!("field `basis_gates[{i}]`: expected a string"))?,
        );
    }
    let basis = Target::gates_by_name(&names).map_err(|e| format!("field `basis_gates`: {e}"))?;
    let directed = match obj.get("directed") {
        None | Some(Value::Null) => false,
        Some(v) => v.as_bool().ok_or("field `directed`: expected true or false")?,
    };
    let coupling = match obj.get("coupling_map") {
        None | Some(Value::Null) => CouplingMap::full(num_qubits),
        Some(v) => CouplingMap::new(num_qubits, &parse_edges(v, num_qubits)?, directed),
    }
    .map_err(|e| format!("field `coupling_map`: {e}"))?;
    let mut target = Target::new(name, &basis, coupling)
        .map_err(|e| e.to_string())?
        .with_description(description);
    if let Some(v) = obj.get("qubit_properties").filter(|v| !v.is_null()) {
        let props = parse_qubit_properties(v, num_qubits)?;
        target = target.with_qubit_properties(props).map_err(|e| e.to_string())?;
    }
    if let Some(v) = obj.get("gate_properties").filter(|v| !v.is_null()) {
        let props = parse_gate_properties(v)?;
        target = target.with_gate_properties(props).map_err(|e| e.to_string())?;
    }
    Ok(target)
}

fn required<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a Value, String> {
    obj.get(field).ok_or_else(|| format!("missing required field `{field}`"))
}

fn reject_unknown(obj: &Map<String, Value>, known: &[&str], prefix: &str) -> Result<(), String> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => {
            Err(format!("unknown field `{prefix}{k}` (expected one of: {})", known.join(", ")))
        }
        None => Ok(()),
    }
}

fn as_index(v: &Value, field: &str) -> Result<usize, String> {
    v.as_u64()
        .and_then(|x| usize::try_from(x).ok())
        .ok_or_else(|| format!("field `{field}`: expected a non-negative integer, got {v}"))
}

fn as_number(v: &Value, field: &str) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        _ => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: expected a number, got {v}")),
    }
}

fn parse_edges(v: &Value, num_qubits: usize) -> Result<Vec<(usize, usize)>, String> {
    let list = v.as_array().ok_or("field `coupling_map`: expected an array of [a, b] pairs")?;
    let mut edges = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let pair = e
            .as_array()
            .filter(|p| p.len() == 2)
            .ok_or_else(|| format!("field `coupling_map[{i}]`: expected a pair [a, b], got {e}"))?;
        let mut qs = [0usize; 2];
        for (j, q) in pair.iter().enumerate() {
            let field = format!("coupling_map[{i}][{j}]");
            qs[j] = as_index(q, &field)?;
            if qs[j] >= num_qubits {
                return Err(format!(
                    "field `{field}`: qubit {} is out of range (num_qubits is {num_qubits})",
                    qs[j]
                ));
            }
        }
        edges.push((qs[0], qs[1]));
    }
    Ok(edges)
}

fn parse_qubit_properties(v: &Value, num_qubits: usize) -> Result<Vec<QubitProperties>, String> {
    let list = v.as_array().ok_or("field `qubit_properties`: expected an array")?;
    if list.len() != num_qubits {
        return Err(format!(
            "field `qubit_properties`: expected {num_qubits} entries (one per qubit), got {}",
            list.len()
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (q, item) in list.iter().enumerate() {
        let prefix = format!("qubit_properties[{q}].");
        let obj = item
            .as_object()
            .ok_or_else(|| format!("field `qubit_properties[{q}]`: expected an object"))?;
        reject_unknown(obj, &["readout_error", "t1", "t2"], &prefix)?;
        let get = |f: &str| obj.get(f).map_or(Ok(None), |v| as_number(v, &format!("{prefix}{f}")));
        out.push(QubitProperties {
            readout_error: get("readout_error")?,
            t1: get("t1")?,
            t2: get("t2")?,
        });
    }
    Ok(out)
}

fn parse_gate_properties(v: &Value) -> Result<Vec<GateProperties>, String> {
    let list = v.as_array().ok_or("field `gate_properties`: expected an array")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let prefix = format!("gate_properties[{i}]");
        let obj =
            item.as_object().ok_or_else(|| format!("field `{prefix}`: expected an object"))?;
        reject_unknown(obj, &["gate", "qubits", "error", "duration"], &format!("{prefix}."))?;
        let name = obj
            .get("gate")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("field `{prefix}.gate`: expected a gate name"))?;
        let gate =
            Target::gates_by_name(&[name]).map_err(|e| format!("field `{prefix}.gate`: {e}"))?[0];
        let qubits = obj
            .get("qubits")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("field `{prefix}.qubits`: expected an array of qubit indices"))?
            .iter()
            .enumerate()
            .map(|(j, q)| as_index(q, &format!("{prefix}.qubits[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let num = |f: &str| obj.get(f).map_or(Ok(None), |v| as_number(v, &format!("{prefix}.{f}")));
        out.push(GateProperties { gate, qubits, error: num("error")?, duration: num("duration")? });
    }
    Ok(out)
}

/// The JSON document of a target, fields in the documented order.
#[derive(serde::Serialize)]
struct TargetDoc<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    num_qubits: usize,
    basis_gates: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coupling_map: Option<Vec<[usize; 2]>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    directed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    qubit_properties: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gate_properties: Vec<Value>,
}

/// The target in the JSON format as one line of text, fields in the
/// documented order (all-to-all maps omit `coupling_map`).
pub fn to_json(target: &Target) -> String {
    serde_json::to_string(&document(target)).unwrap_or_default()
}

/// The target in the JSON format as a value (object keys sorted).
pub fn to_value(target: &Target) -> Value {
    serde_json::to_value(document(target)).unwrap_or(Value::Null)
}

fn document(target: &Target) -> TargetDoc<'_> {
    let map = target.coupling_map();
    TargetDoc {
        name: target.name(),
        description: target.description(),
        num_qubits: target.num_qubits(),
        basis_gates: target.basis_gates().iter().map(|g| g.name()).collect(),
        coupling_map: (!map.is_all_to_all() || map.num_qubits() == 1)
            .then(|| map.edges().iter().map(|&(a, b)| [a, b]).collect()),
        directed: map.is_directed(),
        qubit_properties: target
            .qubit_properties()
            .iter()
            .map(|p| json!({"readout_error": p.readout_error, "t1": p.t1, "t2": p.t2}))
            .collect(),
        gate_properties: target
            .gate_properties()
            .iter()
            .map(|p| {
                json!({"gate": p.gate.name(), "qubits": p.qubits, "error": p.error, "duration": p.duration})
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qv_circuit::StandardGate;

    fn err(text: &str) -> String {
        from_str(text, "dev.json").unwrap_err().to_string()
    }

    #[test]
    fn parses_a_full_target_and_round_trips() {
        let text = r#"{
            "name": "dev", "description": "three on a line", "num_qubits": 3,
            "basis_gates": ["cx", "rz", "sx"], "coupling_map": [[0, 1], [2, 1]], "directed": true,
            "qubit_properties": [{"readout_error": 0.01}, {"t1": 1e-4, "t2": 5e-5}, {}],
            "gate_properties": [{"gate": "cx", "qubits": [2, 1], "error": 0.02, "duration": 3e-7}]
        }"#;
        let t = from_str(text, "dev.json").unwrap();
        assert_eq!(t.name(), "dev");
        assert_eq!(t.num_qubits(), 3);
        assert!(t.allows(2, 1) && !t.allows(1, 2));
        assert_eq!(t.readout_error(0), Some(0.01));
        assert_eq!(t.gate_error(StandardGate::Cx, &[2, 1]), Some(0.02));
        let again = from_str(&to_value(&t).to_string(), "again").unwrap();
        assert_eq!(again.coupling_map().edges(), t.coupling_map().edges());
        assert_eq!(again.basis_gates(), t.basis_gates());
        assert_eq!(again.gate_properties(), t.gate_properties());
        assert_eq!(again.qubit_properties(), t.qubit_properties());
    }

    #[test]
    fn missing_coupling_map_means_all_to_all() {
        let t =
            from_str(r#"{"name":"ions","num_qubits":4,"basis_gates":["rxx","rz"]}"#, "x").unwrap();
        assert!(t.coupling_map().is_all_to_all());
        assert_eq!(t.coupling_map().num_couplings(), 6);
    }

    #[test]
    fn errors_name_file_and_field() {
        assert_eq!(
            err(r#"{"name":"d","basis_gates":["cx"]}"#),
            "dev.json: missing required field `num_qubits`"
        );
        assert_eq!(
            err(r#"{"name":"d","num_qubits":2,"basis_gates":["cx"],"coupling_map":[[0,1],[1,5]]}"#),
            "dev.json: field `coupling_map[1][1]`: qubit 5 is out of range (num_qubits is 2)"
        );
        assert_eq!(
            err(r#"{"name":"d","num_qubits":2,"basis_gates":["cx","frob"]}"#),
            "dev.json: field `basis_gates`: gate `frob` is not in the gate table (see `qv gates`)"
        );
        assert_eq!(
            err(r#"{"name":"d","num_qubits":-2,"basis_gates":["cx"]}"#),
            "dev.json: field `num_qubits`: expected a non-negative integer, got -2"
        );
        assert_eq!(
            err(r#"{"name":"d","num_qubits":2,"basis_gates":["cx"],"coupling":[]}"#),
            "dev.json: unknown field `coupling` (expected one of: name, description, num_qubits, \
             basis_gates, coupling_map, directed, qubit_properties, gate_properties)"
        );
        assert_eq!(
            err("{\n  \"name\": \"d\",\n}"),
            "dev.json: line 3 column 1: invalid JSON: trailing comma"
        );
        assert_eq!(
            err(r#"{"name":"d","num_qubits":2,"basis_gates":["cx"],
                "gate_properties":[{"gate":"cx","qubits":[0,1],"error":"big"}]}"#),
            "dev.json: field `gate_properties[0].error`: expected a number, got \"big\""
        );
        assert!(from_file(Path::new("/nonexistent/dev.json"))
            .unwrap_err()
            .to_string()
            .starts_with("/nonexistent/dev.json: cannot read the target file:"));
    }
}
