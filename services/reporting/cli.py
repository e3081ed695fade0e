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
