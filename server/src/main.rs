use std::process::ExitCode;

use clap::Parser;
use wharf::{
    config::{Cli, Invocation},
    startup, telemetry,
};

fn main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match Cli::parse().into_invocation() {
        Invocation::Serve(config) => {
            telemetry::init(config.log_format);
            match runtime.block_on(startup::serve(*config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    tracing::error!("{err:#}");
                    eprintln!("wharf: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Invocation::Warm(args) => match runtime.block_on(wharf::warm::run(args)) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(err) => {
                eprintln!("wharf warm: {err}");
                ExitCode::FAILURE
            }
        },
        Invocation::Export(args) => bundle_outcome("export", runtime.block_on(wharf::bundle::export(args))),
        Invocation::Import(args) => bundle_outcome("import", runtime.block_on(wharf::bundle::import(args))),
        Invocation::Admin(args) => match runtime.block_on(wharf::admin::run(args, std::io::stdin())) {
            Ok(output) => {
                println!("{output}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("wharf admin: {err}");
                ExitCode::FAILURE
            }
        },
    }
}

fn bundle_outcome(command: &str, outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("wharf {command}: {err}");
            ExitCode::FAILURE
        }
    }
}
