"""The world-size knobs are declared once (`mock_em.generator.KNOBS`, WorldSize's fields) and every
other spelling derives from them; each family draws its own objects (`Family.generates`)."""

from __future__ import annotations

from dataclasses import fields

from mock_em.cli import parser
from mock_em.control.world import Regenerate
from mock_em.generator import KNOBS, WorldSize
from mock_em.model.catalogue import CATALOGUE_KINDS
from mock_em.model.job_sessions import SESSION_KINDS
from mock_em.registry import FAMILIES
from mock_em.settings import Settings
from mock_em.testing.plugin import WORLD_KNOBS


def test_the_knobs_are_worldsizes_fields_with_their_defaults() -> None:
    """One knob per WorldSize field, in its order, with its default."""
    assert [k.name for k in KNOBS] == [f.name for f in fields(WorldSize)]
    assert {k.name: k.default for k in KNOBS} == vars(WorldSize())


def test_settings_flags_plugin_and_regenerate_spell_every_knob() -> None:
    """Settings fields (after `seed`), flags, variables in the help, the marker's knobs and the
    regenerate body's fields all come from KNOBS."""
    names = [f.name for f in fields(Settings)]
    assert names[names.index("seed") + 1 : names.index("seed") + 1 + len(KNOBS)] == [k.name for k in KNOBS]
    assert all(getattr(Settings(), k.name) == k.default for k in KNOBS)
    serve = parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    flags = {option: action.help for action in serve._actions for option in action.option_strings}
    for knob in KNOBS:
        assert flags[knob.flag] == f"{knob.help} ({knob.env}, default {knob.default})"
    assert ("seed", *(k.name for k in KNOBS)) == WORLD_KNOBS
    assert list(Regenerate.model_fields) == ["seed", *(k.camel for k in KNOBS)]
    assert [k.camel for k in KNOBS] == [
        "backupServers", "tenants", "replicasPerTenant", "vmsPerReplica", "pointsPerVm",
        "jobsPerServer", "vmsPerJob", "jobRetention", "replicaJobsPercent",
    ]  # fmt: skip


def test_settings_give_the_generator_its_size() -> None:
    """`Settings.world_size` reads every knob."""
    settings = Settings(backup_servers=2, tenants=3, replicas_per_tenant=4, vms_per_replica=5, points_per_vm=6)
    assert settings.world_size == WorldSize(2, 3, 4, 5, 6)


def test_every_family_draws_its_own_objects_parents_first() -> None:
    """Each family declares its generator part; a part drawn per parent names a family before it."""
    order = [f.name for f in FAMILIES]
    derived = {*CATALOGUE_KINDS, *(name for pair in SESSION_KINDS.values() for name in pair)}  # from the jobs
    for family in FAMILIES:
        assert (family.generates is None) == (family.name in derived), family.name
        if family.generates is None:
            continue
        if family.generates.per is not None:
            assert order.index(family.generates.per) < order.index(family.name)
