//! The load generators: `wrk` when it is installed (`apt-get install -y wrk`), else a
//! closed-loop generator of our own on reqwest with a fixed number of keep-alive
//! connections and an HDR histogram for the percentiles. Both keep `connections`
//! requests in flight for `duration` against one URL.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Answers other than 2xx/3xx, and socket errors.
    pub errors: u64,
}

/// Which generator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// `wrk -t2 -c<connections> -d<secs>s --latency`.
    Wrk,
    /// [`builtin`].
    Builtin,
}

impl Generator {
    /// `wrk` if it runs, else the built-in one; `BENCH_LOAD=builtin` forces ours.
    pub fn detect() -> Generator {
        if std::env::var("BENCH_LOAD").is_ok_and(|v| v == "builtin") {
            return Generator::Builtin;
        }
        match Command::new("wrk").arg("--version").output() {
            Ok(_) => Generator::Wrk,
            Err(_) => Generator::Builtin,
        }
    }

    /// Its name in the report.
    pub fn describe(self, connections: u32, duration: Duration) -> String {
        match self {
            Generator::Wrk => format!(
                "wrk -t2 -c{connections} -d{}s --latency",
                duration.as_secs()
            ),
            Generator::Builtin => format!(
                "built-in reqwest generator, {connections} connections, {}s",
                duration.as_secs()
            ),
        }
    }

    /// Loads `url`.
    pub async fn run(
        self,
        url: &str,
        connections: u32,
        duration: Duration,
    ) -> anyhow::Result<Measured> {
        match self {
            Generator::Wrk => {
                let url = url.to_owned();
                tokio::task::spawn_blocking(move || wrk(&url, connections, duration)).await?
            }
            Generator::Builtin => builtin(url, connections, duration).await,
        }
    }
}

fn wrk(url: &str, connections: u32, duration: Duration) -> anyhow::Result<Measured> {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}")])
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .args(["--latency", url])
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "wrk failed on {url}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("reading wrk's output for {url}:\n{text}"))
}

/// Reads `Requests/sec`, the 50% and 99% latency lines and the error counts of wrk's
/// `--latency` report.
pub fn parse_wrk(text: &str) -> anyhow::Result<Measured> {
    let mut rps = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = 0;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => rps = Some(v.parse::<f64>()?),
            ["50%", v] => p50 = Some(millis(v)?),
            ["99%", v] => p99 = Some(millis(v)?),
            ["Non-2xx", "or", "3xx", "responses:", n] => errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                for n in rest.iter().skip(1).step_by(2) {
                    errors += n.trim_end_matches(',').parse::<u64>()?;
                }
            }
            _ => {}
        }
    }
    match (rps, p50, p99) {
        (Some(rps), Some(p50_ms), Some(p99_ms)) => Ok(Measured {
            rps,
            p50_ms,
            p99_ms,
            errors,
        }),
        _ => bail!("no Requests/sec or latency percentiles"),
    }
}

/// `812.00us`, `1.23ms`, `2.00s` in milliseconds.
fn millis(v: &str) -> anyhow::Result<f64> {
    let split = v
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {v:?}"))?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().with_context(|| format!("not a number: {v:?}"))?;
    Ok(match unit {
        "us" => n / 1_000.0,
        "ms" => n,
        "s" => n * 1_000.0,
        "m" => n * 60_000.0,
        _ => bail!("unknown unit in {v:?}"),
    })
}

/// `connections` tasks, each with one keep-alive connection, requesting `url` in a
/// closed loop until `duration` has passed.
async fn builtin(url: &str, connections: u32, duration: Duration) -> anyhow::Result<Measured> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(10))
            .build()?;
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                hist.saturating_record(micros.max(1));
                errors += u64::from(!ok);
            }
            anyhow::Ok((hist, errors))
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for t in tasks {
        let (hist, e) = t.await??;
        all.add(&hist)?;
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(Measured {
        rps: all.len() as f64 / secs,
        p50_ms: all.value_at_quantile(0.50) as f64 / 1_000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1_000.0,
        errors,
    })
}
