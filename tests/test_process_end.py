"""The ``orcapost`` process ends without the interpreter's teardown, but only after what the
interpreter would have done that matters: non-daemon threads joined, ``atexit`` handlers run,
the standard streams flushed, and the exit status ``sys.exit`` would give."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import REPO


def _orcapost(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``script`` (set-up) then the command line's ``main()`` as the process entry."""
    # A ``finally`` runs on SystemExit (the interpreter's own exit) but not on os._exit.
    code = textwrap.dedent(script) + "\nimport sys\nfrom orcapost.cli import main\n" \
        f"sys.argv = ['orcapost', *{list(args)!r}]\ntry:\n    main()\n" \
        "finally:\n    print('teardown ran')\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=REPO)


def test_atexit_handlers_threads_and_buffered_output_all_finish(tmp_path):
    marker = tmp_path / "handler-ran"
    thread_done = tmp_path / "thread-done"
    done = _orcapost(f"""
        import atexit, pathlib, sys, threading, time
        atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text("yes"))
        def late():
            time.sleep(0.3)
            pathlib.Path({str(thread_done)!r}).write_text("yes")
        threading.Thread(target=late).start()  # not a daemon: waited for, as at any exit
        sys.stdout.write("buffered, no newline")
    """, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("buffered, no newline") and "version" in done.stdout
    assert "teardown ran" not in done.stdout  # the process ended in main(), not by SystemExit
    assert marker.read_text() == "yes" and thread_done.read_text() == "yes"


def test_exit_status_is_the_commands():
    # (--version and usage errors through the whole process: tests/test_cli.py.)
    done = _orcapost("", "run", "missing.yml")
    assert done.returncode == 2 and done.stderr.strip(), done.stderr  # the reason, then the end
    assert "teardown ran" not in done.stdout


def test_called_with_arguments_main_raises_system_exit_instead():
    # Scripts and tests call main(argv): the process is theirs, so it is not ended.
    done = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        from orcapost.cli import main
        try:
            main(["--version"])
        except SystemExit as exit:
            print("raised", exit.code)
    """)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0 and "raised 0" in done.stdout, done.stderr


def test_the_end_goes_in_the_interpreters_order_and_prints_a_string_code(monkeypatch, capsys):
    import atexit
    import threading

    from orcapost import cli

    steps: list[object] = []
    monkeypatch.setattr(threading, "_shutdown", lambda: steps.append("threads"))
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: steps.append("atexit"))
    monkeypatch.setattr(cli.os, "_exit", steps.append)
    cli._end_process("it went wrong")
    assert steps == ["threads", "atexit", 1] and "it went wrong" in capsys.readouterr().err


def test_without_the_interpreters_hooks_the_usual_exit(monkeypatch):
    import threading

    from orcapost import cli

    monkeypatch.delattr(threading, "_shutdown")
    monkeypatch.setattr(cli.os, "_exit", lambda status: pytest.fail("os._exit called"))
    with pytest.raises(SystemExit) as exit:
        cli._end_process(3)
    assert exit.value.code == 3


def test_ctrl_c_while_threads_are_waited_for_still_runs_the_handlers(monkeypatch):
    import atexit
    import threading

    from orcapost import cli

    def interrupted():
        raise KeyboardInterrupt

    steps: list[object] = []
    monkeypatch.setattr(threading, "_shutdown", interrupted)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: steps.append("atexit"))
    monkeypatch.setattr(cli.os, "_exit", steps.append)
    cli._end_process(0)
    assert steps == ["atexit", cli.EXIT_INTERRUPTED]
