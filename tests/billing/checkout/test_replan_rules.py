"""What confirming a change does to the change already scheduled (changes.replan), as a
table of cases, and its summary in words. No database (make mutate runs these).

The license in every case: Business v1 (version 2), 12 seats, monthly, auto-renew on,
its term ending 31 December 2026; Team is version 1."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.checkout.changes import AGREED_LOST, Outcome, Replan, Terms, replan, summary

JAN_1 = date(2027, 1, 1)
DEC_31 = date(2026, 12, 31)
NEW_YEAR_END = date(2027, 12, 13)  # an annual term from 14 December 2026

TEAM, BUSINESS, ENTERPRISE = 1, 2, 3
NAMES = {TEAM: "Team", BUSINESS: "Business", ENTERPRISE: "Enterprise"}


def terms(version=BUSINESS, seats=12, cycle="monthly", auto_renew=True, agreed=False) -> Terms:
    return Terms(version, NAMES[version], seats, cycle, auto_renew, agreed)


CURRENT = terms()


def case(
    pending, now, *, current=CURRENT, schedules=False, term_end=DEC_31, seat_range=(1, None)
) -> Replan:
    return replan(
        pending=pending,
        pending_on=JAN_1,
        current=current,
        now=now,
        schedules=schedules,
        term_end=term_end,
        seat_range=seat_range,
    )


DOWNGRADE = terms(TEAM, seats=5)
RENEWAL_OFF = terms(auto_renew=False)
FEWER_SEATS = terms(seats=8)


@pytest.mark.parametrize(
    "pending, now, options, expected",
    [
        # A change with a later part of its own: the form chose the whole plan.
        (
            DOWNGRADE,
            terms(seats=14),
            {"schedules": True},
            Replan(Outcome.REPLACE, "The plan you choose here replaces it."),
        ),
        # An upgrade cancels a downgrade: it would move the license back.
        (
            DOWNGRADE,
            terms(ENTERPRISE),
            {},
            Replan(Outcome.CANCEL, "It would move you back from Enterprise, which you choose now."),
        ),
        # ... and any other pending change, which holds the old tier as its plan.
        (
            RENEWAL_OFF,
            terms(ENTERPRISE),
            {},
            Replan(Outcome.CANCEL, "It would move you back from Enterprise, which you choose now."),
        ),
        # Monthly to annual cancels a downgrade due inside the year just paid for.
        (
            DOWNGRADE,
            terms(cycle="annual"),
            {"term_end": NEW_YEAR_END},
            Replan(
                Outcome.CANCEL,
                "It was due at the end of a term that this change closes: your new annual "
                "term runs to 13 December 2027, paid for as you choose it now.",
            ),
        ),
        (
            FEWER_SEATS,
            terms(cycle="annual"),
            {"term_end": NEW_YEAR_END},
            Replan(
                Outcome.CANCEL,
                "It was due at the end of a term that this change closes: your new annual "
                "term runs to 13 December 2027, paid for as you choose it now.",
            ),
        ),
        (
            terms(TEAM, seats=5, auto_renew=False),
            terms(cycle="annual"),
            {"term_end": NEW_YEAR_END},
            Replan(
                Outcome.CANCEL,
                "It was due at the end of a term that this change closes: your new annual "
                "term runs to 13 December 2027, paid for as you choose it now.",
            ),
        ),
        # ... but only auto-renew off moves to the end of the new term.
        (
            RENEWAL_OFF,
            terms(cycle="annual"),
            {"term_end": NEW_YEAR_END},
            Replan(
                Outcome.REDATE,
                "It moves to the end of your new annual term.",
                terms(cycle="annual", auto_renew=False),
                date(2027, 12, 14),
            ),
        ),
        # More seats in the same term: a downgrade keeps its day with the new seats...
        (
            terms(TEAM, seats=12),
            terms(seats=14),
            {"seat_range": (1, 20)},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (move to Team), with what you choose now: 14 seats "
                "instead of 12.",
                terms(TEAM, seats=14),
                JAN_1,
            ),
        ),
        # ... and with renewal turned off now, it keeps its day but ends the term.
        (
            terms(TEAM, seats=12),
            terms(seats=14, auto_renew=False),
            {"seat_range": (1, 20)},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (move to Team), with what you choose now: 14 seats "
                "instead of 12; ending at the term's close.",
                terms(TEAM, seats=14, auto_renew=False),
                JAN_1,
            ),
        ),
        # ... the seats chosen now replace the fewer seats it would have cut to...
        (
            terms(TEAM, seats=5, auto_renew=False),
            terms(seats=14),
            {"seat_range": (3, 14)},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (move to Team; 5 seats; end at the term's close), with "
                "what you choose now: 14 seats instead of 5.",
                terms(TEAM, seats=14, auto_renew=False),
                JAN_1,
            ),
        ),
        # ... and it goes when its tier cannot take them (at most, or at least).
        (
            DOWNGRADE,
            terms(seats=14),
            {"seat_range": (1, 13)},
            Replan(Outcome.CANCEL, "Team cannot take the 14 seats you choose now."),
        ),
        (
            terms(TEAM, seats=12),
            terms(seats=14),
            {"seat_range": (15, None)},
            Replan(Outcome.CANCEL, "Team cannot take the 14 seats you choose now."),
        ),
        # Exactly at the tier's bounds it still fits.
        (
            terms(TEAM, seats=12),
            terms(seats=14),
            {"seat_range": (14, 14)},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (move to Team), with what you choose now: 14 seats "
                "instead of 12.",
                terms(TEAM, seats=14),
                JAN_1,
            ),
        ),
        # Fewer seats scheduled, more bought now: nothing is left of it.
        (
            FEWER_SEATS,
            terms(seats=14),
            {},
            Replan(Outcome.CANCEL, "Nothing is left of it after what you choose now."),
        ),
        # Auto-renew back on (off today) cancels a change that only kept it off...
        (
            RENEWAL_OFF,
            CURRENT,
            {"current": RENEWAL_OFF},
            Replan(Outcome.CANCEL, "Nothing is left of it after what you choose now."),
        ),
        # ... and renews the downgrade it came with, seats and all.
        (
            terms(TEAM, seats=5, auto_renew=False),
            CURRENT,
            {"current": RENEWAL_OFF},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (move to Team; 5 seats), with what you choose now: "
                "auto-renew on.",
                terms(TEAM, seats=5),
                JAN_1,
            ),
        ),
        # ... and more seats leave a change that does not touch seats as it is, but for
        # the seats.
        (
            RENEWAL_OFF,
            terms(seats=14),
            {},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (end at the term's close), with what you choose now: "
                "14 seats instead of 12.",
                terms(seats=14, auto_renew=False),
                JAN_1,
            ),
        ),
    ],
    ids=[
        "scheduling-replaces",
        "upgrade-cancels-downgrade",
        "upgrade-cancels-renewal-off",
        "annual-cancels-downgrade",
        "annual-cancels-fewer-seats",
        "annual-cancels-downgrade-with-renewal-off",
        "annual-redates-renewal-off",
        "more-seats-adjust-downgrade",
        "renewal-off-adjusts-downgrade",
        "more-seats-replace-fewer",
        "more-seats-than-tier-allows",
        "fewer-seats-than-tier-sells",
        "seats-at-the-bounds",
        "more-seats-cancel-fewer-seats",
        "renewal-on-cancels-renewal-off",
        "renewal-on-renews-downgrade",
        "more-seats-keep-renewal-off",
    ],
)
def test_a_confirmed_change_replans_the_scheduled_one(pending, now, options, expected):
    assert case(pending, now, **options) == expected


# An accepted proposal's renewal as is: the plan as it stands, with a term and a discount
# of its own.
AGREED = terms(agreed=True)


@pytest.mark.parametrize(
    "now, options, expected",
    [
        # More seats: never "nothing left of it"; it keeps its day with the seats.
        (
            terms(seats=14),
            {},
            Replan(
                Outcome.ADJUST,
                "It stays on its day (the renewal agreed in your proposal), with what you "
                "choose now: 14 seats instead of 12.",
                terms(seats=14, agreed=True),
                JAN_1,
            ),
        ),
        # When it goes, the sentence says what goes with it.
        (
            terms(ENTERPRISE),
            {},
            Replan(
                Outcome.CANCEL,
                f"It would move you back from Enterprise, which you choose now. {AGREED_LOST}",
            ),
        ),
        (
            terms(seats=14),
            {"schedules": True},
            Replan(Outcome.REPLACE, f"The plan you choose here replaces it. {AGREED_LOST}"),
        ),
        (
            terms(cycle="annual", auto_renew=False),
            {"term_end": NEW_YEAR_END},
            Replan(
                Outcome.CANCEL,
                "It was due at the end of a term that this change closes: your new annual "
                f"term runs to 13 December 2027, paid for as you choose it now. {AGREED_LOST}",
            ),
        ),
        (
            terms(seats=14),
            {"seat_range": (1, 13)},
            Replan(
                Outcome.CANCEL, f"Business cannot take the 14 seats you choose now. {AGREED_LOST}"
            ),
        ),
    ],
    ids=["more-seats-keep-it", "upgrade", "schedules", "new-term", "too-many-seats"],
)
def test_an_accepted_proposals_renewal_is_kept_or_said_lost(now, options, expected):
    assert case(AGREED, now, **options) == expected


def test_the_agreed_sentence_names_the_term_and_the_discount():
    assert AGREED_LOST == (
        "With it go the term and the discount agreed in your proposal; your account manager "
        "can offer them again."
    )


def test_a_change_already_on_the_plan_chosen_now_stays_as_it_is():
    pending = terms(TEAM, seats=14)
    assert case(pending, terms(seats=14)) == Replan(
        Outcome.KEEP, "It stays as it is.", pending, JAN_1
    )


@pytest.mark.parametrize(
    "before, after, words",
    [
        (CURRENT, CURRENT, "No change"),
        (CURRENT, terms(TEAM), "Move to Team"),
        (CURRENT, terms(seats=5), "5 seats"),
        (CURRENT, terms(cycle="annual"), "Annual billing"),
        (RENEWAL_OFF, CURRENT, "Auto-renew on"),
        (CURRENT, RENEWAL_OFF, "End at the term's close"),
        (
            CURRENT,
            terms(TEAM, seats=5, cycle="annual", auto_renew=False),
            "Move to Team; 5 seats; annual billing; end at the term's close",
        ),
    ],
)
def test_a_change_is_summed_up_in_words(before, after, words):
    assert summary(before, after) == words


ALL_TERMS = st.builds(
    Terms,
    st.sampled_from([TEAM, BUSINESS, ENTERPRISE]),
    st.just("Tier"),
    st.integers(1, 30),
    st.sampled_from(["monthly", "annual"]),
    st.booleans(),
)


@given(pending=ALL_TERMS, now=ALL_TERMS, schedules=st.booleans())
def test_what_stays_is_dated_and_never_the_plan_chosen_now(pending, now, schedules):
    """A change that stays has a day and still changes something; one that goes has
    neither."""
    result = case(pending, now, schedules=schedules, term_end=NEW_YEAR_END)
    assert result.stays is (result.outcome in (Outcome.KEEP, Outcome.ADJUST, Outcome.REDATE))
    assert (result.effective_on is not None) is result.stays
    if result.stays:
        assert result.terms != now
    if schedules:
        assert result.outcome == Outcome.REPLACE
