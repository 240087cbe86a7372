#!/usr/bin/python3
"""Independent LTI 1.3 *platform* (the LMS side) used by the server's tests.

This is NOT the tool's code: it is a small, strict stand-in for an LMS that
the proctoring server (the LTI 1.3 tool) is launched from.  It implements the
1EdTech LTI 1.3 Core / Security Framework OIDC third-party-initiated login
(platform side), publishes its signing keys as a JWKS, mints id_tokens (good
ones and a catalogue of attack variants a tool must refuse) and records every
request so tests can assert on what the tool did.

It also plays the platform side of LTI Advantage services, verifying what the
tool sends as a strict LMS would (tool JWTs against the tool's JWKS):
  POST /start_assessment  Proctoring Services 1.0 LtiStartAssessment (form field JWT)
  POST /token             Security Framework client credentials (RFC 7523 assertion)
  /ags/CTX/lineitems...   Assignment and Grade Services 2.0 (line items, scores, results)
  POST /acs               Proctoring Services 1.0 Assessment Control Service
Refusals are 4xx with the reason as plain text (OAuth errors: JSON) and in the
log entry's "note"; /test/* endpoints control the platform and expose its state.

Run with the Debian interpreter (PyJWT and cryptography come from Debian 12):
    /usr/bin/python3 tests/lti/lti_platform.py --client-id ID --deployment-id DEP \
        --tool-login-url URL --tool-launch-url URL [--tool-jwks-url URL] \
        [--tool-ca-file PEM] [--port 0] [--tls-cert PEM --tls-key PEM]
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
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

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
ACS_SCOPE = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"
SCOPE_LINEITEM, SCOPE_LINEITEM_RO, SCOPE_RESULT_RO, SCOPE_SCORE = AGS_SCOPES
GRANTABLE_SCOPES = set(AGS_SCOPES) | {ACS_SCOPE}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600
# Media types of AGS 2.0 and of the Assessment Control Service.
MT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MT_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MT_SCORE = "application/vnd.ims.lis.v1.score+json"
MT_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MT_CONTROL = "application/vnd.ims.lti-ap.v1.control+json"
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
# ACS action -> the attempt's status the platform answers with.
ACS_STATUS = {"flag": "flagged", "pause": "paused", "resume": "active",
              "terminate": "terminated", "update": "active"}
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


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(v: Any) -> Optional[datetime]:
    """An ISO 8601 date-time WITH a time zone, or None."""
    if not isinstance(v, str) or "T" not in v:
        return None
    try:
        t = datetime.fromisoformat(v)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


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


class HttpError(Exception):
    """A service request was refused: the status, the reason (plain-text body and
    log note) and optionally a JSON body (OAuth errors) and extra headers."""

    def __init__(self, status: int, reason: str, body: Optional[Dict[str, Any]] = None,
                 headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(reason)
        self.status, self.body, self.headers = status, body, headers or {}


class ToolKeys:
    """The tool's public keys from --tool-jwks-url: fetched on first need, cached,
    refetched when a JWT names a kid the cache does not have."""

    def __init__(self, url: Optional[str], ca_file: Optional[str], lock: threading.Lock) -> None:
        self.url, self.ca_file, self.lock = url, ca_file, lock
        self.keys: Optional[Dict[str, Any]] = None   # kid -> RSA public key; guarded by lock
        self.fetches = 0
        self.fetch_lock = threading.Lock()           # one fetch at a time

    def _fetch(self) -> Dict[str, Any]:
        if not self.url:
            raise LaunchError("tool jwks: the platform was started without --tool-jwks-url")
        handlers: List[Any] = [urllib.request.ProxyHandler({})]   # never via a proxy
        if self.url.startswith("https:"):
            handlers.append(urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=self.ca_file)))
        try:
            with urllib.request.build_opener(*handlers).open(self.url, timeout=10) as r:
                doc = json.loads(r.read())
        except (OSError, ValueError) as e:   # URLError, HTTPError, TLS errors, bad JSON
            raise LaunchError(f"tool jwks: fetching {self.url} failed: {e}") from None
        keys: Dict[str, Any] = {}
        for jwk in doc.get("keys", []) if isinstance(doc, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
                continue
            if "d" in jwk:
                raise LaunchError(f"tool jwks: key {jwk['kid']!r} publishes its private part")
            try:
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(jwk)
            except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
                continue
        return keys

    def get(self, kid: str) -> Any:
        with self.lock:
            cached = self.keys
        if cached is None or kid not in cached:
            with self.fetch_lock:            # network I/O outside the state lock
                with self.lock:
                    cached = self.keys       # another request may have just fetched it
                if cached is None or kid not in cached:
                    cached = self._fetch()
                    with self.lock:
                        self.keys, self.fetches = cached, self.fetches + 1
        if kid not in cached:
            raise LaunchError(f"kid: {kid!r} is not in the tool's JWKS")
        return cached[kid]

    def state(self) -> Dict[str, Any]:
        with self.lock:
            return {"fetches": self.fetches, "kids": sorted(self.keys or {})}


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
        self.tool_keys = ToolKeys(args.tool_jwks_url, args.tool_ca_file, self.lock)
        self.used_nonces: Set[str] = set()                  # LtiStartAssessment nonces
        self.used_jtis: Set[str] = set()                    # client assertion jtis
        self.tokens: Dict[str, Dict[str, Any]] = {}         # access token -> scopes, exp
        # (user, resource_link_id, attempt_number) -> started attempt / its ACS status
        self.attempts: Dict[Tuple[str, str, int], Dict[str, Any]] = {}
        self.attempt_status: Dict[Tuple[str, str, int], str] = {}
        self.lineitems: Dict[int, Dict[str, Any]] = {}      # N -> {"ctx", "item"}
        self.next_lineitem = 1
        self.results: Dict[Tuple[int, str], Dict[str, Any]] = {}   # (N, user) -> latest score
        self.scores: List[Dict[str, Any]] = []              # every score the tool posted
        self.controls: List[Dict[str, Any]] = []            # every accepted ACS request
        self.ags_down = False
        self.acs_down = False

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
            # "Learner" (default) or another LIS membership role, e.g. "Instructor".
            "role": q.get("role", "Learner"),
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
            LTI + "roles": [LEARNER if p["role"] == "Learner"
                            else "http://purl.imsglobal.org/vocab/lis/v2/membership#" + p["role"]],
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

    # ---- JWTs signed by the tool --------------------------------------------
    def verify_tool_jwt(self, token: str, audiences: List[str],
                        max_age: Optional[int] = None) -> Dict[str, Any]:
        """Verify a JWT the tool signed (RS256, key from the tool's JWKS) and its
        iss (= our client id), aud, exp, iat and nbf; return its claims."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise LaunchError(f"jwt: malformed ({e})") from None
        if header.get("alg") != "RS256":
            raise LaunchError(f"alg: expected 'RS256', got {header.get('alg')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchError("kid: missing from the JWT header")
        key = self.tool_keys.get(kid)
        try:   # the signature only; the claims are checked below with precise reasons
            c = jwt.decode(token, key, algorithms=["RS256"], options={
                "verify_exp": False, "verify_iat": False, "verify_nbf": False,
                "verify_aud": False, "verify_iss": False})
        except jwt.InvalidSignatureError:
            raise LaunchError(f"signature: does not verify with the tool's key {kid!r}") from None
        except jwt.PyJWTError as e:
            raise LaunchError(f"jwt: {e}") from None
        now = time.time()
        if c.get("iss") != self.args.client_id:
            raise LaunchError(f"iss: expected {self.args.client_id!r}, got {c.get('iss')!r}")
        aud = c.get("aud")
        if not any(a in audiences for a in (aud if isinstance(aud, list) else [aud])):
            raise LaunchError(f"aud: expected {' or '.join(map(repr, audiences))}, got {aud!r}")
        exp, iat, nbf = c.get("exp"), c.get("iat"), c.get("nbf")
        if not is_number(exp):
            raise LaunchError("exp: missing or not a number")
        if exp <= now:
            raise LaunchError(f"exp: expired {int(now - exp)} s ago")
        if not is_number(iat):
            raise LaunchError("iat: missing or not a number")
        if iat > now + 60:
            raise LaunchError(f"iat: {int(iat - now)} s in the future")
        if max_age is not None and iat < now - max_age:
            raise LaunchError(f"iat: issued {int(now - iat)} s ago, more than {max_age} s")
        if nbf is not None and (not is_number(nbf) or nbf > now + 60):
            raise LaunchError("nbf: not yet valid")
        return c

    # ---- Proctoring Services: LtiStartAssessment ----------------------------
    def start_assessment(self, token: str) -> Tuple[str, int, Dict[str, Any]]:
        """Verify the tool's LtiStartAssessment message; return (user, attempt,
        verified_user) of the LtiStartProctoring launch it answers."""
        if not token:
            raise LaunchError("JWT: missing or empty")
        c = self.verify_tool_jwt(token, [self.base])
        nonce = c.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LaunchError("nonce: missing or empty")
        with self.lock:
            if nonce in self.used_nonces:
                raise LaunchError("nonce: replayed")
        for claim, want in (("message_type", "LtiStartAssessment"), ("version", "1.3.0"),
                            ("deployment_id", self.args.deployment_id)):
            if c.get(LTI + claim) != want:
                raise LaunchError(f"{claim}: expected {want!r}, got {c.get(LTI + claim)!r}")
        session = c.get(LTI_AP + "session_data")
        with self.lock:
            p = self.sessions.get(session) if isinstance(session, str) else None
        if p is None:
            raise LaunchError("session_data: not the session_data of any LtiStartProctoring "
                              "launch of this platform")
        link = c.get(LTI + "resource_link")
        link_id = link.get("id") if isinstance(link, dict) else None
        if link_id != p["resource"]:
            raise LaunchError(f"resource_link: id expected {p['resource']!r}, got {link_id!r}")
        attempt = c.get(LTI_AP + "attempt_number")
        if not is_int(attempt) or attempt != p["attempt"]:
            raise LaunchError(f"attempt_number: expected {p['attempt']}, got {attempt!r}")
        verified = c.get(LTI_AP + "verified_user")
        if not isinstance(verified, dict):
            raise LaunchError("verified_user: missing or not an object")
        key = (p["user"], p["resource"], attempt)
        with self.lock:
            if nonce in self.used_nonces:          # re-checked: concurrent replays
                raise LaunchError("nonce: replayed")
            self.used_nonces.add(nonce)            # consumed only by a successful request
            self.attempts[key] = {"user": p["user"], "resource_link_id": p["resource"],
                                  "attempt_number": attempt, "verified_user": verified,
                                  "at": now_iso()}
            self.attempt_status.setdefault(key, "active")
        return p["user"], attempt, verified

    # ---- OAuth 2 client credentials (token endpoint) ------------------------
    def issue_token(self, form: Dict[str, str]) -> Dict[str, Any]:
        """RFC 6749 client credentials with an RFC 7523 JWT client assertion."""
        grant = form.get("grant_type")
        if grant != "client_credentials":
            raise HttpError(400, f"grant_type: expected 'client_credentials', got {grant!r}",
                            {"error": "unsupported_grant_type" if grant else "invalid_request"})
        try:
            if form.get("client_assertion_type") != JWT_BEARER:
                raise LaunchError(f"client_assertion_type: expected {JWT_BEARER!r}, "
                                  f"got {form.get('client_assertion_type')!r}")
            if not form.get("client_assertion"):
                raise LaunchError("client_assertion: missing or empty")
            c = self.verify_tool_jwt(form["client_assertion"],
                                     [self.base + "/token", self.base], max_age=3600)
            if c.get("sub") != self.args.client_id:
                raise LaunchError(f"sub: expected {self.args.client_id!r}, got {c.get('sub')!r}")
            jti = c.get("jti")
            if not isinstance(jti, str) or not jti:
                raise LaunchError("jti: missing or empty")
            with self.lock:
                if jti in self.used_jtis:
                    raise LaunchError("jti: replayed")
        except LaunchError as e:
            raise HttpError(401, str(e),
                            {"error": "invalid_client", "error_description": str(e)}) from None
        scopes = list(dict.fromkeys(form.get("scope", "").split()))
        unknown = [sc for sc in scopes if sc not in GRANTABLE_SCOPES]
        if not scopes or unknown:
            why = f"scope: not grantable {unknown!r}" if unknown else "scope: missing or empty"
            raise HttpError(400, why, {"error": "invalid_scope", "error_description": why})
        token = secrets.token_urlsafe(32)
        with self.lock:
            if jti in self.used_jtis:
                raise HttpError(401, "jti: replayed", {"error": "invalid_client",
                                                       "error_description": "jti: replayed"})
            self.used_jtis.add(jti)
            self.tokens[token] = {"scopes": set(scopes), "exp": time.time() + TOKEN_LIFETIME}
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "scope": " ".join(scopes)}

    def authorize_bearer(self, header: str, any_of: Set[str]) -> None:
        """The request's bearer token must be ours, unexpired, with one of any_of."""
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "authorization: no Bearer token",
                            headers={"WWW-Authenticate": 'Bearer realm="lti"'})
        with self.lock:
            t = self.tokens.get(token.strip())
        if t is None or t["exp"] <= time.time():
            why = "token: unknown" if t is None else "token: expired"
            raise HttpError(401, why, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not t["scopes"] & any_of:
            raise HttpError(403, f"scope: the token has none of {sorted(any_of)}",
                            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})

    # ---- Assignment and Grade Services 2.0 ----------------------------------
    def lineitem_url(self, ctx: str, n: int) -> str:
        return f"{self.base}/ags/{quote(ctx, safe='')}/lineitems/{n}"

    @staticmethod
    def lineitem_fields(body: Dict[str, Any], url: str) -> Dict[str, Any]:
        """A line item from a POST/PUT body (AGS 2.0 §3.2), validated."""
        if not is_number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
            raise HttpError(400, "scoreMaximum: missing or not a number > 0")
        if not isinstance(body.get("label"), str) or not body["label"].strip():
            raise HttpError(400, "label: missing or empty")
        item = {"id": url, "label": body["label"], "scoreMaximum": body["scoreMaximum"]}
        for k in ("resourceLinkId", "resourceId", "tag", "startDateTime", "endDateTime"):
            if body.get(k) is None:
                continue
            if not isinstance(body[k], str) or (k.endswith("DateTime") and not parse_iso(body[k])):
                raise HttpError(400, f"{k}: not a string" if not k.endswith("DateTime")
                                else f"{k}: not an ISO 8601 date-time with a time zone")
            item[k] = body[k]
        if "gradesReleased" in body:
            if not isinstance(body["gradesReleased"], bool):
                raise HttpError(400, "gradesReleased: not a boolean")
            item["gradesReleased"] = body["gradesReleased"]
        return item

    def find_lineitem(self, ctx: str, n: int) -> Dict[str, Any]:
        """The line item N of context ctx (caller holds the lock)."""
        li = self.lineitems.get(n)
        if li is None or li["ctx"] != ctx:
            raise HttpError(404, f"lineitem: no line item {n} in context {ctx!r}")
        return li["item"]

    def add_lineitem(self, ctx: str, body: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            n = self.next_lineitem
            item = self.lineitem_fields(body, self.lineitem_url(ctx, n))
            self.lineitems[n] = {"ctx": ctx, "item": item}
            self.next_lineitem += 1          # a refused item takes no number
            return item

    @staticmethod
    def check_score(body: Dict[str, Any]) -> datetime:
        """Validate a score (AGS 2.0 §3.4); return its timestamp."""
        if not isinstance(body.get("userId"), str) or not body["userId"]:
            raise HttpError(400, "userId: missing or empty")
        ts = parse_iso(body.get("timestamp"))
        if ts is None:
            raise HttpError(400, "timestamp: missing or not ISO 8601 with a time zone")
        if body.get("activityProgress") not in ACTIVITY_PROGRESS:
            raise HttpError(400, f"activityProgress: {body.get('activityProgress')!r} is not "
                                 f"one of {sorted(ACTIVITY_PROGRESS)}")
        if body.get("gradingProgress") not in GRADING_PROGRESS:
            raise HttpError(400, f"gradingProgress: {body.get('gradingProgress')!r} is not "
                                 f"one of {sorted(GRADING_PROGRESS)}")
        given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
        if given is not None and (not is_number(given) or given < 0):
            raise HttpError(400, "scoreGiven: not a number >= 0")
        if given is not None and maximum is None:
            raise HttpError(400, "scoreMaximum: required with scoreGiven")
        if maximum is not None and (not is_number(maximum) or maximum <= 0):
            raise HttpError(400, "scoreMaximum: not a number > 0")
        if body.get("comment") is not None and not isinstance(body["comment"], str):
            raise HttpError(400, "comment: not a string")
        return ts

    def add_score(self, ctx: str, n: int, body: Dict[str, Any]) -> str:
        ts = self.check_score(body)
        user = body["userId"]
        with self.lock:
            item = self.find_lineitem(ctx, n)
            last = self.results.get((n, user))
            if last is not None and ts <= last["ts"]:
                raise HttpError(409, "stale timestamp")
            score = {"lineitem": item["id"], "userId": user, "scoreGiven": body.get("scoreGiven"),
                     "scoreMaximum": body.get("scoreMaximum"), "comment": body.get("comment"),
                     "activityProgress": body["activityProgress"],
                     "gradingProgress": body["gradingProgress"], "timestamp": body["timestamp"]}
            self.results[(n, user)] = dict(score, ts=ts)
            self.scores.append(score)
        return f"score for {user} on line item {n}: {score['scoreGiven']}/{score['scoreMaximum']}"

    def result_list(self, ctx: str, n: int, user: Optional[str]) -> List[Dict[str, Any]]:
        """Results (AGS 2.0 §3.3) from the latest score per user, as given by the
        tool (not rescaled); absent values are left out."""
        with self.lock:
            url = self.find_lineitem(ctx, n)["id"]
            latest = [r for (m, u), r in self.results.items() if m == n and user in (None, u)]
        out = []
        for r in latest:
            res = {"id": f"{url}/results/{quote(r['userId'], safe='')}", "scoreOf": url,
                   "userId": r["userId"], "resultScore": r["scoreGiven"],
                   "resultMaximum": r["scoreMaximum"], "comment": r["comment"]}
            out.append({k: v for k, v in res.items() if v is not None})
        return out

    def lms_grade(self, q: Dict[str, str]) -> Dict[str, Any]:
        """/test/lineitem-score: the LMS's own grade for a user (e.g. its quiz)."""
        try:
            ctx, label, user = q["ctx"], q["label"], q["user"]
            score, maximum = float(q["score"]), float(q["max"])
        except (KeyError, ValueError):
            raise HttpError(400, "lineitem-score: needs ctx, label, user, score, max") from None
        if maximum <= 0 or score < 0:
            raise HttpError(400, "lineitem-score: needs score >= 0 and max > 0")
        score, maximum = (int(v) if v.is_integer() else v for v in (score, maximum))
        with self.lock:
            found = [n for n, li in sorted(self.lineitems.items())
                     if li["ctx"] == ctx and li["item"]["label"] == label]
        if found:
            n = found[0]
        else:
            body: Dict[str, Any] = {"label": label, "scoreMaximum": maximum}
            if q.get("resource"):    # the assessment's own resource link
                body["resourceLinkId"] = q["resource"]
            n = int(self.add_lineitem(ctx, body)["id"].rsplit("/", 1)[1])
        ts = datetime.now(timezone.utc)
        with self.lock:
            item = self.lineitems[n]["item"]
            self.results[(n, user)] = {
                "lineitem": item["id"], "userId": user, "scoreGiven": score,
                "scoreMaximum": maximum, "comment": None, "activityProgress": "Completed",
                "gradingProgress": "FullyGraded", "timestamp": ts.isoformat(), "ts": ts}
            return dict(item)

    # ---- Proctoring Services: Assessment Control Service ---------------------
    def control(self, body: Dict[str, Any]) -> Tuple[str, str]:
        """Validate an ACS request (Proctoring Services 1.0 §5); return (status, note)."""
        user, link = body.get("user"), body.get("resource_link")
        if not isinstance(user, dict) or user.get("iss") != self.base:
            raise HttpError(400, f"user: iss must be {self.base!r}")
        sub = user.get("sub")
        if not isinstance(sub, str) or not sub:
            raise HttpError(400, "user: sub missing or empty")
        link_id = link.get("id") if isinstance(link, dict) else None
        if not isinstance(link_id, str) or not link_id:
            raise HttpError(400, "resource_link: id missing or empty")
        attempt, action = body.get("attempt_number"), body.get("action")
        if not is_int(attempt) or attempt < 1:
            raise HttpError(400, "attempt_number: missing or not an integer >= 1")
        if action not in ACS_STATUS:
            raise HttpError(400, f"action: unknown action {action!r}")
        if parse_iso(body.get("incident_time")) is None:
            raise HttpError(400, "incident_time: missing or not ISO 8601 with a time zone")
        severity = body.get("incident_severity")
        if severity is not None and (not is_number(severity) or not 0 <= severity <= 1):
            raise HttpError(400, "incident_severity: not a number in [0, 1]")
        for k in ("reason_code", "reason_msg"):
            if body.get(k) is not None and not isinstance(body[k], str):
                raise HttpError(400, f"{k}: not a string")
        if body.get("extra_time") is not None and not is_int(body["extra_time"]):
            raise HttpError(400, "extra_time: not an integer")
        key = (sub, link_id, attempt)
        with self.lock:
            launched = any(p["message_type"] == "LtiStartProctoring"
                           and (p["user"], p["resource"], p["attempt"]) == key
                           for p in self.sessions.values())
            if key not in self.attempts and not launched:
                raise HttpError(404, f"attempt: no proctoring attempt {attempt} of {sub!r} "
                                     f"on resource link {link_id!r}")
            status = ACS_STATUS[action]
            if self.attempt_status.get(key) == "terminated" and action != "terminate":
                raise HttpError(409, "attempt: already terminated")
            self.attempt_status[key] = status
            self.controls.append(dict(body, status=status, at=now_iso()))
        return status, f"acs {action} attempt {attempt} of {sub}: {status}"


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

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    @staticmethod
    def _form(body: bytes) -> Dict[str, str]:
        text = body.decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def _media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _json_body(self, body: bytes, media_type: str) -> Dict[str, Any]:
        """The request's JSON object, which must come as media_type."""
        if self._media_type() != media_type:
            raise HttpError(415, f"content-type: expected {media_type!r}, "
                                 f"got {self.headers.get('Content-Type')!r}")
        try:
            obj = json.loads(body.decode("utf-8"))
        except ValueError:
            raise HttpError(400, "body: not JSON") from None
        if not isinstance(obj, dict):
            raise HttpError(400, "body: not a JSON object")
        self.json_body = obj   # goes into the log entry
        return obj

    def _accepts(self, media_type: str) -> None:
        accept = (self.headers.get("Accept") or "*/*").lower()
        if not any(t in accept for t in (media_type, "*/*", "application/*")):
            raise HttpError(406, f"accept: {media_type!r} not acceptable to the client")

    def _reply(self, status: int, body: Any = b"", ctype: str = "text/plain; charset=utf-8",
               note: str = "", form: Optional[Dict[str, str]] = None,
               headers: Optional[Dict[str, str]] = None) -> None:
        path, q = self._parts()
        if path not in ("/test/log", "/test/reset-log"):   # control calls stay out of the log
            entry: Dict[str, Any] = {"method": self.command, "path": path, "query": q,
                                     "status": status, "note": note}
            if form is not None:
                entry["form"] = form
            if getattr(self, "json_body", None) is not None:
                entry["json"] = self.json_body
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
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def _route(self) -> None:
        pf, (path, q) = self.platform, self._parts()
        self.json_body: Optional[Dict[str, Any]] = None   # per request (keep-alive reuses self)
        get, post = self.command == "GET", self.command == "POST"
        raw = b"" if get else self._body()
        # POSTed forms (not JSON service bodies) are parsed and may be logged.
        form = self._form(raw) if post and not self._media_type().endswith("json") else None
        try:
            if get and path == "/jwks":
                with pf.lock:
                    down = pf.jwks_down
                if down:
                    return self._reply(503, "jwks temporarily unavailable\n", note="jwks down")
                return self._reply(200, pf.jwks())
            if get and path == "/launch":
                return self._reply(302, "", headers={"Location": pf.start_launch(q)})
            if (get or post) and path == "/auth":
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
            if post and path == "/start_assessment":
                user, attempt, verified = pf.start_assessment((form or {}).get("JWT", ""))
                page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                        "<title>Assessment</title></head><body>\n"
                        '<p id="assessment-started">assessment started</p>\n'
                        f"<p>attempt {attempt} of {html.escape(user)}</p>\n</body></html>\n")
                note = (f"started attempt {attempt} of {user}; verified_user "
                        + json.dumps(verified, ensure_ascii=False, sort_keys=True))
                return self._reply(200, page, "text/html; charset=utf-8", note=note, form=form)
            if get and path == "/return":
                return self._reply(200, "returned to platform\n")
            if path == "/token" or path.startswith("/ags/"):
                with pf.lock:
                    down = pf.ags_down
                if down:
                    raise HttpError(503, "ags down", headers={"Retry-After": "1"})
            if post and path == "/token":
                return self._reply(200, pf.issue_token(form or {}), note="token issued", form=form)
            if path.startswith("/ags/"):
                return self._ags(path, q, raw)
            if post and path == "/acs":
                with pf.lock:
                    down = pf.acs_down
                if down:
                    raise HttpError(503, "acs down", headers={"Retry-After": "1"})
                pf.authorize_bearer(self.headers.get("Authorization", ""), {ACS_SCOPE})
                status, note = pf.control(self._json_body(raw, MT_CONTROL))
                return self._reply(200, {"status": status}, note=note)
            if path.startswith("/test/"):
                return self._test(path, q, form)
            return self._reply(404, "not found\n", note="no such endpoint")
        except LaunchError as e:
            return self._reply(400, f"{e}\n", note=str(e), form=form)
        except HttpError as e:
            return self._reply(e.status, e.body if e.body is not None else f"{e}\n",
                               note=str(e), form=form, headers=e.headers)

    def _ags(self, path: str, q: Dict[str, str], raw: bytes) -> None:
        """AGS 2.0: /ags/CTX/lineitems[/N[/scores|/results]]."""
        pf, method = self.platform, self.command
        seg = [unquote(x) for x in path.split("/")[2:]]   # CTX, "lineitems", N, sub-resource
        if not 2 <= len(seg) <= 4 or seg[1] != "lineitems":
            raise HttpError(404, "ags: no such endpoint")
        ctx, auth = seg[0], self.headers.get("Authorization", "")
        read_scopes = {SCOPE_LINEITEM, SCOPE_LINEITEM_RO}
        if len(seg) == 2 and method == "GET":
            pf.authorize_bearer(auth, read_scopes)
            self._accepts(MT_CONTAINER)
            filters = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId",
                       "tag": "tag"}
            with pf.lock:
                items = [dict(li["item"]) for _, li in sorted(pf.lineitems.items())
                         if li["ctx"] == ctx and all(li["item"].get(f) == q[k]
                                                     for k, f in filters.items() if k in q)]
            return self._reply(200, json.dumps(items, ensure_ascii=False), MT_CONTAINER,
                               note=f"{len(items)} line items")
        if len(seg) == 2 and method == "POST":
            pf.authorize_bearer(auth, {SCOPE_LINEITEM})
            item = pf.add_lineitem(ctx, self._json_body(raw, MT_LINEITEM))
            return self._reply(201, json.dumps(item, ensure_ascii=False), MT_LINEITEM,
                               note=f"created {item['id']}", headers={"Location": item["id"]})
        if len(seg) == 2:
            raise HttpError(405, f"ags: {method} not allowed", headers={"Allow": "GET, POST"})
        if not seg[2].isdigit():
            raise HttpError(404, f"lineitem: no line item {seg[2]!r}")
        n = int(seg[2])
        if len(seg) == 3 and method == "GET":
            pf.authorize_bearer(auth, read_scopes)
            self._accepts(MT_LINEITEM)
            with pf.lock:
                item = dict(pf.find_lineitem(ctx, n))
            return self._reply(200, json.dumps(item, ensure_ascii=False), MT_LINEITEM)
        if len(seg) == 3 and method == "PUT":
            pf.authorize_bearer(auth, {SCOPE_LINEITEM})
            body = self._json_body(raw, MT_LINEITEM)
            with pf.lock:
                url = pf.find_lineitem(ctx, n)["id"]
                if body.get("id", url) != url:
                    raise HttpError(400, f"id: expected {url!r}, got {body.get('id')!r}")
                new = pf.lineitem_fields(body, url)
                pf.lineitems[n]["item"] = new
            return self._reply(200, json.dumps(new, ensure_ascii=False), MT_LINEITEM,
                               note=f"updated {new['id']}")
        if len(seg) == 3 and method == "DELETE":
            pf.authorize_bearer(auth, {SCOPE_LINEITEM})
            with pf.lock:
                pf.find_lineitem(ctx, n)
                del pf.lineitems[n]
                for key in [k for k in pf.results if k[0] == n]:
                    del pf.results[key]
            return self._reply(204, note=f"deleted line item {n}")
        if len(seg) == 4 and seg[3] == "scores" and method == "POST":
            pf.authorize_bearer(auth, {SCOPE_SCORE})
            note = pf.add_score(ctx, n, self._json_body(raw, MT_SCORE))
            return self._reply(204, note=note)
        if len(seg) == 4 and seg[3] == "results" and method == "GET":
            pf.authorize_bearer(auth, {SCOPE_RESULT_RO})
            self._accepts(MT_RESULTS)
            results = pf.result_list(ctx, n, q.get("user_id"))
            return self._reply(200, json.dumps(results, ensure_ascii=False), MT_RESULTS,
                               note=f"{len(results)} results")
        if len(seg) == 4 and seg[3] not in ("scores", "results"):
            raise HttpError(404, "ags: no such endpoint")
        raise HttpError(405, f"ags: {method} not allowed here")

    def _test(self, path: str, q: Dict[str, str], form: Optional[Dict[str, str]]) -> None:
        """/test/*: controls and state for the tests (not part of any LTI spec)."""
        pf, get, post = self.platform, self.command == "GET", self.command == "POST"
        flag = q.get("down", (form or {}).get("down", "0")) == "1"
        if post and path == "/test/rotate":
            return self._reply(200, {"kid": pf.rotate()})
        if post and path in ("/test/jwks", "/test/ags", "/test/acs"):
            with pf.lock:
                setattr(pf, path[len("/test/"):] + "_down", flag)
            return self._reply(200, {"down": flag})
        if get and path == "/test/log":
            with pf.lock:
                snapshot = list(pf.log)
            return self._reply(200, snapshot)
        if post and path == "/test/reset-log":
            with pf.lock:
                pf.log.clear()
            return self._reply(200, {"ok": True})
        if get and path in ("/test/attempts", "/test/scores", "/test/acs"):
            with pf.lock:
                if path == "/test/attempts":
                    out: Any = [dict(a, status=pf.attempt_status.get(k, "active"))
                                for k, a in pf.attempts.items()]
                else:
                    out = [dict(x) for x in (pf.scores if path == "/test/scores" else pf.controls)]
            return self._reply(200, out)
        if post and path == "/test/lineitem-score":
            return self._reply(200, pf.lms_grade(q))
        if post and path == "/test/expire-tokens":
            with pf.lock:
                for t in pf.tokens.values():
                    t["exp"] = 0
                count = len(pf.tokens)
            return self._reply(200, {"expired": count})
        if get and path == "/test/tool-jwks":
            return self._reply(200, pf.tool_keys.state())
        return self._reply(404, "not found\n", note="no such endpoint")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64   # listen backlog: tests may open many connections at once
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
    ap.add_argument("--tool-jwks-url", default=None,
                    help="the tool's JWKS, to verify the JWTs the tool signs")
    ap.add_argument("--tool-ca-file", default=None,
                    help="PEM CA bundle to verify an https --tool-jwks-url")
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
