"""Writes the bad-input corpus (tests/data/bad_input/): run from that folder.

Each case is a tiny dataset under <case>/data plus expect.toml, the exact outcome
worked out by hand. The files are the corpus; this script only records how they were
made, so a case can be edited here and regenerated."""
import os, json, hmac, hashlib, gzip
BH = "record_id,device_number,other_number,direction,kind,started_at,duration_s"
OFF = "officer_id,role\nPC1,PC\n"
def good(i, t=None, num="07911100001", dur="30"):
    t = t or f"2026-01-10T10:{i:02d}:00"
    return f"R{i},07700900001,{num},out,call,{t},{dur}"
def toml_str(v):
    return json.dumps(v)
def case(name, files, desc, error=None, quarantine=(), counts=None, values=(), opts=None, py_exc=None, ignored=(), officers=True, extra=None, fall_back=None):
    d = name
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    if officers:
        files = {"officers.csv": OFF, **files}
    for fn, content in files.items():
        path = os.path.join(d, "data", fn) if not fn.startswith("../") else os.path.join(d, fn[3:])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode, **({} if mode == "wb" else {"newline": ""})) as f:
            f.write(content)
    lines = [f"description = {toml_str(desc)}"]
    for k, v in (opts or {}).items():
        lines.append(f"{k} = {toml_str(v)}")
    if py_exc:
        lines.append(f"python_exception = {toml_str(py_exc)}")
    if ignored:
        lines.append(f"ignored_files = {toml_str(list(ignored))}")
    if error:
        lines += ["", "[error]", f"kind = {toml_str(error[0])}", f"contains = {toml_str(error[1])}"]
    for q in quarantine:
        lines += ["", "[[quarantine]]"] + [f"{k} = {toml_str(v)}" for k, v in q.items()]
    for t, c in (counts or {}).items():
        lines += ["", f"[counts.{t}]"] + [f"{k} = {v}" for k, v in zip(("read","used","quarantined","duplicates"), c)]
    for v in values:
        lines += ["", "[[value]]"] + [f"{k} = {toml_str(x)}" for k, x in zip(("table","row","column","equals"), v)]
    if fall_back is not None:
        lines += ["", "[fall_back_resolved]"] + [f"{t} = {n}" for t, n in fall_back.items()]
    with open(os.path.join(d, "expect.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")
def Q(table, file, line, reason, column=None, **kw):
    q = {"table": table, "file": file, "line": line, "reason": reason}
    if column: q["column"] = column
    q.update(kw); return q
def billing(*rows): return BH + "\n" + "\n".join(rows) + "\n"

case("billing_bad_timestamp", {"billing.csv": billing(good(1), "R2,07700900001,07911100001,out,call,10/01/2026 10:02,30", good(3))},
     "A datetime in a non-ISO layout without a profile is quarantined, the rest kept.",
     quarantine=[Q("billing","billing.csv",3,"bad_timestamp","started_at", message_contains="10/01/2026 10:02")], counts={"billing":(3,2,1,0)})
case("billing_dst_gap", {"billing.csv": billing(good(1), good(2, "2026-03-29T01:30:00"), good(3, "2026-03-29T02:30:00"))},
     "01:30 on 29 March 2026 does not exist in London (clocks go forward): quarantined by default.",
     quarantine=[Q("billing","billing.csv",3,"nonexistent_local_time","started_at", message_contains="does not exist")],
     counts={"billing":(3,2,1,0)}, values=[("billing",1,"started_at","2026-03-29T01:30:00Z")])
case("billing_dst_gap_shift_forward", {"billing.csv": billing(good(1, "2026-03-29T01:30:00"))},
     "With nonexistent = shift_forward, 01:30 in the gap is read as 02:30 BST = 01:30Z.",
     opts={"nonexistent": "shift_forward"}, counts={"billing":(1,1,0,0)}, values=[("billing",0,"started_at","2026-03-29T01:30:00Z")])
case("billing_dst_overlap_earliest", {"billing.csv": billing(good(1, "2026-10-25T01:30:00"), good(2, "2026-10-25T01:30:00+00:00"), good(3, "2026-10-25T01:30:00Z"))},
     "01:30 on 25 October 2026 happens twice in London; default earliest = 00:30Z. An explicit offset or Z is respected.",
     counts={"billing":(3,3,0,0)}, values=[("billing",0,"started_at","2026-10-25T00:30:00Z"),("billing",1,"started_at","2026-10-25T01:30:00Z"),("billing",2,"started_at","2026-10-25T01:30:00Z")])
case("billing_dst_overlap_latest", {"billing.csv": billing(good(1, "2026-10-25T01:30:00"))},
     "ambiguous = latest reads the second 01:30 (GMT) = 01:30Z.", opts={"ambiguous": "latest"},
     counts={"billing":(1,1,0,0)}, values=[("billing",0,"started_at","2026-10-25T01:30:00Z")])
case("billing_dst_overlap_quarantine", {"billing.csv": billing(good(1), good(2, "2026-10-25T01:30:00"))},
     "ambiguous = quarantine sends the doubled hour to quarantine.", opts={"ambiguous": "quarantine"},
     quarantine=[Q("billing","billing.csv",3,"ambiguous_local_time","started_at")], counts={"billing":(2,1,1,0)})
case("phone_number_writings", {"billing.csv": billing(good(1, num='"+44 (0)7700 900123"'), good(2, num="07700900123"), good(3, num="0044 7700 900123"),
        good(4, num="withheld"), good(5, num=""), good(6, num="07700-900-123"), good(7, num="999"), good(8, num="60060"), good(9, num='"(020) 7946 0000"'))},
     "UK and international writings normalise to one E.164 number; withheld and blank are kept as withheld; 999 and SMS short codes are service numbers.",
     counts={"billing":(9,9,0,0)}, values=[("billing",0,"other_number","+447700900123"),("billing",1,"other_number","+447700900123"),
        ("billing",2,"other_number","+447700900123"),("billing",3,"other_number","null"),("billing",3,"other_number_kind","withheld"),
        ("billing",4,"other_number_kind","withheld"),("billing",5,"other_number","+447700900123"),("billing",6,"other_number","999"),
        ("billing",6,"other_number_kind","service"),("billing",7,"other_number_kind","service"),("billing",8,"other_number","+442079460000"),
        ("billing",0,"device_number","+447700900001"),("billing",0,"other_number_kind","e164")])
case("billing_bad_phone_letters", {"billing.csv": billing(good(1), good(2, num="07700 9OO123"))},
     "A number with letters (O for 0) cannot be normalised.", quarantine=[Q("billing","billing.csv",3,"bad_phone","other_number", message_contains="'O'")], counts={"billing":(2,1,1,0)})
case("billing_bad_phone_length", {"billing.csv": billing(good(1, num="077009001234567890"), good(2, num='"+44 7700 9001"'), good(3))},
     "Numbers of impossible length are quarantined.",
     quarantine=[Q("billing","billing.csv",2,"bad_phone","other_number"), Q("billing","billing.csv",3,"bad_phone","other_number", message_contains="impossible length")], counts={"billing":(3,1,2,0)})
case("billing_unknown_direction", {"billing.csv": billing("R1,07700900001,07911100001,OUT,call,2026-01-10T10:01:00,30", "R2,07700900001,07911100001,sideways,call,2026-01-10T10:02:00,30")},
     "direction is out or in (any case); other values are unknown.",
     quarantine=[Q("billing","billing.csv",3,"unknown_value","direction", message_contains="sideways")], counts={"billing":(2,1,1,0)}, values=[("billing",0,"direction","out")])
case("billing_unknown_kind", {"billing.csv": billing(good(1), "R2,07700900001,07911100001,out,fax,2026-01-10T10:02:00,30")},
     "kind is call, sms or mms.", quarantine=[Q("billing","billing.csv",3,"unknown_value","kind")], counts={"billing":(2,1,1,0)})
case("billing_bad_duration", {"billing.csv": billing(good(1, dur="-5"), good(2, dur="abc"), good(3, dur="12.5"), good(4, dur=""), good(5, dur="00:02:03"))},
     "duration_s is whole seconds >= 0 in the canonical contract (H:MM:SS needs a profile); blank is allowed.",
     quarantine=[Q("billing","billing.csv",2,"bad_number","duration_s", message_contains="negative"), Q("billing","billing.csv",3,"bad_number","duration_s"),
                 Q("billing","billing.csv",4,"bad_number","duration_s"), Q("billing","billing.csv",6,"bad_number","duration_s")],
     counts={"billing":(5,1,4,0)}, values=[("billing",0,"duration_s","null")])
case("billing_duplicate_key", {"billing.csv": billing(good(1), good(1, dur="31"), good(1))},
     "The same record_id with different values conflicts: the first row is kept, the conflicting one quarantined; an exact copy of the kept row is a duplicate.",
     quarantine=[Q("billing","billing.csv",3,"duplicate_key","record_id", message_contains="billing.csv:2")], counts={"billing":(3,1,1,1)})
case("billing_overlapping_exports", {"billing/2026-01-10.csv": billing(good(1), good(2), good(3)), "billing/2026-01-11.csv": billing(good(3), good(4)),
        "billing/2026-01-12.csv": BH + "\n,07700900001,07911100001,out,sms,2026-01-12T09:00:00,\n,07700900001,07911100001,out,sms,2026-01-12T09:00:00,\n"},
     "A table may be a folder of daily exports; the same record in two overlapping exports is counted once as a duplicate. Rows without record_id get a derived id; identical ones are duplicates.",
     counts={"billing":(7,5,0,2)})
case("billing_missing_required_column", {"billing.csv": "record_id,device_number,other_number,direction,kind,duration_s\nR1,07700900001,07911100001,out,call,30\n"},
     "A missing required column is fatal, naming file, line and column.", error=("schema", ["billing.csv", "line 1", '"started_at"', "required column"]), py_exc="SchemaError")
case("billing_unknown_column", {"billing.csv": BH + ",cost\n" + good(1) + ",0.10\n"},
     "An unknown column is fatal (a typo must not silently drop data).", error=("schema", ["billing.csv", "line 1", '"cost"', "unknown column"]), py_exc="SchemaError")
case("billing_wrong_delimiter", {"billing.csv": BH.replace(",", ";") + "\n" + good(1).replace(",", ";") + "\n"},
     "A ';'-delimited file read as CSV has one header column: fatal, with a hint.", error=("schema", ["billing.csv", "line 1", "';'-delimited", "delimiter"]), py_exc="SchemaError")
case("billing_bom_crlf", {"billing.csv": ("\ufeff" + BH + "\r\n" + good(1) + "\r\n" + good(2) + "\r\n").encode("utf-8")},
     "A UTF-8 byte-order mark and CRLF line ends (Excel exports) are accepted.", counts={"billing":(2,2,0,0)}, values=[("billing",0,"record_id","R1"),("billing",1,"duration_s","30")])
case("billing_empty_file", {"billing.csv": b""}, "An empty file (failed export) is fatal.", error=("schema", ["billing.csv", "empty"]), py_exc="SchemaError")
case("billing_header_only", {"billing.csv": BH + "\n"}, "A header with no rows is a valid empty table.", counts={"billing":(0,0,0,0)})
case("billing_broken_quoting", {"billing.csv": billing(good(1), 'R2,07700900001,"07911100001,out,call,2026-01-10T10:02:00,30', good(3), good(4))},
     "An unclosed quote swallows the rest of the file into one field: the row is quarantined as bad_quoting (what it swallowed is in raw).",
     quarantine=[Q("billing","billing.csv",3,"bad_quoting", message_contains="unbalanced quote")], counts={"billing":(2,1,1,0)})
case("billing_field_count", {"billing.csv": billing(good(1), "R2,07700900001,07911100001,out,call,2026-01-10T10:02:00", good(3)+",extra", good(4)+",")},
     "Rows with fewer or more fields than the header are quarantined; one trailing empty field (a trailing delimiter) is accepted.",
     quarantine=[Q("billing","billing.csv",3,"bad_field_count", message_contains="6 fields"), Q("billing","billing.csv",4,"bad_field_count", message_contains="8 fields")],
     counts={"billing":(4,2,2,0)})
case("billing_bad_encoding", {"billing.csv": (BH + "\n" + good(1) + "\n").encode() + b"R\xe92,07700900001,07911100001,out,call,2026-01-10T10:02:00,30\n" + (good(3)+"\n").encode()},
     "A row whose identifier is not UTF-8 (a Latin-1 byte in record_id) is quarantined as bad_encoding, naming the column and the encoding setting.",
     quarantine=[Q("billing","billing.csv",3,"bad_encoding","record_id", message_contains='encoding = "cp1252"')], counts={"billing":(3,2,1,0)})
case("officers_unit_not_utf8", {"officers.csv": b"officer_id,role,unit\nPC1,PC,Cr\xe9dit Fraud\nPC2,PC,Response\n", "billing.csv": billing(good(1))},
     "A cp1252 byte in a column no sign weighs (an officer's unit) keeps the officer: the value is read as cp1252 and counted in the manifest.",
     counts={"officers":(2,2,0,0)}, values=[("officers",0,"unit","Cr\u00e9dit Fraud")], officers=False)
case("officers_cp1252_encoding", {"officers.csv": b"officer_id,role,unit\nPC1,PC,\x93North\x94 \xa31\n", "billing.csv": billing(good(1))},
     "With encoding = cp1252 every field is read as Windows-1252: curly quotes and the pound sign.",
     opts={"encoding": "cp1252"}, counts={"officers":(1,1,0,0)}, values=[("officers",0,"unit","\u201cNorth\u201d \u00a31")], officers=False)
case("officers_latin1_id", {"officers.csv": b"officer_id,role\nPC\xc91,PC\n", "billing.csv": billing(good(1))},
     "With encoding = latin-1 an identifier with a Latin-1 byte is read, not quarantined.",
     opts={"encoding": "latin-1"}, counts={"officers":(1,1,0,0)}, values=[("officers",0,"officer_id","PC\u00c91")], officers=False)
case("billing_mistyped_column", {"billing.csv": billing(*[f"R{i},07700900001,07911100001,out,call,{1768039200+i},30" for i in range(1,4)])},
     "If no row of a file can be read in a column (epoch seconds instead of datetimes), the column is mistyped: fatal, not a quiet mass quarantine.",
     error=("schema", ["billing.csv", '"started_at"', "none of the 3 rows", "1768039201"]), py_exc="SchemaError")
case("billing_missing_value", {"billing.csv": billing(good(1), "R2,,07911100001,out,call,2026-01-10T10:02:00,30", "R3,07700900001,07911100001,out,,2026-01-10T10:03:00,30")},
     "A blank required value is quarantined as missing_value.",
     quarantine=[Q("billing","billing.csv",3,"missing_value","device_number"), Q("billing","billing.csv",4,"missing_value","kind")], counts={"billing":(3,1,2,0)})
SH = "stop_id,vehicle_id,officer_id,lat,lon,arrived_at,departed_at"
def stop(i, lat="51.5", lon="-0.12", a=None, d=None):
    a = a or f"2026-01-10T10:{i:02d}:00"; d = d or f"2026-01-10T10:{i+1:02d}:00"
    return f"S{i},V1,PC1,{lat},{lon},{a},{d}"
case("stops_bad_coordinates", {"stops.csv": SH + "\n" + "\n".join([stop(1), stop(2, lat="95"), stop(3, lat="0", lon="0"), stop(4, lon=""), stop(5, lon="abc"), stop(6, lon="-181")]) + "\n"},
     "Latitude outside -90..90, longitude outside -180..180, 0,0 (no GPS fix) and text are bad coordinates; a blank required one is missing.",
     quarantine=[Q("stops","stops.csv",3,"bad_coordinates","lat"), Q("stops","stops.csv",4,"bad_coordinates","lat", message_contains="no GPS fix"),
                 Q("stops","stops.csv",5,"missing_value","lon"), Q("stops","stops.csv",6,"bad_coordinates","lon"), Q("stops","stops.csv",7,"bad_coordinates","lon")],
     counts={"stops":(6,1,5,0)})
case("stops_end_before_start", {"stops.csv": SH + "\n" + stop(1) + "\n" + stop(2, a="2026-01-10T11:00:00", d="2026-01-10T10:59:59") + "\n" + stop(3, a="2026-01-10T11:00:00", d="2026-01-10T11:00:00") + "\n"},
     "departed_at before arrived_at is impossible; equal times are allowed.",
     quarantine=[Q("stops","stops.csv",3,"end_before_start","departed_at")], counts={"stops":(3,2,1,0)})
case("shifts_end_before_start", {"billing.csv": billing(good(1)), "shifts.csv": "officer_id,start,end\nPC1,2026-01-10T07:00:00,2026-01-10T17:00:00\nPC1,2026-01-11T17:00:00,2026-01-11T07:00:00\nPC1,2026-01-12T22:00:00,2026-01-13T08:00:00\n"},
     "A shift ending before it starts is quarantined; a night shift over midnight is fine.",
     quarantine=[Q("shifts","shifts.csv",3,"end_before_start","end")], counts={"shifts":(3,2,1,0)})
def shifts(*rows): return "officer_id,start,end\n" + "".join(f"PC1,{a},{b}\n" for a, b in rows)
case("shifts_fall_back_hour", {"billing.csv": billing(good(1)), "shifts.csv": shifts(
        ("2026-10-25T01:14:00", "2026-10-25T01:05:00"), ("2026-10-25T03:00:00", "2026-10-25T02:00:00"),
        ("2026-10-25T00:40:00", "2026-10-25T01:30:00"), ("2026-10-25T01:50:00", "2026-10-25T00:40:00"),
        ("2026-10-25T02:30:00", "2026-10-25T01:30:00"))},
     "25 October 2026: 01:00-01:59 happens twice in London. A shift 01:14 -> 01:05 is backwards only as read (both first pass): it ends in the second pass, 01:14 BST = 00:14Z -> 01:05 GMT = 01:05Z, kept and counted in fall_back_resolved. 03:00 -> 02:00, 01:50 -> 00:40 and 02:30 -> 01:30 are backwards in every reading: end_before_start. 00:40 -> 01:30 is in order as read (01:30 first pass = 00:30Z).",
     quarantine=[Q("shifts","shifts.csv",3,"end_before_start","end"), Q("shifts","shifts.csv",5,"end_before_start","end"), Q("shifts","shifts.csv",6,"end_before_start","end")],
     counts={"shifts":(5,2,3,0)}, fall_back={"shifts": 1},
     values=[("shifts",0,"start","2026-10-25T00:14:00Z"), ("shifts",0,"end","2026-10-25T01:05:00Z"), ("shifts",1,"start","2026-10-24T23:40:00Z"), ("shifts",1,"end","2026-10-25T00:30:00Z")])
case("shifts_fall_back_hour_latest", {"billing.csv": billing(good(1)), "shifts.csv": shifts(
        ("2026-10-25T01:14:00", "2026-10-25T01:05:00"), ("2026-10-25T01:50:00", "2026-10-25T00:40:00"), ("2026-10-25T00:40:00", "2026-10-25T01:30:00"))},
     "With ambiguous = latest, 01:14 -> 01:05 reads 01:14Z -> 01:05Z: the start is then its first pass, 01:14 BST = 00:14Z (the only reading in order), counted in fall_back_resolved. 01:50 -> 00:40 is backwards in every reading; 00:40 -> 01:30 is 23:40Z -> 01:30Z as read.",
     opts={"ambiguous": "latest"}, quarantine=[Q("shifts","shifts.csv",3,"end_before_start","end")],
     counts={"shifts":(3,2,1,0)}, fall_back={"shifts": 1},
     values=[("shifts",0,"start","2026-10-25T00:14:00Z"), ("shifts",0,"end","2026-10-25T01:05:00Z"), ("shifts",1,"start","2026-10-24T23:40:00Z"), ("shifts",1,"end","2026-10-25T01:30:00Z")])
case("shifts_spring_forward", {"billing.csv": billing(good(1)), "shifts.csv": shifts(
        ("2026-03-29T00:50:00", "2026-03-29T02:10:00"), ("2026-03-29T01:30:00", "2026-03-29T02:10:00"), ("2026-03-29T00:30:00", "2026-03-29T01:59:00"))},
     "29 March 2026: 01:00-01:59 does not exist in London. A shift 00:50 -> 02:10 spans the change: 00:50 GMT = 00:50Z -> 02:10 BST = 01:10Z, kept. A start or end in the gap is nonexistent_local_time (the default), nothing is read across.",
     quarantine=[Q("shifts","shifts.csv",3,"nonexistent_local_time","start"), Q("shifts","shifts.csv",4,"nonexistent_local_time","end")],
     counts={"shifts":(3,1,2,0)}, fall_back={"shifts": 0},
     values=[("shifts",0,"start","2026-03-29T00:50:00Z"), ("shifts",0,"end","2026-03-29T01:10:00Z")])
case("devices_rules", {"billing.csv": billing(good(1)), "devices.csv": "device_number,officer_id,kind,valid_from,valid_to\n07700900001,PC1,work,2026-01-01T00:00:00,\n07700900002,PC1,work,2026-02-01T00:00:00,2026-01-01T00:00:00\n0770090000X,PC1,work,,\n07700900003,PC1,burner,,\n07700900004,PC1,,,\n"},
     "Device validity must be in order, the number normalisable and the kind work or personal_declared (blank allowed).",
     quarantine=[Q("devices","devices.csv",3,"end_before_start","valid_to"), Q("devices","devices.csv",4,"bad_phone","device_number"), Q("devices","devices.csv",5,"unknown_value","kind")],
     counts={"devices":(5,2,3,0)}, values=[("devices",0,"device_number","+447700900001"),("devices",1,"kind","null")])
CH = "case_id,person_id,person_role,officer_id,opened_at,closed_at,officer_until,category"
case("case_links_rules", {"billing.csv": billing(good(1)), "case_links.csv": CH + "\nC1,P1,victim,PC1,2026-01-01T09:00:00,2026-01-20T09:00:00,,burglary\nC2,P2,victim,PC1,2026-01-01T09:00:00,2025-12-20T09:00:00,,burglary\nC3,P3,witness,PC1,2026-01-01T09:00:00,,2025-12-31T09:00:00,\nC4,P4,friend,PC1,2026-01-01T09:00:00,,,\nC5,P5,Victim ,PC1,2026-01-01T09:00:00,,,\n"},
     "closed_at and officer_until may not precede opened_at; person_role is from the contract's list (any case).",
     quarantine=[Q("case_links","case_links.csv",3,"end_before_start","closed_at"), Q("case_links","case_links.csv",4,"end_before_start","officer_until"), Q("case_links","case_links.csv",5,"unknown_value","person_role")],
     counts={"case_links":(5,2,3,0)}, values=[("case_links",1,"person_role","victim")])
PH = "person_id,date_of_birth,vulnerabilities,address_lat,address_lon"
case("persons_rules", {"billing.csv": billing(good(1)), "persons.csv": PH + "\nP1,1990-02-28,Mental Health; domestic_abuse,51.5,-0.1\nP2,1990-02-30,,,\nP3,1990-01-01,vulnerable,,\nP1,1991-01-01,,,\nP4,,,51.5,\n"},
     "Dates must exist, vulnerability flags come from the contract's list (normalised and sorted), person_id is unique, and an address needs both coordinates.",
     quarantine=[Q("persons","persons.csv",3,"bad_date","date_of_birth"), Q("persons","persons.csv",4,"unknown_value","vulnerabilities", message_contains="vulnerable"),
                 Q("persons","persons.csv",5,"duplicate_key","person_id"), Q("persons","persons.csv",6,"bad_coordinates","address_lat", message_contains="both")],
     counts={"persons":(5,1,4,0)}, values=[("persons",0,"vulnerabilities","domestic_abuse;mental_health"),("persons",0,"date_of_birth","1990-02-28")])
case("officers_rules", {"officers.csv": "officer_id,role,unit\nPC1,PC,North\nPC2,,North\nPC1,PCSO,South\nPC3,Sergeant,\n", "billing.csv": billing(good(1))},
     "officer_id is unique (a second row with other values conflicts) and role is required.",
     quarantine=[Q("officers","officers.csv",3,"missing_value","role"), Q("officers","officers.csv",4,"duplicate_key","officer_id", message_contains='"PC1"')],
     counts={"officers":(4,2,2,0)}, officers=False)
AH = "event_id,officer_id,at,system,action,person_id,subject_number,purpose_ref"
case("access_log_rules", {"access_log.csv": AH + "\nE1,PC1,2026-01-10T10:00:00Z,RMS,view,P1,,C1\nE2,PC1,2026-01-10T10:00:00+25:00,RMS,view,P1,,\nE3,PC1,2026-01-10T11:00:00,PNC,search,,07911 1OOOO1,\nE4,PC1,2026-01-10T12:00:00,PNC,search,,07911 100001,\n,PC1,2026-01-10T13:00:00,RMS,view,P9,,\n"},
     "An impossible offset is a bad timestamp; a malformed subject_number quarantines the row; a missing event_id is derived.",
     quarantine=[Q("access_log","access_log.csv",3,"bad_timestamp","at"), Q("access_log","access_log.csv",4,"bad_phone","subject_number")],
     counts={"access_log":(5,3,2,0)}, values=[("access_log",1,"subject_number","+447911100001"),("access_log",0,"at","2026-01-10T10:00:00Z")])
case("complaints_bad_timestamp", {"billing.csv": billing(good(1)), "complaints.csv": "officer_id,received_at,category\nPC1,2026-01-05T09:00:00,conduct\nPC1,last Tuesday,conduct\n"},
     "A complaint without a readable time is quarantined.", quarantine=[Q("complaints","complaints.csv",3,"bad_timestamp","received_at")], counts={"complaints":(2,1,1,0)})
case("no_officers_table", {"billing.csv": billing(good(1))}, "The officers table is required.", error=("dataset", ["no officers table"]), py_exc="DatasetError", officers=False)
case("no_event_table", {"shifts.csv": "officer_id,start,end\n"}, "At least one event table (billing, stops, access_log) is required.", error=("dataset", ["no event table"]), py_exc="DatasetError")
case("person_numbers_rules", {"billing.csv": billing(good(1)), "person_numbers.csv": "person_id,number\nP1,07911 100001\nP2,0791110000A\nP3,withheld\nP4,+44 7911 100004\n"},
     "A person's number must be a real number: letters are bad_phone, withheld is missing.",
     quarantine=[Q("person_numbers","person_numbers.csv",3,"bad_phone","number"), Q("person_numbers","person_numbers.csv",4,"missing_value","number")],
     counts={"person_numbers":(4,2,2,0)}, values=[("person_numbers",1,"number","+447911100004")])
DH = "incident_id,officer_id,lat,lon,start,end"
case("deployments_rules", {"billing.csv": billing(good(1)), "deployments.csv": DH + "\nI1,PC1,51.5,-0.1,2026-01-10T10:00:00,2026-01-10T11:00:00\nI2,PC1,51.5,-0.1,2026-01-10T10:00:00,2026-01-10T09:00:00\nI3,PC1,151.5,-0.1,2026-01-10T10:00:00,2026-01-10T11:00:00\n"},
     "Deployments obey the time-order and coordinate rules.",
     quarantine=[Q("deployments","deployments.csv",3,"end_before_start","end"), Q("deployments","deployments.csv",4,"bad_coordinates","lat")], counts={"deployments":(3,1,2,0)})
case("vehicle_assignments_rules", {"billing.csv": billing(good(1)), "vehicle_assignments.csv": "vehicle_id,officer_id,valid_from,valid_to\nV1,PC1,2026-01-01T00:00:00,\nV2,PC1,2026-01-05T00:00:00,2026-01-04T00:00:00\nV3,PC1,,\n"},
     "An assignment needs a start, and its end may not precede it.",
     quarantine=[Q("vehicle_assignments","vehicle_assignments.csv",3,"end_before_start","valid_to"), Q("vehicle_assignments","vehicle_assignments.csv",4,"missing_value","valid_from")],
     counts={"vehicle_assignments":(3,1,2,0)})
case("unrecognised_file", {"billing.csv": billing(good(1)), "billings.csv": billing(good(2)), "notes.txt": "hello\n"},
     "A file that belongs to no table (a typo) is not read, and is reported, never silently ignored.",
     counts={"billing":(1,1,0,0)}, ignored=["billings.csv", "notes.txt"])
case("billing_gzip", {"billing.csv.gz": gzip.compress(billing(good(1), "R2,07700900001,07911100001,out,call,10/01/2026 10:02,30", good(3)).replace("\n", "\r\n").encode(), mtime=0)},
     "An export delivered gzip-compressed (billing.csv.gz) is the billing table, read as it streams: its bad row is quarantined with its line in the text.",
     quarantine=[Q("billing", "billing.csv.gz", 3, "bad_timestamp", "started_at", message_contains="10/01/2026 10:02")], counts={"billing": (3, 2, 1, 0)})
case("table_in_two_formats", {"billing.csv": billing(good(1)), "billing.txt": billing(good(2))},
     "One table given twice at the top level would count rows twice or leave some out: an error naming both files.",
     error=("dataset", ["the billing table is given 2 times", "billing.csv, billing.txt", "billing/"]), py_exc="DatasetError")
case("misnamed_export", {"Billing_Export.csv": billing(good(1)), "stops.csv": "vehicle_id,started_at,ended_at,lat,lon\n"},
     "A data file apsp does not know, while a table it could be is absent, is an error with the rename that fixes it.",
     error=("dataset", ["Billing_Export.csv is not read", "absent billing table", "rename it billing.csv", "import profile"]), py_exc="DatasetError")
# profiles
case("profile_missing_source_column", {"billing.csv": "Subscriber;Called;Dir;Service;When;Duration\n07700900001;07911100001;MO;Voice;10/01/2026 10:00:00;00:00:30\n",
        "../profile.toml": 'table = "billing"\ndelimiter = ";"\ndatetime_formats = ["%d/%m/%Y %H:%M:%S"]\nduration = "hms"\n[columns]\ndevice_number = "Subscriber"\nother_number = "Called Number"\ndirection = "Dir"\nkind = "Service"\nstarted_at = "When"\nduration_s = "Duration"\n[values.direction]\nMO = "out"\nMT = "in"\n[values.kind]\nVoice = "call"\n'},
     "A profile naming a source column the file lacks is fatal, naming file, column and the columns found.",
     opts={"profiles": ["profile.toml"]}, error=("schema", ["billing.csv", "line 1", '"Called Number"', "Called"]), py_exc="SchemaError")
case("profile_unknown_key", {"billing.csv": billing(good(1)), "../profile.toml": 'table = "billing"\ndelimeter = ";"\n'},
     "A misspelt profile key is an error naming the profile and the key.", opts={"profiles": ["profile.toml"]},
     error=("profile", ["profile.toml", "delimeter"]), py_exc="ProfileError")
case("profile_unknown_table", {"billing.csv": billing(good(1)), "../profile.toml": 'table = "bills"\n'},
     "A profile for a table that does not exist is an error.", opts={"profiles": ["profile.toml"]}, error=("profile", ["profile.toml", '"bills"']), py_exc="ProfileError")
case("profile_vocabulary_and_hms", {"billing.csv": "Subscriber;Called;Dir;Service;When;Duration\n07700900001;07911100001;MO;Voice;10/01/2026 10:00:00;00:02:03\n07700900001;07911100001;MT;SMS;10/01/2026 10:05:00;\n07700900001;07911100001;XX;Voice;10/01/2026 10:06:00;00:00:10\n07700900001;07911100001;MO;Voice;2026-01-10T10:07:00;00:00:10\n",
        "../profile.toml": 'table = "billing"\ndelimiter = ";"\ndatetime_formats = ["%d/%m/%Y %H:%M:%S"]\nduration = "hms"\n[columns]\ndevice_number = "Subscriber"\nother_number = "Called"\ndirection = "Dir"\nkind = "Service"\nstarted_at = "When"\nduration_s = "Duration"\n[values.direction]\nMO = "out"\nMT = "in"\n[values.kind]\nVoice = "call"\nSMS = "sms"\n'},
     "A profile maps vocabulary (MO/MT) and H:MM:SS durations; a code outside the vocabulary and a datetime outside the profile's formats are quarantined.",
     opts={"profiles": ["profile.toml"]}, quarantine=[Q("billing","billing.csv",4,"unknown_value","direction", message_contains="XX"), Q("billing","billing.csv",5,"bad_timestamp","started_at")],
     counts={"billing":(4,2,2,0)}, values=[("billing",0,"duration_s","123"),("billing",0,"direction","out"),("billing",1,"direction","in"),("billing",1,"kind","sms"),("billing",1,"duration_s","null")])
# pseudonymisation
KEY = b"corpus-test-key-0123456789"
def pn(kind, v): return {"number": "n_", "person": "p_"}[kind] + hmac.new(KEY, (kind + "\0" + v).encode(), hashlib.sha256).hexdigest()[:32]
case("pseudonymised", {"billing.csv": billing(good(1, num="07911 100001"), good(2, num="07911 1OO002"), good(3, num="07700900002"), good(4, num="999")),
        "devices.csv": "device_number,officer_id\n07700900001,PC1\n07700900002,PC2\n", "officers.csv": "officer_id,role\nPC1,PC\nPC2,PC\n",
        "persons.csv": PH + "\nP1,1990-01-01,,,\n", "../key.txt": KEY.decode() + "\n"},
     "With pseudonymisation on, members of the public's numbers and person ids are keyed HMAC-SHA256 pseudonyms (same in every table); officers' own numbers and service numbers stay in clear; quarantine never shows the clear number.",
     opts={"key_file": "key.txt"}, officers=False,
     quarantine=[Q("billing","billing.csv",3,"bad_phone","other_number", hides=["07911 1OO002", "1OO002"])],
     counts={"billing":(4,3,1,0)},
     values=[("billing",0,"other_number",pn("number","+447911100001")),("billing",1,"other_number","+447700900002"),("billing",2,"other_number","999"),
             ("persons",0,"person_id",pn("person","P1")),("billing",0,"device_number","+447700900001")])
case("pseudonymisation_key_missing", {"billing.csv": billing(good(1))}, "Pseudonymisation without a readable key is an error (there is no default key).",
     opts={"key_file": "no-such-key.txt"}, error=("pseudonymisation", ["no-such-key.txt"]), py_exc="PseudonymisationError")
case("pseudonymisation_key_short", {"billing.csv": billing(good(1)), "../key.txt": "short\n"}, "A key under 16 bytes is refused.",
     opts={"key_file": "key.txt"}, error=("pseudonymisation", ["5 bytes", "at least 16"]), py_exc="PseudonymisationError")
case("line_numbers_crlf_blank_multiline", {"billing.csv": (BH + "\r\n" + good(1) + "\r\n\r\n" + "R2,07700900001,07911100001,out,call,bad-time,30\r\n" + 'R3,07700900001,07911100001,out,"call\r\nx",2026-01-10T10:03:00,30\r\n' + good(4, num="07911 1OOOO1") + "\r\n").encode()},
     "Line numbers are real file lines with CRLF ends, blank lines and a quoted field spanning two lines (header = line 1).",
     quarantine=[Q("billing","billing.csv",4,"bad_timestamp","started_at"), Q("billing","billing.csv",5,"unknown_value","kind"), Q("billing","billing.csv",7,"bad_phone","other_number")],
     counts={"billing":(4,1,3,0)})
case("line_numbers_after_preamble", {"billing.csv": "Report: calls\r\nGenerated 2026-01-11\r\n" + BH.replace(",", ";") + "\r\n" + good(1).replace(",", ";") + "\r\n" + good(2, t="x").replace(",", ";") + "\r\n",
        "../profile.toml": 'table = "billing"\ndelimiter = ";"\nskip_rows = 2\n'},
     "With skip_rows, lines still count from the top of the file: preamble 1-2, header 3, rows 4-5.",
     opts={"profiles": ["profile.toml"]}, quarantine=[Q("billing","billing.csv",5,"bad_timestamp","started_at")], counts={"billing":(2,1,1,0)})
case("lenient_values", {"billing.csv": billing("R1,07700900001,07911100001,Outgoing,Voice,2026-01-10T10:01:00,30.0", "R2,07700900001,NULL,INBOUND,text,2026-01-10T10:02:00,N/A",
        "R3,07700900001,07911100001,MO,call,2026-01-10T10:03:00,-"),
        "persons.csv": PH + "\nP1,1990-05-14 00:00:00,NULL,NaN,NaN\n",
        "complaints.csv": "officer_id,received_at,category\nPC1,2026-01-05,\n",
        "case_links.csv": CH + "\nC1,P1,victim,PC1,2026-01-01T09:00:00,NULL,None,burglary\n"},
     "What real exports write is read without loss: direction/kind synonyms (Outgoing, INBOUND, MO, Voice, text), '30.0' for a whole number, NULL/N/A/NaN/None/- for no value, a datetime in a date column, a bare date in a datetime column (local midnight).",
     counts={"billing": (3, 3, 0, 0), "persons": (1, 1, 0, 0), "complaints": (1, 1, 0, 0), "case_links": (1, 1, 0, 0)},
     values=[("billing", 0, "direction", "out"), ("billing", 0, "kind", "call"), ("billing", 0, "duration_s", "30"), ("billing", 1, "direction", "in"),
             ("billing", 1, "kind", "sms"), ("billing", 1, "other_number_kind", "withheld"), ("billing", 1, "duration_s", "null"), ("billing", 2, "direction", "out"),
             ("persons", 0, "date_of_birth", "1990-05-14"), ("persons", 0, "address_lat", "null"), ("persons", 0, "vulnerabilities", "null"),
             ("complaints", 0, "received_at", "2026-01-05T00:00:00Z"), ("case_links", 0, "closed_at", "null"), ("case_links", 0, "officer_until", "null")])
case("extra_column_ignored", {"billing.csv": BH + ",cost,cell_id\n" + good(1) + ",0.10,A12\n"},
     "With ignore_extra_columns, a column that belongs to no table column is not read and is listed in the manifest; the rows are kept.",
     opts={"ignore_extra_columns": True, "ignored_columns": ["cost", "cell_id"]}, counts={"billing": (1, 1, 0, 0)})
case("table_names_any_case", {"Billing.CSV": billing(good(1))},
     "Table files are found whatever the case of their name (Billing.CSV is billing).", counts={"billing": (1, 1, 0, 0)})

# Parquet cases (need Python polars to write the files).
try:
    import polars as pl
    import datetime as _dt
except ImportError:  # pragma: no cover
    pl = None
if pl is not None:
    def pq_case(name, frame, desc, **kw):
        case(name, {"../placeholder": ""}, desc, **kw)
        os.remove(os.path.join(name, "placeholder"))
        frame.write_parquet(os.path.join(name, "data", "billing.parquet"))
    base = {
        "record_id": ["R1", "R2", "R3"],
        "device_number": ["07700900001"] * 3,
        "other_number": ["07911100001", "07911 1OOOO1", "+44 7911 100002"],
        "direction": ["out", "in", "out"],
        "kind": ["call", "sms", "call"],
        "started_at": [_dt.datetime(2026, 7, 1, 12, 0), _dt.datetime(2026, 7, 1, 13, 0), _dt.datetime(2026, 3, 29, 1, 30)],
        "duration_s": [30, None, 45],
    }
    pq_case("parquet_typed_columns", pl.DataFrame(base),
            "Parquet with typed columns: a naive Datetime is local time (BST in July, so 12:00 = 11:00Z; 01:30 on 29 March does not exist); integers stay integers; 'line' is the 1-based row number.",
            quarantine=[Q("billing", "billing.parquet", 2, "bad_phone", "other_number"), Q("billing", "billing.parquet", 3, "nonexistent_local_time", "started_at")],
            counts={"billing": (3, 1, 2, 0)}, values=[("billing", 0, "started_at", "2026-07-01T11:00:00Z"), ("billing", 0, "duration_s", "30")])
    pq_case("parquet_utc_datetimes", pl.DataFrame(base).with_columns(pl.col("started_at").dt.replace_time_zone("UTC"), pl.lit("07911100001").alias("other_number")),
            "A zone-aware Parquet Datetime is absolute: no local-time conversion, no DST gap.",
            counts={"billing": (3, 3, 0, 0)}, values=[("billing", 0, "started_at", "2026-07-01T12:00:00Z"), ("billing", 2, "started_at", "2026-03-29T01:30:00Z")])
    pq_case("parquet_categorical_and_dates", pl.DataFrame(base).with_columns(pl.col("direction").cast(pl.Categorical), pl.lit("07911100001").alias("other_number"),
            pl.col("started_at").dt.date()),
            "Categorical text columns are read as text; a Date where a datetime belongs is local midnight.",
            counts={"billing": (3, 3, 0, 0)}, values=[("billing", 1, "direction", "in"), ("billing", 0, "started_at", "2026-06-30T23:00:00Z"), ("billing", 2, "started_at", "2026-03-29T00:00:00Z")])
    pq_case("parquet_mistyped_column", pl.DataFrame(base).with_columns(pl.col("duration_s").cast(pl.Float64) / 7, pl.col("started_at").dt.epoch("s").cast(pl.Float64)),
            "A Parquet column of the wrong type (a float where a datetime belongs) is fatal, naming file, column, found and expected types.",
            error=("schema", ["billing.parquet", '"started_at"', "f64", "Datetime, Date or String"]), py_exc="SchemaError")
