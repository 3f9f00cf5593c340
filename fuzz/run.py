"""Fuzz the served OpenAPI document with schemathesis on the local stack, once per role.

    python fuzz/run.py                  (make fuzz; .ci/run runs it): every role
    python fuzz/run.py seller admin     only these roles

Each role gets a fresh moto + chalice local on free loopback ports: what one role's run wrote (hundreds of answers,
conversations, policy versions) would otherwise slow moto down for the next one, since moto copies a whole table per
transaction. Exit status 0 only if no run found a failure. Settings are the committed, reproducible ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from devstack import stack as local_stack  # noqa: E402
from devstack.tokens import mint_token  # noqa: E402

SETTINGS = PROJECT_DIR / "fuzz" / "schemathesis.toml"  # seed, examples, checks: committed
ROLES = {
    "buyer": {"role": "buyer", "sub": "fuzz-buyer"},
    "seller": {"role": "seller", "sub": "fuzz-seller", "seller_id": "demo-chat"},
    "support": {"role": "support", "sub": "fuzz-support"},
    "admin": {"role": "admin", "sub": "fuzz-admin"},  # the policy and restriction routes
}
# The stateful phase follows links between operations (create an answer, then read, patch and delete it). It is the
# slowest phase by far, and its chains are the same for every role that may write: the seller owns answers and
# conversations, the admin owns the policy. The other roles run the stateless phases.
STATEFUL_ROLES = {"seller", "admin"}
STATELESS_PHASES = "examples,coverage,fuzzing"


def fuzz_role(name: str) -> bool:
    """One schemathesis run as `name` on a stack of its own; True if it found no failure."""
    claims = ROLES[name]
    moto_port = local_stack.free_port()
    processes = [local_stack.start_moto(moto_port)]
    try:
        env = local_stack.provision(f"http://127.0.0.1:{moto_port}")
        port = local_stack.free_port()
        # The fuzzer checks answers, not latency: on two shared cores moto sometimes takes longer than the API's
        # production call budget (1.5 s per call), and a timed-out probe is a 503 the fuzzer would call a failure.
        patient = {**env, "AWS_CALL_BUDGET_SECONDS": "20", "SETTINGS_CALL_SECONDS": "10"}
        processes.append(local_stack.start_api(port, patient, quiet=True))
        drainer = local_stack.QueueDrainer(env)
        drainer.start()
        token = mint_token(local_stack.local_jwt_secret(), claims["role"], claims["sub"], claims.get("seller_id"))
        phases = [] if name in STATEFUL_ROLES else ["--phases", STATELESS_PHASES]
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"), "--config-file", str(SETTINGS), "--no-color", "run",
                f"http://127.0.0.1:{port}/v1/openapi.json", "--header", f"Authorization: Bearer {token}", *phases,
            ],
            cwd=PROJECT_DIR, env={**os.environ, "SCHEMATHESIS_HOOKS": ""}, check=False,
        )
        print(f"support events read off the queue during fuzzing: {drainer.stop()}")
        return result.returncode == 0
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in ROLES]
    if unknown:
        print(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}", file=sys.stderr)
        return 2
    failed = []
    timings = []
    for name in argv or list(ROLES):
        print(f"\n=== schemathesis as {name} (settings: fuzz/schemathesis.toml) ===", flush=True)
        started = time.monotonic()
        if not fuzz_role(name):
            failed.append(name)
        timings.append(f"{name} {time.monotonic() - started:.0f} s")
    print(f"\nfuzz: {'failures as ' + ', '.join(failed) if failed else 'no failures'} ({'; '.join(timings)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
