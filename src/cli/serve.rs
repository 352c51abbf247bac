use clap::Args;

use super::demo;
use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seed a demo confidential client, a demo SPA client and a demo user, and print how
    /// to try them (for trying Portcullis out, not for production)
    #[arg(long)]
    demo: bool,
}

pub fn run(args: ServeArgs, mut settings: Settings) -> anyhow::Result<()> {
    // The demo pages are served only in demo mode.
    settings.features.demo = args.demo;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        let state = app.state().clone();
        if args.demo {
            let passwords = state.passwords.clone();
            let now = state.clock.now();
            let issuer = state.settings.issuer.clone();
            let creds = state
                .store
                .run(move |c| demo::seed(c, &passwords, &issuer, now))
                .await?;
            // The running instance serves the re-pointed demo client at once.
            state.clients.refresh().await?;
            println!("{}", demo::banner(&creds, &state.settings.issuer));
        }
        tracing::info!(
            address = %app.address(),
            issuer = %state.settings.issuer,
            database = %state.settings.database.url.redacted(),
            "listening"
        );
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
