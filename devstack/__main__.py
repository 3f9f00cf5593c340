import signal
import sys
from types import FrameType


def _stopped_before_anything_started(signum: int, frame: FrameType | None) -> None:
    """A stop signal while the supervisor is still importing: nothing runs yet, so this is a clean stop (status 0)."""
    raise SystemExit(0)


for _signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # stack.run() installs its own handler in their place
    signal.signal(_signum, _stopped_before_anything_started)

from devstack.stack import main  # noqa: E402 - after the handlers: these imports take a few hundred ms

sys.exit(main())
