#!/usr/bin/python3
"""Independent LTI 1.3 *platform* (the LMS side) used by the server's tests.

This is NOT the tool's code: it is a small, strict stand-in for an LMS that
the proctoring server (the LTI 1.3 tool) is launched from.  It implements the
1EdTech LTI 1.3 Core / Security Framework OIDC third-party-initiated login
(platform side), publishes its signing keys as a JWKS, mints id_tokens (good
ones and a catalogue of attack variants a tool must refuse) and records every
request so tests can assert on what the tool did.

Run with the Debian interpreter (PyJWT and cryptography come from Debian 12):
    /usr/bin/python3 tests/lti/lti_platform.py --client-id ID --deployment-id DEP \
        --tool-login-url URL --tool-launch-url URL [--tool-jwks-url URL] \
        [--port 0] [--tls-cert PEM --tls-key PEM]
When ready, exactly one JSON line is printed to stdout; logs go to stderr.
"""

import argparse
import base64
import hashlib
import hmac
import html
import json
import secrets
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LTI_AP = "http://www.imsglobal.org/spec/lti-ap/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
VARIANTS = {
    "good", "expired", "future_iat", "wrong_aud", "multi_aud_no_azp",
    "unknown_kid", "wrong_key_same_kid", "alg_none", "hs256_pubkey",
    "bad_deployment", "wrong_message_type", "bad_version", "wrong_nonce",
    "no_sub", "tampered",
}
DIGITS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj: Dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def person_name(user: str) -> Dict[str, str]:
    """Derive a display name from a user id ("learner-1" -> "Learner One")."""
    if user == "maria":
        given, family = "Мария", "Иванова"
    else:
        parts = [p for p in user.replace("_", "-").split("-") if p] or ["user"]
        words = [DIGITS[int(p)] if p.isdigit() and len(p) == 1 else p.capitalize()
                 for p in parts]
        given, family = words[0], " ".join(words[1:]) or "Learner"
    return {"name": f"{given} {family}", "given_name": given, "family_name": family}


class LaunchError(Exception):
    """A request parameter was unacceptable; str() names the failed check."""


class Platform:
    """All shared state of the platform; every access goes through self.lock."""

    def __init__(self, args: argparse.Namespace, base: str) -> None:
        self.args = args
        self.base = base
        self.lock = threading.Lock()
        self.keys: List[tuple] = [("p1", new_rsa_key())]    # published (kid, key)
        self.hidden_key = new_rsa_key()                      # never published
        self.launches: Dict[str, Dict[str, Any]] = {}       # lti_message_hint -> params
        self.used_hints: set = set()
        self.sessions: Dict[str, Dict[str, Any]] = {}       # session_data -> params
        self.log: List[Dict[str, Any]] = []
        self.jwks_down = False

    # ---- keys -------------------------------------------------------------
    def jwks(self) -> Dict[str, Any]:
        with self.lock:
            keys = list(self.keys)
        out = []
        for kid, key in keys:
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.pop("key_ops", None)   # RFC 7517: "use" and "key_ops" SHOULD NOT coexist
            jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
            out.append(jwk)
        return {"keys": out}

    def rotate(self) -> str:
        with self.lock:
            kid = f"p{len(self.keys) + 1}"
            self.keys.append((kid, new_rsa_key()))
            return kid

    # ---- launches ---------------------------------------------------------
    @staticmethod
    def launch_params(q: Dict[str, str]) -> Dict[str, Any]:
        """Launch parameters from a query, with defaults; validates them."""
        p = {
            "user": q.get("user", "learner-1"),
            "message_type": q.get("message_type", "LtiResourceLinkRequest"),
            "variant": q.get("variant", "good"),
            "locale": q.get("locale", "en"),
            "resource": q.get("resource", "quiz-1"),
            "context": q.get("context", "course-1"),
            "kind": q.get("kind") or None,
        }
        if p["variant"] not in VARIANTS:
            raise LaunchError(f"variant: unknown variant {p['variant']!r}")
        try:
            p["attempt"] = int(q.get("attempt", "1"))
        except ValueError:
            raise LaunchError("attempt: not an integer") from None
        return p

    def start_launch(self, q: Dict[str, str]) -> str:
        """Step 1: remember the launch, return the tool login URL to redirect to."""
        p = self.launch_params(q)
        hint = secrets.token_urlsafe(16)
        with self.lock:
            self.launches[hint] = p
        a = self.args
        return a.tool_login_url + ("&" if "?" in a.tool_login_url else "?") + urlencode({
            "iss": self.base, "login_hint": p["user"],
            "target_link_uri": a.tool_launch_url, "lti_message_hint": hint,
            "client_id": a.client_id, "lti_deployment_id": a.deployment_id,
        })

    def authorize(self, q: Dict[str, str]) -> Dict[str, Any]:
        """Step 2: strict checks of the tool's authentication request."""
        a = self.args
        for name, want in (("scope", "openid"), ("response_type", "id_token"),
                           ("response_mode", "form_post"), ("prompt", "none"),
                           ("client_id", a.client_id), ("redirect_uri", a.tool_launch_url)):
            if q.get(name) != want:
                raise LaunchError(f"{name}: expected {want!r}, got {q.get(name)!r}")
        for name in ("state", "nonce"):
            if not q.get(name):
                raise LaunchError(f"{name}: missing or empty")
        hint = q.get("lti_message_hint", "")
        with self.lock:
            p = self.launches.get(hint)
            if p is None:
                raise LaunchError("lti_message_hint: unknown launch")
            if hint in self.used_hints:
                raise LaunchError("lti_message_hint: already used")
            if q.get("login_hint") != p["user"]:
                raise LaunchError(f"login_hint: expected {p['user']!r}, "
                                  f"got {q.get('login_hint')!r}")
            self.used_hints.add(hint)   # consumed only by a successful request
        return p

    # ---- id_token ---------------------------------------------------------
    def claims(self, p: Dict[str, Any], nonce: str) -> Dict[str, Any]:
        a, now, v = self.args, int(time.time()), p["variant"]
        base = self.base
        c: Dict[str, Any] = {
            "iss": base, "aud": a.client_id, "azp": a.client_id, "sub": p["user"],
            "exp": now + 300, "iat": now, "nonce": nonce,
            **person_name(p["user"]), "locale": p["locale"],
            LTI + "message_type": p["message_type"],
            LTI + "version": "1.3.0",
            LTI + "deployment_id": a.deployment_id,
            LTI + "target_link_uri": a.tool_launch_url,
            LTI + "resource_link": {"id": p["resource"], "title": f"Quiz {p['resource']}"},
            LTI + "context": {"id": p["context"], "label": p["context"],
                              "title": f"Course {p['context']}"},
            LTI + "roles": [LEARNER],
            LTI + "launch_presentation": {"locale": p["locale"], "return_url": base + "/return"},
            AGS_ENDPOINT: {"scope": AGS_SCOPES,
                           "lineitems": f"{base}/ags/{quote(p['context'], safe='')}/lineitems"},
        }
        if p["kind"]:
            c[LTI + "custom"] = {"proctor_kind": p["kind"]}
        if p["message_type"] == "LtiStartProctoring":
            session = secrets.token_urlsafe(24)
            with self.lock:
                self.sessions[session] = dict(p, nonce=nonce)
            c.update({
                LTI_AP + "attempt_number": p["attempt"],
                LTI_AP + "start_assessment_url": base + "/start_assessment",
                LTI_AP + "session_data": session,
                LTI_AP + "proctoring_settings": {"data": f"kind={p['kind'] or ''}"},
                LTI_AP + "acs": {"actions": ["flag", "terminate", "update"],
                                 "assessment_control_url": base + "/acs"},
            })
        elif p["message_type"] == "LtiEndAssessment":
            c[LTI_AP + "attempt_number"] = p["attempt"]
            c[LTI_AP + "end_assessment_return"] = True
        # Claim-level attack variants.
        if v == "expired":
            c["exp"], c["iat"] = now - 600, now - 900
        elif v == "future_iat":
            c["iat"], c["exp"] = now + 600, now + 900
        elif v == "wrong_aud":
            c["aud"] = c["azp"] = "someone-else"
        elif v == "multi_aud_no_azp":
            c["aud"] = [a.client_id, "other"]
            del c["azp"]
        elif v == "bad_deployment":
            c[LTI + "deployment_id"] = "not-registered"
        elif v == "wrong_message_type":
            c[LTI + "message_type"] = "LtiSubmissionReviewRequest"
        elif v == "bad_version":
            c[LTI + "version"] = "1.1.0"
        elif v == "wrong_nonce":
            c["nonce"] = secrets.token_urlsafe(16)
        elif v == "no_sub":
            del c["sub"]
        return c

    def mint(self, p: Dict[str, Any], nonce: str) -> str:
        """Build and sign the id_token for launch params p (with its variant)."""
        claims, v = self.claims(p, nonce), p["variant"]
        with self.lock:
            kid, key = self.keys[-1]
        if v == "alg_none":
            return b64url_json({"alg": "none", "typ": "JWT"}) + "." + b64url_json(claims) + "."
        if v == "hs256_pubkey":
            pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
            signing_input = (b64url_json({"alg": "HS256", "kid": kid, "typ": "JWT"}) + "."
                             + b64url_json(claims))
            mac = hmac.new(pem, signing_input.encode("ascii"), hashlib.sha256).digest()
            return signing_input + "." + b64url(mac)
        if v == "unknown_kid":
            kid, key = "p-unpublished", self.hidden_key
        elif v == "wrong_key_same_kid":
            key = self.hidden_key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
        return tamper(token) if v == "tampered" else token


def tamper(token: str) -> str:
    """Change one character of the payload so it still decodes to valid JSON
    (the tool must fail on the signature, not on parsing)."""
    h, payload, s = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(payload) // 2, len(payload) - 1):
        for ch in alphabet:
            if ch == payload[i]:
                continue
            cand = payload[:i] + ch + payload[i + 1:]
            try:
                json.loads(base64.urlsafe_b64decode(cand + "=" * (-len(cand) % 4)))
            except ValueError:
                continue
            return f"{h}.{cand}.{s}"
    raise RuntimeError("could not tamper token")


def auto_post_form(action: str, fields: Dict[str, str]) -> str:
    """HTML page that a browser auto-submits (OIDC response_mode=form_post)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">\n'
                     for k, v in fields.items())
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>LTI launch</title>"
            "</head><body>\n"
            f'<form id="lti" method="post" action="{html.escape(action)}">\n{inputs}</form>\n'
            "<script>document.getElementById('lti').submit()</script>\n</body></html>\n")


class Handler(BaseHTTPRequestHandler):
    server_version = "LtiTestPlatform/1.0"
    timeout = 30
    platform: Platform   # set on the class before serving

    def log_message(self, fmt: str, *args: Any) -> None:
        sys.stderr.write("lti_platform: " + (fmt % args) + "\n")

    # ---- helpers ----------------------------------------------------------
    def _parts(self) -> tuple:
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        return u.path, q

    def _form(self) -> Dict[str, str]:
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    def _reply(self, status: int, body: Any = b"", ctype: str = "text/plain; charset=utf-8",
               note: str = "", form: Optional[Dict[str, str]] = None,
               headers: Optional[Dict[str, str]] = None) -> None:
        path, q = self._parts()
        if path not in ("/test/log", "/test/reset-log"):   # control calls stay out of the log
            entry: Dict[str, Any] = {"method": self.command, "path": path, "query": q,
                                     "status": status, "note": note}
            if form is not None:
                entry["form"] = form
            with self.platform.lock:
                self.platform.log.append(entry)   # logged before the client sees the reply
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body, ensure_ascii=False), "application/json"
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    # ---- routing ----------------------------------------------------------
    def do_GET(self) -> None:
        self._route(None)

    def do_POST(self) -> None:
        self._route(self._form())

    def _route(self, form: Optional[Dict[str, str]]) -> None:
        pf, (path, q) = self.platform, self._parts()
        get = form is None
        try:
            if get and path == "/jwks":
                with pf.lock:
                    down = pf.jwks_down
                if down:
                    return self._reply(503, "jwks temporarily unavailable\n", note="jwks down")
                return self._reply(200, pf.jwks())
            if get and path == "/launch":
                return self._reply(302, "", headers={"Location": pf.start_launch(q)})
            if path == "/auth":
                params = dict(q, **(form or {}))
                p = pf.authorize(params)
                token = pf.mint(p, params["nonce"])
                page = auto_post_form(params["redirect_uri"],
                                      {"id_token": token, "state": params["state"]})
                return self._reply(200, page, "text/html; charset=utf-8", form=form)
            if get and path == "/mint":
                if not q.get("nonce"):
                    raise LaunchError("nonce: missing or empty")
                return self._reply(200, pf.mint(pf.launch_params(q), q["nonce"]))
            if not get and path == "/start_assessment":
                # Recorder stub: verification of the tool's JWT comes later.
                return self._reply(200, "assessment started\n", form=form)
            if get and path == "/return":
                return self._reply(200, "returned to platform\n")
            if not get and path == "/test/rotate":
                return self._reply(200, {"kid": pf.rotate()})
            if not get and path == "/test/jwks":
                down = q.get("down", (form or {}).get("down", "0")) == "1"
                with pf.lock:
                    pf.jwks_down = down
                return self._reply(200, {"down": down})
            if get and path == "/test/log":
                with pf.lock:
                    snapshot = list(pf.log)
                return self._reply(200, snapshot)
            if not get and path == "/test/reset-log":
                with pf.lock:
                    pf.log.clear()
                return self._reply(200, {"ok": True})
            return self._reply(404, "not found\n", note="no such endpoint")
        except LaunchError as e:
            return self._reply(400, f"{e}\n", note=str(e), form=form)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: Optional[ssl.SSLContext] = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake runs here, in the per-connection thread, so a slow or
        # failing client never blocks accept().
        if self.tls is None:
            return super().finish_request(request, client_address)
        try:
            request.settimeout(30)
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write(f"lti_platform: TLS handshake failed: {e}\n")
            return
        try:
            super().finish_request(conn, client_address)
        finally:
            conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--deployment-id", required=True)
    ap.add_argument("--tool-login-url", required=True)
    ap.add_argument("--tool-launch-url", required=True)
    ap.add_argument("--tool-jwks-url", default=None, help="tool's JWKS (for later use)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")

    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.tls = ctx
    port = server.server_address[1]
    base = f"{'https' if args.tls_cert else 'http'}://127.0.0.1:{port}"
    Handler.platform = Platform(args, base)

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(json.dumps({"issuer": base, "auth_url": base + "/auth", "token_url": base + "/token",
                      "jwks_url": base + "/jwks", "port": port}), flush=True)
    sys.stderr.write(f"lti_platform: listening on {base}\n")
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
