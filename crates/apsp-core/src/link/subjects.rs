//! Subjects: persons of force records first (in file order), then numbers and persons
//! known only by id, interned as met. The index a subject gets depends only on the
//! files' order, never on threads.

use polars::prelude::DataFrame;
use rustc_hash::FxHashMap as HashMap;

use super::columns::{floats, ints, texts, Sources};
use super::model::{Person, Subject, SubjectIx, SubjectKind};
use crate::error::Result;

/// The subjects met so far and how to find them.
#[derive(Default)]
pub(super) struct SubjectBook {
    pub subjects: Vec<Subject>,
    /// `person_id` or E.164 number → subject.
    pub index: HashMap<String, SubjectIx>,
    /// A person's number (from `person_numbers`) → the person (the first listed).
    pub number_person: HashMap<String, SubjectIx>,
    /// A number listed for several persons → all of them, in the order listed.
    pub number_owners: HashMap<String, Vec<SubjectIx>>,
}

impl SubjectBook {
    fn push(&mut self, subject: Subject) -> SubjectIx {
        let s = SubjectIx(self.subjects.len() as u32);
        self.index.insert(subject.id.clone(), s);
        self.subjects.push(subject);
        s
    }

    /// Every row of `persons`, in file order.
    pub fn add_persons(&mut self, persons: &DataFrame, sources: &Sources) -> Result<()> {
        let source = sources.rows(persons)?;
        let (ids, flags) = (
            texts(persons, "person_id")?,
            texts(persons, "vulnerabilities")?,
        );
        let dob = ints(persons, "date_of_birth")?;
        let (lat, lon) = (
            floats(persons, "address_lat")?,
            floats(persons, "address_lon")?,
        );
        for (i, &source) in source.iter().enumerate() {
            self.push(Subject {
                id: ids.get(i).unwrap_or_default().to_string(),
                kind: SubjectKind::Person,
                person: Some(Person {
                    dob: dob.get(i).map(|d| d as i32),
                    flags: flags
                        .get(i)
                        .map(|f| f.split(';').map(String::from).collect())
                        .unwrap_or_default(),
                    home: lat.get(i).zip(lon.get(i)),
                    source: Some(source),
                }),
            });
        }
        Ok(())
    }

    /// The numbers of `person_numbers`: each E.164 number belongs to its person (a
    /// person not in `persons` becomes a subject known by id only).
    pub fn add_person_numbers(&mut self, person_numbers: &DataFrame) -> Result<()> {
        let (pid, num) = (
            texts(person_numbers, "person_id")?,
            texts(person_numbers, "number")?,
        );
        let kind = texts(person_numbers, "number_kind")?;
        for i in 0..person_numbers.height() {
            if let (Some(p), Some(nr), Some("e164")) = (pid.get(i), num.get(i), kind.get(i)) {
                let s = self.person(p);
                // A number shared by several people: contact goes to the first one
                // listed; the others are remembered (see `super::aliases`).
                let first = *self.number_person.entry(nr.to_string()).or_insert(s);
                if first != s {
                    let owners = self.number_owners.entry(nr.to_string()).or_default();
                    if owners.is_empty() {
                        owners.push(first);
                    }
                    if !owners.contains(&s) {
                        owners.push(s);
                    }
                }
            }
        }
        Ok(())
    }

    /// The person `id`; a person met in case links or person_numbers but not in
    /// persons is known by id only.
    pub fn person(&mut self, id: &str) -> SubjectIx {
        if let Some(s) = self.index.get(id) {
            return *s;
        }
        self.push(Subject {
            id: id.to_string(),
            kind: SubjectKind::Person,
            person: Some(Person::default()),
        })
    }

    /// The subject of number `nr`: the person it belongs to, else a subject of its own.
    pub fn number(&mut self, nr: &str) -> SubjectIx {
        if let Some(s) = self.number_person.get(nr).or_else(|| self.index.get(nr)) {
            return *s;
        }
        self.push(Subject {
            id: nr.to_string(),
            kind: SubjectKind::Number,
            person: None,
        })
    }

    /// The subject `nr` already is (a person's number, or a number met before).
    pub fn known_number(&self, nr: &str) -> Option<SubjectIx> {
        self.number_person
            .get(nr)
            .or_else(|| self.index.get(nr))
            .copied()
    }
}
