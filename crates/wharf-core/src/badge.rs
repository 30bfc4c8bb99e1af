//! The SVG badge of a crate's version, in the flat style READMEs show: a grey label and a
//! coloured value. Every text is escaped: the badge is served from Wharf's own origin.

/// What the value says, which picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Release,
    Prerelease,
    Yanked,
    Missing,
}

impl Tone {
    fn colour(self) -> &'static str {
        match self {
            Tone::Release => "#0b63ce",
            Tone::Prerelease => "#b45309",
            Tone::Yanked => "#b42318",
            Tone::Missing => "#6b7280",
        }
    }
}

/// Escapes text for SVG content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A width for `text` in 11px Verdana, near enough for a badge (narrow and wide glyphs
/// averaged per class).
fn width(text: &str) -> u32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | '|' | '!' | '\'' => 4,
            'm' | 'w' | 'M' | 'W' => 11,
            c if c.is_ascii_uppercase() => 8,
            _ => 7,
        })
        .sum();
    units + 10
}

/// The badge: `label` on the left, `value` on the right, `value` coloured by `tone`.
pub fn svg(label: &str, value: &str, tone: Tone) -> String {
    let label: String = label.chars().take(64).collect();
    let value: String = value.chars().take(64).collect();
    let (lw, vw) = (width(&label), width(&value));
    let total = lw + vw;
    let (label, value) = (escape(&label), escape(&value));
    let colour = tone.colour();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/><rect width="{total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{vx}" y="14">{value}</text></g></svg>"##,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_both_texts_escaped() {
        let badge = svg("serde", "v1.0.200", Tone::Release);
        assert!(badge.starts_with("<svg ") && badge.ends_with("</svg>"));
        assert!(badge.contains(">serde</text>") && badge.contains(">v1.0.200</text>"));
        assert!(badge.contains("#0b63ce"));
        let hostile = svg("a", "<script>alert(1)</script>\"", Tone::Missing);
        assert!(!hostile.contains("<script>") && hostile.contains("&lt;script&gt;") && hostile.contains("&quot;"));
    }
}
