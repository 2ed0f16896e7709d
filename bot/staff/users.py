"""Account management for admins: add accounts, change roles, reset passwords,
disable and re-enable. The last active admin can never be removed."""

from flask import flash, redirect, render_template, request, url_for

from bot import auth
from bot.auth import AccountError, current_user, role_required
from bot.staff import bp, services


@bp.get("/users")
@role_required("admin")
def users():
    db = services().db()
    return render_template(
        "staff/users.html", users=auth.list_users(db), roles=auth.ROLES, form={}, error=None
    )


@bp.post("/users")
@role_required("admin")
def add_user():
    db = services().db()
    form = {"name": request.form.get("name", ""), "role": request.form.get("role", "editor")}
    try:
        name = auth.create_user(
            db,
            form["name"],
            form["role"],
            request.form.get("password", ""),
            by=current_user()["name"],
        )
    except AccountError as error:
        return render_template(
            "staff/users.html",
            users=auth.list_users(db),
            roles=auth.ROLES,
            form=form,
            error=str(error),
        ), 400
    db.conn.commit()
    flash(f"已添加账号 {name}。", "ok")
    return redirect(url_for("staff.users"))


@bp.post("/users/<name>")
@role_required("admin")
def change_user(name):
    db = services().db()
    user = auth.get_user(db, name)
    if user is None:
        flash("没有这个账号。", "error")
        return redirect(url_for("staff.users")), 303
    action = request.form.get("action")
    me = current_user()["name"]
    try:
        if action == "role":
            role = request.form.get("role", "")
            if user["role"] == "admin" and role != "admin" and _last_admin(db, user):
                raise AccountError("这是最后一个管理员账号，不能改成别的角色。")
            auth.set_role(db, name, role)
            message = f"{name} 的角色已改为 {auth.ROLE_NAMES[role]}。"
        elif action == "password":
            auth.set_password(db, name, request.form.get("password", ""))
            message = f"{name} 的密码已重设，旧的登录已失效。"
        elif action == "disable":
            if name == me:
                raise AccountError("不能停用自己的账号。")
            if _last_admin(db, user):
                raise AccountError("这是最后一个管理员账号，不能停用。")
            auth.set_active(db, name, False)
            message = f"{name} 已停用，不能再登录。"
        elif action == "enable":
            auth.set_active(db, name, True)
            auth.unlock(db, name)
            message = f"{name} 已恢复使用。"
        else:
            raise AccountError("不认识的操作。")
    except AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.users"))
    db.conn.commit()
    flash(message, "ok")
    return redirect(url_for("staff.users"))


def _last_admin(db, user):
    return user["role"] == "admin" and user["active"] and auth.active_admins(db) <= 1
