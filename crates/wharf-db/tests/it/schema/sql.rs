//! Just enough of a SQL tokenizer to read CHECK clauses, defaults and index predicates as
//! either engine prints them.

/// A token of SQL text; words are lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Str(String),
    Number(String),
    Punct(String),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Token::Word(s) | Token::Number(s) | Token::Punct(s) => f.write_str(s),
        }
    }
}

/// Splits SQL text into tokens, skipping comments (a table's CREATE statement keeps them).
pub(super) fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && at(i + 1) == Some('-') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            i += 2;
            while at(i).is_some() && !(at(i) == Some('*') && at(i + 1) == Some('/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' {
            // A string, or a quoted identifier; a doubled quote stands for itself.
            let mut text = String::new();
            i += 1;
            while let Some(d) = at(i) {
                i += 1;
                if d == c && at(i) == Some(c) {
                    i += 1;
                } else if d == c {
                    break;
                }
                text.push(d);
            }
            out.push(if c == '\'' { Token::Str(text) } else { Token::Word(text.to_lowercase()) });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while at(i).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect::<String>().to_lowercase()));
        } else if c.is_ascii_digit() {
            let start = i;
            while at(i).is_some_and(|d| d.is_ascii_digit() || d == '.') {
                i += 1;
            }
            out.push(Token::Number(chars[start..i].iter().collect()));
        } else if c == ':' && at(i + 1) == Some(':') {
            out.push(Token::Punct("::".into()));
            i += 2;
        } else {
            out.push(Token::Punct(c.to_string()));
            i += 1;
        }
    }
    out
}

/// An expression written the same way whichever engine printed it: without casts
/// (`'x'::text`) and parentheses, words lower-cased; `default` also writes booleans as 0/1.
pub(super) fn render(tokens: &[Token], default: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut tokens = tokens.iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Punct(p) if p == "::" => {
                tokens.next();
            }
            Token::Punct(p) if p == "(" || p == ")" => {}
            Token::Word(w) if default && w == "true" => out.push("1".into()),
            Token::Word(w) if default && w == "false" => out.push("0".into()),
            other => out.push(other.to_string()),
        }
    }
    out.join(" ")
}
