"""The organization's home, /app/<slug>/, is its license dashboard: it also says what
the old overview did that still matters — your role, your account manager, the members."""


def test_it_shows_the_role_and_the_account_managers_contact(client_for, owner, account_manager):
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert 'You are an <span class="badge badge-primary">Owner</span> here.' in page
    assert "Your account manager" in page
    assert f'href="mailto:{account_manager.email}"' in page
    assert account_manager.display_name in page
    assert 'href="/app/northwind/members/"' in page
    assert "Manage members and invitations" in page


def test_it_says_when_no_account_manager_is_assigned(client_for, teammate):
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert 'You are a <span class="badge badge-primary">Member</span> here.' in page
    assert "No account manager is assigned to Northwind yet." in page
    assert "See everyone in Northwind" in page


def test_the_nav_offers_the_public_pages_to_everyone(client, client_for, owner):
    for page in (
        client.get("/").content.decode(),
        client_for(owner).get("/app/northwind/").content.decode(),
    ):
        for href, name in (
            ("/pricing/", "Pricing"),
            ("/roi/", "ROI calculator"),
            ("/changelog/", "Changelog"),
        ):
            assert f'<a class="nav-link" href="{href}">{name}</a>' in page


def test_the_nav_marks_the_current_public_page(client, db):
    page = client.get("/roi/").content.decode()
    assert '<a class="nav-link" href="/roi/" aria-current="page">ROI calculator</a>' in page
    assert '<a class="nav-link" href="/pricing/">Pricing</a>' in page
