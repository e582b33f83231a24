//! The performance harness's driver. For each round, for each server in turn (interleaved, so
//! a slow spell of the machine falls on all of them alike): starts `bench-server` pinned to CPU
//! 0, waits while it makes its live sessions, checks that a session is honoured and that a
//! request without one is refused, measures unloaded latency (one connection), warms up, then
//! measures throughput with `wrk` pinned to CPU 1, and reads the server's resident memory. With
//! `--redis`, also runs our guard on the Redis store (a `redis-server` this driver starts on
//! loopback, on CPU 1 with the load tool; with a warm local cache the guard seldom asks it
//! anything). Prints a markdown table of medians and ratios to the bare framework of the same
//! run, and writes it to `--out` when given.
//!
//! `bench/run` builds everything and calls this; `bench-run --help` lists the options.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: bench-run [--rounds N] [--duration SECS] [--warmup SECS] [--latency SECS] [--sessions N]
                 [--connections N] [--only NAME,NAME] [--no-redis] [--out FILE]

  --rounds N        rounds, each running every server once (default 3)
  --duration S      seconds of measured load per server per round (default 10)
  --warmup S        seconds of unmeasured load first (default 2)
  --latency S       seconds of one-connection (unloaded) latency measurement (default 5)
  --sessions N      live sessions per server (default 100000)
  --connections N   connections for the load (default 32)
  --only NAMES      only these servers (bare servers are always run: ratios need them)
  --no-redis        skip our guard on the Redis store (run by default)
  --out FILE        also write the markdown table to FILE";

const SERVERS: [&str; 8] = [
    "axum-bare",
    "axum-tower-sessions",
    "axum-login",
    "axum-ours",
    "actix-bare",
    "actix-session",
    "actix-identity",
    "actix-ours",
];

#[derive(Debug, Clone)]
struct Options {
    rounds: usize,
    duration: u64,
    warmup: u64,
    latency: u64,
    sessions: usize,
    connections: usize,
    only: Option<Vec<String>>,
    redis: bool,
    out: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        rounds: 3,
        duration: 10,
        warmup: 2,
        latency: 5,
        sessions: 100_000,
        connections: 32,
        only: None,
        redis: true,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--rounds" => o.rounds = number(value()?)?.max(1) as usize,
            "--duration" => o.duration = number(value()?)?.max(1),
            "--warmup" => o.warmup = number(value()?)?,
            "--latency" => o.latency = number(value()?)?.max(1),
            "--sessions" => o.sessions = number(value()?)?.max(1) as usize,
            "--connections" => o.connections = number(value()?)?.clamp(1, 4096) as usize,
            "--only" => o.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--no-redis" => o.redis = false,
            "--out" => o.out = Some(value()?.into()),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

/// One server with one store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Target {
    server: &'static str,
    redis: bool,
}

impl Target {
    fn name(&self) -> String {
        if self.redis { format!("{} (Redis)", self.server) } else { self.server.to_owned() }
    }
    fn bare(&self) -> &'static str {
        if self.server.starts_with("axum") { "axum-bare" } else { "actix-bare" }
    }
}

/// What one run of one server measured.
#[derive(Debug, Clone, Default)]
struct Measured {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    idle_p50_us: f64,
    idle_p99_us: f64,
    rss_before_kib: u64,
    rss_seeded_kib: u64,
    rss_after_kib: u64,
    sessions: u64,
    redis_bytes: Option<u64>,
    /// The server's CPU time over the measured load, as a share of the wall time (1.0: one
    /// core busy the whole time; a bare server well under it means the load tool was the limit).
    server_cpu: f64,
    /// Redis commands per request during the measured load (with the local cache warm, only the
    /// idle-deadline moves and the heartbeats).
    redis_per_request: Option<f64>,
}

/// wrk's RESULT line.
#[derive(Debug, Default)]
struct WrkResult {
    requests: u64,
    duration_us: u64,
    status_errors: u64,
    socket_errors: u64,
    p50_us: u64,
    p99_us: u64,
}

fn parse_result(out: &str) -> Option<WrkResult> {
    let line = out.lines().find_map(|l| l.strip_prefix("RESULT "))?;
    let fields: HashMap<&str, u64> = line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect();
    Some(WrkResult {
        requests: *fields.get("requests")?,
        duration_us: *fields.get("duration_us")?,
        status_errors: *fields.get("status_errors")?,
        socket_errors: *fields.get("socket_errors")?,
        p50_us: *fields.get("p50_us")?,
        p99_us: *fields.get("p99_us")?,
    })
}

struct Harness {
    options: Options,
    bin_dir: PathBuf,
    lua: PathBuf,
    work: PathBuf,
    redis: Option<(Child, u16)>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((child, _)) = &mut self.redis {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The CPU time (user and system) of process `pid` so far, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are the 14th and 15th fields of the line: 12th and 13th after the name.
    field(11) + field(12)
}

fn redis_info_field(port: u16, section: &str, name: &str) -> Result<u64, String> {
    let out = Command::new("redis-cli").args(["-p", &port.to_string(), "INFO", section]).output();
    let out = out.map_err(|e| format!("redis-cli: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("redis-cli INFO {section} gave no {name}"))
}

/// A status and body from one plain HTTP/1.1 request.
fn get(port: u16, cookie: Option<&str>) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    write!(
        stream,
        "GET /protected HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}Accept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| format!("read: {e}"))?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("no status line")?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

fn redis_used_memory(port: u16) -> Result<u64, String> {
    redis_info_field(port, "memory", "used_memory")
}

impl Harness {
    fn wrk(&self, port: u16, connections: usize, secs: u64, cookies: &Path) -> Result<WrkResult, String> {
        let url = format!("http://127.0.0.1:{port}/protected");
        let out = Command::new("taskset")
            .args([
                "-c",
                "1",
                "wrk",
                "-t1",
                &format!("-c{connections}"),
                &format!("-d{secs}s"),
                "--timeout",
                "5s",
                "-s",
            ])
            .arg(&self.lua)
            .arg(&url)
            .arg("--")
            .arg(cookies)
            .output()
            .map_err(|e| format!("wrk could not start: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("wrk failed: {}{}", text, String::from_utf8_lossy(&out.stderr)));
        }
        parse_result(&text).ok_or_else(|| format!("wrk printed no RESULT line:\n{text}"))
    }

    fn run_one(&self, target: &Target) -> Result<Measured, String> {
        let o = &self.options;
        let cookies = self.work.join(format!("{}-{}.cookies", target.server, target.redis));
        let redis_port = self.redis.as_ref().filter(|_| target.redis).map(|(_, port)| *port);
        let store = match redis_port {
            Some(port) => {
                let flushed = Command::new("redis-cli").args(["-p", &port.to_string(), "FLUSHALL"]).output();
                let flushed = flushed.map_err(|e| format!("redis-cli FLUSHALL: {e}"))?;
                if !flushed.status.success() {
                    return Err(format!("redis-cli FLUSHALL failed: {}", String::from_utf8_lossy(&flushed.stderr)));
                }
                format!("redis://127.0.0.1:{port}")
            }
            None => "memory".to_owned(),
        };
        let redis_before = redis_port.map(redis_used_memory).transpose()?;
        let mut child = Command::new("taskset")
            .args(["-c", "0"])
            .arg(self.bin_dir.join("bench-server"))
            .args([target.server, "--store", &store, "--sessions", &o.sessions.to_string()])
            .args(["--addr", "127.0.0.1:0", "--cookies"])
            .arg(&cookies)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("bench-server could not start: {e}"))?;
        let result = self.measure(target, &mut child, &cookies, redis_port.zip(redis_before));
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&cookies);
        result
    }

    fn measure(
        &self,
        target: &Target,
        child: &mut Child,
        cookies: &Path,
        redis: Option<(u16, u64)>,
    ) -> Result<Measured, String> {
        let o = &self.options;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = loop {
            match rx.recv_timeout(Duration::from_secs(600)) {
                Ok(line) if line.starts_with("ready ") => break line,
                Ok(_) => {}
                Err(_) => return Err(format!("{} did not become ready", target.name())),
            }
        };
        let field = |name: &str| -> Result<u64, String> {
            ready
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
                .ok_or_else(|| format!("{}: no {name} in its ready line: {ready}", target.name()))
        };
        let port = u16::try_from(field("port")?).map_err(|e| e.to_string())?;
        let mut m = Measured {
            rss_before_kib: field("rss_before_kib")?,
            rss_seeded_kib: field("rss_after_kib")?,
            sessions: field("sessions")?,
            ..Measured::default()
        };
        if let Some((rport, before)) = redis {
            m.redis_bytes = Some(redis_used_memory(rport)?.saturating_sub(before));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("{} never listened", target.name()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }

        // The server honours a live session (the first, a middle and the last), and refuses a
        // request with none (except the bare ones, which have no sessions to check).
        let all = std::fs::read_to_string(cookies).map_err(|e| format!("cookie file: {e}"))?;
        let lines: Vec<&str> = all.lines().collect();
        if lines.len() != o.sessions {
            return Err(format!("{} made {} sessions, not {}", target.name(), lines.len(), o.sessions));
        }
        for c in [lines[0], lines[lines.len() / 2], lines[lines.len() - 1]] {
            let (status, body) = get(port, Some(c))?;
            if status != 200 || body.len() != 200 {
                return Err(format!("{}: a live session got {status} ({} bytes), not 200", target.name(), body.len()));
            }
        }
        if !target.server.ends_with("-bare") {
            let (status, _) = get(port, None)?;
            if status != 401 {
                return Err(format!("{}: a request without a session got {status}, not 401", target.name()));
            }
        }

        // Warm first, so that the unloaded figure is not the first pass over the sessions.
        let warm = if o.warmup > 0 { Some(self.wrk(port, o.connections, o.warmup, cookies)?) } else { None };
        let idle = self.wrk(port, 1, o.latency, cookies)?;
        let commands_before =
            redis.map(|(rport, _)| redis_info_field(rport, "stats", "total_commands_processed")).transpose()?;
        let ticks_before = cpu_ticks(child.id());
        let load = self.wrk(port, o.connections, o.duration, cookies)?;
        let ticks = cpu_ticks(child.id()).saturating_sub(ticks_before);
        if let (Some((rport, _)), Some(before)) = (redis, commands_before) {
            let after = redis_info_field(rport, "stats", "total_commands_processed")?;
            // The INFO call itself is one command.
            m.redis_per_request = Some(after.saturating_sub(before + 1) as f64 / load.requests.max(1) as f64);
        }
        for (what, r) in [("warm-up", warm.as_ref()), ("unloaded", Some(&idle)), ("loaded", Some(&load))] {
            let Some(r) = r else { continue };
            if r.status_errors > 0 || r.socket_errors > 0 {
                return Err(format!(
                    "{} {what}: {} error statuses, {} socket errors in {} requests",
                    target.name(),
                    r.status_errors,
                    r.socket_errors,
                    r.requests
                ));
            }
        }
        m.rps = load.requests as f64 / (load.duration_us as f64 / 1e6);
        m.p50_us = load.p50_us as f64;
        m.p99_us = load.p99_us as f64;
        m.idle_p50_us = idle.p50_us as f64;
        m.idle_p99_us = idle.p99_us as f64;
        m.server_cpu = ticks as f64 / 100.0 / (load.duration_us as f64 / 1e6);
        m.rss_after_kib = rss_of(child.id());
        Ok(m)
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn table(o: &Options, targets: &[Target], runs: &HashMap<Target, Vec<Measured>>) -> String {
    use std::fmt::Write as _;
    let med = |t: &Target, f: &dyn Fn(&Measured) -> f64| {
        median(runs.get(t).map_or_else(Vec::new, |v| v.iter().map(f).collect()))
    };
    let bare = |t: &Target| Target { server: t.bare(), redis: false };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} live sessions per server; {} rounds, interleaved; per round {2} s of warm-up on {4} connections, {5} s on \
         one connection (unloaded), then {3} s of load on {4} connections. Server on CPU 0, wrk on CPU 1. Medians over \
         the rounds; ratios to the bare framework in this run. RSS per session: the growth of the server's anonymous \
         resident memory while it made its sessions, over their number.\n",
        o.sessions, o.rounds, o.warmup, o.duration, o.connections, o.latency
    );
    let _ = writeln!(
        s,
        "| server | req/s | of bare | of bare, per round | p50 (µs) | p99 (µs) | unloaded p50 (µs) | unloaded p99 (µs) | unloaded p99 over bare (µs) | server CPU | RSS after load (MiB) | RSS per session (B) | Redis per session (B) | Redis commands per request | req/s per round |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for t in targets {
        let rps = med(t, &|m| m.rps);
        let bare_rps = med(&bare(t), &|m| m.rps);
        let idle99 = med(t, &|m| m.idle_p99_us);
        let bare_idle99 = med(&bare(t), &|m| m.idle_p99_us);
        let per_session =
            med(t, &|m| (m.rss_seeded_kib.saturating_sub(m.rss_before_kib) * 1024) as f64 / m.sessions.max(1) as f64);
        let mine = runs.get(t).map_or(&[][..], Vec::as_slice);
        let bares = runs.get(&bare(t)).map_or(&[][..], Vec::as_slice);
        // Each round's ratio to the bare server of the same round (the rounds interleave).
        let per_round = median(mine.iter().zip(bares).map(|(m, b)| m.rps / b.rps).collect());
        let redis = mine
            .iter()
            .map(|m| m.redis_bytes.map(|b| b as f64 / m.sessions.max(1) as f64))
            .collect::<Option<Vec<f64>>>();
        let commands = mine.iter().map(|m| m.redis_per_request).collect::<Option<Vec<f64>>>();
        let rounds: Vec<String> = mine.iter().map(|m| format!("{:.0}", m.rps)).collect();
        let dash = || "-".to_owned();
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:+.0} | {:.0} % | {:.1} | {} | {} | {} | {} |",
            t.name(),
            rps,
            rps / bare_rps,
            per_round,
            med(t, &|m| m.p50_us),
            med(t, &|m| m.p99_us),
            med(t, &|m| m.idle_p50_us),
            idle99,
            idle99 - bare_idle99,
            med(t, &|m| m.server_cpu) * 100.0,
            med(t, &|m| m.rss_after_kib as f64) / 1024.0,
            if t.server.ends_with("-bare") { dash() } else { format!("{per_session:.0}") },
            redis.filter(|v| !v.is_empty()).map_or_else(dash, |v| format!("{:.0}", median(v))),
            commands.filter(|v| !v.is_empty()).map_or_else(dash, |v| format!("{:.4}", median(v))),
            rounds.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\nServer CPU is the server's CPU time over the measured load as a share of one core: a bare server well \
         under 100 % means the load tool, not the server, set the pace, and the ratios to it are then too kind."
    );
    s
}

fn start_redis(work: &Path) -> Result<(Child, u16), String> {
    let port = free_port()?;
    let dir = work.join("redis");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut child = Command::new("taskset")
        .args(["-c", "1", "redis-server", "--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "no", "--dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server could not start: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("redis-server never listened".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, port))
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bench-run: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: Options) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe.parent().ok_or("no binary directory")?.to_owned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join(format!("govuk-one-login-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let mut harness =
        Harness { options: options.clone(), bin_dir, lua: root.join("wrk/sessions.lua"), work, redis: None };

    let mut targets: Vec<Target> = SERVERS
        .iter()
        .filter(|s| s.ends_with("-bare") || options.only.as_ref().is_none_or(|only| only.iter().any(|o| o == *s)))
        .map(|&server| Target { server, redis: false })
        .collect();
    if options.redis {
        harness.redis = Some(start_redis(&harness.work)?);
        for server in ["axum-ours", "actix-ours"] {
            if options.only.as_ref().is_none_or(|only| only.iter().any(|o| o == server)) {
                targets.push(Target { server, redis: true });
            }
        }
    }
    let mut runs: HashMap<Target, Vec<Measured>> = HashMap::new();
    for round in 1..=options.rounds {
        for t in &targets {
            eprintln!("bench-run: round {round}/{}: {}", options.rounds, t.name());
            let m = harness.run_one(t)?;
            eprintln!(
                "bench-run:   {:.0} req/s, p99 {:.0} µs, unloaded p99 {:.0} µs, RSS {} → {} → {} KiB",
                m.rps, m.p99_us, m.idle_p99_us, m.rss_before_kib, m.rss_seeded_kib, m.rss_after_kib
            );
            runs.entry(t.clone()).or_default().push(m);
        }
    }
    let report = table(&options, &targets, &runs);
    println!("{report}");
    if let Some(out) = &options.out {
        std::fs::write(out, &report).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}
