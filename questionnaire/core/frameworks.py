"""The frameworks questions are tagged with, as a reader knows them: the UK NCSC Cloud
Security Principles by number and current name, the CSA Cloud Controls Matrix v4 by
domain code and the domain's short title (the controls' own text is under CSA's terms,
so it is never used). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questionnaire.core.scoring import STATED, STATUS_LABELS, reference_order

FRAMEWORK_TITLES = {
    "ncsc": "NCSC Cloud Security Principles",
    "ccm": "CSA Cloud Controls Matrix v4 domains",
}
NCSC_PRINCIPLES = {
    "1": "Data in transit protection",
    "2": "Asset protection and resilience",
    "3": "Separation between customers",
    "4": "Governance framework",
    "5": "Operational security",
    "6": "Personnel security",
    "7": "Secure development",
    "8": "Supply chain security",
    "9": "Secure user management",
    "10": "Identity and authentication",
    "11": "External interface protection",
    "12": "Secure service administration",
    "13": "Audit information and alerting for customers",
    "14": "Secure use of the service",
}
CCM_DOMAINS = {
    "A&A": "Audit & Assurance",
    "AIS": "Application & Interface Security",
    "BCR": "Business Continuity Management and Operational Resilience",
    "CCC": "Change Control and Configuration Management",
    "CEK": "Cryptography, Encryption & Key Management",
    "DCS": "Datacenter Security",
    "DSP": "Data Security and Privacy Lifecycle Management",
    "GRC": "Governance, Risk and Compliance",
    "HRS": "Human Resources",
    "IAM": "Identity & Access Management",
    "IPY": "Interoperability & Portability",
    "IVS": "Infrastructure & Virtualization Security",
    "LOG": "Logging and Monitoring",
    "SEF": "Security Incident Management, E-Discovery, & Cloud Forensics",
    "STA": "Supply Chain Management, Transparency, and Accountability",
    "TVM": "Threat & Vulnerability Management",
    "UEM": "Universal Endpoint Management",
}


def reference_label(framework: str, ref: str) -> str:
    """ "2. Asset protection and resilience" for NCSC, "CEK – Cryptography, Encryption &
    Key Management" for CCM; the reference itself where its name is not known."""
    if framework == "ncsc" and ref in NCSC_PRINCIPLES:
        return f"{ref}. {NCSC_PRINCIPLES[ref]}"
    if framework == "ccm" and ref in CCM_DOMAINS:
        return f"{ref} – {CCM_DOMAINS[ref]}"
    return ref


def frameworks_view(stored: Mapping[str, Mapping[str, Mapping[str, int]]]) -> list[dict[str, Any]]:
    """A stored result's ``frameworks`` counts as tables: the known frameworks first, each
    reference a row of counts in the order of the statuses."""
    order = [*FRAMEWORK_TITLES, *sorted(set(stored) - set(FRAMEWORK_TITLES))]
    columns = [{"status": s, "label": STATUS_LABELS[s]} for s in STATED]
    tables = []
    for name in order:
        refs = stored.get(name)
        if not refs:
            continue
        rows = [
            {
                "ref": ref,
                "label": reference_label(name, ref),
                "counts": [refs[ref].get(c["status"], 0) for c in columns],
                "total": sum(refs[ref].values()),
            }
            for ref in sorted(refs, key=reference_order)
        ]
        tables.append(
            {
                "id": name,
                "title": FRAMEWORK_TITLES.get(name, name),
                "columns": columns,
                "rows": rows,
            }
        )
    return tables
