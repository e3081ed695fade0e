"""Command-line pieces of the reporting service, registered by ``pantau`` (pantau/cli.py).

:func:`compare` implements ``pantau compare [URL_A URL_B] [--area CODE]``; :func:`replay` runs
``pantau replay reporting`` once pantau/cli.py has chosen the node's settings.
"""

from __future__ import annotations

from typing import Annotated

import typer

from services.reporting.compare import CompareError, compare_nodes
from services.reporting.settings import ReportingSettings

# Set by `pantau dev` (its settings file, pantau/local/discovery.py) for the commands beside it.
NATIONAL_NODE_URL = "PANTAU_REPORTING_URL"
PROVINCE_NODE_URL = "PANTAU_PROVINCE_NODE_URL"


def compare(
    url_a: Annotated[
        str | None,
        typer.Argument(
            envvar=NATIONAL_NODE_URL,
            show_envvar=False,
            help="first node, e.g. http://127.0.0.1:8004 (default: pantau dev's reporting)",
        ),
    ] = None,
    url_b: Annotated[
        str | None,
        typer.Argument(
            envvar=PROVINCE_NODE_URL,
            show_envvar=False,
            help="second node, e.g. http://127.0.0.1:8014 (default: pantau dev's province node)",
        ),
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="area to start from (default: the narrower scope)")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="PANTAU_TOKEN", help="bearer token (default: ministry)")
    ] = None,
) -> None:
    """Name the first area where two nodes' figures differ (exit 1), or say they agree.

    Each area's checksum covers its whole subtree, so comparing at the top finds a difference
    in any village below it.
    """
    from shared.auth import issue_token

    if url_a is None or url_b is None:
        typer.echo(
            "pantau: compare needs two reporting nodes: URL_A URL_B, or a running "
            "`pantau dev --province-node 53` (its national and province node)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        result = compare_nodes(url_a, url_b, area, token or issue_token("ministry", "ID"))
    except CompareError as exc:
        typer.echo(f"pantau: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(result.describe())
    if not result.same_watermark:
        typer.echo(f"watermark A: {result.watermark_a.get('positions')}")
        typer.echo(f"watermark B: {result.watermark_b.get('positions')}")
    raise typer.Exit(0 if result.agree else 1)


def replay(settings: ReportingSettings, processes: int | None = None) -> None:
    """Rebuild the node's views from the topics beside the live ones, then swap them in."""
    import asyncio
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from services.reporting.replay import replay as run_replay
    from shared.gc_tuning import tune_for_batches

    tune_for_batches()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task(f"replaying reporting (scope {settings.scope})", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = asyncio.run(run_replay(settings, progress, processes or os.cpu_count() or 1))
    typer.echo(
        f"replayed {result.events} events ({result.tail_events} more while swapping)"
        f" in {result.seconds:.1f} s; the new views are live"
    )
