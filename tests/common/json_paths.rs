//! JSON pointers to every leaf of a value, for tests that replace one field at a time.

use serde_json::Value;

/// The JSON pointer (`/a/0/b`) of every leaf of `value` (strings only when `strings_only`).
pub fn leaf_pointers(value: &Value, strings_only: bool) -> Vec<String> {
    fn walk(value: &Value, path: String, strings_only: bool, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map
                .iter()
                .for_each(|(k, v)| walk(v, format!("{path}/{k}"), strings_only, out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, format!("{path}/{i}"), strings_only, out)),
            Value::String(_) => out.push(path),
            _ if !strings_only => out.push(path),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), strings_only, &mut out);
    out
}
