"""Staff accounts: hashed passwords, login, roles, expiry, CSRF and the `users` commands."""

import itsdangerous.timed
import pytest
from werkzeug.security import check_password_hash

from bot.auth import accounts
from tests.conftest import STAFF_PASSWORD, csrf_token, login, make_user, post_form
from tests.helpers import services_of


def test_password_is_stored_hashed_never_plain(app, db):
    make_user(app, "wangli", "editor")
    row = accounts.get_user(db, "wangli")
    assert STAFF_PASSWORD not in row["password_hash"]
    assert check_password_hash(row["password_hash"], STAFF_PASSWORD)
    assert not check_password_hash(row["password_hash"], STAFF_PASSWORD + "x")


def test_login_then_pages_then_logout(app, client):
    make_user(app, "wangli", "editor")
    response = login(client, "wangli")
    assert response.status_code == 302
    assert response.location == "/staff/entries"
    page = client.get("/staff/entries").get_data(as_text=True)
    assert "wangli（编辑）" in page
    response = post_form(client, "/logout", page="/staff/entries")
    assert response.status_code == 302
    assert client.get("/staff/entries").status_code == 302


def test_wrong_password_and_unknown_name_get_the_same_chinese_answer(app, client):
    make_user(app, "wangli", "editor")
    wrong = login(client, "wangli", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码不对" in response.get_data(as_text=True)
    assert client.get("/staff/entries").status_code == 302


def test_repeated_wrong_passwords_lock_the_account_for_a_while(app, client, db):
    make_user(app, "wangli", "editor")
    for _ in range(accounts.MAX_FAILED):
        login(client, "wangli", "guess-guess")
    response = login(client, "wangli")  # even the right password waits now
    assert response.status_code == 401
    locked = response.get_data(as_text=True)
    assert "5 分钟再试" in locked
    unknown = login(client, "nobody", "guess-guess").get_data(as_text=True)
    assert accounts.REFUSED in locked and accounts.REFUSED in unknown  # a lock tells nothing more
    db["users"].update("wangli", {"locked_until": 0.0})
    db.conn.commit()
    assert login(client, "wangli").status_code == 302


def test_parallel_wrong_passwords_check_at_most_the_limit(app, db, monkeypatch):
    """40 attempts at once: the failure counter is taken in one UPDATE, so no more than
    MAX_FAILED passwords are ever checked before the lock, and the right one, sent among
    them, does not get in once the limit is reached."""
    import threading

    make_user(app, "wangli", "editor")
    real_hash = db["users"].get("wangli")["password_hash"]
    checked = []
    original = accounts.check_password_hash

    def counting(hashed, password):
        if hashed == real_hash:
            checked.append(password)
        return original(hashed, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    results = []
    start = threading.Barrier(40)

    def attempt(number):
        client = app.test_client()
        token = csrf_token(client)
        start.wait()
        password = "correct-horse-42" if number == 39 else f"wrong-{number}"
        response = client.post(
            "/login",
            data={"name": "wangli", "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{number}"},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) <= accounts.MAX_FAILED
    assert results.count(302) <= 1 and len(results) == 40


def test_one_address_is_slowed_whatever_names_it_tries(app, client):
    for number in range(accounts.MAX_PER_ADDRESS):
        login(client, f"nobody{number}", "guess-guess")
    make_user(app, "wangli", "editor")
    assert login(client, "wangli").status_code == 401


def test_anonymous_goes_to_login_and_comes_back_after(app, client):
    make_user(app, "wangli", "editor")
    response = client.get("/staff/try?q=1")
    assert response.status_code == 302
    assert response.location == "/login?next=/staff/try?q%3D1"
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "name": "wangli",
            "password": STAFF_PASSWORD,
            "next": "/staff/try?q=1",
            "csrf_token": token,
        },
    )
    assert response.location == "/staff/try?q=1"


def test_login_never_redirects_off_site(app, client):
    make_user(app, "wangli", "editor")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        token = csrf_token(client)
        response = client.post(
            "/login",
            data={
                "name": "wangli",
                "password": STAFF_PASSWORD,
                "next": target,
                "csrf_token": token,
            },
        )
        assert response.location == "/staff/entries"


def test_roles_rank_viewer_editor_admin(app, logged_in_client):
    viewer = logged_in_client("viewer")
    editor = logged_in_client("editor")
    admin = logged_in_client("admin")
    refused = viewer.get("/staff/entries")
    assert refused.status_code == 403
    assert "没有权限" in refused.get_data(as_text=True)
    assert editor.get("/staff/entries").status_code == 200
    assert editor.get("/staff/users").status_code == 403
    assert admin.get("/staff/users").status_code == 200
    assert admin.get("/staff/entries").status_code == 200
    # Each role's home page is one it may open.
    assert viewer.get("/staff/").location == "/reports/"
    assert editor.get("/staff/").location == "/staff/entries"


def test_navigation_shows_only_what_the_role_may_open(logged_in_client):
    viewer_page = logged_in_client("viewer").get("/login").get_data(as_text=True)
    assert "/reports/" in viewer_page
    assert "/staff/entries" not in viewer_page
    admin_page = logged_in_client("admin").get("/staff/entries").get_data(as_text=True)
    for link in ("/staff/entries", "/staff/review", "/staff/try", "/reports/", "/staff/users"):
        assert link in admin_page


def test_session_expires_after_its_lifetime_without_use(make_app, monkeypatch):
    app = make_app(SESSION_LIFETIME_MINUTES=30)
    make_user(app, "wangli", "editor")
    client = app.test_client()
    login(client, "wangli")
    real = itsdangerous.timed.TimestampSigner.get_timestamp

    def later(minutes):
        monkeypatch.setattr(
            itsdangerous.timed.TimestampSigner,
            "get_timestamp",
            lambda self: real(self) + minutes * 60,
        )

    later(29)
    assert client.get("/staff/entries").status_code == 200  # use renews the login
    later(29 + 29)
    assert client.get("/staff/entries").status_code == 200
    later(29 + 29 + 31)
    response = client.get("/staff/entries")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_changed_password_or_disabled_account_ends_the_login(app, db):
    make_user(app, "wangli", "editor")
    client = app.test_client()
    login(client, "wangli")
    accounts.set_password(db, "wangli", "a-new-password-9")
    db.conn.commit()
    assert client.get("/staff/entries").status_code == 302
    login(client, "wangli", "a-new-password-9")
    assert client.get("/staff/entries").status_code == 200
    accounts.set_active(db, "wangli", False)
    db.conn.commit()
    assert client.get("/staff/entries").status_code == 302
    assert login(client, "wangli", "a-new-password-9").status_code == 401


def test_a_form_without_its_csrf_token_is_refused(app, client):
    make_user(app, "wangli", "editor")
    response = client.post("/login", data={"name": "wangli", "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    response = client.post(
        "/login",
        data={"name": "wangli", "password": STAFF_PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert client.get("/staff/entries").status_code == 302


def test_create_admin_asks_for_the_password_and_has_no_default(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "boss"], input="")
    assert result.exit_code != 0
    assert accounts.get_user(services_of(app).db(), "boss") is None
    result = runner.invoke(args=["users", "create-admin", "boss"], input="short\nshort\n")
    assert result.exit_code == 1
    assert "至少" in result.output
    result = runner.invoke(
        args=["users", "create-admin", "boss"],
        input="amber-lantern-river-7\namber-lantern-river-7\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss" in result.output
    client = app.test_client()
    assert login(client, "boss", "amber-lantern-river-7").status_code == 302
    assert client.get("/staff/users").status_code == 200


def test_users_add_with_role_and_list(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "add", "reader", "--role", "viewer"],
        input="violet-harbor-train-3\nviolet-harbor-train-3\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "add", "reader"], input="copper-meadow-kite-8\ncopper-meadow-kite-8\n"
    )
    assert result.exit_code == 1
    assert "已经有了" in result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "reader" in listing and "viewer" in listing
    client = app.test_client()
    login(client, "reader", "violet-harbor-train-3")
    assert client.get("/staff/entries").status_code == 403


def test_admin_page_adds_changes_and_disables_accounts(app, logged_in_client):
    admin = logged_in_client("admin", name="boss")
    response = post_form(
        admin,
        "/staff/users",
        {"name": "zhaomin", "role": "viewer", "password": "quiet-orchard-51-river"},
    )
    assert response.status_code == 302
    newcomer = app.test_client()
    assert login(newcomer, "zhaomin", "quiet-orchard-51-river").status_code == 302
    assert newcomer.get("/staff/entries").status_code == 403
    post_form(admin, "/staff/users/zhaomin", {"action": "role", "role": "editor"})
    assert newcomer.get("/staff/entries").status_code == 200
    post_form(admin, "/staff/users/zhaomin", {"action": "disable"})
    assert newcomer.get("/staff/entries").status_code == 302
    # The last admin can be neither demoted nor disabled.
    post_form(admin, "/staff/users/boss", {"action": "role", "role": "editor"})
    page = admin.get("/staff/users").get_data(as_text=True)
    assert "最后一个管理员" in page
    assert admin.get("/staff/users").status_code == 200


def test_admin_form_errors_are_plain_chinese(logged_in_client):
    admin = logged_in_client("admin")
    response = post_form(admin, "/staff/users", {"name": "Bad Name!", "password": "x"})
    assert response.status_code == 400
    assert "用户名只能用小写英文字母" in response.get_data(as_text=True)


@pytest.mark.parametrize("password", ["password123", "12345678", "qwertyuiop", "wangli2024"])
def test_common_and_name_passwords_are_refused(db, password):
    with pytest.raises(accounts.AccountError):
        accounts.create_user(db, "wangli", "editor", password)


def test_logout_ends_the_cookie_on_the_server(app):
    make_user(app, "wangli", "editor")
    client = app.test_client()
    login(client, "wangli")
    cookie = client.get_cookie("silverhelper_session").value
    post_form(client, "/logout", page="/staff/entries")
    replay = app.test_client()
    replay.set_cookie("silverhelper_session", cookie)
    assert replay.get("/staff/entries").status_code == 302  # back to the login page


def test_a_cookie_from_before_a_disable_stays_dead_after_re_enabling(app, db):
    make_user(app, "wangli", "editor")
    client = app.test_client()
    login(client, "wangli")
    assert client.get("/staff/entries").status_code == 200
    accounts.set_active(db, "wangli", False)
    db.conn.commit()
    accounts.set_active(db, "wangli", True)
    db.conn.commit()
    assert client.get("/staff/entries").status_code == 302
