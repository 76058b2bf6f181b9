"""Rendering the Asterisk configuration from settings (pure: no Asterisk involved)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import jinja2
import pytest

from config.settings import Settings, load_settings
from telephony.pbx.errors import PbxError
from telephony.pbx.layout import PbxLayout
from telephony.pbx.render import (
    AGENT_EXTENSIONS,
    AMI_PERMISSIONS,
    render_context,
    render_files,
    write_config,
)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(
        ami={"port": 6038, "username": "ccuser", "secret": "s3cret"},
        agi={"host": "127.0.0.1", "port": 7573},
        pbx={"cache_dir": str(tmp_path / "cache")},
        **overrides,
    )


def _render(settings: Settings) -> dict[str, str]:
    return render_files(render_context(settings, PbxLayout.from_settings(settings)))


def _section(text: str, name: str) -> str:
    after = text.split(f"\n[{name}]\n", 1)[1]
    return after.split("\n[", 1)[0]


def test_renders_every_file_asterisk_needs(tmp_path: Path) -> None:
    files = _render(_settings(tmp_path))
    for name in (
        "asterisk.conf",
        "modules.conf",
        "manager.conf",
        "extensions.conf",
        "queues.conf",
        "musiconhold.conf",
        "logger.conf",
        "indications.conf",
        "pjsip.conf",
        "features.conf",
    ):
        assert name in files, name
    assert "chan_dahdi.so" in files["modules.conf"]
    assert "autoload = yes" in files["modules.conf"]


def test_manager_conf_has_the_settings_user_on_loopback_with_timestamps(tmp_path: Path) -> None:
    manager = _render(_settings(tmp_path))["manager.conf"]
    general = _section(manager, "general")
    assert "port = 6038" in general
    assert "bindaddr = 127.0.0.1" in general
    assert "displayconnects = no" in general
    assert "timestampevents = yes" in general
    user = _section(manager, "ccuser")
    assert "secret = s3cret" in user
    for permission in AMI_PERMISSIONS.split(","):
        assert permission in user.split("read = ")[1].splitlines()[0]
        assert permission in user.split("write = ")[1].splitlines()[0]


def test_inbound_runs_fastagi_at_settings_agi_and_falls_back_to_the_queue(tmp_path: Path) -> None:
    inbound = _section(_render(_settings(tmp_path))["extensions.conf"], "inbound")
    assert "AGI(agi://127.0.0.1:7573/ivr?did=${EXTEN}&call=${CHANNEL(linkedid)})" in inbound
    for pattern in ("_X.", "s"):
        assert f"exten => {pattern},1," in inbound
    assert 'GotoIf($["${AGISTATUS}" != "SUCCESS"]?failed)' in inbound
    assert "Queue(${CC_FALLBACK_QUEUE},t" in inbound
    assert "Goto(${CC_NEXT})" in inbound


def test_inbound_hangs_up_only_when_told_and_falls_back_otherwise(tmp_path: Path) -> None:
    """Fail-open: the one Hangup() after the AGI is reached by AGISTATUS HANGUP or CC_NEXT
    done/hangup; every other path ends in the fallback queue."""
    inbound = _section(_render(_settings(tmp_path))["extensions.conf"], "inbound").split("exten => _X.,")[0]
    to_done = [line for line in inbound.splitlines() if "?done)" in line]
    assert to_done == [
        ' same => n,GotoIf($["${AGISTATUS}" = "HANGUP"]?done)',
        ' same => n,GotoIf($["${CC_NEXT}" = "done" | "${CC_NEXT}" = "hangup"]?done)',
    ]
    lines = inbound.splitlines()
    assert lines[-1] == " same => n(done),Hangup()"
    assert lines[-2].startswith(" same => n,Queue(")
    assert sum("Hangup()" in line for line in lines) == 1
    for reason in ("bad-next", "unfinished", "agi-${AGISTATUS}", "requested"):
        assert f"Set(CC_FALLBACK_REASON={reason})" in inbound


def test_features_conf_has_the_atxfer_code_the_atxfer_action_needs(tmp_path: Path) -> None:
    features = _render(_settings(tmp_path))["features.conf"]
    featuremap = _section(features, "featuremap")
    assert "atxfer = *2" in featuremap
    assert "blindxfer = ##" in featuremap


def test_dialled_agent_legs_may_transfer_and_be_picked_up(tmp_path: Path) -> None:
    dialplan = _render(_settings(tmp_path))["extensions.conf"]
    assert "Dial(Local/${EXTEN}@agent-phones," in _section(dialplan, "sim-call")
    assert ",tTb(agent-predial^s^1))" in _section(dialplan, "sim-call")
    assert "Set(CHANNEL(callgroup)=1)" in _section(dialplan, "agent-predial")
    assert "PickupChan(Local/${EXTEN}@agent-phones,p)" in _section(dialplan, "pickup")
    assert "MusicOnHold(" in _section(dialplan, "cc-hold")
    assert "PlayTones(${CC_AGENT_TONE})" in _section(dialplan, "agent-phones")


def test_agi_server_bound_to_every_address_is_reached_on_loopback(tmp_path: Path) -> None:
    settings = load_settings(agi={"host": "0.0.0.0", "port": 4573}, pbx={"cache_dir": str(tmp_path)})
    assert "agi://127.0.0.1:4573/ivr" in _render(settings)["extensions.conf"]


def test_fallback_queue_rings_the_six_simulated_agent_phones(tmp_path: Path) -> None:
    queue = _section(_render(_settings(tmp_path))["queues.conf"], "fallback")
    assert "strategy = rrmemory" in queue
    assert "ringinuse = no" in queue
    assert "timeout = 15" in queue
    members = [line for line in queue.splitlines() if line.startswith("member =>")]
    assert [m.split("Local/")[1].split("@")[0] for m in members] == list(AGENT_EXTENSIONS)
    assert AGENT_EXTENSIONS == ("1001", "1002", "1003", "1004", "1005", "1006")


def test_asterisk_conf_paths_are_inside_the_run_dir_seen_from_the_chroot(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    layout = PbxLayout.from_settings(settings)
    conf = render_files(render_context(settings, layout))["asterisk.conf"]
    run = str(layout.run_in_root)
    for key in ("astetcdir", "astdbdir", "astspooldir", "astrundir", "astlogdir"):
        line = next(line for line in conf.splitlines() if line.startswith(key))
        assert line.split("=>")[1].strip().startswith(run), line
    assert str(tmp_path) not in conf.split("[directories]")[1]  # host paths are meaningless inside


def test_run_dir_outside_the_root_is_mapped_into_it_and_linked(tmp_path: Path) -> None:
    settings = load_settings(pbx={"cache_dir": str(tmp_path / "c"), "run_dir": str(tmp_path / "demo")})
    layout = PbxLayout.from_settings(settings)
    assert layout.run_in_root.parent == PurePosixPath("/srv/callcenter")
    assert layout.run_in_root.name.startswith("demo-")
    assert layout.run_dir == tmp_path / "c" / "root" / "srv" / "callcenter" / layout.run_in_root.name
    layout.prepare_run_dir()
    assert (tmp_path / "demo").is_symlink()
    assert (tmp_path / "demo" / "etc").is_dir()
    layout.prepare_run_dir()  # idempotent


def test_run_dir_inside_the_root_is_used_as_it_is(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    settings = load_settings(pbx={"cache_dir": str(cache), "run_dir": str(cache / "root" / "srv" / "x")})
    layout = PbxLayout.from_settings(settings)
    assert layout.run_in_root == PurePosixPath("/srv/x")
    assert layout.run_dir == cache / "root" / "srv" / "x"


@pytest.mark.parametrize(
    ("ami", "message"),
    [
        ({"secret": "abc;def"}, "ami.secret .*';'"),
        ({"secret": "abc "}, "ami.secret .*blanks"),
        ({"username": "cc]user"}, "ami.username .*']'"),
    ],
)
def test_ami_login_that_manager_conf_would_garble_is_one_clear_error(
    tmp_path: Path, ami: dict[str, str], message: str
) -> None:
    settings = load_settings(
        ami={"username": "ccuser", "secret": "s3cret", **ami}, pbx={"cache_dir": str(tmp_path / "cache")}
    )
    with pytest.raises(PbxError, match=message):
        render_context(settings, PbxLayout.from_settings(settings))


def test_run_dir_that_is_a_real_folder_outside_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    settings = load_settings(pbx={"cache_dir": str(tmp_path / "c"), "run_dir": str(tmp_path / "taken")})
    with pytest.raises(PbxError, match="not a link into the root"):
        PbxLayout.from_settings(settings).prepare_run_dir()


def test_write_config_rewrites_only_changed_files(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    context = render_context(settings, PbxLayout.from_settings(settings))
    etc = tmp_path / "etc"
    paths = write_config(context, etc)
    assert {p.name for p in paths} >= {"extensions.conf", "manager.conf"}
    before = {p.name: p.stat().st_mtime_ns for p in paths}
    manager = etc / "manager.conf"
    manager.write_text("stale", encoding="utf-8")
    assert write_config(context, etc) == [manager]
    assert "s3cret" in manager.read_text(encoding="utf-8")
    assert (etc / "extensions.conf").stat().st_mtime_ns == before["extensions.conf"]
    assert oct(manager.stat().st_mode & 0o777) == "0o600"  # holds the AMI secret


def test_a_template_variable_missing_from_the_context_is_an_error(tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "x.conf.j2").write_text("port = {{ ami_prot }}\n", encoding="utf-8")
    settings = _settings(tmp_path)
    context = render_context(settings, PbxLayout.from_settings(settings))
    with pytest.raises(jinja2.UndefinedError, match="ami_prot"):
        render_files(context, templates)
