"""Two tabs of one buyer racing each other on a real two-worker server (issue 14, item 4):
a save that is answered "saved" is in what is submitted, and one that is not is refused."""

from __future__ import annotations

import json
import threading

from questionnaire.core.bank import load_bank
from tests.conftest import EXAMPLE_ANSWERS, SHIPPED_BANK
from tests.faults.conftest import Browser, section_fields, unexpected_log_errors
from tests.live import LiveServer

BANK = load_bank(SHIPPED_BANK)
EXAMPLE = json.loads(EXAMPLE_ANSWERS.read_text())
QUESTION = "encryption_at_rest"
SECTION = BANK.question(QUESTION).section_id
TRIALS = 20


def test_a_save_racing_a_submit_is_submitted_or_refused_never_lost(tmp_path):
    outcomes: list[tuple[int, int, bool]] = []
    with LiveServer(tmp_path, "races", workers=2) as server:
        for _ in range(TRIALS):
            outcomes.append(race(server))
        assert unexpected_log_errors(server) == []
    lost = [o for o in outcomes if o[0] == 302 and o[1] == 302 and not o[2]]
    assert lost == [], f"{len(lost)} of {TRIALS} saves answered 'saved' were not submitted"
    assert all(save in (302, 400) and submit in (302, 400) for save, submit, _ in outcomes)
    assert all(submit == 302 for _, submit, _ in outcomes)  # the submit always goes through


def race(server) -> tuple[int, int, bool]:
    """(status of tab A's save, status of tab B's submit, whether A's change was submitted)."""
    tab_a = Browser(server.url)
    token = tab_a.start()
    for section in BANK.sections:
        fields = section_fields(BANK, section.id, EXAMPLE["answers"], EXAMPLE["must_have"])
        assert tab_a.save(token, section.id, fields).status == 302
    tab_b = Browser(server.url, tab_a.jar)  # the same browser, another tab
    changed = {
        **EXAMPLE["answers"],
        QUESTION: "no" if EXAMPLE["answers"][QUESTION] == "yes" else "yes",
    }
    step = tab_a.get(f"/a/{token}/step/{SECTION}")
    check = tab_b.get(f"/a/{token}/check")
    save_fields = [
        ("csrf_token", step.csrf()),
        ("action", "save"),
        *section_fields(BANK, SECTION, changed, EXAMPLE["must_have"]),
    ]
    replies: dict[str, int] = {}
    start = threading.Barrier(2)

    def save() -> None:
        start.wait()
        replies["save"] = tab_a.post(f"/a/{token}/step/{SECTION}", save_fields).status

    def submit() -> None:
        start.wait()
        replies["submit"] = tab_b.post(f"/a/{token}/submit", [("csrf_token", check.csrf())]).status

    threads = [threading.Thread(target=save), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    frozen = tab_a.json(f"/a/{token}/answers.json")
    assert frozen["status"] == "submitted"
    return replies["save"], replies["submit"], frozen["answers"][QUESTION] == changed[QUESTION]
