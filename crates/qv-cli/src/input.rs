//! Reading a circuit from a file or, for `-`, from standard input, and a
//! noise model from a JSON file.

use std::io::Read;
use std::path::Path;

use qv_circuit::qasm2::{self, ParseOptions};
use qv_circuit::Circuit;

use crate::error::CliError;

/// The name errors use for standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Parses the OpenQASM 2 program at `file` (`-`: standard input). Includes
/// resolve relative to the file's directory, or the current one for stdin.
pub fn load(file: &str) -> Result<Circuit, CliError> {
    if file != "-" {
        return Ok(qasm2::parse_file(Path::new(file))?);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Input(format!("{STDIN_NAME}: cannot read standard input: {e}")))?;
    let source = String::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "{STDIN_NAME}: the input is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let options = ParseOptions { include_files: true, ..ParseOptions::default() };
    Ok(qasm2::parse_with(&source, STDIN_NAME, &options)?)
}

/// Reads the noise model at `path`; errors name the file and the JSON path.
pub fn load_noise(path: &Path) -> Result<std::sync::Arc<qv_sim::NoiseModel>, CliError> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("{name}: cannot read the noise model: {e}")))?;
    match qv_sim::NoiseModel::from_json(&text) {
        Ok(model) => Ok(std::sync::Arc::new(model)),
        Err(qv_sim::SimError::Noise(e)) if !e.path.is_empty() => {
            Err(CliError::Input(format!("{name}: {}: {}", e.path, e.message)))
        }
        Err(e) => Err(CliError::Input(format!("{name}: {e}"))),
    }
}
