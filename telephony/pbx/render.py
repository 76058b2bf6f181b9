"""Render the bundled PBX's Asterisk configuration from the Jinja2 templates in ``config/asterisk/``.

``render_context(settings, layout)`` builds the template variables from settings (pure),
``render_files(context)`` renders every ``*.j2`` template to ``{file name: text}`` (pure), and
``write_config(...)`` writes them into ``<run dir>/etc``. See docs/pbx.md for the dialplan contract.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from config.settings import CONFIG_DIR, Settings
from telephony.pbx.errors import PbxError
from telephony.pbx.layout import PbxLayout

TEMPLATES_DIR = CONFIG_DIR / "asterisk"

AGENT_EXTENSIONS = tuple(str(n) for n in range(1001, 1007))
FALLBACK_QUEUE = "fallback"
CALLER_TONE = "440/250,0/750"
AGENT_TONE = "620/250,0/750"
HOLD_TONE = "880/250,0/750"
PICKUP_GROUP = 1
ATXFER_CODE = "*2"  # features.conf: the AMI Atxfer action queues this code (it fails without one)
BLINDXFER_CODE = "##"
AMI_PERMISSIONS = "system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate"

# Modules not loaded: hardware (DAHDI), audio devices, back ends needing a server we do not run,
# and modules that would open network ports or spend start-up time for nothing here.
NOLOAD_MODULES = (
    "chan_dahdi.so",
    "codec_dahdi.so",
    "res_timing_dahdi.so",
    "chan_console.so",
    "chan_iax2.so",
    "chan_unistim.so",
    "chan_motif.so",
    "res_xmpp.so",
    "app_jack.so",
    "cdr_pgsql.so",
    "cel_pgsql.so",
    "res_config_pgsql.so",
    "cdr_odbc.so",
    "cdr_adaptive_odbc.so",
    "cel_odbc.so",
    "res_odbc.so",
    "res_odbc_transaction.so",
    "func_odbc.so",
    "res_config_odbc.so",
    "app_voicemail_odbc.so",
    "cdr_tds.so",
    "cel_tds.so",
    "cdr_radius.so",
    "cel_radius.so",
    "res_config_ldap.so",
    "res_snmp.so",
    "res_hep.so",
    "res_hep_pjsip.so",
    "res_hep_rtcp.so",
    "res_calendar.so",
    "res_calendar_caldav.so",
    "res_calendar_ews.so",
    "res_calendar_exchange.so",
    "res_calendar_icalendar.so",
    "pbx_dundi.so",
    "pbx_lua.so",
    "pbx_ael.so",
    "res_stun_monitor.so",
    "res_phoneprov.so",
    "res_pjsip_phoneprov_provider.so",
    "res_prometheus.so",
    "res_statsd.so",
    "res_smdi.so",
    "res_config_curl.so",
    "res_resolver_unbound.so",
    "app_festival.so",
    "res_aeap.so",
    "res_speech_aeap.so",
    "res_stir_shaken.so",
    "res_pjsip_stir_shaken.so",
    "app_voicemail.so",
    "app_minivm.so",
    "app_alarmreceiver.so",
    "res_config_sqlite3.so",
    "cdr_csv.so",
    "cdr_custom.so",
    "cdr_sqlite3_custom.so",
    "cel_custom.so",
    "cel_sqlite3_custom.so",
    "app_adsiprog.so",
    "app_getcpeid.so",
    "res_adsi.so",
)

# Configuration files rendered empty so their modules load quietly with built-in defaults.
EMPTY_CONFIGS = (
    "acl.conf",
    "agents.conf",
    "amd.conf",
    "ccss.conf",
    "cdr.conf",
    "cdr_manager.conf",
    "cel.conf",
    "cli_aliases.conf",
    "confbridge.conf",
    "followme.conf",
    "geolocation.conf",
    "pjproject.conf",
    "pjsip_notify.conf",
    "pjsip_wizard.conf",
    "res_http_media_cache.conf",
    "res_parking.conf",
    "stasis.conf",
    "udptl.conf",
    "websocket_client.conf",
    "chan_websocket.conf",
    "ari.conf",
)
EMPTY_CONFIG_TEXT = "; Rendered by telephony.pbx.render: empty, so the module loads quietly with defaults.\n"


@dataclass(frozen=True)
class RenderContext:
    """Every variable the templates use; the contract between settings and ``config/asterisk``."""

    root_dir: str
    run_dir: str  # seen from inside the chroot
    ami_bindaddr: str
    ami_port: int
    ami_username: str
    ami_secret: str
    agi_host: str
    agi_port: int
    ami_permissions: str = AMI_PERMISSIONS
    fallback_queue: str = FALLBACK_QUEUE
    fallback_wait: int = 300  # seconds a caller waits in the fallback queue before hang-up
    agent_extensions: tuple[str, ...] = AGENT_EXTENSIONS
    agent_talk: int = 30
    language: str = "en"
    # PlayTones() specs of the simulated phones' sound sources (see docs/pbx.md)
    caller_tone: str = CALLER_TONE
    agent_tone: str = AGENT_TONE
    hold_tone: str = HOLD_TONE
    pickup_group: int = PICKUP_GROUP
    hold_max: int = 3600  # seconds a party putting the other on hold waits in [cc-holding]
    atxfer_code: str = ATXFER_CODE
    blindxfer_code: str = BLINDXFER_CODE
    tone_country: str = "cn"
    inbound_patterns: tuple[str, ...] = ("_X", "_X.", "_+X.", "s")
    noload: tuple[str, ...] = NOLOAD_MODULES
    sip_port: int = 0  # 0: no PJSIP transport (see docs/pbx.md to add a softphone)
    sip_bind: str = "127.0.0.1"
    verbose_log: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def render_context(settings: Settings, layout: PbxLayout) -> RenderContext:
    """Template variables from settings: AMI user, secret and port; where Asterisk reaches FastAGI.

    ``PbxError`` when the AMI user or secret cannot be written to manager.conf as they are.
    """
    _check_config_value("ami.username (CC_AMI__USERNAME)", settings.ami.username, "[];")
    _check_config_value("ami.secret (CC_AMI__SECRET)", settings.ami.secret, ";")
    return RenderContext(
        root_dir=str(layout.root_dir),
        run_dir=str(layout.run_in_root),
        ami_bindaddr="127.0.0.1",
        ami_port=settings.ami.port,
        ami_username=settings.ami.username,
        ami_secret=settings.ami.secret,
        agi_host=_reachable_host(settings.agi.host),
        agi_port=settings.agi.port,
    )


def _check_config_value(name: str, value: str, forbidden: str) -> None:
    """Asterisk's config parser starts a comment at ``;``, ends a section name at ``]`` and trims
    surrounding blanks: such a value would silently differ from what our AMI client sends."""
    bad = sorted({c for c in value if c in forbidden or c in "\r\n"})
    if bad or value != value.strip():
        what = f"the characters {''.join(bad)!r}" if bad else "leading or trailing blanks"
        raise PbxError(
            f"{name} holds {what}, which the bundled PBX's manager.conf cannot hold: choose another"
        )


def _reachable_host(host: str) -> str:
    """A FastAGI server bound to every address is reached by Asterisk on the loopback."""
    if host in ("", "0.0.0.0", "*"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def template_names(templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    return sorted(path.name for path in templates_dir.glob("*.j2"))


def render_files(context: RenderContext, templates_dir: Path = TEMPLATES_DIR) -> dict[str, str]:
    """``{"extensions.conf": text, ...}`` for every template; raises on an undefined variable."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    variables = asdict(context)
    files = dict.fromkeys(EMPTY_CONFIGS, EMPTY_CONFIG_TEXT)
    files.update(
        (name.removesuffix(".j2"), env.get_template(name).render(**variables))
        for name in template_names(templates_dir)
    )
    return files


def write_config(context: RenderContext, etc_dir: Path) -> list[Path]:
    """Render into ``etc_dir``; only files whose text changed are (atomically) rewritten and returned."""
    etc_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in render_files(context).items():
        path = etc_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.chmod(0o600)
            tmp.replace(path)
            changed.append(path)
    return changed
