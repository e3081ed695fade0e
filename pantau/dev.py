"""``pantau dev``: start the whole system, tell the user where everything is, stop it cleanly.

The orchestration is :class:`pantau.local.stack.DevStack`; this module adds what a person at a
terminal needs: progress while services start, a table of addresses, ready-made tokens, a curl
example, loud news when a process dies and when it is restarted (or given up on), and an
orderly stop on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from pantau.local.stack import Death, DevStack, ServiceProcess, StackOptions
from pantau.local.tansu import tansu_binary
from shared.auth import issue_token

EXAMPLE_VILLAGE = "53.71.01.1001"  # Namosain, Kota Kupang, Nusa Tenggara Timur

# (shell variable, role, area): one token per kind of caller worth trying first.
DEV_TOKENS: list[tuple[str, str, str]] = [
    ("TOKEN_MINISTRY", "ministry", "ID"),
    ("TOKEN_PROVINCE", "province-officer", "53"),
    ("TOKEN_REGENCY", "regency-officer", "53.71"),
    ("TOKEN_VILLAGE", "village-officer", EXAMPLE_VILLAGE),
    ("TOKEN_CASE_WORKER", "case-worker", "53.71"),
    ("TOKEN_SUPERVISOR", "supervisor", "53"),
    ("TOKEN_MONITOR", "monitor", "ID"),
    ("TOKEN_OPERATOR", "operator", "ID"),
]

READY_BANNER = "Pantau is running"


def dev_tokens() -> list[tuple[str, str, str, str]]:
    """(variable, role, area, token) for every ready-made token."""
    return [(var, role, area, issue_token(role, area)) for var, role, area in DEV_TOKENS]


def curl_example(registry_url: str) -> str:
    body = (
        '{"nik": "5371015403980001", "name": "Maria Ndun", "sex": "female", '
        f'"birth_date": "1998-03-14", "village": "{EXAMPLE_VILLAGE}", '
        '"occupation": "housekeeper"}'
    )
    return (
        f"curl -s -X POST {registry_url}/v1/workers \\\n"
        '  -H "Authorization: Bearer $TOKEN_VILLAGE" \\\n'
        "  -H 'Content-Type: application/json' \\\n"
        f"  -H 'Idempotency-Key: {uuid.uuid4()}' \\\n"
        f"  -d '{body}'"
    )


class DevRunner:
    """Runs a :class:`DevStack` in the foreground until a signal or a fatal failure."""

    def __init__(self, options: StackOptions, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.stack = DevStack(options=options, say=self._say, warn=self._warn)
        self._stop = asyncio.Event()
        self._signals = 0

    def _say(self, message: str) -> None:
        self.console.print(f"[dim]·[/dim] {message}", soft_wrap=True)

    def _warn(self, message: str) -> None:
        self.console.print(f"[bold yellow]![/bold yellow] {message}", soft_wrap=True)

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals == 1:
            name = signal.Signals(signum).name
            self.console.print(f"\n[bold]{name}: stopping services, broker, PostgreSQL…[/bold]")
        self._stop.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            return await self._run()
        finally:
            self.stack.stop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            self.console.print("[bold]Stopped.[/bold]")

    async def _run(self) -> int:
        stack = self.stack
        stack.start_infrastructure()
        if self._stop.is_set():
            return 0
        await stack.prepare()
        if self._stop.is_set():
            return 0
        stack.spawn_services()
        if not stack.services:
            self._warn("no service has an app.py yet: only the broker and PostgreSQL run")
        else:
            waiter = asyncio.ensure_future(self._wait_ready())
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
                return 0
        self._print_summary()
        return await self._watch()

    async def _wait_ready(self) -> bool:
        status: dict[str, str] = {s.name: "starting" for s in self.stack.services}

        def table() -> Table:
            grid = Table(title="Waiting for /health/ready", show_header=False, box=None)
            for running in self.stack.services:
                state = status[running.name]
                mark = "[green]✔[/green]" if running.ready else "[yellow]…[/yellow]"
                if not running.alive():
                    mark = "[red]✘[/red]"
                grid.add_row(mark, running.name, running.url, state)
            return grid

        if not self.console.is_terminal:
            # A pipe or a file gets one line per change, not a redrawn table.
            def plain(running: ServiceProcess, detail: str) -> None:
                if status[running.name] != detail:
                    status[running.name] = detail
                    self._say(f"{running.name} {running.url}: {detail}")

            return await self.stack.wait_ready(plain)

        with Live(table(), console=self.console, refresh_per_second=4, transient=False) as live:

            def progress(running: ServiceProcess, detail: str) -> None:
                status[running.name] = detail
                live.update(table())

            return await self.stack.wait_ready(progress)

    async def _watch(self) -> int:
        """Until stopped: say loudly when a process dies, restart it with backoff, say when it
        is ready again, and loudly when it is given up on; the rest keeps running."""
        stack = self.stack
        async with httpx.AsyncClient(timeout=2.0) as client:
            while not self._stop.is_set():
                for death in stack.deaths():
                    self._report_death(death)
                for running in stack.restart_due():
                    self._warn(
                        f"restarting {running.name} (restart {running.restarts}, pid "
                        f"{running.pid}); log: {running.log_path}"
                    )
                for running in await stack.newly_ready(client):
                    self._say(f"{running.name} is ready again on {running.url}")
                broker = stack.broker
                if broker is not None and stack.broker_died():
                    self.console.print(
                        Panel(
                            f"The Tansu broker died; see {broker.log_path}\n{broker.log_tail()}",
                            title="[bold red]BROKER DIED[/bold red]",
                            border_style="red",
                        )
                    )
                    return 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=0.5)
        return 0

    def _report_death(self, death: Death) -> None:
        dead = death.running
        policy = self.stack.restart_policy
        if death.restart_in is None:
            title = f"SERVICE {dead.name.upper()} DIED AGAIN: NOT RESTARTING IT"
            next_step = (
                f"It died {dead.quick_deaths} times in a row, each within "
                f"{policy.quick_seconds:.0f} s of starting: pantau dev gives up on it (the "
                f"rest keeps running). Fix the cause shown in its log, then restart pantau dev."
            )
        else:
            title = f"SERVICE {dead.name.upper()} DIED"
            next_step = f"Restarting it in {death.restart_in:.0f} s."
        self.console.print(
            Panel(
                f"{dead.name} exited with code {death.exit_code} after {death.uptime:.0f} s "
                f"(log: {dead.log_path})\n\n{dead.log_tail()}\n\n{next_step}",
                title=f"[bold red]{title}[/bold red]",
                border_style="red",
            ),
            soft_wrap=False,
        )

    def _print_summary(self) -> None:
        stack, console = self.stack, self.console
        console.print()
        table = Table(title=READY_BANNER, title_justify="left")
        table.add_column("what")
        table.add_column("address")
        table.add_column("status")
        for running in stack.services:
            state = "[green]ready[/green]" if running.ready else "[red]NOT READY[/red]"
            if not running.alive():
                state = f"[red]DIED ({running.exit_code()})[/red]"
            if running.label:
                state += f" (scope {running.env.get('REPORTING_SCOPE', '?')})"
            table.add_row(running.name, running.url, state)
        table.add_row("broker", stack.bootstrap, stack.broker_source)
        table.add_row("postgresql", stack.server_dsn, stack.postgres_source)
        console.print(table)
        console.print(f"{READY_BANNER}.", soft_wrap=True)
        for running in stack.services:
            console.print(
                f"  {running.name}: {running.url}  (API docs {running.url}/docs,"
                f" database {running.database_url})",
                soft_wrap=True,
            )
        console.print(f"  broker: {stack.bootstrap}", soft_wrap=True)
        console.print(f"  postgresql: {stack.server_dsn}", soft_wrap=True)
        if stack.run_dir is not None:
            kept = stack.kept_logs_dir
            later = f" (moved to {kept} when pantau dev stops)" if kept else ""
            console.print(f"  logs: {stack.logs_dir}{later}", soft_wrap=True)
        if stack.env_file is not None:
            console.print(
                f"  settings: {stack.env_file} (read by pantau replay, serve, tail, compare, "
                "migrate, simulate, token run beside this one)",
                soft_wrap=True,
            )

        console.print("\n[bold]Tokens[/bold] (paste into your shell):")
        for var, role, area, token in dev_tokens():
            console.print(f"export {var}={token}  # {role} @ {area}", soft_wrap=True)

        registry = next((s for s in stack.services if s.name == "registry"), None)
        if registry is not None:
            console.print("\n[bold]Register a worker[/bold]:")
            console.print(curl_example(registry.url), soft_wrap=True)
        console.print("\n[bold]Watch the events[/bold]:")
        tail = "pantau tail registry.worker.v1 --from-beginning"
        if stack.env_file is None:
            tail += f" --bootstrap {stack.bootstrap}"
        console.print(tail, soft_wrap=True)
        if stack.broker is not None:
            console.print(
                f"[dim](or per partition: {tansu_binary()} cat consume registry.worker.v1 "
                f"--broker tcp://{stack.bootstrap} --partition 0)[/dim]",
                soft_wrap=True,
            )
        if any(s.name == "alerts" for s in stack.services):
            console.print(
                "\n[bold]Alerts[/bold]: thresholds are ALERTS_* variables (services/alerts/"
                "README.md); a case waits 72 h for a case worker before it is case_unassigned: "
                "start with ALERTS_CASE_UNASSIGNED_HOURS=0.01 ./scripts/dev to see it in 36 s.",
                soft_wrap=True,
            )
        if stack.options.province_node is not None:
            console.print("\n[bold]Compare the national and the province node[/bold]:")
            console.print("pantau compare", soft_wrap=True)
        console.print("\nCtrl-C stops everything.", soft_wrap=True)


def run(
    *,
    broker_port: int,
    port_offset: int,
    data_dir: Path | None,
    only: list[str] | None,
    ready_timeout: float,
    province_node: str | None = None,
    console: Console | None = None,
) -> int:
    options = StackOptions(
        broker_port=broker_port,
        port_offset=port_offset,
        data_dir=data_dir,
        only=only,
        ready_timeout=ready_timeout,
        province_node=province_node,
    )
    return asyncio.run(DevRunner(options, console).run())
