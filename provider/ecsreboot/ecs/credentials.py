"""Where credentials come from, in the contract's order, first found wins.

1. explicit values (provider config ``accessKey``/``secretKey``/``securityToken``);
2. ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN``, then
   ``ALICLOUD_ACCESS_KEY``/``ALICLOUD_SECRET_KEY``/``ALICLOUD_SECURITY_TOKEN``; a family counts only
   when both its id and its secret are set (ids and secrets of different families are never mixed);
3. the profile in ``~/.aliyun/config.json`` -- name from the ``profile`` argument, then
   ``ALIBABA_CLOUD_PROFILE``, ``ALICLOUD_PROFILE``, then the file's ``current``. Modes ``AK`` and
   ``StsToken`` are read here; other modes (RamRoleArn, EcsRamRole, OIDC, ...) go to
   ``alibabacloud-credentials``' CLI-profile provider;
4. Alibaba's default chain (``alibabacloud_credentials.client.Client()``: env, OIDC/RRSA, CLI
   profile, credentials.ini, ECS instance RAM role, credentials URI).

Environment and home directory are passed in, never read at import time. The library is
imported lazily; note that it reads the *process* environment once, at its import, and that its
ECS-role link starts a background (daemon) scheduler unless ``ALIBABA_CLOUD_ECS_METADATA_DISABLED``
is ``true`` -- that variable is the user's choice and is passed through untouched.

Providers return fresh ``Credentials`` from ``get()`` on every request, so temporary credentials
from the chain are refreshed during long waits. No secret appears in a repr or an error message.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..core.credentials import Credentials
from ..core.errors import ConfigError

#: (id, secret, token) variable names, in the order they are tried
ENV_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
)
PROFILE_VARIABLES: tuple[str, ...] = ("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")


class CredentialsProvider(Protocol):
    """Gives the credentials to sign the next request with."""

    def get(self) -> Credentials:
        """Current credentials; raises ConfigError when none can be had."""
        ...


class StaticCredentialsProvider:
    """Fixed credentials (explicit, environment, or an AK/StsToken profile)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def get(self) -> Credentials:
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticCredentialsProvider({self._credentials!r})"


ClientFactory = Callable[[], Any]


def _default_chain_client() -> Any:
    from alibabacloud_credentials.client import Client  # lazy: heavy, and reads os.environ at import

    _quiet_library_log()
    return Client()


def _quiet_library_log() -> None:
    """Mute the library's own ``credentials`` logger: it writes failed STS/OIDC request URLs --
    ``AccessKeyId`` included -- and tracebacks straight to stderr. Its failures still reach the user,
    through ChainCredentialsProvider's ConfigError, with query strings removed."""
    logging.getLogger("credentials").disabled = True


class ChainCredentialsProvider:
    """Asks ``alibabacloud-credentials`` on every ``get()``; the library caches and refreshes.

    ``client_factory`` builds the library's ``Client`` (default: the whole default chain) on first
    use; tests pass a fake.
    """

    def __init__(self, client_factory: ClientFactory | None = None, *, source: str = "default chain") -> None:
        self._factory = client_factory or _default_chain_client
        self._client: Any = None
        self.source = source

    def get(self) -> Credentials:
        try:
            if self._client is None:
                self._client = self._factory()
            model = self._client.get_credential()
            key_id, secret = model.access_key_id, model.access_key_secret
            token = getattr(model, "security_token", None)
        except ConfigError:
            raise
        except Exception as exc:  # the library raises many types; none may carry a secret
            raise ConfigError(self._failure(_short(exc))) from None
        if not key_id or not secret:
            raise ConfigError(self._failure("it returned an empty access key"))
        return Credentials(key_id, secret, token or None, source=self.source)

    def __repr__(self) -> str:
        return f"ChainCredentialsProvider(<{self.source}>)"

    def _failure(self, detail: str) -> str:
        if not self.source.startswith("profile:"):
            return no_credentials_message(f"{self.source}: {detail}")
        # A profile was found and chosen: saying "no credentials found, set ..." would send the user
        # to the wrong place. Name the profile and what went wrong with it.
        return (f"cannot get credentials from {self.source}: {detail}. Fix that profile in "
                "~/.aliyun/config.json (for RamRoleArn, OIDC and the like, STS must be reachable), or choose "
                "another with ecsreboot:profile or ALIBABA_CLOUD_PROFILE")


def resolve_credentials(
    *,
    environ: Mapping[str, str],
    home: Path,
    access_key: str | None = None,
    secret_key: str | None = None,
    security_token: str | None = None,
    profile: str | None = None,
    chain_factory: ClientFactory | None = None,
    probe_chain: bool = True,
) -> CredentialsProvider:
    """The first source that has credentials, as a provider. Raises ConfigError saying what to set.

    With ``probe_chain`` the default chain is asked once here, so "nothing found" is reported at
    configuration time rather than at the first request.
    """
    if access_key or secret_key:
        if not (access_key and secret_key):
            missing = "secretKey" if access_key else "accessKey"
            raise ConfigError(f"accessKey and secretKey must be set together: {missing} is missing")
        return StaticCredentialsProvider(Credentials(access_key, secret_key, security_token or None, "config"))
    found = _from_environment(environ)
    if found is not None:
        return StaticCredentialsProvider(found)
    from_profile = _from_profile(environ, home, profile)
    if from_profile is not None:
        return from_profile
    chain = ChainCredentialsProvider(chain_factory)
    if probe_chain:
        chain.get()
    return chain


def _from_environment(environ: Mapping[str, str]) -> Credentials | None:
    for id_var, secret_var, token_var in ENV_FAMILIES:
        key_id, secret = environ.get(id_var, "").strip(), environ.get(secret_var, "").strip()
        if key_id and secret:
            token = environ.get(token_var, "").strip() or None
            return Credentials(key_id, secret, token, source=f"environment ({id_var})")
    return None


def _profile_name(environ: Mapping[str, str], explicit: str | None) -> tuple[str | None, bool]:
    """(name, named): ``named`` is True when the user asked for it explicitly (argument or env)."""
    if explicit:
        return explicit, True
    for var in PROFILE_VARIABLES:
        if environ.get(var, "").strip():
            return environ[var].strip(), True
    return None, False


def _from_profile(environ: Mapping[str, str], home: Path, explicit: str | None) -> CredentialsProvider | None:
    path = home / ".aliyun" / "config.json"
    name, named = _profile_name(environ, explicit)
    if not path.is_file():
        if explicit:
            raise ConfigError(f"profile {explicit!r} was asked for, but {path} does not exist")
        return None
    doc = _load_config(path)
    name = name or str(doc.get("current") or "default")
    entries = [p for p in doc.get("profiles") or [] if isinstance(p, dict)]
    entry = next((p for p in entries if p.get("name") == name), None)
    if entry is None:
        if explicit:
            known = ", ".join(str(p.get("name")) for p in entries) or "none"
            raise ConfigError(f"profile {explicit!r} is not in {path} (profiles: {known})")
        return None  # a name from the environment may still be a credentials.ini section of the chain
    return _profile_provider(entry, name, path, named)


def _load_config(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {type(exc).__name__}") from None
    except ValueError as exc:
        # JSONDecodeError's text has only a position, never the document
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} is not a JSON object")
    return doc


def _profile_provider(entry: Mapping[str, Any], name: str, path: Path, named: bool) -> CredentialsProvider:
    mode = str(entry.get("mode") or "AK")
    source = f"profile {name} ({path})"
    if mode in ("AK", "StsToken"):
        key_id = str(entry.get("access_key_id") or "")
        secret = str(entry.get("access_key_secret") or "")
        token = str(entry.get("sts_token") or "") if mode == "StsToken" else ""
        missing = [f for f, v in (("access_key_id", key_id), ("access_key_secret", secret),
                                  ("sts_token", token if mode == "StsToken" else "x")) if not v]
        if missing:
            raise ConfigError(f"{source}, mode {mode}, lacks {', '.join(missing)}")
        return StaticCredentialsProvider(Credentials(key_id, secret, token or None, source=f"profile:{name}"))

    def factory() -> Any:
        from alibabacloud_credentials.client import Client
        from alibabacloud_credentials.provider import CLIProfileCredentialsProvider

        _quiet_library_log()
        return Client(provider=CLIProfileCredentialsProvider(profile_name=name, profile_file=str(path)))

    return ChainCredentialsProvider(factory, source=f"profile:{name} (mode {mode})")


def no_credentials_message(detail: str = "") -> str:
    """What to set when no source had credentials."""
    ids = " + ".join(f"{i}/{s}" for i, s, _ in ENV_FAMILIES[:1])
    alt = f"{ENV_FAMILIES[1][0]}/{ENV_FAMILIES[1][1]}"
    hint = (
        f"no Alibaba Cloud credentials found: set {ids} (or {alt}), configure ecsreboot:accessKey and "
        "ecsreboot:secretKey, or create a profile with `aliyun configure` (~/.aliyun/config.json, "
        "choose it with ALIBABA_CLOUD_PROFILE)"
    )
    return f"{hint}; {detail}" if detail else hint


#: a URL's query string: the library's errors quote whole STS request URLs, AccessKeyId and Signature included
_QUERY = re.compile(r"\?[^\s'\"()]*")
#: a credential-named field and its value, in JSON (``"AccessKeyId": "STS.x"``), query or log style
#: (``SecurityToken=x``, ``access_key_secret: x``): STS and OIDC answers quote the credentials they mint
_FIELD = re.compile(
    r"""(?ix)
    ( ["']? (?: access_?key_?(?:id|secret) | security_?token | sts_?token | oidc_?token | bearer_?token
              | signature | (?:client_)?secret | password | credential )
      ["']? \s* [:=] \s* )
    ( "(?:[^"\\]|\\.)*" | '[^']*' | [^\s,;&}\]]+ )""")
#: a JSON Web Token (the OIDC token RRSA exchanges), and access key ids (``LTAI...``, ``STS....``) anywhere
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_KEY_ID = re.compile(r"\b(?:LTAI|STS\.)[\w.-]{6,}")


def scrub(text: str) -> str:
    """``text`` with every credential it may quote replaced by ``***``: query strings, credential-named
    fields, JWTs and access key ids. For error text from the STS/OIDC exchange, which quotes them."""
    text = _QUERY.sub("?...", text)
    text = _FIELD.sub(lambda m: m.group(1) + "***", text)
    text = _JWT.sub("***", text)
    return _KEY_ID.sub("***", text)


def _short(exc: BaseException, limit: int = 300) -> str:
    text = scrub(f"{type(exc).__name__}: {exc}".replace("\n", " "))
    return text[:limit] + ("..." if len(text) > limit else "")
