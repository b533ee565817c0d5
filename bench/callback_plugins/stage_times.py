# Records how long each play of a run took and how many tasks changed, and writes them as JSON to the
# file named by KUBELIFT_STAGE_TIMES. Used by bench/provision; not part of the collection.
import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: stage_times
type: aggregate
short_description: write per-play durations and changed counts as JSON
description: Writes per-play wall-clock durations and the run's changed count to $KUBELIFT_STAGE_TIMES.
requirements: [enable in ansible.cfg or ANSIBLE_CALLBACKS_ENABLED]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "stage_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._start = time.monotonic()
        self._stages = []
        self._current = None

    def _close(self):
        if self._current is not None:
            self._current["seconds"] = round(time.monotonic() - self._current.pop("_t0"), 2)
            self._stages.append(self._current)
            self._current = None

    def v2_playbook_on_play_start(self, play):
        self._close()
        self._current = {"stage": play.get_name(), "_t0": time.monotonic()}

    def v2_playbook_on_stats(self, stats):
        self._close()
        hosts = sorted(stats.processed)
        result = {
            "total_seconds": round(time.monotonic() - self._start, 2),
            "stages": self._stages,
            "changed": {h: stats.summarize(h)["changed"] for h in hosts},
            "failed": {h: stats.summarize(h)["failures"] + stats.summarize(h)["unreachable"] for h in hosts},
        }
        path = os.environ.get("KUBELIFT_STAGE_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(result, handle, indent=2)
