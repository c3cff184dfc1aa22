"""The panel's security, through its HTTP boundary: log-in, a new session id at log-in, log-out,
disabled accounts, CSRF, throttling, headers, escaping of residents' text, SQL-looking input,
one-time invitations and the audit log."""

from sqlalchemy import func, select

from storage.models import AuditEntry, StaffRole, Ticket
from tests.support.panel import PASSWORD, browser, make_staff, make_ticket

SCRIPT = "路灯坏了<script>alert('x')</script>"


async def test_log_in_gives_a_new_session_and_log_out_ends_it(panel_app, panel_sessions, clock):
    await make_staff(panel_sessions, clock, "wang", StaffRole.ADMINISTRATOR)
    client = await browser(panel_app)
    await client.get("/login")
    before = client.session_cookie()
    assert before
    assert (await client.log_in("wang")).status == 303
    after = client.session_cookie()
    assert after and after != before
    assert (await client.get("/inbox")).url.path == "/inbox"

    attacker = await browser(panel_app)  # a planted (pre-log-in) session id gives nothing
    attacker.client.session.cookie_jar.update_cookies({"panel_session": before})
    assert (await attacker.get("/inbox")).url.path == "/login"

    assert (await client.post("/logout")).status == 303
    stolen = await browser(panel_app)
    stolen.client.session.cookie_jar.update_cookies({"panel_session": after})
    assert (await stolen.get("/inbox")).url.path == "/login"
    for each in (client, attacker, stolen):
        await each.close()


async def test_a_disabled_account_is_signed_out_at_once(panel_app, panel_sessions, clock):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    li = await make_staff(panel_sessions, clock, "li", StaffRole.STREET, ("jb-hd",))
    admin, street = await browser(panel_app), await browser(panel_app)
    await admin.log_in("admin")
    await street.log_in("li")
    assert (await street.get("/inbox")).url.path == "/inbox"
    await admin.get("/staff")
    assert (await admin.post(f"/staff/{li}/disable")).status == 303
    assert (await street.get("/inbox")).url.path == "/login"
    assert (await street.log_in("li")).status == 401
    async with panel_sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "staff.disable" in actions
    await admin.close()
    await street.close()


async def test_every_form_needs_the_csrf_token(panel_app, panel_sessions, clock, desk):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")
    client = await browser(panel_app)
    await client.log_in("admin")
    missing = await client.post(f"/tickets/{number}/escalate", {"kind": "staff"}, csrf=False)
    assert missing.status == 403
    forged = await client.post(
        f"/tickets/{number}/escalate", {"kind": "staff", "csrf": "forged"}, csrf=False
    )
    assert forged.status == 403
    other = await browser(panel_app)  # a token of another session does not do either
    await other.get("/login")
    client.token = other.token
    assert (await client.post(f"/tickets/{number}/escalate", {"kind": "staff"})).status == 403
    async with panel_sessions() as session:
        assert await session.scalar(select(Ticket.status)) == "assigned"
    await client.close()
    await other.close()


async def test_failed_log_ins_are_throttled_for_a_while(panel_app, panel_sessions, clock):
    await make_staff(panel_sessions, clock, "zhao", StaffRole.OBSERVER)
    await make_staff(panel_sessions, clock, "qian", StaffRole.OBSERVER)
    client = await browser(panel_app)
    for _ in range(5):
        assert (await client.log_in("zhao", "wrong password")).status == 401
    throttled = await client.log_in("zhao", PASSWORD)
    assert throttled.status == 429
    assert "请等待几分钟" in await throttled.text()
    # Someone else at the same address (a shared office) is not held back.
    assert (await client.log_in("qian", PASSWORD)).status == 303
    await client.close()


async def test_security_headers(panel_app):
    client = await browser(panel_app)
    response = await client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    await client.close()


async def test_a_residents_script_is_shown_as_text(panel_app, panel_sessions, clock, desk):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", SCRIPT, name="<b>李</b>")
    client = await browser(panel_app)
    await client.log_in("admin")
    for path in (f"/tickets/{number}", "/inbox"):
        page = await (await client.get(path)).text()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;李&lt;/b&gt;" in await (await client.get(f"/tickets/{number}")).text()
    await client.close()


SQL = ["' OR 1=1 --", "1; DROP TABLE tickets", '" OR ""="', "%", "_", "\\", "1 UNION SELECT 1"]


async def test_sql_looking_input_in_every_filter_and_the_search(
    panel_app, panel_sessions, clock, desk
):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")
    client = await browser(panel_app)
    await client.log_in("admin")
    for value in SQL:
        for field in ("q", "status", "category", "station", "group", "flag", "sort", "page"):
            response = await client.get("/inbox", params={field: value})
            assert response.status == 200, (field, value)
            page = await response.text()
            if field == "q":  # searched for literally: nothing matches
                assert "/tickets/A-" not in page, value
        audit = await client.get("/audit", params={"staff": value, "action": value})
        assert audit.status == 200
    async with panel_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
    await client.close()


async def test_an_invitation_makes_one_account_once(panel_app, panel_sessions, clock):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    admin = await browser(panel_app)
    await admin.log_in("admin")
    await admin.get("/staff")
    async with panel_sessions() as session:
        from storage.models import Area

        haide = await session.scalar(select(Area.id).where(Area.code == "jb-hd"))
    await admin.post("/staff/invite", [("role", "street"), ("street", str(haide))])
    page = await (await admin.get("/staff")).text()
    link = page.split('<code id="invitation">')[1].split("</code>")[0]
    path = link.split("//", 1)[1].split("/", 1)[1]
    newcomer = await browser(panel_app)
    assert (await newcomer.get("/" + path)).status == 200
    form = {"login": "zhou", "name": "周敏", "password": "short"}
    refused = await newcomer.post("/" + path, form)
    assert refused.status == 400
    assert "密码至少需要10个字符" in await refused.text()
    form["password"] = PASSWORD
    assert (await newcomer.post("/" + path, form)).status == 303
    assert (await newcomer.get("/" + path)).status == 404  # used
    assert (await newcomer.log_in("zhou")).status == 303
    assert (await newcomer.get("/inbox")).url.path == "/inbox"
    await admin.close()
    await newcomer.close()


async def test_the_audit_log_shows_before_and_after(panel_app, panel_sessions, clock, desk):
    await make_staff(panel_sessions, clock, "admin", StaffRole.ADMINISTRATOR)
    number = await make_ticket(panel_sessions, desk, "jb-hd-hx", "和祥社区路灯坏了")
    client = await browser(panel_app)
    await client.log_in("admin")
    await client.get(f"/tickets/{number}")
    assert (await client.post(f"/tickets/{number}/priority", {"priority": "urgent"})).status == 303
    page = await (await client.get("/audit", params={"target": number})).text()
    assert "ticket.priority" in page
    assert '"priority": "normal"' in page
    assert '"priority": "urgent"' in page
    assert (
        "ticket.priority"
        not in await (await client.get("/audit", params={"target": "A-2026-999999"})).text()
    )
    await client.close()
