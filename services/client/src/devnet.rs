//! `walrus devnet`: a whole Walrus network on loopback, one OS process per component.
//!
//! Layout of the devnet directory:
//!
//! ```text
//! devnet.json            ports, node count, shard count, epoch duration (fixed at creation)
//! genesis.json           the ledger's genesis: the storage nodes, registered and staked
//! chain/                 the devnet ledger's data (`walrus chain serve`)
//! node-<i>/              keys (bls.key, network.key, wallet.key), node.toml, data/
//! client.toml            a client configuration for this network
//! wallet.keystore        the client's funded wallet
//! logs/                  one log file per process
//! ```
//!
//! Reusing a directory restarts the same network with its state (ledger, slivers, wallet).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sui_crypto::ed25519::Ed25519PrivateKey;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{FROST_PER_WAL, GenesisConfig};
use walrus_node::NodeConfig;
use walrus_node::config::Limits;
use walrus_node::operator;

use crate::config::ClientConfig;

/// How a new devnet is laid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevnetLayout {
    /// Storage nodes.
    pub nodes: usize,
    /// Shards.
    pub shards: u16,
    /// Epoch duration in milliseconds.
    pub epoch_duration_ms: u64,
    /// The ledger's port.
    pub chain_port: u16,
    /// Each node's port.
    pub node_ports: Vec<u16>,
    /// The PostgreSQL database the indexer of this devnet writes (created on first use).
    #[serde(default)]
    pub database: Option<String>,
}

/// Options of [`Devnet::start`].
#[derive(Debug, Clone)]
pub struct DevnetOptions {
    /// The devnet directory (created when missing; reused when it holds a devnet).
    pub dir: PathBuf,
    /// Storage nodes of a new devnet.
    pub nodes: usize,
    /// Shards of a new devnet.
    pub shards: u16,
    /// Epoch duration of a new devnet.
    pub epoch_duration: Duration,
    /// The ledger's port for a new devnet (0: any free port).
    pub chain_port: u16,
    /// The `walrus` binary that runs the components.
    pub binary: PathBuf,
    /// How long to wait for each component to come up.
    pub startup_timeout: Duration,
    /// A PostgreSQL server URL (its maintenance database): when set, the devnet creates a
    /// database of its own there and runs the indexer into it (and the GraphQL API over it).
    pub database_url: Option<String>,
    /// The GraphQL server's port when it runs (0: any free port).
    pub graphql_port: u16,
    /// Drop the devnet's database at [`Devnet::shutdown`] (and when the start fails): for a
    /// devnet in a temporary directory, whose database nothing could reuse. Off by default: a
    /// devnet directory names its database and reuses it on the next start.
    pub drop_database_on_shutdown: bool,
}

impl DevnetOptions {
    /// Defaults: 7 nodes, 100 shards, 5-minute epochs, the ledger on port 9000 when free.
    pub fn new(dir: impl Into<PathBuf>, binary: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            nodes: 7,
            shards: 100,
            epoch_duration: Duration::from_secs(300),
            chain_port: 9000,
            binary: binary.into(),
            startup_timeout: Duration::from_secs(60),
            database_url: None,
            graphql_port: 9186,
            drop_database_on_shutdown: false,
        }
    }
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    /// The directory.
    pub dir: PathBuf,
    /// Its layout.
    pub layout: DevnetLayout,
    /// The ledger's URL.
    pub chain_url: String,
    /// The client configuration written for this network.
    pub client_config: PathBuf,
    binary: PathBuf,
    timeout: Duration,
    chain: Option<Child>,
    nodes: Vec<Option<Child>>,
    /// The indexer (and GraphQL) processes, by name.
    services: Vec<(String, Child)>,
    /// The URL of the devnet's own database, when it has one.
    pub database_url: Option<String>,
    /// The GraphQL API over the index (`/graphql`, dashboard at `/dashboard`), when it has one.
    pub graphql_url: Option<String>,
    /// The server (its maintenance database URL) and name of the database to drop at
    /// shutdown ([`DevnetOptions::drop_database_on_shutdown`]).
    drop_database: Option<(String, String)>,
}

/// A free loopback port (`preferred` when it is free).
fn free_port(preferred: u16) -> anyhow::Result<u16> {
    if preferred != 0 && TcpListener::bind(("127.0.0.1", preferred)).is_ok() {
        return Ok(preferred);
    }
    Ok(TcpListener::bind(("127.0.0.1", 0))
        .context("finding a free loopback port")?
        .local_addr()?
        .port())
}

impl Devnet {
    /// Creates (or reopens) the devnet in `options.dir` and starts the ledger and every node.
    pub async fn start(options: &DevnetOptions) -> anyhow::Result<Self> {
        let dir = &options.dir;
        std::fs::create_dir_all(dir.join("logs"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let layout_path = dir.join("devnet.json");
        let layout = if layout_path.exists() {
            serde_json::from_slice(&std::fs::read(&layout_path)?)
                .with_context(|| format!("reading {}", layout_path.display()))?
        } else {
            create(options)?
        };
        let mut layout: DevnetLayout = layout;
        let mut drop_database = None;
        let database_url = match &options.database_url {
            Some(server) => {
                let name = match &layout.database {
                    Some(name) => name.clone(),
                    None => {
                        let mut bytes = [0u8; 6];
                        getrandom::fill(&mut bytes)
                            .map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
                        let name = format!("walrus_devnet_{}", hex::encode(bytes));
                        layout.database = Some(name.clone());
                        std::fs::write(&layout_path, serde_json::to_string_pretty(&layout)?)?;
                        name
                    }
                };
                let url = create_database(server, &name).await?;
                if options.drop_database_on_shutdown {
                    drop_database = Some((server.clone(), name));
                }
                Some(url)
            }
            None => None,
        };
        let mut devnet = Self {
            services: Vec::new(),
            graphql_url: None,
            database_url,
            dir: dir.clone(),
            chain_url: format!("http://127.0.0.1:{}", layout.chain_port),
            client_config: dir.join("client.toml"),
            layout,
            binary: options.binary.clone(),
            timeout: options.startup_timeout,
            chain: None,
            nodes: Vec::new(),
            drop_database,
        };
        devnet.nodes = (0..devnet.layout.nodes).map(|_| None).collect();
        match devnet.start_processes(options.graphql_port).await {
            Ok(()) => Ok(devnet),
            Err(e) => {
                // Stop what started (and drop a database nothing will reuse).
                devnet.shutdown().await;
                Err(e)
            }
        }
    }

    async fn start_processes(&mut self, graphql_port: u16) -> anyhow::Result<()> {
        self.start_chain().await?;
        for i in 0..self.layout.nodes {
            self.start_node(i).await?;
        }
        if !self.client_config.exists() {
            ClientConfig::new(self.chain_url.clone()).save(&self.client_config)?;
        }
        if let Some(url) = self.database_url.clone() {
            self.start_indexer(&url)?;
            self.start_graphql(&url, graphql_port).await?;
        }
        Ok(())
    }

    /// Runs `walrus graphql` over `database_url` and waits until it answers. It waits for the
    /// indexer's migrations itself by retrying its health check.
    async fn start_graphql(&mut self, database_url: &str, port: u16) -> anyhow::Result<()> {
        let port = free_port(port)?;
        let mut child = Command::new(&self.binary)
            .args(["graphql", "--database-url", database_url, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(self.log_file("graphql")?)
            .stderr(self.log_file("graphql")?)
            .kill_on_drop(true)
            .spawn()
            .context("starting the GraphQL server")?;
        let url = format!("http://127.0.0.1:{port}");
        self.await_healthy(
            &mut child,
            "the GraphQL server",
            "graphql",
            &format!("{url}/health"),
        )
        .await?;
        self.services.push(("the GraphQL server".to_owned(), child));
        self.graphql_url = Some(url);
        Ok(())
    }

    /// Runs `walrus indexer` into `database_url` (it applies the migrations itself).
    fn start_indexer(&mut self, database_url: &str) -> anyhow::Result<()> {
        let metrics = free_port(0)?;
        let child = Command::new(&self.binary)
            .args(["indexer", "--database-url", database_url, "--chain-url"])
            .arg(&self.chain_url)
            .arg("--metrics-address")
            .arg(format!("127.0.0.1:{metrics}"))
            .stdin(Stdio::null())
            .stdout(self.log_file("indexer")?)
            .stderr(self.log_file("indexer")?)
            .kill_on_drop(true)
            .spawn()
            .context("starting the indexer")?;
        self.services.push(("the indexer".to_owned(), child));
        Ok(())
    }

    fn log_file(&self, name: &str) -> anyhow::Result<std::fs::File> {
        let path = self.dir.join("logs").join(format!("{name}.log"));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))
    }

    async fn start_chain(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.binary)
            .args(["--json", "chain", "serve", "--dir"])
            .arg(self.dir.join("chain"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.layout.chain_port))
            .arg("--genesis")
            .arg(self.dir.join("genesis.json"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(self.log_file("chain")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(self.timeout, lines.next_line()).await;
        match ready {
            Ok(Ok(Some(line))) if line.contains("chainUrl") => {}
            other => {
                let _ = child.start_kill();
                bail!(
                    "the devnet ledger did not start ({other:?}); see {}",
                    self.dir.join("logs/chain.log").display()
                );
            }
        }
        self.chain = Some(child);
        Ok(())
    }

    /// Waits until `health_url` answers 200, failing (and killing `child`) when the process
    /// exits or the startup timeout passes; `log` names its file under `logs/`.
    async fn await_healthy(
        &self,
        child: &mut Child,
        what: &str,
        log: &str,
        health_url: &str,
    ) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "{what} exited during startup ({status}); see {}",
                    self.dir.join(format!("logs/{log}.log")).display()
                );
            }
            if http
                .get(health_url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                let _ = child.start_kill();
                bail!("{what} did not answer on {health_url} in time");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The API address of node `i`.
    pub fn node_address(&self, i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.layout.node_ports[i]))
    }

    /// Starts node `i` (after [`Devnet::stop_node`]) and waits until its API answers.
    pub async fn start_node(&mut self, i: usize) -> anyhow::Result<()> {
        if self.nodes[i].is_some() {
            return Ok(());
        }
        let config = self.dir.join(format!("node-{i}/node.toml"));
        let mut child = Command::new(&self.binary)
            .args(["node", "run", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(self.log_file(&format!("node-{i}"))?)
            .stderr(self.log_file(&format!("node-{i}"))?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {i}"))?;
        let health = format!("http://{}/v1/health", self.node_address(i));
        self.await_healthy(
            &mut child,
            &format!("node {i}"),
            &format!("node-{i}"),
            &health,
        )
        .await?;
        self.nodes[i] = Some(child);
        Ok(())
    }

    /// Stops node `i` cleanly (SIGTERM, then a kill after 10 s).
    pub async fn stop_node(&mut self, i: usize) {
        if let Some(child) = self.nodes[i].take() {
            stop(child).await;
        }
    }

    /// Whether node `i` runs.
    pub fn node_running(&mut self, i: usize) -> bool {
        match &mut self.nodes[i] {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The components that exited on their own, by name.
    pub fn exited(&mut self) -> Vec<String> {
        let mut gone = Vec::new();
        if let Some(chain) = &mut self.chain
            && !matches!(chain.try_wait(), Ok(None))
        {
            gone.push("the devnet ledger".to_owned());
        }
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(child) = node
                && !matches!(child.try_wait(), Ok(None))
            {
                gone.push(format!("node {i}"));
            }
        }
        for (name, child) in &mut self.services {
            if !matches!(child.try_wait(), Ok(None)) {
                gone.push(name.clone());
            }
        }
        gone
    }

    /// Stops the indexer and GraphQL, every node, then the ledger; then drops the devnet's
    /// database when [`DevnetOptions::drop_database_on_shutdown`] was set (a failure to drop
    /// it is logged as a warning naming the database).
    pub async fn shutdown(mut self) {
        let services: Vec<Child> = self.services.drain(..).map(|(_, c)| c).collect();
        futures_util::future::join_all(services.into_iter().map(stop)).await;
        let nodes: Vec<Child> = self.nodes.iter_mut().filter_map(Option::take).collect();
        futures_util::future::join_all(nodes.into_iter().map(stop)).await;
        if let Some(chain) = self.chain.take() {
            stop(chain).await;
        }
        if let Some((server, name)) = self.drop_database.take() {
            match drop_database(&server, &name).await {
                Ok(()) => tracing::info!(database = %name, "dropped the devnet's database"),
                Err(e) => tracing::warn!(
                    database = %name,
                    "could not drop the devnet's database: {e:#}"
                ),
            }
        }
    }
}

/// SIGTERM, wait up to 10 s, then SIGKILL.
async fn stop(mut child: Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

/// Writes the keys, node configurations, genesis and layout of a new devnet.
fn create(options: &DevnetOptions) -> anyhow::Result<DevnetLayout> {
    if options.nodes == 0 {
        bail!("a devnet needs at least one storage node");
    }
    if usize::from(options.shards) < options.nodes {
        bail!(
            "{} shards cannot be spread over {} nodes",
            options.shards,
            options.nodes
        );
    }
    let dir = &options.dir;
    let chain_port = free_port(options.chain_port)?;
    let mut node_ports = Vec::new();
    let mut genesis_nodes = Vec::new();
    for i in 0..options.nodes {
        let node_dir = dir.join(format!("node-{i}"));
        let port = loop {
            let p = free_port(0)?;
            if p != chain_port && !node_ports.contains(&p) {
                break p;
            }
        };
        node_ports.push(port);
        operator::keygen(&node_dir)?;
        let mut config = NodeConfig::new(format!("http://127.0.0.1:{chain_port}"));
        config.data_dir = PathBuf::from("data");
        config.listen_address = SocketAddr::from(([127, 0, 0, 1], port));
        config.limits = Limits {
            event_wait_millis: 500,
            committee_refresh_millis: 1000,
            ..Limits::default()
        };
        std::fs::write(node_dir.join("node.toml"), toml::to_string_pretty(&config)?)?;
        let config = NodeConfig::load(&node_dir.join("node.toml"))?;
        let bls = operator::bls_key(&config)?;
        let network = walrus_node::config::read_key_file(&config.network_key_file)?;
        let wallet = walrus_node::config::read_key_file(&config.wallet_key_file)?;
        genesis_nodes.push(GenesisNode::new(
            format!("node-{i}"),
            format!("127.0.0.1:{port}"),
            &bls,
            operator::network_public_key(&network),
            1_000,
            address_of(&Ed25519PrivateKey::new(wallet)),
            // Unequal stakes, so shards are not spread perfectly evenly, as on a real network.
            (100 + 10 * i as u64) * FROST_PER_WAL,
            GenesisVotes {
                storage_price: 1_000,
                write_price: 2_000,
                node_capacity: 1 << 40,
            },
        ));
    }
    let genesis = GenesisConfig {
        n_shards: options.shards,
        epoch_duration_ms: u64::try_from(options.epoch_duration.as_millis())
            .unwrap_or(u64::MAX)
            .max(1_000),
        nodes: genesis_nodes,
        ..GenesisConfig::default()
    };
    std::fs::write(
        dir.join("genesis.json"),
        serde_json::to_string_pretty(&genesis)?,
    )?;
    let layout = DevnetLayout {
        nodes: options.nodes,
        shards: options.shards,
        epoch_duration_ms: genesis.epoch_duration_ms,
        chain_port,
        node_ports,
        database: None,
    };
    std::fs::write(
        dir.join("devnet.json"),
        serde_json::to_string_pretty(&layout)?,
    )?;
    Ok(layout)
}

/// The wallet of a devnet's client configuration, funded from the faucet when it holds less
/// than `minimum` FROST. Returns the key and its balance.
pub async fn funded_wallet(
    config_path: &Path,
    minimum: u64,
) -> anyhow::Result<(Ed25519PrivateKey, u64)> {
    fund_wallet(&ClientConfig::load(config_path)?, minimum).await
}

/// The wallet of `config` (created on first use), funded from the faucet when it holds less
/// than `minimum` FROST. Returns the key and its balance.
pub async fn fund_wallet(
    config: &ClientConfig,
    minimum: u64,
) -> anyhow::Result<(Ed25519PrivateKey, u64)> {
    let (key, _) = crate::wallet::load_or_create(&config.wallet)?;
    let client = crate::WalrusClient::new(config, Some(key.clone()));
    let address = address_of(&key);
    let mut balance = client.chain().wal_balance(address).await?;
    if balance < minimum {
        client.chain().faucet(1_000 * FROST_PER_WAL).await?;
        balance = client.chain().wal_balance(address).await?;
    }
    Ok((key, balance))
}

/// Whether `name` is a database name this module creates (`[a-z0-9_]`, so a quoted identifier
/// made of it cannot be escaped).
fn safe_database_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Drops database `name` on the server of `server_url` (closing its remaining connections).
async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    if !safe_database_name(name) {
        bail!("refusing the database name {name:?}");
    }
    let mut connection = sqlx::PgConnection::connect(server_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {server_url}"))?;
    // Checked above: only [a-z0-9_].
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut connection)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    connection.close().await.ok();
    Ok(())
}

/// Creates database `name` on the server of `server_url` unless it exists; its URL.
async fn create_database(server_url: &str, name: &str) -> anyhow::Result<String> {
    use sqlx::Connection as _;
    let mut connection = sqlx::PgConnection::connect(server_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {server_url}"))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut connection)
            .await?;
    if !exists {
        if !safe_database_name(name) {
            bail!("refusing the database name {name:?}");
        }
        // Checked above: only [a-z0-9_], so the quoted identifier cannot be escaped.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut connection)
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    connection.close().await.ok();
    let (without_query, query) = match server_url.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let (base, _) = without_query
        .rsplit_once('/')
        .filter(|(b, _)| b.contains("://") && !b.ends_with('/'))
        .with_context(|| format!("{server_url} is not a postgres://host/database URL"))?;
    Ok(format!("{base}/{name}{query}"))
}
