//! The synthetic force: deterministic per seed, and valid against the contract
//! (every generated row is used; nothing is quarantined).

use apsp_core::ingest::IngestOptions;
use apsp_core::synth::{generate, SynthConfig};
use apsp_core::{read_dataset, Table};

fn cfg(seed: u64) -> SynthConfig {
    SynthConfig {
        officers: 40,
        days: 120,
        seed,
        // Covers the spring-forward change (29 March 2026).
        start: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate(a.path(), &cfg(3)).unwrap();
    generate(b.path(), &cfg(3)).unwrap();
    generate(c.path(), &cfg(4)).unwrap();
    for f in [
        "officers.csv",
        "devices.csv",
        "shifts.csv",
        "persons.csv",
        "person_numbers.csv",
        "case_links.csv",
        "billing.csv",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(f)).unwrap(), "{f}");
        if f != "officers.csv" && f != "devices.csv" {
            assert_ne!(
                x,
                std::fs::read(c.path().join(f)).unwrap(),
                "{f} ignores the seed"
            );
        }
    }
}

#[test]
fn generated_force_validates_with_nothing_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(dir.path(), &cfg(11)).unwrap();
    let ds = read_dataset(dir.path(), &IngestOptions::default()).unwrap();
    assert_eq!(ds.quarantined(), 0, "{}", ds.quarantine);
    for (t, n) in [
        (Table::Officers, s.officers),
        (Table::Persons, s.persons),
        (Table::Shifts, s.shifts),
        (Table::CaseLinks, s.case_links),
        (Table::Billing, s.billing),
        (Table::Stops, s.stops),
        (Table::Deployments, s.deployments),
        (Table::VehicleAssignments, s.vehicle_assignments),
        (Table::AccessLog, s.access_log),
        (Table::Complaints, s.complaints),
    ] {
        assert_eq!(ds.table(t).unwrap().height() as u64, n, "{t}");
    }
    assert!(
        s.billing > 500 && s.case_links > 50 && s.stops > 500,
        "{s:?}"
    );
    assert!(
        s.deployments > 100 && s.access_log > 100 && s.vehicle_assignments > 100,
        "{s:?}"
    );
    assert!(ds.manifest.ignored_files.is_empty());
}
