"""The image and the compose stack, end to end: scripts/container-smoke builds them, brings the
stack up, uses it through the API and tears it all down (docs/containers.md).

It needs podman and podman-compose that work on this machine (the CI machine has them) and takes
some minutes: a machine without them skips it and says why. Run it alone with
`pytest -m containers`. Whatever happens, the run's project is removed at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "scripts" / "container-smoke"
# The whole run, cold (base image, every image, the stack): about 6 minutes on this machine.
TIMEOUT_S = 14 * 60
PACKAGES = ("podman", "runc", "podman-compose", "mmdebstrap")

pytestmark = pytest.mark.containers


def _podman_problem(env: dict[str, str]) -> str:
    """Why the smoke test cannot run here, or "" when it can."""
    for program in ("podman", "podman-compose", "mmdebstrap"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install {' '.join(PACKAGES)})"
    try:
        info = subprocess.run(
            ["podman", "info"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return "podman info did not answer within 60 s"
    if info.returncode != 0:
        return f"podman does not work here: {info.stderr.strip()[-300:]}"
    return ""


def test_the_stack_builds_serves_and_leaves_nothing_behind() -> None:
    env = {**os.environ, "SMOKE_PROJECT": f"counsel-test-{uuid.uuid4().hex[:8]}"}
    env.setdefault("CONTAINERS_CONF", str(REPO / "deploy" / "podman" / "containers.conf"))
    if problem := _podman_problem(env):
        pytest.skip(problem)

    process = subprocess.Popen(
        [str(SMOKE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # SIGTERM: the script tears its stack down on the way out.
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=180)
        pytest.fail(f"the smoke test took more than {TIMEOUT_S} s:\n{output[-5000:]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Anything the run left, even when it was killed before its own teardown.
        subprocess.run([str(SMOKE), "--clean", env["SMOKE_PROJECT"]], env=env, check=False)

    assert process.returncode == 0, output[-8000:]
    assert "container-smoke: passed" in output
    leftovers = {
        "containers": ["ps", "--all", "--format", "{{.Names}}"],
        "volumes": ["volume", "ls", "--format", "{{.Name}}"],
        "networks": ["network", "ls", "--format", "{{.Name}}"],
    }
    for what, args in leftovers.items():
        listed = subprocess.run(
            ["podman", *args], env=env, capture_output=True, text=True, check=True
        ).stdout
        assert env["SMOKE_PROJECT"] not in listed, f"{what} of the run are left: {listed}"
