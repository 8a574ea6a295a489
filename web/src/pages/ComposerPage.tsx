import { useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import {
  Accordion, AccordionDetails, AccordionSummary, Alert, Box, Button, CircularProgress, FormControl, InputLabel, MenuItem,
  Paper, Select, Stack, TextField, Typography,
} from '@mui/material';
import Composer from '../composer/Composer';
import QasmEditor from '../composer/QasmEditor';
import {
  emptyModel, fromQasm, fromServer, QasmSubsetError, toQasm, type CircuitModel, type GateSpec, type ModelError,
  type ServerOperation,
} from '../composer/model';
import { useBackendsQuery, useGatesQuery, useParseMutation, useSubmitMutation } from '../api/client';
import { rememberProgram } from '../api/session';
import { errorMessage } from '../api/types';

const DRAFT = 'qv.composer.draft';
const MAX_SHOTS_UI = 1_000_000;

export default function ComposerPage() {
  const gatesQuery = useGatesQuery();
  const backends = useBackendsQuery();
  const [parse] = useParseMutation();
  const [submit, submitState] = useSubmitMutation();
  const navigate = useNavigate();
  const location = useLocation();
  const initial = (location.state as { source?: string } | null)?.source ?? localStorage.getItem(DRAFT);

  const gates: GateSpec[] = useMemo(() => gatesQuery.data?.gates ?? [], [gatesQuery.data]);
  const table = useMemo(() => {
    const m = new Map<string, GateSpec>();
    for (const g of gatesQuery.data?.gates ?? []) {
      m.set(g.name, g);
      for (const a of g.aliases) m.set(a, g);
    }
    return m;
  }, [gatesQuery.data]);

  const [model, setModel] = useState<CircuitModel>(() => emptyModel(2, 2));
  const [source, setSource] = useState<string>(() => initial ?? toQasm(emptyModel(2, 2)));
  const [errors, setErrors] = useState<ModelError[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [drawing, setDrawing] = useState<string>('');
  const [shots, setShots] = useState(1000);
  const [backend, setBackend] = useState('auto');
  const [name, setName] = useState('');
  const [submitError, setSubmitError] = useState<string | null>(null);
  const parseSeq = useRef(0);

  // Text → model (locally when the grid can show it) and → server parse (errors, drawing).
  const fromText = (text: string, viaServer: boolean) => {
    setSource(text);
    localStorage.setItem(DRAFT, text);
    if (table.size) {
      try {
        setModel(fromQasm(text, table));
        setNote(null);
      } catch (e) {
        if (!(e instanceof QasmSubsetError)) throw e;
      }
    }
    if (viaServer) scheduleParse(text);
  };

  const timer = useRef<ReturnType<typeof setTimeout>>();
  const scheduleParse = (text: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      const seq = ++parseSeq.current;
      const r = await parse({ source: text });
      if (seq !== parseSeq.current) return;
      if ('error' in r) {
        setErrors([{ line: 0, column: 0, message: `Could not check the program: ${errorMessage(r.error)}` }]);
        return;
      }
      const p = r.data;
      setDrawing(p.drawing ?? '');
      if (!p.ok) {
        setErrors((p.errors ?? []).map((e) => ({ line: e.line, column: e.column, message: e.message })));
        return;
      }
      setErrors([]);
      if (table.size) {
        try {
          fromQasm(text, table);
        } catch {
          // Valid for the server but beyond the grid: show the flattened circuit.
          setModel(fromServer(p.num_qubits ?? 1, p.num_clbits ?? 0, (p.operations ?? []) as ServerOperation[]));
          setNote('This program uses features the grid cannot show directly (custom gates, several registers or broadcasting); it is shown flattened. Editing it visually rewrites the program.');
        }
      }
    }, 350);
  };

  useEffect(() => {
    if (table.size) fromText(source, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [table]);

  // Model → text.
  const fromGrid = (m: CircuitModel) => {
    setModel(m);
    setNote(null);
    const text = toQasm(m);
    setSource(text);
    localStorage.setItem(DRAFT, text);
    scheduleParse(text);
  };

  const run = async () => {
    setSubmitError(null);
    const r = await submit({
      program: { format: 'qasm2', source },
      shots,
      backend,
      ...(name.trim() ? { name: name.trim() } : {}),
      outputs: { probabilities: true, statevector: model.numQubits <= 10 },
    });
    if ('error' in r) {
      setSubmitError(errorMessage(r.error));
      return;
    }
    rememberProgram(r.data.id, source, shots, backend);
    navigate(`/jobs/${r.data.id}`);
  };

  const shotsInvalid = !Number.isInteger(shots) || shots < 1 || shots > MAX_SHOTS_UI;

  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">Composer</Typography>
      {gatesQuery.isError && <Alert severity="error">Could not load the gate table: {errorMessage(gatesQuery.error)}</Alert>}
      {gatesQuery.isLoading && <CircularProgress aria-label="Loading gates" />}
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', lg: 'minmax(0, 3fr) minmax(0, 2fr)' }, gap: 2 }}>
        <Composer model={model} onChange={fromGrid} gates={gates} readOnlyNote={note} />
        <Stack spacing={2}>
          <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-labelledby="qasm-heading">
            <Typography id="qasm-heading" variant="subtitle1" component="h2" gutterBottom>OpenQASM 2.0</Typography>
            <QasmEditor value={source} onChange={(t) => fromText(t, true)} errors={errors} />
            <Box aria-live="polite" sx={{ mt: 1 }}>
              {errors.length > 0 ? (
                errors.map((e, i) => (
                  <Alert key={i} severity="error" data-testid="parse-error" sx={{ mt: 0.5 }}>
                    {e.line > 0 ? `Line ${e.line}, column ${e.column}: ` : ''}{e.message}
                  </Alert>
                ))
              ) : (
                <Typography variant="body2" color="success.main">Program is valid.</Typography>
              )}
            </Box>
          </Paper>
          <Paper variant="outlined" sx={{ p: 1.5 }} component="section" aria-labelledby="run-heading">
            <Typography id="run-heading" variant="subtitle1" component="h2" gutterBottom>Run</Typography>
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1.5}>
              <FormControl size="small" sx={{ minWidth: 180 }}>
                <InputLabel id="backend-label">Backend</InputLabel>
                <Select labelId="backend-label" label="Backend" value={backend} onChange={(e) => setBackend(e.target.value)}>
                  <MenuItem value="auto">auto (best for the circuit)</MenuItem>
                  {(backends.data?.backends ?? []).map((b) => (
                    <MenuItem key={b.name} value={b.name}>{b.name} — queue {b.queue_depth}</MenuItem>
                  ))}
                </Select>
              </FormControl>
              <TextField size="small" label="Shots" type="number" value={shots} onChange={(e) => setShots(Number(e.target.value))}
                error={shotsInvalid} helperText={shotsInvalid ? `1 to ${MAX_SHOTS_UI.toLocaleString()}` : ' '} inputProps={{ min: 1, max: MAX_SHOTS_UI }} sx={{ width: 140 }} />
              <TextField size="small" label="Job name (optional)" value={name} onChange={(e) => setName(e.target.value)} />
            </Stack>
            {submitError && <Alert severity="error" role="alert" sx={{ mt: 1 }}>{submitError}</Alert>}
            <Button variant="contained" sx={{ mt: 1 }} onClick={run} disabled={submitState.isLoading || errors.length > 0 || shotsInvalid}>
              {submitState.isLoading ? 'Submitting…' : 'Run'}
            </Button>
          </Paper>
          {drawing && (
            <Accordion variant="outlined" disableGutters>
              <AccordionSummary aria-controls="drawing-content" id="drawing-header">
                <Typography component="h2" variant="subtitle1">Text drawing</Typography>
              </AccordionSummary>
              <AccordionDetails id="drawing-content">
                <Box component="pre" sx={{ fontSize: 12, overflowX: 'auto', m: 0 }}>{drawing}</Box>
              </AccordionDetails>
            </Accordion>
          )}
        </Stack>
      </Box>
    </Stack>
  );
}
