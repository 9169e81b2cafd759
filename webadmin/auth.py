"""Staff accounts and logging in: Flask-Login over ``admin_user``, argon2id passwords, throttled logins,
audited events, and a signed-cookie session that the server can still revoke (reliability.md §5.1).

The session cookie carries the user id, the account's ``session_epoch`` at login and two timestamps. Each
request checks them: the epoch must still match (logout bumps it, so a copied cookie dies with the logout —
on every device of that user), the session may be idle 30 minutes and live 12 hours at most. Logging in
starts a new session (no fixation).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from warehouse.models import AdminUser, Wilayah
from webadmin import passwords, throttle
from webadmin.access import KABUPATEN_OPERATOR, PROVINCE_ADMIN, ROLES
from webadmin.audit import record_event
from webadmin.db import get_session, now, now_naive_utc
from webadmin.urls import safe_next

log = logging.getLogger(__name__)

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# how stale "last seen" may get before the cookie is rewritten: keeps the idle timeout honest to the
# minute without sending a new cookie on every request
_SEEN_RESOLUTION = timedelta(minutes=1)

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
KEPT_ACROSS_LOGIN = ("lang",)  # the language choice survives the new session


# --- accounts ---------------------------------------------------------------------------------------------


class UserError(ValueError):
    """A user cannot be created as asked; ``field`` names the argument to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and compared trimmed and lower-case."""
    return username.strip().lower()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    kode_kabupaten: str | None = None,
    full_name: str | None = None,
) -> AdminUser:
    """Add a staff account to ``session`` (flushed, not committed: the caller commits).

    :param role: ``province_admin``, ``kabupaten_operator`` (needs ``kode_kabupaten``) or ``viewer`` (with a
        ``kode_kabupaten`` for one kabupaten, without for the whole province).
    :param kode_kabupaten: a kabupaten/kota code such as ``3601``; checked against ``wilayah`` when it lists
        kabupaten.
    :raises UserError: naming the argument to fix; a password the policy refuses gives field ``password``.
    """
    username = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(username):
        raise UserError(
            "username",
            f"username {username!r} is not valid: use 2 to 64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    if role not in ROLES:
        raise UserError("role", f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == KABUPATEN_OPERATOR and not kode_kabupaten:
        raise UserError("kode_kabupaten", "a kabupaten_operator needs the code of their kabupaten, e.g. 3601")
    if role == PROVINCE_ADMIN and kode_kabupaten:
        raise UserError(
            "kode_kabupaten", "a province_admin sees the whole province: give no kabupaten (or use viewer)"
        )
    if kode_kabupaten:
        _check_kabupaten(session, kode_kabupaten)
    if full_name is not None and len(full_name) > 128:
        raise UserError("full_name", f"the full name has {len(full_name)} characters; use at most 128")
    try:
        passwords.check_password_policy(password, username)
    except passwords.PasswordRejected as exc:
        raise UserError("password", str(exc)) from exc
    if session.scalar(select(AdminUser.id).where(AdminUser.username == username)) is not None:
        raise UserError("username", f"a user named {username!r} already exists; choose another username")

    user = AdminUser(
        username=username,
        full_name=full_name,
        password_hash=passwords.hash_password(password),
        role=role,
        kode_kabupaten=kode_kabupaten or None,
        active=True,
        session_epoch=0,
        created_at=now_naive_utc(),
    )
    session.add(user)
    session.flush()
    log.info("created admin user %r (role %s, kabupaten %s)", username, role, kode_kabupaten or "-")
    return user


def _check_kabupaten(session: Session, kode: str) -> None:
    if not re.fullmatch(r"\d{4}", kode):
        raise UserError("kode_kabupaten", f"kabupaten code {kode!r} is not valid: use 4 digits, e.g. 3601")
    kabupaten = select(Wilayah.kode).where(Wilayah.tingkat == "kabupaten")
    known = session.scalar(select(func.count()).select_from(kabupaten.subquery()))
    if known and session.scalar(kabupaten.where(Wilayah.kode == kode)) is None:
        raise UserError(
            "kode_kabupaten",
            f"kabupaten code {kode!r} is not in the wilayah table; check the code (e.g. 3601)",
        )


@dataclass(frozen=True, slots=True)
class StaffUser(UserMixin):
    """The logged-in user as the pages see it (a plain value, detached from any database session)."""

    id: int
    username: str
    full_name: str | None
    role: str
    kode_kabupaten: str | None

    @classmethod
    def from_row(cls, row: AdminUser) -> StaffUser:
        return cls(row.id, row.username, row.full_name, row.role, row.kode_kabupaten)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


def authenticate(session: Session, username: str, password: str) -> AdminUser | None:
    """The active account ``username`` if ``password`` is its password, else None (upgrading an old hash).

    Unknown users cost the same argon2 work as known ones, so timing does not tell which usernames exist.
    """
    user = session.scalar(select(AdminUser).where(AdminUser.username == username))
    if user is None:
        passwords.verify_against_nothing(password)
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        log.info("rehashed the password of %r with the current argon2 parameters", username)
    return user


# --- the login manager and the per-request session check ---------------------------------------------------

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = ""  # the gate flashes its own message when a session ended


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    current = now().timestamp()
    auth_at, seen_at, epoch = session.get("auth_at"), session.get("seen_at"), session.get("epoch")
    if not isinstance(auth_at, int | float) or not isinstance(seen_at, int | float) or epoch is None:
        return None
    if (
        current - auth_at > ABSOLUTE_TIMEOUT.total_seconds()
        or current - seen_at > IDLE_TIMEOUT.total_seconds()
    ):
        g.session_ended = True
        return None
    try:
        row = get_session().get(AdminUser, int(user_id))
    except ValueError:
        return None
    if row is None or not row.active or row.session_epoch != epoch:
        g.session_ended = True
        return None
    if current - seen_at > _SEEN_RESOLUTION.total_seconds():
        session["seen_at"] = current
    return StaffUser.from_row(row)


def _end_stale_session() -> None:
    """Drop a session whose user no longer loads (expired, logged out elsewhere, deactivated)."""
    if request.endpoint == "static":
        return
    if "_user_id" in session and not current_user.is_authenticated:
        _clear_session()
        if g.get("session_ended"):
            flash(_("Your session has ended. Please log in again."), "info")


def _clear_session() -> None:
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)


def init_app(app: Flask) -> None:
    """Wire Flask-Login, the stale-session cleanup and the login/logout routes into ``app``."""
    login_manager.init_app(app)
    app.before_request(_end_stale_session)
    app.register_blueprint(bp)


# --- routes -----------------------------------------------------------------------------------------------

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """The login form (Flask-WTF adds the CSRF token)."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter your username.")), Length(max=64, message=_l("Too long."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024, message=_l("Too long."))],
    )
    submit = SubmitField(_l("Log in"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form; on POST check throttling, then the password, and start a new session."""
    target = safe_next(request.args.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)

    db = get_session()
    username = normalise_username(form.username.data or "")
    ip = request.remote_addr
    at = now_naive_utc()
    wait = throttle.retry_after(db, username, ip, at)
    if wait is not None:
        record_event(db, "login.throttled", actor_username=username, ip=ip, detail=f"retry after {wait} s")
        db.commit()
        log.warning("login for %r from %s throttled for %d s", username, ip, wait)
        minutes = max(1, -(-wait // 60))
        message = ngettext(
            "Too many failed logins. Try again in %(num)d minute.",
            "Too many failed logins. Try again in %(num)d minutes.",
            minutes,
        )
        response = make_response(render_template("auth/login.html", form=form, error=message), 429)
        response.headers["Retry-After"] = str(wait)
        return response

    user = authenticate(db, username, form.password.data or "")
    throttle.record_attempt(db, username, ip, success=user is not None, now=at)
    if user is None:
        record_event(db, "login.failure", actor_username=username, ip=ip)
        db.commit()
        log.info("failed login for %r from %s", username, ip)
        # the same words whether the account exists, is inactive or the password is wrong
        error = _("Wrong username or password.")
        return render_template("auth/login.html", form=form, error=error)

    user.last_login_at = at
    record_event(db, "login.success", actor_id=user.id, actor_username=user.username, ip=ip)
    db.commit()
    log.info("login of %r from %s", username, ip)

    _clear_session()  # a new session: nothing planted before the login survives it
    login_user(StaffUser.from_row(user))
    stamp = now().timestamp()
    session["epoch"] = user.session_epoch
    session["auth_at"] = stamp
    session["seen_at"] = stamp
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session everywhere: bump the account's epoch so every cookie issued before is refused."""
    db = get_session()
    user = db.get(AdminUser, current_user.id)
    if user is not None:
        user.session_epoch += 1
        record_event(db, "logout", actor_id=user.id, actor_username=user.username, ip=request.remote_addr)
        db.commit()
    logout_user()
    _clear_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
