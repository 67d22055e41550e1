def test_home_page_loads_in_chromium(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator("h1").count() == 1
    assert page.console_errors == []
