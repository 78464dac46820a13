//! Crash safety of the nightly store: twenty nights killed at random points (a fault
//! hook aborting the process at a named point, or a real SIGKILL after a random
//! delay). After each kill the store is whole; the next night finishes the killed
//! one's work; and the end is the same as a store no night of which was killed.

mod nights;

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use apsp_store::nightly::{FAULT_ENV, FAULT_POINTS};
use apsp_store::Store;
use nights::{bytes, deliver, force, NIGHTS};

fn apsp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_apsp"))
}

fn nightly_cmd(store: &Path, incoming: &Path) -> Command {
    let mut c = apsp();
    c.arg("nightly")
        .arg("--store")
        .arg(store)
        .arg("--incoming")
        .arg(incoming)
        .env_remove(FAULT_ENV)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    c
}

fn ran_clean(status: ExitStatus, night: i64) {
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "night {night} failed: {status:?}"
    );
}

fn runs(store: &Path) -> usize {
    Store::open(store)
        .map(|s| s.runs().unwrap().len())
        .unwrap_or(0)
}

/// The alerts, as (officer, subject, state, score, tier).
fn alerts(store: &Path) -> Vec<(String, String, String, String, String)> {
    let s = Store::open(store).unwrap();
    s.alerts(None)
        .unwrap()
        .into_iter()
        .map(|a| {
            (
                a.officer_id,
                a.subject_id,
                a.state,
                format!("{:.9}", a.score),
                a.tier,
            )
        })
        .collect()
}

/// How a night is killed.
#[derive(Debug, Clone)]
enum Kill {
    /// The fault hook aborts at this point.
    At(String),
    /// SIGKILL this long after the start.
    After(Duration),
}

#[test]
fn killed_nights_leave_the_store_whole_and_end_as_if_never_killed() {
    let f = force();
    let work = tempfile::tempdir().unwrap();
    let all = work.path().join("all");
    let drop = work.path().join("incoming");
    std::fs::create_dir_all(&all).unwrap();

    // The store no night of which is killed, and how long each night takes.
    let calm = work.path().join("calm");
    let mut took = Vec::new();
    for n in 0..=NIGHTS {
        deliver(&f, n, &drop, &all);
        let t = Instant::now();
        ran_clean(nightly_cmd(&calm, &drop).status().unwrap(), n);
        took.push(t.elapsed());
    }

    // Twenty nights (never the last: a night killed is finished by the next one) at
    // random points: fourteen by the fault hook, six by SIGKILL.
    let mut rng = oorandom::Rand64::new(20261205);
    let mut nights: Vec<i64> = (0..NIGHTS).collect();
    for i in (1..nights.len()).rev() {
        nights.swap(i, rng.rand_range(0..(i as u64 + 1)) as usize);
    }
    let mut plan: Vec<(i64, Kill)> = nights[..20]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let kill = if i < 14 {
                let p = FAULT_POINTS[rng.rand_range(0..FAULT_POINTS.len() as u64) as usize];
                if p == "part-renamed" {
                    Kill::At(format!("{p}:{}", rng.rand_range(1..4)))
                } else {
                    Kill::At(p.to_string())
                }
            } else {
                let ms = took[*n as usize].as_millis() as u64;
                Kill::After(Duration::from_millis(
                    rng.rand_range(0..(ms * 9 / 10).max(2)),
                ))
            };
            (*n, kill)
        })
        .collect();
    plan.sort_by_key(|(n, _)| *n);

    let store = work.path().join("store");
    let mut killed = 0;
    for n in 0..=NIGHTS {
        deliver(&f, n, &drop, &all);
        if let Some((_, kill)) = plan.iter().find(|(k, _)| *k == n) {
            let before = runs(&store);
            let mut cmd = nightly_cmd(&store, &drop);
            let status = match kill {
                Kill::At(point) => cmd.env(FAULT_ENV, point).status().unwrap(),
                Kill::After(delay) => {
                    let mut child = cmd.spawn().unwrap();
                    std::thread::sleep(*delay);
                    let _ = child.kill();
                    child.wait().unwrap()
                }
            };
            if !status.success() && status.code().is_none() {
                killed += 1;
            }
            // Whole after the kill, whatever it interrupted.
            if store.join("store.sqlite").exists() {
                let problems = Store::open(&store).unwrap().verify().unwrap();
                assert!(problems.is_empty(), "night {n} ({kill:?}): {problems:?}");
            }
            let committed = runs(&store) > before;
            eprintln!("night {n}: {kill:?} -> {status:?}; data committed: {committed}");
            if committed {
                // Its data committed: the next night finishes it.
                continue;
            }
        }
        ran_clean(nightly_cmd(&store, &drop).status().unwrap(), n);
    }
    assert!(killed >= 14, "only {killed} nights were killed");

    // The end is the same: the last run's frames, and every alert.
    let last = |s: &Path| {
        let st = Store::open(s).unwrap();
        let runs = st.runs().unwrap();
        s.join(&runs.last().unwrap().folder)
    };
    for name in ["officers", "pairs", "signals", "evidence"] {
        let file = format!("{name}.parquet");
        assert!(
            bytes(&last(&store).join(&file)) == bytes(&last(&calm).join(&file)),
            "{file} differs from the store never killed"
        );
    }
    assert_eq!(alerts(&store), alerts(&calm));
    assert_eq!(runs(&store), runs(&calm));
}

#[test]
fn a_second_run_at_once_is_refused_naming_the_holder() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let incoming = work.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(store.join("lock"))
        .unwrap();
    lock.lock().unwrap();
    std::fs::write(
        store.join("lock"),
        "pid 4242 on night-host since 2026-12-05T01:00:00Z",
    )
    .unwrap();
    let out = nightly_cmd(&store, &incoming).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another run is using it (pid 4242 on night-host since 2026-12-05T01:00:00Z)"),
        "{err}"
    );
}
