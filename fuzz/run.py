"""Fuzz the served OpenAPI document with schemathesis on the local stack, once per role.

    python fuzz/run.py          (make fuzz; .ci/run runs it)

Starts moto + chalice local on free loopback ports, then `st run` for a buyer, a seller, support and an admin.
Exit status 0 only if no run found a failure. Settings below are the committed, reproducible ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def main() -> int:
    moto_port = local_stack.free_port()
    processes = [local_stack.start_moto(moto_port)]
    failed = []
    try:
        env = local_stack.provision(f"http://127.0.0.1:{moto_port}")
        port = local_stack.free_port()
        # The fuzzer checks answers, not latency: on two shared cores moto sometimes takes longer than the API's
        # production call budget (1.5 s per call), and a timed-out probe is a 503 the fuzzer would call a failure.
        patient = {**env, "AWS_CALL_BUDGET_SECONDS": "20", "SETTINGS_CALL_SECONDS": "10"}
        processes.append(local_stack.start_api(port, patient, quiet=True))
        drainer = local_stack.QueueDrainer(env)
        drainer.start()
        secret = local_stack.local_jwt_secret()
        st = Path(sys.executable).parent / "st"
        for name, claims in ROLES.items():
            token = mint_token(secret, claims["role"], claims["sub"], claims.get("seller_id"))
            print(f"\n=== schemathesis as {name} (settings: fuzz/schemathesis.toml) ===", flush=True)
            result = subprocess.run(
                [
                    str(st), "--config-file", str(SETTINGS), "--no-color", "run", f"http://127.0.0.1:{port}/v1/openapi.json",
                    "--header", f"Authorization: Bearer {token}",
                ],
                cwd=PROJECT_DIR, env={**os.environ, "SCHEMATHESIS_HOOKS": ""}, check=False,
            )
            if result.returncode != 0:
                failed.append(name)
        print(f"support events read off the queue during fuzzing: {drainer.stop()}")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)
    print(f"\nfuzz: {'failures as ' + ', '.join(failed) if failed else 'no failures'} ({len(ROLES)} roles)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
