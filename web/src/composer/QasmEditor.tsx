// OpenQASM 2 text editor: CodeMirror 6 with a small stream highlighter and
// the server's parse errors as inline diagnostics.
import { useEffect, useRef } from 'react';
import { useTheme } from '@mui/material';
import { Annotation, Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { tags as t } from '@lezer/highlight';
import { errorOffset, type ModelError } from './model';

const KEYWORDS = new Set(['OPENQASM', 'include', 'qreg', 'creg', 'gate', 'opaque', 'measure', 'reset', 'barrier', 'if']);

const qasm = StreamLanguage.define<{ inComment: boolean }>({
  startState: () => ({ inComment: false }),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^"[^"]*"?/)) return 'string';
    if (stream.match(/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/)) return 'number';
    if (stream.match(/^->/)) return 'operator';
    const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
    if (word) {
      if (KEYWORDS.has(word[0])) return 'keyword';
      if (word[0] === 'pi') return 'atom';
      if (stream.match(/^\s*\[/, false)) return 'variableName';
      return 'function';
    }
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//' } },
});

const lightColors = { keyword: '#7a1fa2', fn: '#0b5cad', num: '#a64100', str: '#0f6b3a', comment: '#5c6670', atom: '#a64100', reg: '#1f2937' };
const darkColors = { keyword: '#e3a6ff', fn: '#8cc8ff', num: '#ffb37a', str: '#8fe3a8', comment: '#9aa5b1', atom: '#ffb37a', reg: '#e5e7eb' };

function highlight(dark: boolean) {
  const c = dark ? darkColors : lightColors;
  return syntaxHighlighting(
    HighlightStyle.define([
      { tag: t.keyword, color: c.keyword, fontWeight: '600' },
      { tag: t.function(t.variableName), color: c.fn },
      { tag: t.number, color: c.num },
      { tag: t.atom, color: c.atom },
      { tag: t.string, color: c.str },
      { tag: t.comment, color: c.comment, fontStyle: 'italic' },
      { tag: t.variableName, color: c.reg },
    ]),
  );
}

const external = Annotation.define<boolean>();

interface Props {
  value: string;
  onChange: (text: string) => void;
  errors: ModelError[];
}

export default function QasmEditor({ value, onChange, errors }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const themeSlot = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const muiTheme = useTheme();
  const dark = muiTheme.palette.mode === 'dark';

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          highlightActiveLine(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          qasm,
          lintGutter(),
          themeSlot.current.of([]),
          EditorView.contentAttributes.of({ 'aria-label': 'OpenQASM source', 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((tr) => tr.annotation(external))) {
              onChangeRef.current(u.state.doc.toString());
            }
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: themeSlot.current.reconfigure([
        highlight(dark),
        EditorView.theme(
          {
            '&': { backgroundColor: muiTheme.palette.background.paper, color: muiTheme.palette.text.primary, fontSize: '14px' },
            '.cm-gutters': { backgroundColor: muiTheme.palette.action.hover, color: muiTheme.palette.text.secondary, border: 'none' },
            '.cm-activeLine': { backgroundColor: muiTheme.palette.action.hover },
            '.cm-content': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', caretColor: muiTheme.palette.text.primary },
            '&.cm-focused': { outline: `2px solid ${muiTheme.palette.primary.main}` },
          },
          { dark },
        ),
      ]),
    });
  }, [dark, muiTheme]);

  // Text replaced from outside (a visual edit) without echoing it back.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value }, annotations: external.of(true) });
    }
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc.toString();
    const diags: Diagnostic[] = errors.map((e) => ({ ...errorOffset(doc, e.line, e.column), severity: 'error', message: e.message }));
    v.dispatch(setDiagnostics(v.state, diags));
  }, [errors, value]);

  return <div ref={host} data-testid="qasm-editor" style={{ border: `1px solid ${muiTheme.palette.divider}`, borderRadius: 4, minHeight: 240 }} />;
}
