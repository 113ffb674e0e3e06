//! A JSON document that keeps its keys in the order of the file, for editing other programs'
//! config files (`~/.claude.json`, `mcp.json`, …) without reshuffling them.
//!
//! `serde_json::Value` sorts object keys unless serde_json's `preserve_order` feature is on, and
//! turning that on would change every `Value` in the binaries that link this crate. This type is
//! the few lines it takes to parse into ordered pairs and write them back, through serde_json.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// A JSON value whose objects are ordered lists of pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Doc>),
    /// An object, keys in file order.
    Object(Vec<(String, Doc)>),
}

impl Doc {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` of an object, created as `{}` at the end when missing. `None` when
    /// `self` is not an object.
    pub fn object_entry(&mut self, key: &str) -> Option<&mut Doc> {
        let Doc::Object(pairs) = self else {
            return None;
        };
        let index = match pairs.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                pairs.push((key.to_owned(), Doc::Object(Vec::new())));
                pairs.len() - 1
            }
        };
        pairs.get_mut(index).map(|(_, v)| v)
    }

    /// Sets `key` to `value`: in place when it exists (keeping its position), else at the end.
    /// Returns false when `self` is not an object.
    pub fn set(&mut self, key: &str, value: Doc) -> bool {
        let Doc::Object(pairs) = self else {
            return false;
        };
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => pairs.push((key.to_owned(), value)),
        }
        true
    }

    /// True for an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Doc::Object(_))
    }

    /// A string value.
    pub fn string(s: impl Into<String>) -> Doc {
        Doc::String(s.into())
    }

    /// The value as `serde_json::Value` (key order lost; for comparisons in tests and checks).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Pretty JSON with two-space indentation and a final newline.
    pub fn to_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Null => s.serialize_unit(),
            Doc::Bool(b) => s.serialize_bool(*b),
            Doc::Number(n) => n.serialize(s),
            Doc::String(v) => s.serialize_str(v),
            Doc::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Doc::Object(pairs) => {
                let mut map = s.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
        Ok(Doc::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
        Ok(Doc::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Doc, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Doc::Null, Doc::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
        Ok(Doc::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Doc, E> {
        Ok(Doc::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut pairs: Vec<(String, Doc)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Doc>()? {
            // A duplicate key: the last one wins, as serde_json's Value does.
            match pairs.iter_mut().find(|(key, _)| *key == k) {
                Some((_, old)) => *old = v,
                None => pairs.push((k, v)),
            }
        }
        Ok(Doc::Object(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_file_when_parsed_and_written_then_key_order_and_values_survive() {
        let text = r#"{"zeta": 1, "alpha": {"b": [true, null, 2.5], "a": "x"}, "mid": -3}"#;
        let doc: Doc = serde_json::from_str(text).unwrap();
        let out = doc.to_pretty();
        let z = out.find("zeta").unwrap();
        let a = out.find("alpha").unwrap();
        let m = out.find("mid").unwrap();
        assert!(z < a && a < m, "{out}");
        assert!(out.find("\"b\"").unwrap() < out.find("\"a\"").unwrap(), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(text).unwrap());
    }

    #[test]
    fn given_an_object_when_setting_then_existing_keys_keep_their_place() {
        let mut doc: Doc = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
        assert!(doc.set("a", Doc::string("new")));
        assert!(doc.set("c", Doc::Bool(true)));
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"a":"new","b":2,"c":true}"#
        );
        assert!(doc.object_entry("servers").unwrap().is_object());
        assert!(!Doc::Null.set("x", Doc::Null));
    }
}
