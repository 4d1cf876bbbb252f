//! `walrus json`: one command given as JSON, as the reference's JSON mode takes it
//! (`{"config": ..., "command": {"<command>": {<options>}}}`, camelCase), turned into the
//! command line it stands for and run with `--json`. The translation reads the CLI's own
//! definition, so every command and option of the CLI is available, and an unknown one is an
//! error naming it.

use std::io::Read as _;

use anyhow::{Context as _, bail};
use clap::CommandFactory as _;
use serde_json::{Map, Value};

/// The most JSON read from stdin.
const MAX_INPUT_BYTES: u64 = 1 << 20;

/// The command line (program name first) of the JSON command in `text`, or in stdin when
/// `None`.
pub(crate) fn to_cli(text: Option<&str>) -> anyhow::Result<Vec<String>> {
    let input = match text {
        Some(text) => text.to_owned(),
        None => {
            let mut input = String::new();
            std::io::stdin()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_string(&mut input)
                .context("reading the JSON command from stdin")?;
            if input.len() as u64 > MAX_INPUT_BYTES {
                bail!("the JSON command on stdin is larger than {MAX_INPUT_BYTES} bytes");
            }
            input
        }
    };
    let value: Value = serde_json::from_str(&input).context("the JSON command does not parse")?;
    let Value::Object(root) = value else {
        bail!("the JSON command must be an object with a \"command\"");
    };
    let mut argv = vec!["walrus".to_owned(), "--json".to_owned()];
    let mut command = None;
    for (key, value) in &root {
        match key.as_str() {
            "config" => {
                let path = value
                    .as_str()
                    .with_context(|| "\"config\" must be a string (a file path)")?;
                argv.extend(["--config".to_owned(), path.to_owned()]);
            }
            // Always answered as JSON.
            "json" => {}
            "command" => command = Some(value),
            other => bail!("unknown top-level key {other:?} (expected \"config\" and \"command\")"),
        }
    }
    let command = command.context("the JSON command has no \"command\"")?;
    push_command(&crate::Cli::command(), command, &mut argv)?;
    Ok(argv)
}

/// `camelCase` to `kebab-case`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Appends `{"<subcommand>": {<options>}}` of `parent` to `argv`.
fn push_command(
    parent: &clap::Command,
    value: &Value,
    argv: &mut Vec<String>,
) -> anyhow::Result<()> {
    let (name, options) = match value {
        // A command without options may be given by its name alone.
        Value::String(name) => (name.as_str(), &Value::Null),
        Value::Object(map) if map.len() == 1 => map
            .iter()
            .next()
            .map(|(k, v)| (k.as_str(), v))
            .context("one command")?,
        _ => bail!("a command is {{\"<name>\": {{<options>}}}} with exactly one name"),
    };
    let sub_name = kebab(name);
    let sub = parent
        .find_subcommand(&sub_name)
        .with_context(|| format!("unknown command {name:?}"))?;
    argv.push(sub_name);
    let options = match options {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        _ => bail!("the options of {name:?} must be an object"),
    };
    if sub.has_subcommands() {
        if options.is_empty() {
            if sub.is_subcommand_required_set() {
                bail!("{name:?} needs one of its subcommands");
            }
            return Ok(());
        }
        return push_command(sub, &Value::Object(options), argv);
    }
    let mut positional: Vec<(usize, Vec<String>)> = Vec::new();
    for (field, value) in &options {
        let id = kebab(field).replace('-', "_");
        let arg = sub
            .get_arguments()
            .find(|a| a.get_id().as_str() == id)
            .with_context(|| format!("unknown option {field:?} of {name:?}"))?;
        let values = scalar_values(field, value)?;
        if arg.is_positional() {
            positional.push((arg.get_index().unwrap_or(usize::MAX), values));
            continue;
        }
        let long = format!(
            "--{}",
            arg.get_long()
                .with_context(|| format!("option {field:?} of {name:?} has no long form"))?
        );
        if !arg.get_action().takes_values() {
            // A flag: `true` sets it, `false` leaves it unset.
            match value {
                Value::Bool(true) => argv.push(long),
                Value::Bool(false) | Value::Null => {}
                _ => bail!("option {field:?} of {name:?} is a flag: give true or false"),
            }
            continue;
        }
        if values.is_empty() {
            continue;
        }
        argv.push(long);
        argv.extend(values);
    }
    // After `--`, so a value starting with `-`, or an option taking several values, cannot
    // swallow them.
    positional.sort_by_key(|(index, _)| *index);
    if positional.iter().any(|(_, values)| !values.is_empty()) {
        argv.push("--".to_owned());
    }
    for (_, values) in positional {
        argv.extend(values);
    }
    Ok(())
}

/// The command-line values of one JSON option value.
fn scalar_values(field: &str, value: &Value) -> anyhow::Result<Vec<String>> {
    let one = |v: &Value| -> anyhow::Result<String> {
        Ok(match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => bail!("option {field:?}: expected a string, number or boolean"),
        })
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> anyhow::Result<Vec<String>> {
        to_cli(Some(text))
    }

    #[test]
    fn commands_become_the_command_lines_they_stand_for() {
        assert_eq!(
            argv(
                r#"{"config": "c.toml", "command": {"store": {"files": ["a", "b"],
                    "epochs": 2, "permanent": true, "force": false}}}"#
            )
            .unwrap(),
            [
                "walrus",
                "--json",
                "--config",
                "c.toml",
                "store",
                "--epochs",
                "2",
                "--permanent",
                "--",
                "a",
                "b"
            ]
        );
        assert_eq!(
            argv(r#"{"command": {"read": {"blobId": "X", "out": "f"}}}"#).unwrap(),
            ["walrus", "--json", "read", "--out", "f", "--", "X"]
        );
        assert_eq!(
            argv(r#"{"command": "info"}"#).unwrap(),
            ["walrus", "--json", "info"]
        );
        assert_eq!(
            argv(r#"{"command": {"info": {"bft": null}}}"#).unwrap(),
            ["walrus", "--json", "info", "bft"]
        );
        assert_eq!(
            argv(r#"{"command": {"convertBlobId": {"blobIdDecimal": "12"}}}"#).unwrap(),
            ["walrus", "--json", "convert-blob-id", "--", "12"]
        );
        assert_eq!(
            argv(r#"{"command": {"health": {"nodeIds": ["0x1", "0x2"], "detail": true}}}"#)
                .unwrap(),
            [
                "walrus",
                "--json",
                "health",
                "--detail",
                "--node-ids",
                "0x1",
                "0x2"
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| argv(text).unwrap_err().to_string();
        assert!(error("[1]").contains("must be an object"));
        assert!(error("{").contains("does not parse"));
        assert!(error(r#"{"command": {"stor": {}}}"#).contains("unknown command \"stor\""));
        assert!(
            error(r#"{"command": {"store": {"epoch": 1}}}"#)
                .contains("unknown option \"epoch\" of \"store\"")
        );
        assert!(error(r#"{"command": {"store": {"permanent": "yes"}}}"#).contains("is a flag"));
        assert!(error(r#"{"cmd": {}}"#).contains("unknown top-level key"));
        assert!(error(r#"{"config": "c"}"#).contains("no \"command\""));
    }
}
