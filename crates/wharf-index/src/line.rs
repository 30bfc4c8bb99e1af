//! Index lines, read only as far as Wharf needs: the rest of each line is passed on
//! byte for byte, so fields this crate does not know (`rust_version`, `pubtime`, …) survive.

use serde::Deserialize;

/// The fields of an index line Wharf looks at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexLine {
    pub name: String,
    pub vers: String,
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
    /// When it was published (`YYYY-MM-DDThh:mm:ssZ`), when the registry says.
    #[serde(default)]
    pub pubtime: Option<String>,
}

/// The index file with only the lines `keep` accepts, each kept byte for byte (lines that
/// are not index lines go too); `None` when no line is left.
pub fn retain(body: &[u8], mut keep: impl FnMut(&IndexLine) -> bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    for (line, parsed) in lines(body) {
        if keep(&parsed) {
            out.extend_from_slice(line.trim_ascii_end());
            out.push(b'\n');
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Each line of an index file that is an index line, with what it says; lines that do not
/// parse are skipped (cargo skips them too).
pub fn lines(body: &[u8]) -> impl Iterator<Item = (&[u8], IndexLine)> {
    body.split(|b| *b == b'\n')
        // Only a JSON object is an index line: serde would also read a struct from an array
        // (`["a","1.0.0","…"]`), and such a line must not count as a version. Found by fuzzing.
        .filter(|l| l.trim_ascii_start().starts_with(b"{"))
        .filter_map(|l| serde_json::from_slice::<IndexLine>(l).ok().map(|parsed| (l, parsed)))
}

/// The index file with the lines of `versions` marked yanked (a version held back from new
/// resolution while locked builds still find it). A marked line is changed as data: read
/// as a JSON object (its fields in their order), `yanked` set to `true` in place or added
/// last, and written back compactly, so it parses strictly whatever the saved line's
/// spacing, key order or escapes, and says what it said before except `yanked`. Every
/// other line is kept byte for byte.
pub fn mark_yanked(body: &[u8], versions: &std::collections::HashSet<String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16 * versions.len());
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let parsed =
            line.trim_ascii_start().starts_with(b"{").then(|| serde_json::from_slice::<IndexLine>(line).ok()).flatten();
        let marked = match parsed {
            Some(parsed) if versions.contains(&parsed.vers) && !parsed.yanked => set_yanked(line, true).ok(),
            _ => None,
        };
        match marked {
            Some(marked) => {
                out.extend_from_slice(&marked);
                // A line that ended in `\r` keeps its ending.
                if line.ends_with(b"\r") {
                    out.push(b'\r');
                }
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// `line` (one JSON object) with `yanked` set, written compactly: its fields keep their
/// order (`yanked` stays where it was, or comes last), the rest says what it said. The one
/// way Wharf changes an index line (marks, and yanks of its own versions).
pub fn set_yanked(line: &[u8], yanked: bool) -> Result<Vec<u8>, serde_json::Error> {
    let Fields(mut fields) = serde_json::from_slice(line)?;
    match fields.iter_mut().find(|(key, _)| key == "yanked") {
        Some((_, value)) => *value = serde_json::Value::Bool(yanked),
        None => fields.push(("yanked".to_owned(), serde_json::Value::Bool(yanked))),
    }
    serde_json::to_vec(&Fields(fields))
}

/// A JSON object's fields in the order written. A key written twice keeps its first place
/// and its last value (what serde's own maps keep), so the result never repeats a key.
struct Fields(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields: Vec<(String, serde_json::Value)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    match fields.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, old)) => *old = value,
                        None => fields.push((key, value)),
                    }
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `text` as strict JSON: one value, with no object (at any depth) naming a key twice;
/// the value, or what is wrong. Served index lines must pass it (tests and fuzzing check).
pub fn strict_json(text: &[u8]) -> Result<serde_json::Value, String> {
    struct Strict(serde_json::Value);
    impl<'de> serde::Deserialize<'de> for Strict {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(StrictVisit).map(Strict)
        }
    }
    struct StrictVisit;
    impl<'de> serde::de::Visitor<'de> for StrictVisit {
        type Value = serde_json::Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(v.into())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(serde_json::Value::Null)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(serde_json::Value::Array(items))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut object = serde_json::Map::new();
            while let Some((key, Strict(value))) = map.next_entry::<String, Strict>()? {
                if object.insert(key.clone(), value).is_some() {
                    return Err(serde::de::Error::custom(format!("the key {key:?} is written twice")));
                }
            }
            Ok(serde_json::Value::Object(object))
        }
    }
    serde_json::from_slice::<Strict>(text).map(|s| s.0).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_keeps_their_bytes() {
        let body = b"{\"name\":\"a\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"ab\",\"rust_version\":\"1.60\"}\n\nnot json\n{\"name\":\"a\",\"vers\":\"1.1.0\",\"deps\":[],\"cksum\":\"cd\",\"yanked\":true}";
        let got: Vec<_> = lines(body).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.vers, "1.0.0");
        assert!(got[0].0.ends_with(b"\"rust_version\":\"1.60\"}"));
        assert!(got[1].1.yanked);
    }

    #[test]
    fn retain_keeps_the_chosen_lines_byte_for_byte() {
        let body = b"{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\",\"pubtime\":\"2026-01-01T00:00:00Z\"}\n{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}";
        let kept = retain(body, |l| l.vers == "2.0.0").unwrap();
        assert_eq!(kept, b"{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}\n");
        assert_eq!(lines(body).next().unwrap().1.pubtime.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert!(retain(body, |_| false).is_none());
    }

    #[test]
    fn marked_versions_read_as_yanked_and_the_rest_is_untouched() {
        let body = "{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\",\"yanked\":false}\n{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}\n{\"name\":\"a\",\"vers\":\"3.0.0\",\"cksum\":\"ef\"}\n";
        let set: std::collections::HashSet<String> = ["1.0.0".to_owned(), "2.0.0".to_owned()].into();
        let marked = mark_yanked(body.as_bytes(), &set);
        let got: Vec<_> = lines(&marked).map(|(_, l)| (l.vers, l.yanked)).collect();
        assert_eq!(got, [("1.0.0".into(), true), ("2.0.0".into(), true), ("3.0.0".into(), false)]);
        assert!(String::from_utf8(marked).unwrap().ends_with("{\"name\":\"a\",\"vers\":\"3.0.0\",\"cksum\":\"ef\"}\n"));
    }

    #[test]
    fn arrays_are_not_index_lines() {
        assert_eq!(lines(br#"["a","1.0.0","ab"]"#).count(), 0);
        assert_eq!(lines(b" \t{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\"}\r").count(), 1);
    }

    #[test]
    fn spaced_and_reordered_lines_are_marked_as_data() {
        let spaced = r#"{"vers": "2.1.0", "name": "a", "yanked": false, "cksum": "ab", "deps": [ ], "features": {"x": ["\u0062"]}}"#;
        let set: std::collections::HashSet<String> = ["2.1.0".to_owned()].into();
        let marked = mark_yanked(spaced.as_bytes(), &set);
        let value = strict_json(&marked).unwrap();
        assert_eq!(value["yanked"], true);
        let mut before = strict_json(spaced.as_bytes()).unwrap();
        before["yanked"] = true.into();
        assert_eq!(value, before, "only `yanked` changed");
        // The fields keep their order: `yanked` stays where it was.
        let text = String::from_utf8(marked).unwrap();
        assert!(text.starts_with(r#"{"vers":"2.1.0","name":"a","yanked":true,"cksum""#), "{text}");
    }

    #[test]
    fn a_key_written_twice_is_served_once() {
        let twice =
            r#"{"name":"a","vers":"1.0.0","cksum":"ab","rust_version":"1.60","yanked":false,"rust_version":"1.70"}"#;
        let set: std::collections::HashSet<String> = ["1.0.0".to_owned()].into();
        let marked = mark_yanked(twice.as_bytes(), &set);
        let served = strict_json(&marked).unwrap();
        assert_eq!((served["yanked"].clone(), served["rust_version"].clone()), (true.into(), "1.70".into()));
        assert!(strict_json(twice.as_bytes()).is_err());
    }
}
