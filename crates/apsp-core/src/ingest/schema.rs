//! The canonical tables of the data contract (`docs/data-contract.md`): names, columns, types, keys and the
//! row rules each table obeys. This file is the contract in code; change them together.

use serde::{Deserialize, Serialize};

/// A canonical input table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Officers,
    Devices,
    Shifts,
    Persons,
    PersonNumbers,
    CaseLinks,
    Billing,
    Stops,
    VehicleAssignments,
    Deployments,
    AccessLog,
    Complaints,
}

/// The type of a canonical column, which decides how a cell is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Free text, trimmed; blank = null.
    Str,
    /// One of a fixed vocabulary (lower-cased before matching).
    Enum(&'static [&'static str]),
    /// `;`-separated flags, each from a fixed vocabulary; written sorted and de-duplicated.
    Flags(&'static [&'static str]),
    /// A whole number >= 0.
    Count,
    /// A latitude in degrees (WGS84).
    Lat,
    /// A longitude in degrees (WGS84).
    Lon,
    /// A calendar date.
    Date,
    /// An instant, stored as UTC microseconds.
    Datetime,
    /// A phone number, normalised to E.164; adds a `<name>_kind` column.
    Phone,
}

impl ColType {
    /// The name used in error messages ("expected datetime").
    pub fn describe(&self) -> &'static str {
        match self {
            ColType::Str => "text",
            ColType::Enum(_) => "one of a fixed set of values",
            ColType::Flags(_) => "';'-separated flags",
            ColType::Count => "a whole number >= 0",
            ColType::Lat => "a latitude in degrees",
            ColType::Lon => "a longitude in degrees",
            ColType::Date => "a date",
            ColType::Datetime => "a datetime",
            ColType::Phone => "a phone number",
        }
    }
}

/// Whose data a column holds, for pseudonymisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// Officers' ids, times, codes: kept in clear.
    Clear,
    /// A member of the public's person id.
    PersonId,
    /// A phone number that may be a member of the public's.
    PublicNumber,
}

/// One canonical column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColType,
    pub required: bool,
    pub sensitivity: Sensitivity,
}

const fn col(name: &'static str, ty: ColType, required: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        required,
        sensitivity: Sensitivity::Clear,
    }
}

const fn person(name: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: ColType::Str,
        required,
        sensitivity: Sensitivity::PersonId,
    }
}

const fn public_number(name: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: ColType::Phone,
        required,
        sensitivity: Sensitivity::PublicNumber,
    }
}

pub const DIRECTIONS: &[&str] = &["out", "in"];
pub const BILLING_KINDS: &[&str] = &["call", "sms", "mms"];
pub const DEVICE_KINDS: &[&str] = &["work", "personal_declared"];
pub const PERSON_ROLES: &[&str] = &["victim", "witness", "reporter", "suspect", "other"];
pub const VULNERABILITIES: &[&str] = &[
    "domestic_abuse",
    "sexual_offence_victim",
    "mental_health",
    "learning_disability",
    "substance_dependency",
    "missing_or_suicidal",
    "trafficked",
    "homeless",
    "other",
];

use ColType::*;

const OFFICERS: &[ColumnSpec] = &[
    col("officer_id", Str, true),
    col("role", Str, true),
    col("unit", Str, false),
];
const DEVICES: &[ColumnSpec] = &[
    col("device_number", Phone, true),
    col("officer_id", Str, true),
    col("kind", Enum(DEVICE_KINDS), false),
    col("valid_from", Datetime, false),
    col("valid_to", Datetime, false),
];
const SHIFTS: &[ColumnSpec] = &[
    col("officer_id", Str, true),
    col("start", Datetime, true),
    col("end", Datetime, true),
];
const PERSONS: &[ColumnSpec] = &[
    person("person_id", true),
    col("date_of_birth", Date, false),
    col("vulnerabilities", Flags(VULNERABILITIES), false),
    col("address_lat", Lat, false),
    col("address_lon", Lon, false),
];
const PERSON_NUMBERS: &[ColumnSpec] = &[person("person_id", true), public_number("number", true)];
const CASE_LINKS: &[ColumnSpec] = &[
    col("case_id", Str, true),
    person("person_id", true),
    col("person_role", Enum(PERSON_ROLES), false),
    col("officer_id", Str, true),
    col("opened_at", Datetime, true),
    col("closed_at", Datetime, false),
    col("officer_until", Datetime, false),
    col("category", Str, false),
];
const BILLING: &[ColumnSpec] = &[
    col("record_id", Str, false),
    col("device_number", Phone, true),
    public_number("other_number", true),
    col("direction", Enum(DIRECTIONS), true),
    col("kind", Enum(BILLING_KINDS), true),
    col("started_at", Datetime, true),
    col("duration_s", Count, false),
];
const STOPS: &[ColumnSpec] = &[
    col("stop_id", Str, false),
    col("vehicle_id", Str, true),
    col("officer_id", Str, false),
    col("lat", Lat, true),
    col("lon", Lon, true),
    col("arrived_at", Datetime, true),
    col("departed_at", Datetime, true),
];
const VEHICLE_ASSIGNMENTS: &[ColumnSpec] = &[
    col("vehicle_id", Str, true),
    col("officer_id", Str, true),
    col("valid_from", Datetime, true),
    col("valid_to", Datetime, false),
];
const DEPLOYMENTS: &[ColumnSpec] = &[
    col("incident_id", Str, true),
    col("officer_id", Str, true),
    col("lat", Lat, true),
    col("lon", Lon, true),
    col("start", Datetime, true),
    col("end", Datetime, true),
];
const ACCESS_LOG: &[ColumnSpec] = &[
    col("event_id", Str, false),
    col("officer_id", Str, true),
    col("at", Datetime, true),
    col("system", Str, false),
    col("action", Str, false),
    person("person_id", false),
    public_number("subject_number", false),
    col("purpose_ref", Str, false),
];
const COMPLAINTS: &[ColumnSpec] = &[
    col("officer_id", Str, true),
    col("received_at", Datetime, true),
    col("category", Str, false),
];

/// Unambiguous synonyms exports use for coded values, accepted besides the canonical
/// vocabulary (matched case-insensitively). Anything else is `unknown_value`.
pub fn synonym(column: &str, text: &str) -> Option<&'static str> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.as_str();
    match column {
        "direction" => match t {
            "outgoing" | "outbound" | "originating" | "mo" | "o" | "sent" => Some("out"),
            "incoming" | "inbound" | "terminating" | "mt" | "i" | "received" => Some("in"),
            _ => None,
        },
        "kind" => match t {
            "voice" | "voice call" | "phone call" | "tel" => Some("call"),
            "text" | "text message" | "sms message" => Some("sms"),
            "picture message" | "mms message" => Some("mms"),
            "personal" => Some("personal_declared"),
            "corporate" | "business" => Some("work"),
            _ => None,
        },
        _ => None,
    }
}

/// A pair of columns where the second must not be earlier than the first.
#[derive(Debug, Clone, Copy)]
pub struct Ordered {
    pub first: &'static str,
    pub second: &'static str,
}

impl Table {
    /// All tables, in the order they are read: devices before the tables whose numbers
    /// must be told apart from officers' own numbers when pseudonymising.
    pub const ALL: [Table; 12] = [
        Table::Officers,
        Table::Devices,
        Table::Shifts,
        Table::Persons,
        Table::PersonNumbers,
        Table::CaseLinks,
        Table::Billing,
        Table::Stops,
        Table::VehicleAssignments,
        Table::Deployments,
        Table::AccessLog,
        Table::Complaints,
    ];

    /// The table's name, as in file names (`billing.csv`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Officers => "officers",
            Table::Devices => "devices",
            Table::Shifts => "shifts",
            Table::Persons => "persons",
            Table::PersonNumbers => "person_numbers",
            Table::CaseLinks => "case_links",
            Table::Billing => "billing",
            Table::Stops => "stops",
            Table::VehicleAssignments => "vehicle_assignments",
            Table::Deployments => "deployments",
            Table::AccessLog => "access_log",
            Table::Complaints => "complaints",
        }
    }

    /// Looks a table up by name.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The canonical columns.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Table::Officers => OFFICERS,
            Table::Devices => DEVICES,
            Table::Shifts => SHIFTS,
            Table::Persons => PERSONS,
            Table::PersonNumbers => PERSON_NUMBERS,
            Table::CaseLinks => CASE_LINKS,
            Table::Billing => BILLING,
            Table::Stops => STOPS,
            Table::VehicleAssignments => VEHICLE_ASSIGNMENTS,
            Table::Deployments => DEPLOYMENTS,
            Table::AccessLog => ACCESS_LOG,
            Table::Complaints => COMPLAINTS,
        }
    }

    /// The column that identifies a row, if the table has one. Two rows with the same
    /// key but different content conflict (`duplicate_key`); the first one read wins.
    pub fn key(self) -> Option<&'static str> {
        match self {
            Table::Officers => Some("officer_id"),
            Table::Persons => Some("person_id"),
            Table::Billing => Some("record_id"),
            Table::Stops => Some("stop_id"),
            Table::AccessLog => Some("event_id"),
            _ => None,
        }
    }

    /// Descriptive text no warning sign weighs and no join uses: a value that cannot be
    /// read as it should (text that is not UTF-8) is kept as read, never a reason to
    /// remove the row (an officer's `unit` with a Windows `É` once removed the officer).
    pub fn is_free_text(self, column: &str) -> bool {
        matches!(
            (self, column),
            (Table::Officers, "unit")
                | (Table::CaseLinks, "category")
                | (Table::AccessLog, "system" | "action")
        )
    }

    /// A key column that is derived from the row's content when blank.
    pub fn derived_key(self) -> Option<&'static str> {
        match self {
            Table::Billing => Some("record_id"),
            Table::Stops => Some("stop_id"),
            Table::AccessLog => Some("event_id"),
            _ => None,
        }
    }

    /// Pairs of times that must be in order (`end_before_start` otherwise).
    pub fn ordered(self) -> &'static [Ordered] {
        match self {
            Table::Devices | Table::VehicleAssignments => &[Ordered {
                first: "valid_from",
                second: "valid_to",
            }],
            Table::Shifts | Table::Deployments => &[Ordered {
                first: "start",
                second: "end",
            }],
            Table::CaseLinks => &[
                Ordered {
                    first: "opened_at",
                    second: "closed_at",
                },
                Ordered {
                    first: "opened_at",
                    second: "officer_until",
                },
            ],
            Table::Stops => &[Ordered {
                first: "arrived_at",
                second: "departed_at",
            }],
            _ => &[],
        }
    }

    /// Pairs of (lat, lon) columns checked together.
    pub fn coordinates(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Table::Persons => &[("address_lat", "address_lon")],
            Table::Stops | Table::Deployments => &[("lat", "lon")],
            _ => &[],
        }
    }

    /// The column that dates a row, for the date range in summaries.
    pub fn time_column(self) -> Option<&'static str> {
        match self {
            Table::Shifts | Table::Deployments => Some("start"),
            Table::CaseLinks => Some("opened_at"),
            Table::Billing => Some("started_at"),
            Table::Stops => Some("arrived_at"),
            Table::VehicleAssignments => Some("valid_from"),
            Table::AccessLog => Some("at"),
            Table::Complaints => Some("received_at"),
            Table::Devices => Some("valid_from"),
            _ => None,
        }
    }

    /// Whether this table is an event table (at least one is required).
    pub fn is_event_table(self) -> bool {
        matches!(self, Table::Billing | Table::Stops | Table::AccessLog)
    }

    /// Position of a canonical column.
    pub fn column_index(self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
