"""Edges of the reminder rules (billing.renewals.reminders): a table without the
cycle's lead times, the last day before the renewal, and a term as long as the notice."""

from billing.renewals import reminders


def test_a_table_without_the_cycles_lead_times_reminds_at_none():
    assert reminders.lead_times(cycle="monthly", term_cycles=1, table={"annual": [90]}) == []


def test_a_rise_is_still_told_the_day_before_the_renewal():
    assert reminders.price_notice_due(
        rises=True, told=False, days_left=1, term_days=365, notice_days=90, leads=[90, 30, 7]
    )


def test_a_term_exactly_as_long_as_the_notice_is_told_at_its_first_reminder():
    common = {"rises": True, "told": False, "term_days": 90, "notice_days": 90, "leads": [7]}
    assert not reminders.price_notice_due(days_left=30, **common)
    assert reminders.price_notice_due(days_left=7, **common)


def test_a_lead_already_sent_is_never_sent_again():
    assert reminders.reminder_lead(days_left=25, leads=[90, 30, 7], sent={30}) is None
    assert reminders.reminder_lead(days_left=5, leads=[90, 30, 7], sent={30}) == 7
