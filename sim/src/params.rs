//! Request parameters: the query string for reads, and JSON or form-encoded bodies (merged
//! over the query string, as Grape does) for writes, with Grape's type checks.

use crate::error::ApiError;
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Decoded `key=value` pairs of a query string, in order.
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// Grape's Boolean coercion.
fn parse_bool(name: &str, value: &Value) -> Result<bool, ApiError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" | "on" => Ok(true),
            "false" | "f" | "0" | "no" | "n" | "off" => Ok(false),
            _ => Err(ApiError::invalid_param(name)),
        },
        _ => Err(ApiError::invalid_param(name)),
    }
}

/// Query-string parameters of a request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    /// The first value of a parameter.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter (400 `"<key> is invalid"` when it is not one).
    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| parse_bool(key, &Value::String(v.to_string())))
            .transpose()
    }

    /// An integer parameter (400 when it is not one).
    pub(crate) fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        self.get(key)
            .map(|v| v.trim().parse().map_err(|_| ApiError::invalid_param(key)))
            .transpose()
    }
}

/// Parameters of a write request: the body (JSON object or form-encoded) over the query.
#[derive(Clone, Debug, Default)]
pub(crate) struct Body(Map<String, Value>);

impl Body {
    /// Parses a body by content type; the query string fills in keys the body lacks.
    pub(crate) fn parse(
        content_type: Option<&str>,
        bytes: &[u8],
        query: &Query,
    ) -> Result<Body, ApiError> {
        let mut map = Map::new();
        for (k, v) in &query.0 {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        let is_json = content_type.is_some_and(|c| c.contains("json"));
        if is_json && !bytes.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(obj)) => map.extend(obj),
                _ => {
                    return Err(ApiError::message(
                        StatusCode::BAD_REQUEST,
                        "400 Bad request - Invalid JSON body",
                    ));
                }
            }
        } else if !bytes.is_empty() {
            for (k, v) in url::form_urlencoded::parse(bytes) {
                map.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
        Ok(Body(map))
    }

    /// A string parameter (numbers are accepted as strings; `null` counts as absent).
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::invalid_param(key)),
        }
    }

    /// A boolean parameter.
    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse_bool(key, v).map(Some),
        }
    }

    /// An array of `{key, value}` objects (`custom_headers`, `url_variables`).
    pub(crate) fn key_values(&self, name: &str) -> Result<Option<Vec<(String, String)>>, ApiError> {
        let Some(value) = self.0.get(name) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(ApiError::invalid_param(name));
        };
        items
            .iter()
            .map(|item| {
                let key = item.get("key").and_then(Value::as_str);
                let value = item.get("value").and_then(Value::as_str);
                match (key, value) {
                    (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
                    (None, _) => Err(ApiError::error(
                        StatusCode::BAD_REQUEST,
                        format!("{name}[key] is missing"),
                    )),
                    (_, None) => Err(ApiError::error(
                        StatusCode::BAD_REQUEST,
                        format!("{name}[value] is missing"),
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_form_bodies_merge_over_the_query() {
        let q = Query(parse_query(Some(
            "url=https%3A%2F%2Fa.example&push_events=false",
        )));
        let json = Body::parse(
            Some("application/json"),
            br#"{"push_events": true, "token": "s"}"#,
            &q,
        )
        .unwrap();
        assert_eq!(json.flag("push_events").unwrap(), Some(true));
        assert_eq!(
            json.string("url").unwrap().as_deref(),
            Some("https://a.example")
        );
        let form = Body::parse(
            Some("application/x-www-form-urlencoded"),
            b"push_events=0&token=x%20y",
            &q,
        )
        .unwrap();
        assert_eq!(form.flag("push_events").unwrap(), Some(false));
        assert_eq!(form.string("token").unwrap().as_deref(), Some("x y"));
        assert!(Body::parse(Some("application/json"), b"[1]", &q).is_err());
        assert!(form.flag("token").is_err(), "a non-boolean is rejected");
        assert_eq!(q.flag("push_events").unwrap(), Some(false));
        assert!(Query(parse_query(Some("page=x"))).number("page").is_err());
    }
}
