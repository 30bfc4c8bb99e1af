//! Reading a few keys out of a TOML document with memory bounded by what is kept.
//!
//! `toml` builds the whole document as values before anything is looked at: an inline table
//! costs hundreds of bytes for its six bytes of input, so a 4 MiB document of `{a=1},` takes
//! about a gigabyte. This walks the document one statement at a time instead (a table header
//! or a key-value pair, up to the next newline outside brackets): each statement is lexed and
//! parsed by `toml_parser` (the lexer and parser `toml` is built on), every key and scalar is
//! decoded, and so validated, and the caller hears of each table header and of each scalar
//! that is not inside an array, with its whole key path. Memory is the tokens of one
//! statement (at most [`MAX_STATEMENT_TOKENS`]), the current key path and what the caller
//! keeps. Not checked here: keys or tables defined twice (the callers refuse a key they keep
//! defined twice).

use toml_parser::{
    ErrorSink, ParseError, Source, Span,
    decoder::{Encoding, ScalarKind},
    lexer::{Token, TokenKind},
    parser::{EventReceiver, RecursionGuard, ValidateWhitespace, parse_document},
};

/// Most tokens in one statement (a `Cargo.toml` or `Cargo.lock` statement has a few hundred).
pub const MAX_STATEMENT_TOKENS: usize = 1 << 16;
/// Deepest nesting of arrays and inline tables.
const MAX_DEPTH: u32 = 32;

/// What the walk tells its caller.
#[derive(Debug)]
pub enum Event<'a> {
    /// A `[table]` header (`array: false`) or an `[[array.of.tables]]` one.
    Table { path: &'a [String], array: bool },
    /// A scalar outside arrays at `path`; `text` is a string's decoded value, or the raw
    /// text of another scalar (`kind` says which).
    Scalar { path: &'a [String], kind: ScalarKind, text: &'a str },
}

/// Walks `text`, handing every [`Event`] to `visit`; the first error `visit` returns ends
/// the walk. A document that is not TOML is refused with `syntax("line N: why")`.
pub fn walk<E>(
    text: &str,
    mut visit: impl FnMut(Event<'_>) -> Result<(), E>,
    syntax: impl Fn(String) -> E,
) -> Result<(), E> {
    let mut walker = Walker { path: Vec::new(), header: None, frames: Vec::new(), base: 0, arrays: 0 };
    let (mut start, mut depth, mut count) = (0, 0usize, 0);
    for token in Source::new(text).lex() {
        count += 1;
        match token.kind() {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
        if count > MAX_STATEMENT_TOKENS {
            let why = format!("a statement of more than {MAX_STATEMENT_TOKENS} tokens; this is not what cargo writes");
            return Err(syntax(format!("line {}: {why}", line_of(text, start))));
        }
        let end = token.span().end();
        if (token.kind() == TokenKind::Newline && depth == 0) || token.kind() == TokenKind::Eof {
            let statement = &text[start..end];
            walker.statement(statement, &mut visit).map_err(|failure| match failure {
                Failure::Visit(e) => e,
                Failure::Syntax(at, why) => syntax(format!("line {}: {why}", line_of(text, start + at))),
            })?;
            (start, count) = (end, 0);
        }
    }
    Ok(())
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

enum Failure<E> {
    Visit(E),
    /// An offset in the statement, and why.
    Syntax(usize, String),
}

/// The state kept from one statement to the next.
struct Walker {
    /// The key path of what is being read: the table header's keys, then the keys of the
    /// key-value pair and of the inline tables it is in.
    path: Vec<String>,
    /// Inside a table header: whether it is an array of tables.
    header: Option<bool>,
    /// For each open inline table, the length of `path` at its opening.
    frames: Vec<usize>,
    /// The length of the current table header's path.
    base: usize,
    /// How many arrays are open.
    arrays: usize,
}

impl Walker {
    fn statement<E>(
        &mut self,
        statement: &str,
        visit: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), Failure<E>> {
        let source = Source::new(statement);
        let tokens: Vec<Token> = source.lex().collect();
        self.frames.clear();
        self.arrays = 0;
        self.path.truncate(self.base);
        let mut receiver = Receiver { walker: self, source, visit, scratch: String::new(), failure: None };
        let mut error: Option<ParseError> = None;
        {
            let mut checked = ValidateWhitespace::new(&mut receiver, source);
            let mut guarded = RecursionGuard::new(&mut checked, MAX_DEPTH);
            parse_document(&tokens, &mut guarded, &mut error);
        }
        if let Some(failure) = receiver.failure {
            return Err(failure);
        }
        match error {
            Some(e) => {
                let at = e.unexpected().or(e.context()).map_or(0, |s| s.start());
                Err(Failure::Syntax(at, e.description().to_owned()))
            }
            None => Ok(()),
        }
    }
}

struct Receiver<'w, 's, 'v, V, E> {
    walker: &'w mut Walker,
    source: Source<'s>,
    visit: &'v mut V,
    scratch: String,
    failure: Option<Failure<E>>,
}

impl<V, E> Receiver<'_, '_, '_, V, E>
where
    V: FnMut(Event<'_>) -> Result<(), E>,
{
    fn raw(&self, span: Span, encoding: Option<Encoding>) -> toml_parser::Raw<'_> {
        let text = self.source.input().get(span.start()..span.end()).unwrap_or_default();
        toml_parser::Raw::new_unchecked(text, encoding, span)
    }

    fn emit(&mut self, event: impl for<'a> FnOnce(&'a [String], &'a str) -> Event<'a>) {
        if self.failure.is_none()
            && let Err(e) = (self.visit)(event(&self.walker.path, &self.scratch))
        {
            self.failure = Some(Failure::Visit(e));
        }
    }

    /// A value has been read: its keys leave the path.
    fn value_done(&mut self) {
        let base = self.walker.frames.last().copied().unwrap_or(self.walker.base);
        self.walker.path.truncate(base);
    }

    fn header_done(&mut self) {
        let array = self.walker.header.take().unwrap_or_default();
        self.walker.base = self.walker.path.len();
        self.emit(|path, _| Event::Table { path, array });
    }
}

impl<V, E> EventReceiver for Receiver<'_, '_, '_, V, E>
where
    V: FnMut(Event<'_>) -> Result<(), E>,
{
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.walker.header = Some(false);
        self.walker.path.clear();
    }
    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_done();
    }
    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.walker.header = Some(true);
        self.walker.path.clear();
    }
    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.header_done();
    }
    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.walker.frames.push(self.walker.path.len());
        true
    }
    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.walker.frames.pop();
        self.value_done();
    }
    fn array_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.walker.arrays += 1;
        true
    }
    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.walker.arrays = self.walker.arrays.saturating_sub(1);
        self.value_done();
    }
    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        let mut key = String::new();
        self.raw(span, encoding).decode_key(&mut key, error);
        self.walker.path.push(key);
    }
    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        let kind = self.raw(span, encoding).decode_scalar(&mut text, error);
        self.scratch = text;
        if self.walker.arrays == 0 {
            self.emit(|path, text| Event::Scalar { path, kind, text });
        }
        self.value_done();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<String>, String> {
        let mut seen = Vec::new();
        walk(
            text,
            |event| {
                seen.push(match event {
                    Event::Table { path, array } => format!("{}{}", if array { "[[]]" } else { "[]" }, path.join(".")),
                    Event::Scalar { path, text, .. } => format!("{}={text}", path.join(".")),
                });
                Ok::<_, String>(())
            },
            |e| e,
        )?;
        Ok(seen)
    }

    #[test]
    fn reports_scalars_with_their_whole_path() {
        let doc = "a = 1\n[package]\nname = \"x\\u0041\"\n'ver'.\"sion\" = '1'\nlist = [1, {z = 2}]\n\
                   t = { u = { v = true }, w = [\n 3,\n ] , s = \"after\" }\n[[p.q]]\nk = 2\n";
        assert_eq!(
            events(doc).unwrap(),
            [
                "a=1",
                "[]package",
                "package.name=xA",
                "package.ver.sion=1",
                "package.t.u.v=true",
                "package.t.s=after",
                "[[]]p.q",
                "p.q.k=2"
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_toml_with_its_line() {
        assert_eq!(events("a = 1\nb = \"\\q\"\n").unwrap_err(), "line 2: missing escaped value");
        assert!(events("a = 1\n[b\n").unwrap_err().starts_with("line 2: "));
        assert!(events("a = 1 b = 2\n").is_err());
        assert!(events("a = [1,\n2\n").is_err());
        assert!(events("a = 01\n").is_err());
        let deep = format!("a = {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(events(&deep).is_err());
    }

    #[test]
    fn refuses_a_statement_of_too_many_tokens() {
        let long = format!("a = [{}]\n", "{a=1},".repeat(MAX_STATEMENT_TOKENS / 6 + 1));
        assert!(events(&long).unwrap_err().contains("more than 65536 tokens"));
        // As many tokens in many statements are fine.
        let many = "a = {b=1}\n".repeat(MAX_STATEMENT_TOKENS);
        assert!(events(&many).is_ok());
    }
}
