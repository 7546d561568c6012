"""Roadwork's pages in a real headless Chromium, against a real server and database (started by deploy/test)."""
import os
import re
import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright, expect

BASE = os.environ["ROADWORK_BROWSER_BASE_URL"]
SHOTS = Path(os.environ.get("ROADWORK_SCREENSHOTS", ".roadwork/screenshots"))
PASSWORD = "roadwork-demo"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield b
        b.close()


def signed_in(browser, email, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(BASE + "/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(BASE + "/")
    return context, page


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def api(page, path):
    response = page.request.get(BASE + path)
    assert response.ok, path
    return response.json()


def test_bad_credentials_show_a_clear_message(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(BASE + "/")
    assert page.url.endswith("/signin")
    page.get_by_label("Email").fill("rep@demo.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    shoot(page, "signin-error")
    context.close()


def test_a_rep_files_a_report_on_a_phone_and_picks_a_suggested_objection(browser):
    context, page = signed_in(browser, "rep@demo.example", PHONE)
    before = len(api(page, "/api/v1/reports?limit=200")["items"])
    page.get_by_role("link", name="File a report").click()
    # Bad input first: the error sits next to its field and the typed text stays.
    page.get_by_label("What did the buyer say?").fill("")
    page.get_by_label("Account").fill("Phone Test Account")
    page.get_by_role("button", name="File report").click()
    expect(page.locator("#summary-error")).to_contain_text("must not be blank")
    expect(page.get_by_label("Account")).to_have_value("Phone Test Account")
    # Typing the summary brings up similar objections; one tap picks one.
    page.get_by_label("What did the buyer say?").type("They need SSO with Okta before signing", delay=10)
    suggestion = page.locator("#suggestions button").first
    expect(suggestion).to_be_visible(timeout=5000)
    picked = suggestion.get_attribute("data-objection")
    suggestion.click()
    expect(page.get_by_label("About an existing objection (optional)")).to_have_value(picked)
    shoot(page, "report-new")
    # A double tap files once.
    page.get_by_role("button", name="File report").dblclick()
    page.wait_for_url(re.compile(r".*/\?done=.*"))
    expect(page.get_by_role("status")).to_contain_text("Report filed")
    reports = api(page, "/api/v1/reports?limit=200")["items"]
    assert len(reports) == before + 1
    assert reports[0]["objection_id"] == picked
    shoot(page, "home-rep")
    context.close()


def test_a_rep_cannot_reach_triage(browser):
    context, page = signed_in(browser, "rep@demo.example", PHONE)
    expect(page.get_by_role("link", name="Triage")).to_have_count(0)
    response = page.goto(BASE + "/triage")
    assert response.status == 403
    csrf = [c for c in context.cookies() if c["name"] == "roadwork_csrf"][0]["value"]
    posted = page.request.post(BASE + "/backlog/next", form={"_csrf": csrf, "format": "video"})
    assert posted.status == 403
    context.close()


def file_report(browser, email, summary, account):
    """A rep files a report from the report page on a phone."""
    context, page = signed_in(browser, email, PHONE)
    page.goto(BASE + "/reports/new")
    page.get_by_label("What did the buyer say?").fill(summary)
    page.get_by_label("Account").fill(account)
    page.get_by_role("button", name="File report").click()
    page.wait_for_url(re.compile(r".*/\?done=.*"))
    context.close()


def test_a_marketer_triages_a_report_and_pulls_next(browser):
    file_report(browser, "rep2@demo.example", "Asked whether we support on-premise installs", "Triage Test Co")

    context, page = signed_in(browser, "marketer@demo.example", LAPTOP)
    page.get_by_role("link", name="Triage").click()
    card = page.get_by_role("region", name="Report from Triage Test Co").first
    expect(card).to_be_visible()
    shoot(page, "triage")
    card.get_by_label("New objection").fill("No on-premise option")
    card.get_by_role("button", name="Create objection").click()
    expect(page.get_by_role("status")).to_contain_text("Report triaged")
    expect(page.get_by_role("region", name="Report from Triage Test Co")).to_have_count(0)
    page.get_by_role("link", name="Backlog").click()
    shoot(page, "backlog")
    page.get_by_role("button", name="Pull next").click()
    page.wait_for_url(re.compile(r".*/content.*"))
    expect(page.get_by_role("status")).to_contain_text("It's yours")
    shoot(page, "content")
    mine = api(page, "/api/v1/content?status=in_progress&limit=200")["items"]
    me = api(page, "/api/v1/me")
    assert any(item["assignee_id"] == me["id"] for item in mine)
    context.close()


def test_two_heads_reorder_sign_and_see_the_new_lineup(browser):
    sales_context, sales = signed_in(browser, "sales.head@demo.example", LAPTOP)
    before = [item["id"] for item in api(sales, "/api/v1/focus")["obstacles"]]
    sales.get_by_role("link", name="Joint review").click()
    if sales.get_by_role("button", name="Open a joint review").count():
        sales.get_by_role("button", name="Open a joint review").click()
    first = sales.get_by_role("region", name="Top 5 Obstacles").locator("li").first
    first.get_by_role("button", name=re.compile("Move .* down")).click()
    shoot(sales, "review")
    sales.get_by_role("button", name=re.compile("Sign version")).click()
    expect(sales.get_by_role("status")).to_contain_text("Waiting for the other head")

    marketing_context, marketing = signed_in(browser, "marketing.head@demo.example", PHONE)
    marketing.get_by_role("link", name="Joint review").click()
    shoot(marketing, "review")
    marketing.get_by_role("button", name=re.compile("Sign version")).click()
    expect(marketing.get_by_role("status")).to_contain_text("new Top 5 is in place")
    after = [item["id"] for item in api(marketing, "/api/v1/focus")["obstacles"]]
    assert after[:2] == [before[1], before[0]]
    expect(marketing.get_by_role("region", name="Top 5 Obstacles").locator(".rank").first).to_have_text("1")
    marketing.goto(BASE + "/review")
    expect(marketing.get_by_role("link", name="summary (Markdown)").first).to_be_visible()
    sales_context.close()
    marketing_context.close()


def test_the_other_heads_review_page_follows_an_edit_live_and_both_sign(browser):
    sales_context, sales = signed_in(browser, "sales.head@demo.example", LAPTOP)
    marketing_context, marketing = signed_in(browser, "marketing.head@demo.example", PHONE)
    sales.goto(BASE + "/review")
    if sales.get_by_role("button", name="Open a joint review").count():
        sales.get_by_role("button", name="Open a joint review").click()
    marketing.goto(BASE + "/review")
    expect(marketing.locator("#review-live[data-connected=true]")).to_have_count(1)
    titles = sales.get_by_role("region", name="Top 5 Obstacles").locator("li .title").all_inner_texts()
    assert len(titles) >= 2
    # The sales head moves the first obstacle down; the marketing head's open page follows without a reload.
    marketing.evaluate("window.notReloaded = true")
    sales.get_by_role("region", name="Top 5 Obstacles").locator("li").first.get_by_role("button", name=re.compile("Move .* down")).click()
    expect(marketing.locator("#review-status")).to_contain_text("Updated", timeout=3000)
    expect(marketing.get_by_role("region", name="Top 5 Obstacles").locator("li .title").first).to_have_text(titles[1])
    assert marketing.evaluate("window.notReloaded") is True
    shoot(marketing, "review-live")
    marketing.get_by_role("button", name=re.compile("Sign version")).click()
    expect(marketing.get_by_role("status")).to_contain_text("Waiting for the other head")
    expect(sales.locator("#review-live[data-connected=true]")).to_have_count(1)
    expect(sales.locator("#review-status")).to_contain_text("Updated", timeout=3000)
    expect(sales.get_by_role("region", name="Sign-off")).to_contain_text("marketing head")
    sales.get_by_role("button", name=re.compile("Sign version")).click()
    expect(sales.get_by_role("status")).to_contain_text("new Top 5 is in place")
    after = [item["title"] for item in api(sales, "/api/v1/focus")["obstacles"]]
    assert after[:2] == [titles[1], titles[0]]
    # The closed review's record: signatures, the lineup with its changes, the walls' charts; it prints without the menu.
    sales.goto(BASE + "/review")
    sales.get_by_role("link", name="record (printable)").first.click()
    expect(sales.get_by_role("heading", name=re.compile("Joint review of"))).to_be_visible()
    expect(sales.get_by_role("region", name="Signatures")).to_contain_text("marketing head")
    expect(sales.locator("article.record")).to_contain_text("up from 2")
    assert sales.locator("svg.impact").count() >= 1
    sales.emulate_media(media="print")
    expect(sales.locator("header.top")).to_be_hidden()
    shoot(sales, "review-record")
    sales_context.close()
    marketing_context.close()


def test_any_open_objection_is_offered_as_a_marketer_types_and_links_the_report(browser):
    file_report(browser, "rep2@demo.example", "Procurement wants their own paper for the contract", "Typeahead Test Co")

    context, page = signed_in(browser, "marketer@demo.example", LAPTOP)
    page.goto(BASE + "/triage")
    card = page.get_by_role("region", name="Report from Typeahead Test Co").first
    # The page lists no objections itself; typing a word brings up the open ones that have it.
    expect(page.locator("#open-objections option")).to_have_count(0)
    field = card.get_by_label("Any open objection")
    field.press_sequentially("Okta", delay=20)
    expect(page.locator('#open-objections option[value="No SSO with Okta or Azure AD"]')).to_have_count(1, timeout=5000)
    field.fill("No SSO with Okta or Azure AD")
    card.locator("form:has(input[name=objection_statement])").get_by_role("button", name="Link").click()
    expect(page.get_by_role("status")).to_contain_text("Report triaged")
    reports = api(page, "/api/v1/reports?account=Typeahead%20Test%20Co")["items"]
    sso = [o for o in api(page, "/api/v1/objections?limit=200")["items"] if o["statement"] == "No SSO with Okta or Azure AD"][0]
    assert reports[0]["objection_id"] == sso["id"]
    context.close()


def test_the_inbox_suggests_the_wall_a_rep_worded_differently_and_one_click_accepts_it(browser):
    file_report(browser, "rep3@demo.example", "Their IT wants users to log in through Okta, again", "Accept Test Co")

    context, page = signed_in(browser, "marketer@demo.example", LAPTOP)
    page.goto(BASE + "/triage")
    card = page.get_by_role("region", name="Report from Accept Test Co").first
    expect(card).to_contain_text("Best match: No SSO with Okta or Azure AD")
    shoot(page, "triage_suggestion")
    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Report triaged")
    expect(page.get_by_role("region", name="Report from Accept Test Co")).to_have_count(0)
    reports = api(page, "/api/v1/reports?account=Accept%20Test%20Co")["items"]
    sso = [o for o in api(page, "/api/v1/objections?limit=200")["items"] if o["statement"] == "No SSO with Okta or Azure AD"][0]
    assert reports[0]["objection_id"] == sso["id"]
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1280"])
def test_every_page_renders_at_both_widths(browser, viewport):
    pages = {
        "marketer@demo.example": ["/", "/reports/new", "/triage", "/triage/duplicates", "/vocabulary", "/backlog", "/content"],
        "sales.head@demo.example": ["/review"],
        "admin@demo.example": ["/admin", "/admin/integrations"],
        "rep@demo.example": ["/", "/content", "/tokens"],
    }
    for email, paths in pages.items():
        context, page = signed_in(browser, email, viewport)
        for path in paths:
            response = page.goto(BASE + path)
            assert response.status == 200, (email, path)
            # Nothing spills sideways on a phone.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (email, path, overflow)
            shoot(page, (email.split("@")[0] + path.replace("/", "_")).strip("_") or "home")
        objection = api(page, "/api/v1/objections?limit=1")["items"][0]["id"]
        page.goto(BASE + f"/objections/{objection}")
        shoot(page, "objection")
        item = api(page, "/api/v1/focus")["obstacles"][0]["id"]
        page.goto(BASE + f"/items/{item}")
        shoot(page, "item")
        context.close()


def test_pages_send_security_headers_and_forms_need_the_csrf_token(browser):
    context, page = signed_in(browser, "admin@demo.example", LAPTOP)
    response = page.goto(BASE + "/admin")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    forged = page.request.post(BASE + "/admin/settings", form={"half_life_days": "1", "reference_deal_size": "1"})
    assert forged.status == 403
    session = [c for c in context.cookies() if c["name"] == "roadwork_session"][0]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    context.close()


def test_a_rep_makes_a_token_sees_it_once_uses_it_and_revokes_it(browser):
    context, page = signed_in(browser, "rep@demo.example", PHONE)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("button", name="Make token").click()
    expect(page.locator("#token-name-error")).to_contain_text("must not be blank")
    page.get_by_label("Name").fill("Phone script")
    page.get_by_role("button", name="Make token").click()
    secret = page.locator("#new-token code").inner_text()
    assert secret.startswith("rw_pat_")
    me = page.request.get(BASE + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["email"] == "rep@demo.example"
    page.goto(BASE + "/tokens")
    assert secret not in page.content()
    page.locator("tr", has_text="Phone script").get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text="Phone script")).to_contain_text("revoked")
    assert page.request.get(BASE + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status == 401
    context.close()


def test_an_admin_is_told_next_to_the_field_why_a_webhook_url_is_refused(browser):
    context, page = signed_in(browser, "admin@demo.example", LAPTOP)
    page.get_by_role("link", name="Integrations", exact=True).click()
    page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#hook-url-error")).to_contain_text("metadata address")
    expect(page.get_by_label("URL")).to_have_value("http://169.254.169.254/latest/meta-data")
    assert api(page, "/api/v1/webhooks")["items"] == []
    context.close()


def test_a_resent_report_form_is_filed_once_and_a_changed_one_is_not_filed(browser):
    """The report form carries an idempotency key: sending the same form again files nothing twice and says so; sending
    it again with other text files nothing, keeps the text and says why next to the form."""
    context, page = signed_in(browser, "rep2@demo.example", PHONE)
    before = len(api(page, "/api/v1/reports?account=Resend%20Co")["items"])
    key_field = page.locator("form[action='/reports'] input[name=idempotency_key]")

    def send(key, summary):
        page.goto(BASE + "/reports/new")
        page.evaluate("(key) => { document.querySelector(\"form[action='/reports'] input[name=idempotency_key]\").value = key; }", key)
        page.get_by_label("What did the buyer say?").fill(summary)
        page.get_by_label("Account").fill("Resend Co")
        page.get_by_role("button", name="File report").click()

    page.goto(BASE + "/reports/new")
    key = key_field.input_value()
    send(key, "Wants a sandbox before the pilot")
    page.wait_for_url(re.compile(r".*/\?done=.*"))
    expect(page.get_by_role("status")).to_contain_text("Report filed")
    # The same form again (a second tap, a resubmitted page): told it was already filed.
    send(key, "Wants a sandbox before the pilot")
    page.wait_for_url(re.compile(r".*/\?done=.*"))
    expect(page.get_by_role("status")).to_contain_text("already filed")
    # The same key with changed text: nothing filed, an error by the form, the typed text kept, a fresh key.
    send(key, "Wants a sandbox and SSO before the pilot")
    expect(page.locator("#form-error")).to_contain_text("nothing was filed")
    expect(page.get_by_label("What did the buyer say?")).to_have_value("Wants a sandbox and SSO before the pilot")
    assert key_field.input_value() != key
    assert len(api(page, "/api/v1/reports?account=Resend%20Co")["items"]) == before + 1
    context.close()


def test_a_marketer_plans_a_bite_for_an_opportunity_on_a_phone_and_the_home_page_shows_it(browser):
    context, page = signed_in(browser, "marketer@demo.example", PHONE)
    focus = api(page, "/api/v1/focus")
    counts = {p["item_id"]: p["bites"] for p in focus["progress"]}
    shipped = [o for o in focus["opportunities"] if counts[o["id"]] > 0]
    assert shipped, "the demo quarter gives its first opportunity bites"
    expect(page.get_by_role("region", name="Top 5 Opportunities")).to_contain_text("bites published")
    empty = next(o for o in focus["opportunities"] if counts[o["id"]] == 0)
    page.goto(BASE + f"/items/{empty['id']}")
    region = page.get_by_role("region", name="Bites for this opportunity")
    expect(region).to_contain_text("No bites yet")
    region.get_by_label("Plan a bite").fill("Buyer's guide for this opportunity")
    region.get_by_label("Format").select_option("one_pager")
    region.get_by_role("button", name="Add to the content board").click()
    expect(page.get_by_role("status")).to_contain_text("is on the content board")
    expect(page.get_by_role("region", name="Bites for this opportunity")).to_contain_text("Buyer's guide for this opportunity")
    shoot(page, "opportunity")
    page.goto(BASE + "/")
    expect(page.get_by_role("region", name="Top 5 Opportunities")).to_contain_text("Buyer's guide for this opportunity")
    bites = api(page, f"/api/v1/content?opportunity_id={empty['id']}")["items"]
    assert [b["title"] for b in bites] == ["Buyer's guide for this opportunity"] and bites[0]["objection_id"] is None
    context.close()
