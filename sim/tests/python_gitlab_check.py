"""Runs python-gitlab (the real client, from PyPI) against a running gitlab-sim.

Usage: python python_gitlab_check.py PHASE EXPECTATIONS_JSON
  PHASE "main":      auth, version, token self, project lists (offset and keyset), hooks,
                     members, 404 and 401 errors.
  PHASE "ratelimit": repeated calls while the simulator throttles; python-gitlab must retry.
Prints one JSON line with what it observed; exits non-zero on any failed check.
"""

import json
import sys
import time
import warnings

import gitlab


def check(condition, message):
    if not condition:
        raise SystemExit(f"CHECK FAILED: {message}")


def main(exp):
    url, tokens = exp["url"], exp["tokens"]
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gl = gitlab.Gitlab(url, private_token=tokens["api"])
        gl.auth()
        check(gl.user.username == exp["main_user"], f"auth user {gl.user.username}")
        version, revision = gl.version()
        check(version == exp["version"], f"version {version}")
        check(revision != "unknown", "revision")
        me = gl.personal_access_tokens.get("self")
        check(me.scopes == ["api"], f"scopes {me.scopes}")
        check(me.user_id == gl.user.id, "token user")

        projects = gl.projects.list(get_all=True, per_page=100)
        check(len(projects) == exp["visible_projects"], f"offset count {len(projects)} != {exp['visible_projects']}")
        check(len({p.id for p in projects}) == len(projects), "offset duplicates")
        maintained = gl.projects.list(get_all=True, membership=True, min_access_level=40, simple=True)
        check(len(maintained) == exp["maintainer_projects"], f"maintainer count {len(maintained)}")

        keyset = gitlab.Gitlab(url, private_token=tokens["api"], pagination="keyset", order_by="id", per_page=7)
        ks = keyset.projects.list(get_all=True, sort="asc")
        check(len(ks) == exp["visible_projects"], f"keyset count {len(ks)}")
        check([p.id for p in ks] == sorted(p.id for p in projects), "keyset order and content")

        project = gl.projects.get(exp["hook_project"])
        before = project.hooks.list(get_all=True)
        hook = project.hooks.create(
            {
                "url": "https://crawler.example/gitlab/hook",
                "push_events": True,
                "merge_requests_events": True,
                "tag_push_events": True,
                "token": "py-secret",
                "name": "search-crawler",
            }
        )
        check(not hasattr(hook, "token"), "token not returned")
        after = project.hooks.list(get_all=True)
        check(len(after) == len(before) + 1, "hook listed")
        hook.test("push_events")
        fetched = project.hooks.get(hook.id)
        check(fetched.merge_requests_events is True, "events stored")
        out["hook_id"] = hook.id

        members = project.members.list(get_all=True)
        members_all = project.members_all.list(get_all=True)
        check(len(members) == exp["direct_members"], f"direct members {len(members)}")
        check(len(members_all) == exp["all_members"], f"all members {len(members_all)}")
        check(len({m.id for m in members_all}) == len(members_all), "members/all lists each user once")

        try:
            gl.projects.get(999999)
            check(False, "missing project must raise")
        except gitlab.exceptions.GitlabGetError as e:
            check(e.response_code == 404, f"404 code {e.response_code}")
            check(e.error_message == "404 Project Not Found", f"404 message {e.error_message}")

        expired = gitlab.Gitlab(url, private_token=tokens["expired"])
        try:
            expired.auth()
            check(False, "expired token must raise")
        except gitlab.exceptions.GitlabAuthenticationError as e:
            check(e.response_code == 401, "401")
            check("invalid_token" in str(e.error_message), f"401 message {e.error_message}")

        dev = gl.projects.get(exp["developer_project"])
        try:
            dev.hooks.create({"url": "https://crawler.example/x"})
            check(False, "developer must not create hooks")
        except gitlab.exceptions.GitlabCreateError as e:
            check(e.response_code == 403, f"403 code {e.response_code}")

    # python-gitlab attributes its warnings to the caller's frame, so look at them all.
    relevant = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    check(not relevant, f"python-gitlab warned: {relevant}")
    out["projects"] = len(projects)
    return out


def ratelimit(exp):
    gl = gitlab.Gitlab(exp["url"], private_token=exp["tokens"]["api"])
    start = time.monotonic()
    for _ in range(exp["calls"]):
        body = gl.http_get("/version")  # gl.version() caches; this always asks
        check(body["version"] == exp["version"], "version under throttling")
    return {"elapsed": time.monotonic() - start}


if __name__ == "__main__":
    phase, expectations = sys.argv[1], json.loads(sys.argv[2])
    result = {"main": main, "ratelimit": ratelimit}[phase](expectations)
    print(json.dumps(result))
