"""The summary report: `GET /api/reports/summary` and its five frames,
`GET /api/reports/summary/{overview,vms_overview,job_statistics,processed_vms,repository}`.

Portal Administrators and Portal Users read them; Restore Operators and tenants get a 403 (and no
link from their LogonSession). A frame counts from the world at the EM's world time, so its answer
is kept per world version and world time (`timed`); the counts themselves are kept per world
version and time in the app's `ReportCache`, shared by every caller, notation and base URL.
"""

from __future__ import annotations

from fastapi import APIRouter

from mock_em.api.context import Ask, Body, get
from mock_em.model.reports import ReportCache, Summary, require_reader
from mock_em.wire import reports as doc
from mock_em.wire.cache import Doc, Whole

router = APIRouter()


def summary_of(ask: Ask) -> Summary:
    """The report of the EM's world at its world time, from the app's cache where it keeps one."""
    app = ask.asgi.get("app")
    cache: ReportCache | None = getattr(app.state, "report_cache", None) if app is not None else None
    em = ask.em
    return cache.summary(em.world, em.world_time) if cache is not None else Summary(em.world, em.world_time)


@get(router, "/api/reports/summary", query=())
def summary_report(ask: Ask) -> Doc:
    """The summary report: a link to each of its frames."""
    require_reader(ask.who.access)
    return Whole(doc.summary_report(ask.h))


def _frame(frame: doc.Frame) -> Body:
    def body(ask: Ask) -> Doc:
        require_reader(ask.who.access)
        return Whole(doc.frame_document(ask.h, frame, summary_of(ask)))

    body.__name__ = f"report_{frame.segment}"
    body.__doc__ = f"The summary report's `{frame.element}`, counted from the world at the EM's world time."
    return body


# One route per frame: any other name under the report is no route (404), as any unknown path.
for _frame_of in doc.FRAMES:
    get(router, f"/api/reports/summary/{_frame_of.segment}", timed=True, query=())(_frame(_frame_of))
