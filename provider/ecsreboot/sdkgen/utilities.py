"""``_utilities.py`` of the generated package: versions, default options, environment helpers, registration.

The body is fixed text; only the distribution name, the schema version and the plugin download URL
vary, filled in by :func:`generate`.
"""

from __future__ import annotations

from .writer import Code

_BODY = r'''
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import typing
from collections.abc import Mapping

import pulumi
import pulumi.runtime
from semver import VersionInfo as SemverVersion

#: the distribution this package is shipped in
_DISTRIBUTION = @@DISTRIBUTION@@
#: the schema's version (as PEP 440), used when the distribution is not installed, for example when the
#: package is imported straight from a source tree
_SCHEMA_VERSION = @@VERSION@@
_PLUGIN_DOWNLOAD_URL: typing.Optional[str] = @@DOWNLOAD_URL@@


def get_env(*names: str) -> typing.Optional[str]:
    """The value of the first of these environment variables that is set, else None."""
    for name in names:
        value = os.getenv(name)
        if value is not None:
            return value
    return None


def get_env_bool(*names: str) -> typing.Optional[bool]:
    """A boolean environment variable, spelled as Go's strconv.ParseBool accepts; None when unset or not one."""
    value = get_env(*names)
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if value in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    return None


def get_env_int(*names: str) -> typing.Optional[int]:
    """An integer environment variable; None when unset or not an integer."""
    value = get_env(*names)
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def get_env_float(*names: str) -> typing.Optional[float]:
    """A number environment variable; None when unset or not a number."""
    value = get_env(*names)
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


_PEP440 = re.compile(
    r"^v?(?P<release>[0-9]+(?:[.][0-9]+)*)"
    r"(?:[-_.]?(?P<pre_tag>a|alpha|b|beta|c|rc|pre|preview)[-_.]?(?P<pre>[0-9]*))?"
    r"(?:(?:-(?P<post_implicit>[0-9]+))|(?:[-_.]?(?:post|rev|r)[-_.]?(?P<post>[0-9]*)))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev>[0-9]*))?"
    r"(?:[+](?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$"
)
_PRE_TAGS = {"a": "alpha", "alpha": "alpha", "b": "beta", "beta": "beta",
             "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}


def _semver(pep440: str) -> SemverVersion:
    """A PEP 440 version as the semver the Pulumi engine expects.

    Pre-releases a/b/rc become alpha.N/beta.N/rc.N and a dev release dev.N. A local version becomes the
    prerelease: that is where the SDK generator puts a semver prerelease PEP 440 has no word for.
    """
    match = _PEP440.match(pep440.strip().lower())
    if match is None:
        raise ValueError(f"{_DISTRIBUTION} has version {pep440!r}, which is not PEP 440")
    release = [int(part) for part in match["release"].split(".")] + [0, 0]
    prerelease = None
    if match["pre_tag"]:
        prerelease = f"{_PRE_TAGS[match['pre_tag']]}.{int(match['pre'] or 0)}"
    elif match["dev"] is not None:
        prerelease = f"dev.{int(match['dev'] or 0)}"
    elif match["local"]:
        prerelease = match["local"]
    return SemverVersion(release[0], release[1], release[2], prerelease=prerelease)


def _get_semver_version() -> SemverVersion:
    try:
        pep440 = importlib.metadata.version(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pep440 = _SCHEMA_VERSION
    return _semver(pep440)


# Computed once: every resource asks for it.
_version = _get_semver_version()
_version_str = str(_version)


def get_version() -> str:
    """The semver of this SDK, which is the version of the provider plugin its resources ask for."""
    return _version_str


def get_plugin_download_url() -> typing.Optional[str]:
    """Where the engine downloads the provider plugin from, or None for the default sources."""
    return _PLUGIN_DOWNLOAD_URL


def get_resource_opts_defaults() -> pulumi.ResourceOptions:
    """Options merged under every resource's own: they pin the plugin version this SDK was built for."""
    return pulumi.ResourceOptions(
        version=get_version(),
        plugin_download_url=get_plugin_download_url(),
    )


def get_invoke_opts_defaults() -> pulumi.InvokeOptions:
    """Options merged under every invoke's own, like get_resource_opts_defaults."""
    return pulumi.InvokeOptions(
        version=get_version(),
        plugin_download_url=get_plugin_download_url(),
    )


def get_resource_args_opts(resource_args_type: type, resource_options_type: type,
                           *args: typing.Any, **kwargs: typing.Any) -> typing.Tuple[typing.Any, typing.Any]:
    """The args object and the options among a resource __init__'s positional and keyword arguments.

    The args come as an instance of resource_args_type or as a mapping of its keyword arguments (the
    <Resource>ArgsDict form), which is turned into an instance, so missing required inputs fail here.
    """
    resource_args = None
    opts = None
    if args and isinstance(args[0], resource_args_type):
        resource_args, args = args[0], args[1:]
    elif args and isinstance(args[0], Mapping):
        resource_args, args = resource_args_type(**args[0]), args[1:]
    if args and isinstance(args[0], resource_options_type):
        opts = args[0]
    if resource_args is None:
        candidate = kwargs.get("args")
        if isinstance(candidate, resource_args_type):
            resource_args = candidate
        elif isinstance(candidate, Mapping):
            resource_args = resource_args_type(**candidate)
    if opts is None:
        opts = kwargs.get("opts")
    return resource_args, opts


def lazy_import(fullname: str) -> typing.Any:
    """The module, imported on first attribute access (pulumi's own helper when it has one)."""
    import pulumi._utils as pulumi_utils
    helper = getattr(pulumi_utils, "lazy_import", None)
    if helper is not None:
        return helper(fullname)
    module = sys.modules.get(fullname)
    if module is not None:
        return module
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
        return importlib.import_module(fullname)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[fullname] = module
    loader.exec_module(module)
    return module


class Package(pulumi.runtime.ResourcePackage):
    """Rebuilds this package's Provider from a resource reference (for example a stack output)."""

    def __init__(self, pkg_info: typing.Dict[str, typing.Any]) -> None:
        super().__init__()
        self.pkg_info = pkg_info

    def version(self) -> SemverVersion:
        return _version

    def construct_provider(self, name: str, typ: str, urn: str) -> pulumi.ProviderResource:
        if typ != self.pkg_info["token"]:
            raise Exception(f"unknown provider type {typ}")
        provider = getattr(lazy_import(self.pkg_info["fqn"]), self.pkg_info["class"])
        return provider(name, pulumi.ResourceOptions(urn=urn))


class Module(pulumi.runtime.ResourceModule):
    """Rebuilds this package's resources from resource references, by type token."""

    def __init__(self, mod_info: typing.Dict[str, typing.Any]) -> None:
        super().__init__()
        self.mod_info = mod_info

    def version(self) -> SemverVersion:
        return _version

    def construct(self, name: str, typ: str, urn: str) -> pulumi.Resource:
        class_name = self.mod_info["classes"].get(typ)
        if class_name is None:
            raise Exception(f"unknown resource type {typ}")
        resource = getattr(lazy_import(self.mod_info["fqn"]), class_name)
        return resource(name, pulumi.ResourceOptions(urn=urn))


def register(resource_modules: str, resource_packages: str) -> None:
    """Registers the package and its modules, given as JSON, so resource references rehydrate."""
    for pkg_info in json.loads(resource_packages):
        pulumi.runtime.register_resource_package(pkg_info["pkg"], Package(pkg_info))
    for mod_info in json.loads(resource_modules):
        pulumi.runtime.register_resource_module(mod_info["pkg"], mod_info["mod"], Module(mod_info))
'''


def generate(source: str, *, distribution: str, version: str, plugin_download_url: str) -> str:
    code = Code()
    code.header(source)
    body = (
        _BODY.replace("@@DISTRIBUTION@@", repr(distribution))
        .replace("@@VERSION@@", repr(version))
        .replace("@@DOWNLOAD_URL@@", repr(plugin_download_url) if plugin_download_url else "None")
    )
    return code.text() + "\n" + body.lstrip("\n")
