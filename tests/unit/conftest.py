"""Helpers for core tests: small banks written as YAML text, no app, no database."""

from __future__ import annotations

import textwrap

import pytest

from questionnaire.bank import Bank, parse_bank

SMALL_BANK = textwrap.dedent(
    """\
    schema: 1
    version: "1.0"
    title: Small bank
    provider: {name: Example Cloud, source: Example Trust page}
    ratings:
      - {min: 85, label: Strong fit}
      - {min: 60, label: Fit with gaps}
      - {min: 0, label: Significant gaps}
    sections:
      - id: sec
        title: Security
        questions:
          - id: personal
            prompt: Will you keep personal data in the service?
            type: yesno
            weight: 0
          - id: encrypt
            prompt: Must data be encrypted at rest?
            type: yesno
            weight: 3
            follow_up: How are keys managed?
            commitment: {value: true, statement: "Encryption at rest", source: "Trust page"}
          - id: smime
            prompt: Do you need S/MIME?
            type: yesno
            weight: 1
            commitment: {value: false, statement: "No S/MIME", source: "Trust page"}
          - id: region
            prompt: Where must data live?
            type: choice
            weight: 2
            show_if: {question: personal, equals: "yes"}
            options:
              - {key: none, label: No requirement, requires: null}
              - {key: eu, label: In the EU}
              - {key: us, label: In the US}
              - {key: eu_any, label: Anywhere in Europe, requires: eu}
              - {key: ch, label: In Switzerland}
            commitment: {value: [eu, us], statement: "EU and US regions", source: "Trust page"}
      - id: ops
        title: Operations
        questions:
          - id: certs
            prompt: Which certifications must the provider hold?
            type: multi
            weight: 4
            options:
              - {key: iso27001, label: ISO 27001}
              - {key: soc2, label: SOC 2}
              - {key: fedramp, label: FedRAMP}
              - {key: pci, label: PCI DSS}
            commitment: {value: [iso27001, soc2], statement: "ISO and SOC", source: "Trust page"}
          - id: uptime
            prompt: What monthly uptime must be financially backed?
            type: number
            unit: "%"
            min: 90
            max: 100
            better: higher
            weight: 5
            commitment: {value: 99.9, statement: "99.9% uptime", source: "Trust page"}
          - id: breach_hours
            prompt: Within how many hours must a breach be reported to you?
            type: number
            unit: hours
            min: 1
            max: 720
            better: lower
            weight: 2
          - id: notes
            prompt: Anything else?
            type: text
            max_length: 200
    """
)


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``snippet``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    return hits[occurrence - 1]


@pytest.fixture
def small_bank() -> Bank:
    return parse_bank(SMALL_BANK, "small.yaml")
