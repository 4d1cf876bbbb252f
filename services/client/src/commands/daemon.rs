//! `walrus publisher | aggregator | daemon`: the HTTP daemon (see `walrus_client::daemon`).

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;
use walrus_client::blocklist::Blocklist;
use walrus_client::daemon::{self, DaemonLimits, DaemonMetrics, Mode};

use super::Context;

/// Options of the daemon subcommands.
#[derive(Debug, Args)]
pub(crate) struct DaemonArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:31415")]
    bind_address: SocketAddr,
    /// Largest accepted PUT body in KiB (publisher; as the reference, default 10240 = 10 MiB).
    #[arg(long = "max-body-size", value_name = "KIB", default_value_t = 10_240)]
    max_body_size_kib: usize,
    /// Largest blob served in bytes (aggregator; default: no limit beyond the encoding's).
    #[arg(long)]
    max_blob_size: Option<u64>,
    /// Reads served at once; more are refused at once with 429 and `Retry-After`.
    #[arg(long, default_value_t = 64)]
    max_concurrent_reads: usize,
    /// Stores served at once; more are refused at once with 429 and `Retry-After`.
    #[arg(long, default_value_t = 8)]
    max_concurrent_writes: usize,
    /// The most epochs a PUT may ask for.
    #[arg(long)]
    max_epochs: Option<u32>,
    /// Blob attributes returned as response headers by the aggregator (default: the
    /// reference's list: content-type, authorization, content-disposition, content-encoding,
    /// content-language, content-location, link).
    #[arg(long, num_args = 1..)]
    allowed_headers: Vec<String>,
    /// Where to serve Prometheus metrics at `/metrics` ("none" to disable; the reference's
    /// default port).
    #[arg(long, default_value = "127.0.0.1:27182")]
    metrics_address: String,
    /// A YAML list of blob IDs neither served nor stored (451 `FORBIDDEN_BLOB`); reread every
    /// 30 s, so blocking a blob needs no restart.
    #[arg(long, value_name = "FILE")]
    blocklist: Option<std::path::PathBuf>,
}

impl DaemonArgs {
    pub(crate) fn limits(&self) -> anyhow::Result<DaemonLimits> {
        let max_body_bytes = self.max_body_size_kib.checked_mul(1024).ok_or_else(|| {
            anyhow::anyhow!(
                "--max-body-size {} KiB is too large",
                self.max_body_size_kib
            )
        })?;
        Ok(DaemonLimits {
            max_body_bytes,
            max_blob_size: self.max_blob_size.unwrap_or(u64::MAX),
            max_concurrent_reads: self.max_concurrent_reads,
            max_concurrent_writes: self.max_concurrent_writes,
            max_epochs: self.max_epochs,
            allowed_headers: if self.allowed_headers.is_empty() {
                daemon::DEFAULT_ALLOWED_HEADERS.map(str::to_owned).to_vec()
            } else {
                self.allowed_headers
                    .iter()
                    .map(|name| {
                        axum::http::HeaderName::from_bytes(name.as_bytes())
                            .map(|h| h.as_str().to_owned())
                            .map_err(|_| {
                                anyhow::anyhow!("--allowed-headers: {name:?} is not a header name")
                            })
                    })
                    .collect::<anyhow::Result<_>>()?
            },
        })
    }
}

pub(crate) fn run(ctx: &Context, mode: Mode, args: &DaemonArgs) -> anyhow::Result<()> {
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        // The options first: a bad one is named before any configuration is read.
        let limits = args.limits()?;
        let metrics_address = super::optional_address("--metrics-address", &args.metrics_address)?;
        let mut client = ctx.client(mode != Mode::Aggregator)?;
        if let Some(path) = &args.blocklist {
            let blocklist = Blocklist::load(path)?;
            blocklist.spawn_refresh();
            client = client.with_blocklist(blocklist);
        }
        let metrics = DaemonMetrics::new();
        let router = daemon::router_with_metrics(client, mode, limits, metrics.clone());
        let shutdown = crate::signals::interrupted()?;
        let metrics_url = match metrics_address {
            Some(address) => {
                let address =
                    daemon::serve_metrics(metrics, address, std::future::pending()).await?;
                Some(format!("http://{address}/metrics"))
            }
            None => None,
        };
        let json = ctx.json;
        daemon::serve(
            router,
            args.bind_address,
            move |addr| {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"url": format!("http://{addr}"), "metricsUrl": metrics_url})
                    );
                } else {
                    println!("{mode:?} listening on http://{addr}");
                    if let Some(url) = metrics_url {
                        println!("metrics on {url}");
                    }
                }
            },
            shutdown,
        )
        .await
    })
}
