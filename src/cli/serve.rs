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
            let now = state.clock.now();
            // The instance's own start-up work (sweeps, key schedule) writes beside the
            // seed; on SQLite a transaction that read before another's write cannot write
            // and fails at once ("database is locked", not covered by the busy timeout).
            // Seeding is idempotent, so it is tried again.
            let mut attempt = 0;
            let creds = loop {
                let (passwords, issuer) = (state.passwords.clone(), state.settings.issuer.clone());
                let seeded = state
                    .store
                    .run(move |c| demo::seed(c, &passwords, &issuer, now))
                    .await;
                match seeded {
                    Ok(creds) => break creds,
                    Err(e) if attempt < 4 => {
                        attempt += 1;
                        tracing::warn!(error = %e, attempt, "demo seeding retried");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            };
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
