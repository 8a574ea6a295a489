//! The OpenQASM 2 lexer: source text to tokens with 1-based line and column.
//!
//! Tokens follow Qiskit's `qasm2` lexer (non-strict mode): identifiers start
//! with a lowercase letter (the only capitalised words are `OPENQASM` and the
//! built-in gates `U` and `CX`), integers have no leading zeros, reals may be
//! written `1.`, `.5`, `1e-3`, strings use `"` or `'`, and the only comments
//! are `//` to the end of the line (`/* */` is rejected with a clear message,
//! since it is not OpenQASM 2). Columns count characters, not bytes. The lexer
//! is lazy with one token of look-ahead, so memory stays proportional to the
//! source.

use super::error::{clip, Qasm2Error};

/// Reserved words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    OpenQasm,
    Include,
    Qreg,
    Creg,
    Gate,
    Opaque,
    Measure,
    Reset,
    Barrier,
    If,
    Pi,
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Keyword> {
        Some(match word {
            "OPENQASM" => Keyword::OpenQasm,
            "include" => Keyword::Include,
            "qreg" => Keyword::Qreg,
            "creg" => Keyword::Creg,
            "gate" => Keyword::Gate,
            "opaque" => Keyword::Opaque,
            "measure" => Keyword::Measure,
            "reset" => Keyword::Reset,
            "barrier" => Keyword::Barrier,
            "if" => Keyword::If,
            "pi" => Keyword::Pi,
            "sin" => Keyword::Sin,
            "cos" => Keyword::Cos,
            "tan" => Keyword::Tan,
            "exp" => Keyword::Exp,
            "ln" => Keyword::Ln,
            "sqrt" => Keyword::Sqrt,
            _ => return None,
        })
    }

    /// The word as written.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Keyword::OpenQasm => "OPENQASM",
            Keyword::Include => "include",
            Keyword::Qreg => "qreg",
            Keyword::Creg => "creg",
            Keyword::Gate => "gate",
            Keyword::Opaque => "opaque",
            Keyword::Measure => "measure",
            Keyword::Reset => "reset",
            Keyword::Barrier => "barrier",
            Keyword::If => "if",
            Keyword::Pi => "pi",
            Keyword::Sin => "sin",
            Keyword::Cos => "cos",
            Keyword::Tan => "tan",
            Keyword::Exp => "exp",
            Keyword::Ln => "ln",
            Keyword::Sqrt => "sqrt",
        }
    }
}

/// True for words that cannot be used as identifiers (used by the exporter).
pub(crate) fn is_reserved_word(word: &str) -> bool {
    Keyword::from_word(word).is_some()
}

/// Punctuation and operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sym {
    Semicolon,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Arrow,
    EqEq,
}

impl Sym {
    /// The symbol as written.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Sym::Semicolon => ";",
            Sym::Comma => ",",
            Sym::LParen => "(",
            Sym::RParen => ")",
            Sym::LBracket => "[",
            Sym::RBracket => "]",
            Sym::LBrace => "{",
            Sym::RBrace => "}",
            Sym::Plus => "+",
            Sym::Minus => "-",
            Sym::Star => "*",
            Sym::Slash => "/",
            Sym::Caret => "^",
            Sym::Arrow => "->",
            Sym::EqEq => "==",
        }
    }
}

/// What a token is; text-carrying kinds borrow from the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'s> {
    Ident(&'s str),
    Int(&'s str),
    Real(&'s str),
    /// A string literal's contents, without the quotes.
    Str(&'s str),
    Keyword(Keyword),
    Sym(Sym),
    Eof,
}

impl Tok<'_> {
    /// How the token is named in "found …" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier `{}`", clip(s)),
            Tok::Int(s) => format!("integer `{}`", clip(s)),
            Tok::Real(s) => format!("real number `{}`", clip(s)),
            Tok::Str(s) => format!("string \"{}\"", clip(s)),
            Tok::Keyword(k) => format!("keyword `{}`", k.text()),
            Tok::Sym(s) => format!("'{}'", s.text()),
            Tok::Eof => "end of file".to_string(),
        }
    }
}

/// A token and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'s> {
    pub kind: Tok<'s>,
    pub line: usize,
    pub col: usize,
}

/// A lazy lexer over one source file.
#[derive(Debug)]
pub(crate) struct Lexer<'s> {
    src: &'s str,
    file: &'s str,
    pos: usize,
    line: usize,
    col: usize,
    peeked: Option<Token<'s>>,
}

impl<'s> Lexer<'s> {
    /// A lexer at the start of `src`; `file` names it in errors.
    pub(crate) fn new(src: &'s str, file: &'s str) -> Self {
        // A UTF-8 byte-order mark (as some editors write) is not part of the program.
        let pos = if src.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Lexer { src, file, pos, line: 1, col: 1, peeked: None }
    }

    /// An error at `line:col` of this file.
    pub(crate) fn error_at(
        &self,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) -> Qasm2Error {
        Qasm2Error::new(self.file, line, col, message)
    }

    /// An error at a token.
    pub(crate) fn error(&self, tok: &Token<'_>, message: impl Into<String>) -> Qasm2Error {
        self.error_at(tok.line, tok.col, message)
    }

    /// "expected X, found Y" at `tok`.
    pub(crate) fn expected(&self, what: &str, tok: &Token<'_>) -> Qasm2Error {
        self.error(tok, format!("expected {what}, found {}", tok.kind.describe()))
    }

    /// The next token without consuming it.
    pub(crate) fn peek(&mut self) -> Result<Token<'s>, Qasm2Error> {
        match self.peeked {
            Some(t) => Ok(t),
            None => {
                let t = self.lex()?;
                self.peeked = Some(t);
                Ok(t)
            }
        }
    }

    /// Consumes and returns the next token.
    pub(crate) fn next_token(&mut self) -> Result<Token<'s>, Qasm2Error> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex(),
        }
    }

    /// Consumes the next token if it is the symbol `s`.
    pub(crate) fn accept(&mut self, s: Sym) -> Result<Option<Token<'s>>, Qasm2Error> {
        let t = self.peek()?;
        if t.kind == Tok::Sym(s) {
            self.peeked = None;
            Ok(Some(t))
        } else {
            Ok(None)
        }
    }

    /// Consumes the symbol `s` or errors with "expected 's', found …".
    pub(crate) fn expect(&mut self, s: Sym) -> Result<Token<'s>, Qasm2Error> {
        let t = self.next_token()?;
        if t.kind == Tok::Sym(s) {
            Ok(t)
        } else {
            Err(self.expected(&format!("'{}'", s.text()), &t))
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_char2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, pred: impl Fn(char) -> bool) {
        while self.peek_char().is_some_and(&pred) {
            self.bump();
        }
    }

    /// Skips whitespace and `//` comments; rejects `/*`.
    fn skip_trivia(&mut self) -> Result<(), Qasm2Error> {
        loop {
            match (self.peek_char(), self.peek_char2()) {
                (Some(' ' | '\t' | '\r' | '\n'), _) => {
                    self.bump();
                }
                (Some('/'), Some('/')) => self.bump_while(|c| c != '\n'),
                (Some('/'), Some('*')) => {
                    return Err(self.error_at(
                        self.line,
                        self.col,
                        "block comments `/* */` are not part of OpenQASM 2; use `//` comments",
                    ))
                }
                _ => return Ok(()),
            }
        }
    }

    fn lex(&mut self) -> Result<Token<'s>, Qasm2Error> {
        self.skip_trivia()?;
        let (line, col, start) = (self.line, self.col, self.pos);
        let tok = |kind| Ok(Token { kind, line, col });
        let Some(c) = self.bump() else {
            return tok(Tok::Eof);
        };
        let sym = match c {
            ';' => Sym::Semicolon,
            ',' => Sym::Comma,
            '(' => Sym::LParen,
            ')' => Sym::RParen,
            '[' => Sym::LBracket,
            ']' => Sym::RBracket,
            '{' => Sym::LBrace,
            '}' => Sym::RBrace,
            '+' => Sym::Plus,
            '*' => Sym::Star,
            '/' => Sym::Slash,
            '^' => Sym::Caret,
            '-' => {
                if self.peek_char() == Some('>') {
                    self.bump();
                    Sym::Arrow
                } else {
                    Sym::Minus
                }
            }
            '=' => {
                if self.peek_char() == Some('=') {
                    self.bump();
                    Sym::EqEq
                } else {
                    return Err(self.error_at(
                        line,
                        col,
                        "expected '==', found '=' (OpenQASM 2 has no assignment)",
                    ));
                }
            }
            '0'..='9' | '.' => {
                return self.number(start, line, col).map(|kind| Token { kind, line, col })
            }
            'a'..='z' | 'A'..='Z' => {
                return self.word(start, line, col).map(|kind| Token { kind, line, col })
            }
            '"' | '\'' => {
                return self.string(c, start, line, col).map(|kind| Token { kind, line, col })
            }
            other => {
                return Err(self.error_at(
                    line,
                    col,
                    format!("unexpected character `{}`", other.escape_debug()),
                ))
            }
        };
        tok(Tok::Sym(sym))
    }

    fn word(&mut self, start: usize, line: usize, col: usize) -> Result<Tok<'s>, Qasm2Error> {
        self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_');
        let text = &self.src[start..self.pos];
        if let Some(k) = Keyword::from_word(text) {
            return Ok(Tok::Keyword(k));
        }
        if text.starts_with(|c: char| c.is_ascii_uppercase()) && text != "U" && text != "CX" {
            return Err(self.error_at(
                line,
                col,
                format!(
                    "identifiers must start with a lowercase letter (only `U`, `CX` and `OPENQASM` \
                     are capitalised), found `{}`",
                    clip(text)
                ),
            ));
        }
        Ok(Tok::Ident(text))
    }

    /// Integers `0` or `[1-9][0-9]*`; reals `1.`, `.5`, `1.5e-3`, `1e3`.
    fn number(&mut self, start: usize, line: usize, col: usize) -> Result<Tok<'s>, Qasm2Error> {
        let first = &self.src[start..self.pos];
        let mut is_real = first == ".";
        if is_real {
            if !self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error_at(line, col, "expected a digit after '.'"));
            }
            self.bump_while(|c| c.is_ascii_digit());
        } else {
            self.bump_while(|c| c.is_ascii_digit());
            if self.peek_char() == Some('.') {
                self.bump();
                self.bump_while(|c| c.is_ascii_digit());
                is_real = true;
            }
        }
        if matches!(self.peek_char(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek_char(), Some('+' | '-')) {
                self.bump();
            }
            if !self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                let text = &self.src[start..self.pos];
                return Err(self.error_at(
                    line,
                    col,
                    format!("expected digits in the exponent of `{}`", clip(text)),
                ));
            }
            self.bump_while(|c| c.is_ascii_digit());
            is_real = true;
        }
        let text = &self.src[start..self.pos];
        if let Some(c) =
            self.peek_char().filter(|&c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(self.error_at(
                self.line,
                self.col,
                format!("unexpected `{c}` right after the number `{}`", clip(text)),
            ));
        }
        if is_real {
            Ok(Tok::Real(text))
        } else if text.len() > 1 && text.starts_with('0') {
            Err(self.error_at(
                line,
                col,
                format!("integers cannot have leading zeros: `{}`", clip(text)),
            ))
        } else {
            Ok(Tok::Int(text))
        }
    }

    fn string(
        &mut self,
        quote: char,
        start: usize,
        line: usize,
        col: usize,
    ) -> Result<Tok<'s>, Qasm2Error> {
        loop {
            match self.peek_char() {
                None | Some('\n' | '\r') => {
                    return Err(self.error_at(
                        line,
                        col,
                        "unterminated string (strings end on the same line)",
                    ))
                }
                Some(c) if c == quote => {
                    self.bump();
                    let inner_start = start + quote.len_utf8();
                    return Ok(Tok::Str(&self.src[inner_start..self.pos - quote.len_utf8()]));
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        let mut lx = Lexer::new(src, "t");
        let mut out = vec![];
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == Tok::Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn lexes_numbers_and_symbols() {
        assert_eq!(
            kinds("0 12 1. .5 1e-3 2.5E+2 -> == // comment\n;"),
            vec![
                Tok::Int("0"),
                Tok::Int("12"),
                Tok::Real("1."),
                Tok::Real(".5"),
                Tok::Real("1e-3"),
                Tok::Real("2.5E+2"),
                Tok::Sym(Sym::Arrow),
                Tok::Sym(Sym::EqEq),
                Tok::Sym(Sym::Semicolon),
            ]
        );
    }

    #[test]
    fn positions_count_characters() {
        let mut lx = Lexer::new("// é\n  \u{e9}", "t");
        let err = lx.next_token().unwrap_err();
        assert_eq!((err.line, err.col), (2, 3));
        let mut lx = Lexer::new("qreg\n\tq", "t");
        lx.next_token().unwrap();
        let t = lx.next_token().unwrap();
        assert_eq!((t.line, t.col, t.kind), (2, 2, Tok::Ident("q")));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let mut lx = Lexer::new("\u{feff}qreg", "t");
        let t = lx.next_token().unwrap();
        assert_eq!((t.line, t.col, t.kind), (1, 1, Tok::Keyword(Keyword::Qreg)));
    }

    #[test]
    fn words_and_strings() {
        assert_eq!(
            kinds("OPENQASM U CX x_1 pi 'a.inc' \"b\""),
            vec![
                Tok::Keyword(Keyword::OpenQasm),
                Tok::Ident("U"),
                Tok::Ident("CX"),
                Tok::Ident("x_1"),
                Tok::Keyword(Keyword::Pi),
                Tok::Str("a.inc"),
                Tok::Str("b"),
            ]
        );
    }
}
