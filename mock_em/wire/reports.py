"""The summary report's documents: `SummaryReport` and its five frames, as template Nodes.

What each frame says is the model's (`mock_em.model.reports`); here it gets the vendor's element
names, the report's links and the three links into EM's web reports, which are the same constants
in every release (em-api-monitoring.md §1.2). Each document carries the `Href` the schema
requires of a resource, which real servers leave out (§9); none has `Links` (real servers write
`null`) or a `Type`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mock_em.model.reports import Summary
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import TEMPLATES, Node

VIEW_REPORT = "Workspace/ViewReport.aspx?definition={}&ShowParams=1"
JOB_STATUS_REPORT = VIEW_REPORT.format("7962844d-db6c-4d29-8b6e-4e0f7db0785f")
PROTECTED_VMS_REPORT = VIEW_REPORT.format("8a56d84f-1790-4f54-ab20-2e0bfdefa16b")
CAPACITY_PLANNING_REPORT = VIEW_REPORT.format("62221565-102c-4ec8-851b-d61c03d972d1")


def day_timestamp(midnight: datetime) -> str:
    """A `Day`'s `Timestamp`: local midnight with its offset, as EM writes it
    (`2014-10-19T00:00:00-07:00`); mock-em's servers keep UTC, so `+00:00`."""
    return midnight.isoformat(timespec="seconds")


def vendor_fields(frame: object, **links: str) -> dict[str, object]:
    """A frame's fields under the vendor's names, in the model's order (the schema's): each in
    Pascal case, `…VmLastestStates` misspelt as the vendor spells it; then its report links."""
    names = (f.name for f in dataclasses.fields(frame))  # type: ignore[arg-type]
    return {_vendor(name): getattr(frame, name) for name in names} | links


def _vendor(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("_")).replace("VmLatest", "VmLastest")


def overview(summary: Summary) -> dict[str, object]:
    return vendor_fields(summary.overview)


def vms_overview(summary: Summary) -> dict[str, object]:
    return vendor_fields(summary.vms_overview, ProtectedVmsReportLink=PROTECTED_VMS_REPORT)


def job_statistics(summary: Summary) -> dict[str, object]:
    return vendor_fields(summary.job_statistics, BackupJobStatusReportLink=JOB_STATUS_REPORT)


def processed_vms(summary: Summary) -> dict[str, object]:
    days = [
        TEMPLATES.node(
            "ReportDay",
            Timestamp=day_timestamp(day.day),
            ReplicatedVms=day.replicated_vms,
            BackupedVms=day.backuped_vms,
        )
        for day in summary.processed_vms
    ]
    return {"Days": days}


def repository(summary: Summary) -> dict[str, object]:
    periods = [TEMPLATES.node("ReportPeriod", **vendor_fields(period)) for period in summary.repositories]
    return {"Periods": periods, "CapacityPlanningReportLink": CAPACITY_PLANNING_REPORT}


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of the report: its path segment, the `Name` the report links it by, its root
    element, and its values from a summary."""

    segment: str
    name: str
    element: str
    values: Callable[[Summary], dict[str, object]]


# The report links its frames in this order, by these Names (clients key the frames by them).
FRAMES: tuple[Frame, ...] = (
    Frame("overview", "Overview", "OverviewReportFrame", overview),
    Frame("vms_overview", "VmsOverview", "VmsOverviewReportFrame", vms_overview),
    Frame("job_statistics", "JobStatistics", "JobStatisticsReportFrame", job_statistics),
    Frame("processed_vms", "ProcessedVms", "ProcessedVmsReportFrame", processed_vms),
    Frame("repository", "Repositories", "RepositoryReportFrame", repository),
)
BY_SEGMENT = {frame.segment: frame for frame in FRAMES}
SEGMENTS = ("reports", "summary", *BY_SEGMENT)  # the report's path segments, for path canonicalisation


def summary_report(h: Hrefs) -> Node:
    """`GET /api/reports/summary`: Down to each frame."""
    found = [Link("Down", "ReportFrame", h.report_frame(f.segment), f.name) for f in FRAMES]
    return TEMPLATES.node(
        "SummaryReport", Href=h.summary_report, Links=[TEMPLATES.node("Link", **li._asdict()) for li in found]
    )


def frame_document(h: Hrefs, frame: Frame, summary: Summary) -> Node:
    """One frame of a summary."""
    return TEMPLATES.node(frame.element, Href=h.report_frame(frame.segment), **frame.values(summary))
