//! ayada-cli: the clinic from a terminal or a script. Every command prints a person-readable
//! answer, or with `--json` one JSON object; an error is a sentence on stderr in the
//! person's language and a non-zero exit code.
#![forbid(unsafe_code)]

mod args;
mod args_settings;
mod commands;
mod desk;
mod import;
mod lan;
mod reports;
mod setup;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use ayada_core::{CoreError, KeySource, Lang, Said};
use clap::Parser;

use crate::args::Cli;

/// What a command answers: the JSON object, and the lines a person reads.
pub struct Answer {
    json: serde_json::Value,
    text: String,
}

impl Answer {
    pub(crate) fn new(json: serde_json::Value, text: impl Into<String>) -> Answer {
        Answer {
            json,
            text: text.into(),
        }
    }
}

/// A failure: either the core's typed error (localised) or a usage problem of the CLI's own.
pub enum Failure {
    Core(CoreError),
    /// A usage problem: a sentence of the core's catalogue.
    Usage(Said),
    /// Already reported on stdout (e.g. an import's bad lines); exit non-zero quietly after
    /// the sentence.
    Reported(Said),
}

// The document model's refusals (an id or a date that does not read) are the core's.
impl From<ayada_core::ModelError> for Failure {
    fn from(err: ayada_core::ModelError) -> Self {
        Failure::Core(err.into())
    }
}

impl From<CoreError> for Failure {
    fn from(err: CoreError) -> Self {
        Failure::Core(err)
    }
}

impl Failure {
    pub fn usage(said: Said) -> Failure {
        Failure::Usage(said)
    }

    pub(crate) fn sentence(&self, lang: Lang) -> String {
        match self {
            Failure::Core(err) => err.message(lang),
            Failure::Usage(said) | Failure::Reported(said) => said.text(lang),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Failure::Core(err) => err.code(),
            Failure::Usage { .. } => "usage",
            Failure::Reported { .. } => "rejected",
        }
    }
}

/// Settings every command shares.
pub struct Env {
    pub data: PathBuf,
    pub key: KeySource,
    pub user: Option<String>,
    pub lang: Lang,
    pub json: bool,
}

fn language(cli: &Cli) -> Lang {
    let tag = cli
        .lang
        .clone()
        .or_else(|| std::env::var("AYADA_LANG").ok())
        .or_else(|| std::env::var("LANG").ok())
        .unwrap_or_default();
    Lang::from_tag(&tag)
}

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data
        .clone()
        .unwrap_or_else(ayada_core::clinic::default_data_dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = language(&cli);
    let env = Env {
        data: data_dir(&cli),
        key: KeySource::choose(cli.key_file.clone()),
        user: cli.user.clone(),
        lang,
        json: cli.json,
    };
    let json = cli.json;
    match commands::run(&env, cli.command) {
        Ok(answer) => {
            let out = if json {
                answer.json.to_string()
            } else {
                answer.text
            };
            // A reader that stopped early (`| head`) is not a failure of the command: what
            // it did is done. Anything else that stops the answer is.
            use std::io::Write as _;
            if out.is_empty() {
                return ExitCode::SUCCESS;
            }
            match writeln!(std::io::stdout(), "{out}") {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            }
        }
        Err(failure) => {
            if json {
                let body = serde_json::json!({ "error": { "code": failure.code(), "message": failure.sentence(lang) } });
                eprintln!("{body}");
            } else {
                let prefix = Said::new("cli-error").text(lang);
                eprintln!("{prefix}: {}", failure.sentence(lang));
            }
            ExitCode::FAILURE
        }
    }
}
