"""The buyer's e-mail "The provider answered N of your questions", when written answers
make a new result revision (store.notices decides when one may go and which questions
it tells of: the first at once, those answered in the next ten minutes together later).

The letter carries the assessment's reference, the company and the result in force, and
no link to the assessment: only the hash of the buyer's link is stored. It sends the
buyer to the link they saved, or to the start page to ask for a new one (web.lost_link).
It goes through the app's mail queue and its hourly limit per address (a letter over the
limit waits until it may go).
A daemon thread per web process sends what is due; ``kick`` wakes it after a commit.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from questionnaire import services
from questionnaire.core.report_context import report_id_of
from questionnaire.notify import letters
from questionnaire.notify.background import Loop
from questionnaire.notify.mailer import QUEUE_SIZE
from questionnaire.store import followup, mails, notices, resume_links
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow

log = logging.getLogger(__name__)
ROOM = QUEUE_SIZE // 2  # letters this sender leaves waiting in the mail queue at most


def letter_for(app: Flask, assessment: Assessment, answered: int):
    """The letter about ``answered`` questions, with the result in force now."""
    now = followup.current(assessment)
    # A confirmation sent before the link was last replaced holds a link that is dead.
    replaced = resume_links.replaced_at(assessment.id)
    confirmation = mails.latest(assessment.id, mails.CONFIRMATION, since=replaced)
    return letters.answered(
        app,
        {
            "company": assessment.company,
            "name": assessment.contact_name,
            "email": assessment.email,
            "reference": report_id_of(assessment.id),
        },
        letters.outcome(now.result, assessment.deal_breakers),
        answered,
        confirmation is not None and confirmation.status == mails.SENT,
    )


def deliver_due(app: Flask) -> int:
    """Hand every letter that is due to the mail queue (as much as it has room for); the
    number handed over. Needs an app context."""
    mailer = services.mail(app)
    if mailer is None:
        return 0
    room = ROOM - mailer.waiting()
    sent = 0
    for assessment_id in notices.due(limit=max(room, 0)):
        with services.unit_of_work(app) as uow:
            asked = notices.claim(assessment_id)
            uow.commit()  # taken: no other sender writes this letter
        if not asked:
            continue
        assessment = db.session.get(Assessment, assessment_id, populate_existing=True)
        if assessment is None:
            continue
        try:
            mailer.send(assessment.id, mails.ANSWERED, letter_for(app, assessment, len(asked)))
        except mails.TooMany as refused:
            log.warning(
                "the answers e-mail for assessment %s waits until %s: its address has had as "
                "many e-mails this hour as one address gets",
                assessment_id,
                refused.retry_at.isoformat(),
            )
            with services.unit_of_work(app) as uow:
                notices.put_back(assessment_id, asked, refused.retry_at)
                uow.commit()
            continue
        sent += 1
    return sent


class Notifier(Loop):
    """Sends the letters that are due; sleeps until the next one is."""

    name = "answer-notices"

    def work(self) -> None:
        with self.app.app_context():
            while deliver_due(self.app) >= ROOM // 2:
                pass  # a burst (an answer applied to many buyers): keep going

    def pause(self) -> float:
        try:
            with self.app.app_context():
                following = notices.next_due()
        except Exception:
            log.exception("could not read the answers e-mails waiting")
            return self.idle_seconds
        if following is None:
            return self.idle_seconds
        wait = (following - utcnow()) / timedelta(seconds=1)
        return min(max(wait, 0.5), self.idle_seconds)


def kick(app: Flask | None = None) -> None:
    """Send what is due soon, off the request path (when e-mail is on)."""
    notifier = services.answer_notices(app)
    if notifier is not None:
        notifier.kick()


def init_app(app: Flask) -> None:
    if services.mail(app) is not None:
        services.provide(app, services.AnswerNotices, Notifier(app))
