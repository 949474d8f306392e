"""Constant tables the synthetic demo city draws from: invented names and real-feed proportions.

Only proportions are taken from the real files in ../shared/data (never rows); each table names the
file it was counted from. Where a table is invented, it says so.
"""

from __future__ import annotations

# Invented, neutral neighborhood names (trees, plants, birds); no real place is meant.
NEIGHBORHOOD_NAMES = (
    "Alder Park", "Birch Hollow", "Cedar Flats", "Dogwood Commons", "Elm Terrace",
    "Fern Ridge", "Ginkgo Square", "Hazel Bend", "Ironwood Heights", "Juniper Fields",
    "Kestrel Point", "Linden Row", "Maple Crossing", "Nettle Green", "Oakmoss Meadow",
    "Poplar Yards", "Quince Gardens", "Rowan Landing", "Sumac Hill", "Tamarack Court",
    "Umberleaf Vale", "Verbena Walk", "Willow Reach", "Yarrow Glen", "Zinnia Flats",
    "Aspen Hollow", "Bramble End", "Clover Terrace", "Heron Commons", "Thistle Park",
)  # fmt: skip

# Offense mix: OFNS_DESC counts in nyc/NYPD_Complaint_Data_Historic_2010-01-01_sample.csv (values
# with at least 10 rows). That sample is one New Year's Day, so SEX CRIMES and MISCHIEF run high.
OFFENSES = {
    "CRIMINAL MISCHIEF & RELATED OF": 455,
    "ASSAULT 3 & RELATED OFFENSES": 279,
    "PETIT LARCENY": 202,
    "SEX CRIMES": 196,
    "HARRASSMENT 2": 189,
    "OFF. AGNST PUB ORD SENSBLTY &": 147,
    "GRAND LARCENY": 131,
    "DANGEROUS DRUGS": 122,
    "FELONY ASSAULT": 104,
    "THEFT-FRAUD": 93,
    "ROBBERY": 61,
    "INTOXICATED & IMPAIRED DRIVING": 56,
    "RAPE": 56,
    "MISCELLANEOUS PENAL LAW": 49,
    "OFFENSES AGAINST PUBLIC ADMINI": 45,
    "BURGLARY": 44,
    "DANGEROUS WEAPONS": 41,
    "FRAUDS": 36,
    "GRAND LARCENY OF MOTOR VEHICLE": 31,
    "CRIMINAL TRESPASS": 22,
    "VEHICLE AND TRAFFIC LAWS": 20,
    "OFFENSES INVOLVING FRAUD": 14,
    "FORGERY": 10,
}

# Hour of day (0-23) of crimes: invented (quiet before dawn, peak in the evening). The NYPD sample
# cannot be used: unknown times are published as 00:00 and 12:00.
CRIME_HOURS = (
    5, 4, 3.5, 3, 2.5, 2, 2, 2.5, 3.5, 4, 4.5, 5,
    5.5, 5.5, 5.5, 6, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6, 5.5,
)  # fmt: skip

# Use of force, ForceType counts in nyc/NYPD_Use_of_Force_Incidents.csv (one per incident).
FORCE_TYPES = {
    "Physical Force": 13_558,
    "Electrical Weapon": 3_568,
    "OC Spray": 320,
    "Impact Weapon": 164,
    "Firearm": 116,
    "Restraining Mesh Blanket": 11,
    "Police Canine": 3,
}

# Subject race and gender, nyc/NYPD_Use_of_Force__Subjects.csv. Its "UNK/OTH" (777) is split evenly
# into OTHER and UNKNOWN, "ASIAN" and "AMER INDIAN" are spelt as in other NYPD exports.
SUBJECT_RACES = {
    "BLACK": 9_750,
    "HISPANIC": 5_042,
    "WHITE": 1_461,
    "ASIAN / PAC.ISL": 449,
    "AMER IND": 35,
    "OTHER": 389,
    "UNKNOWN": 388,
}
SUBJECT_GENDERS = {"MALE": 14_621, "FEMALE": 2_436, "UNKNOWN": 457}
# Age buckets [low, high) with their counts (Age column); 712 of 17,514 ages are blank.
SUBJECT_AGES = ((12, 18, 1_322), (18, 25, 4_040), (25, 35, 6_243), (35, 45, 3_251), (45, 55, 1_295),
                (55, 65, 555), (65, 80, 94))  # fmt: skip
SUBJECT_AGE_BLANK_SHARE = 712 / 17_514
SUBJECT_INJURED_SHARE = 5_608 / 17_514  # Subject Injured = Y
# Incidents with at least one member of service injured, NYPD_Use_of_Force__Members_of_Service.csv.
OFFICER_INJURED_SHARE = 0.287
# Subjects per incident: invented. NYPD averages 1.05; the demo has more multi-subject incidents
# so the incident/subject distinction shows in the charts.
SUBJECTS_PER_INCIDENT = {1: 0.84, 2: 0.11, 3: 0.035, 4: 0.015}

# CCRB, nyc/ccrb_allegations_derived_no_dates.csv: fado_type counts, share substantiated per type.
FADO_TYPES = {"Abuse of Authority": 20_292, "Force": 7_636, "Discourtesy": 4_677, "Offensive Language": 753}
SUBSTANTIATED_SHARE = {
    "Abuse of Authority": 0.304,
    "Force": 0.128,
    "Discourtesy": 0.219,
    "Offensive Language": 0.169,
}
# Most common allegations per fado_type in the same file (counts).
ALLEGATIONS = {
    "Abuse of Authority": {
        "Stop": 2_300,
        "Search (of person)": 2_047,
        "Frisk": 1_926,
        "Premises entered and/or searched": 1_555,
        "Refusal to provide name/shield number": 1_483,
        "Vehicle search": 1_405,
        "Threat of arrest": 1_370,
        "Vehicle stop": 1_094,
        "Threat of force (verbal or physical)": 912,
        "Question and/or stop": 696,
    },
    "Force": {
        "Physical force": 4_849,
        "Gun Pointed": 628,
        "Pepper spray": 324,
        "Nightstick as club (incl asp & baton)": 260,
        "Chokehold": 244,
        "Push/Shove": 178,
        "Hit against inanimate object": 176,
        "Punch/Kick": 114,
    },
    "Discourtesy": {"Word": 3_942, "Action": 316, "Curse": 202, "Gesture": 51, "Demeanor/tone": 38},
    "Offensive Language": {
        "Race": 307,
        "Gender": 115,
        "Ethnicity": 84,
        "Sexual orientation": 78,
        "Religion": 14,
    },
}
# Dispositions: the file keeps only substantiated or not, so the split below is invented.
SUBSTANTIATED_DISPOSITIONS = {"Substantiated (Charges)": 0.3, "Substantiated (Command Discipline)": 0.7}
OTHER_DISPOSITIONS = {
    "Unsubstantiated": 0.45,
    "Exonerated": 0.25,
    "Unfounded": 0.12,
    "Officer(s) Unidentified": 0.12,
    "Closed - Pending Litigation": 0.06,
}
PENDING_DISPOSITION = "Pending"

# Complainants, same file. "Refused" (259) is folded into "Unknown"; None is a blank cell.
COMPLAINANT_ETHNICITIES = {
    "Black": 17_114,
    "Hispanic": 6_424,
    None: 5_505,
    "White": 2_783,
    "Other Race": 677,
    "Asian": 532,
    "Unknown": 259,
    "American Indian": 64,
}
# "Transman (FTM)" (5) and "Gender non-conforming" (2) are too rare to appear in 2,000 complaints.
COMPLAINANT_GENDERS = {
    "Male": 24_058,
    "Female": 5_021,
    None: 4_195,
    "Not described": 57,
    "Transwoman (MTF)": 20,
}
COMPLAINANT_AGES = ((10, 18, 1_983), (18, 25, 6_457), (25, 35, 9_240), (35, 45, 5_744), (45, 55, 3_542),
                    (55, 65, 1_175), (65, 90, 388))  # fmt: skip
COMPLAINANT_AGE_BLANK_SHARE = 0.145
MOS_ETHNICITIES = {"White": 18_074, "Hispanic": 9_150, "Black": 4_924, "Asian": 1_178, "American Indian": 32}
MOS_GENDERS = {"M": 31_598, "F": 1_760}
MOS_AGES = ((21, 25, 2_205), (25, 35, 20_332), (35, 45, 9_403), (45, 55, 1_395), (55, 61, 23))

# A planted programme effect, so "Did it make a difference?" can be checked on data whose answer is
# known: from START, use of force in these two neighborhoods happens at RATE_RATIO of its old rate,
# and residents' trust score there rises by TRUST_POINTS (loaders/demo_sentiment.py). Crime,
# complaints and feeling safe are left alone there (the page must find no clear difference). The
# catalogue names the same initiative for Demo City (loaders/sources.toml).
PLANTED_INITIATIVE = {
    "kind": "use_of_force",
    "neighborhood_ids": ("N20", "N22"),  # Tamarack Court, Verbena Walk
    "start": "2023-07-01",
    "rate_ratio": 0.6,
    "trust_points": 8.0,
}
