use clap::Parser;

use wharf::{config::Cli, startup, telemetry};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = cli.into_serve_config();
    telemetry::init(config.log_format);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(startup::serve(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("wharf: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
