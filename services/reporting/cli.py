"""Command-line pieces of the reporting service, registered by ``pantau`` (pantau/cli.py).

``compare_app`` / :func:`compare` implement ``pantau compare URL_A URL_B [--area CODE]``;
:func:`replay` implements ``pantau replay reporting``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from services.reporting.compare import compare_nodes

compare_app = typer.Typer(help="Compare two reporting nodes", no_args_is_help=True)


@compare_app.command("compare")
def compare(
    url_a: Annotated[str, typer.Argument(help="first node, e.g. http://127.0.0.1:8004")],
    url_b: Annotated[str, typer.Argument(help="second node, e.g. http://127.0.0.1:8014")],
    area: Annotated[
        str | None, typer.Option(help="area to start from (default: the narrower scope)")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="PANTAU_TOKEN", help="bearer token (default: ministry)")
    ] = None,
) -> None:
    """Name the first area where two nodes' figures differ (exit 1), or say they agree."""
    from shared.auth import issue_token

    result = compare_nodes(url_a, url_b, area, token or issue_token("ministry", "ID"))
    typer.echo(result.describe())
    if not result.same_watermark:
        typer.echo(f"watermark A: {result.watermark_a.get('positions')}")
        typer.echo(f"watermark B: {result.watermark_b.get('positions')}")
    raise typer.Exit(0 if result.agree else 1)


def replay(
    scope: Annotated[str | None, typer.Option(help="node scope (default REPORTING_SCOPE)")] = None,
    processes: Annotated[
        int | None,
        typer.Option(min=1, help="processes folding the partitions (default: one per core)"),
    ] = None,
) -> None:
    """Rebuild the reporting views from the topics beside the live ones, then swap them in."""
    import asyncio
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from services.reporting.replay import replay as run_replay
    from services.reporting.settings import ReportingSettings
    from shared.gc_tuning import tune_for_batches

    tune_for_batches()
    settings = ReportingSettings() if scope is None else ReportingSettings(scope=scope)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("replaying reporting", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = asyncio.run(run_replay(settings, progress, processes or os.cpu_count() or 1))
    typer.echo(
        f"replayed {result.events} events ({result.tail_events} more while swapping)"
        f" in {result.seconds:.1f} s; the new views are live"
    )


replay_app = typer.Typer(help="Replay the reporting views")
replay_app.command("reporting")(replay)
