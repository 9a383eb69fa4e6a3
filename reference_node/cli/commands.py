"""The `bluezone` command line: the top parser, and ``main``, which runs one command.

Every command ends through ``failures.run_command``: one line on stderr and the exit
status documented there (``bluezone --help`` lists them).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Callable, Sequence

from bluezone.reference_node.cli import failures, keys_demo
from bluezone.reference_node.cli.options import Parser, plain

EXIT_STATUSES = """exit status: 0 done; 1 could not do it (the message says what to do);
2 a verification failed (audit, witness run); 64 usage error; 70 internal error;
130 interrupted. Add --debug to see the traceback of an error."""


def version() -> str:
    """The installed distribution's version."""
    try:
        return importlib.metadata.version("bluezone-protocol")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _keys_demo(args: argparse.Namespace) -> int:
    steps = keys_demo.run(args.seed)
    print(keys_demo.render_json(steps) if args.json else keys_demo.render(steps))
    return 0


def _risk_evaluate(args: argparse.Namespace) -> int:
    from bluezone.reference_node.lab import evaluate as risk_evaluate

    return risk_evaluate.run(args)


def _interop_run(suite_args: list[str]) -> int:
    import bluezone.interop_tests  # the suite is optional at run time: load it only when asked

    return bluezone.interop_tests.main(suite_args, prog="bluezone interop run")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand (it needs no extra: see failures)."""
    from bluezone.reference_node.cli import node as node_cli
    from bluezone.reference_node.cli import server as server_cli
    from bluezone.reference_node.cli import witness as witness_cli
    from bluezone.reference_node.lab import evaluate as risk_evaluate

    parser = Parser(
        prog="bluezone",
        description="Bluezone exposure-notification reference implementation",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"bluezone {version()}")
    parser.add_argument(
        "--debug", action="store_true", help="on an error, show its traceback (allowed anywhere)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="the key schedule").add_subparsers(
        dest="keys_command", required=True
    )
    demo = keys.add_parser("demo", help="walk through one day of a device")
    demo.add_argument("--seed", type=int, help="draw the keys from this seed (reproducible)")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.set_defaults(handler=_keys_demo)
    server = commands.add_parser("server", help="the key server").add_subparsers(
        dest="server_command", required=True
    )
    run = server.add_parser("run", help="run a key server")
    server_cli.add_server_arguments(run)
    run.set_defaults(handler=server_cli.run_server)
    portal = server.add_parser("portal", help="the health authority's portal").add_subparsers(
        dest="portal_command", required=True
    )
    admin = portal.add_parser("add-admin", help="create an administrator (the first one)")
    server_cli.add_portal_admin_arguments(admin)
    admin.set_defaults(handler=server_cli.run_portal_admin)
    ha = commands.add_parser("ha", help="health-authority tools").add_subparsers(
        dest="ha_command", required=True
    )
    issue = ha.add_parser("issue-code", help="issue a one-time verification code")
    server_cli.add_ha_arguments(issue)
    issue.set_defaults(handler=server_cli.run_ha)
    audit = commands.add_parser("audit", help="audit a key server's transparency log")
    server_cli.add_audit_arguments(audit)
    audit.set_defaults(handler=server_cli.run_audit)
    witness = commands.add_parser(
        "witness", help="witness a key server's log: cosign checkpoints that extend it"
    ).add_subparsers(dest="witness_command", required=True)
    keygen = witness.add_parser("keygen", help="create a witness cosigning key")
    witness_cli.add_keygen_arguments(keygen)
    keygen.set_defaults(handler=witness_cli.run_keygen)
    cosign = witness.add_parser(
        "run",
        help="fetch the log's newest checkpoint and cosign it if it extends the last one (pull)",
        description=plain(witness_cli.__doc__),
    )
    witness_cli.add_run_arguments(cosign)
    cosign.set_defaults(handler=witness_cli.run_witness)
    serve = witness.add_parser(
        "serve",
        help="serve C2SP add-checkpoint: the log asks for each cosignature (push mode)",
        description=plain(witness_cli.__doc__),
    )
    witness_cli.add_serve_arguments(serve)
    serve.set_defaults(handler=witness_cli.run_serve)

    node_cli.add_commands(commands)

    risk = commands.add_parser("risk", help="risk scoring").add_subparsers(
        dest="risk_command", required=True
    )
    evaluate = risk.add_parser(
        "evaluate",
        help="measure every scorer against labelled encounters (simulator, or --data DIR)",
        description=plain(risk_evaluate.__doc__),
    )
    risk_evaluate.add_arguments(evaluate)
    evaluate.set_defaults(handler=_risk_evaluate)

    interop = commands.add_parser("interop", help="the conformance suite").add_subparsers(
        dest="interop_command", required=True
    )
    # Listed for --help; main() hands everything after "interop run" to the suite's parser.
    interop.add_parser("run", help="run the suite against an adapter (see --help there)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see ``failures``).

    Usage errors raise SystemExit(64) from the parser, as argparse does.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [word for word in argv if word != "--debug"]
    if argv[:2] == ["interop", "run"]:
        return failures.run_command(
            "bluezone interop run", "interop", lambda: _interop_run(argv[2:]), debug
        )
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    sub = getattr(args, f"{args.command}_command", None)
    prog = " ".join(word for word in ("bluezone", args.command, sub) if word)
    return failures.run_command(prog, args.command, lambda: handler(args), debug)


if __name__ == "__main__":
    sys.exit(main())
