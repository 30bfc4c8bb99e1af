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
