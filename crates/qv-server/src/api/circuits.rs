//! Routes: `/gates` (the gate table, for the web composer's palette) and
//! `/circuits/parse` (OpenQASM 2 → a flat JSON circuit and a text drawing,
//! or the parse errors with positions).

use axum::extract::State;
use axum::Json;
use qv_circuit::draw::{draw_text, format_angle};
use qv_circuit::gates::{table, GateDef};
use qv_circuit::qasm2::{self, ParseOptions};
use qv_circuit::{Circuit, GateRef, Operation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::auth::Principal;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest source text `/circuits/parse` accepts (characters are bytes here).
pub const MAX_PARSE_SOURCE: usize = 1 << 20;
/// Most operations returned; larger circuits come back with `truncated`.
pub const MAX_PARSE_OPERATIONS: usize = 10_000;
/// Circuits with more operations than this are not drawn (the drawing would
/// be unreadable and costly).
pub const MAX_DRAW_OPERATIONS: usize = 2_000;
/// Parse work limit for this endpoint (smaller than job submission's: this
/// is an editor aid, called on every pause in typing).
const MAX_PARSE_WORK: usize = 1 << 20;

/// The circuit routes (relative to `/api/v1`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_gates)).routes(routes!(parse))
}

/// One gate of the table.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateInfo {
    /// Canonical OpenQASM name (`h`, `cx`, `rz`, ...).
    pub name: String,
    /// Other accepted names.
    pub aliases: Vec<String>,
    /// Number of qubit arguments (controls first).
    pub num_qubits: usize,
    /// Parameter names, in order.
    pub params: Vec<String>,
    /// One line of help.
    pub help: String,
    /// Palette group: `single`, `rotation`, `controlled`, `two-qubit`,
    /// `multi-qubit` or `native` (vendor native gates).
    pub category: String,
    /// Whether `qelib1.inc` defines it (other table gates are extensions).
    pub in_qelib1: bool,
}

/// `GET /gates` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateList {
    pub gates: Vec<GateInfo>,
}

/// `POST /circuits/parse` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParseRequest {
    /// OpenQASM 2.0 program text.
    pub source: String,
}

/// A register: `size` bits starting at flat index `start`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterInfo {
    pub name: String,
    pub size: usize,
    pub start: usize,
}

/// `if (creg == value)` on an operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionInfo {
    /// Register name.
    pub creg: String,
    pub value: u64,
}

/// One operation of the flattened circuit (custom gates expanded).
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationInfo {
    /// `gate`, `measure`, `reset` or `barrier`.
    pub kind: String,
    /// Gate name for `gate`; the kind otherwise.
    pub name: String,
    /// Parameter values in radians.
    pub params: Vec<f64>,
    /// Parameters formatted for display (`π/2`, `0.3`).
    pub params_display: Vec<String>,
    /// Flat qubit indices (controls first).
    pub qubits: Vec<usize>,
    /// Flat classical bit indices (measure).
    pub clbits: Vec<usize>,
    pub condition: Option<ConditionInfo>,
    /// 1-based source line of the statement, when known.
    pub line: Option<u32>,
}

/// A parse error's position (1-based; 0 when it has none) and message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParseErrorInfo {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// `POST /circuits/parse` answer: `ok` says which fields are present.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParseResponse {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_qubits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_clbits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qregs: Option<Vec<RegisterInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cregs: Option<Vec<RegisterInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<OperationInfo>>,
    /// Whether `operations` was cut at the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// Text diagram; absent for very large circuits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ParseErrorInfo>>,
}

fn category(def: &GateDef) -> &'static str {
    let vendor = ["IonQ", "Google", "IBM"].iter().any(|v| def.help.contains(v));
    if vendor {
        "native"
    } else if def.num_qubits == 1 {
        if def.params.is_empty() {
            "single"
        } else {
            "rotation"
        }
    } else if def.help.to_lowercase().contains("controlled") || def.name == "cx" {
        "controlled"
    } else if def.num_qubits == 2 {
        "two-qubit"
    } else {
        "multi-qubit"
    }
}

/// The gate table (public: it holds no user data).
#[utoipa::path(get, path = "/api/v1/gates", tag = "circuits",
    responses((status = 200, description = "Every gate of the table", body = GateList)))]
pub async fn list_gates() -> Json<GateList> {
    let gates = table()
        .iter()
        .map(|d| GateInfo {
            name: d.name.to_string(),
            aliases: d.aliases.iter().map(|a| a.to_string()).collect(),
            num_qubits: d.num_qubits,
            params: d.params.iter().map(|p| p.to_string()).collect(),
            help: d.help.to_string(),
            category: category(d).to_string(),
            in_qelib1: d.in_qelib1,
        })
        .collect();
    Json(GateList { gates })
}

/// Parses OpenQASM 2; a program with errors is a 200 with `ok: false`.
#[utoipa::path(post, path = "/api/v1/circuits/parse", tag = "circuits",
    request_body = ParseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The circuit, or its parse errors", body = ParseResponse),
        (status = 413, description = "Source too long", body = ErrorBody),
    ))]
pub async fn parse(
    State(state): State<AppState>,
    _principal: Principal,
    Json(req): Json<ParseRequest>,
) -> Result<Json<ParseResponse>, ApiError> {
    if req.source.len() > MAX_PARSE_SOURCE {
        return Err(ApiError::too_large(format!(
            "the source is {} bytes; at most {MAX_PARSE_SOURCE} are accepted",
            req.source.len()
        )));
    }
    // Expansion recurses per nesting level: a big-stack thread, not tokio's.
    let response = state.services.jobs.on_big_stack(move || parse_source(&req.source)).await?;
    Ok(Json(response))
}

/// The work of `/circuits/parse`, without HTTP.
pub fn parse_source(source: &str) -> ParseResponse {
    // The same nesting limit as a submission, so the editor shows its error.
    let options = ParseOptions {
        max_operations: MAX_PARSE_WORK,
        max_gate_nesting: crate::exec::MAX_GATE_NESTING,
        ..ParseOptions::default()
    };
    let circuit = match qasm2::parse_with(source, "program", &options) {
        Ok(c) => c,
        Err(e) => return failed(e.line, e.col, e.message),
    };
    let flat = match circuit.flatten() {
        Ok(f) => f,
        Err(e) => return failed(0, 0, e.to_string()),
    };
    let instructions = flat.instructions();
    let truncated = instructions.len() > MAX_PARSE_OPERATIONS;
    let operations = instructions
        .iter()
        .take(MAX_PARSE_OPERATIONS)
        .enumerate()
        .map(|(i, inst)| operation_info(&flat, i, inst))
        .collect();
    let drawing = (instructions.len() <= MAX_DRAW_OPERATIONS).then(|| draw_text(&flat));
    let regs = |rs: &[qv_circuit::Register]| {
        rs.iter()
            .map(|r| RegisterInfo { name: r.name.clone(), size: r.size, start: r.start })
            .collect()
    };
    ParseResponse {
        ok: true,
        num_qubits: Some(flat.num_qubits()),
        num_clbits: Some(flat.num_clbits()),
        qregs: Some(regs(flat.qregs())),
        cregs: Some(regs(flat.cregs())),
        operations: Some(operations),
        truncated: Some(truncated),
        drawing,
        errors: None,
    }
}

fn failed(line: usize, column: usize, message: String) -> ParseResponse {
    ParseResponse {
        ok: false,
        num_qubits: None,
        num_clbits: None,
        qregs: None,
        cregs: None,
        operations: None,
        truncated: None,
        drawing: None,
        errors: Some(vec![ParseErrorInfo { line, column, message }]),
    }
}

fn operation_info(c: &Circuit, index: usize, inst: &qv_circuit::Instruction) -> OperationInfo {
    let (kind, name, params) = match &inst.op {
        Operation::Gate { gate, params } => {
            // Flattened circuits only hold table gates with constant parameters.
            let values: Vec<f64> =
                params.iter().map(|p| p.eval_const().unwrap_or(f64::NAN)).collect();
            let name = match gate {
                GateRef::Standard(g) => g.name().to_string(),
                GateRef::Custom(_) => c.gate_name(*gate).to_string(),
            };
            ("gate", name, values)
        }
        Operation::Measure => ("measure", "measure".to_string(), vec![]),
        Operation::Reset => ("reset", "reset".to_string(), vec![]),
        Operation::Barrier => ("barrier", "barrier".to_string(), vec![]),
    };
    OperationInfo {
        kind: kind.to_string(),
        name,
        params_display: params.iter().map(|&x| format_angle(x)).collect(),
        params: params.iter().map(|&x| if x.is_finite() { x } else { 0.0 }).collect(),
        qubits: inst.qubits.clone(),
        clbits: inst.clbits.clone(),
        condition: inst.condition.map(|cond| ConditionInfo {
            creg: c.cregs().get(cond.creg).map(|r| r.name.clone()).unwrap_or_default(),
            value: cond.value,
        }),
        line: c.position(index).map(|p| p.line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bell_parses_to_flat_operations() {
        let r = parse_source(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n",
        );
        assert!(r.ok);
        assert_eq!(r.num_qubits, Some(2));
        let ops = r.operations.unwrap();
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["h", "cx", "measure", "measure"]);
        assert_eq!(ops[1].qubits, [0, 1]);
        assert_eq!(ops[3].clbits, [1]);
        assert_eq!(ops[1].line, Some(6));
        assert!(r.drawing.unwrap().contains("q_0"));
    }

    #[test]
    fn custom_gates_are_expanded_and_params_formatted() {
        let r = parse_source(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g(a) x { rz(a) x; }\nqreg q[1];\ng(pi/2) q[0];\n",
        );
        let ops = r.operations.unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].name, "rz");
        assert_eq!(ops[0].params_display, ["π/2"]);
        assert!((ops[0].params[0] - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    }

    #[test]
    fn errors_carry_positions() {
        let r = parse_source("OPENQASM 2.0;\nqreg q[1];\nh q[0]\n");
        assert!(!r.ok);
        let e = &r.errors.unwrap()[0];
        assert!(e.line >= 3, "{e:?}");
        assert!(e.column >= 1);
        assert!(!e.message.is_empty());
    }

    #[test]
    fn gate_categories_cover_the_table() {
        let by_name = |n: &str| category(table().iter().find(|d| d.name == n).unwrap());
        assert_eq!(by_name("h"), "single");
        assert_eq!(by_name("rx"), "rotation");
        assert_eq!(by_name("cx"), "controlled");
        assert_eq!(by_name("swap"), "two-qubit");
        assert_eq!(by_name("ccx"), "controlled");
        assert_eq!(by_name("ms"), "native");
    }
}
