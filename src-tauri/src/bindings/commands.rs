//! The commands' side of the contract, which ts-rs cannot generate (it makes types, not
//! functions): `ui/src/lib/api.ts` wraps each command by hand. This test reads both sources and
//! checks that every registered command is called there, under its name, with exactly the
//! argument keys Tauri expects (each parameter's name in camelCase), with the generated type
//! of each typed argument, and expecting the generated type of its answer.

use std::collections::BTreeMap;
use std::path::Path;

/// One command as one side sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    /// Argument key → its TypeScript type (`None` where api.ts does not say: a value computed
    /// in the wrapper). A channel's is `Channel<T>`, `T` what streams over it.
    args: BTreeMap<String, Option<String>>,
    /// The answer's TypeScript type.
    answer: String,
}

/// Parameters Tauri fills in itself: not sent by the window.
const INJECTED: [&str; 5] = [
    "State<",
    "AppHandle<",
    "WebviewWindow<",
    "Window<",
    "Webview<",
];

/// Splits `s` at top-level `sep`s (outside `()`, `<>`, `{}`, `[]`; `=>` is no bracket).
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let (mut parts, mut depth, mut from, mut prev) = (Vec::new(), 0i32, 0, ' ');
    for (i, c) in s.char_indices() {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            '>' if prev == '=' => {}
            ')' | '>' | '}' | ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&s[from..i]);
                from = i + c.len_utf8();
            }
            _ => {}
        }
        prev = c;
    }
    parts.push(&s[from..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The text after `open` (an opening bracket at `s[0]`) up to its matching `close`.
fn inside(s: &str, open: char, close: char) -> Option<&str> {
    let mut depth = 0;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close && !(c == '>' && prev == '=') {
            depth -= 1;
            if depth == 0 {
                return Some(&s[1..i]);
            }
        }
        prev = c;
    }
    None
}

/// A Rust type as the window sees it, through the generated names.
fn ts_of(rust: &str, names: &BTreeMap<String, String>) -> Option<String> {
    let rust = rust.trim();
    if let Some(inner) = rust
        .strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
    {
        return Some(format!("{} | null", ts_of(inner, names)?));
    }
    if let Some((outer, args)) = rust.split_once('<') {
        let args = split_top(args.strip_suffix('>')?, ',')
            .into_iter()
            .map(|a| ts_of(a, names))
            .collect::<Option<Vec<_>>>()?;
        return Some(format!("{}<{}>", ts_of(outer, names)?, args.join(", ")));
    }
    Some(match rust {
        "()" => "void".to_owned(),
        "String" | "&str" => "string".to_owned(),
        "bool" => "boolean".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "number".to_owned(),
        named => names.get(named)?.clone(),
    })
}

/// `camel_case` → `camelCase`, as Tauri names a command's arguments.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The commands registered in `lib.rs`, as their Rust sources declare them.
fn rust_commands(dir: &Path, names: &BTreeMap<String, String>) -> BTreeMap<String, Call> {
    let lib = std::fs::read_to_string(dir.join("lib.rs")).unwrap();
    let handler = lib.split("generate_handler![").nth(1).unwrap();
    let registered: Vec<&str> = handler[..handler.find(']').unwrap()]
        .split(',')
        .filter_map(|p| p.trim().rsplit("::").next())
        .filter(|p| !p.is_empty())
        .collect();
    let mut sources = String::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let mut commands = BTreeMap::new();
    for name in registered {
        let at = sources
            .split("#[tauri::command]")
            .skip(1)
            .find(|s| {
                let s = s.trim_start();
                ["pub fn ", "pub async fn "].iter().any(|f| {
                    s.strip_prefix(f)
                        .and_then(|s| s.strip_prefix(name))
                        .is_some_and(|s| s.starts_with(['(', '<']))
                })
            })
            .unwrap_or_else(|| panic!("no #[tauri::command] fn {name}"));
        let signature = &at[at.find(name).unwrap() + name.len()..];
        let params_at = signature.find('(').unwrap();
        let params = inside(&signature[params_at..], '(', ')').unwrap();
        let rest = &signature[params_at + params.len() + 2..];
        let answer = match rest.trim_start().strip_prefix("->") {
            Some(r) => {
                let r = r[..r.find('{').unwrap()].trim();
                match r.strip_prefix("Result<") {
                    Some(ok) => split_top(&ok[..ok.len() - 1], ',')[0].to_owned(),
                    None => r.to_owned(),
                }
            }
            None => "()".to_owned(),
        };
        let args = split_top(params, ',')
            .into_iter()
            .filter_map(|p| p.split_once(':'))
            .filter(|(_, ty)| !INJECTED.iter().any(|i| ty.trim().starts_with(i)))
            .map(|(key, ty)| {
                let ty = ty.trim();
                let ts = ts_of(ty, names).unwrap_or_else(|| panic!("{name}: {ty}?"));
                (camel(key.trim()), Some(ts))
            })
            .collect();
        let answer = ts_of(&answer, names).unwrap_or_else(|| panic!("{name} answers {answer}?"));
        commands.insert(name.to_owned(), Call { args, answer });
    }
    commands
}

/// `Channel<T>` when `value` (in `function`) is a channel: `new Channel<T>(…)` or a constant
/// made so.
fn channel(function: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let made = if value.starts_with("new Channel<") {
        value
    } else {
        let at = function.find(&format!("const {value} = new Channel<"))?;
        &function[at + format!("const {value} = ").len()..]
    };
    let made = &made["new Channel".len()..];
    Some(format!("Channel<{}>", inside(made, '<', '>')?))
}

/// The commands `api.ts` invokes, with the wrapper's parameter types for the arguments it
/// passes straight through.
fn api_calls(api: &str) -> BTreeMap<String, Call> {
    let mut calls = BTreeMap::new();
    for function in api.split("export function ").skip(1) {
        let Some(call) = function.find("invoke<") else {
            continue;
        };
        let params: BTreeMap<&str, Option<String>> = split_top(
            inside(&function[function.find('(').unwrap()..], '(', ')').unwrap(),
            ',',
        )
        .into_iter()
        .map(|p| match p.split_once(':') {
            Some((name, ty)) => (name.trim(), Some(ty.trim().to_owned())),
            None => {
                // `refresh = false`: the default's type.
                let (name, default) = p.split_once('=').unwrap_or((p, ""));
                let ty = matches!(default.trim(), "true" | "false").then(|| "boolean".to_owned());
                (name.trim(), ty)
            }
        })
        .collect();
        let call = &function[call + "invoke".len()..];
        let answer = inside(call, '<', '>').unwrap();
        let call = &call[answer.len() + 2..];
        let name = call.split('\'').nth(1).unwrap().to_owned();
        let args = match call.find('{') {
            Some(open) if open < call.find(')').unwrap_or(usize::MAX) => {
                split_top(inside(&call[open..], '{', '}').unwrap(), ',')
                    .into_iter()
                    .map(|arg| match arg.split_once(':') {
                        Some((key, value)) => (key.trim().to_owned(), channel(function, value)),
                        None => (arg.to_owned(), params.get(arg).cloned().flatten()),
                    })
                    .collect()
            }
            _ => BTreeMap::new(),
        };
        calls.insert(
            name,
            Call {
                args,
                answer: answer.trim().to_owned(),
            },
        );
    }
    calls
}

#[test]
fn api_ts_calls_every_command_with_its_arguments_and_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = super::ts_names();
    names.insert("Channel".to_owned(), "Channel".to_owned());
    let rust = rust_commands(&root.join("src"), &names);
    let api = api_calls(&std::fs::read_to_string(root.join("../ui/src/lib/api.ts")).unwrap());
    assert!(rust.len() >= 20, "{rust:?}");
    let mut wrong = Vec::new();
    for (name, expected) in &rust {
        let Some(called) = api.get(name) else {
            wrong.push(format!("{name}: not called in api.ts"));
            continue;
        };
        if called.answer != expected.answer {
            wrong.push(format!(
                "{name}: answers {}, api.ts expects {}",
                expected.answer, called.answer
            ));
        }
        let keys = |c: &Call| c.args.keys().cloned().collect::<Vec<_>>();
        if keys(called) != keys(expected) {
            wrong.push(format!(
                "{name}: takes {:?}, api.ts sends {:?}",
                keys(expected),
                keys(called)
            ));
        }
        for (key, ty) in &expected.args {
            if let (Some(ty), Some(Some(sent))) = (ty, called.args.get(key))
                && ty != sent
            {
                wrong.push(format!("{name}: {key} is {ty}, api.ts sends {sent}"));
            }
        }
    }
    for name in api.keys().filter(|n| !rust.contains_key(*n)) {
        wrong.push(format!(
            "{name}: api.ts calls it, the app registers no such command"
        ));
    }
    assert!(
        wrong.is_empty(),
        "api.ts and the commands disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn api_calls_reads_names_keys_types_and_answers() {
    let api = "export function a(url: string, f: (p: RunProgress<X>) => void, refresh = false): Promise<Y | null> {\n  return invoke<Y | null>('cmd_a', { url, refresh, onProgress: new Channel<P>(f) });\n}\nexport function b(): Promise<void> {\n  return invoke<void>('cmd_b');\n}\n";
    let calls = api_calls(api);
    assert_eq!(
        calls["cmd_a"],
        Call {
            args: BTreeMap::from([
                ("onProgress".to_owned(), Some("Channel<P>".to_owned())),
                ("refresh".to_owned(), Some("boolean".to_owned())),
                ("url".to_owned(), Some("string".to_owned())),
            ]),
            answer: "Y | null".to_owned(),
        }
    );
    assert_eq!(calls["cmd_b"].args, BTreeMap::new());
    assert_eq!(calls["cmd_b"].answer, "void");
    assert_eq!(camel("prune_duplicates"), "pruneDuplicates");
    let names = BTreeMap::from([("Summary".to_owned(), "MappingSummary".to_owned())]);
    assert_eq!(
        ts_of("Option<Summary>", &names).as_deref(),
        Some("MappingSummary | null")
    );
    assert_eq!(ts_of("Unknown", &names), None);
    assert_eq!(
        ts_of(
            "Channel<RunProgress<Summary>>",
            &BTreeMap::from([
                ("Summary".to_owned(), "MappingSummary".to_owned()),
                ("RunProgress".to_owned(), "RunProgress".to_owned()),
                ("Channel".to_owned(), "Channel".to_owned()),
            ])
        )
        .as_deref(),
        Some("Channel<RunProgress<MappingSummary>>")
    );
    let channel_const = "x: P) {\n  const channel = new Channel<RunProgress<Q>>(f);\n  return invoke<void>('c', { onProgress: channel });\n}";
    assert_eq!(
        channel(channel_const, "channel").as_deref(),
        Some("Channel<RunProgress<Q>>")
    );
}
