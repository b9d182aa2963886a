from portal.access import current_membership, organizations_for


def navigation(request):
    """What the navigation needs on every page: the user's organizations and the
    current one. Computed lazily so pages that do not render the nav pay nothing."""
    cache = {}

    def memberships():
        if "current" not in cache:
            cache["current"] = current_membership(request)
        return cache["current"]

    def organizations():
        if "all" not in cache:
            cache["all"] = organizations_for(request)
        return cache["all"]

    return {"nav_membership": memberships, "nav_organizations": organizations}


def test_clock(request):
    """The banner every page shows while the test clock is on."""
    from portal import clock

    return {"test_clock_now": clock.now() if clock.is_simulated() else None}
