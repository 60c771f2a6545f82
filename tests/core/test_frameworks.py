"""How framework references read in the result and the report."""

from __future__ import annotations

from questionnaire.core.frameworks import frameworks_view, reference_label


def test_ncsc_principles_read_by_number_and_current_name():
    assert reference_label("ncsc", "3") == "3. Separation between customers"
    assert reference_label("ncsc", "13") == "13. Audit information and alerting for customers"


def test_ccm_domains_read_by_code_and_name():
    assert reference_label("ccm", "CEK") == "CEK – Cryptography, Encryption & Key Management"
    assert reference_label("ccm", "A&A") == "A&A – Audit & Assurance"


def test_an_unknown_reference_or_framework_reads_as_itself():
    assert reference_label("ccm", "XYZ") == "XYZ"
    assert reference_label("iso27001", "A.5") == "A.5"


def test_each_table_row_carries_its_label():
    tables = frameworks_view({"ccm": {"DSP": {"met": 2}, "CEK": {"not_met": 1}}})
    assert [row["label"] for row in tables[0]["rows"]] == [
        "CEK – Cryptography, Encryption & Key Management",
        "DSP – Data Security and Privacy Lifecycle Management",
    ]
