"""QGIS's saved PostgreSQL connections as registry targets.

GIS cells already have their PostGIS server saved in QGIS (Browser > PostgreSQL), so the
panel offers those instead of asking for host, port and user again. The engine speaks
libpq URLs; this module turns a saved connection plus a schema into one. Credentials kept
in QGIS's authentication database are resolved here, in memory, and the QGIS layers keep
using the auth config so no password lands in a project file.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode, urlsplit

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsDataSourceUri, QgsProviderRegistry, QgsSettings

from ..masking import mask


@dataclass(frozen=True)
class PgTarget:
    """A registry URL for the engine and, when the connection uses one, its QGIS auth config."""

    url: str
    authcfg: str | None = None


def saved_connections() -> dict[str, QgsDataSourceUri]:
    """Name -> connection of every saved PostgreSQL connection."""
    out: dict[str, QgsDataSourceUri] = {}
    try:
        metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
        for name, conn in (metadata.connections() if metadata else {}).items():
            out[name] = QgsDataSourceUri(conn.uri())
        return out
    except Exception:  # noqa: BLE001 - fall back to the settings QGIS 3.x writes
        pass
    settings = QgsSettings()
    settings.beginGroup("PostgreSQL/connections")
    for name in settings.childGroups():
        uri = QgsDataSourceUri()
        port = settings.value(f"{name}/port", "5432")
        uri.setConnection(
            settings.value(f"{name}/host", ""),
            str(port),
            settings.value(f"{name}/database", ""),
            settings.value(f"{name}/username", ""),
            settings.value(f"{name}/password", ""),
        )
        authcfg = settings.value(f"{name}/authcfg", "")
        if authcfg:
            uri.setAuthConfigId(authcfg)
        out[name] = uri
    settings.endGroup()
    return out


def _credentials(authcfg: str) -> tuple[str, str]:
    """Username and password of a QGIS basic-auth config ('' when it has none)."""
    config = QgsAuthMethodConfig()
    manager = QgsApplication.authManager()
    if manager is None or not manager.loadAuthenticationConfig(authcfg, config, True):
        return "", ""
    return config.config("username", ""), config.config("password", "")


def target_from_uri(uri: QgsDataSourceUri, schema: str, with_password: bool = True) -> PgTarget:
    """``postgresql://user[:pw]@host:port/db?schema=NAME`` for a QGIS connection."""
    user, password = uri.username(), uri.password()
    authcfg = uri.authConfigId() or None
    if authcfg:
        user, password = _credentials(authcfg)
    userinfo = quote(user, safe="") if user else ""
    if userinfo and password and with_password:
        userinfo += ":" + quote(password, safe="")
    host = uri.host() or "localhost"
    port = uri.port() or "5432"
    netloc = f"{userinfo + '@' if userinfo else ''}{host}:{port}"
    query = {"schema": schema}
    if uri.service():
        query["service"] = uri.service()
    if uri.sslMode() not in (QgsDataSourceUri.SslPrefer, QgsDataSourceUri.SslDisable):
        query["sslmode"] = QgsDataSourceUri.encodeSslMode(uri.sslMode())
    return PgTarget(f"postgresql://{netloc}/{quote(uri.database(), safe='')}?{urlencode(query)}", authcfg)


def with_auth_config(url: str, authcfg: str | None) -> PgTarget:
    """A typed URL with the user and password of a QGIS auth config put in (in memory only, for the engine)."""
    if not authcfg:
        return PgTarget(url)
    user, password = _credentials(authcfg)
    parts = urlsplit(url)
    if not user:
        return PgTarget(url, authcfg)
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return PgTarget(parts._replace(netloc=f"{userinfo}@{host}").geturl(), authcfg)


def redact(url: str) -> str:
    """The URL without its password, for display."""
    return mask(url)


def stored_authcfg(url: str) -> str | None:
    """A QGIS auth config holding the user and password of *url* (reused, or made once), or None.

    QGIS keeps it encrypted in its authentication database, so the layers of a registry
    opened with a password in its URL carry only the config's id: the password never
    reaches a project file or a layer source. None when the URL has no password, or QGIS's
    authentication database is unavailable (no master password given).
    """
    parts = urlsplit(url)
    if not parts.password:
        return None
    user, password = unquote(parts.username or ""), unquote(parts.password)
    name = f"JalNet {user}@{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
    manager = QgsApplication.authManager()
    if manager is None or manager.isDisabled():
        return None
    if not manager.masterPasswordIsSet() and not manager.setMasterPassword(True):
        return None
    for cfg_id, config in manager.availableAuthMethodConfigs().items():
        if config.name() == name and _credentials(cfg_id) == (user, password):
            return cfg_id
    config = QgsAuthMethodConfig("Basic")
    config.setName(name)
    config.setConfig("username", user)
    config.setConfig("password", password)
    ok = manager.storeAuthenticationConfig(config)
    ok = ok[0] if isinstance(ok, tuple) else ok
    return config.id() if ok and config.id() else None
